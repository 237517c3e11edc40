import { describe, expect, it } from "vitest";
import { renderCgroupConf, renderGresConf, renderSlurmConf, slurmLayout } from "./render";
import {
  classifyCgroupConfChange,
  classifyConfChange,
  classifyGresConfChange,
  classifySlurmConfChange,
  isRestartKey,
  parseSlurmConfig,
  restartFingerprint,
} from "./restart";
import { stackInventory } from "./testdata/stack-inventory";

const layout = slurmLayout(stackInventory("ie"));
const SLURM = renderSlurmConf(layout);
const GRES = renderGresConf(layout);
const CGROUP = renderCgroupConf(layout);

/**
 * The file with the first setting line starting with `from` edited (comments are left alone); fails the
 * test when there is no such line, so that no case passes by editing nothing.
 */
function edit(text: string, from: string | RegExp, to: string): string {
  const pattern = typeof from === "string" ? new RegExp(`^([^#\\n]*)${from.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`, "m") : from;
  const result = text.replace(pattern, typeof from === "string" ? `$1${to}` : to);
  if (result === text) throw new Error(`edit of ${String(from)} changed nothing`);
  return result;
}

const NODE_GPU4 = /^NodeName=gpu4 .*\n/m;

describe("classifySlurmConfChange", () => {
  it.each(
    ([
    // [what, edited file, action, keys]
    ["the same text", SLURM, "none", []],
    ["a comment and blank lines only", `${SLURM}\n# a note\n\n`, "none", []],
    ["the same settings in another order", SLURM.split("\n").reverse().join("\n"), "none", []],
    ["a key in other letter case", edit(SLURM, "MessageTimeout=10", "messagetimeout=10"), "none", []],
    ["fields of a node line reordered", edit(SLURM, "NodeAddr=10.10.0.31 CPUs=32", "CPUs=32 NodeAddr=10.10.0.31"), "none", []],
    ["MessageTimeout", edit(SLURM, "MessageTimeout=10", "MessageTimeout=20"), "reconfigure", ["MessageTimeout"]],
    ["ReturnToService", edit(SLURM, "ReturnToService=2", "ReturnToService=1"), "reconfigure", ["ReturnToService"]],
    ["a partition's limits", edit(SLURM, "MaxNodes=2", "MaxNodes=3"), "reconfigure", ["PartitionName=gpu"]],
    ["a new partition", `${SLURM}PartitionName=debug Nodes=gpu1 State=UP\n`, "reconfigure", ["PartitionName=debug"]],
    ["a removed partition", edit(SLURM, /^PartitionName=short .*\n/m, ""), "reconfigure", ["PartitionName=short"]],
    ["config_overrides added", `${SLURM}SlurmdParameters=config_overrides\n`, "reconfigure", ["SlurmdParameters"]],
    ["a log file moved", edit(SLURM, "slurm/slurmd.log", "slurm/node.log"), "reconfigure", ["SlurmdLogFile"]],
    ["SlurmctldPort", edit(SLURM, "SlurmctldPort=6817", "SlurmctldPort=7817"), "restart", ["SlurmctldPort"]],
    ["SlurmdPort", edit(SLURM, "SlurmdPort=6818", "SlurmdPort=7818"), "restart", ["SlurmdPort"]],
    ["the controller", edit(SLURM, "ctl1(10.10.0.20)", "ctl2(10.10.0.21)"), "restart", ["SlurmctldHost"]],
    ["AuthType", edit(SLURM, "auth/munge", "auth/slurm"), "restart", ["AuthType"]],
    ["SelectType", edit(SLURM, "select/cons_tres", "select/linear"), "restart", ["SelectType"]],
    ["SelectTypeParameters", edit(SLURM, "CR_Core_Memory", "CR_Core"), "restart", ["SelectTypeParameters"]],
    ["GresTypes", edit(SLURM, "GresTypes=gpu", "GresTypes=gpu,mps"), "restart", ["GresTypes"]],
    ["ProctrackType", edit(SLURM, "proctrack/cgroup", "proctrack/linuxproc"), "restart", ["ProctrackType"]],
    ["TaskPlugin", edit(SLURM, "task/cgroup,task/affinity", "task/affinity"), "restart", ["TaskPlugin"]],
    ["SwitchType added", `${SLURM}SwitchType=switch/none\n`, "restart", ["SwitchType"]],
    ["a plugin type added", `${SLURM}JobAcctGatherType=jobacct_gather/cgroup\n`, "restart", ["JobAcctGatherType"]],
    ["StateSaveLocation", edit(SLURM, "/var/spool/slurmctld", "/srv/slurmctld"), "restart", ["StateSaveLocation"]],
    ["ClusterName", edit(SLURM, "ClusterName=ie", "ClusterName=dept"), "restart", ["ClusterName"]],
    ["a node's CPUs", edit(SLURM, "NodeName=gpu1 NodeAddr=10.10.0.31 CPUs=32", "NodeName=gpu1 NodeAddr=10.10.0.31 CPUs=64"), "restart", ["NodeName=gpu1"]],
    ["a node's GPUs", edit(SLURM, /(NodeName=gpu2 .*)gpu:tesla:2/, "$1gpu:tesla:4"), "restart", ["NodeName=gpu2"]],
    ["a node added", `${SLURM}NodeName=gpu5 NodeAddr=10.10.0.35 CPUs=32 State=UNKNOWN\n`, "restart", ["NodeName=gpu5"]],
    ["a node removed", edit(SLURM, NODE_GPU4, ""), "restart", ["NodeName=gpu4"]],
    [
      "restart and reconfigure keys together: the restart keys decide",
      edit(edit(SLURM, "MessageTimeout=10", "MessageTimeout=20"), "SlurmdPort=6818", "SlurmdPort=7818"),
      "restart",
      ["SlurmdPort"],
    ],
    [
      "several reconfigure keys, all listed",
      edit(edit(SLURM, "MessageTimeout=10", "MessageTimeout=20"), "MaxNodes=2", "MaxNodes=4"),
      "reconfigure",
      ["MessageTimeout", "PartitionName=gpu"],
    ],
  ] as const).map(([what, after, action, keys]) => [`${what} -> ${action}`, after, action, keys] as const),
  )("%s", (_title, after, action, keys) => {
    const decision = classifySlurmConfChange(SLURM, after);
    expect(decision.action).toBe(action);
    expect(decision.keys).toEqual(keys);
    expect(decision.daemons).toEqual(action === "restart" ? ["slurmctld", "slurmd"] : []);
  });
});

