/**
 * The ManagedFile provider on the engine's path, without the CLI: the `__provider` text is captured from the
 * program under the mock runtime in THIS checkout; the SDK's dynamic provider host runs in a SECOND checkout
 * (git clone of this working tree + `npm ci`), started as the CLI starts it; this test speaks the provider
 * protocol to it (Configure, Check, Create, Read, Diff, Update, Delete) against a real sshd on loopback.
 *
 * The clone holds the working tree as it is (a snapshot commit; see scripts/engine/checkout.ts), so uncommitted
 * work is what runs. Its `npm ci` takes most of this file's time.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BLOB_DIR } from "../../components/host/fileState";
import { ManagedFile, PROVIDER_BUNDLE, type ManagedFileArgs } from "../../components/host/managedFile";
import { PROJECT_ROOT } from "../../components/host/scripts";
import { secondCheckout, type SecondCheckout } from "../../scripts/engine/checkout";
import { managedFileUrn, startProviderHost, type ProviderHost, type Props } from "../../scripts/engine/providerHost";
import { applyResource, type StoredResource } from "../../scripts/engine/steps";
import { MANAGED_FILE, setUpMockStack, unwrapSecrets } from "../support/mocks";
import { freePort, startSshd, type TestSshd } from "../support/sshd";

let checkout: SecondCheckout;
let sshd: TestSshd;
let host: ProviderHost;
let agent: { socket: string; pid: number } | undefined;
const etc = (name: string): string => path.join(sshd.dir, "etc", name);

/** The inputs the program sends for these files, `__provider` included, as the engine would (secrets plain). */
async function programInputs(files: Record<string, ManagedFileArgs>): Promise<Record<string, Props>> {
  const stack = await setUpMockStack({ stack: "ie" });
  await stack.run(() => Object.entries(files).map(([name, args]) => new ManagedFile(name, args)));
  return Object.fromEntries(stack.ofType(MANAGED_FILE).map((r) => [r.name, unwrapSecrets(r.inputs) as Props]));
}

/** The message a call is rejected with, printed: what an admin would see from `pulumi up`. */
async function rejection(what: string, call: Promise<unknown>): Promise<string> {
  const message = await call.then(
    () => "(it succeeded)",
    (err: unknown) => (err instanceof Error ? err.message : String(err)),
  );
  console.log(`${what}: ${message}`);
  return message;
}

/** An ssh-agent holding the test's login key: the provider host finds it by SSH_AUTH_SOCK, never by an input. */
function startAgent(keyFile: string): { socket: string; pid: number } {
  const socket = path.join(sshd.dir, "agent.sock");
  const out = spawnSync("ssh-agent", ["-a", socket, "-s"], { encoding: "utf8" });
  const pid = Number(/SSH_AGENT_PID=(\d+)/.exec(out.stdout)?.[1]);
  const add = spawnSync("ssh-add", [keyFile], { env: { ...process.env, SSH_AUTH_SOCK: socket }, encoding: "utf8" });
  if (out.status !== 0 || add.status !== 0) throw new Error(`ssh-agent: ${out.stderr}${add.stderr}`);
  return { socket, pid };
}

beforeAll(async () => {
  sshd = await startSshd("engine-");
  const keyFile = path.join(sshd.dir, "client_key");
  agent = startAgent(keyFile);
  checkout = secondCheckout({ from: PROJECT_ROOT });
  console.log(`second checkout: ${checkout.commit.slice(0, 12)}, npm ci took ${checkout.npmCiSeconds.toFixed(0)} s`);
  host = await startProviderHost({ projectDir: checkout.dir, env: { ...process.env, SSH_AUTH_SOCK: agent.socket } });
  await host.configure();
}, 900_000);

afterAll(() => {
  host?.stop();
  if (agent) process.kill(agent.pid);
  sshd?.stop();
  checkout?.remove();
});

