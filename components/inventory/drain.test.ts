/**
 * The yearly refresh in the validator. A host with `drain: true` stays in the stack while everything moves off it;
 * the rules make sure that what stays can carry the load first: the mon quorum, a standby mgr and MDS, every
 * pool's replicas, the Slurm controller and partitions, the rentals. The refresh itself is proven on the lab
 * stack: a fourth host joins while lab3 drains, then lab3 leaves.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse, parseDocument, YAMLMap, YAMLSeq } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatDiagnostic, formatFieldPath, type Diagnostic } from "./diagnostics";
import { loadInventoryObject, loadStackText } from "./load";
import { hostsWithRole, isDraining, servingHosts } from "./model";

const ROOT = path.resolve(__dirname, "..", "..");
const LAB_FILE = path.join(ROOT, "stacks", "Pulumi.lab.yaml");
const KEY = "ssh-ed25519 AAAAC3NzaTEST";

/** A host of a generated stack: its roles, the device classes of its OSDs, whether it drains. */
interface Host {
  readonly name: string;
  readonly roles: readonly string[];
  readonly osds?: readonly string[];
  readonly drain?: boolean;
}

/** A stack with `hosts` (one line each, addresses from 10.0.0.11) and the given sections (YAML at config level). */
function stackText(hosts: readonly Host[], ...sections: string[]): string {
  const lines = hosts.map((h, i) => {
    const osds = (h.osds ?? []).map((cls, j) => `{ device: /dev/sd${"bcdefg"[j]}, class: ${cls} }`);
    const fields = [
      `name: ${h.name}`,
      `address: 10.0.0.${11 + i}`,
      `hostKey: ${KEY}`,
      `roles: [${h.roles.join(", ")}]`,
      "cpus: 4",
      "memory: 8GiB",
      ...(osds.length > 0 ? [`osds: [${osds.join(", ")}]`] : []),
      ...(h.drain ? ["drain: true"] : []),
    ];
    return `    - { ${fields.join(", ")} }`;
  });
  return ["config:", "  ie:site: { hostNetwork: 10.0.0.0/24 }", "  ie:hosts:", ...lines, ...sections, ""].join("\n");
}

/** Diagnostics as `severity field: message`, in the order the loader gives them (by line). */
function problemsOf(diagnostics: readonly Diagnostic[]): string[] {
  return diagnostics.map((d) => `${d.severity} ${formatFieldPath(d.path)}: ${d.message}`);
}

function problems(text: string): string[] {
  return problemsOf(loadStackText(text, "s.yaml").diagnostics);
}

/** Three mons that never drain (m1 also runs the mgr), for the rules that are not about mons. */
const MONS: readonly Host[] = [
  { name: "m1", roles: ["ceph-mon", "ceph-mgr"] },
  { name: "m2", roles: ["ceph-mon"] },
  { name: "m3", roles: ["ceph-mon"] },
];

describe("drainTimeout and force", () => {
  it("are errors on a host that does not drain, also when drainTimeout is written as its default", () => {
    const text = stackText([{ name: "a", roles: ["ceph-mon", "ceph-mgr"] }], "  ie:ceph: {}").replace(
      "memory: 8GiB }",
      "memory: 8GiB, drainTimeout: 1h, force: true }",
    );
    const expected = [
      "error hosts[0].drainTimeout: drainTimeout of a only means something with drain: true: set drain: true to empty a, or remove drainTimeout",
      "error hosts[0].force: force of a only means something with drain: true: set drain: true to empty a, or remove force",
    ];
    expect(problems(text).filter((p) => p.startsWith("error"))).toEqual(expected);
    // The program's path (pulumi.Config's object, no text) sees the written drainTimeout just the same.
    const config = (parse(text) as { config: Record<string, unknown> }).config;
    const raw = Object.fromEntries(Object.entries(config).map(([k, v]) => [k.slice("ie:".length), v]));
    const fromObject = problemsOf(loadInventoryObject(raw).diagnostics).filter((p) => p.startsWith("error"));
    expect(fromObject).toEqual(expected);
  });

  it("are not reported when left out or when force is false", () => {
    const text = stackText([{ name: "a", roles: ["ceph-mon", "ceph-mgr"] }], "  ie:ceph: {}").replace(
      "memory: 8GiB }",
      "memory: 8GiB, force: false }",
    );
    expect(problems(text)).toEqual([
      "warning hosts[0].roles: a single ceph-mon (a): no quorum redundancy, the cluster stops when it is down; use 3 mons in production",
    ]);
  });
});

