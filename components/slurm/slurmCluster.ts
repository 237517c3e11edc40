/**
 * The Slurm cluster on its hosts: packages, the munge key, the three configuration files and the daemons,
 * in the order Slurm needs (the munge key identical on every host before any daemon starts; slurmctld
 * before the slurmds). The files come from the pure renderers; this component only ships them and decides
 * what a change needs on a running cluster:
 *
 * - restart-class changes (ports, plugins, node lines; gres.conf, cgroup.conf, the munge key) restart
 *   slurmctld, then the slurmds one node after another, so the cluster keeps serving;
 * - any other slurm.conf change (MessageTimeout, partitions) is applied by `scontrol reconfigure` only.
 *
 * Each decision is a command whose create only makes sure the daemon runs (a first deployment restarts
 * nothing) and whose update restarts or reconfigures. What re-runs it is a digest of the values that
 * matter (see `rerunOn` of `Host.runScript`): `triggers` would replace the command, re-running its create.
 */
import * as pulumi from "@pulumi/pulumi";
import type { remote } from "@pulumi/command";
import type { HostSpec } from "../inventory/model";
import { sha256, type Host } from "../host/host";
import { renderCgroupConf, renderGresConf, renderSlurmConf, type SlurmLayout } from "./render";
import { restartFingerprint } from "./restart";

/**
 * The refresh's guard for compute nodes that left the stack, on the controller: refuses while such a node
 * is not drained or still runs jobs. The system makes every host's commands wait for it.
 */
export function slurmDepartureGuard(layout: SlurmLayout, controller: Host): remote.Command {
  return controller.runScript("slurm-departures", { script: "slurm/departures.sh", args: layout.computeNodes.map((h) => h.name) });
}

export interface SlurmClusterArgs {
  /** Controller, compute nodes and the `slurm:` section, as `slurmLayout(inventory)` gives them. */
  readonly layout: SlurmLayout;
  /** The inventory's hosts by name; must hold the controller and every compute node. */
  readonly hosts: ReadonlyMap<string, Host>;
  /**
   * The munge key, base64 of random bytes, as a secret. It reaches hosts only as a secret ManagedFile's
   * content (on STDIN). Changing it rewrites it everywhere and restarts munge, then every Slurm daemon.
   */
  readonly mungeKey: pulumi.Input<string>;
  /** The reason draining nodes show in `sinfo -R`. Defaults to `drain: true in the stack`. */
  readonly drainReason?: string;
}

const CONF_DIR = "/etc/slurm";
const DAEMON_SCRIPT = "slurm/daemon.sh";
/** What the Slurm daemons read at start; daemon.sh compares their times with the daemon's start. */
const MUNGE_KEY_PATH = "/etc/munge/munge.key";
const DAEMON_FILES = ["/etc/slurm/slurm.conf", "/etc/slurm/gres.conf", "/etc/slurm/cgroup.conf", MUNGE_KEY_PATH];
/** Seconds the compute nodes get to register with slurmctld and report their resources. */
const NODES_READY_TIMEOUT = 120;

type SlurmRole = "controller" | "compute";

/** What one Slurm host has in place before its daemon may start. */
interface PreparedHost {
  readonly host: Host;
  readonly mungeKey: remote.Command;
  readonly files: readonly pulumi.Resource[];
}

export class SlurmCluster extends pulumi.ComponentResource {
  public readonly slurmConf: string;
  public readonly gresConf: string | undefined;
  public readonly cgroupConf: string;
  /** The command that makes munge run with the cluster's key, per host name. */
  public readonly mungeKeyCommands: ReadonlyMap<string, remote.Command>;
  /** Makes sure slurmctld runs (first start). */
  public readonly slurmctld: remote.Command;
  /** Makes sure slurmd runs, per compute node name. */
  public readonly slurmd: ReadonlyMap<string, remote.Command>;
  /** Restarts a daemon when a restart-class value changed: `slurmctld` and each compute node's name. */
  public readonly restarts: ReadonlyMap<string, remote.Command>;
  /** `scontrol reconfigure` when slurm.conf changed. */
  public readonly reconfigure: remote.Command;
  /** Waits until every serving compute node serves jobs, after the first start and after every change. */
  public readonly nodesReady: remote.Command;
  /** Per draining node: DRAIN set and its jobs waited for. */
  public readonly drains: readonly remote.Command[];

