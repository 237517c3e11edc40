/**
 * Runs commands on hosts over SSH (ssh2), one connection per host reused for every command, with the host key
 * verified against the key pinned in the inventory: a host that presents another key is refused, as
 * `@pulumi/command` does with `connection.hostKey`. Used by the ManagedFile provider, `npm run drift` and the
 * lab runner, so all three reach hosts the same way.
 */
import { Client, type ConnectConfig, type ServerHostKeyAlgorithm } from "ssh2";

export interface SshTarget {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** Pinned public host key line (`ssh-ed25519 AAAA... [comment]`). */
  readonly hostKey: string;
  /** The private key's text; give this or `agentSocketPath`. */
  readonly privateKey?: string;
  /** An ssh-agent's socket holding the key (what `SSH_AUTH_SOCK` names). */
  readonly agentSocketPath?: string;
}

export interface ExecResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The base64 blob of an OpenSSH public key line: what ssh2 hands the host verifier, base64-encoded. */
export function keyBlob(publicKeyLine: string): string {
  const blob = publicKeyLine.trim().split(/\s+/)[1];
  if (!blob) throw new Error(`not an OpenSSH public key line: '${publicKeyLine}'`);
  return blob;
}

/** Tries of a command whose session sshd refused (all sessions of the connection busy). */
const CHANNEL_RETRIES = 20;

export class SshPool {
  private readonly clients = new Map<string, Promise<Client>>();

  /**
   * Runs `command` through the login shell, `stdin` fed and closed; never rejects on a non-zero exit. Rejects
   * when the command has not finished after `timeoutMs` (default 30 minutes), and forgets that connection,
   * so a channel that never closes cannot hang a whole apply.
   */
  async exec(target: SshTarget, command: string, stdin?: string | Buffer, timeoutMs = 30 * 60_000): Promise<ExecResult> {
    // sshd allows MaxSessions (10) sessions per connection and frees one a moment after its command ended:
    // a burst of short commands can find no free session. That refusal is retried; nothing ran yet.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.execOnce(target, command, stdin, timeoutMs);
      } catch (err) {
        if (!(err instanceof Error) || !/Channel open failure/i.test(err.message) || attempt >= CHANNEL_RETRIES) throw err;
        await new Promise((r) => setTimeout(r, 100 * attempt));
      }
    }
  }

  private async execOnce(target: SshTarget, command: string, stdin: string | Buffer | undefined, timeoutMs: number): Promise<ExecResult> {
    const client = await this.connect(target);
    return new Promise<ExecResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.forget(target);
        reject(new Error(`ssh ${target.user}@${target.host}:${target.port}: no answer after ${timeoutMs / 1000} s`));
      }, timeoutMs);
      client.exec(command, (err, stream) => {
        if (err) {
          clearTimeout(timer);
          return reject(new Error(`ssh ${target.user}@${target.host}:${target.port}: ${err.message}`));
        }
        const out: Buffer[] = [];
        const errOut: Buffer[] = [];
        let code = -1;
        stream.on("data", (d: Buffer) => out.push(d));
        stream.stderr.on("data", (d: Buffer) => errOut.push(d));
        stream.on("exit", (c: number | null, signal?: string) => {
          code = c ?? (signal ? 128 : -1);
        });
        stream.on("close", () => {
          clearTimeout(timer);
          resolve({ code, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(errOut).toString("utf8") });
        });
        stream.end(stdin ?? "");
      });
    });
  }

  /** Drops a connection (it is closed): the next command opens a new one. */
  forget(target: SshTarget): void {
    const key = poolKey(target);
    const pending = this.clients.get(key);
    this.clients.delete(key);
    void pending?.then((client) => client.end()).catch(() => undefined);
  }

  close(): void {
    for (const c of this.clients.values()) void c.then((client) => client.end()).catch(() => undefined);
    this.clients.clear();
  }

  private connect(target: SshTarget): Promise<Client> {
    const key = poolKey(target);
    let pending = this.clients.get(key);
    if (!pending) {
      const opened = openClient(target);
      pending = opened;
      // A failed or closed connection is not kept: the next command opens a new one.
      opened.then(
        (client) => client.on("close", () => this.clients.get(key) === opened && this.clients.delete(key)),
        () => this.clients.get(key) === opened && this.clients.delete(key),
      );
      this.clients.set(key, pending);
    }
    return pending;
  }
}

function poolKey(target: SshTarget): string {
  return `${target.user}@${target.host}:${target.port}`;
}

function openClient(target: SshTarget): Promise<Client> {
  const pinned = keyBlob(target.hostKey);
  if ((target.privateKey === undefined) === (target.agentSocketPath === undefined)) {
    return Promise.reject(new Error(`ssh ${target.user}@${target.host}:${target.port}: give exactly one of a private key and an agent socket`));
  }
  const config: ConnectConfig = {
    host: target.host,
    port: target.port,
    username: target.user,
    ...(target.privateKey !== undefined ? { privateKey: target.privateKey } : { agent: target.agentSocketPath }),
    // Ask for the pinned key's type, so a host with several keys presents the one we can verify.
    algorithms: { serverHostKey: [target.hostKey.trim().split(/\s+/)[0] as ServerHostKeyAlgorithm] },
    readyTimeout: 20_000,
    keepaliveInterval: 10_000,
    hostVerifier: (key: Buffer) => key.toString("base64") === pinned,
  };
  return new Promise<Client>((resolve, reject) => {
    const client = new Client();
    client
      .on("ready", () => resolve(client))
      .on("error", (err) =>
        reject(new Error(`ssh ${target.user}@${target.host}:${target.port}: ${err.message}` +
          (/verification/i.test(err.message) ? " (host key differs from the pinned key)" : ""))),
      )
      .connect(config);
  });
}
