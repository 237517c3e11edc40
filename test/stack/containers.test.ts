/**
 * Containers in the production stack under the mock runtime: Apptainer's source before the packages, the
 * packages before any file, and the sudoers rule only once ie-podman and its configuration are in place.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { BLOB_DIR } from "../../components/host/fileState";
import { PROJECT_ROOT } from "../../components/host/scripts";
import { scriptCallOf } from "../support/commands";
import { COMMAND, MANAGED_FILE, runProductionStack, unwrapSecrets, type MockStack, type RegisteredResource } from "../support/mocks";

let stack: MockStack;

beforeAll(async () => {
  stack = await runProductionStack();
}, 60_000);

const resolved = (r: RegisteredResource): number => {
  if (r.resolvedAt === undefined) throw new Error(`${r.name} never resolved`);
  return r.resolvedAt;
};
const file = (name: string) => stack.named(name, MANAGED_FILE);
const fileInputs = (name: string) => unwrapSecrets(file(name).inputs) as { path: string; content: string; mode: string; owner: string };

describe("a container host", () => {
  it("exists for every host with the container-host role and no other", () => {
    const hosts = stack.ofType(COMMAND).filter((r) => r.name.endsWith("-containers-packages")).map((r) => r.name.split("-")[0]);
    expect(hosts.sort()).toEqual(["gpu1", "gpu2", "gpu3", "gpu4"]);
  });

  it("installs apptainer from the pinned suite after the source and its pin are written", () => {
    const packages = stack.named("gpu1-containers-packages");
    expect(scriptCallOf(packages)?.script).toBe("host/packages.sh");
    expect(scriptCallOf(packages)?.args).toEqual(expect.arrayContaining(["podman", "nodejs", "sudo", "apptainer/sid"]));
    for (const f of ["gpu1-file-ie-apptainer.list", "gpu1-file-ie-apptainer.pref"]) expect(packages.registeredAt).toBeGreaterThan(resolved(file(f)));
  });

  it("grants sudo for ie-podman only once ie-podman and its configuration are on the host", () => {
    const sudoers = file("gpu1-file-ie-podman-sudoers");
    expect(fileInputs(sudoers.name)).toMatchObject({ path: "/etc/sudoers.d/ie-podman", mode: "0440", owner: "root:root" });
    for (const f of ["gpu1-file-ie-podman", "gpu1-file-ie-podman-program", "gpu1-file-ie-podman-config", "gpu1-file-storage.conf", "gpu1-file-pool-network"]) {
      expect(sudoers.registeredAt, f).toBeGreaterThan(resolved(file(f)));
    }
  });

  it("installs ie-podman as a root-owned entry script that starts a non-executable program, its configuration naming the host's GPUs", () => {
    const entry = fileInputs("gpu1-file-ie-podman");
    expect(entry).toMatchObject({ path: "/usr/local/bin/ie-podman", mode: "0755", owner: "root:root" });
    expect(entry.content.startsWith("#!/bin/bash\n")).toBe(true);
    expect(entry.content).toContain("/usr/bin/node -- /usr/local/lib/ie-podman/ie-podman.cjs 3<");
    const program = fileInputs("gpu1-file-ie-podman-program");
    expect(program).toMatchObject({ path: "/usr/local/lib/ie-podman/ie-podman.cjs", mode: "0644", owner: "root:root" });
    // Kept by digest: the state holds its sha256 and size, the bytes are staged for the provider to upload.
    const { sha256 } = program as unknown as { sha256: string };
    expect(program).toMatchObject({ keep: "sha256", size: expect.any(Number) });
    expect(fs.readFileSync(path.join(PROJECT_ROOT, BLOB_DIR, sha256), "utf8").startsWith("// ie-podman: generated")).toBe(true);
    expect(JSON.parse(fileInputs("gpu1-file-ie-podman-config").content)).toMatchObject({ gpus: 2, pool: "10.89.60.0/22", reapAfterSeconds: 604800 });
  });

  it("keeps every file of it as a ManagedFile (drift shows hand edits)", () => {
    const files = stack.ofType(MANAGED_FILE).filter((r) => r.name.startsWith("gpu1-file-") && !/slurm|munge|gres|cgroup|ceph|mount|-file-guide-/.test(r.name));
    expect(files.map((r) => fileInputs(r.name).path).sort()).toEqual(
      [
        "/etc/apt/preferences.d/ie-apptainer",
        "/etc/apt/sources.list.d/ie-apptainer.list",
        "/etc/containers/containers.conf.d/50-ie.conf",
        "/etc/containers/networks/ie-podman.json",
        "/etc/containers/storage.conf",
        "/etc/ie-podman/config.json",
        "/etc/sudoers.d/ie-podman",
        "/etc/systemd/system/ie-podman-reap.service",
        "/etc/systemd/system/ie-podman-reap.timer",
        "/etc/systemd/system/ie-podman-sync.service",
        "/etc/systemd/system/ie-podman-sync.timer",
        "/usr/local/bin/ie-podman",
        "/usr/local/lib/ie-podman/ie-podman.cjs",
      ].sort(),
    );
  });
});
