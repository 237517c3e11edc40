/**
 * SSH into lab hosts the way the stack will: as root with the lab's own key, host keys pinned in the lab's
 * known_hosts (`StrictHostKeyChecking=yes`), no user or system ssh configuration in the way.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { run, runAsync, type RunResult } from "./exec";
import { labKnownHostsPath, labSshKeyPath, projectRoot } from "./paths";

/** The lab's login key pair, generated once (kept by `down`); returns the public key line. */
export function ensureLabKey(): string {
  const key = labSshKeyPath();
  if (!existsSync(key)) {
    mkdirSync(path.dirname(key), { recursive: true, mode: 0o700 });
    run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "ie-lab", "-f", key]);
  }
  return readFileSync(`${key}.pub`, "utf8").trim();
}

/**
 * The rental owners' key pairs the plan names, made when missing (`<file without .pub>` is the private
 * half); returns the files it made.
 */
export function ensureOwnerKeys(keys: readonly { readonly owner: string; readonly file: string }[]): string[] {
  const made: string[] = [];
  for (const { owner, file } of keys) {
    const absolute = path.resolve(projectRoot(), file);
    if (existsSync(absolute)) continue;
    const privateKey = absolute.replace(/\.pub$/, "");
    mkdirSync(path.dirname(absolute), { recursive: true, mode: 0o700 });
    rmSync(privateKey, { force: true });
    run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", `${owner}@lab`, "-f", privateKey]);
    made.push(file);
  }
  return made;
}

/** Options shared by every lab ssh: the lab key only, pinned host keys only, no configuration files. */
export function labSshOptions(connectTimeoutSeconds = 5): string[] {
  return [
    "-F",
    "/dev/null",
    "-i",
    labSshKeyPath(),
    "-o",
    "IdentitiesOnly=yes",
    "-o",
    `UserKnownHostsFile=${labKnownHostsPath()}`,
    "-o",
    "GlobalKnownHostsFile=/dev/null",
    "-o",
    "StrictHostKeyChecking=yes",
    "-o",
    "HostKeyAlgorithms=ssh-ed25519",
    "-o",
    `ConnectTimeout=${connectTimeoutSeconds}`,
    "-o",
    "LogLevel=ERROR",
  ];
}

/** Quote one word for a POSIX shell (left bare when it has nothing special). */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The command line the remote shell runs. One word is a shell command line as the user wrote it
 * (`ssh lab1 'ls | wc -l'`); several words are an argument vector, each quoted so that it arrives intact
 * (`ssh lab1 bash -c 'echo $HOSTNAME'`).
 */
export function remoteCommandLine(words: readonly string[]): string {
  if (words.length === 1) return words[0];
  return words.map(shellQuote).join(" ");
}

/** ssh arguments to run `words` on a host (`batch`: never prompt; no words: an interactive login). */
export function labSshArgs(address: string, words: readonly string[], batch = true, connectTimeoutSeconds = 5): string[] {
  const args = [...labSshOptions(connectTimeoutSeconds)];
  if (batch) args.push("-o", "BatchMode=yes");
  if (words.length === 0) args.push("-t");
  args.push(`root@${address}`);
  if (words.length > 0) args.push("--", remoteCommandLine(words));
  return args;
}

/** Run a command on a host and collect its output; resolves with the exit status, never rejects. */
export function sshRun(address: string, words: readonly string[], timeoutMs = 30_000, connectTimeoutSeconds = 5): Promise<RunResult> {
  return runAsync("ssh", labSshArgs(address, words, true, connectTimeoutSeconds), timeoutMs);
}

export interface PinnedHostKey {
  readonly name: string;
  readonly address: string;
  /** `ssh-ed25519 AAAA...` (a trailing comment is dropped). */
  readonly key: string;
}

/** known_hosts text pinning each host's key under its address and its name. */
export function renderKnownHosts(keys: readonly PinnedHostKey[]): string {
  return keys.map((k) => `${k.address},${k.name} ${k.key.trim().split(/\s+/).slice(0, 2).join(" ")}\n`).join("");
}

export function writeKnownHosts(keys: readonly PinnedHostKey[]): void {
  mkdirSync(path.dirname(labKnownHostsPath()), { recursive: true, mode: 0o700 });
  writeFileSync(labKnownHostsPath(), renderKnownHosts(keys));
}

/** known_hosts text without the lines that pin a host (by its name, or its address when given). */
export function knownHostsWithout(text: string, name: string, address?: string): string {
  const names = (line: string): string[] => (line.split(/\s+/)[0] ?? "").split(",");
  const lines = text.split("\n").filter((line) => {
    const pinned = names(line);
    return !(pinned.includes(name) || (address !== undefined && pinned.includes(address)));
  });
  return lines.join("\n");
}