  constructor(name: string, args: SlurmClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ie:slurm:SlurmCluster", name, {}, opts);
    const { layout } = args;
    this.slurmConf = renderSlurmConf(layout);
    this.cgroupConf = renderCgroupConf(layout);
    // gres.conf only where a GPU is declared: without one there is nothing for slurmd to read.
    this.gresConf = layout.computeNodes.some((h) => h.gpus !== undefined) ? renderGresConf(layout) : undefined;

    const hostOf = (spec: HostSpec): Host => {
      const host = args.hosts.get(spec.name);
      if (host === undefined) throw new Error(`slurm: no Host was built for ${spec.name}`);
      return host;
    };
    const mungeKey = pulumi.secret(args.mungeKey);
    const prepared = new Map<string, PreparedHost>();
    for (const spec of slurmHosts(layout)) {
      prepared.set(spec.name, this.prepare(hostOf(spec), rolesOf(layout, spec), mungeKey));
    }
    const allMungeKeys = [...prepared.values()].map((p) => p.mungeKey);
    this.mungeKeyCommands = new Map([...prepared].map(([n, p]) => [n, p.mungeKey]));
    const controller = prepared.get(layout.controller.name);
    if (controller === undefined) throw new Error("slurm: the controller was not prepared");

    // Values whose change needs a restart. The munge key enters only as a (secret) hash.
    const restartValues = [
      sha256(restartFingerprint(this.slurmConf)),
      sha256(this.cgroupConf),
      sha256(this.gresConf ?? ""),
      mungeKey.apply(sha256),
    ];
    const daemonCommand = (p: PreparedHost, unit: string, deps: readonly pulumi.Input<pulumi.Resource>[]) =>
      p.host.runScript(unit, { script: DAEMON_SCRIPT, args: ["ensure-running", unit] }, { dependsOn: deps });
    const restartCommand = (p: PreparedHost, unit: string, deps: readonly pulumi.Input<pulumi.Resource>[]) =>
      p.host.runScript(
        `${unit}-restart`,
        {
          script: DAEMON_SCRIPT,
          args: ["ensure-running", unit],
          // Restarts only when a file changed after the daemon last read it: a re-run restarts nothing.
          updateScript: { script: DAEMON_SCRIPT, args: ["restart-if-stale", unit, ...DAEMON_FILES] },
          rerunOn: restartValues,
        },
        { dependsOn: deps },
      );

    this.slurmctld = daemonCommand(controller, "slurmctld", [...allMungeKeys, ...controller.files]);
    const restarts = new Map<string, remote.Command>();
    let previousRestart = restartCommand(controller, "slurmctld", [
      this.slurmctld,
      ...allMungeKeys,
      ...controller.files,
    ]);
    restarts.set("slurmctld", previousRestart);

    const slurmd = new Map<string, remote.Command>();
    for (const spec of layout.computeNodes) {
      const node = prepared.get(spec.name);
      if (node === undefined) throw new Error(`slurm: compute node ${spec.name} was not prepared`);
      const own = [node.mungeKey, ...node.files];
      const daemon = daemonCommand(node, "slurmd", [...own, ...allMungeKeys, this.slurmctld]);
      slurmd.set(spec.name, daemon);
      // One node after another: while one slurmd restarts, the others keep running jobs.
      previousRestart = restartCommand(node, "slurmd", [daemon, ...own, previousRestart]);
      restarts.set(spec.name, previousRestart);
    }
    this.slurmd = slurmd;
    this.restarts = restarts;

    // After every restart and every host's files: reconfigure makes the slurmds re-read theirs too.
    this.reconfigure = controller.host.runScript(
      "slurm-reconfigure",
      {
        script: DAEMON_SCRIPT,
        args: ["ensure-running", "slurmctld"],
        updateScript: { script: DAEMON_SCRIPT, args: ["reconfigure-if-stale", "slurmctld", `${CONF_DIR}/slurm.conf`] },
        rerunOn: [sha256(this.slurmConf)],
      },
      { dependsOn: [...restarts.values(), ...[...prepared.values()].flatMap((p) => p.files)] },
    );
    // The cluster is up when every node serves jobs. A node drained for resources it does not have (GPUs
    // declared but not found) fails this at once with Slurm's reason, instead of surfacing at the first job.
    // A draining node is DRAIN on purpose: the gate waits for the nodes that serve.
    const nodeNames = layout.computeNodes.filter((h) => !h.drain).map((h) => h.name);
    this.nodesReady = controller.host.runScript(
      "slurm-nodes-ready",
      {
        script: "slurm/wait-node.sh",
        args: [String(NODES_READY_TIMEOUT), ...nodeNames],
        rerunOn: [...restartValues, sha256(this.slurmConf)],
      },
      { dependsOn: [this.reconfigure, ...slurmd.values()] },
    );
    // Draining nodes take no new job once the serving ones do; their running jobs get drainTimeout.
    const reason = args.drainReason ?? "drain: true in the stack";
    this.drains = layout.computeNodes
      .filter((h) => h.drain)
      .map((h) =>
        controller.host.runScript(
          `slurm-drain-${h.name}`,
          {
            script: "slurm/drain-node.sh",
            args: [h.name, String(h.drainTimeout), reason],
            deleteScript: { script: "slurm/resume-node.sh", args: [h.name] },
          },
          { dependsOn: [this.nodesReady] },
        ),
      );
    this.registerOutputs({ controller: layout.controller.name, nodes: layout.computeNodes.map((h) => h.name) });
  }

