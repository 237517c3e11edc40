/**
 * rental.sh run for real on this machine, against stand-ins for rbd, virsh, genisoimage, hostname and sleep
 * that play a VM host whose state each test sets (the lab runs it against real Ceph and libvirt). What a move
 * needs of it: `ensure` on the new host keeps the existing disk and starts the VM only once no other host has
 * the disk open; `remove` on the old host stops the VM, cleans its seed directory and keeps the disk.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const SCRIPT = join(__dirname, "rental.sh");
const THIS_HOST = "10.77.0.13";
const OTHER_HOST = "10.77.0.11";
const SIZE = String(10 * 1024 ** 3);

let dir = "";
let state = "";
let seed = "";

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "rental-sh-"));
  state = join(dir, "state");
  seed = join(dir, "vms", "alice-vm");
  mkdirSync(state);
  mkdirSync(seed, { recursive: true });
  for (const f of ["user-data", "meta-data", "network-config"]) writeFileSync(join(seed, f), `${f}\n`);
  writeFileSync(join(seed, "domain.xml"), "<domain><name>rental-alice-vm</name></domain>\n");
  standIns();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Stand-ins: the image and the domain live in files of `state/`; every call is logged to `calls`. */
function standIns(): void {
  const bin = join(dir, "bin");
  mkdirSync(bin);
  const scripts: Record<string, string> = {
    // rbd --id libvirt VERB ...: images are files holding their size; `status` prints the next queued answer.
    rbd: `
echo "rbd $*" >> ${dir}/calls
[[ $1 == --id && $2 == libvirt ]] || { echo "rbd: not as client.libvirt: $*" >&2; exit 9; }
shift 2
img() { echo "${state}/image-\${1//\\//_}"; }
case "$1" in
  info) [[ -f $(img "$2") ]] || exit 2; echo "{\\"name\\":\\"x\\",\\"size\\":$(cat "$(img "$2")"),\\"objects\\":2560}" ;;
  clone) echo 4096 > "$(img "$3")" ;;
  resize) echo "\${3%B}" > "$(img "$4")" ;;
  rm) rm "$(img "$3")" ;;
  status)
    if [[ -s ${state}/status-queue ]]; then head -n 1 ${state}/status-queue; sed -i 1d ${state}/status-queue
    else cat ${state}/status 2>/dev/null || echo '{"watchers":[]}'; fi ;;
  *) exit 9 ;;
esac`,
    virsh: `
echo "virsh $*" >> ${dir}/calls
case "$1" in
  domstate) [[ -f ${state}/dom-$2 ]] || exit 1; cat ${state}/dom-$2 ;;
  dominfo) [[ -f ${state}/dom-$2 ]] ;;
  define) name=$(sed -n 's/.*<name>\\(.*\\)<\\/name>.*/\\1/p' "$2"); [[ -f ${state}/dom-$name ]] || echo "shut off" > ${state}/dom-$name ;;
  autostart) ;;
  start) echo running > ${state}/dom-$2 ;;
  shutdown|destroy) echo "shut off" > ${state}/dom-$2 ;;
  undefine) rm ${state}/dom-$2 ;;
  *) exit 9 ;;
esac`,
    genisoimage: `
echo "genisoimage $*" >> ${dir}/calls
while (($#)); do [[ $1 == -output ]] && { touch "$2"; shift; }; shift; done`,
    hostname: `[[ $1 == -I ]] && echo "${THIS_HOST} 10.77.8.1 fd00::13"`,
    sleep: `echo "sleep $*" >> ${dir}/calls`,
  };
  for (const [name, body] of Object.entries(scripts)) writeFileSync(join(bin, name), `#!/bin/bash\n${body}\n`, { mode: 0o755 });
}

