/**
 * Runs commands on hosts over SSH (ssh2), one connection per host reused for every command, with the host key
 * verified against the key pinned in the inventory: a host that presents another key is refused, as
 * `@pulumi/command` does with `connection.hostKey`. Used by the ManagedFile provider, `npm run drift` and the
 * lab runner, so all three reach hosts the same way.
 *
 * Built for a refresh storm: the engine reads every file of a host at once, and sshd's default
 * `MaxStartups 10:30:100` drops handshakes beyond 10 in flight. So a pool opens at most `connectionsPerHost`
 * connections to one host, at most `handshakesPerHost` handshakes to one host are in flight per process, a
 * handshake the host dropped is retried with bounded exponential backoff, and a connection carries at most
 * `sessionsPerConnection` commands at once (sshd's `MaxSessions` is 10); more commands wait their turn.
 */
import { Client, type ConnectConfig, type ServerHostKeyAlgorithm } from "ssh2";
import { Semaphore } from "./semaphore";

export interface SshTarget {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** Pinned public host key line (`ssh-ed25519 AAAA... [comment]`). */
  readonly hostKey: string;
  /**
   * The private key's text. Defaults to the ssh-agent that `SSH_AUTH_SOCK` names in the process that connects,
   * read when it connects: a per-login socket path never belongs in a resource's inputs.
   */
  readonly privateKey?: string;
}

export interface ExecResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface SshPoolOptions {
  /** Connections this pool keeps open to one host (user, address, port, key) at once. Defaults to 4. */
  readonly connectionsPerHost?: number;
  /** Handshakes in flight to one host (address and port) at once, shared by every pool of the process. Defaults to 4. */
  readonly handshakesPerHost?: number;
  /** Commands running at once on one connection; sshd refuses sessions beyond its MaxSessions (10). Defaults to 8. */
  readonly sessionsPerConnection?: number;
  /** Tries of a handshake the host dropped (reset, lost before handshake, timed out). Defaults to 6. */
  readonly handshakeTries?: number;
  /** Close a connection that ran no command for this long, in ms. Defaults to never (until `close()`). */
  readonly idleMs?: number;
}

/** The base64 blob of an OpenSSH public key line: what ssh2 hands the host verifier, base64-encoded. */
export function keyBlob(publicKeyLine: string): string {
  const blob = publicKeyLine.trim().split(/\s+/)[1];
  if (!blob) throw new Error(`not an OpenSSH public key line: '${publicKeyLine}'`);
  return blob;
}

/** `user@host:port`: how messages name a target. */
export function targetName(target: SshTarget): string {
  return `${target.user}@${target.host}:${target.port}`;
}

/** Tries of a command whose session sshd refused (all sessions of the connection busy). */
const CHANNEL_RETRIES = 20;

/**
 * Failures of a handshake that a second try can cure: sshd over MaxStartups closes or resets new connections
 * before its banner, a loaded host times out. Not cured: a refused port, a wrong host key, a refused login.
 */
export function isTransientHandshakeError(message: string): boolean {
  return /Connection lost before handshake|ECONNRESET|ETIMEDOUT|EPIPE|Timed out while waiting for handshake|socket hang up/i.test(message);
}

/** Backoff before try `attempt + 1`: 250 ms doubling, at most 4 s, with jitter so retries do not collide again. */
export function handshakeBackoffMs(attempt: number, random: number = Math.random()): number {
  return Math.min(4000, 250 * 2 ** (attempt - 1)) * (0.5 + random / 2);
}

// Per process, not per pool: the provider host, drift and the lab runner each run in one process.
const handshakeGates = new Map<string, Semaphore>();

function handshakeGate(target: SshTarget, limit: number): Semaphore {
  const key = `${target.host}:${target.port}`;
  let gate = handshakeGates.get(key);
  if (!gate) {
    gate = new Semaphore(limit);
    handshakeGates.set(key, gate);
  }
  return gate;
}

interface Connection {
  readonly client: Promise<Client>;
  readonly sessions: Semaphore;
  active: number;
  idleTimer?: NodeJS.Timeout;
}

export class SshPool {
  private readonly connections = new Map<string, Connection[]>();
  private readonly opts: Required<Omit<SshPoolOptions, "idleMs">> & { readonly idleMs?: number };

  constructor(opts: SshPoolOptions = {}) {
    this.opts = {
      connectionsPerHost: opts.connectionsPerHost ?? 4,
      handshakesPerHost: opts.handshakesPerHost ?? 4,
      sessionsPerConnection: opts.sessionsPerConnection ?? 8,
      handshakeTries: opts.handshakeTries ?? 6,
      idleMs: opts.idleMs,
    };
  }

  /**
   * Runs `command` through the login shell, `stdin` fed and closed; never rejects on a non-zero exit. Rejects
   * when the command has not finished after `timeoutMs` (default 30 minutes), and forgets that connection,
   * so a channel that never closes cannot hang a whole apply.
   */
  async exec(target: SshTarget, command: string, stdin?: string | Buffer, timeoutMs = 30 * 60_000): Promise<ExecResult> {
    // sshd frees a session a moment after its command ended: a burst of short commands can find no free
    // session even below MaxSessions. That refusal is retried; nothing ran yet.
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
    const connection = this.connect(target);
    connection.active++;
    clearTimeout(connection.idleTimer);
    try {
      const client = await connection.client;
      return await connection.sessions.with(() => this.run(target, connection, client, command, stdin, timeoutMs));
    } finally {
      connection.active--;
      this.scheduleIdleClose(target, connection);
    }
  }

