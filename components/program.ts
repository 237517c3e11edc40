/**
 * The Pulumi program: read the stack's `ie:` configuration, validate it (the same loader as `npm run
 * validate`), build the EducationSystem and return what the stack reports. Problems in the stack file stop
 * the run with every problem listed (file:line: field: message), not a stack trace.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { SshCredentials } from "./host/host";
import { PROJECT_ROOT } from "./host/scripts";
import { formatDiagnostic, hasErrors } from "./inventory/diagnostics";
import { loadInventoryObject } from "./inventory/load";
import { SECRET_KEYS } from "./inventory/schema";
import { EducationSystem, type SystemOutputs } from "./system";

export type ProgramOutputs = SystemOutputs;

const NAMESPACE = "ie";

/**
 * Every `ie:` key except the secrets, parsed as the engine passed it (JSON for structured values). All
 * keys go to the loader, so a misspelt one (`ie:host`) is reported instead of silently ignored.
 */
function inventoryConfig(): Record<string, unknown> {
  const secret = new Set<string>(SECRET_KEYS);
  const raw: Record<string, unknown> = {};
  for (const [fullKey, text] of Object.entries(pulumi.runtime.allConfig())) {
    const [namespace, key] = fullKey.split(":", 2);
    if (namespace !== NAMESPACE || key === undefined || secret.has(key)) continue;
    try {
      raw[key] = JSON.parse(text);
    } catch {
      raw[key] = text; // a plain string: the schema says what was expected instead
    }
  }
  return raw;
}

/** The stack file's text, for line numbers in messages; absent when the stack's config lives elsewhere. */
function stackSource(stack: string): { text: string; fileName: string } | undefined {
  const fileName = path.join("stacks", `Pulumi.${stack}.yaml`);
  const full = path.join(PROJECT_ROOT, fileName);
  return fs.existsSync(full) ? { text: fs.readFileSync(full, "utf8"), fileName } : undefined;
}

function credentials(config: pulumi.Config): SshCredentials {
  const privateKey = config.getSecret("sshPrivateKey");
  if (privateKey !== undefined) return { privateKey };
  // Only checked here, never stored: the providers read SSH_AUTH_SOCK of their own process.
  if (process.env.SSH_AUTH_SOCK) return { sshAgent: true };
  throw new pulumi.RunError(
    "no way to log in to the hosts: either store the SSH key in the stack with " +
      "'pulumi config set --secret ie:sshPrivateKey < KEYFILE', or run Pulumi with an ssh-agent holding it " +
      "(SSH_AUTH_SOCK set)",
  );
}

/** Reads and validates the stack, then builds the system. Throws a RunError listing every problem. */
export function buildSystem(): EducationSystem {
  const stack = pulumi.getStack();
  const source = stackSource(stack);
  const { inventory, diagnostics } = loadInventoryObject(inventoryConfig(), source, {
    baseDir: PROJECT_ROOT,
    missingHostKeyFile: "error",
  });
  if (hasErrors(diagnostics) || inventory === undefined) {
    const where = source?.fileName ?? `the configuration of stack ${stack}`;
    throw new pulumi.RunError(
      `${where} has problems; nothing was changed:\n${diagnostics.map(formatDiagnostic).join("\n")}`,
    );
  }
  for (const d of diagnostics) pulumi.log.warn(formatDiagnostic(d));

  return new EducationSystem(NAMESPACE, { inventory, credentials: credentials(new pulumi.Config(NAMESPACE)) });
}

/** The program `pulumi up` runs: its result becomes the stack outputs. */
export function runProgram(): ProgramOutputs {
  return buildSystem().outputs;
}
