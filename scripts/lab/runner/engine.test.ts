/**
 * The lab engine's rules for commands, as `@pulumi/command` 1.x and the engine apply them, against a real sshd
 * on loopback: a replacement creates the new command first and runs the old one's delete after every create
 * and update (before, with deleteBeforeReplace); every delete runs the old delete command with the old stdin;
 * a command that leaves the program is deleted the same way; a command renamed with an alias is the same one.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ProviderHost } from "../../engine/providerHost";
import { startSshd, type TestSshd } from "../../../test/support/sshd";
import { COMMAND_TYPE, LabEngine } from "./engine";
import { loadState } from "./state";

let sshd: TestSshd;
let log: string;
let statePath: string;

beforeAll(async () => {
  sshd = await startSshd("lab-engine-");
  log = path.join(sshd.dir, "log");
  statePath = path.join(sshd.dir, "state.json");
});
afterAll(() => sshd?.stop());

/** These tests declare no ManagedFile: a provider host call would be a bug. */
const noFiles = new Proxy({} as ProviderHost, {
  get: (_t, method) => () => {
    throw new Error(`no ManagedFile here, yet ${String(method)} was called`);
  },
});

function engine(deleteBeforeReplace = false, aliases: Readonly<Record<string, readonly string[]>> = {}): LabEngine {
  return new LabEngine({
    state: loadState(statePath),
    statePath,
    privateKey: sshd.target.privateKey ?? "",
    providerHost: noFiles,
    stack: "test",
    deleteBeforeReplace: () => deleteBeforeReplace,
    aliases: (name) => aliases[name] ?? [],
  });
}

/** A command whose create and delete append to the log: the delete writes the stdin it was given. */
function command(version: number, name = "thing") {
  return {
    type: COMMAND_TYPE,
    name,
    custom: true,
    inputs: {
      connection: { ...sshd.target },
      create: `echo create-${version} >> ${log}`,
      delete: `sed 's/^/delete-got:/' >> ${log}`,
      stdin: `stdin-${version}\n`,
      triggers: [version],
      addPreviousOutputInEnv: false,
    },
  };
}

const logLines = () => fs.readFileSync(log, "utf8").trim().split("\n");

describe("the lab engine runs commands as the engine would", () => {
  it("creates, then on a replacement creates the new one first and deletes the old one last, with its stdin", async () => {
    const first = engine();
    await first.newResource(command(1));
    await first.deleteOrphans();
    expect(logLines()).toEqual(["create-1"]);

    const second = engine();
    await second.newResource(command(2));
    expect(logLines(), "the old delete waits for the end of the run").toEqual(["create-1", "create-2"]);
    await second.deleteOrphans();
    expect(logLines()).toEqual(["create-1", "create-2", "delete-got:stdin-1"]);
    expect(second.counts.replace).toBe(1);
  });

  it("deletes the old one first when the resource says deleteBeforeReplace", async () => {
    const third = engine(true);
    await third.newResource(command(3));
    await third.deleteOrphans();
    expect(logLines().slice(-2)).toEqual(["delete-got:stdin-2", "create-3"]);
  });

  it("deletes a command the program no longer declares with its last delete command and stdin", async () => {
    const last = engine();
    await last.deleteOrphans();
    expect(logLines().slice(-1)).toEqual(["delete-got:stdin-3"]);
    expect(loadState(statePath).resources).toEqual({});
  });

  it("takes a command recorded under a former name (an alias) for the renamed one: replaced in place, no orphan", async () => {
    const before = engine();
    await before.newResource(command(4, "host1-thing"));
    await before.deleteOrphans();
    expect(logLines().slice(-1)).toEqual(["create-4"]);

    const renamed = engine(true, { thing: ["host2-thing", "host1-thing"] });
    await renamed.newResource(command(5));
    await renamed.deleteOrphans();
    expect(logLines().slice(-2)).toEqual(["delete-got:stdin-4", "create-5"]);
    expect(renamed.counts).toMatchObject({ replace: 1, create: 0, delete: 0 });
    expect(Object.keys(loadState(statePath).resources)).toEqual([`${COMMAND_TYPE}::thing`]);

    const same = engine(true, { thing: ["host1-thing"] });
    await same.newResource(command(5));
    await same.deleteOrphans();
    expect(same.counts).toMatchObject({ same: 1, replace: 0, delete: 0 });
  });
});
