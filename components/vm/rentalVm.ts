/**
 * One rental: its cloud-init seed and domain XML as ManagedFiles (drift shows a hand edit), and the
 * command that keeps the VM as declared (rental.sh: clone, grow, seed ISO, define, autostart, running).
 * Removing the rental from the inventory stops and undefines the VM and removes its seed directory; its
 * disk stays unless the rental said `deleteDisk: true` when it was last applied.
 *
 * Moving a rental is editing its `host`. The VM's command is named after the rental alone (`vm-<rental>`),
 * with the host's name in its triggers and deleteBeforeReplace, so a move is one replacement, in this order:
 *   1. the seed and domain XML files are written on the new host (they are per host: `<host>-file-...`);
 *   2. the old command's delete runs `rental.sh remove` on the OLD host (the state keeps its connection and
 *      delete command): the VM is shut down, undefined there, its seed directory removed; the disk is kept
 *      (deleteDisk as last applied: a rental marked `deleteDisk: true` loses its disk on a move, so set it
 *      only just before removing a rental);
 *   3. `rental.sh ensure` on the new host finds the RBD image and keeps it (no copy, no clone), defines the
 *      domain and starts it, but only once no other host has the image open (`rbd status`): the VM never
 *      runs on two hosts at once.
 * The guest sees the same disk, the same cloud-init instance id, MAC and static address: it boots as itself.
 * The old host's files leave the state at the end of the run (a ManagedFile delete leaves the file; step 2
 * removed them). If the old host is down, step 2 fails: remove the old command from the state
 * (`pulumi state delete`), and the new host waits until Ceph drops the dead host's watch on the disk.
 * Commands applied before rentals could move were named `<host>-vm-<rental>`: those names are aliases, so the
 * first apply with this version replaces each rental's command in place (one shutdown and start of the VM,
 * on its own host) instead of recreating it.
 */
import * as pulumi from "@pulumi/pulumi";
import type { Host } from "../host/host";
import { renderMetaData, renderNetworkConfig, renderUserData } from "./render-cloudinit";
import { VM_STATE_DIR, domainXmlPath, goldenSnapshot, renderDomainXml } from "./render-domain";
import type { RentalLayout, VmLayout } from "./render-layout";

export interface RentalVmArgs {
  readonly host: Host;
  readonly layout: VmLayout;
  readonly rental: RentalLayout;
  /** The VM host ready and the golden snapshot in place. */
  readonly dependsOn: readonly pulumi.Resource[];
  /** Every VM host of the stack: the VM's command may have been named after any of them (`<host>-vm-<rental>`). */
  readonly vmHostNames: readonly string[];
}

/** What `pulumi stack output` says about a rental. */
export interface RentalSummary {
  readonly owner: string;
  readonly host: string;
  readonly ip: string;
  readonly vcpus: number;
  readonly memory: number;
  readonly disk: number;
}

export class RentalVm extends pulumi.ComponentResource {
  public readonly summary: RentalSummary;
  public readonly vm: pulumi.Resource;

  constructor(name: string, args: RentalVmArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ie:vm:RentalVm", name, {}, opts);
    const { host, layout, rental } = args;
    // A key file the loader could not read would reach the seed as its name: no one could log in.
    if (rental.sshKey.startsWith("file:")) {
      throw new Error(`rental ${rental.name}: its SSH key is still '${rental.sshKey}': load the stack with its key files (the program's loader reads them)`);
    }
    const seedDir = `${VM_STATE_DIR}/${rental.name}`;
    const file = (fileName: string, path: string, content: string) =>
      host.writeFile(`${rental.name}-${fileName}`, { path, content, mode: "0600", owner: "root:root" }, { dependsOn: args.dependsOn });
    const files = [
      file("user-data", `${seedDir}/user-data`, renderUserData(rental)),
      file("meta-data", `${seedDir}/meta-data`, renderMetaData(rental)),
      file("network-config", `${seedDir}/network-config`, renderNetworkConfig(rental)),
      file("domain.xml", domainXmlPath(rental), renderDomainXml(layout, rental)),
    ];
    const spec = layout.spec;
    this.vm = host.runMovableScript(
      `vm-${rental.name}`,
      {
        script: "vm/rental.sh",
        args: ["ensure", rental.domain, spec.pool, rental.image, goldenSnapshot(layout), String(rental.disk), domainXmlPath(rental), seedDir, String(spec.shutdownGrace)],
        rerunOn: files.map((f) => f.contentHash),
        deleteScript: { script: "vm/rental.sh", args: ["remove", rental.domain, spec.pool, rental.image, rental.deleteDisk ? "yes" : "no", String(spec.shutdownGrace), seedDir] },
      },
      // The new host's files are written before the VM is started there: they are its dependencies.
      { dependsOn: [...args.dependsOn, ...files.map((f) => f.resource)], formerHosts: args.vmHostNames },
    );
    this.summary = { owner: rental.owner, host: rental.host, ip: rental.ip, vcpus: rental.vcpus, memory: rental.memory, disk: rental.disk };
    this.registerOutputs({});
  }
}
