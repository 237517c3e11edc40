import { describe, expect, it } from "vitest";
import { MIRROR_PORTS, renderLabFirewall } from "./nft";

const fw = { table: "ie_lab", bridge: "ie-lab0", subnet: "10.77.0.0/24", mirrorAddresses: ["203.0.113.80", "203.0.113.81"], mirrorPorts: MIRROR_PORTS };
const text = renderLabFirewall(fw);
const lines = text.split("\n").map((l) => l.trim());

describe("renderLabFirewall", () => {
  it("replaces the table atomically, also when it does not exist yet", () => {
    expect(lines.slice(0, 3)).toEqual(["table inet ie_lab", "delete table inet ie_lab", "table inet ie_lab {"]);
  });

  it("lets the lab reach only the mirror's addresses on http and https, masqueraded", () => {
    expect(lines).toContain("elements = { 203.0.113.80, 203.0.113.81 }");
    expect(lines).toContain('iifname "ie-lab0" ip saddr 10.77.0.0/24 ip daddr @mirror tcp dport { 80, 443 } accept');
    expect(lines).toContain('oifname != "ie-lab0" ip saddr 10.77.0.0/24 ip daddr @mirror tcp dport { 80, 443 } masquerade');
    expect(lines.filter((l) => l.includes("masquerade"))).toHaveLength(1);
  });

  it("lets lab hosts talk to each other (bridged traffic passes the forward hook with br_netfilter)", () => {
    const intraLab = lines.indexOf("ip saddr 10.77.0.0/24 ip daddr 10.77.0.0/24 accept");
    expect(intraLab).toBeGreaterThan(0);
    expect(intraLab).toBeLessThan(lines.indexOf('iifname "ie-lab0" reject with icmpx admin-prohibited'));
  });

  it("refuses every other forwarded packet from the lab, after the one accept", () => {
    const accept = lines.findIndex((l) => l.endsWith("accept") && l.includes("@mirror"));
    const refuseBridge = lines.indexOf('iifname "ie-lab0" reject with icmpx admin-prohibited');
    const refuseSubnet = lines.indexOf("ip saddr 10.77.0.0/24 reject with icmpx admin-prohibited");
    expect(accept).toBeGreaterThan(0);
    expect(refuseBridge).toBeGreaterThan(accept);
    expect(refuseSubnet).toBeGreaterThan(accept);
  });

  it("lets only replies into the lab and keeps the lab away from this machine's own services", () => {
    expect(lines).toContain('oifname "ie-lab0" ip daddr 10.77.0.0/24 ct state established,related accept');
    expect(lines).toContain('oifname "ie-lab0" drop');
    const input = text.slice(text.indexOf("chain input"), text.indexOf("chain postrouting"));
    expect(input).toContain('iifname "ie-lab0" ct state established,related accept');
    expect(input).toContain('iifname "ie-lab0" reject with icmpx admin-prohibited');
  });

  it("has no other outbound accept than the mirror's (the intra-lab one stays inside the subnet)", () => {
    const intraLab = "ip saddr 10.77.0.0/24 ip daddr 10.77.0.0/24 accept";
    const accepts = lines.filter((l) => l.endsWith(" accept") && l !== intraLab && !l.includes("established") && !l.includes("echo-request"));
    expect(accepts).toEqual(['iifname "ie-lab0" ip saddr 10.77.0.0/24 ip daddr @mirror tcp dport { 80, 443 } accept']);
  });

  it("names the lab by its subnet, never by host addresses: a host that joins (lab4 at 10.77.0.14) needs no new rule", () => {
    const operands = [...text.matchAll(/ip [sd]addr (\S+)/g)].map((m) => m[1]);
    expect(new Set(operands)).toEqual(new Set(["10.77.0.0/24", "@mirror"]));
  });

  it("refuses to render without a mirror address", () => {
    expect(() => renderLabFirewall({ ...fw, mirrorAddresses: [] })).toThrow(/at least one mirror address/);
  });
});
