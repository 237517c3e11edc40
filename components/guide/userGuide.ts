/**
 * The users' guide on one host users log in to: the guide's documents under /usr/share/doc/ie-guide/,
 * `ie-help`, the login summary and its profile.d stub, each a ManagedFile (drift shows an edited guide).
 * It only places files; `guideFiles` (render.ts) decides what they say.
 */
import * as pulumi from "@pulumi/pulumi";
import type { Host } from "../host/host";
import type { GuideFile } from "./render";

export interface UserGuideArgs {
  readonly host: Host;
  /** The rendered files (`guideFiles(inventory)`), the same on every login host. */
  readonly files: readonly GuideFile[];
  /** Resources to wait for first (ie-podman, which the login summary calls). Defaults to none. */
  readonly dependsOn?: readonly pulumi.Resource[];
}

/** A resource name for a file: its path without the leading slash, slashes and dots as dashes. */
export function guideFileName(path: string): string {
  return `guide-${path.replace(/^\//, "").replace(/[/.]/g, "-")}`;
}

export class UserGuide extends pulumi.ComponentResource {
  /** Every file is in place. */
  public readonly files: readonly pulumi.Resource[];

  constructor(name: string, args: UserGuideArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ie:guide:UserGuide", name, {}, opts);
    const dependsOn = [...(args.dependsOn ?? [])];
    this.files = args.files.map(
      (f) =>
        args.host.writeFile(
          guideFileName(f.path),
          // The documents (tens of KiB each, on every login host) are kept in the state by digest: drift still
          // shows an edited guide (its SHA-256 differs); the commands keep their text, so a diff shows the change.
          { path: f.path, content: f.content, mode: f.mode, owner: "root:root", ...(f.kind === "doc" ? { keep: "sha256" as const } : {}) },
          { dependsOn },
        ).resource,
    );
    this.registerOutputs({});
  }
}