describe("the mon quorum counts serving mons only", () => {
  const mons = (serving: number, draining: number): Host[] => [
    { name: "mgr", roles: ["ceph-mgr"] },
    ...Array.from({ length: serving }, (_, i) => ({ name: `m${i + 1}`, roles: ["ceph-mon"] })),
    ...Array.from({ length: draining }, (_, i) => ({ name: `old${i + 1}`, roles: ["ceph-mon"], drain: true })),
  ];
  const refuse = (host: string, index: number, serving: string) =>
    `error hosts[${index}].drain: ${host}'s mon would leave ${serving}: add the new mon first ` +
    "(a host with ceph-mon) so that an odd quorum of at least 3 remains";

  it.each([
    { serving: 3, draining: 1, expected: [] },
    { serving: 5, draining: 2, expected: [] },
    { serving: 2, draining: 1, expected: [refuse("old1", 3, "2 serving mons")] },
    { serving: 4, draining: 1, expected: [refuse("old1", 5, "4 serving mons")] },
    { serving: 1, draining: 1, expected: [refuse("old1", 2, "1 serving mon")] },
    { serving: 0, draining: 1, expected: [refuse("old1", 1, "0 serving mons")] },
    { serving: 2, draining: 2, expected: [refuse("old1", 3, "2 serving mons"), refuse("old2", 4, "2 serving mons")] },
  ])("$serving serving and $draining draining", ({ serving, draining, expected }) => {
    expect(problems(stackText(mons(serving, draining), "  ie:ceph: {}"))).toEqual(expected);
  });

  it("keeps the rules of a stack without drains, also when a host without a mon drains", () => {
    const twoMons = stackText(mons(2, 0), "  ie:ceph: {}");
    expect(problems(twoMons)).toEqual([
      "error hosts[2].roles: 2 hosts carry ceph-mon (m1 and m2): mons need an odd number to keep a majority quorum; add or remove one",
    ]);
    const withDrainingClient = stackText(
      [...mons(1, 0), { name: "c1", roles: ["container-host"], drain: true }],
      "  ie:ceph: {}",
      "  ie:containers: { ipPool: 10.89.0.0/22, storagePath: /srv/c, apptainerSource: http://example.org/a.deb }",
    );
    expect(problems(withDrainingClient)).toEqual([
      "warning hosts[1].roles: a single ceph-mon (m1): no quorum redundancy, the cluster stops when it is down; use 3 mons in production",
    ]);
  });
});

