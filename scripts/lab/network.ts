/**
 * The lab's network on this machine: a bridge carrying the gateway address, IPv4 forwarding, and the
 * lab's own nftables table (see nft.ts). Everything here is named so that `down` can find and remove it.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { run, tryRun } from "./exec";
import { MIRROR_PORTS, renderLabFirewall } from "./nft";
import { runDir } from "./paths";
import { LAB_NFT_TABLE, type LabPlan } from "./plan";

const IP_FORWARD = "/proc/sys/net/ipv4/ip_forward";

/** Where `up` notes that it turned forwarding on, so that `down` can turn it off again. */
function forwardingNote(): string {
  return path.join(runDir(), "ip_forward.before");
}

export function bridgeExists(bridge: string): boolean {
  return tryRun("ip", ["link", "show", "dev", bridge]).status === 0;
}

export function nftTableExists(table: string = LAB_NFT_TABLE): boolean {
  return tryRun("nft", ["list", "table", "inet", table]).status === 0;
}

/** Create (or repair) the bridge, forwarding and the firewall; returns what it changed. */
export function ensureNetwork(plan: LabPlan, mirrorAddresses: readonly string[]): string[] {
  const changed: string[] = [];
  if (!bridgeExists(plan.bridge)) {
    run("ip", ["link", "add", "name", plan.bridge, "type", "bridge"]);
    changed.push(`bridge ${plan.bridge} created`);
  }
  const want = `${plan.gateway}/${plan.prefixLength}`;
  const addresses = run("ip", ["-o", "-4", "addr", "show", "dev", plan.bridge]);
  if (!addresses.includes(` ${want} `)) {
    run("ip", ["addr", "replace", want, "dev", plan.bridge]);
    changed.push(`${plan.bridge} has ${want}`);
  }
  run("ip", ["link", "set", "dev", plan.bridge, "up"]);

  if (readFileSync(IP_FORWARD, "utf8").trim() !== "1") {
    mkdirSync(runDir(), { recursive: true });
    writeFileSync(forwardingNote(), "0\n");
    writeFileSync(IP_FORWARD, "1\n");
    changed.push("net.ipv4.ip_forward=1");
  }

  const ruleset = renderLabFirewall({
    table: LAB_NFT_TABLE,
    bridge: plan.bridge,
    subnet: plan.subnet,
    mirrorAddresses,
    mirrorPorts: MIRROR_PORTS,
  });
  const existed = nftTableExists();
  const current = existed ? firewallMirrorAddresses() : [];
  if (!existed || current.join(" ") !== [...mirrorAddresses].sort().join(" ")) {
    run("nft", ["-f", "-"], { input: ruleset });
    changed.push(existed ? `nft table inet ${LAB_NFT_TABLE} reloaded (mirror addresses changed)` : `nft table inet ${LAB_NFT_TABLE} created`);
  }
  return changed;
}

/** The mirror addresses the loaded firewall lets through, sorted (empty without the table). */
export function firewallMirrorAddresses(): string[] {
  const r = tryRun("nft", ["list", "set", "inet", LAB_NFT_TABLE, "mirror"]);
  const elements = /elements = \{([^}]*)\}/.exec(r.stdout)?.[1] ?? "";
  return elements
    .split(",")
    .map((e) => e.trim())
    .filter((e) => e !== "")
    .sort();
}

/** Remove the firewall and the bridge and restore forwarding; returns what it removed. Safe to repeat. */
export function removeNetwork(bridge: string): string[] {
  const removed: string[] = [];
  if (nftTableExists()) {
    run("nft", ["delete", "table", "inet", LAB_NFT_TABLE]);
    removed.push(`nft table inet ${LAB_NFT_TABLE}`);
  }
  // Links of hosts whose network namespace somehow outlived them would keep the bridge busy.
  for (const link of labVethLinks(bridge)) {
    if (tryRun("ip", ["link", "del", "dev", link]).status === 0) removed.push(`link ${link}`);
  }
  if (bridgeExists(bridge)) {
    run("ip", ["link", "del", "dev", bridge]);
    removed.push(`bridge ${bridge}`);
  }
  if (existsSync(forwardingNote())) {
    // Another bridge may belong to containers that rely on forwarding: leave it on for them.
    if (otherBridges(bridge).length === 0) {
      writeFileSync(IP_FORWARD, "0\n");
      removed.push("net.ipv4.ip_forward back to 0");
    }
    rmSync(forwardingNote());
  }
  return removed;
}

/** Host-side veth ends nspawn made for the lab bridge (`vb-<machine>`) that are still attached to it. */
export function labVethLinks(bridge: string): string[] {
  const r = tryRun("ip", ["-o", "link", "show", "master", bridge]);
  if (r.status !== 0) return [];
  return r.stdout
    .split("\n")
    .map((l) => /^\d+:\s+([^@:\s]+)/.exec(l)?.[1])
    .filter((n): n is string => n !== undefined);
}

function otherBridges(bridge: string): string[] {
  const r = tryRun("ip", ["-o", "link", "show", "type", "bridge"]);
  return r.stdout
    .split("\n")
    .map((l) => /^\d+:\s+([^@:\s]+)/.exec(l)?.[1])
    .filter((n): n is string => n !== undefined && n !== bridge);
}
