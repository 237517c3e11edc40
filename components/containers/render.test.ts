/**
 * The container host's files from the lab and production stacks: Podman's own TOML parser is not here,
 * so TOML is read back with a TOML parser, the sudoers rule is checked by visudo itself, and the network
 * file is read the way netavark reads it (the fields it requires).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse as parseToml } from "smol-toml";
import { describe, expect, it } from "vitest";
import { hostConfigSchema } from "../../ie-podman/config";
import { loadStackFile } from "../inventory/load";
import { PROJECT_ROOT } from "../host/scripts";
import {
  IE_PODMAN_PATH,
  apptainerSource,
  containerHosts,
  renderAptPreferences,
  renderAptSource,
  renderContainersConf,
  renderIeProgramConfig,
  renderPoolNetwork,
  renderReaperService,
  renderStorageConf,
  renderSudoers,
  renderSyncService,
  renderSyncTimer,
} from "./render";

function stack(name: string) {
  const { inventory, diagnostics } = loadStackFile(path.join(PROJECT_ROOT, "stacks", `Pulumi.${name}.yaml`), { baseDir: PROJECT_ROOT, missingHostKeyFile: "warning" });
  if (inventory === undefined) throw new Error(diagnostics.map((d) => d.message).join("\n"));
  return inventory;
}
const lab = containerHosts(stack("lab"));
const prod = containerHosts(stack("ie"));

describe("container hosts", () => {
  it("are the hosts with the container-host role", () => {
    expect(lab.map((l) => l.host.name)).toEqual(["lab2", "lab3"]);
    expect(prod.map((l) => l.host.name)).toEqual(["gpu1", "gpu2", "gpu3", "gpu4"]);
  });
});

describe("Podman's configuration", () => {
  it("puts images and containers on the SSD path with the overlay driver", () => {
    expect(parseToml(renderStorageConf(lab[0].spec))).toEqual({
      storage: { driver: "overlay", graphroot: "/srv/ssd/containers/storage", runroot: "/run/containers/storage" },
    });
  });

  it("carries the inventory's containers.conf settings by table", () => {
    expect(parseToml(renderContainersConf(lab[0].spec))).toEqual({ containers: { default_ulimits: ["nofile=20000:20000", "nproc=20000:20000"] } });
    expect(parseToml(renderContainersConf(prod[0].spec))).toEqual({});
  });

  it("declares the pool as a netavark bridge network with the pool's first address as gateway", () => {
    const net = JSON.parse(renderPoolNetwork(lab[0].spec)) as Record<string, unknown>;
    expect(net).toMatchObject({ name: "ie-podman", driver: "bridge", network_interface: "ie-podman0", subnets: [{ subnet: "10.89.60.0/22", gateway: "10.89.60.1" }] });
    expect(net.id).toMatch(/^[0-9a-f]{64}$/);
    expect((net.network_interface as string).length).toBeLessThanOrEqual(15);
  });
});

describe("ie-podman's configuration", () => {
  it("is what ie-podman's own schema accepts, with the host's GPUs", () => {
    const lab2 = hostConfigSchema.parse(JSON.parse(renderIeProgramConfig(lab[0])));
    expect(lab2).toMatchObject({ network: "ie-podman", pool: "10.89.60.0/22", gpus: 2, devicePrefix: "/dev/nvidia", reapAfterSeconds: 7 * 86400 });
    expect(lab2.sharedGpuDevices).toContain("/dev/nvidiactl");
  });

  it("says the host drains only on a host with drain: true, naming the other container hosts that do not", () => {
    expect(JSON.parse(renderIeProgramConfig(lab[0]))).not.toHaveProperty("drain");
    const inventory = stack("ie");
    const drained = containerHosts({ ...inventory, hosts: inventory.hosts.map((h) => (h.name === "gpu1" || h.name === "gpu4" ? { ...h, drain: true } : h)) });
    const gpu1 = hostConfigSchema.parse(JSON.parse(renderIeProgramConfig(drained[0])));
    expect(gpu1.drain).toEqual({ otherHosts: ["gpu2", "gpu3"] });
    expect(JSON.parse(renderIeProgramConfig(drained[1]))).not.toHaveProperty("drain");
    // A host that does not drain keeps the very text it had: nothing to rewrite at the refresh.
    expect(renderIeProgramConfig(drained[1])).toBe(renderIeProgramConfig(prod[1]));
  });

  it("has a sudoers rule visudo accepts, for ie-podman alone", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sudoers-"));
    const file = path.join(dir, "ie-podman");
    fs.writeFileSync(file, renderSudoers(), { mode: 0o440 });
    const r = spawnSync("sh", ["-c", `PATH="$PATH:/usr/sbin" visudo -cf "${file}"`], { encoding: "utf8" });
    fs.rmSync(dir, { recursive: true });
    expect(r.stdout + r.stderr).toMatch(/parsed OK/);
    expect(r.status).toBe(0);
    const rules = renderSudoers().split("\n").filter((l) => l !== "" && !l.startsWith("#") && !l.startsWith("Defaults"));
    expect(rules).toEqual([`ALL ALL=(root) NOPASSWD: ${IE_PODMAN_PATH}`]);
  });

  it("runs the reaper as root through ie-podman reap", () => {
    expect(renderReaperService()).toContain(`ExecStart=${IE_PODMAN_PATH} reap\n`);
  });

  it("runs the Slurm sync as root every 15 seconds, quietly", () => {
    expect(renderSyncService()).toContain(`ExecStart=${IE_PODMAN_PATH} sync\n`);
    expect(renderSyncService()).toContain("LogLevelMax=notice\n");
    expect(renderSyncTimer()).toContain("OnUnitActiveSec=15s\nAccuracySec=1s\n");
    expect(renderSyncTimer()).toContain("WantedBy=timers.target\n");
  });

  it("gives a host whose GPUs Slurm owns the slurm block: its node, the partition, the GRES type, the longest allocation", () => {
    for (const layout of [...lab, ...prod]) {
      const config = hostConfigSchema.parse(JSON.parse(renderIeProgramConfig(layout)));
      expect(config.slurm, layout.host.name).toEqual({ node: layout.host.name, partition: "gpu", gresType: "tesla", maxTimeMinutes: 1440 });
    }
  });

  it("gives no slurm block where ie-podman's ledger owns the GPUs or there are none", () => {
    const inventory = stack("ie");
    // gpu1 without slurm-compute: its GPUs are ie-podman's alone.
    const hosts = containerHosts({ ...inventory, hosts: inventory.hosts.map((h) => (h.name === "gpu1" ? { ...h, roles: h.roles.filter((r) => r !== "slurm-compute") } : h)) });
    expect(hosts[0].gpuMode).toEqual({ kind: "ledger" });
    expect(JSON.parse(renderIeProgramConfig(hosts[0]))).not.toHaveProperty("slurm");
    const { gpus: _, ...withoutGpus } = inventory.hosts.find((h) => h.name === "gpu2")!;
    const noGpus = containerHosts({ ...inventory, hosts: inventory.hosts.map((h) => (h.name === "gpu2" ? withoutGpus : h)) });
    expect(noGpus[1].gpuMode).toEqual({ kind: "no-gpus" });
    expect(JSON.parse(renderIeProgramConfig(noGpus[1]))).not.toHaveProperty("slurm");
  });

  it("rounds a maxTime that is not whole minutes down", () => {
    const layout = { ...lab[0], gpuMode: { kind: "slurm" as const, node: "lab2", partition: "gpu", gresType: "tesla", maxTimeSeconds: 5399 } };
    expect(JSON.parse(renderIeProgramConfig(layout)).slurm.maxTimeMinutes).toBe(89);
  });
});

describe("Apptainer's source", () => {
  it("pins an apt suite so that only apptainer comes from it", () => {
    const source = apptainerSource(lab[0].spec);
    expect(source).toEqual({ kind: "apt", line: "deb [check-valid-until=no] http://deb.debian.org/debian sid main", suite: "sid" });
    if (source.kind !== "apt") throw new Error("unreachable");
    expect(renderAptSource(source)).toContain("\ndeb [check-valid-until=no] http://deb.debian.org/debian sid main\n");
    expect(renderAptPreferences(source)).toBe(
      "# Managed by ie-infra.\nPackage: *\nPin: release n=sid\nPin-Priority: 100\n\nPackage: apptainer\nPin: release n=sid\nPin-Priority: 990\n",
    );
  });

  it("pins an archive name by archive, and reads a .deb URL as a file to install", () => {
    const unstable = apptainerSource({ ...lab[0].spec, apptainerSource: "deb http://deb.debian.org/debian unstable main" });
    if (unstable.kind !== "apt") throw new Error("expected an apt source");
    expect(renderAptPreferences(unstable)).toContain("Pin: release a=unstable\n");
    expect(apptainerSource({ ...lab[0].spec, apptainerSource: "https://example.org/apptainer_1.4.5_amd64.deb" })).toEqual({
      kind: "deb",
      url: "https://example.org/apptainer_1.4.5_amd64.deb",
    });
  });
});
