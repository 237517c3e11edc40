/**
 * Where the lab keeps its things. Per clone: `.lab/` in the project root (git-ignored) holds the hosts'
 * root file systems, the lab's SSH key, pinned host keys, PID files and logs. Per machine: the base root
 * file system and the apt archive live outside the clone (`/var/cache/ie-infra-lab`, or `IE_LAB_CACHE`) so
 * that a fresh clone on the same machine does not bootstrap or download again.
 */
import * as path from "node:path";

/** The project root: the directory holding package.json and stacks/. */
export function projectRoot(): string {
  return path.resolve(__dirname, "..", "..");
}

/** The lab's state directory of this clone (`<project>/.lab`). */
export function labRoot(): string {
  return path.join(projectRoot(), ".lab");
}

/** The lab runner's record of what `lab apply` did (its checkpoint, as Pulumi's state is for `pulumi up`). */
export function labStatePath(): string {
  return path.join(labRoot(), "state", "lab.json");
}

/** The stack file that describes the lab's hosts. */
export function labStackPath(): string {
  return path.join(projectRoot(), "stacks", "Pulumi.lab.yaml");
}

/** The lab's root login key (private half; `.pub` beside it). Generated once, kept by `down`. */
export function labSshKeyPath(): string {
  return path.join(labRoot(), "ssh", "id_ed25519");
}

/** known_hosts pinning every lab host's ed25519 key, written by `up` from the keys it read back. */
export function labKnownHostsPath(): string {
  return path.join(labRoot(), "ssh", "known_hosts");
}

/** Where the lab makes its rental owners' SSH keys (`sshKey: file:.lab/userkeys/<owner>.pub` in the stacks). */
export function userKeysDir(): string {
  return path.join(labRoot(), "userkeys");
}

/** Where the lab pins the SSH host keys it reads back (`hostKey: file:.lab/hostkeys/<host>.pub` in the stacks). */
export function hostKeysDir(): string {
  return path.join(labRoot(), "hostkeys");
}

/** The default pinned key file of a host; a stack may name another file in hostKeysDir(). */
export function hostKeyPath(host: string): string {
  return path.join(hostKeysDir(), `${host}.pub`);
}

export function hostRootfsPath(host: string): string {
  return path.join(labRoot(), "hosts", host);
}

export function hostsDir(): string {
  return path.join(labRoot(), "hosts");
}

export function pidFilePath(host: string): string {
  return path.join(labRoot(), "run", `${host}.pid`);
}

export function runDir(): string {
  return path.join(labRoot(), "run");
}

/** What `up` noted about a host it booted (address, roles, GPUs, pinned key file, stack file): see registry.ts. */
export function hostRecordPath(host: string): string {
  return path.join(runDir(), `${host}.json`);
}

export function hostLogPath(host: string): string {
  return path.join(labRoot(), "log", `${host}.log`);
}

/** Machine-wide cache shared by every clone: base root file systems and the apt archive. */
export function labCacheDir(): string {
  return process.env.IE_LAB_CACHE ?? "/var/cache/ie-infra-lab";
}

/**
 * The apt archive bind-mounted into every host at /var/cache/apt/archives. `IE_LAB_APT_ARCHIVE` names
 * another one (the benchmark's fresh-machine apply boots its hosts on an empty archive this way).
 */
export function aptArchiveDir(): string {
  return process.env.IE_LAB_APT_ARCHIVE ?? path.join(labCacheDir(), "apt-archives");
}

/** Shell helpers shipped beside this module (run on this machine, not on the hosts). */
export function labScriptPath(name: string): string {
  return path.join(__dirname, name);
}
