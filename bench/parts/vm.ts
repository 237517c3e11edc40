/**
 * `vm`: what a rental costs. A 10 GiB disk made as rental.sh makes it (an RBD clone of the golden snapshot,
 * grown) against a full copy; and a new rental added to the lab stack, from the start of the apply that
 * defines it to its guest's boot marker (cloud-init done, sshd up) and to the owner's first SSH login.
 * The lab's guests run under TCG (no KVM inside nspawn): boot times are an emulator's, not a server's.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Document } from "yaml";
import { apply, changedLabStack, inGuest, must, onHost, projectRoot, timingLine, timingSeconds, waitFor } from "../../test/lab/support";
import type { BenchPart, PartResult } from "../types";

const HOST = "lab1";
const BENCH_RENTAL = { name: "bench-vm", owner: "alice", host: HOST, ip: "10.77.8.20", memory: "512MiB", sshKey: "file:.lab/userkeys/alice.pub", deleteDisk: true };

/** Seconds `script` takes on the host (timed there, so SSH's own time is not in it). */
function timedOnHost(host: string, script: string): number {
  return timingSeconds(must(onHost(host, timingLine(script)), script));
}

function diskTimings(runs: number): { clone: number[]; copy: number[] } {
  const rbd = "rbd --id libvirt";
  const clean = `${rbd} rm --no-progress vms/bench-clone >/dev/null 2>&1 || true; ${rbd} rm --no-progress vms/bench-copy >/dev/null 2>&1 || true`;
  const clone: number[] = [];
  const copy: number[] = [];
  for (let i = 0; i < runs; i++) {
    must(onHost(HOST, clean), "remove earlier bench images");
    clone.push(timedOnHost(HOST, `${rbd} clone vms/lab-golden@golden vms/bench-clone && ${rbd} resize --no-progress --size 10G vms/bench-clone`));
    copy.push(timedOnHost(HOST, `${rbd} cp --no-progress vms/lab-golden@golden vms/bench-copy && ${rbd} resize --no-progress --size 10G vms/bench-copy`));
  }
  // Images made by this part only: removed again.
  must(onHost(HOST, clean), "remove the bench images");
  return { clone, copy };
}

/**
 * The lab stack with the bench rental in bob-vm's place: lab1's 2 CPUs hold two rentals (the validator
 * refuses more). bob-vm's disk is kept while it is out, and it comes back when the stack is applied as written.
 */
function stackWithBenchRental(): string {
  return changedLabStack("bench-vm-added", (doc: Document) => {
    const rentals = (doc.getIn(["config", "ie:vms", "rentals"]) as { toJSON(): Record<string, unknown>[] }).toJSON();
    doc.setIn(["config", "ie:vms", "rentals"], doc.createNode([...rentals.filter((r) => r.name !== "bob-vm"), BENCH_RENTAL]));
  });
}

interface BootSample {
  readonly apply: number;
  readonly marker: number;
  readonly login: number;
}

const markers = (rental: string) => (onHost(HOST, `cat /var/log/libvirt/qemu/rental-${rental}-serial.log 2>/dev/null || true`).stdout.match(/IE-LAB-GUEST-UP /g) ?? []).length;

/** When QEMU last started the domain (libvirt's log), in epoch milliseconds of the lab's clock (this machine's). */
function startedAt(domain: string): number {
  const log = must(onHost(HOST, `cat /var/log/libvirt/qemu/${domain}.log`), "qemu log");
  const starts = [...log.matchAll(/^(\S+ \S+): starting up/gm)].map((m) => m[1]);
  const last = starts.at(-1);
  if (last === undefined) throw new Error(`no start of ${domain} in libvirt's log`);
  return Number(must(onHost(HOST, `date -d ${JSON.stringify(last)} +%s%3N`), "date").trim());
}

/**
 * One new rental: the apply that adds it (and takes bob-vm out, shutting it down), then from QEMU's start of
 * the new domain (define and start are one step of rental.sh) to its boot marker and to alice's login. bob-vm
 * is back and booted before the next run, so that no other guest boots during a measurement.
 */
