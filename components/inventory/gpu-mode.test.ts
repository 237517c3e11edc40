import { describe, expect, it } from "vitest";
import { containerGpuMode, containerGpuModes } from "./gpu-mode";
import { loadStackText } from "./load";

/** A stack with a Slurm GPU node that is a container host (g1), a container host with GPUs outside Slurm (c1). */
function stack(partition: string, containers = ""): ReturnType<typeof loadStackText> {
  return loadStackText(
    `config:
  ie:site:
    hostNetwork: 10.0.0.0/24
  ie:hosts:
    - { name: ctl, address: 10.0.0.10, hostKey: ssh-ed25519 AAAAC3NzaTEST, roles: [slurm-controller], cpus: 4, memory: 8GiB }
    - { name: g1, address: 10.0.0.21, hostKey: ssh-ed25519 AAAAC3NzaTEST, roles: [slurm-compute, container-host], cpus: 4, memory: 8GiB, gpus: { type: tesla, count: 2 } }
    - { name: c1, address: 10.0.0.22, hostKey: ssh-ed25519 AAAAC3NzaTEST, roles: [container-host], cpus: 4, memory: 8GiB, gpus: { type: tesla, count: 1 } }
    - { name: c2, address: 10.0.0.23, hostKey: ssh-ed25519 AAAAC3NzaTEST, roles: [container-host], cpus: 4, memory: 8GiB }
  ie:slurm:
    partitions:
      - ${partition}
  ie:containers: { ipPool: 10.89.0.0/22, storagePath: /srv/c, apptainerSource: "deb http://deb.debian.org/debian sid main"${containers} }
`,
    "stack.yaml",
  );
}

describe("the GPU mode of container hosts", () => {
  it("names each container host's mode: Slurm on a Slurm GPU node, ie-podman's ledger elsewhere", () => {
    const { inventory, diagnostics } = stack("{ name: gpu, nodes: [g1], default: true }");
    expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(containerGpuModes(inventory!)).toEqual(["g1: GPUs from Slurm (partition gpu, at most 1d)", "c1: GPUs from ie-podman's own ledger", "c2: no GPUs"]);
    expect(containerGpuMode(inventory!, inventory!.hosts[1])).toEqual({ kind: "slurm", node: "g1", partition: "gpu", gresType: "tesla", maxTimeSeconds: 86_400 });
  });

  it("defaults to the partition's maxTime when it is shorter than a day, and takes gpuMaxTime when set", () => {
    expect(containerGpuModes(stack("{ name: gpu, nodes: [g1], default: true, maxTime: 8h }").inventory!)[0]).toBe("g1: GPUs from Slurm (partition gpu, at most 8h)");
    expect(containerGpuModes(stack("{ name: gpu, nodes: [g1], default: true, maxTime: 8h }", ", gpuMaxTime: 90m").inventory!)[0]).toBe("g1: GPUs from Slurm (partition gpu, at most 90m)");
  });
});
