import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { chooseHostsToBoot, goldenImageHosts, joinProblems, labPeers, parseDownArguments } from "./membership";
import { labStackPath } from "./paths";
import { planFromStackText, type LabPlan } from "./plan";
import { recordOf, type HostRecord } from "./registry";
import { FOURTH_HOST, fourHostLabStack, withHost } from "./stack-fixtures";

const three = planFromStackText(readFileSync(labStackPath(), "utf8"), "stacks/Pulumi.lab.yaml");
const four = planFromStackText(fourHostLabStack(), "grow.yaml");
/** The hosts of a plan as `up` recorded them when it booted them. */
const booted = (plan: LabPlan, ...names: string[]): HostRecord[] => plan.hosts.filter((h) => names.includes(h.name)).map((h) => recordOf(plan, h));
const names = (hosts: readonly { name: string }[]): string[] => hosts.map((h) => h.name);
const all = (plan: LabPlan): Set<string> => new Set(plan.hosts.map((h) => h.name));

describe("chooseHostsToBoot", () => {
  it("boots every host of a lab that is not up, after clearing what an earlier lab left", () => {
    const choice = chooseHostsToBoot(three, [], new Set());
    expect(names(choice.start)).toEqual(["lab1", "lab2", "lab3"]);
    expect(choice.keep).toEqual([]);
    expect(choice.fresh).toBe(true);
  });

  it("changes nothing when every host runs and answers", () => {
    const running = booted(three, "lab1", "lab2", "lab3");
    const choice = chooseHostsToBoot(three, running, all(three));
    expect(choice.start).toEqual([]);
    expect(names(choice.keep)).toEqual(["lab1", "lab2", "lab3"]);
    expect(choice.leftRunning).toEqual([]);
  });

  it("boots only the fourth host when a four-host file joins a running three-host lab", () => {
    const running = booted(three, "lab1", "lab2", "lab3");
    const choice = chooseHostsToBoot(four, running, all(three));
    expect(names(choice.start)).toEqual(["lab4"]);
    expect(names(choice.keep)).toEqual(["lab1", "lab2", "lab3"]);
    expect(choice.fresh).toBe(false);
  });

  it("leaves running a host the file no longer lists", () => {
    const running = [...booted(three, "lab1", "lab2", "lab3"), ...booted(four, "lab4")];
    const choice = chooseHostsToBoot(three, running, all(four));
    expect(choice.start).toEqual([]);
    expect(names(choice.leftRunning)).toEqual(["lab4"]);
    expect(choice.leftRunning[0].source).toBe("grow.yaml");
  });

  it("makes anew a listed host that runs but does not answer, and one that is gone", () => {
    const running = booted(three, "lab1", "lab2");
    const choice = chooseHostsToBoot(four, running, new Set(["lab1"]));
    expect(names(choice.start)).toEqual(["lab2", "lab3", "lab4"]);
    expect(names(choice.keep)).toEqual(["lab1"]);
    expect(choice.fresh).toBe(false);
  });

  it("does not start afresh while any lab host runs, even one the file does not list", () => {
    const onlyLab4 = planFromStackText(withHost(readFileSync(labStackPath(), "utf8"), { ...FOURTH_HOST, name: "lab5", address: "10.77.0.15", hostKey: "file:.lab/hostkeys/lab5.pub" }), "five.yaml");
    const choice = chooseHostsToBoot(onlyLab4, booted(four, "lab4"), new Set(["lab4"]));
    expect(choice.fresh).toBe(false);
    expect(names(choice.leftRunning)).toEqual(["lab4"]);
  });
});

