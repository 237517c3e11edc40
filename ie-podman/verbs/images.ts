/**
 * Images: `build` (a Containerfile; the layer cache is shared by everyone on the host), `images`, and
 * `sif`, which turns an image into a SIF file in the caller's current directory.
 *
 * The build context and the Containerfile are read in the caller's name and copied into a root-only
 * staging directory (the Containerfile beside the context, not in it) before podman sees them: root never
 * follows a path the user could swap. RUN steps run in an automatic user namespace (`--userns=auto`: a
 * build's root is not the host's root) unless the host's configuration says its kernel cannot.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { verbArgs } from "../args";
import { readAsCaller, tarAsCaller, writeAsCaller } from "../as-caller";
import type { Caller } from "../caller";
import { UsageError, type VerbContext, policyContext, userOf } from "../context";
import { PolicyError, checkImageRef, ownPath } from "../policy";
import { ENV, attached, capture, podman } from "../podman";

/** The label naming who built an image. */
export const BUILDER_LABEL = "ie-podman.builder";

/** Where built images are tagged: under the builder's name, so nobody replaces another user's image. */
export function buildTag(user: string, name: string): string {
  if (!/^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$/.test(name)) {
    throw new PolicyError("--tag", `'${name}' is not NAME[:TAG] (lower case letters, digits, . _ -)`);
  }
  return `localhost/${user}/${name}`;
}

/** `IMAGE.sif` for an image name: its last path component, with its tag unless that is `latest`. */
export function sifName(image: string): string {
  const noDigest = image.split("@")[0];
  const last = noDigest.slice(noDigest.lastIndexOf("/") + 1);
  const [name, tag] = last.split(":");
  return `${tag === undefined || tag === "latest" ? name : `${name}_${tag}`}.sif`;
}

/** A root-only directory for one verb's temporary files, removed by `done`. */
function staging(ctx: VerbContext): { dir: string; done: () => void } {
  const base = path.join(path.dirname(ctx.config.ledger), "tmp");
  mkdirSync(base, { recursive: true, mode: 0o700 });
  const dir = mkdtempSync(path.join(base, "job-"));
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The Containerfile the user names, or the context's Containerfile / Dockerfile, read as the caller. */
function containerfile(context: string, file: string | undefined, caller: Caller): Buffer {
  const candidates = file !== undefined ? [path.resolve(process.cwd(), file)] : [path.join(context, "Containerfile"), path.join(context, "Dockerfile")];
  for (const candidate of candidates) {
    try {
      return readAsCaller(candidate, caller);
    } catch {
      // try the next one; the error below names them all
    }
  }
  throw new UsageError(`ie-podman build: no Containerfile you can read: ${candidates.join(", ")}`);
}

export async function build(argv: readonly string[], ctx: VerbContext): Promise<number> {
  const caller = userOf(ctx);
  const { values, positionals } = verbArgs("build", argv, {
    tag: { type: "string", short: "t" },
    file: { type: "string", short: "f" },
    "no-cache": { type: "boolean" },
    "build-arg": { type: "string", multiple: true },
  });
  if (values.tag === undefined) throw new UsageError("ie-podman build: name the image with -t NAME[:TAG]");
  if (positionals.length !== 1) throw new UsageError("ie-podman build: give one context directory, e.g. '.'");
  const tag = buildTag(caller.user, values.tag);
  const context = ownPath(path.resolve(process.cwd(), positionals[0]), policyContext(caller, ctx.config), "CONTEXT");
  const buildArgs = (values["build-arg"] ?? []).map((a) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(a)) throw new PolicyError("--build-arg", `'${a}' is not NAME=VALUE`);
    return `--build-arg=${a}`;
  });
  const file = containerfile(context, values.file, caller);
  ctx.allowed(`build ${tag} from ${context}`);
  const stage = staging(ctx);
  try {
    const tarFile = path.join(stage.dir, "context.tar");
    tarAsCaller(context, tarFile, caller);
    const copy = path.join(stage.dir, "context");
    mkdirSync(copy, { mode: 0o700 });
    // GNU tar as root refuses absolute and '..' names and defers links that point out of the tree.
    capture("/usr/bin/tar", ["-C", copy, "-xf", tarFile, "--no-same-owner", "--no-same-permissions"]);
    rmSync(tarFile);
    const staged = path.join(stage.dir, "Containerfile");
    writeFileSync(staged, file, { mode: 0o600 });
    const isolation = ctx.config.buildUserNamespace ? ["--userns=auto"] : [];
    const args = ["build", ...isolation, `--label=${BUILDER_LABEL}=${caller.uid}`, `--tag=${tag}`, `--file=${staged}`, ...(values["no-cache"] === true ? ["--no-cache"] : []), ...buildArgs, "--", copy];
    const status = attached("/usr/bin/podman", args, { stdio: ["ignore", "inherit", "inherit"] });
    if (status === 0) process.stdout.write(`built ${tag}\n`);
    return status;
  } finally {
    stage.done();
  }
}

export async function images(argv: readonly string[], ctx: VerbContext): Promise<number> {
  userOf(ctx);
  const { values, positionals } = verbArgs("images", argv, { json: { type: "boolean" } });
  if (positionals.length > 0) throw new UsageError(`ie-podman images takes no arguments, got '${positionals[0]}'`);
  ctx.allowed("list images");
  process.stdout.write(podman.capture(["images", ...(values.json === true ? ["--format=json"] : [])]).stdout);
  return 0;
}

export async function sif(argv: readonly string[], ctx: VerbContext): Promise<number> {
  const caller = userOf(ctx);
  const { values, positionals } = verbArgs("sif", argv, { force: { type: "boolean" } });
  if (positionals.length !== 1) throw new UsageError("ie-podman sif: name one image");
  const image = checkImageRef(positionals[0]);
  const name = sifName(image);
  const cwd = process.cwd();
  ctx.allowed(`sif ${image} -> ${path.join(cwd, name)}`);
  const stage = staging(ctx);
  try {
    const archive = path.join(stage.dir, "image.tar");
    const built = path.join(stage.dir, name);
    podman.capture(["save", "--format=docker-archive", `--output=${archive}`, "--", image]);
    const env = { ...ENV, APPTAINER_TMPDIR: stage.dir, APPTAINER_CACHEDIR: path.join(stage.dir, "cache") };
    capture("/usr/bin/apptainer", ["build", "--", built, `docker-archive:${archive}`], { env });
    writeAsCaller(built, name, cwd, caller, values.force === true);
    process.stdout.write(`${path.join(cwd, name)}\n`);
    return 0;
  } finally {
    stage.done();
  }
}
