/** Users by uid, from the passwd database (getent): for audit lines and status files written for an owner. */
import { spawnSync } from "node:child_process";
import { type PasswdEntry, parsePasswdLine } from "./caller";

/** The passwd entry of `uid` (getent), if the passwd database knows it. */
export function passwdOf(uid: number): PasswdEntry | undefined {
  const r = spawnSync("getent", ["passwd", "--", String(uid)], { encoding: "utf8" });
  return r.status === 0 ? parsePasswdLine(r.stdout) : undefined;
}

/** The user name of `uid`, or `uid N` when the passwd database does not know it. */
export function userName(uid: number): string {
  return passwdOf(uid)?.name ?? `uid ${uid}`;
}