describe("joinProblems", () => {
  const running = booted(three, "lab1", "lab2", "lab3");

  it("lets a four-host file join the running lab, and any file into an empty one", () => {
    expect(joinProblems(four, running)).toEqual([]);
    expect(joinProblems(four, [])).toEqual([]);
  });

  it("refuses another network than the running lab's, and addresses outside its bridge network", () => {
    const moved = planFromStackText(
      readFileSync(labStackPath(), "utf8").replace("hostNetwork: 10.77.0.0/24", "hostNetwork: 10.78.0.0/24").replace(/10\.77\.0\.1(\d)/g, "10.78.0.1$1"),
      "moved.yaml",
    );
    const problems = joinProblems(moved, running);
    expect(problems[0]).toMatch(/site\.hostNetwork 10\.78\.0\.0\/24 is not the running lab's network 10\.77\.0\.0\/24 \(bridge ie-lab0 at 10\.77\.0\.1\/24\)/);
    expect(problems).toContainEqual(expect.stringMatching(/^host lab1: address 10\.78\.0\.11 is outside the lab's bridge network 10\.77\.0\.0\/24/));
  });

  it("refuses a new host on a running host's address or key file", () => {
    // The loader refuses two hosts of one file on one address; a host booted from another file is the lab's to check.
    const lab3elsewhere: HostRecord = { ...booted(three, "lab3")[0], name: "lab9", hostKeyFile: ".lab/hostkeys/lab9.pub", source: "other.yaml" };
    const plan: LabPlan = { ...four, hosts: [{ ...four.hosts[3], address: "10.77.0.13" }] };
    expect(joinProblems(plan, [lab3elsewhere])).toEqual([expect.stringMatching(/^host lab4: address 10\.77\.0\.13 is taken by lab9, which runs \(booted from other\.yaml\)/)]);
    const sameKey: HostRecord = { ...lab3elsewhere, address: "10.77.0.19", hostKeyFile: ".lab/hostkeys/lab4.pub" };
    expect(joinProblems(plan, [sameKey])).toEqual([expect.stringMatching(/hostKey file:\.lab\/hostkeys\/lab4\.pub pins lab9's key/)]);
  });

  it("refuses to change a running host's address, GPUs or key file, naming the way out", () => {
    const text = readFileSync(labStackPath(), "utf8")
      .replace("address: 10.77.0.13", "address: 10.77.0.23")
      .replace("hostKey: file:.lab/hostkeys/lab1.pub", "hostKey: file:.lab/hostkeys/first.pub")
      .replace(/gpus: \{ type: tesla, count: 2 \}\s*$/m, "gpus: { type: tesla, count: 4 }");
    const problems = joinProblems(planFromStackText(text, "edited.yaml"), running);
    expect(problems).toEqual([
      expect.stringMatching(/^host lab1 has its key pinned in \.lab\/hostkeys\/lab1\.pub; edited\.yaml names file:\.lab\/hostkeys\/first\.pub/),
      expect.stringMatching(/^host lab3 runs at 10\.77\.0\.13 .*; edited\.yaml gives it 10\.77\.0\.23: 'npm run lab -- down lab3' first/),
      expect.stringMatching(/^host lab3 runs with 2 tesla GPUs at \/dev\/nvidiaN; edited\.yaml gives it 4 tesla GPUs/),
    ]);
  });

  it("lets a running host change its roles (they are not baked into its root file system)", () => {
    const text = readFileSync(labStackPath(), "utf8").replace("roles: [ceph-mon, ceph-mgr, ceph-osd, slurm-compute, container-host]", "roles: [ceph-mon, ceph-mgr, ceph-osd, slurm-compute]");
    expect(joinProblems(planFromStackText(text, "roles.yaml"), running)).toEqual([]);
  });
});

describe("labPeers", () => {
  it("lists the file's hosts, then the others left running, for every host's /etc/hosts", () => {
    const running = [...booted(three, "lab1", "lab2", "lab3"), ...booted(four, "lab4")];
    expect(labPeers(three, chooseHostsToBoot(three, running, all(four)))).toEqual([
      { name: "lab1", address: "10.77.0.11" },
      { name: "lab2", address: "10.77.0.12" },
      { name: "lab3", address: "10.77.0.13" },
      { name: "lab4", address: "10.77.0.14" },
    ]);
  });
});

describe("goldenImageHosts", () => {
  it("makes the golden image on a VM host that is started, not when another host joins", () => {
    expect(names(goldenImageHosts(three, chooseHostsToBoot(three, [], new Set()), []))).toEqual(["lab1"]);
    const running = booted(three, "lab1", "lab2", "lab3");
    expect(goldenImageHosts(four, chooseHostsToBoot(four, running, all(three)), running)).toEqual([]);
  });

  it("makes it on a new VM host, and on a running host that became one", () => {
    const vmHost = planFromStackText(withHost(readFileSync(labStackPath(), "utf8"), { ...FOURTH_HOST, roles: [...FOURTH_HOST.roles, "vm-host"] }), "vm.yaml");
    const running = booted(three, "lab1", "lab2", "lab3");
    expect(names(goldenImageHosts(vmHost, chooseHostsToBoot(vmHost, running, all(three)), running))).toEqual(["lab4"]);
    const lab1WasNot = running.map((r) => (r.name === "lab1" ? { ...r, roles: r.roles.filter((x) => x !== "vm-host") } : r));
    expect(names(goldenImageHosts(three, chooseHostsToBoot(three, lab1WasNot, all(three)), lab1WasNot))).toEqual(["lab1"]);
  });
});

describe("parseDownArguments", () => {
  const known = ["lab1", "lab2", "lab3", "lab4"];

  it("takes everything without a host, and the named hosts once each", () => {
    expect(parseDownArguments([], known)).toEqual({ hosts: [] });
    expect(parseDownArguments(["lab4"], known)).toEqual({ hosts: ["lab4"] });
    expect(parseDownArguments(["lab4", "lab2", "lab4"], known)).toEqual({ hosts: ["lab4", "lab2"] });
  });

  it.each([
    ["../../etc", /'\.\.\/\.\.\/etc' is not a host name/],
    ["lab4/", /'lab4\/' is not a host name/],
    ["Lab4", /'Lab4' is not a host name/],
    ["", /'' is not a host name/],
    ["--force", /unknown option '--force'/],
    ["lab5", /no lab host 'lab5' on this machine or in stacks\/Pulumi\.lab\.yaml \(known: lab1, lab2, lab3, lab4\)/],
  ])("refuses %j", (arg, message) => {
    const r = parseDownArguments(["lab1", arg], known);
    expect("error" in r && r.error).toMatch(message);
  });
});