function rental(...args: string[]) {
  const r = spawnSync("bash", [SCRIPT, ...args], { encoding: "utf8", timeout: 20_000, env: { PATH: `${join(dir, "bin")}:/usr/sbin:/usr/bin:/sbin:/bin` } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const ensure = () => rental("ensure", "rental-alice-vm", "vms", "rental-alice-vm", "vms/golden@golden", SIZE, join(seed, "domain.xml"), seed, "5");
const remove = (deleteDisk: "yes" | "no") => rental("remove", "rental-alice-vm", "vms", "rental-alice-vm", deleteDisk, "5", seed);
const calls = (): string[] => (existsSync(join(dir, "calls")) ? readFileSync(join(dir, "calls"), "utf8").trim().split("\n") : []);
const domain = (): string | undefined => (existsSync(join(state, "dom-rental-alice-vm")) ? readFileSync(join(state, "dom-rental-alice-vm"), "utf8").trim() : undefined);
const watchers = (...addresses: string[]) => JSON.stringify({ watchers: addresses.map((address, i) => ({ address, client: 4200 + i, cookie: 94000 + i })) });
/** The rental's disk exists already: it moved here, or it was applied before. */
const diskExists = () => writeFileSync(join(state, "image-vms_rental-alice-vm"), `${SIZE}\n`);

describe("rental.sh ensure on the host a rental moved to", () => {
  it("keeps the existing disk (no clone, no resize), defines the VM from the new seed and starts it", () => {
    diskExists();
    const r = ensure();
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(calls().filter((c) => /rbd .* (clone|resize|rm) /.test(c))).toEqual([]);
    expect(calls()).toContain("rbd --id libvirt status vms/rental-alice-vm --format json");
    expect(r.stdout).toContain("changed: defined rental-alice-vm");
    expect(r.stdout).toContain("changed: started rental-alice-vm");
    expect(domain()).toBe("running");
  });

  it("refuses to start while another host has the disk open, naming that host's address", () => {
    diskExists();
    writeFileSync(join(state, "status"), watchers(`${OTHER_HOST}:0/3710147553`));
    const r = ensure();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`alice-vm's disk is open on ${OTHER_HOST}: stop it there first`);
    expect(calls().filter((c) => c.startsWith("virsh start"))).toEqual([]);
    expect(domain()).toBe("shut off");
    // It waited for a watch a dead host would leave behind (Ceph drops it after 30 s) before refusing.
    expect(calls().filter((c) => c === "sleep 3").length).toBeGreaterThanOrEqual(10);
  });

  it("reads every address form rbd prints (msgr v1/v2 prefixes, IPv6) and names each other host once", () => {
    diskExists();
    writeFileSync(join(state, "status"), watchers(`v2:${OTHER_HOST}:0/1`, `any:${OTHER_HOST}:0/2`, "[fd00::12]:0/3", `${THIS_HOST}:0/4`));
    const r = ensure();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`alice-vm's disk is open on ${OTHER_HOST}, fd00::12: stop it there first`);
  });

  it("starts when the only watcher is this host itself", () => {
    diskExists();
    writeFileSync(join(state, "status"), watchers(`${THIS_HOST}:0/4`, "[fd00::13]:0/5"));
    const r = ensure();
    expect(r.status).toBe(0);
    expect(domain()).toBe("running");
  });

  it("waits for a watch the old host left behind to expire, then starts", () => {
    diskExists();
    writeFileSync(join(state, "status-queue"), `${watchers(`${OTHER_HOST}:0/1`)}\n${watchers(`${OTHER_HOST}:0/1`)}\n`);
    const r = ensure();
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`waiting: vms/rental-alice-vm is open on ${OTHER_HOST}`);
    expect(domain()).toBe("running");
  });

  it("does not look at the watchers of a VM already running here (its own QEMU is one), and changes nothing", () => {
    diskExists();
    expect(ensure().status).toBe(0);
    writeFileSync(join(dir, "calls"), "");
    writeFileSync(join(state, "status"), watchers(`${OTHER_HOST}:0/1`));
    const again = ensure();
    expect(again.status).toBe(0);
    expect(again.stdout).toContain("unchanged: rental-alice-vm running");
    expect(calls().filter((c) => c.includes(" status "))).toEqual([]);
  });

  it("clones the golden snapshot for a new rental, as before", () => {
    const r = ensure();
    expect(r.status).toBe(0);
    expect(calls()).toContain("rbd --id libvirt clone vms/golden@golden vms/rental-alice-vm");
    expect(r.stdout).toContain(`changed: grew vms/rental-alice-vm from 4096 to ${SIZE} bytes`);
  });
});

describe("rental.sh remove on the host a rental moved from", () => {
  it("stops and undefines the VM, removes its seed directory and keeps the disk", () => {
    diskExists();
    expect(ensure().status).toBe(0);
    const r = remove("no");
    expect(r.status).toBe(0);
    expect(domain()).toBeUndefined();
    expect(existsSync(seed)).toBe(false);
    expect(existsSync(join(state, "image-vms_rental-alice-vm"))).toBe(true);
    expect(calls().filter((c) => c.startsWith("rbd --id libvirt rm"))).toEqual([]);
    expect(r.stdout).toContain("kept: vms/rental-alice-vm");
    // Idempotent: a second remove finds nothing to do.
    const again = remove("no");
    expect(again.status).toBe(0);
    expect(again.stdout).not.toContain("changed:");
  });

  it("leaves files in the seed directory that are not the rental's", () => {
    writeFileSync(join(seed, "notes.txt"), "an admin's\n");
    expect(remove("no").status).toBe(0);
    expect(readFileSync(join(seed, "notes.txt"), "utf8")).toBe("an admin's\n");
    expect(existsSync(join(seed, "user-data"))).toBe(false);
  });

  it("deletes the disk only with deleteDisk: yes", () => {
    diskExists();
    const r = remove("yes");
    expect(r.status).toBe(0);
    expect(calls()).toContain("rbd --id libvirt rm --no-progress vms/rental-alice-vm");
    expect(existsSync(join(state, "image-vms_rental-alice-vm"))).toBe(false);
  });
});
