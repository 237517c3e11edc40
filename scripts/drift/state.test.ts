/**
 * Where drift finds values generated at apply time: a `pulumi stack export --show-secrets` file or the lab's
 * state, behind one interface; and the files of the ie stack made from them, compared in full once a state is given.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../components/host/scripts";
import { FAKE_SSH_PRIVATE_KEY } from "../../test/support/mocks";
import { collectManagedFiles } from "./collect";
import { loadStateSource } from "./state";

const RANDOM = "random:index/randomBytes:RandomBytes";
const SIG = "4dabf18193072939515e22adb298388d";
const MUNGE = Buffer.alloc(1024, 7).toString("base64");

/** What `pulumi stack export --show-secrets` writes for the munge key: the secret as JSON text in `plaintext`. */
const exported = {
  version: 3,
  deployment: {
    resources: [
      {
        urn: `urn:pulumi:ie::ie-infra::ie:system:EducationSystem$${RANDOM}::munge-key`,
        type: RANDOM,
        custom: true,
        outputs: { length: 1024, base64: { [SIG]: "1b47061264138c4ac30d75fd1eb44270", plaintext: JSON.stringify(MUNGE) } },
      },
    ],
  },
};

function write(doc: unknown): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "drift-state-")), "state.json");
  fs.writeFileSync(file, JSON.stringify(doc), { mode: 0o600 });
  return file;
}

describe("loadStateSource", () => {
  it("reads a Pulumi export with its secrets shown", () => {
    expect(loadStateSource(write(exported)).outputsOf(RANDOM, "munge-key")).toEqual({ length: 1024, base64: MUNGE });
  });

  it("refuses an export whose secrets are encrypted, saying how to export", () => {
    const encrypted = structuredClone(exported);
    encrypted.deployment.resources[0].outputs.base64 = { [SIG]: "1b47061264138c4ac30d75fd1eb44270", ciphertext: "v1:abc" } as never;
    const source = loadStateSource(write(encrypted));
    expect(() => source.outputsOf(RANDOM, "munge-key")).toThrow(/--show-secrets/);
  });

  it("reads the lab runner's state", () => {
    const lab = { version: 1, resources: { [`${RANDOM}::munge-key`]: { outputs: { base64: MUNGE } } } };
    expect(loadStateSource(write(lab)).outputsOf(RANDOM, "munge-key")).toEqual({ base64: MUNGE });
  });

  it("says what a file of another kind is not", () => {
    expect(() => loadStateSource(write({ hello: 1 }))).toThrow(/neither a 'pulumi stack export --show-secrets' file nor a lab state/);
  });
});

describe("collectManagedFiles with a Pulumi export", () => {
  it("knows the munge key file's content from the state, and not without it", async () => {
    const opts = { projectRoot: PROJECT_ROOT, stack: "ie", privateKey: FAKE_SSH_PRIVATE_KEY };
    const withState = await collectManagedFiles({ ...opts, state: loadStateSource(write(exported)) });
    const key = withState.find((f) => f.resource === "gpu1-file-munge.key");
    expect(key).toMatchObject({ keep: "content", content: MUNGE, encoding: "base64", secret: true });
    const bundle = withState.find((f) => f.resource === "gpu1-file-ie-podman-program");
    expect(bundle).toMatchObject({ keep: "sha256", size: expect.any(Number) });
    const without = await collectManagedFiles(opts);
    expect(without.find((f) => f.resource === "gpu1-file-munge.key")).toMatchObject({ content: undefined });
  });
});
