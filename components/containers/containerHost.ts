/**
 * One container host: rootful Podman with its storage on the SSD path and the pool's network, Apptainer
 * (`singularity`), and ie-podman with its sudoers rule, configuration and reaper timer. Every file is a
 * ManagedFile (drift shows a hand edit); packages and directories come from idempotent scripts.
 *
 * Order on the host: Apptainer's apt source -> packages -> directories and id ranges -> Podman's files ->
 * ie-podman (its entry script and its program), its configuration, and only then the sudoers rule (users never get a rule for a program that
 * is not in place) -> the units and timers of the reaper and of the Slurm sync (`ie-podman sync`).
 *
 * A host with `drain: true` (the yearly refresh) gets `drain` in ie-podman's configuration, so ie-podman starts
 * no new container there, and, once that configuration is in place, the drain (scripts/containers/drain.sh):
 * it waits up to `drainTimeout` for ie-podman's running containers to end, then leaves them to the admins, or
 * stops and removes them (audit-logged) with `force: true`. A changed drainTimeout or force runs it again.
 */
import * as pulumi from "@pulumi/pulumi";
import { OWNER_LABEL } from "../../ie-podman/policy";
import type { Host } from "../host/host";
import {
  APPTAINER_LIST,
  APPTAINER_PREFERENCES,
  AUDIT_LOG_PATH,
  IE_PODMAN_PATH,
  IE_PODMAN_PROGRAM,
  POOL_NETWORK,
  type ContainerHostLayout,
  apptainerSource,
  renderAptPreferences,
  renderAptSource,
  renderContainersConf,
  renderEntryScript,
  renderIeProgramConfig,
  renderPoolNetwork,
  renderReaperService,
  renderReaperTimer,
  renderStorageConf,
  renderSudoers,
  renderSyncService,
  renderSyncTimer,
} from "./render";

/** Packages of every container host (apptainer joins them from its source). */
export const CONTAINER_PACKAGES = ["podman", "crun", "netavark", "conmon", "nftables", "nodejs", "sudo", "squashfuse", "fuse2fs", "uidmap", "tar"] as const;

export interface ContainerHostArgs {
  readonly host: Host;
  readonly layout: ContainerHostLayout;
  /** ie-podman as one JavaScript file (`ieProgramBundle()`). */
  readonly program: string;
  /** Resources to wait for before anything here runs (the CephFS homes ie-podman binds). Defaults to none. */
  readonly dependsOn?: readonly pulumi.Resource[];
}

export class ContainerHost extends pulumi.ComponentResource {
  /** Everything on the host is in place: ie-podman usable by every user. */
  public readonly ready: pulumi.Resource;
  /** The drain of ie-podman's containers, on a host with `drain: true` only. */
  public readonly drain?: pulumi.Resource;

  constructor(name: string, args: ContainerHostArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ie:containers:ContainerHost", name, {}, opts);
    const { host, layout, program } = args;
    const spec = layout.spec;
    const after = (deps: readonly pulumi.Resource[]) => ({ dependsOn: [...(args.dependsOn ?? []), ...deps] });
    const file = (fileName: string, path: string, content: string, deps: readonly pulumi.Resource[], mode = "0644") =>
      host.writeFile(fileName, { path, content, mode, owner: "root:root" }, after(deps)).resource;

    const source = apptainerSource(spec);
    const sourceFiles =
      source.kind === "apt"
        ? [file("ie-apptainer.list", APPTAINER_LIST, renderAptSource(source), []), file("ie-apptainer.pref", APPTAINER_PREFERENCES, renderAptPreferences(source), [])]
        : [];
    const packages = [...CONTAINER_PACKAGES, ...(source.kind === "apt" ? [`apptainer/${source.suite}`] : source.kind === "os" ? ["apptainer"] : ["curl"])];
    const installs = [host.runScript("containers-packages", { script: "host/packages.sh", args: packages }, after(sourceFiles))];
    if (source.kind === "deb") {
      installs.push(host.runScript("containers-apptainer-deb", { script: "containers/apptainer-deb.sh", args: [source.url] }, after(installs)));
    }
    const prepared = host.runScript("containers-prepare", { script: "containers/prepare.sh", args: [spec.storagePath] }, after(installs));

    const podmanFiles = [
      file("storage.conf", "/etc/containers/storage.conf", renderStorageConf(spec), [prepared]),
      file("containers.conf", "/etc/containers/containers.conf.d/50-ie.conf", renderContainersConf(spec), [prepared]),
      file("pool-network", `/etc/containers/networks/${POOL_NETWORK}.json`, renderPoolNetwork(spec), [prepared]),
    ];
    // The program is data for node (not executable); only the entry script starts it, as root. ~500 KB:
    // the state keeps only its sha256 and size, the provider uploads it.
    const programFile = host.writeFile("ie-podman-program", { path: IE_PODMAN_PROGRAM, content: program, mode: "0644", owner: "root:root", keep: "sha256" }, after([prepared])).resource;
    // The configuration after the program: a program never reads a configuration newer than it knows.
    const config = file("ie-podman-config", "/etc/ie-podman/config.json", renderIeProgramConfig(layout), [prepared, programFile]);
    const programFiles = [programFile, file("ie-podman", IE_PODMAN_PATH, renderEntryScript(), [prepared], "0755"), config];
    const sudoers = file("ie-podman-sudoers", "/etc/sudoers.d/ie-podman", renderSudoers(), [...podmanFiles, ...programFiles], "0440");

    const unit = (name: string, unitName: string, content: string) =>
      host.writeFile(name, { path: `/etc/systemd/system/${unitName}`, content, mode: "0644", owner: "root:root" }, after([sudoers]));
    // The reaper's units and the Slurm sync's (which does nothing on a host whose GPUs are not Slurm's).
    const units = [
      unit("reaper-service", "ie-podman-reap.service", renderReaperService()),
      unit("reaper-timer", "ie-podman-reap.timer", renderReaperTimer()),
      unit("sync-service", "ie-podman-sync.service", renderSyncService()),
      unit("sync-timer", "ie-podman-sync.timer", renderSyncTimer()),
    ];
    this.ready = host.runScript(
      "containers-reaper",
      { script: "containers/reaper.sh", args: ["ie-podman-reap.timer", "ie-podman-sync.timer"], rerunOn: units.map((u) => u.contentHash) },
      after(units.map((u) => u.resource)),
    );
    if (layout.host.drain) {
      this.drain = host.runScript(
        "containers-drain",
        { script: "containers/drain.sh", args: [String(layout.host.drainTimeout), layout.host.force ? "yes" : "no", OWNER_LABEL, AUDIT_LOG_PATH] },
        after(programFiles),
      );
    }
    this.registerOutputs({});
  }
}
