/**
 * The lab's own nftables table. The lab may reach exactly one thing outside: the Debian mirror, over
 * HTTP(S), masqueraded behind this machine. Everything else from the lab subnet or its bridge is refused
 * (forwarded or addressed to this machine itself, whose services are not the lab's business), and nothing
 * from outside may open a connection into the lab. Pure: the text is loaded with `nft -f`.
 */

export interface LabFirewall {
  /** nft table name (family inet). */
  readonly table: string;
  readonly bridge: string;
  /** The lab subnet in CIDR notation. */
  readonly subnet: string;
  /** IPv4 addresses of the Debian mirror; the only destinations let out. */
  readonly mirrorAddresses: readonly string[];
  /** TCP ports let out to the mirror. */
  readonly mirrorPorts: readonly number[];
}

/** The mirror's ports: apt over http and https. */
export const MIRROR_PORTS: readonly number[] = [80, 443];

/**
 * The ruleset, written as one atomic transaction that replaces any previous version of the table (the
 * empty `table` line makes the `delete` valid when the table does not exist yet).
 */
export function renderLabFirewall(fw: LabFirewall): string {
  if (fw.mirrorAddresses.length === 0) throw new Error("the lab firewall needs at least one mirror address");
  const bridge = JSON.stringify(fw.bridge);
  const ports = fw.mirrorPorts.join(", ");
  const toMirror = `ip saddr ${fw.subnet} ip daddr @mirror tcp dport { ${ports} }`;
  return [
    `table inet ${fw.table}`,
    `delete table inet ${fw.table}`,
    `table inet ${fw.table} {`,
    `\tset mirror {`,
    `\t\ttype ipv4_addr`,
    `\t\telements = { ${fw.mirrorAddresses.join(", ")} }`,
    `\t}`,
    ``,
    `\tchain forward {`,
    `\t\ttype filter hook forward priority filter; policy accept;`,
    `\t\t# lab host to lab host: bridged frames reach this hook too where bridge-nf-call-iptables is on`,
    `\t\tip saddr ${fw.subnet} ip daddr ${fw.subnet} accept`,
    `\t\tiifname ${bridge} ${toMirror} accept`,
    `\t\toifname ${bridge} ip daddr ${fw.subnet} ct state established,related accept`,
    `\t\t# refused rather than silently dropped: a host trying anything else fails at once, not after a timeout`,
    `\t\tiifname ${bridge} reject with icmpx admin-prohibited`,
    `\t\tip saddr ${fw.subnet} reject with icmpx admin-prohibited`,
    `\t\toifname ${bridge} drop`,
    `\t\tip daddr ${fw.subnet} drop`,
    `\t}`,
    ``,
    `\tchain input {`,
    `\t\ttype filter hook input priority filter; policy accept;`,
    `\t\tiifname ${bridge} ct state established,related accept`,
    `\t\tiifname ${bridge} icmp type echo-request accept`,
    `\t\tiifname ${bridge} reject with icmpx admin-prohibited`,
    `\t}`,
    ``,
    `\tchain postrouting {`,
    `\t\ttype nat hook postrouting priority srcnat; policy accept;`,
    `\t\toifname != ${bridge} ${toMirror} masquerade`,
    `\t}`,
    `}`,
    ``,
  ].join("\n");
}
