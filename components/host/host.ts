/**
 * One server of the department, as Pulumi sees it: the SSH connection (host key pinned), its OS profile,
 * base packages and ordinary users. It is the ONE place remote commands are made: every other component
 * asks a Host to run a script (`runScript`) or to write a file (`writeFile`), so how we reach a host, as
 * whom and with which escaping is decided here once.
 */
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { remote, types } from "@pulumi/command";
import type { HostSpec, UserSpec } from "../inventory/model";
import { ManagedFile } from "./managedFile";
import { osProfile, type OsProfile } from "./os";
import type { FileKeeping } from "./managedFile";
import type { FileEncoding } from "./remoteFile";
import type { SshTarget } from "./ssh";
import { scriptCommand } from "./render";
import { readScript } from "./scripts";

/** How Pulumi logs in to the hosts. Give exactly one of the two. */
export interface SshCredentials {
  /** The private key's text (OpenSSH or PEM). Treated as a secret. */
  readonly privateKey?: pulumi.Input<string>;
  /**
   * Log in with the ssh-agent that `SSH_AUTH_SOCK` names where each provider runs. The socket's path changes
   * with every login, so it is never an input: `@pulumi/command` and the ManagedFile provider read
   * `SSH_AUTH_SOCK` themselves. Defaults to false.
   */
  readonly sshAgent?: boolean;
}

export interface HostArgs {
  /** The host as the inventory declares it. Its `hostKey` must be the key line itself, not `file:`. */
  readonly spec: HostSpec;
  readonly credentials: SshCredentials;
  /** Ordinary users to create on the host (uid, same-numbered group, home, authorized key). */
  readonly users: readonly UserSpec[];
  /** Packages installed besides the OS family's base list. Defaults to none. */
  readonly extraPackages?: readonly string[];
}

/** A script under scripts/ and the arguments it is called with. */
export interface ScriptCall {
  /** Path under scripts/, e.g. `slurm/install.sh`. */
  readonly script: string;
  /**
   * Arguments, `$1`... of the script. They are visible in `ps` on the host: never put a secret here,
   * pass it on `stdin`. Defaults to none.
   */
  readonly args?: readonly pulumi.Input<string>[];
}

export interface RunScriptArgs extends ScriptCall {
  /** Data for the script's STDIN: the way secrets reach a host. Defaults to none. */
  readonly stdin?: pulumi.Input<string>;
  /**
   * Values whose change REPLACES the command, which re-runs the create script (`@pulumi/command` makes
   * any trigger change a replacement). Defaults to none.
   */
  readonly triggers?: readonly pulumi.Input<unknown>[];
  /**
   * Values whose change re-runs the command IN PLACE: `updateScript` when given, else the create script.
   * Carried to the host as one SHA-256 digest on STDIN (secret when any value is secret), so it excludes
   * `stdin`. Defaults to none.
   */
  readonly rerunOn?: readonly pulumi.Input<unknown>[];
  /** Run instead of the create script when inputs change (not on replacement). Defaults to the create script. */
  readonly updateScript?: ScriptCall;
  /** Run when the command is deleted. Defaults to nothing. */
  readonly deleteScript?: ScriptCall;
}

/** Resource options a caller may set on a host's command. Every command also waits for `host.ready`. */
export interface RunScriptOptions {
  /** Resources that must be in place first. Defaults to none (besides `host.ready`). */
  readonly dependsOn?: readonly pulumi.Input<pulumi.Resource>[];
  /** Refuse to delete the command. Defaults to false. */
  readonly protect?: boolean;
  /** On replacement, run the old command's delete script before the new one's create. Defaults to false. */
  readonly deleteBeforeReplace?: boolean;
}

/** Options of a command that may move from host to host (`runMovableScript`). */
export interface MovableScriptOptions {
  /** Resources that must be in place first. Defaults to none (besides `host.ready`). */
  readonly dependsOn?: readonly pulumi.Input<pulumi.Resource>[];
  /**
   * Hosts whose `<host>-<name>` command this one is: the name such a command had before it could move. They
   * become aliases, so the engine takes a command of the state under that name for this one instead of
   * deleting it (which would run its delete script) and creating this one. Defaults to none.
   */
  readonly formerHosts?: readonly string[];
}

export interface FileArgs {
  /** Absolute path on the host. */
  readonly path: string;
  readonly content: pulumi.Input<string>;
  /** Octal mode such as `0644`. */
  readonly mode: string;
  /** `OWNER:GROUP`, e.g. `root:root`. */
  readonly owner: string;
  /** `base64` when `content` is base64 of binary bytes (the munge key). Defaults to `utf8`. */
  readonly encoding?: FileEncoding;
  /** The content is a key: secret in the state, masked in diffs and drift reports. Defaults to false. */
  readonly secret?: boolean;
  /** `sha256`: the state keeps only the content's digest and size (large artifacts; see ManagedFile). Defaults to `content`. */
  readonly keep?: FileKeeping;
}

