/**
 * Every file a stack manages, computed from the inventory without the Pulumi CLI: the same program is
 * evaluated under the mock runtime as a preview (nothing runs anywhere), and each ManagedFile it declares is
 * recorded with its host, path, wanted content (or digest), mode and owner. Values generated at apply time
 * (the munge key, Ceph keys) are unknown in a preview; a state (`--state`: a Pulumi export or the lab's state)
 * supplies them, otherwise such a file's content is not compared (its mode and owner still are).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { normalState, type ContentFileState, type DigestFileState } from "../../components/host/fileState";
import { MANAGED_FILE_TYPE } from "../../components/host/managedFile";
import { stackConfig, unwrapSecrets } from "../stack/runtime";
import type { StateSource } from "./state";

const RANDOM_BYTES_TYPE = "random:index/randomBytes:RandomBytes";

/** One file as the stack wants it; a content-kept file's `content` is undefined when only a state holds it. */
export type WantedFile =
  | (Omit<ContentFileState, "content" | "observed"> & { readonly resource: string; readonly content?: string })
  | (Omit<DigestFileState, "observed"> & { readonly resource: string });

export interface CollectOptions {
  readonly projectRoot: string;
  readonly stack: string;
  /** The private key the program's connections carry (as `ie:sshPrivateKey`); else the ssh-agent is used. */
  readonly privateKey?: string;
  /** Where values generated at apply time come from. Defaults to none: such content is not compared. */
  readonly state?: StateSource;
}

/** A preview leaves values generated at apply time unknown (or out of the inputs altogether). */
function isKnown(value: unknown): value is string {
  return typeof value === "string" && value !== pulumi.runtime.unknownValue;
}

function wantedFile(name: string, inputs: Record<string, unknown>): WantedFile {
  if (inputs.keep === "sha256" && !isKnown(inputs.sha256)) inputs = { ...inputs, keep: "content" };
  const known = isKnown(inputs.content);
  const { observed: _observed, ...file } = normalState({ ...inputs, content: known ? inputs.content : "" });
  return file.keep === "sha256" ? { ...file, resource: name } : { ...file, resource: name, content: known ? file.content : undefined };
}

export async function collectManagedFiles(opts: CollectOptions): Promise<WantedFile[]> {
  const files: WantedFile[] = [];
  const mocks: pulumi.runtime.Mocks = {
    call: (args) => {
      throw new Error(`drift: the program called ${args.token}, which a preview cannot answer`);
    },
    newResource: (args) => {
      const inputs = args.inputs as Record<string, unknown>;
      if (args.type === MANAGED_FILE_TYPE) files.push(wantedFile(args.name, unwrapSecrets(inputs) as Record<string, unknown>));
      // Only generated values come from the state: everything else is what the program wants now.
      const generated = args.type === RANDOM_BYTES_TYPE ? opts.state?.outputsOf(args.type, args.name) : undefined;
      return { id: args.custom ? `${args.name}_id` : undefined, state: { ...inputs, ...generated } };
    },
  };
  await pulumi.runtime.setMocks(mocks, "ie-infra", opts.stack, true);
  const stackFile = join(opts.projectRoot, "stacks", `Pulumi.${opts.stack}.yaml`);
  const config = stackConfig(readFileSync(stackFile, "utf8"));
  if (opts.privateKey !== undefined) config["ie:sshPrivateKey"] = opts.privateKey;
  pulumi.runtime.setAllConfig(config, opts.privateKey !== undefined ? ["ie:sshPrivateKey"] : []);
  const cwd = process.cwd();
  process.chdir(opts.projectRoot);
  try {
    const { runProgram } = await import("../../components/program");
    runProgram();
    await pulumi.runtime.disconnect();
  } finally {
    process.chdir(cwd);
  }
  return files;
}
