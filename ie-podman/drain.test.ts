import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { loadHostConfig } from "./config";
import { STARTS_CONTAINERS, drainRefusal, refuseWhileDraining } from "./drain";
import { HELP } from "./help";

const draining = { drain: { otherHosts: ["gpu2", "gpu3"] } };

describe("a host being drained for the refresh", () => {
  it("has decided, for every verb, whether it starts a container", () => {
    expect(Object.keys(STARTS_CONTAINERS).sort()).toEqual(Object.keys(HELP).sort());
  });

  it.each(["run", "start", "build"])("refuses %s, naming the other container hosts", (verb) => {
    expect(drainRefusal(draining, verb)).toBe("this host is being drained for the refresh; use another container host: gpu2, gpu3");
  });

  it.each(["ps", "stop", "rm", "logs", "exec", "inspect", "images", "sif", "reap"])("lets %s go on (it starts no container)", (verb) => {
    expect(drainRefusal(draining, verb)).toBeUndefined();
  });

  it("ends the verb with status 1, the message on stderr and a 'refused' line in the audit log", () => {
    const records: [string, string][] = [];
    let stderr = "";
    const gate = (verb: string) => refuseWhileDraining(draining, verb, (decision, detail) => records.push([decision, detail]), (text) => (stderr += text));
    expect(gate("run")).toBe(1);
    expect(stderr).toBe("ie-podman run: this host is being drained for the refresh; use another container host: gpu2, gpu3\n");
    expect(records).toEqual([["refused", "this host is being drained for the refresh; use another container host: gpu2, gpu3"]]);
    expect(gate("ps")).toBeUndefined();
    expect(records).toHaveLength(1);
  });

  it("says so when no other container host is declared", () => {
    expect(drainRefusal({ drain: { otherHosts: [] } }, "run")).toBe(
      "this host is being drained for the refresh; no other container host is declared; ask the admins where to go",
    );
  });

  it("refuses nothing on a host that is not drained", () => {
    for (const verb of Object.keys(HELP)) expect(drainRefusal({}, verb)).toBeUndefined();
  });

  it("is told by the host's configuration file; a configuration without `drain` is a host that is not drained", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ie-podman-drain-"));
    try {
      const file = path.join(dir, "config.json");
      const base = {
        network: "ie-podman",
        pool: "10.89.60.0/22",
        gpus: 2,
        devicePrefix: "/dev/nvidia",
        sharedGpuDevices: [],
        reapAfterSeconds: 604800,
        buildUserNamespace: true,
        ledger: "/var/lib/ie-podman/ledger.json",
        auditLog: "/var/log/ie-podman/audit.log",
        limits: { memory: { default: 1, max: 2 }, cpus: { default: 1, max: 2 }, pids: { default: 1, max: 2 }, shm: { default: 1, max: 2 } },
        caps: { maxContainers: 10, maxAddresses: 4, maxGpus: 1 },
        userCaps: {},
      };
      fs.writeFileSync(file, JSON.stringify({ ...base, ...draining }));
      expect(drainRefusal(loadHostConfig(file), "run")).toMatch(/being drained/);
      fs.writeFileSync(file, JSON.stringify(base));
      expect(drainRefusal(loadHostConfig(file), "run")).toBeUndefined();
      fs.writeFileSync(file, JSON.stringify({ ...base, drain: { otherHosts: ["gpu2"], until: "tomorrow" } }));
      expect(() => loadHostConfig(file)).toThrow(/drain/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
