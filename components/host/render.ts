/**
 * Pure: the command line that runs one of our scripts on a host. The script travels inside the command
 * (`bash -c '<script>' <name> <args>...`), so nothing has to be copied first and STDIN stays free for
 * data and secrets. Arguments are single-quoted words; the remote login shell passes them to the script
 * unchanged, whatever they contain.
 */

/**
 * Linux refuses a single argument longer than this (MAX_ARG_STRLEN, 32 pages). The script text is one
 * argument, so a script beyond it cannot be run this way.
 */
export const MAX_ARGUMENT_BYTES = 131_072;

/** One word for a POSIX shell: literal inside single quotes; a quote itself becomes `'\''`. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export interface ScriptCommandOptions {
  /** Run through `sudo -n` (the SSH login user is not root; scripts need root). Defaults to false. */
  readonly sudo?: boolean;
}

function checkWord(what: string, word: string): void {
  if (word.includes("\0")) throw new Error(`${what} contains a NUL byte, which no command line can carry`);
  const bytes = Buffer.byteLength(word, "utf8");
  if (bytes >= MAX_ARGUMENT_BYTES) {
    throw new Error(`${what} is ${bytes} bytes; Linux refuses arguments of ${MAX_ARGUMENT_BYTES} bytes or more`);
  }
}

/**
 * The command line that runs `scriptText` with bash on the host. `scriptName` becomes `$0` (what the
 * script's error messages show); `args` become `$1`...
 */
export function scriptCommand(
  scriptText: string,
  scriptName: string,
  args: readonly string[],
  opts: ScriptCommandOptions = {},
): string {
  checkWord(`script ${scriptName}`, scriptText);
  checkWord(`name of script ${scriptName}`, scriptName);
  args.forEach((arg, i) => checkWord(`argument ${i + 1} of ${scriptName}`, arg));
  const words = ["bash", "-c", shellQuote(scriptText), shellQuote(scriptName), ...args.map(shellQuote)];
  return (opts.sudo ? "sudo -n " : "") + words.join(" ");
}