describe("the ManagedFile provider in the SDK's provider host, from a second checkout", () => {
  let conf: Props;
  let bundle: Props;
  let state: Props;

  beforeAll(async () => {
    const connection = sshd.target;
    const inputs = await programInputs({
      "lab1-file-slurm.conf": { connection, path: etc("slurm.conf"), content: "ClusterName=ie\n", mode: "0644", owner: "root:root" },
      "lab1-file-ie-podman": { connection, path: etc("ie-podman.cjs"), content: "#!/usr/bin/node\n" + "x".repeat(200_000), mode: "0755", owner: "root:root", keep: "sha256" },
    });
    conf = inputs["lab1-file-slurm.conf"];
    bundle = inputs["lab1-file-ie-podman"];
    // The program stages a digest-kept file in its project directory, where the provider then runs: here the
    // two are different checkouts, so the staged blob is carried over as `pulumi up` would find it.
    const blob = path.join(BLOB_DIR, String(bundle.sha256));
    fs.mkdirSync(path.join(checkout.dir, BLOB_DIR), { recursive: true });
    fs.copyFileSync(path.join(PROJECT_ROOT, blob), path.join(checkout.dir, blob));
  });

  it("serializes a provider that names no path of the checkout that wrote it", () => {
    const text = String(conf.__provider);
    expect(text).not.toContain(PROJECT_ROOT);
    expect(text).toContain(PROVIDER_BUNDLE);
    expect(fs.existsSync(path.join(checkout.dir, PROVIDER_BUNDLE))).toBe(true);
  });

  it("creates a file: Check, then Create", async () => {
    const urn = managedFileUrn("lab1-file-slurm.conf");
    const { inputs, failures } = await host.check(urn, {}, conf);
    expect(failures).toEqual([]);
    const created = await host.create(urn, inputs);
    expect(created.id).toBe(`127.0.0.1:${etc("slurm.conf")}`);
    expect(fs.readFileSync(etc("slurm.conf"), "utf8")).toBe("ClusterName=ie\n");
    expect(created.props.__provider).toBe(conf.__provider);
    state = created.props;
  });

  it("reads a hand edit back, Diff shows it, Update puts the file back", async () => {
    const urn = managedFileUrn("lab1-file-slurm.conf");
    fs.writeFileSync(etc("slurm.conf"), "ClusterName=ie\n# edited by hand\n");
    fs.chmodSync(etc("slurm.conf"), 0o600);
    const refreshed = await host.read(String(state.id ?? `127.0.0.1:${etc("slurm.conf")}`), urn, state);
    expect(refreshed.props).toMatchObject({ content: "ClusterName=ie\n# edited by hand\n", mode: "0600", observed: "file" });
    expect(await host.diff(refreshed.id, urn, refreshed.props, conf)).toEqual({ changes: "some", replaces: [], deleteBeforeReplace: false });
    const updated = await host.update(refreshed.id, urn, refreshed.props, conf);
    expect(fs.readFileSync(etc("slurm.conf"), "utf8")).toBe("ClusterName=ie\n");
    expect(fs.statSync(etc("slurm.conf")).mode & 0o7777).toBe(0o644);
    const again = await host.read(refreshed.id, urn, updated.props);
    expect(await host.diff(again.id, urn, again.props, conf)).toMatchObject({ changes: "none" });
  });

  it("keeps a large file by digest: uploads it, and a changed byte on the host shows as a changed sha256", async () => {
    const urn = managedFileUrn("lab1-file-ie-podman");
    const created = await host.create(urn, bundle);
    expect(fs.statSync(etc("ie-podman.cjs")).size).toBe(bundle.size);
    expect(JSON.stringify(created.props)).not.toContain("xxxxxxxx");
    fs.appendFileSync(etc("ie-podman.cjs"), "//");
    const refreshed = await host.read(created.id, urn, created.props);
    expect(refreshed.props.sha256).not.toBe(bundle.sha256);
    expect(await host.diff(created.id, urn, refreshed.props, bundle)).toMatchObject({ changes: "some", replaces: [] });
    await host.update(created.id, urn, refreshed.props, bundle);
    expect((await host.read(created.id, urn, bundle)).props.sha256).toBe(bundle.sha256);
  });

  it("refuses a host that presents another key, saying so, and writes nothing", async () => {
    const wrong = { ...conf, path: etc("never.conf"), connection: { ...sshd.target, hostKey: sshd.otherHostKey } };
    expect(await rejection("wrong host key", host.create(managedFileUrn("never"), wrong))).toMatch(/^Create: 127\.0\.0\.1:.*never\.conf: .*host key differs from the pinned key/);
    expect(fs.existsSync(etc("never.conf"))).toBe(false);
  });

  it("names the host that cannot be reached", async () => {
    const port = await freePort();
    const closed = { ...conf, connection: { ...sshd.target, port } };
    expect(await rejection("unreachable host", host.read("x", managedFileUrn("closed"), closed))).toMatch(new RegExp(`^Read: 127\\.0\\.0\\.1:.*slurm\\.conf: ssh root@127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`));
  });

  describe("a state written by the previous commit's provider (8162987)", () => {
    // Its text requires <checkout>/components/host/remoteFile by absolute path: only a .ts file is there.
    const oldText = (): string => fs.readFileSync(path.join(__dirname, "fixtures", "provider-8162987.js.txt"), "utf8").replaceAll("@CHECKOUT@", PROJECT_ROOT);
    const urn = managedFileUrn("lab1-file-gres.conf");
    let old: Props;

    beforeAll(() => {
      fs.writeFileSync(etc("gres.conf"), "Name=gpu Type=tesla\n");
      // As that version kept it: no `keep`, the login's agent socket in the connection (long gone).
      const { privateKey: _key, ...connection } = sshd.target;
      old = {
        connection: { ...connection, agentSocketPath: "/tmp/ssh-gone/agent.4242" },
        path: etc("gres.conf"), content: "Name=gpu Type=tesla\n", encoding: "utf8", mode: "0644", owner: "root:root", secret: false, observed: "file",
        __provider: oldText(),
      };
    });

    it("cannot be read with its own provider text: refresh fails naming the missing module", async () => {
      const message = await rejection("old state, its own provider text", host.read(`127.0.0.1:${etc("gres.conf")}`, urn, old));
      expect(message).toMatch(/^Read: Cannot find module '.*components\/host\/remoteFile'/);
    });

    it("is read by the current provider (agent from SSH_AUTH_SOCK, the stale socket path ignored)", async () => {
      const read = await host.read(`127.0.0.1:${etc("gres.conf")}`, urn, { ...old, __provider: conf.__provider });
      expect(read.props).toMatchObject({ content: "Name=gpu Type=tesla\n", mode: "0644", observed: "file" });
      expect(read.props.connection).not.toHaveProperty("agentSocketPath");
    });

    it("is carried forward by one update: Diff asks for it, Update stores the current provider text", async () => {
      const { privateKey: _key, ...connection } = sshd.target;
      const news = { ...conf, connection, path: etc("gres.conf"), content: "Name=gpu Type=tesla\n", __provider: conf.__provider };
      expect(await host.diff(`127.0.0.1:${etc("gres.conf")}`, urn, old, news)).toEqual({ changes: "some", replaces: [], deleteBeforeReplace: false });
      const updated = await host.update(`127.0.0.1:${etc("gres.conf")}`, urn, old, news);
      expect(updated.props.__provider).toBe(conf.__provider);
      expect((await host.read(`127.0.0.1:${etc("gres.conf")}`, urn, updated.props)).props).toMatchObject({ content: "Name=gpu Type=tesla\n" });
    });

    it("is deleted with its own provider text (its delete needs no module), leaving the file", async () => {
      await host.delete(`127.0.0.1:${etc("gres.conf")}`, urn, old);
      expect(fs.existsSync(etc("gres.conf"))).toBe(true);
    });
  });

  it("applies a file in the engine's order of calls: create, same, update after a hand edit, replace for a new path", async () => {
    const urn = managedFileUrn("lab1-file-motd");
    const motd = { ...conf, path: etc("motd"), content: "welcome\n" };
    const steps: string[] = [];
    let stored: StoredResource | undefined;
    const apply = async (news: Props): Promise<void> => {
      const result = await applyResource(host, urn, stored, news);
      steps.push(result.step);
      stored = result;
    };
    await apply(motd);
    await apply(motd);
    fs.writeFileSync(etc("motd"), "hacked\n");
    await apply(motd);
    expect(fs.readFileSync(etc("motd"), "utf8")).toBe("welcome\n");
    await apply({ ...motd, path: etc("motd.d/ie") });
    expect(steps).toEqual(["create", "same", "update", "replace"]);
    expect(fs.readFileSync(etc("motd.d/ie"), "utf8")).toBe("welcome\n");
    expect(stored?.id).toBe(`127.0.0.1:${etc("motd.d/ie")}`);
  });

  it("deletes a current file without touching the host", async () => {
    await host.delete(`127.0.0.1:${etc("slurm.conf")}`, managedFileUrn("lab1-file-slurm.conf"), state);
    expect(fs.readFileSync(etc("slurm.conf"), "utf8")).toBe("ClusterName=ie\n");
  });
});
