import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatDiagnostic, hasErrors } from "./diagnostics";
import { loadInventoryObject, loadStackFile, loadStackText } from "./load";
import { resolveRental } from "./model";
import { GiB } from "./units";

const MINIMAL_FILE = path.join(__dirname, "testdata", "valid-minimal.yaml");
const MINIMAL = fs.readFileSync(MINIMAL_FILE, "utf8");
const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEM98BUdAYvt2uMJAb58fmT4lz4bKs7vmO9ijfOORkZJ";

/** What the Pulumi program gets from pulumi.Config: the `ie:` keys of the stack without their prefix. */
function configObject(text: string): Record<string, unknown> {
  const config = (parse(text) as { config: Record<string, unknown> }).config;
  const raw: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) if (key.startsWith("ie:")) raw[key.slice(3)] = value;
  return raw;
}

/** A one-host stack whose host key is `hostKey`. */
function oneHost(hostKey: string): string {
  return [
    "config:",
    "  ie:site: { hostNetwork: 10.0.0.0/24 }",
    "  ie:hosts:",
    `    - { name: a, address: 10.0.0.11, hostKey: "${hostKey}", roles: [container-host], cpus: 4, memory: 8GiB }`,
    "  ie:containers: { ipPool: 10.89.0.0/22, storagePath: /srv/containers, apptainerSource: \"deb http://deb.debian.org/debian sid main\" }",
    "",
  ].join("\n");
}

describe("loadStackText", () => {
  it("returns the model with defaults applied and no diagnostics for a valid stack", () => {
    const { inventory, diagnostics } = loadStackText(MINIMAL, "valid-minimal.yaml");
    expect(diagnostics).toEqual([]);
    expect(inventory).toBeDefined();
    if (!inventory) return;
    expect(inventory.hosts.map((h) => h.name)).toEqual(["s1", "s2", "s3"]);
    expect(inventory.hosts[0]).toMatchObject({ sshUser: "root", sshPort: 22, os: "debian-13", memory: 16 * GiB });
    expect(inventory.hosts[1].gpus).toEqual({ type: "tesla", count: 2, devicePrefix: "/dev/nvidia" });
    expect(inventory.ceph).toMatchObject({ osdBackend: "lvm", mountMethod: "kernel", osdMemoryTarget: 4 * GiB });
    expect(inventory.slurm?.partitions[0]).toMatchObject({ maxTime: 86_400, defaultTime: 3600 });
    expect(inventory.containers?.reapAfter).toBe(7 * 86_400);
    const vms = inventory.vms;
    expect(vms && resolveRental(vms, vms.rentals[0])).toMatchObject({ vcpus: 1, memory: GiB, disk: 10 * GiB });
  });

  it("ignores other namespaces and the secret, but not a stray ie: key", () => {
    const text = MINIMAL.replace("  command:someSetting: ignored\n", "  command:someSetting: ignored\n  ie:extra: 1\n");
    const { diagnostics } = loadStackText(text, "s.yaml");
    expect(diagnostics.map(formatDiagnostic)).toEqual([
      "s.yaml:58:3: error: extra: unknown key 'ie:extra': known keys are ie:site, ie:hosts, ie:users, ie:ceph, ie:slurm, ie:vms, ie:containers, ie:sshPrivateKey",
    ]);
  });

  it("reports every schema problem at once, in line order", () => {
    const text = MINIMAL.replace(
      "cpus: 8\n      memory: 16GiB\n      gpus",
      "cpus: -1\n      memory: lots\n      gpus",
    ).replace("class: ssd }\n  ie:users", "class: sdd }\n  ie:users");
    const { inventory, diagnostics } = loadStackText(text, "s.yaml");
    expect(inventory).toBeUndefined();
    expect(diagnostics.map((d) => [d.line, d.message.slice(0, 30)])).toEqual([
      [18, "must be greater than 0"],
      [19, "'lots' is not a positive size:"],
      [30, "class must be ssd, hdd or nvme"],
    ]);
  });

  it("refuses an empty file and a file without config, with a position", () => {
    expect(loadStackText("", "e.yaml").diagnostics.map(formatDiagnostic)).toEqual([
      "e.yaml:1:1: error: a stack file is a mapping with a 'config' key holding the ie: keys",
    ]);
    expect(loadStackText("# comment\nconfig: 3\n", "c.yaml").diagnostics.map(formatDiagnostic)).toEqual([
      "c.yaml:2:1: error: a stack file needs 'config:' as a mapping of the ie: keys (ie:site, ie:hosts, ...)",
    ]);
  });

  it("names a missing top-level key as it is written", () => {
    const { diagnostics } = loadStackText("config:\n  ie:hosts: []\n", "m.yaml");
    expect(diagnostics.map(formatDiagnostic)).toEqual([
      "m.yaml:1:1: error: site: missing required field 'ie:site'",
      "m.yaml:2:3: error: hosts: declare at least one host",
    ]);
  });

  it("follows YAML aliases for values and positions", () => {
    const text = MINIMAL.replace(
      "      osds:\n        - { device: /dev/sdb, class: ssd }\n    - name: s2",
      "      osds: &disks\n        - { device: /dev/sdb, class: ssd }\n    - name: s2",
    ).replace(
      "      gpus: { type: tesla, count: 2 }\n      osds:\n        - { device: /dev/sdb, class: ssd }",
      "      gpus: { type: tesla, count: 2 }\n      osds: *disks",
    );
    const { inventory, diagnostics } = loadStackText(text, "a.yaml");
    expect(diagnostics).toEqual([]);
    expect(inventory?.hosts[1].osds).toEqual([{ device: "/dev/sdb", class: "ssd", wipe: false }]);
  });

  it("accepts a secret only in the form pulumi config set --secret writes", () => {
    const text = MINIMAL.replace("    secure: v1:c2VjcmV0:ZW5jcnlwdGVk\n", "    secure: v1:abc\n    plain: oops\n");
    const { diagnostics } = loadStackText(text, "s.yaml");
    expect(diagnostics.map((d) => [d.line, d.path])).toEqual([[55, ["sshPrivateKey"]]]);
    expect(diagnostics[0].message).toContain(
      "ie:sshPrivateKey must be a secret: set it with 'pulumi config set --secret",
    );
  });
});

