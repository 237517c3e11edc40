/**
 * A VM host: libvirt and QEMU with the RBD block driver, the inventory's qemu.conf settings, the VM bridge,
 * and the libvirt secret (usage type ceph) holding client.libvirt's key, set from the keyring Ceph put on
 * the host, never from a command line. The first VM host also imports the golden image.
 */
import * as pulumi from "@pulumi/pulumi";
import type { Host } from "../host/host";
import { GOLDEN_SNAPSHOT, type VmLayout } from "./render-layout";
import { qemuConfLines, renderBridgeNetdev, renderBridgeNetwork, renderSecretXml } from "./render-host";

export const VM_HOST_PACKAGES = ["libvirt-daemon-system", "qemu-system-x86", "qemu-block-extra", "qemu-utils", "genisoimage"] as const;
export const LIBVIRT_KEYRING = "/etc/ceph/ceph.client.libvirt.keyring";
const SECRET_XML = "/etc/ie-infra/libvirt/ceph-secret.xml";

export interface VmHostArgs {
  readonly host: Host;
  readonly layout: VmLayout;
  /** Whether this host imports the golden image (one host does it for the cluster). */
  readonly importsGoldenImage: boolean;
  /** Ceph ready for clients (client.libvirt's keyring on this host, the VM pool made). */
  readonly cephReady: readonly pulumi.Resource[];
}

export class VmHost extends pulumi.ComponentResource {
  /** libvirt can start RBD-backed VMs here. */
  public readonly ready: readonly pulumi.Resource[];
  /** The golden image's protected snapshot, on the host that imports it. */
  public readonly golden?: pulumi.Resource;

  constructor(name: string, args: VmHostArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ie:vm:VmHost", name, {}, opts);
    const { host, layout } = args;
    const spec = layout.spec;
    const packages = host.runScript("vm-packages", { script: "host/packages.sh", args: [...VM_HOST_PACKAGES] });
    const after = (...deps: pulumi.Resource[]) => ({ dependsOn: [packages, ...deps] });

    const lines = qemuConfLines(layout);
    const qemuConf = lines.length > 0 ? [host.runScript("vm-qemu-conf", { script: "vm/qemu-conf.sh", args: lines }, after())] : [];

    const netdev = host.writeFile("vm-bridge.netdev", { path: "/etc/systemd/network/50-ie-vm-bridge.netdev", content: renderBridgeNetdev(layout), mode: "0644", owner: "root:root" });
    const network = host.writeFile("vm-bridge.network", { path: "/etc/systemd/network/50-ie-vm-bridge.network", content: renderBridgeNetwork(layout), mode: "0644", owner: "root:root" });
    const bridge = host.runScript(
      "vm-bridge",
      { script: "vm/bridge.sh", args: [spec.bridge], rerunOn: [netdev.contentHash, network.contentHash] },
      { dependsOn: [netdev.resource, network.resource] },
    );

    const secretXml = host.writeFile("libvirt-ceph-secret", { path: SECRET_XML, content: renderSecretXml(layout), mode: "0600", owner: "root:root" }, after());
    const secret = host.runScript(
      "vm-libvirt-secret",
      { script: "vm/secret.sh", args: [layout.secretUuid, SECRET_XML, LIBVIRT_KEYRING], rerunOn: [secretXml.contentHash] },
      { dependsOn: [packages, secretXml.resource, ...qemuConf, ...args.cephReady] },
    );

    if (args.importsGoldenImage) {
      const image = spec.goldenImage;
      this.golden = host.runScript(
        "vm-golden-image",
        { script: "vm/golden.sh", args: [spec.pool, image.name, GOLDEN_SNAPSHOT, image.source] },
        { dependsOn: [packages, ...args.cephReady] },
      );
    }
    this.ready = [packages, ...qemuConf, bridge, secret];
    this.registerOutputs({});
  }
}
