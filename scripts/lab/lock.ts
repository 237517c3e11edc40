/**
 * One lab command changing the lab at a time (an `up` from a shell and one from the lab runner must not
 * interleave). The lock is a file holding the owner's PID; a lock whose owner is gone is taken over.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import * as path from "node:path";
import { runDir } from "./paths";

function lockPath(): string {
  return path.join(runDir(), "lock");
}

/** Take the lock or say who holds it. */
function acquire(what: string): void {
  mkdirSync(runDir(), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath(), "wx");
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const owner = Number(readFileSync(lockPath(), "utf8").trim());
    if (Number.isInteger(owner) && owner > 0 && processAlive(owner)) {
      throw new Error(`cannot ${what}: another lab command (pid ${owner}) is changing the lab; wait for it to finish`);
    }
    rmSync(lockPath(), { force: true });
  }
  throw new Error(`cannot ${what}: could not take the lab lock ${lockPath()}`);
}

/** Run `work` holding the lab lock; throws at once when another live process holds it. */
export async function withLabLock<T>(what: string, work: () => Promise<T>): Promise<T> {
  acquire(what);
  try {
    return await work();
  } finally {
    rmSync(lockPath(), { force: true });
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
