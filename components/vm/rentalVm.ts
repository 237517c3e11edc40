/**
 * One rental: its cloud-init seed and domain XML as ManagedFiles (drift shows a hand edit), and the
 * command that keeps the VM as declared (rental.sh: clone, grow, seed ISO, define, autostart, running).
 * Removing the rental from the inventory stops and undefines the VM; its disk stays unless the rental
 * said `deleteDisk: true` when it was last applied.
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
    this.vm = host.runScript(
      `vm-${rental.name}`,
      {
        script: "vm/rental.sh",
        args: ["ensure", rental.domain, spec.pool, rental.image, goldenSnapshot(layout), String(rental.disk), domainXmlPath(rental), seedDir, String(spec.shutdownGrace)],
        rerunOn: files.map((f) => f.contentHash),
        deleteScript: { script: "vm/rental.sh", args: ["remove", rental.domain, spec.pool, rental.image, rental.deleteDisk ? "yes" : "no", String(spec.shutdownGrace), seedDir] },
      },
      { dependsOn: [...args.dependsOn, ...files.map((f) => f.resource)] },
    );
    this.summary = { owner: rental.owner, host: rental.host, ip: rental.ip, vcpus: rental.vcpus, memory: rental.memory, disk: rental.disk };
    this.registerOutputs({});
  }
}