describe("pool replicas fit on the OSD hosts that stay", () => {
  const pools = (...lines: string[]) => ["  ie:ceph:", "    pools:", ...lines.map((l) => `      - ${l}`)].join("\n");

  it("refuses the drain that leaves a pool's class with fewer hosts than its size, naming pool and host", () => {
    const hosts: Host[] = [
      ...MONS,
      { name: "s1", roles: ["ceph-osd"], osds: ["ssd"] },
      { name: "s2", roles: ["ceph-osd"], osds: ["ssd", "hdd"] },
      { name: "s3", roles: ["ceph-osd"], osds: ["ssd", "hdd"], drain: true },
    ];
    const text = stackText(
      hosts,
      pools(
        "{ name: vms, application: rbd, size: 3, deviceClass: ssd }",
        "{ name: cold, application: rbd, size: 2, deviceClass: hdd }",
        "{ name: bulk, application: rbd, size: 2 }",
      ),
    );
    expect(problems(text)).toEqual([
      "error hosts[5].drain: pool vms keeps 3 replicas on 3 hosts with ssd OSDs; without s3 only 2 remain: add the new host first",
      "error hosts[5].drain: pool cold keeps 2 replicas on 2 hosts with hdd OSDs; without s3 only 1 remains: add the new host first",
    ]);
  });

  it("counts OSD hosts of any class for a pool without deviceClass", () => {
    const hosts: Host[] = [
      ...MONS,
      { name: "s1", roles: ["ceph-osd"], osds: ["ssd"] },
      { name: "s2", roles: ["ceph-osd"], osds: ["hdd"] },
      { name: "s3", roles: ["ceph-osd"], osds: ["nvme"], drain: true },
    ];
    expect(problems(stackText(hosts, pools("{ name: bulk, application: rbd, size: 3 }")))).toEqual([
      "error hosts[5].drain: pool bulk keeps 3 replicas on 3 hosts with OSDs; without s3 only 2 remain: add the new host first",
    ]);
    expect(problems(stackText(hosts, pools("{ name: bulk, application: rbd, size: 2 }")))).toEqual([]);
  });

  it("accepts the drain once a new host carries the class", () => {
    const hosts: Host[] = [
      ...MONS,
      { name: "s1", roles: ["ceph-osd"], osds: ["ssd"] },
      { name: "s2", roles: ["ceph-osd"], osds: ["ssd"] },
      { name: "s3", roles: ["ceph-osd"], osds: ["ssd"], drain: true },
      { name: "s4", roles: ["ceph-osd"], osds: ["ssd"] },
    ];
    expect(problems(stackText(hosts, pools("{ name: vms, application: rbd, size: 3, deviceClass: ssd }")))).toEqual([]);
  });

  it("names every draining host on each of them, and checks the CephFS pools too", () => {
    const hosts: Host[] = [
      { name: "m1", roles: ["ceph-mon", "ceph-mgr", "ceph-mds"] },
      { name: "m2", roles: ["ceph-mon"] },
      { name: "m3", roles: ["ceph-mon"] },
      { name: "s1", roles: ["ceph-osd"], osds: ["ssd"] },
      { name: "s2", roles: ["ceph-osd"], osds: ["ssd"], drain: true },
      { name: "s3", roles: ["ceph-osd"], osds: ["ssd"], drain: true },
    ];
    const cephfs = [
      "  ie:ceph:",
      "    cephfs:",
      "      name: homefs",
      "      metadataPool: { name: homefs-meta, size: 3 }",
      "      dataPool: { name: homefs-data, size: 1 }",
    ].join("\n");
    const meta = "pool homefs-meta keeps 3 replicas on 3 hosts with OSDs; without s2 and s3 only 1 remains: add the new host first";
    expect(problems(stackText(hosts, cephfs))).toEqual([
      `error hosts[4].drain: ${meta}`,
      `error hosts[5].drain: ${meta}`,
      "warning ceph.cephfs.dataPool.size: pool homefs-data keeps a single copy: a lost disk loses its data",
    ]);
  });

  it("leaves a pool that never fitted to the size rule alone", () => {
    const hosts: Host[] = [
      ...MONS,
      { name: "s1", roles: ["ceph-osd"], osds: ["ssd"] },
      { name: "s2", roles: ["ceph-osd"], osds: ["ssd"], drain: true },
    ];
    expect(problems(stackText(hosts, pools("{ name: vms, application: rbd, size: 3 }")))).toEqual([
      "error ceph.pools[0].size: pool vms keeps 3 replicas on different hosts but only 2 hosts have OSDs (s1 and s2): lower size or add OSD hosts",
    ]);
  });
});

describe("a draining mgr or MDS needs a standby that stays", () => {
  const cephfs = (mds: readonly string[]) => [
    ...MONS.map((m) => ({ ...m, roles: [...m.roles, "ceph-osd"], osds: ["ssd"] })),
    ...mds.map((name, i) => ({ name, roles: ["ceph-mds"], drain: i === 0 })),
  ];
  const CEPHFS = [
    "  ie:ceph:",
    "    cephfs: { name: homefs, metadataPool: { name: meta, size: 3 }, dataPool: { name: data, size: 3 } }",
  ].join("\n");

  it("refuses draining the only mgr, accepts it with another one", () => {
    const only: Host[] = [
      ...MONS.map((m) => ({ ...m, roles: ["ceph-mon"] })),
      { name: "g1", roles: ["ceph-mgr"], drain: true },
    ];
    expect(problems(stackText(only, "  ie:ceph: {}"))).toEqual([
      "error hosts[3].drain: g1 drains but no other host serves ceph-mgr: add a standby mgr first (the ceph-mgr role on a host that stays)",
    ]);
    const withStandby: Host[] = [...MONS, { name: "g1", roles: ["ceph-mgr"], drain: true }];
    expect(problems(stackText(withStandby, "  ie:ceph: {}"))).toEqual([]);
  });

  it("refuses draining the only MDS of a CephFS, accepts it with another one", () => {
    expect(problems(stackText(cephfs(["d1"]), CEPHFS))).toEqual([
      "error hosts[3].drain: d1 drains but no other host serves ceph-mds: add a standby MDS first (the ceph-mds role on a host that stays)",
    ]);
    expect(problems(stackText(cephfs(["d1", "d2"]), CEPHFS))).toEqual([]);
  });

  it("says nothing of a draining MDS where there is no CephFS (the MDS serves nothing anyway)", () => {
    expect(problems(stackText(cephfs(["d1"]), "  ie:ceph: {}"))).toEqual([
      "warning hosts[3].roles: d1 has the ceph-mds role but there is no ceph.cephfs: the MDS would serve nothing",
    ]);
  });
});

