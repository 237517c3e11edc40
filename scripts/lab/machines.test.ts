import { describe, expect, it } from "vitest";
import { EXTRA_CAPABILITIES, hostProcessAlive, nspawnArguments, nspawnRootOf } from "./machines";

describe("nspawnArguments", () => {
  const args = nspawnArguments({ machine: "lab2", rootfs: "/p/.lab/hosts/lab2", bridge: "ie-lab0" });

  it("boots the root directory under the machine's name on the lab bridge", () => {
    expect(args.slice(0, 5)).toEqual(["-D", "/p/.lab/hosts/lab2", "--machine", "lab2", "-b"]);
    expect(args).toContain("--network-bridge=ie-lab0");
  });

  it("uses the options that boot a host where this machine has no systemd", () => {
    for (const flag of ["--register=no", "--keep-unit", "--console=read-only", "--system-call-filter=@keyring"]) expect(args).toContain(flag);
  });

  it("binds nothing of this machine (each host has its own apt archive) and keeps the host's own resolv.conf", () => {
    expect(args.some((a) => a.startsWith("--bind"))).toBe(false);
    expect(args).toContain("--resolv-conf=off");
  });

  it("grants no extra capability while the list is empty", () => {
    expect(EXTRA_CAPABILITIES).toEqual([]);
    expect(args.some((a) => a.startsWith("--capability"))).toBe(false);
  });
});

describe("process identity", () => {
  it("does not take a process that is not systemd-nspawn for a host", () => {
    expect(nspawnRootOf(process.pid)).toBeUndefined();
    expect(hostProcessAlive(process.pid)).toBe(true);
    expect(hostProcessAlive(2 ** 22 + 1)).toBe(false);
  });
});
