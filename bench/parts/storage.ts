/**
 * `storage` (the report's fig. 2, plus the reads it could not measure): for each file size, the report's
 * `dd bs=1M conv=fdatasync` write, then a read with the caches dropped, on
 *   - the container SSD path (local; the reference),
 *   - a user's CephFS home (ceph-fuse): written from lab3, read on lab2, whose client never held the file,
 *   - RBD raw through librbd (`rbd bench`, sequential 1 MiB I/O, a new client for each pass),
 *   - an RBD disk seen by a rental VM (alice in alice-vm: the real user path; QEMU under TCG).
 * Page caches are dropped on the machine itself (the lab's hosts share its kernel) and in the guest.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { inGuest, must, onHost, projectRoot, timingLine, timingSeconds } from "../../test/lab/support";
import type { BenchPart, PartResult, Plot, Table } from "../types";

const MIB = 1024 * 1024;
const SIZES_MIB = [16, 32, 64, 128, 256, 512, 1024];
const GUEST = { vmHost: "lab1", ip: "10.77.8.10", knownHosts: join(projectRoot, ".lab", "bench-known-hosts") };
const ALICE_KEY = join(projectRoot, ".lab", "userkeys", "alice");

/** One pass: MB/s (10^6 bytes per second, as dd prints it). */
type Pass = (sizeMib: number) => number;
interface Storage {
  readonly label: string;
  readonly write: Pass;
  readonly read: Pass;
  readonly cleanup: () => void;
}

const mbps = (sizeMib: number, seconds: number) => (sizeMib * MIB) / seconds / 1e6;

/** Drop this machine's page cache: every lab host's file reads start from the disk again. */
function dropMachineCaches(): void {
  must(onHost("lab1", "sync"), "sync");
  writeFileSync("/proc/sys/vm/drop_caches", "3\n");
}

/** Seconds a script takes on a host (timed there). */
function timed(host: string, script: string): number {
  return timingSeconds(must(onHost(host, timingLine(script)), script));
}

function ddWrite(host: string, file: string, sizeMib: number): number {
  return mbps(sizeMib, timed(host, `dd if=/dev/zero of=${file} bs=1M count=${sizeMib} conv=fdatasync`));
}

function ddRead(host: string, file: string, sizeMib: number): number {
  dropMachineCaches();
  return mbps(sizeMib, timed(host, `dd if=${file} of=/dev/null bs=1M`));
}

const local: Storage = {
  label: "container SSD path (local)",
  write: (n) => ddWrite("lab2", "/srv/ssd/containers/bench-dd", n),
  read: (n) => ddRead("lab2", "/srv/ssd/containers/bench-dd", n),
  cleanup: () => must(onHost("lab2", "rm -f /srv/ssd/containers/bench-dd"), "rm"),
};

const cephfs: Storage = {
  label: "CephFS home (ceph-fuse)",
  write: (n) => ddWrite("lab3", "/home/alice/bench-dd", n),
  read: (n) => ddRead("lab2", "/home/alice/bench-dd", n),
  cleanup: () => must(onHost("lab3", "rm -f /home/alice/bench-dd"), "rm"),
};

/**
 * `rbd bench` ends with "elapsed: SECONDS ops: N ops/sec: X bytes/sec: Y": whole seconds, so the rate is
 * taken from ops/sec (1 MiB each).
 */
function rbdBench(kind: "write" | "read", sizeMib: number): number {
  const out = must(onHost("lab1", `rbd bench --io-type ${kind} --io-size 1M --io-threads 1 --io-pattern seq --io-total ${sizeMib}M vms/bench-raw 2>&1`), `rbd bench ${kind}`);
  const m = /ops\/sec:\s*([\d.]+)/.exec(out);
  if (m === null) throw new Error(`rbd bench printed no rate:\n${out}`);
  return (Number(m[1]) * MIB) / 1e6;
}

