/**
 * What `pulumi up` would do with one resource, given the inputs it had after the last apply and the inputs the
 * program gives it now. Pure: the lab runner's engine acts on the answer.
 *
 * Mirrors the engine's rules for `@pulumi/command` resources (1.x, from its source): every input is diffed,
 * the whole connection and stdin included; unchanged inputs do nothing; a change to `triggers` replaces the
 * resource (the SDK sets `replaceOnChanges: ["triggers[*]"]`, so `create` runs again); any other change
 * updates it (`update` runs when given, else `create`).
 */
import { createHash } from "node:crypto";

export type Step = "create" | "same" | "update" | "replace";

/** The inputs of a command resource that decide its step (secrets already unwrapped). */
export interface CommandInputs {
  readonly create?: string;
  readonly update?: string;
  readonly delete?: string;
  readonly stdin?: string;
  readonly triggers?: readonly unknown[];
  readonly environment?: Readonly<Record<string, string>>;
  /** The whole connection input (address, port, user, pinned host key, private key): a change updates. */
  readonly connection: Readonly<Record<string, unknown>>;
  readonly addPreviousOutputInEnv?: boolean;
}

/** Stable JSON: object keys sorted, so equal inputs hash equally whatever order they were built in. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

export function digest(value: unknown): string {
  return createHash("sha256").update(canonicalJson(value)).digest("hex");
}

/** Hashes kept in the lab state: the whole input set and the triggers alone. */
export interface InputDigests {
  readonly inputs: string;
  readonly triggers: string;
}

export function digestsOf(inputs: CommandInputs): InputDigests {
  return { inputs: digest(inputs), triggers: digest(inputs.triggers ?? []) };
}

export function planStep(previous: InputDigests | undefined, next: InputDigests): Step {
  if (!previous) return "create";
  if (previous.inputs === next.inputs) return "same";
  if (previous.triggers !== next.triggers) return "replace";
  return "update";
}

/** The command a step runs on the host (`undefined`: nothing runs). */
export function commandFor(step: Step, inputs: CommandInputs): string | undefined {
  switch (step) {
    case "same":
      return undefined;
    case "create":
    case "replace":
      return inputs.create;
    case "update":
      return inputs.update ?? inputs.create;
    default: {
      const never: never = step;
      return never;
    }
  }
}
