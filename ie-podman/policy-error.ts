/** A refused command line: the option (as the user wrote it) and why. Exit status 2, audited as refused. */
export class PolicyError extends Error {
  constructor(
    readonly option: string,
    readonly reason: string,
  ) {
    super(`${option}: ${reason}`);
  }
}
