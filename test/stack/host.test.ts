/**
 * The Host component on its own, under the mock runtime: the one place remote commands are made.
 */
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { Host, sha256, type HostArgs } from "../../components/host/host";
import type { HostSpec } from "../../components/inventory/model";
import { scriptCallOf } from "../support/commands";
import { MANAGED_FILE, setUpMockStack, unwrapSecrets, valueOf, type MockStack } from "../support/mocks";

const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEM98BUdAYvt2uMJAb58fmT4lz4bKs7vmO9ijfOORkZJ root@web1";

function spec(overrides: Partial<HostSpec> = {}): HostSpec {
  return {
    name: "web1",
    address: "10.10.0.50",
    sshUser: "root",
    sshPort: 22,
    hostKey: HOST_KEY,
    os: "ubuntu-24.04",
    roles: ["container-host"],
    cpus: 4,
    memory: 8 * 1024 ** 3,
    osds: [],
    drain: false,
    drainTimeout: 3600,
    force: false,
    ...overrides,
  };
}

const args = (overrides: Partial<HostArgs> = {}): HostArgs => ({
  spec: spec(),
  credentials: { privateKey: pulumi.secret("KEY") },
  users: [{ name: "alice", uid: 2001 }],
  ...overrides,
});

describe("Host", () => {
  let stack: MockStack;
  let host: Host;
  let hashes: { plain: string; plainSecret: boolean; secretSecret: boolean };
  const logError = vi.spyOn(pulumi.log, "error").mockImplementation(() => Promise.resolve());

  beforeAll(async () => {
    stack = await setUpMockStack({ stack: "ie" });
    await stack.run(() => {
      host = new Host("web1", args({ extraPackages: ["htop", "curl"] }));
      host.runScript("with-secret-arg", { script: "host/write-file.sh", args: [pulumi.secret("hunter2")] });
      host.runScript("lifecycle", {
        script: "slurm/daemon.sh",
        args: ["ensure-running", "slurmd"],
        updateScript: { script: "slurm/daemon.sh", args: ["restart", "slurmd"] },
        deleteScript: { script: "slurm/daemon.sh", args: ["stop", "slurmd"] },
        triggers: ["t1"],
      });
      host.runMovableScript(
        "workload-w1",
        { script: "slurm/daemon.sh", args: ["ensure-running", "w1"], deleteScript: { script: "slurm/daemon.sh", args: ["stop", "w1"] }, triggers: ["t2"] },
        { formerHosts: ["web1", "web2"] },
      );
      const plain = host.writeFile("motd", { path: "/etc/motd", content: "hello\n", mode: "0644", owner: "root:root" });
      const secret = host.writeFile("token", {
        path: "/etc/token",
        content: pulumi.secret("s3cret"),
        mode: "0600",
        owner: "root:root",
      });
      const checks = [valueOf(plain.contentHash), pulumi.isSecret(plain.contentHash), pulumi.isSecret(secret.contentHash)];
      return Promise.all(checks).then(([p, ps, ss]) => {
        hashes = { plain: String(p), plainSecret: ps === true, secretSecret: ss === true };
      });
    });
  });

  it("installs the OS family's base packages plus the extra ones, once each", () => {
    expect(scriptCallOf(stack.named("web1-base"))?.args).toEqual(["ca-certificates", "curl", "gnupg", "htop"]);
  });

  it("passes a user without a key as an empty key argument", () => {
    expect(scriptCallOf(stack.named("web1-users"))?.args).toEqual(["alice", "2001", ""]);
  });

  it("pins the host key without its comment", () => {
    expect(unwrapSecrets(stack.named("web1-base").inputs.connection)).toMatchObject({
      host: "10.10.0.50",
      hostKey: HOST_KEY.split(" ").slice(0, 2).join(" "),
      privateKey: "KEY",
    });
  });

  it("fails the deployment when a secret reaches a command line", () => {
    expect(logError).toHaveBeenCalledWith(expect.stringContaining("web1-with-secret-arg: a secret reached the command line"), host);
    expect(logError).toHaveBeenCalledTimes(1);
  });

  it("gives update and delete their own script calls and passes triggers on", () => {
    const r = stack.named("web1-lifecycle");
    expect(scriptCallOf(r, "update")?.args).toEqual(["restart", "slurmd"]);
    expect(scriptCallOf(r, "delete")?.args).toEqual(["stop", "slurmd"]);
    expect(r.inputs.triggers).toEqual(["t1"]);
  });

  it("names a movable command without the host, replaces it (old delete first) when the host changes, and adopts its host-named former names", () => {
    const r = stack.named("workload-w1");
    expect(r.inputs.triggers).toEqual(["web1", "t2"]);
    expect(r.options).toEqual({ deleteBeforeReplace: true, aliases: ["web1-workload-w1", "web2-workload-w1"] });
    expect(unwrapSecrets(r.inputs.connection)).toMatchObject({ host: "10.10.0.50" });
    expect(r.dependencies?.map((urn) => stack.byUrn(urn)?.name)).toEqual(expect.arrayContaining(["web1-users"]));
    expect(stack.named("web1-lifecycle").options).toEqual({ deleteBeforeReplace: false, aliases: [] });
  });

  it("keeps files as ManagedFiles on the pinned connection, secret content secret, and reports the content's hash", () => {
    const motd = stack.named("web1-file-motd", MANAGED_FILE);
    expect(motd.inputs).toMatchObject({ path: "/etc/motd", mode: "0644", owner: "root:root", content: "hello\n", encoding: "utf8" });
    expect(pulumi.runtime.isRpcSecret(motd.inputs.connection)).toBe(true);
    expect(unwrapSecrets(motd.inputs.connection)).toMatchObject({ host: "10.10.0.50", user: "root", hostKey: expect.stringMatching(/^ssh-ed25519 /) });
    expect(motd.dependencies?.map((urn) => stack.byUrn(urn)?.name)).toEqual(expect.arrayContaining(["web1-users"]));
    expect(pulumi.runtime.isRpcSecret(stack.named("web1-file-token", MANAGED_FILE).inputs.content)).toBe(true);
    expect(hashes).toEqual({ plain: sha256("hello\n"), plainSecret: false, secretSecret: true });
  });

  it("refuses unclear credentials, an unread host key file and rerunOn with stdin", () => {
    expect(() => new Host("a", args({ credentials: {} }))).toThrow(/exactly one of/);
    expect(() => new Host("b", args({ credentials: { privateKey: "k", sshAgent: true } }))).toThrow(/exactly one/);
    expect(() => new Host("c", args({ spec: spec({ hostKey: "file:.lab/hostkeys/c.pub" }) }))).toThrow(
      /host key is still 'file:.lab\/hostkeys\/c.pub'/,
    );
    expect(() => host.runScript("both", { script: "host/base.sh", stdin: "x", rerunOn: ["y"] })).toThrow(
      /cannot be combined with stdin/,
    );
  });
});
