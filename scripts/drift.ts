/**
 * `npm run drift -- [STACK] [--json] [--key FILE] [--state FILE]`: configuration drift without the Pulumi CLI,
 * for admins, cron and CI. Computes every managed file of the stack from its inventory, reads each from its
 * host with the ManagedFile provider's own read (SSH, host key pinned), and prints per host and file what
 * differs: a unified diff for text, a digest for a file kept by sha256, never a secret's content. Values
 * generated at apply time (munge key, Ceph keys) come from `--state`: a `pulumi stack export --show-secrets`
 * file, or the lab's state. Exit status: 0 no drift, 1 drift, 2 bad usage or a stack
 * with errors, 3 no drift found but some hosts could not be reached (reported as such, not as drift).
 */
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { formatDiagnostic, hasErrors } from "../components/inventory/diagnostics";
import { loadStackFile } from "../components/inventory/load";
import { readRemoteDigest, readRemoteFile } from "../components/host/remoteFile";
import { SshPool, type SshTarget } from "../components/host/ssh";
import { collectManagedFiles, type WantedFile } from "./drift/collect";
import { compareFile, driftReport, formatReport, type FileReport, type HostReport } from "./drift/report";
import { loadStateSource } from "./drift/state";

const PROJECT_ROOT = path.resolve(__dirname, "..");

// Where the lab keeps its login key and its state (see scripts/lab/paths.ts): defaults for the lab stack only.
const LAB_KEY = ".lab/ssh/id_ed25519";
const LAB_STATE = ".lab/state/lab.json";

const USAGE = `usage: npm run drift -- [STACK] [--json] [--key FILE] [--state FILE]

Compares every file the stack manages (stacks/Pulumi.<STACK>.yaml, default ie) with what its host has.
  --json         the report as JSON (for cron and CI); secrets are never in it
  --key FILE     the SSH private key to log in with (default: the ssh-agent of SSH_AUTH_SOCK; for the
                 lab stack, the lab's own key)
  --state FILE   where values generated at apply time (munge key, Ceph keys) come from, so files made
                 from them are compared too: 'pulumi stack export -s STACK --show-secrets --file FILE'
                 (keep it private), or the lab runner's state (the default for the lab stack). Without
                 it such files are compared by mode and owner only.

Exit status: 0 no drift, 1 drift, 2 bad usage or a stack with errors, 3 no drift found but some hosts
could not be reached.
`;

class UsageError extends Error {}

function parse(argv: readonly string[]): { stack: string; json: boolean; key?: string; state?: string; help: boolean } {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: { json: { type: "boolean" }, key: { type: "string" }, state: { type: "string" }, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true,
    });
    if (positionals.length > 1) throw new UsageError(`one STACK at most, got ${positionals.join(" ")}`);
    return { stack: positionals[0] ?? "ie", json: values.json === true, key: values.key, state: values.state, help: values.help === true };
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

/** Reads one host's files; a host that cannot be reached is reported, not compared. */
async function checkHost(ssh: SshPool, name: string, target: SshTarget, wanted: readonly WantedFile[]): Promise<HostReport> {
  const files: FileReport[] = [];
  try {
    for (const file of wanted) {
      const observed = file.keep === "sha256" ? await readRemoteDigest(ssh, target, file.path) : await readRemoteFile(ssh, target, file.path, file.encoding);
      files.push(compareFile(name, file, observed));
    }
  } catch (err) {
    return { host: name, address: target.host, reachable: false, error: err instanceof Error ? err.message : String(err), files: [] };
  }
  return { host: name, address: target.host, reachable: true, files };
}

async function main(argv: readonly string[]): Promise<number> {
  const args = parse(argv);
  if (args.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const stackFile = path.join(PROJECT_ROOT, "stacks", `Pulumi.${args.stack}.yaml`);
  if (!existsSync(stackFile)) throw new UsageError(`no stack '${args.stack}': ${path.relative(process.cwd(), stackFile)} does not exist`);
  const { inventory, diagnostics } = loadStackFile(stackFile, { baseDir: PROJECT_ROOT, missingHostKeyFile: "error" });
  if (inventory === undefined || hasErrors(diagnostics)) {
    process.stderr.write(`${diagnostics.map(formatDiagnostic).join("\n")}\ndrift: the stack has errors; fix them first (npm run validate)\n`);
    return 2;
  }
  const isLab = args.stack === "lab";
  const keyFile = args.key ?? (isLab ? path.join(PROJECT_ROOT, LAB_KEY) : undefined);
  if (keyFile === undefined && !process.env.SSH_AUTH_SOCK) throw new UsageError("no way to log in: give --key FILE or run with an ssh-agent (SSH_AUTH_SOCK)");
  const privateKey = keyFile !== undefined ? readFileSync(keyFile, "utf8") : undefined;

  const stateFile = args.state ?? (isLab && existsSync(path.join(PROJECT_ROOT, LAB_STATE)) ? path.join(PROJECT_ROOT, LAB_STATE) : undefined);
  const state = stateFile !== undefined ? loadStateSource(stateFile) : undefined;
  const wanted = await collectManagedFiles({ projectRoot: PROJECT_ROOT, stack: args.stack, privateKey, state });
  const ssh = new SshPool();
  try {
    const hosts = await Promise.all(
      inventory.hosts.map((h) => {
        const files = wanted.filter((f) => f.connection.host === h.address);
        return checkHost(ssh, h.name, files[0]?.connection ?? { host: h.address, port: h.sshPort, user: h.sshUser, hostKey: h.hostKey }, files);
      }),
    );
    const report = driftReport(args.stack, hosts.filter((h) => h.files.length > 0 || !h.reachable));
    process.stdout.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
    return report.drift ? 1 : report.unreachable.length > 0 ? 3 : 0;
  } finally {
    ssh.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const usage = err instanceof UsageError;
    process.stderr.write(`drift: ${err instanceof Error ? err.message : String(err)}\n${usage ? `\n${USAGE}` : ""}`);
    process.exit(2);
  },
);
