/**
 * `file:PATH` references of SSH public keys resolved to the key line they hold: hosts' `hostKey` (so that
 * every SSH connection pins a real key) and rentals' `sshKey` (the owner's login key, as a student handed it
 * in). The lab writes these files when it creates its hosts; production stacks usually inline the keys.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { error, type Diagnostic, type FieldPath, type Severity } from "./diagnostics";
import type { Inventory } from "./model";
import { SSH_PUBLIC_KEY_RE } from "./schema";

const FILE_PREFIX = "file:";

export interface ResolvedKeyFiles {
  /** The inventory with every readable `file:` key replaced by its key line. */
  readonly inventory: Inventory;
  readonly diagnostics: readonly Diagnostic[];
}

/** What a key file holds, for messages: whose key it is and who writes it. */
interface KeyKind {
  readonly noun: string;
  readonly hint: string;
}

const HOST_KEY: KeyKind = { noun: "host key", hint: "put the host's public key there (the lab writes it on 'npm run lab -- up')" };
const OWNER_KEY: KeyKind = { noun: "SSH key", hint: "put the owner's public key there (the lab makes its users' keys on 'npm run lab -- up')" };

/**
 * @param baseDir directory `file:` paths are relative to.
 * @param missingFile severity of a key file that does not exist yet.
 */
export function resolveKeyFiles(inventory: Inventory, baseDir: string, missingFile: Severity): ResolvedKeyFiles {
  const diagnostics: Diagnostic[] = [];
  const resolve = (value: string, where: FieldPath, kind: KeyKind): string => {
    if (!value.startsWith(FILE_PREFIX)) return value;
    const line = readKeyFile(value.slice(FILE_PREFIX.length), baseDir, where, kind, missingFile, diagnostics);
    return line ?? value;
  };
  const hosts = inventory.hosts.map((host, i) => ({ ...host, hostKey: resolve(host.hostKey, ["hosts", i, "hostKey"], HOST_KEY) }));
  const vms =
    inventory.vms === undefined
      ? undefined
      : { ...inventory.vms, rentals: inventory.vms.rentals.map((r, i) => ({ ...r, sshKey: resolve(r.sshKey, ["vms", "rentals", i, "sshKey"], OWNER_KEY) })) };
  return { inventory: { ...inventory, hosts, ...(vms !== undefined ? { vms } : {}) }, diagnostics };
}

/** The key line of a key file, or undefined (with a diagnostic) when it is missing or holds no key. */
function readKeyFile(
  relative: string,
  baseDir: string,
  where: FieldPath,
  kind: KeyKind,
  missingFile: Severity,
  diagnostics: Diagnostic[],
): string | undefined {
  const file = path.resolve(baseDir, relative);
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e: unknown) {
    const code = e instanceof Error && "code" in e ? String(e.code) : "";
    if (code === "ENOENT") {
      diagnostics.push({ severity: missingFile, path: where, message: `${kind.noun} file ${relative} does not exist (looked at ${file}): ${kind.hint}` });
    } else {
      diagnostics.push(error(where, `cannot read ${kind.noun} file ${file}: ${e instanceof Error ? e.message : String(e)}`));
    }
    return undefined;
  }
  const line = text.split("\n", 1)[0].trim();
  if (!SSH_PUBLIC_KEY_RE.test(line)) {
    diagnostics.push(error(where, `${relative} does not start with an OpenSSH public key line ('ssh-ed25519 AAAA...'): ${kind.hint}`));
    return undefined;
  }
  return line;
}