async function bootOnce(knownHosts: string): Promise<BootSample> {
  const serial = `/var/log/libvirt/qemu/rental-${BENCH_RENTAL.name}-serial.log`;
  must(onHost(HOST, `rm -f ${serial}`), "clear the serial log");
  rmSync(knownHosts, { force: true });
  const t0 = Date.now();
  apply("--config-file", stackWithBenchRental());
  const applied = Date.now();
  await waitFor("the bench rental's boot marker", () => (markers(BENCH_RENTAL.name) > 0 ? true : undefined), 900_000, 1000);
  const marker = Date.now();
  const guest = { vmHost: HOST, ip: BENCH_RENTAL.ip, knownHosts };
  await waitFor("alice's login to the bench rental", () => (inGuest(guest, "alice", join(projectRoot, ".lab", "userkeys", "alice"), "true").code === 0 ? true : undefined), 300_000, 1000);
  const login = Date.now();
  const started = startedAt(`rental-${BENCH_RENTAL.name}`);
  // The stack as written: the bench rental removed with its disk (deleteDisk: true was applied with it), bob-vm back.
  const bobBoots = markers("bob-vm");
  apply();
  await waitFor("bob-vm booted again", () => (markers("bob-vm") > bobBoots ? true : undefined), 900_000, 2000);
  return { apply: (applied - t0) / 1000, marker: (marker - started) / 1000, login: (login - started) / 1000 };
}

export const vmPart: BenchPart = {
  name: "vm",
  description: "a 10 GiB rental disk by RBD clone against a full copy; a new rental from the apply that defines it to its boot marker and its owner's SSH login (TCG guests)",
  needsLab: true,
  async run(ctx): Promise<PartResult> {
    ctx.log("vm: clone against copy");
    const disks = diskTimings(ctx.runs);
    const dir = mkdtempSync(join(tmpdir(), "bench-vm-"));
    const boots: BootSample[] = [];
    try {
      for (let i = 0; i < ctx.runs; i++) {
        ctx.log(`vm: new rental, run ${i + 1} of ${ctx.runs}`);
        boots.push(await bootOnce(join(dir, "known_hosts")));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const version = (cmd: string) => must(onHost(HOST, cmd), cmd).trim().split("\n")[0];
    return {
      tables: [
        {
          title: "A 10 GiB rental disk from the 3 GiB golden image (Debian with cloud-init, 0.4 GiB used)",
          unit: "s",
          reference: "rbd clone + resize",
          rows: [
            { label: "rbd clone + resize", samples: disks.clone, note: "what rental.sh does" },
            { label: "rbd cp + resize", samples: disks.copy, note: "a full copy" },
          ],
        },
        {
          title: "A new rental: its apply, and from QEMU's start of it to the guest's marker and the owner's login",
          unit: "s",
          rows: [
            { label: "apply (bob-vm shut down, clone, seed, define, start)", samples: boots.map((b) => b.apply), note: "includes bob-vm's ACPI shutdown" },
            { label: "start to boot marker (cloud-init done, sshd up)", samples: boots.map((b) => b.marker) },
            { label: "start to the owner's first SSH login", samples: boots.map((b) => b.login) },
          ],
        },
      ],
      notes: [
        "The disk timings run on lab1 against the lab's Ceph (file-backed OSDs on this machine's disk).",
        "lab1's 2 CPUs hold two rentals (the validator refuses more), so the new rental takes bob-vm's place during a run; bob-vm is back and booted before the next one. Boot times are counted from QEMU's start of the domain (libvirt's log), which rental.sh does right after defining it.",
        "The guest is the lab's golden image: Debian 13 with the cloud kernel, booted directly by QEMU under TCG (no KVM inside nspawn hosts), 1 vCPU, 512 MiB. On KVM the boot is several times faster.",
      ],
      versions: { qemu: version("qemu-system-x86_64 --version"), ceph: version("ceph --version") },
    };
  },
};
