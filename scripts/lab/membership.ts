/**
 * Which hosts `up` boots, keeps and leaves alone, and which `down` takes: the lab grows when a stack file
 * lists a host that does not run yet, and shrinks only by `down HOST`. Pure: the callers find out what runs
 * (registry.ts, machines.ts) and act on the answer.
 *
 *   const problems = joinProblems(plan, running);      // FILE must fit the running lab, or nothing is booted
 *   const choice = chooseHostsToBoot(plan, running, answering);
 */
import ipaddr from "ipaddr.js";
import { NAME_RE } from "../../components/inventory/schema";
import { firstAddress, type LabGpus, type LabHostSpec, type LabPlan } from "./plan";
import type { HostRecord } from "./registry";

export interface UpChoice {
  /** The file's hosts that run and answer SSH: left as they are. */
  readonly keep: readonly LabHostSpec[];
  /** The file's hosts made from the base and booted: not running, or running without answering SSH. */
  readonly start: readonly LabHostSpec[];
  /** Running hosts the file does not list: left running (`down HOST` removes one). */
  readonly leftRunning: readonly HostRecord[];
  /** No lab host runs: every leftover of an earlier lab (bridge, firewall, cgroups, ...) is cleared first. */
  readonly fresh: boolean;
}

function sameGpus(a: LabGpus | undefined, b: LabGpus | undefined): boolean {
  return a?.type === b?.type && a?.count === b?.count && a?.devicePrefix === b?.devicePrefix;
}

function gpuText(g: LabGpus | undefined): string {
  return g === undefined ? "no GPUs" : `${g.count} ${g.type} GPUs at ${g.devicePrefix}N`;
}

/**
 * Why the plan's hosts cannot join the hosts that run now (empty: they can). A running host keeps its network,
 * address, GPU device nodes and pinned key file; a new host must not take a running host's address or key
 * file. Checked before anything is booted.
 */
export function joinProblems(plan: LabPlan, running: readonly HostRecord[]): string[] {
  if (running.length === 0) return [];
  const problems: string[] = [];
  const subnet = running[0].subnet;
  const [network, prefix] = ipaddr.IPv4.parseCIDR(subnet);
  const remedy = "take the lab down first ('npm run lab -- down')";
  if (plan.subnet !== subnet) {
    problems.push(
      `site.hostNetwork ${plan.subnet} is not the running lab's network ${subnet} (bridge ${plan.bridge} at ${firstAddress(subnet)}/${prefix}): use ${subnet}, or ${remedy}`,
    );
  }
  for (const host of plan.hosts) {
    if (!ipaddr.IPv4.parse(host.address).match(network, prefix)) {
      problems.push(`host ${host.name}: address ${host.address} is outside the lab's bridge network ${subnet}: pick an address in ${subnet}, or ${remedy}`);
    }
    const self = running.find((r) => r.name === host.name);
    const remake = `'npm run lab -- down ${host.name}' first, then up makes it anew`;
    if (self !== undefined) {
      if (self.address !== host.address) {
        problems.push(`host ${host.name} runs at ${self.address} (booted from ${self.source}); ${plan.source} gives it ${host.address}: ${remake}`);
      }
      if (!sameGpus(self.gpus, host.gpus)) {
        problems.push(`host ${host.name} runs with ${gpuText(self.gpus)}; ${plan.source} gives it ${gpuText(host.gpus)}: ${remake}`);
      }
      if (self.hostKeyFile !== host.hostKeyFile) {
        problems.push(`host ${host.name} has its key pinned in ${self.hostKeyFile}; ${plan.source} names file:${host.hostKeyFile}: name that file, or ${remake}`);
      }
    }
    for (const other of running.filter((r) => r.name !== host.name)) {
      if (other.address === host.address) {
        problems.push(`host ${host.name}: address ${host.address} is taken by ${other.name}, which runs (booted from ${other.source}): pick another address`);
      }
      if (other.hostKeyFile === host.hostKeyFile) {
        problems.push(`host ${host.name}: hostKey file:${host.hostKeyFile} pins ${other.name}'s key, which runs: name a file of its own`);
      }
    }
  }
  return problems;
}

/**
 * What `up` does with each host, given the hosts that run (`running`, whatever file booted them) and those of
 * them that answer SSH. A host of the file that runs but does not answer is made anew like one that is gone.
 */
export function chooseHostsToBoot(plan: LabPlan, running: readonly HostRecord[], answering: ReadonlySet<string>): UpChoice {
  const runs = new Set(running.map((r) => r.name));
  const listed = new Set(plan.hosts.map((h) => h.name));
  return {
    keep: plan.hosts.filter((h) => runs.has(h.name) && answering.has(h.name)),
    start: plan.hosts.filter((h) => !runs.has(h.name) || !answering.has(h.name)),
    leftRunning: running.filter((r) => !listed.has(r.name)),
    fresh: running.length === 0,
  };
}

/** Every host of the lab once `up` is done, as each host's /etc/hosts lists them: the file's, then the others that run. */
export function labPeers(plan: LabPlan, choice: UpChoice): { readonly name: string; readonly address: string }[] {
  const others = [...choice.leftRunning].sort((a, b) => a.name.localeCompare(b.name));
  return [...plan.hosts, ...others].map((h) => ({ name: h.name, address: h.address }));
}

/**
 * The VM hosts that need the golden image step: those started now, and those that run but were not VM hosts
 * when booted (the step does nothing where the image exists). None when the stack has no golden image.
 */
export function goldenImageHosts(plan: LabPlan, choice: UpChoice, running: readonly HostRecord[]): LabHostSpec[] {
  if (plan.goldenImage === undefined) return [];
  const started = new Set(choice.start.map((h) => h.name));
  const wasVmHost = (name: string): boolean => running.find((r) => r.name === name)?.roles.includes("vm-host") ?? false;
  return plan.hosts.filter((h) => h.roles.includes("vm-host") && (started.has(h.name) || !wasVmHost(h.name)));
}

/**
 * The hosts `down HOST...` takes (empty: every host and the network), or why the arguments are wrong. A name
 * must be a host name (it becomes a path) and one the lab knows: declared by its stack or found on this machine.
 */
export function parseDownArguments(args: readonly string[], known: readonly string[]): { readonly hosts: string[] } | { readonly error: string } {
  const hosts: string[] = [];
  for (const arg of args) {
    if (arg.startsWith("-")) return { error: `unknown option '${arg}'` };
    if (!NAME_RE.test(arg)) return { error: `'${arg}' is not a host name (lower-case letters, digits and '-', starting with a letter)` };
    if (!known.includes(arg)) {
      return { error: `no lab host '${arg}' on this machine or in stacks/Pulumi.lab.yaml (known: ${known.length > 0 ? known.join(", ") : "none"})` };
    }
    if (!hosts.includes(arg)) hosts.push(arg);
  }
  return { hosts };
}
