/**
 * VM rental on the lab: every rental of the lab stack runs from an RBD clone of the golden snapshot under
 * TCG, boots to userspace (the guest's marker on its serial console), refuses to shrink a disk, and leaves its
 * disk behind when it is removed from the stack. A memory change (that VM alone restarts) is proven with the
 * owner's login in vm-login.lab.test.ts: each restart of a guest under TCG costs minutes.
 */
import { describe, expect, it } from "vitest";
import type { Document } from "yaml";
import { apply, changedLabStack, must, onHost, summaryCounts, timingLine, timingSeconds, waitFor } from "./support";

const HOST = "lab1";
const RENTALS = ["alice-vm", "bob-vm"];
const rbd = (args: string) => must(onHost(HOST, `rbd --id libvirt ${args}`), `rbd ${args}`);
const virsh = (args: string) => must(onHost(HOST, `virsh ${args}`), `virsh ${args}`);

/**
 * What an apply could change of an RBD image: its identity, size, parent and features. Not its access and
 * modify timestamps, which the running guest moves on its own.
 */
function imageIdentity(image: string): Record<string, unknown> {
  const info = JSON.parse(rbd(`info ${image} --format json`)) as Record<string, unknown>;
  const { access_timestamp: _a, modify_timestamp: _m, ...rest } = info;
  return rest;
}

/** A copy of the lab stack with the rentals changed by `edit`. */
function withRentals(label: string, edit: (rentals: Record<string, unknown>[]) => Record<string, unknown>[]): string {
  return changedLabStack(label, (doc: Document) => {
    const rentals = (doc.getIn(["config", "ie:vms", "rentals"]) as { toJSON(): Record<string, unknown>[] }).toJSON();
    doc.setIn(["config", "ie:vms", "rentals"], doc.createNode(edit(rentals)));
  });
}

describe("rental VMs on the lab", () => {
  it("lists every rental as a running domain and its disk in the VM pool", () => {
    const domains = virsh("list --all");
    const images = rbd("ls -l vms");
    console.log(`virsh list --all on ${HOST}:\n${domains}\nrbd ls -l vms:\n${images}`);
    for (const name of RENTALS) {
      expect(domains).toMatch(new RegExp(`rental-${name}\\s+running`));
      expect(images).toMatch(new RegExp(`^rental-${name}\\s+10 GiB\\s+vms/lab-golden@golden`, "m"));
    }
  });

  it.each(RENTALS)("%s runs from a clone of the golden snapshot, with QEMU watching its RBD disk", (name) => {
    expect(virsh(`domstate rental-${name}`).trim()).toBe("running");
    expect(rbd(`info vms/rental-${name}`)).toMatch(/parent: vms\/lab-golden@golden/);
    expect(rbd(`status vms/rental-${name}`)).toMatch(/watcher=\S+ client\.\d+/);
    expect(virsh(`dominfo rental-${name}`)).toMatch(/Autostart:\s+enable/);
  });

  it.each(RENTALS)("%s boots to userspace from its RBD disk: the guest's marker on the serial console", async (name) => {
    const marker = await waitFor(
      `the guest marker of ${name}`,
      () => new RegExp(`IE-LAB-GUEST-UP ${name} root=/dev/sda1 up=\\S+`).exec(onHost(HOST, `cat /var/log/libvirt/qemu/rental-${name}-serial.log 2>/dev/null || true`).stdout)?.[0],
      240_000,
      3000,
    );
    console.log(`${name}: ${marker}`);
  });

  it("refuses to shrink a rental's disk, naming it, and changes nothing", () => {
    const before = imageIdentity("vms/rental-alice-vm");
    const changed = withRentals("vm-shrink", (rentals) => rentals.map((r) => (r.name === "alice-vm" ? { ...r, disk: "5GiB" } : r)));
    let failure = "";
    try {
      apply("--config-file", changed);
    } catch (e) {
      failure = (e as Error).message;
    }
    expect(failure).toMatch(/refusing to shrink vms\/rental-alice-vm from 10737418240 to 5368709120 bytes/);
    expect(imageIdentity("vms/rental-alice-vm")).toEqual(before);
    expect(virsh("domstate rental-alice-vm").trim()).toBe("running");
    apply();
  }, 900_000);

  it("undefines a rental removed from the stack and keeps its disk; it comes back on its own disk", () => {
    const changed = withRentals("vm-removed", (rentals) => rentals.filter((r) => r.name !== "alice-vm"));
    const counts = summaryCounts(apply("--config-file", changed));
    expect(counts.delete).toBeGreaterThanOrEqual(1);
    expect(onHost(HOST, "virsh dominfo rental-alice-vm").code).not.toBe(0);
    expect(rbd("ls -l vms")).toMatch(/^rental-alice-vm\s/m);
    apply();
    expect(virsh("domstate rental-alice-vm").trim()).toBe("running");
    expect(rbd("info vms/rental-alice-vm")).toMatch(/parent: vms\/lab-golden@golden/);
  }, 900_000);

  // Reported, not asserted: speed targets belong in benchmarks, not in tests.
  it("reports a 10 GiB disk made as a clone against a full copy of the golden image", () => {
    const timed = (cmd: string) => timingSeconds(must(onHost(HOST, timingLine(cmd)), cmd));
    onHost(HOST, "rbd --id libvirt rm --no-progress vms/timing-clone 2>/dev/null; rbd --id libvirt rm --no-progress vms/timing-copy 2>/dev/null; true");
    // As rental.sh makes a disk: the golden image (3 GiB, a Debian guest) cloned or copied, then grown to 10 GiB.
    const clone = timed("rbd --id libvirt clone vms/lab-golden@golden vms/timing-clone && rbd --id libvirt resize --no-progress --size 10G vms/timing-clone");
    const copy = timed("rbd --id libvirt cp --no-progress vms/lab-golden@golden vms/timing-copy && rbd --id libvirt resize --no-progress --size 10G vms/timing-copy");
    const sizes = rbd("ls -l vms");
    console.log(`10 GiB disk: rbd clone ${clone.toFixed(2)} s, rbd cp ${copy.toFixed(2)} s\n${sizes}`);
    // Test images only, made just above: removed again.
    must(onHost(HOST, "rbd --id libvirt rm --no-progress vms/timing-clone && rbd --id libvirt rm --no-progress vms/timing-copy"), "remove timing images");
    expect(sizes).toMatch(/^timing-clone\s+10 GiB\s+vms\/lab-golden@golden/m);
  });
});
