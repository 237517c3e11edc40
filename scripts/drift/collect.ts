/**
 * Every file a stack manages, computed from the inventory without the Pulumi CLI: the same program is
 * evaluated under the mock runtime as a preview (nothing runs anywhere), and each ManagedFile it declares is
 * recorded with its host, path, wanted content, mode and owner. Values generated at apply time (the munge
 * key) are unknown in a preview; where the lab runner's state holds them they are taken from it, otherwise
 * such a file's content is not compared (its mode and owner still are).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { MANAGED_FILE_TYPE, type ManagedFileState } from "../../components/host/managedFile";
import { loadState, resourceKey, type LabState } from "../lab/runner/state";
import { stackConfig, unwrapSecrets } from "../lab/runner/runtime";

const RANDOM_BYTES_TYPE = "random:index/randomBytes:RandomBytes";

/** One file as the stack wants it; `content` undefined when it depends on a value only the state holds. */
export interface WantedFile extends Omit<ManagedFileState, "content" | "observed"> {
  readonly resource: string;
  readonly content?: string;
}

export interface CollectOptions {
  readonly projectRoot: string;
  readonly stack: string;
  /** The private key the program's connections carry (as `ie:sshPrivateKey`); else SSH_AUTH_SOCK must be set. */
  readonly privateKey?: string;
  /** The lab runner's state, for values generated at apply time. */
  readonly labStatePath?: string;
}

function generatedValues(state: LabState | undefined, name: string): Record<string, unknown> {
  return (state?.resources[resourceKey(RANDOM_BYTES_TYPE, name)]?.outputs as Record<string, unknown> | undefined) ?? {};
}

export async function collectManagedFiles(opts: CollectOptions): Promise<WantedFile[]> {
  const state = opts.labStatePath ? loadState(opts.labStatePath) : undefined;
  const files: WantedFile[] = [];
  const mocks: pulumi.runtime.Mocks = {
    call: (args) => {
      throw new Error(`drift: the program called ${args.token}, which a preview cannot answer`);
    },
    newResource: (args) => {
      const inputs = args.inputs as Record<string, unknown>;
      if (args.type === RANDOM_BYTES_TYPE) return { id: `${args.name}_id`, state: { ...inputs, ...generatedValues(state, args.name) } };
      if (args.type === MANAGED_FILE_TYPE) {
        const file = unwrapSecrets(inputs) as ManagedFileState;
        const known = file.content !== pulumi.runtime.unknownValue;
        files.push({ ...file, resource: args.name, content: known ? file.content : undefined });
      }
      return { id: args.custom ? `${args.name}_id` : undefined, state: inputs };
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
