import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { labKnownHostsPath, labSshKeyPath } from "./paths";
import { knownHostsWithout, labSshArgs, remoteCommandLine, renderKnownHosts, shellQuote } from "./ssh";

/** What a POSIX shell makes of a command line: its words, one per line. */
function wordsAfterShell(line: string): string[] {
  const r = spawnSync("sh", ["-c", `for w in ${line}; do printf '%s\\n' "$w"; done`], { encoding: "utf8" });
  return r.stdout.split("\n").slice(0, -1);
}

describe("remote command lines", () => {
  it.each([["plain"], ["with space"], ["it's"], ["$HOME"], ["a;b|c"], ["exec 3<>/dev/tcp/1.1.1.1/80"], [""], ["`id`"]])(
    "shellQuote keeps %j one word",
    (word) => {
      expect(wordsAfterShell(shellQuote(word))).toEqual([word]);
    },
  );

  it("passes a single word as the user's shell command line and several as an argument vector", () => {
    expect(remoteCommandLine(["ls | wc -l"])).toBe("ls | wc -l");
    expect(remoteCommandLine(["bash", "-c", "echo $HOSTNAME"])).toBe("bash -c 'echo $HOSTNAME'");
    expect(remoteCommandLine(["ls", "-l", "/dev/nvidia0"])).toBe("ls -l /dev/nvidia0");
  });
});

describe("labSshArgs", () => {
  it("logs in as root with the lab key and pinned host keys only", () => {
    const args = labSshArgs("10.77.0.12", ["hostname"]);
    const joined = args.join(" ");
    expect(joined).toContain(`-i ${labSshKeyPath()}`);
    expect(joined).toContain("-o StrictHostKeyChecking=yes");
    expect(joined).toContain(`-o UserKnownHostsFile=${labKnownHostsPath()}`);
    expect(joined).toContain("-o GlobalKnownHostsFile=/dev/null");
    expect(joined).toContain("-o IdentitiesOnly=yes");
    expect(joined).toContain("-o BatchMode=yes");
    expect(args.slice(-3)).toEqual(["root@10.77.0.12", "--", "hostname"]);
    expect(args.slice(0, 2)).toEqual(["-F", "/dev/null"]);
  });

  it("asks for a terminal and may prompt when there is no command", () => {
    const args = labSshArgs("10.77.0.11", [], false);
    expect(args).toContain("-t");
    expect(args).not.toContain("BatchMode=yes");
    expect(args[args.length - 1]).toBe("root@10.77.0.11");
  });
});

describe("renderKnownHosts", () => {
  it("pins each key under address and name, without the key's comment", () => {
    expect(
      renderKnownHosts([
        { name: "lab1", address: "10.77.0.11", key: "ssh-ed25519 AAAAone root@lab1\n" },
        { name: "lab2", address: "10.77.0.12", key: "ssh-ed25519 AAAAtwo" },
      ]),
    ).toBe("10.77.0.11,lab1 ssh-ed25519 AAAAone\n10.77.0.12,lab2 ssh-ed25519 AAAAtwo\n");
  });
});

describe("knownHostsWithout", () => {
  const text = renderKnownHosts([
    { name: "lab1", address: "10.77.0.11", key: "ssh-ed25519 AAAAone" },
    { name: "lab4", address: "10.77.0.14", key: "ssh-ed25519 AAAAfour" },
    { name: "lab14", address: "10.77.0.41", key: "ssh-ed25519 AAAAfourteen" },
  ]);

  it("forgets one host's key, by name or address, and no other", () => {
    const rest = "10.77.0.11,lab1 ssh-ed25519 AAAAone\n10.77.0.41,lab14 ssh-ed25519 AAAAfourteen\n";
    expect(knownHostsWithout(text, "lab4", "10.77.0.14")).toBe(rest);
    expect(knownHostsWithout(text, "lab4")).toBe(rest);
    expect(knownHostsWithout(text, "lab9", "10.77.0.14")).toBe(rest);
    expect(knownHostsWithout(text, "lab9")).toBe(text);
  });
});
