/**
 * The users' guide in the production stack under the mock runtime: the same files on every host users log
 * in to and on no other, as ManagedFiles (drift shows an edited guide), the documents kept by digest, and on
 * a container host only once ie-podman is in place (the login message calls it).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { MANAGED_FILE, runProductionStack, unwrapSecrets, type MockStack, type RegisteredResource } from "../support/mocks";

let stack: MockStack;

beforeAll(async () => {
  stack = await runProductionStack();
}, 60_000);

const guideFiles = () => stack.ofType(MANAGED_FILE).filter((r) => /-file-guide-/.test(r.name));
const inputs = (r: RegisteredResource) => unwrapSecrets(r.inputs) as { path: string; mode: string; owner: string; keep?: string; content?: string };

describe("the users' guide", () => {
  it("is on every host users log in to (controller, compute and container hosts) and on no other", () => {
    const hosts = [...new Set(guideFiles().map((r) => r.name.split("-file-")[0]))].sort();
    expect(hosts).toEqual(["ctl1", "gpu1", "gpu2", "gpu3", "gpu4"]);
    expect(stack.ofType("ie:guide:UserGuide")).toHaveLength(5);
  });

  it("places the guide in both languages, ie-help and the login message as root-owned ManagedFiles", () => {
    const files = guideFiles().filter((r) => r.name.startsWith("gpu1-"));
    expect(files.map((r) => `${inputs(r).path} ${inputs(r).mode} ${inputs(r).owner} ${inputs(r).keep ?? "content"}`).sort()).toEqual([
      "/etc/profile.d/ie-guide.sh 0644 root:root content",
      "/usr/local/bin/ie-help 0755 root:root content",
      "/usr/local/lib/ie-guide/login-summary 0755 root:root content",
      "/usr/share/doc/ie-guide/en/guide.md 0644 root:root sha256",
      "/usr/share/doc/ie-guide/en/index.html 0644 root:root sha256",
      "/usr/share/doc/ie-guide/ja/guide.md 0644 root:root sha256",
      "/usr/share/doc/ie-guide/ja/index.html 0644 root:root sha256",
    ]);
    expect(inputs(stack.named("gpu1-file-guide-usr-local-bin-ie-help", MANAGED_FILE)).content).toMatch(/^#!\/bin\/bash\n/);
  });

  it("writes the login message on a container host only after ie-podman and its reaper are in place", () => {
    const reaper = stack.named("gpu1-containers-reaper");
    if (reaper.resolvedAt === undefined) throw new Error("the reaper's command never resolved");
    for (const r of guideFiles().filter((f) => f.name.startsWith("gpu1-"))) expect(r.registeredAt, r.name).toBeGreaterThan(reaper.resolvedAt);
  });
});
