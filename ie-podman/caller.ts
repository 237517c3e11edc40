/**
 * Who is asking. ie-podman runs as root through sudo; the caller is the real user sudo names in
 * SUDO_UID / SUDO_GID (set by sudo itself, after env_reset, so a user cannot forge them), looked up in
 * the passwd database for the name and the home directory. Without sudo, root is the admin (the reaper's
 * timer); a user without root is sent through sudo.
 */

/** Who runs ie-podman: the real caller, as sudo reports it, never a value the user typed. */
export interface Caller {
  readonly uid: number;
  readonly gid: number;
  readonly user: string;
  /** The caller's home: the only host path a container may bind. */
  readonly home: string;
}

export interface PasswdEntry {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
}

/** One line of `getent passwd` (name:x:uid:gid:gecos:home:shell). */
export function parsePasswdLine(line: string): PasswdEntry | undefined {
  const f = line.trim().split(":");
  if (f.length < 7 || !/^\d+$/.test(f[2]) || !/^\d+$/.test(f[3])) return undefined;
  return { name: f[0], uid: Number(f[2]), gid: Number(f[3]), home: f[5] };
}

export type Identity = { readonly kind: "user"; readonly caller: Caller } | { readonly kind: "admin" } | { readonly kind: "unprivileged" };

/**
 * The identity of this process: `user` when root through sudo for a non-root user, `admin` when root
 * without sudo (or sudo from root), `unprivileged` when not root at all (the CLI then re-runs through sudo).
 */
export function identify(euid: number, env: NodeJS.ProcessEnv, lookup: (uid: number) => PasswdEntry | undefined): Identity {
  if (euid !== 0) return { kind: "unprivileged" };
  const sudoUid = env.SUDO_UID;
  if (sudoUid === undefined) return { kind: "admin" };
  if (!/^\d+$/.test(sudoUid) || !/^\d+$/.test(env.SUDO_GID ?? "")) throw new Error(`sudo gave SUDO_UID='${sudoUid}' SUDO_GID='${env.SUDO_GID ?? ""}': not numeric`);
  const uid = Number(sudoUid);
  if (uid === 0) return { kind: "admin" };
  const entry = lookup(uid);
  if (entry === undefined) throw new Error(`uid ${uid} has no passwd entry: ie-podman serves the department's users only`);
  if (entry.uid < 1000) throw new Error(`uid ${uid} (${entry.name}) is a system account: ie-podman serves the department's users only`);
  return { kind: "user", caller: { uid, gid: Number(env.SUDO_GID), user: entry.name, home: entry.home } };
}