/** A file a host keeps in place: a ManagedFile, which reads itself back on refresh. */
export interface ManagedFileHandle {
  /** The resource to depend on: the file is in place once it is. */
  readonly resource: pulumi.Resource;
  /** SHA-256 (hex) of the content; secret when the content is. */
  readonly contentHash: pulumi.Output<string>;
}

/** SHA-256 hex of a text: how content and fingerprints are compared without carrying them. */
export function sha256(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** The `type base64` part of an OpenSSH public key line: what the connection pins. */
function pinnedHostKey(spec: HostSpec): string {
  if (spec.hostKey.startsWith("file:")) {
    throw new Error(
      `host ${spec.name}: its host key is still '${spec.hostKey}'; the inventory loader reads such files ` +
        `(for the lab, run the lab's 'up' first so the keys exist)`,
    );
  }
  return spec.hostKey.split(/\s+/).slice(0, 2).join(" ");
}

/** The connection of every command to a host: pinned host key, exactly one way to authenticate. */
function connectionOf(spec: HostSpec, credentials: SshCredentials): types.input.remote.ConnectionArgs {
  const hasKey = credentials.privateKey !== undefined;
  const hasAgent = credentials.sshAgent === true;
  if (hasKey === hasAgent) {
    throw new Error(`host ${spec.name}: give exactly one of credentials.privateKey and credentials.sshAgent`);
  }
  // Without a key the command provider uses the agent of its own SSH_AUTH_SOCK: nothing per-login is stored.
  return {
    host: spec.address,
    port: spec.sshPort,
    user: spec.sshUser,
    hostKey: pinnedHostKey(spec),
    ...(credentials.privateKey !== undefined ? { privateKey: pulumi.secret(credentials.privateKey) } : {}),
  };
}

/** The same connection for ManagedFile's provider (ssh2), which takes plain values. */
function fileConnectionOf(spec: HostSpec, credentials: SshCredentials): pulumi.Output<SshTarget> {
  const base = { host: spec.address, port: spec.sshPort, user: spec.sshUser, hostKey: pinnedHostKey(spec) };
  if (credentials.privateKey !== undefined) {
    return pulumi.secret(pulumi.output(credentials.privateKey).apply((privateKey) => ({ ...base, privateKey })));
  }
  return pulumi.output(base);
}

export class Host extends pulumi.ComponentResource {
  public readonly name: string;
  public readonly spec: HostSpec;
  public readonly os: OsProfile;
  /** How every command of this host connects: address, port, user, pinned host key, credentials. */
  public readonly connection: types.input.remote.ConnectionArgs;
  /** The same, for ManagedFiles. */
  public readonly fileConnection: pulumi.Output<SshTarget>;
  /** In place once base packages and users are: every command of the host waits for it. */
  public readonly ready: pulumi.Resource;
  private readonly sudo: boolean;
  /** What every command and file registered after `holdUntil` also waits for. */
  private readonly holds: pulumi.Resource[] = [];

  constructor(name: string, args: HostArgs, opts?: pulumi.ComponentResourceOptions) {
    // Checked before anything is registered: a host we cannot reach safely declares nothing.
    const connection = connectionOf(args.spec, args.credentials);
    super("ie:host:Host", name, {}, opts);
    this.name = name;
    this.spec = args.spec;
    this.os = osProfile(args.spec.os);
    this.sudo = args.spec.sshUser !== "root";
    this.connection = connection;
    this.fileConnection = fileConnectionOf(args.spec, args.credentials);

    const packages = [...new Set([...this.os.basePackages, ...(args.extraPackages ?? [])])];
    const base = this.command(`${name}-base`, { script: this.os.baseScript, args: packages }, {});
    const userArgs = args.users.flatMap((u) => [u.name, String(u.uid), u.sshKey ?? ""]);
    this.ready = this.command(`${name}-users`, { script: "host/users.sh", args: userArgs }, { dependsOn: [base] });
    this.registerOutputs({});
  }

  /**
   * Makes every command and file this host registers from now on wait for `resources` too. The refresh's
   * departure guards use it: when a host left the stack undrained, they fail before anything changes.
   */
  public holdUntil(resources: readonly pulumi.Resource[]): void {
    this.holds.push(...resources);
  }

  /** Runs a script of scripts/ on this host as root, after the host is ready. Named `<host>-<name>`. */
  public runScript(name: string, args: RunScriptArgs, opts: RunScriptOptions = {}): remote.Command {
    return this.command(`${this.name}-${name}`, args, { ...opts, dependsOn: [this.ready, ...this.holds, ...(opts.dependsOn ?? [])] });
  }

  /**
   * Runs a script as `runScript` does, for a workload that may move to another host (a rental VM): the
   * command is named `name` alone, so it is the same resource whichever host runs it (every Host has the
   * same type under the same parent, so its URN does not name the host either). The host's name is one of
   * its `triggers`: a move is a replacement, and with `deleteBeforeReplace` the old command's delete script
   * runs first, on the old host (its state keeps the old connection), then the create script on this one.
   * So the workload never runs on two hosts at once, as long as the delete script stops it.
   */
  public runMovableScript(name: string, args: RunScriptArgs, opts: MovableScriptOptions = {}): remote.Command {
    return this.command(
      name,
      { ...args, triggers: [this.name, ...(args.triggers ?? [])] },
      {
        dependsOn: [this.ready, ...this.holds, ...(opts.dependsOn ?? [])],
        deleteBeforeReplace: true,
        aliases: (opts.formerHosts ?? []).map((host) => `${host}-${name}`),
      },
    );
  }

  /**
   * Keeps a file on this host with the given content, mode and owner (a ManagedFile named
   * `<host>-file-<name>`): written atomically when different, read back on refresh so hand edits show.
   */
  public writeFile(name: string, args: FileArgs, opts: RunScriptOptions = {}): ManagedFileHandle {
    const resource = new ManagedFile(
      `${this.name}-file-${name}`,
      {
        connection: this.fileConnection,
        path: args.path,
        content: args.content,
        encoding: args.encoding,
        mode: args.mode,
        owner: args.owner,
        secret: args.secret,
        keep: args.keep,
      },
      { parent: this, dependsOn: [this.ready, ...this.holds, ...(opts.dependsOn ?? [])], protect: opts.protect },
    );
    const hash = pulumi.output(args.content).apply(sha256);
    return { resource, contentHash: args.secret ? pulumi.secret(hash) : hash };
  }

  private commandLine(call: ScriptCall): pulumi.Output<string> {
    const text = readScript(call.script);
    return pulumi
      .all([...(call.args ?? [])])
      .apply((values) => scriptCommand(text, call.script, values, { sudo: this.sudo }));
  }

  /** Every command of the host is made here. `fullName` is the resource's name; `aliases` are former names. */
  private command(fullName: string, args: RunScriptArgs, opts: RunScriptOptions & { readonly aliases?: readonly string[] }): remote.Command {
    if (args.rerunOn !== undefined && args.stdin !== undefined) {
      throw new Error(`${fullName}: rerunOn travels on STDIN, so it cannot be combined with stdin`);
    }
    const create = this.commandLine(args);
    const update = args.updateScript && this.commandLine(args.updateScript);
    const del = args.deleteScript && this.commandLine(args.deleteScript);
    for (const line of [create, update, del]) {
      if (line !== undefined) this.refuseSecretCommandLine(fullName, line);
    }
    const stdin =
      args.rerunOn !== undefined
        ? pulumi.all([...args.rerunOn]).apply((values) => `rerun-on ${sha256(JSON.stringify(values))}\n`)
        : args.stdin;
    return new remote.Command(
      fullName,
      {
        connection: this.connection,
        create,
        ...(update !== undefined ? { update } : {}),
        ...(del !== undefined ? { delete: del } : {}),
        ...(stdin !== undefined ? { stdin } : {}),
        ...(args.triggers !== undefined ? { triggers: [...args.triggers] } : {}),
        // Else the provider sends the previous output as PULUMI_COMMAND_STDOUT/STDERR, which sshd refuses.
        addPreviousOutputInEnv: false,
      },
      {
        parent: this,
        dependsOn: [...(opts.dependsOn ?? [])],
        protect: opts.protect,
        deleteBeforeReplace: opts.deleteBeforeReplace,
        ...(opts.aliases !== undefined && opts.aliases.length > 0 ? { aliases: opts.aliases.map((alias) => ({ name: alias })) } : {}),
      },
    );
  }

  /** A secret in a command line would show in `ps` on the host and in logs: fail the deployment instead. */
  private refuseSecretCommandLine(name: string, line: pulumi.Output<string>): void {
    void pulumi.isSecret(line).then((secret) => {
      if (secret) pulumi.log.error(`${name}: a secret reached the command line; pass it on stdin instead`, this);
    });
  }
}