describe("classifyGresConfChange", () => {
  it.each(
    ([
    ["the same text", GRES, "none", [], []],
    ["another comment", `${GRES}# spare slot\n`, "none", [], []],
    ["one node's GPU type", edit(GRES, "NodeName=gpu3 Name=gpu Type=tesla", "NodeName=gpu3 Name=gpu Type=a100"), "restart", ["NodeName=gpu3"], ["gpu3"]],
    ["one node's device files", edit(GRES, /(NodeName=gpu1 .*)\[0-1\]/, "$1[0-3]"), "restart", ["NodeName=gpu1"], ["gpu1"]],
    ["a node's line removed", edit(GRES, /^NodeName=gpu4 .*\n/m, ""), "restart", ["NodeName=gpu4"], ["gpu4"]],
    ["a node added", `${GRES}NodeName=gpu5 Name=gpu Type=tesla File=/dev/nvidia0\n`, "restart", ["NodeName=gpu5"], ["gpu5"]],
    ["a second GPU type on a node", `${GRES}NodeName=gpu2 Name=gpu Type=a100 File=/dev/nvidia2\n`, "restart", ["NodeName=gpu2"], ["gpu2"]],
    ["a line for every node", `${GRES}AutoDetect=nvml\n`, "restart", ["(every node)"], "all"],
    ["a host list", `${GRES}NodeName=gpu[5-6] Name=gpu Type=tesla File=/dev/nvidia0\n`, "restart", ["NodeName=gpu[5-6]"], "all"],
  ] as const).map(([what, after, action, keys, nodes]) => [`${what} -> ${action}`, after, action, keys, nodes] as const),
  )("%s", (_title, after, action, keys, nodes) => {
    const decision = classifyGresConfChange(GRES, after);
    expect(decision.action).toBe(action);
    expect(decision.keys).toEqual(keys);
    expect(decision.nodes).toEqual(nodes);
    expect(decision.daemons).toEqual(action === "restart" ? ["slurmctld", "slurmd"] : []);
  });
});

describe("classifyCgroupConfChange (slurmd only)", () => {
  it.each(
    ([
    ["the same text", CGROUP, "none", []],
    ["a comment", `${CGROUP}# why\n`, "none", []],
    ["ConstrainDevices off", edit(CGROUP, "ConstrainDevices=yes", "ConstrainDevices=no"), "restart", ["ConstrainDevices"]],
    ["a setting added", `${CGROUP}AllowedRAMSpace=95\n`, "restart", ["AllowedRAMSpace"]],
    ["the plugin", edit(CGROUP, "autodetect", "cgroup/v2"), "restart", ["CgroupPlugin"]],
  ] as const).map(([what, after, action, keys]) => [`${what} -> ${action}`, after, action, keys] as const),
  )("%s", (_title, after, action, keys) => {
    const decision = classifyCgroupConfChange(CGROUP, after);
    expect(decision.action).toBe(action);
    expect(decision.keys).toEqual(keys);
    expect(decision.daemons).toEqual(action === "restart" ? ["slurmd"] : []);
    expect(decision.nodes).toEqual(action === "restart" ? "all" : []);
  });
});