  /** Packages for the host's roles, then the munge key and the configuration files. */
  private prepare(host: Host, roles: readonly SlurmRole[], mungeKey: pulumi.Output<string>): PreparedHost {
    const installs: remote.Command[] = [];
    for (const role of roles) {
      // One after another on a host that has both roles: apt runs one at a time.
      const install = { script: "slurm/install.sh", args: [role] };
      installs.push(host.runScript(`slurm-install-${role}`, install, { dependsOn: [...installs] }));
    }
    // The key file is a ManagedFile (secret, read back on refresh); munged reads it only at start, so a
    // command restarts munge when the key changed, stopping this host's Slurm daemons first.
    const keyFile = host.writeFile(
      "munge.key",
      { path: MUNGE_KEY_PATH, content: mungeKey, encoding: "base64", mode: "0400", owner: "munge:munge", secret: true },
      { dependsOn: installs },
    );
    const units = roles.map((r) => (r === "controller" ? "slurmctld" : "slurmd"));
    const munge = host.runScript(
      "munge-key",
      { script: "slurm/munge-key.sh", args: units, rerunOn: [keyFile.contentHash] },
      { dependsOn: [...installs, keyFile.resource] },
    );
    const file = (fileName: string, content: string) =>
      host.writeFile(
        fileName,
        { path: `${CONF_DIR}/${fileName}`, content, mode: "0644", owner: "root:root" },
        { dependsOn: installs },
      ).resource;
    const files = [file("slurm.conf", this.slurmConf), file("cgroup.conf", this.cgroupConf)];
    if (this.gresConf !== undefined) files.push(file("gres.conf", this.gresConf));
    return { host, mungeKey: munge, files };
  }
}

/** The controller and the compute nodes, each once, in that order. */
function slurmHosts(layout: SlurmLayout): readonly HostSpec[] {
  const seen = new Set<string>();
  return [layout.controller, ...layout.computeNodes].filter((h) => !seen.has(h.name) && seen.add(h.name));
}

function rolesOf(layout: SlurmLayout, spec: HostSpec): readonly SlurmRole[] {
  const roles: SlurmRole[] = [];
  if (spec.name === layout.controller.name) roles.push("controller");
  if (layout.computeNodes.some((h) => h.name === spec.name)) roles.push("compute");
  return roles;
}
