/** Option parsing for the verbs other than run/exec (whose options are the policy's): node's parseArgs. */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { UsageError } from "./context";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** Parses `argv` strictly; an unknown or malformed option is a UsageError naming it and the verb. */
export function verbArgs<O extends Options>(verb: string, argv: readonly string[], options: O) {
  try {
    return parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(`ie-podman ${verb}: ${(e as Error).message.replace(/\. To specify a positional argument.*$/s, "")} (ie-podman ${verb} --help)`);
  }
}
