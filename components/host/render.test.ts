import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { MAX_ARGUMENT_BYTES, scriptCommand, shellQuote } from "./render";

/** Runs a command line the way sshd does: the login shell with -c. */
function runRemote(commandLine: string, stdin = ""): { stdout: string; status: number | null } {
  const r = spawnSync("bash", ["-c", commandLine], { input: stdin, encoding: "utf8" });
  return { stdout: r.stdout, status: r.status };
}

const PRINT_ARGS = `#!/usr/bin/env bash
set -euo pipefail
printf '0=<%s>\\n' "$0"
for a in "$@"; do printf '<%s>\\n' "$a"; done
`;

describe("scriptCommand", () => {
  it("hands every argument to the script unchanged, whatever it contains", () => {
    const args = ["plain", "with space", "it's", `"double"`, "$HOME $(id) `id`", "a\nb", "back\\slash", "", "*", "-n"];
    const r = runRemote(scriptCommand(PRINT_ARGS, "test/print-args.sh", args));
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`0=<test/print-args.sh>\n${args.map((a) => `<${a}>\n`).join("")}`);
  });

  it("runs a script containing single quotes, dollars and here-docs as written", () => {
    const script = `set -euo pipefail\nx='it'"'"'s'\ncat <<'EOF'\n$x stays \${literal}\nEOF\necho "$x"\n`;
    const r = runRemote(scriptCommand(script, "quotes.sh", []));
    expect(r.stdout).toBe("$x stays ${literal}\nit's\n");
  });

  it("leaves STDIN to the script, for data and secrets", () => {
    const r = runRemote(scriptCommand("cat; echo \"args: $#\"", "stdin.sh", ["one"]), "secret\nlines\n");
    expect(r.stdout).toBe("secret\nlines\nargs: 1\n");
  });

  it("passes the script's exit status on", () => {
    expect(runRemote(scriptCommand("exit 7", "fail.sh", [])).status).toBe(7);
  });

  it("prefixes sudo -n when asked", () => {
    expect(scriptCommand("true", "t.sh", ["a"], { sudo: true })).toBe("sudo -n bash -c 'true' 't.sh' 'a'");
    expect(scriptCommand("true", "t.sh", ["a"])).toBe("bash -c 'true' 't.sh' 'a'");
  });

  it("refuses what no command line can carry", () => {
    expect(() => scriptCommand("true", "t.sh", ["a\0b"])).toThrow(/argument 1 of t.sh contains a NUL byte/);
    expect(() => scriptCommand("x".repeat(MAX_ARGUMENT_BYTES), "big.sh", [])).toThrow(/script big.sh is 131072 bytes/);
  });
});

describe("shellQuote", () => {
  it("turns a quote into '\\''", () => {
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });
});
