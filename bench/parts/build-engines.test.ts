import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { BENCH_BASE, ML_PACKAGES, buildCommand, containerfile, rootlessVerdict, setupScript, type Engine } from "./build-engines";

const ENGINES: readonly Engine[] = ["ie-podman", "podman", "podman-rootless-vfs", "podman-rootless-overlay", "docker"];

describe("the build part's commands", () => {
  it("builds FROM the local base, installs the ML packages in one RUN and COPYs the code last", () => {
    const lines = containerfile().trim().split("\n");
    expect(lines[0]).toBe(`FROM ${BENCH_BASE}`);
    expect(lines[1]).toMatch(/^RUN apt-get update && /);
    for (const p of ML_PACKAGES) expect(lines[1]).toContain(p);
    // The COPY comes after the RUN, so a changed file reuses the RUN layer in a cached build.
    expect(lines[2]).toBe("COPY code/ /opt/code/");
  });

  it("passes --no-cache exactly to the cold builds, and keeps the rootless stores apart", () => {
    for (const engine of ENGINES) {
      expect(buildCommand(engine, "/ctx", true)).toContain("--no-cache");
      expect(buildCommand(engine, "/ctx", false)).not.toContain("--no-cache");
    }
    expect(buildCommand("podman-rootless-vfs", "/ctx", true)).toMatch(/--storage-driver=vfs .*--root=|--root=\S+vfs .*--storage-driver=vfs/);
    expect(buildCommand("podman-rootless-overlay", "/ctx", true)).toMatch(/--root=\S+overlay .*--storage-driver=overlay/);
    expect(buildCommand("ie-podman", "/home/alice/b", false)).toBe("cd /home/alice/b && ie-podman build -t bench-ml .");
  });

  it("is a shell script bash accepts", () => {
    for (const script of [setupScript(), ...ENGINES.map((e) => buildCommand(e, "/ctx", true))]) {
      expect(() => execFileSync("bash", ["-n", "-c", `set -euo pipefail\n${script}`])).not.toThrow();
    }
  });

  it("says where the report's rootless gap comes from, by the medians", () => {
    const each = (ieP: number, root: number, vfs: number, overlay: number, docker: number) =>
      ({ "ie-podman": ieP, podman: root, "podman-rootless-vfs": vfs, "podman-rootless-overlay": overlay, docker }) as const;
    const vfsGap = rootlessVerdict({ cold: each(30, 30, 41, 35, 32), cached: each(0.5, 0.22, 14.5, 0.36, 0.3) });
    expect(vfsGap).toContain("on vfs took 1.37× cold and 65.91× cached, on native overlay 1.17× cold and 1.64× cached");
    expect(vfsGap).toContain("comes from the vfs driver");
    const rootlessGap = rootlessVerdict({ cold: each(30, 30, 90, 80, 32), cached: each(0.5, 0.22, 14.5, 0.36, 0.3) });
    expect(rootlessGap).toContain("not vfs's alone");
  });
});