  private run(target: SshTarget, connection: Connection, client: Client, command: string, stdin: string | Buffer | undefined, timeoutMs: number): Promise<ExecResult> {
    return new Promise<ExecResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.drop(target, connection);
        reject(new Error(`ssh ${targetName(target)}: no answer after ${timeoutMs / 1000} s`));
      }, timeoutMs);
      client.exec(command, (err, stream) => {
        if (err) {
          clearTimeout(timer);
          return reject(new Error(`ssh ${targetName(target)}: ${err.message}`));
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

  private scheduleIdleClose(target: SshTarget, connection: Connection): void {
    if (this.opts.idleMs === undefined || connection.active > 0) return;
    connection.idleTimer = setTimeout(() => {
      if (connection.active === 0) this.drop(target, connection);
    }, this.opts.idleMs);
    connection.idleTimer.unref();
  }

  /** Closes one connection and forgets it: the next command opens a new one if it needs to. */
  private drop(target: SshTarget, connection: Connection): void {
    const key = poolKey(target);
    const left = (this.connections.get(key) ?? []).filter((c) => c !== connection);
    if (left.length > 0) this.connections.set(key, left);
    else this.connections.delete(key);
    end(connection);
  }

  /** Drops every connection to the target (they are closed): the next command opens a new one. */
  forget(target: SshTarget): void {
    const key = poolKey(target);
    for (const connection of this.connections.get(key) ?? []) end(connection);
    this.connections.delete(key);
  }

  close(): void {
    for (const list of this.connections.values()) list.forEach(end);
    this.connections.clear();
  }

  /** Connections open to the target now (for tests and progress output). */
  openTo(target: SshTarget): number {
    return this.connections.get(poolKey(target))?.length ?? 0;
  }

  /**
   * The connection for the next command: the least busy one, or a new one while every one is busy with all its
   * sessions and the host has fewer than `connectionsPerHost`.
   */
  private connect(target: SshTarget): Connection {
    const key = poolKey(target);
    const list = this.connections.get(key) ?? [];
    const idlest = list.reduce<Connection | undefined>((best, c) => (best === undefined || c.active < best.active ? c : best), undefined);
    if (idlest !== undefined && (idlest.active < this.opts.sessionsPerConnection || list.length >= this.opts.connectionsPerHost)) return idlest;
    const gate = handshakeGate(target, this.opts.handshakesPerHost);
    const connection: Connection = {
      client: gate.with(() => openWithRetries(target, this.opts.handshakeTries)),
      sessions: new Semaphore(this.opts.sessionsPerConnection),
      active: 0,
    };
    // A failed or closed connection is not kept: the next command opens a new one.
    const forgetIt = (): void => {
      const left = (this.connections.get(key) ?? []).filter((c) => c !== connection);
      if (left.length > 0) this.connections.set(key, left);
      else if (this.connections.get(key)?.includes(connection)) this.connections.delete(key);
    };
    connection.client.then((c) => c.on("close", forgetIt), forgetIt);
    this.connections.set(key, [...list, connection]);
    return connection;
  }
}

function end(connection: Connection): void {
  clearTimeout(connection.idleTimer);
  void connection.client.then((c) => c.end()).catch(() => undefined);
}

/** Connections are shared only by targets that agree on everything that is checked: the pinned key and the login. */
function poolKey(target: SshTarget): string {
  return `${targetName(target)} ${keyBlob(target.hostKey)} ${target.privateKey ?? `agent:${process.env.SSH_AUTH_SOCK ?? ""}`}`;
}

async function openWithRetries(target: SshTarget, tries: number): Promise<Client> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await openClient(target);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (attempt >= tries || !isTransientHandshakeError(message)) {
        throw new Error(attempt > 1 ? `${message} (after ${attempt} tries)` : message);
      }
      await new Promise((r) => setTimeout(r, handshakeBackoffMs(attempt)));
    }
  }
}

function openClient(target: SshTarget): Promise<Client> {
  const pinned = keyBlob(target.hostKey);
  const agent = process.env.SSH_AUTH_SOCK;
  if (target.privateKey === undefined && !agent) {
    return Promise.reject(
      new Error(`ssh ${targetName(target)}: no private key given and SSH_AUTH_SOCK is not set: run with an ssh-agent holding the key, or give the key`),
    );
  }
  const config: ConnectConfig = {
    host: target.host,
    port: target.port,
    username: target.user,
    ...(target.privateKey !== undefined ? { privateKey: target.privateKey } : { agent }),
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
      .on("error", (err) => {
        const refused = /verification/i.test(err.message);
        reject(new Error(`ssh ${targetName(target)}: ${err.message}` + (refused ? " (host key differs from the pinned key)" : "")));
      })
      .connect(config);
  });
}