describe("loadStackFile", () => {
  it("reports a missing file as a diagnostic, not an exception", () => {
    const { inventory, diagnostics } = loadStackFile("/nonexistent/Pulumi.x.yaml");
    expect(inventory).toBeUndefined();
    expect(diagnostics.map(formatDiagnostic)).toEqual([
      "/nonexistent/Pulumi.x.yaml: error: cannot read the stack file: no such file",
    ]);
  });
});

describe("loadInventoryObject", () => {
  it("gives the same inventory as the stack text for the object Pulumi's config holds", () => {
    const fromText = loadStackText(MINIMAL, "m.yaml");
    const fromObject = loadInventoryObject(configObject(MINIMAL));
    expect(fromObject.diagnostics).toEqual([]);
    expect(fromObject.inventory).toEqual(fromText.inventory);
  });

  it("adds positions from the source text when given, none without", () => {
    const text = MINIMAL.replace("name: s3", "name: s2");
    const raw = configObject(text);
    const located = loadInventoryObject(raw, { text, fileName: "stacks/Pulumi.x.yaml" });
    expect(located.inventory).toBeUndefined();
    expect(located.diagnostics.map(formatDiagnostic)).toEqual([
      "stacks/Pulumi.x.yaml:23:13: error: hosts[2].name: host name 's2' is already used by hosts[1]: host names must be unique",
      "stacks/Pulumi.x.yaml:44:34: error: slurm.partitions[0].nodes[1]: no host is named 's3': a partition lists hosts with the slurm-compute role",
    ]);
    const bare = loadInventoryObject(raw);
    expect(bare.diagnostics.map(formatDiagnostic)).toEqual([
      "error: hosts[2].name: host name 's2' is already used by hosts[1]: host names must be unique",
      "error: slurm.partitions[0].nodes[1]: no host is named 's3': a partition lists hosts with the slurm-compute role",
    ]);
  });

  it("refuses unknown keys and ignores the secret keys", () => {
    const raw = { ...configObject(MINIMAL), sshPrivateKey: "decrypted", slurmm: {} };
    const { diagnostics } = loadInventoryObject(raw);
    expect(diagnostics.map((d) => [d.path, d.severity])).toEqual([[["slurmm"], "error"]]);
  });
});

