/**
 * `hostKey: file:PATH` references resolved to the key line they hold, so that every SSH connection pins a
 * real key. The lab writes these files when it creates its hosts; production stacks usually inline the key.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { error, type Diagnostic, type Severity } from "./diagnostics";
import type { HostSpec, Inventory } from "./model";
import { SSH_PUBLIC_KEY_RE } from "./schema";

const FILE_PREFIX = "file:";

export interface ResolvedHostKeys {
  /** The inventory with every readable `file:` host key replaced by its key line. */
  readonly inventory: Inventory;
  readonly diagnostics: readonly Diagnostic[];
}

/**
 * @param baseDir directory `file:` paths are relative to.
 * @param missingFile severity of a key file that does not exist yet.
 */
export function resolveHostKeys(inventory: Inventory, baseDir: string, missingFile: Severity): ResolvedHostKeys {
  const diagnostics: Diagnostic[] = [];
  const hosts = inventory.hosts.map((host, i): HostSpec => {
    if (!host.hostKey.startsWith(FILE_PREFIX)) return host;
    const where = ["hosts", i, "hostKey"];
    const relative = host.hostKey.slice(FILE_PREFIX.length);
    const file = path.resolve(baseDir, relative);
    let text: string;
    try {
      text = fs.readFileSync(file, "utf8");
    } catch (e: unknown) {
      const code = e instanceof Error && "code" in e ? String(e.code) : "";
      if (code === "ENOENT") {
        diagnostics.push({
          severity: missingFile,
          path: where,
          message: `host key file ${relative} does not exist (looked at ${file}): put the host's public key there (the lab writes it on 'npm run lab -- up')`,
        });
      } else {
        diagnostics.push(
          error(where, `cannot read host key file ${file}: ${e instanceof Error ? e.message : String(e)}`),
        );
      }
      return host;
    }
    const line = text.split("\n", 1)[0].trim();
    if (!SSH_PUBLIC_KEY_RE.test(line)) {
      diagnostics.push(
        error(
          where,
          `${relative} does not start with an OpenSSH public key line ('ssh-ed25519 AAAA...'): write the host's key there`,
        ),
      );
      return host;
    }
    return { ...host, hostKey: line };
  });
  return { inventory: { ...inventory, hosts }, diagnostics };
}