describe("Slurm drains", () => {
  const slurm = (...partitions: string[]) =>
    ["  ie:slurm:", "    partitions:", ...partitions.map((p) => `      - ${p}`)].join("\n");
  const hosts = (draining: readonly string[]): Host[] =>
    ["ctl", "n1", "n2"].map((name) => ({
      name,
      roles: [name === "ctl" ? "slurm-controller" : "slurm-compute"],
      drain: draining.includes(name),
    }));

  it("refuses draining the controller", () => {
    expect(problems(stackText(hosts(["ctl"]), slurm("{ name: batch, nodes: [n1, n2], default: true }")))).toEqual([
      "error hosts[0].drain: ctl runs the slurm controller: move the controller first (give the slurm-controller role to a host that stays); draining the controller is not supported",
    ]);
  });

  it("warns when a partition's only node drains, not when another node serves it", () => {
    const partitions = slurm("{ name: gpu, nodes: [n1], default: true }", "{ name: batch, nodes: [n1, n2] }");
    expect(problems(stackText(hosts(["n1"]), partitions))).toEqual([
      "warning hosts[1].drain: n1 is the only node of partition gpu: while it drains the partition has no serving node and its jobs wait; add another node to the partition first",
    ]);
    expect(problems(stackText(hosts([]), partitions))).toEqual([]);
  });

  it("warns on each node when every node of a partition drains", () => {
    const text = stackText(hosts(["n1", "n2"]), slurm("{ name: batch, nodes: [n1, n2, n2], default: true }"));
    const message =
      "n1 and n2 are all the nodes of partition batch: while they drain the partition has no serving node and its jobs wait; add another node to the partition first";
    expect(problems(text)).toEqual([
      `warning hosts[1].drain: ${message}`,
      `warning hosts[2].drain: ${message}`,
      "error slurm.partitions[0].nodes[2]: n2 is listed twice in partition batch: remove one",
    ]);
  });
});

describe("rentals stay off draining hosts", () => {
  const hosts = (drainV2: boolean): Host[] => [
    { name: "s1", roles: ["ceph-mon", "ceph-mgr", "ceph-osd"], osds: ["ssd"] },
    { name: "s2", roles: ["ceph-mon", "ceph-osd"], osds: ["ssd"] },
    { name: "s3", roles: ["ceph-mon", "ceph-osd"], osds: ["ssd"] },
    { name: "v1", roles: ["vm-host"] },
    { name: "v2", roles: ["vm-host"], drain: drainV2 },
  ];
  const vms = (host: string) =>
    [
      "  ie:ceph: { pools: [{ name: vms, application: rbd, size: 3 }] }",
      "  ie:vms:",
      "    network: 10.0.8.0/24",
      "    pool: vms",
      "    goldenImage: { name: golden, source: /var/lib/ie/golden.raw }",
      "    rentals:",
      `      - { name: alice-vm, owner: alice, host: ${host}, ip: 10.0.8.10, sshKey: ${KEY} alice }`,
    ].join("\n");

  it("refuses a rental on a draining host, at its host field", () => {
    const text = stackText(hosts(true), vms("v2"));
    const { diagnostics } = loadStackText(text, "s.yaml");
    expect(problemsOf(diagnostics)).toEqual([
      "error vms.rentals[0].host: alice-vm runs on v2, which drains: move it first by setting its host to another vm-host",
    ]);
    const lines = text.split("\n");
    const line = lines.findIndex((l) => l.includes("name: alice-vm"));
    expect(diagnostics[0]).toMatchObject({ line: line + 1, column: lines[line].indexOf("v2,") + 1 });
  });

  it("accepts it once moved to a host that stays", () => {
    expect(problems(stackText(hosts(true), vms("v1")))).toEqual([]);
  });
});