describe("classifyConfChange", () => {
  it("dispatches on the file name", () => {
    expect(classifyConfChange("slurm.conf", SLURM, edit(SLURM, "MessageTimeout=10", "MessageTimeout=5")).action).toBe(
      "reconfigure",
    );
    expect(classifyConfChange("cgroup.conf", CGROUP, `${CGROUP}ConstrainSwapSpace=yes\n`).daemons).toEqual(["slurmd"]);
    expect(classifyConfChange("gres.conf", GRES, edit(GRES, NODE_GPU4, "")).nodes).toEqual(["gpu4"]);
  });
});

describe("isRestartKey", () => {
  it.each([
    ["SlurmctldPort", true],
    ["slurmctldport", true],
    ["AuthType", true],
    ["AuthAltTypes", true],
    ["CoreSpecPlugin", true],
    ["JobSubmitPlugins", true],
    ["NodeName=gpu1", true],
    ["Include", true],
    ["MessageTimeout", false],
    ["SelectTypeParameters", true],
    ["PartitionName=gpu", false],
    ["SlurmdParameters", false],
    ["SchedulerParameters", false],
    ["SlurmctldDebug", false],
  ])("%s -> %s", (key, expected) => {
    expect(isRestartKey(key)).toBe(expected);
  });
});

describe("parseSlurmConfig", () => {
  it("reads settings, records, continuation lines and repeated keys as Slurm does", () => {
    const parsed = parseSlurmConfig(
      [
        "# comment",
        "SchedulerParameters=bf_window=60 # trailing comment",
        "MessageTimeout=10",
        "MessageTimeout=30",
        "NodeName=n1 CPUs=4 \\",
        "  Features=\"a b\" RealMemory=100",
        "Include /etc/slurm/site.conf",
      ].join("\n"),
    );
    expect(Object.fromEntries([...parsed].map(([id, e]) => [id, `${e.key} ${e.value}`]))).toEqual({
      schedulerparameters: "SchedulerParameters bf_window=60",
      messagetimeout: "MessageTimeout 30",
      "nodename=n1": 'NodeName=n1 cpus=4 features="a b" realmemory=100',
      include: "Include /etc/slurm/site.conf",
    });
  });
});

describe("restartFingerprint", () => {
  const fingerprint = restartFingerprint(SLURM);

  it("holds the restart keys and node lines, not the reconfigure ones", () => {
    expect(fingerprint).toContain("slurmctldport=6817\n");
    expect(fingerprint).toContain("selecttype=select/cons_tres\n");
    expect(fingerprint).toMatch(/^nodename=gpu1 cpus=32 gres=gpu:tesla:2 /m);
    expect(fingerprint).not.toMatch(/messagetimeout|partitionname|returntoservice|#/);
  });

  it.each([
    ["MessageTimeout", false, edit(SLURM, "MessageTimeout=10", "MessageTimeout=20")],
    ["a partition", false, edit(SLURM, "MaxNodes=2", "MaxNodes=3")],
    ["comments and order", false, `# hello\n${SLURM.split("\n").reverse().join("\n")}`],
    ["SlurmctldPort", true, edit(SLURM, "SlurmctldPort=6817", "SlurmctldPort=7817")],
    ["a node removed", true, edit(SLURM, NODE_GPU4, "")],
    ["TaskPlugin", true, edit(SLURM, "task/cgroup,task/affinity", "task/cgroup")],
  ])("a change of %s changes it: %s", (_what, changes, after) => {
    expect(restartFingerprint(after) !== fingerprint).toBe(changes);
  });

  it("agrees with the classifier: same fingerprint <=> no restart", () => {
    const variants = [
      edit(SLURM, "MessageTimeout=10", "MessageTimeout=20"),
      edit(SLURM, "SlurmdPort=6818", "SlurmdPort=7818"),
      edit(SLURM, NODE_GPU4, ""),
      `${SLURM}PartitionName=debug Nodes=gpu1 State=UP\n`,
    ];
    for (const after of variants) {
      const restart = classifySlurmConfChange(SLURM, after).action === "restart";
      expect(restartFingerprint(after) !== fingerprint).toBe(restart);
    }
  });
});