const rbdRaw: Storage = {
  label: "RBD raw (librbd, rbd bench)",
  write: (n) => {
    must(onHost("lab1", "rbd rm --no-progress vms/bench-raw >/dev/null 2>&1 || true; rbd create --size 2G vms/bench-raw"), "rbd create");
    return rbdBench("write", n);
  },
  read: (n) => rbdBench("read", n),
  cleanup: () => must(onHost("lab1", "rbd rm --no-progress vms/bench-raw"), "rbd rm"),
};

function inAliceVm(script: string): string {
  return must(inGuest(GUEST, "alice", ALICE_KEY, script), script);
}

function guestTimed(script: string): number {
  return timingSeconds(inAliceVm(timingLine(script)));
}

const rbdInVm: Storage = {
  label: "RBD disk in a rental VM (TCG)",
  write: (n) => mbps(n, guestTimed(`dd if=/dev/zero of=$HOME/bench-dd bs=1M count=${n} conv=fdatasync`)),
  read: (n) => {
    inAliceVm("sync; echo 3 | sudo -n tee /proc/sys/vm/drop_caches >/dev/null");
    return mbps(n, guestTimed("dd if=$HOME/bench-dd of=/dev/null bs=1M"));
  },
  // Deleted and trimmed, so that the clone gives the space back to the pool.
  cleanup: () => {
    inAliceVm("rm -f $HOME/bench-dd && sudo -n fstrim /");
  },
};

export const storagePart: BenchPart = {
  name: "storage",
  description: "dd bs=1M conv=fdatasync writes and cold-cache reads from 16 MiB to 1 GiB on the local SSD path, CephFS, RBD raw and RBD in a VM",
  needsLab: true,
  async run(ctx): Promise<PartResult> {
    const storages = [local, cephfs, rbdRaw, rbdInVm];
    const results = new Map<string, { write: number[][]; read: number[][] }>();
    for (const s of storages) results.set(s.label, { write: SIZES_MIB.map(() => []), read: SIZES_MIB.map(() => []) });
    for (let run = 0; run < ctx.runs; run++) {
      for (const s of storages) {
        ctx.log(`storage: ${s.label}, run ${run + 1} of ${ctx.runs}`);
        const r = results.get(s.label);
        if (r === undefined) continue;
        SIZES_MIB.forEach((n, i) => {
          r.write[i].push(s.write(n));
          r.read[i].push(s.read(n));
          s.cleanup();
        });
      }
    }
    const plot = (kind: "write" | "read"): Plot => ({
      id: `storage-${kind}`,
      title: `${kind === "write" ? "Write (dd conv=fdatasync)" : "Read, caches dropped"} by file size`,
      xLabel: "file size (MiB)",
      yLabel: "MB/s",
      xLog2: true,
      series: storages.map((s) => ({ label: s.label, points: SIZES_MIB.map((n, i) => ({ x: n, samples: results.get(s.label)?.[kind][i] ?? [] })) })),
    });
    const at256 = SIZES_MIB.indexOf(256);
    const table = (kind: "write" | "read"): Table => ({
      title: `${kind === "write" ? "Write" : "Read (caches dropped)"} of a 256 MiB file`,
      unit: "MB/s",
      higherIsBetter: true,
      reference: local.label,
      rows: storages.map((s) => ({ label: s.label, samples: results.get(s.label)?.[kind][at256] ?? [] })),
    });
    const ceph = must(onHost("lab1", "ceph --version"), "ceph --version").trim();
    return {
      tables: [table("write"), table("read")],
      plots: [plot("write"), plot("read")],
      notes: [
        "Every lab OSD is a file on this machine's one disk, as is the local path: the figures compare the software paths on one disk, not a Ceph cluster's network and spindles.",
        "CephFS is read on another client than the one that wrote it, so ceph-fuse's own cache does not serve the read. RBD reads may still come from the OSDs' BlueStore cache.",
        "The VM's disk is reached by QEMU's librbd under TCG: its figures include the emulator's cost.",
      ],
      versions: { ceph },
    };
  },
};