describe("the yearly refresh of the lab stack", () => {
  const LAB = fs.readFileSync(LAB_FILE, "utf8");
  let baseDir: string;

  // The lab's host and owner keys live in files it writes; give every lab host and owner one so that nothing
  // but the rules speaks.
  beforeAll(() => {
    baseDir = fs.mkdtempSync(path.join(os.tmpdir(), "ie-refresh-"));
    fs.mkdirSync(path.join(baseDir, ".lab", "hostkeys"), { recursive: true });
    fs.mkdirSync(path.join(baseDir, ".lab", "userkeys"), { recursive: true });
    for (const host of ["lab1", "lab2", "lab3", "lab4"]) {
      fs.writeFileSync(path.join(baseDir, ".lab", "hostkeys", `${host}.pub`), `${KEY} root@${host}\n`);
    }
    for (const owner of ["alice", "bob"]) fs.writeFileSync(path.join(baseDir, ".lab", "userkeys", `${owner}.pub`), `${KEY} ${owner}@lab\n`);
  });
  afterAll(() => fs.rmSync(baseDir, { recursive: true, force: true }));

  /** The lab stack edited as an admin would: lab4 with lab3's roles and OSDs, lab3's drain, the partition's nodes. */
  function refreshed(opts: { lab4: boolean; lab3: "draining" | "removed"; nodes: readonly string[] }): string {
    const doc = parseDocument(LAB);
    const hosts = doc.getIn(["config", "ie:hosts"]) as YAMLSeq<YAMLMap>;
    const lab3Index = hosts.items.findIndex((h) => h.get("name") === "lab3");
    const lab3 = hosts.items[lab3Index];
    if (opts.lab4) {
      const lab4 = doc.createNode({
        ...(lab3.toJSON() as Record<string, unknown>),
        name: "lab4",
        address: "10.77.0.14",
        hostKey: "file:.lab/hostkeys/lab4.pub",
      });
      hosts.add(lab4);
    }
    if (opts.lab3 === "draining") lab3.set("drain", true);
    if (opts.lab3 === "removed") hosts.delete(lab3Index);
    doc.setIn(["config", "ie:slurm", "partitions", 0, "nodes"], doc.createNode(opts.nodes, { flow: true }));
    return doc.toString();
  }

  const load = (text: string) => loadStackText(text, "Pulumi.lab.yaml", { baseDir });

  it("validates as shipped (with host key files)", () => {
    expect(load(LAB).diagnostics.map(formatDiagnostic)).toEqual([]);
  });

  it("validates with lab4 added and lab3 draining, lab3 counting for nothing that stays", () => {
    const text = refreshed({ lab4: true, lab3: "draining", nodes: ["lab2", "lab3", "lab4"] });
    const { inventory, diagnostics } = load(text);
    expect(diagnostics.map(formatDiagnostic)).toEqual([]);
    if (!inventory) throw new Error("no inventory");
    const names = (hosts: readonly { name: string }[]) => hosts.map((h) => h.name);
    expect(inventory.hosts.filter(isDraining).map((h) => h.name)).toEqual(["lab3"]);
    expect(names(hostsWithRole(inventory, "ceph-mon"))).toEqual(["lab1", "lab2", "lab3", "lab4"]);
    expect(names(servingHosts(inventory, "ceph-mon"))).toEqual(["lab1", "lab2", "lab4"]);
    expect(names(servingHosts(inventory, "ceph-mgr"))).toEqual(["lab1", "lab4"]);
    expect(names(servingHosts(inventory, "slurm-compute"))).toEqual(["lab2", "lab4"]);
  });

  it("validates with drainTimeout and force on draining lab3", () => {
    const text = refreshed({ lab4: true, lab3: "draining", nodes: ["lab2", "lab3", "lab4"] }).replace(
      "drain: true",
      "drain: true\n      drainTimeout: 30m\n      force: true",
    );
    const { inventory, diagnostics } = load(text);
    expect(diagnostics.map(formatDiagnostic)).toEqual([]);
    expect(inventory?.hosts[2]).toMatchObject({ name: "lab3", drain: true, drainTimeout: 1800, force: true });
  });

  it("validates once lab3 is removed", () => {
    const { inventory, diagnostics } = load(refreshed({ lab4: true, lab3: "removed", nodes: ["lab2", "lab4"] }));
    expect(diagnostics.map(formatDiagnostic)).toEqual([]);
    expect(inventory?.hosts.map((h) => h.name)).toEqual(["lab1", "lab2", "lab4"]);
  });

  it("refuses draining lab3 before lab4 exists, every reason on lab3's drain line", () => {
    const text = refreshed({ lab4: false, lab3: "draining", nodes: ["lab2", "lab3"] });
    const { diagnostics } = load(text);
    expect(problemsOf(diagnostics)).toEqual([
      "error hosts[2].drain: lab3's mon would leave 2 serving mons: add the new mon first (a host with ceph-mon) so that an odd quorum of at least 3 remains",
      "error hosts[2].drain: pool vms keeps 3 replicas on 3 hosts with ssd OSDs; without lab3 only 2 remain: add the new host first",
      "error hosts[2].drain: pool homefs-meta keeps 3 replicas on 3 hosts with ssd OSDs; without lab3 only 2 remain: add the new host first",
      "error hosts[2].drain: pool homefs-data keeps 2 replicas on 2 hosts with hdd OSDs; without lab3 only 1 remains: add the new host first",
    ]);
    const drainLine = text.split("\n").findIndex((l) => l.trim() === "drain: true") + 1;
    expect(drainLine).toBeGreaterThan(0);
    for (const d of diagnostics) expect(d.line).toBe(drainLine);
  });
});
