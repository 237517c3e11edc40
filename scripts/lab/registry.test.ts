import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { labStackPath } from "./paths";
import { planFromStackText } from "./plan";
import { hostNamesIn, mergeHosts, parseHostRecord, recordFromDefault, recordOf } from "./registry";
import { hostsNotUp } from "./status";
import { fourHostLabStack } from "./stack-fixtures";

const three = planFromStackText(readFileSync(labStackPath(), "utf8"), "stacks/Pulumi.lab.yaml");
const four = planFromStackText(fourHostLabStack(), "grow.yaml");
const lab4 = recordOf(four, four.hosts[3]);

describe("host records", () => {
  it("keep what every verb needs to reach a host booted from another file", () => {
    expect(lab4).toEqual({
      name: "lab4",
      address: "10.77.0.14",
      roles: ["slurm-compute", "container-host"],
      gpus: { type: "tesla", count: 2, devicePrefix: "/dev/nvidia" },
      hostKeyFile: ".lab/hostkeys/lab4.pub",
      subnet: "10.77.0.0/24",
      source: "grow.yaml",
    });
    expect(parseHostRecord(JSON.stringify(lab4, null, 1), "lab4")).toEqual(lab4);
  });

  it.each([
    ["not JSON", "{", "lab4"],
    ["another host's record", JSON.stringify(lab4), "lab3"],
    ["an unknown role", JSON.stringify({ ...lab4, roles: ["root"] }), "lab4"],
    ["no address", JSON.stringify({ ...lab4, address: undefined }), "lab4"],
    ["GPUs without a count", JSON.stringify({ ...lab4, gpus: { type: "tesla" } }), "lab4"],
  ])("refuse %s", (_, text, name) => {
    expect(parseHostRecord(text, name)).toBeUndefined();
  });

  it("describe hosts of the default stack that were booted before records were kept", () => {
    expect(recordFromDefault(three, "lab2")).toMatchObject({ name: "lab2", address: "10.77.0.12", hostKeyFile: ".lab/hostkeys/lab2.pub", source: "stacks/Pulumi.lab.yaml" });
    expect(recordFromDefault(three, "lab4")).toBeUndefined();
  });
});

describe("hostNamesIn", () => {
  it("finds hosts by their PID files and records, nothing else of the run dir", () => {
    const entries = ["lock", "ip_forward.before", "lab1.pid", "lab1.json", "lab2.pid", "lab4.json", "lab4.json.tmp", "lab3.overlay", "Bad.pid", ".pid"];
    expect(hostNamesIn(entries)).toEqual(["lab1", "lab2", "lab4"]);
  });
});

describe("mergeHosts (status, ssh, check)", () => {
  const records = [...three.hosts.map((h) => recordOf(three, h)), lab4];

  it("lists the default stack's hosts, then a running host booted from another file", () => {
    const hosts = mergeHosts(three.hosts, records, new Set(["lab1", "lab2", "lab3", "lab4"]));
    expect(hosts.map((h) => [h.name, h.address])).toEqual([
      ["lab1", "10.77.0.11"],
      ["lab2", "10.77.0.12"],
      ["lab3", "10.77.0.13"],
      ["lab4", "10.77.0.14"],
    ]);
    expect(hosts[3].hostKeyFile).toBe(".lab/hostkeys/lab4.pub");
  });

  it("keeps listing a recorded host that stopped (status says stopped), and the stack's hosts with no trace", () => {
    expect(mergeHosts(three.hosts, [lab4], new Set()).map((h) => h.name)).toEqual(["lab1", "lab2", "lab3", "lab4"]);
  });

  it("describes a running host by what was booted, a stopped one by the default stack", () => {
    const moved = { ...recordOf(three, three.hosts[0]), roles: ["ceph-mon" as const], source: "other.yaml" };
    expect(mergeHosts(three.hosts, [moved], new Set(["lab1"]))[0].roles).toEqual(["ceph-mon"]);
    expect(mergeHosts(three.hosts, [moved], new Set())[0].roles).toEqual(three.hosts[0].roles);
  });
});

describe("hostsNotUp (apply --config-file)", () => {
  const status = (up: string[]) => ({ hosts: ["lab1", "lab2", "lab3", "lab4"].map((name) => ({ name, address: "", roles: [], running: up.includes(name), sshd: up.includes(name) })) });

  it("names the hosts of the file that do not run or answer", () => {
    expect(hostsNotUp(["lab1", "lab2", "lab3", "lab4"], status(["lab1", "lab2", "lab3", "lab4"]))).toEqual([]);
    expect(hostsNotUp(["lab1", "lab2", "lab3", "lab4"], status(["lab1", "lab2", "lab3"]))).toEqual(["lab4"]);
    expect(hostsNotUp(["lab5"], status(["lab1"]))).toEqual(["lab5"]);
  });
});
