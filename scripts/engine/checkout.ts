/**
 * A second checkout of the project, made as an admin or a CI runner makes one: `git clone`, then `npm ci`
 * (whose `prepare` script builds the compiled providers). The engine-faithful tests run the provider host in it,
 * so nothing of the first checkout (its path, its `dist/`, its TypeScript) can leak into what they prove.
 *
 * What is cloned is the working tree as it is, committed or not: a snapshot commit made with a scratch index
 * (`git add -A` there, `git write-tree`, `git commit-tree`). It touches neither the branch, the index nor any
 * ref of the first checkout; the clone fetches it by its hash.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export interface SecondCheckout {
  readonly dir: string;
  /** The commit checked out: the snapshot of the first checkout's working tree. */
  readonly commit: string;
  /** Seconds `npm ci` took. */
  readonly npmCiSeconds: number;
  remove(): void;
}

export interface CheckoutOptions {
  /** The first checkout. */
  readonly from: string;
  /** Extra arguments of `npm ci`. Defaults to `--prefer-offline --no-audit --no-fund` (the npm cache is warm). */
  readonly npmCiArgs?: readonly string[];
}

function run(cmd: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  const r = spawnSync(cmd, args, { cwd, env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} (in ${cwd}) failed (${r.status ?? r.signal}): ${r.stderr || r.stdout}`);
  return r.stdout.trim();
}

/** A commit of the working tree as it is (tracked and untracked files that git does not ignore). */
export function snapshotCommit(repo: string): string {
  const index = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "engine-index-")), "index");
  try {
    fs.copyFileSync(path.resolve(repo, run("git", ["rev-parse", "--git-path", "index"], repo)), index);
    const env = { ...process.env, GIT_INDEX_FILE: index };
    run("git", ["add", "-A"], repo, env);
    const tree = run("git", ["write-tree"], repo, env);
    return run("git", ["commit-tree", tree, "-p", "HEAD", "-m", "engine harness: snapshot of the working tree"], repo);
  } finally {
    fs.rmSync(path.dirname(index), { recursive: true, force: true });
  }
}

/** Clones the first checkout's working tree into a temporary directory and runs `npm ci` there. */
export function secondCheckout(opts: CheckoutOptions): SecondCheckout {
  const commit = snapshotCommit(opts.from);
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), "engine-checkout-"));
  const dir = path.join(parent, "ie-infra");
  try {
    run("git", ["clone", "--quiet", "--no-checkout", opts.from, dir], parent);
    run("git", ["fetch", "--quiet", "origin", commit], dir);
    run("git", ["checkout", "--quiet", "--detach", commit], dir);
    const started = Date.now();
    run("npm", ["ci", ...(opts.npmCiArgs ?? ["--prefer-offline", "--no-audit", "--no-fund"])], dir);
    return { dir, commit, npmCiSeconds: (Date.now() - started) / 1000, remove: () => fs.rmSync(parent, { recursive: true, force: true }) };
  } catch (err) {
    fs.rmSync(parent, { recursive: true, force: true });
    throw err;
  }
}
