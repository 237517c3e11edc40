import { describe, expect, it } from "vitest";
import {
  addressAt,
  addressToNumber,
  firstHostAddress,
  hasHostBits,
  isNetworkOrBroadcast,
  networkContains,
  networksOverlap,
  numberToAddress,
  parseNetwork,
} from "./net";

describe("parseNetwork", () => {
  it.each([
    ["10.20.0.0/22", "10.20.0.0", "10.20.3.255", 1024],
    ["10.20.1.7/22", "10.20.0.0", "10.20.3.255", 1024],
    ["192.168.1.0/24", "192.168.1.0", "192.168.1.255", 256],
    ["10.0.0.5/32", "10.0.0.5", "10.0.0.5", 1],
    ["0.0.0.0/0", "0.0.0.0", "255.255.255.255", 2 ** 32],
  ])("%s spans %s - %s (%i addresses)", (cidr, network, broadcast, size) => {
    const net = parseNetwork(cidr);
    expect(net).toMatchObject({ network, broadcast, size });
    expect(net.last - net.first + 1).toBe(size);
  });
});

describe("networkContains", () => {
  it.each([
    ["10.20.0.0/22", "10.20.3.254", true],
    ["10.20.0.0/22", "10.20.4.0", false],
    ["10.10.0.0/24", "10.10.0.0", true],
    ["10.10.0.0/24", "10.10.1.1", false],
  ])("%s contains %s: %s", (cidr, address, inside) => {
    expect(networkContains(cidr, address)).toBe(inside);
  });
});

describe("networksOverlap", () => {
  it.each([
    ["10.0.0.0/24", "10.0.0.128/25", true],
    ["10.0.0.0/25", "10.0.0.128/25", false],
    ["10.0.0.0/16", "10.0.200.0/24", true],
    ["10.0.200.0/24", "10.0.0.0/16", true],
    ["10.89.60.0/22", "10.89.64.0/22", false],
    ["10.89.60.0/22", "10.89.63.255/32", true],
  ])("%s and %s: %s", (a, b, overlap) => {
    expect(networksOverlap(a, b)).toBe(overlap);
  });
});

describe("host addresses", () => {
  it("knows network, broadcast and first host addresses", () => {
    expect(isNetworkOrBroadcast("10.20.0.0/22", "10.20.0.0")).toBe(true);
    expect(isNetworkOrBroadcast("10.20.0.0/22", "10.20.3.255")).toBe(true);
    expect(isNetworkOrBroadcast("10.20.0.0/22", "10.20.1.0")).toBe(false);
    // A /31 has no network or broadcast address (RFC 3021).
    expect(isNetworkOrBroadcast("10.0.0.0/31", "10.0.0.0")).toBe(false);
    expect(firstHostAddress("10.20.0.0/22")).toBe("10.20.0.1");
    expect(firstHostAddress("10.0.0.7/32")).toBe("10.0.0.7");
  });

  it("finds host bits in a network written with them", () => {
    expect(hasHostBits("10.20.0.5/22")).toBe(true);
    expect(hasHostBits("10.20.0.0/22")).toBe(false);
  });

  it("walks addresses by offset, within the network only", () => {
    expect(addressAt("10.89.60.0/22", 0)).toBe("10.89.60.0");
    expect(addressAt("10.89.60.0/22", 256)).toBe("10.89.61.0");
    expect(addressAt("10.89.60.0/22", 1023)).toBe("10.89.63.255");
    expect(() => addressAt("10.89.60.0/22", 1024)).toThrow(RangeError);
    expect(() => addressAt("10.89.60.0/22", -1)).toThrow(RangeError);
  });

  it("converts addresses to numbers and back", () => {
    expect(addressToNumber("255.255.255.255")).toBe(0xffff_ffff);
    expect(addressToNumber("10.0.1.2")).toBe(0x0a00_0102);
    expect(numberToAddress(0x0a00_0102)).toBe("10.0.1.2");
    expect(numberToAddress(0xffff_ffff)).toBe("255.255.255.255");
    expect(() => numberToAddress(2 ** 32)).toThrow(RangeError);
  });
});