describe("host keys from files", () => {
  let dir = "";
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "hostkeys-"));
    fs.mkdirSync(path.join(dir, "keys"));
    fs.writeFileSync(path.join(dir, "keys", "good.pub"), `${KEY} root@a\n`);
    fs.writeFileSync(path.join(dir, "keys", "bad.pub"), "-----BEGIN OPENSSH PRIVATE KEY-----\n");
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("resolves file:PATH relative to baseDir to the key line", () => {
    const { inventory, diagnostics } = loadStackText(oneHost("file:keys/good.pub"), "k.yaml", { baseDir: dir });
    expect(diagnostics).toEqual([]);
    expect(inventory?.hosts[0].hostKey).toBe(`${KEY} root@a`);
  });

  it("keeps an inline key as written", () => {
    expect(loadStackText(oneHost(KEY), "k.yaml", { baseDir: dir }).inventory?.hosts[0].hostKey).toBe(KEY);
  });

  it("refuses a file that holds no public key", () => {
    const { inventory, diagnostics } = loadStackText(oneHost("file:keys/bad.pub"), "k.yaml", { baseDir: dir });
    expect(inventory).toBeUndefined();
    expect(diagnostics.map((d) => [d.line, d.severity, d.path])).toEqual([[4, "error", ["hosts", 0, "hostKey"]]]);
    expect(diagnostics[0].message).toContain("keys/bad.pub does not start with an OpenSSH public key line");
  });

  it("makes a missing file an error by default and a warning on request", () => {
    const strict = loadStackText(oneHost("file:keys/none.pub"), "k.yaml", { baseDir: dir });
    expect(hasErrors(strict.diagnostics)).toBe(true);
    expect(strict.inventory).toBeUndefined();
    const lenient = loadStackText(oneHost("file:keys/none.pub"), "k.yaml", {
      baseDir: dir,
      missingHostKeyFile: "warning",
    });
    expect(lenient.diagnostics.map((d) => d.severity)).toEqual(["warning"]);
    expect(lenient.inventory?.hosts[0].hostKey).toBe("file:keys/none.pub");
  });
});

describe("rental owners' keys from files (the lab stack)", () => {
  const LAB_TEXT = fs.readFileSync(path.join(__dirname, "..", "..", "stacks", "Pulumi.lab.yaml"), "utf8");
  let dir = "";
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "userkeys-"));
    fs.mkdirSync(path.join(dir, ".lab", "hostkeys"), { recursive: true });
    fs.mkdirSync(path.join(dir, ".lab", "userkeys"), { recursive: true });
    for (const host of ["lab1", "lab2", "lab3"]) fs.writeFileSync(path.join(dir, ".lab", "hostkeys", `${host}.pub`), `${KEY} root@${host}\n`);
    fs.writeFileSync(path.join(dir, ".lab", "userkeys", "alice.pub"), `${KEY} alice@lab\n`);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("puts the key line into the rental, and names the rental's line when a file is missing or holds no key", () => {
    const missing = loadStackText(LAB_TEXT, "Pulumi.lab.yaml", { baseDir: dir });
    expect(missing.inventory).toBeUndefined();
    expect(missing.diagnostics.map((d) => [d.severity, d.path])).toEqual([["error", ["vms", "rentals", 1, "sshKey"]]]);
    expect(missing.diagnostics[0].message).toMatch(/^SSH key file \.lab\/userkeys\/bob\.pub does not exist/);
    expect(missing.diagnostics[0].line).toBe(LAB_TEXT.split("\n").findIndex((l) => l.includes("name: bob-vm")) + 1);

    fs.writeFileSync(path.join(dir, ".lab", "userkeys", "bob.pub"), "bob's private key, by mistake\n");
    const notAKey = loadStackText(LAB_TEXT, "Pulumi.lab.yaml", { baseDir: dir });
    expect(notAKey.diagnostics.map((d) => d.message)).toEqual([expect.stringMatching(/^\.lab\/userkeys\/bob\.pub does not start with an OpenSSH public key line/)]);

    fs.writeFileSync(path.join(dir, ".lab", "userkeys", "bob.pub"), `${KEY} bob@lab\n`);
    const { inventory, diagnostics } = loadStackText(LAB_TEXT, "Pulumi.lab.yaml", { baseDir: dir });
    expect(diagnostics).toEqual([]);
    expect(inventory?.vms?.rentals.map((r) => r.sshKey)).toEqual([`${KEY} alice@lab`, `${KEY} bob@lab`]);
  });
});
