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
import { apply, changedLabStack, inGuest, must, onHost, projectRoot, waitFor } from "../../test/lab/support";
import type { BenchPart, PartResult } from "../types";

const HOST = "lab1";
const BENCH_RENTAL = { name: "bench-vm", owner: "alice", host: HOST, ip: "10.77.8.20", memory: "512MiB", sshKey: "file:.lab/userkeys/alice.pub", deleteDisk: true };

/** Seconds `script` takes on the host (timed there, so SSH's own time is not in it). */
function timedOnHost(host: string, script: string): number {
  const out = must(onHost(host, `s=$(date +%s.%N); ${script} >/dev/null; e=$(date +%s.%N); echo "$s $e"`), script).trim().split(" ").map(Number);
  return out[1] - out[0];
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

async function bootOnce(knownHosts: string): Promise<BootSample> {
  const serial = `/var/log/libvirt/qemu/rental-${BENCH_RENTAL.name}-serial.log`;
  must(onHost(HOST, `rm -f ${serial}`), "clear the serial log");
  rmSync(knownHosts, { force: true });
  const t0 = Date.now();
  apply("--config-file", stackWithBenchRental());
  const applied = Date.now();
  await waitFor("the bench rental's boot marker", () => (/IE-LAB-GUEST-UP bench-vm /.test(onHost(HOST, `cat ${serial} 2>/dev/null || true`).stdout) ? true : undefined), 900_000, 1000);
  const marker = Date.now();
  const guest = { vmHost: HOST, ip: BENCH_RENTAL.ip, knownHosts };
  await waitFor("alice's login to the bench rental", () => (inGuest(guest, "alice", join(projectRoot, ".lab", "userkeys", "alice"), "true").code === 0 ? true : undefined), 300_000, 1000);
  const login = Date.now();
  // The stack as written: the bench rental removed with its disk (deleteDisk: true was applied with it), bob-vm back.
  apply();
  return { apply: (applied - t0) / 1000, marker: (marker - t0) / 1000, login: (login - t0) / 1000 };
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
          title: "A new rental, from the start of the apply that adds it",
          unit: "s",
          rows: [
            { label: "apply done (clone, seed, define, start)", samples: boots.map((b) => b.apply) },
            { label: "guest's boot marker (cloud-init done, sshd up)", samples: boots.map((b) => b.marker) },
            { label: "owner's first SSH login", samples: boots.map((b) => b.login) },
          ],
        },
      ],
      notes: [
        "The disk timings run on lab1 against the lab's Ceph (file-backed OSDs on this machine's disk).",
        "The guest is the lab's golden image: Debian 13 with the cloud kernel, booted directly by QEMU under TCG (no KVM inside nspawn hosts), 1 vCPU, 512 MiB. On KVM the boot is several times faster.",
      ],
      versions: { qemu: version("qemu-system-x86_64 --version"), ceph: version("ceph --version") },
    };
  },
};
