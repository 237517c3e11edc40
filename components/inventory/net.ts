/**
 * IPv4 network maths on the strings a stack holds (`10.20.0.0/22`, `10.20.0.11`), on top of ipaddr.js.
 * Pure; callers pass text the schema has already checked, so malformed input throws.
 */
import ipaddr from "ipaddr.js";

/** An IPv4 network with its bounds, as 32-bit unsigned numbers and as text. */
export interface Ipv4Network {
  /** The CIDR as written. */
  readonly cidr: string;
  readonly prefix: number;
  /** Network address (all host bits zero), e.g. `10.20.0.0`. */
  readonly network: string;
  /** Broadcast address (all host bits one), e.g. `10.20.3.255`. */
  readonly broadcast: string;
  /** Number of addresses, network and broadcast included (2^(32-prefix)). */
  readonly size: number;
  readonly first: number;
  readonly last: number;
}

/** The address as a 32-bit unsigned number (for ordering and offsets). */
export function addressToNumber(address: string): number {
  return ipaddr.IPv4.parse(address).octets.reduce((n, octet) => n * 256 + octet, 0);
}

/** The dotted form of a 32-bit unsigned number. */
export function numberToAddress(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff_ffff) throw new RangeError(`${n} is not an IPv4 address`);
  return new ipaddr.IPv4([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]).toString();
}

export function parseNetwork(cidr: string): Ipv4Network {
  const [, prefix] = ipaddr.IPv4.parseCIDR(cidr);
  const network = ipaddr.IPv4.networkAddressFromCIDR(cidr).toString();
  const broadcast = ipaddr.IPv4.broadcastAddressFromCIDR(cidr).toString();
  return {
    cidr,
    prefix,
    network,
    broadcast,
    size: 2 ** (32 - prefix),
    first: addressToNumber(network),
    last: addressToNumber(broadcast),
  };
}

/** True when the CIDR has host bits set (`10.20.0.5/22`): tools disagree on what such a network means. */
export function hasHostBits(cidr: string): boolean {
  const [address] = ipaddr.IPv4.parseCIDR(cidr);
  return address.toString() !== parseNetwork(cidr).network;
}

export function networkContains(cidr: string, address: string): boolean {
  return ipaddr.IPv4.parse(address).match(ipaddr.IPv4.parseCIDR(cidr));
}

/** True when the two networks share at least one address. */
export function networksOverlap(a: string, b: string): boolean {
  const na = parseNetwork(a);
  const nb = parseNetwork(b);
  return na.first <= nb.last && nb.first <= na.last;
}

/** The network or the broadcast address of a network with room for hosts (prefix up to /30). */
export function isNetworkOrBroadcast(cidr: string, address: string): boolean {
  const net = parseNetwork(cidr);
  if (net.prefix > 30) return false;
  return address === net.network || address === net.broadcast;
}

/** The address `offset` places after the network address (offset 1 is the first host address). */
export function addressAt(cidr: string, offset: number): string {
  const net = parseNetwork(cidr);
  if (!Number.isInteger(offset) || offset < 0 || offset >= net.size) {
    throw new RangeError(`offset ${offset} is outside ${cidr} (${net.size} addresses)`);
  }
  return numberToAddress(net.first + offset);
}

/** The first usable host address: the conventional gateway. */
export function firstHostAddress(cidr: string): string {
  return addressAt(cidr, parseNetwork(cidr).prefix > 30 ? 0 : 1);
}
