/**
 * A rental's cloud-init NoCloud seed: meta-data (instance id, host name), user-data (the owner's account
 * with their SSH key, no password login) and network-config (the static address). Pure YAML documents.
 */
import { stringify } from "yaml";
import type { RentalLayout } from "./render-layout";

export function renderMetaData(r: RentalLayout): string {
  return stringify({ "instance-id": r.uuid, "local-hostname": r.name });
}

export function renderUserData(r: RentalLayout): string {
  const config = {
    users: [
      {
        name: r.owner,
        gecos: `${r.owner} (rental ${r.name})`,
        shell: "/bin/bash",
        sudo: "ALL=(ALL) NOPASSWD:ALL",
        lock_passwd: true,
        ssh_authorized_keys: [r.sshKey],
      },
    ],
    ssh_pwauth: false,
    disable_root: true,
    // The rental's name resolves in the guest (sudo looks it up).
    manage_etc_hosts: true,
    // The rental's disk was grown from the golden image's size: let the guest grow its root file system.
    growpart: { mode: "auto", devices: ["/"] },
  };
  return `#cloud-config\n${stringify(config, { lineWidth: 0 })}`;
}

export function renderNetworkConfig(r: RentalLayout): string {
  return stringify({
    version: 2,
    ethernets: {
      primary: {
        match: { macaddress: r.mac },
        "set-name": "eth0",
        addresses: [`${r.ip}/${r.prefix}`],
        // cloud-init reads network-config v2 itself, and its parser takes only addresses: not netplan's "default".
        routes: [{ to: "0.0.0.0/0", via: r.gateway }],
      },
    },
  });
}
