/**
 * The one place that knows operating systems. Everything else asks for an `OsProfile` and uses its
 * package family, so adding another family (dnf, say) means a new case here and its scripts, not a hunt
 * through the components.
 */
import type { OperatingSystem } from "../inventory/model";

/** How packages are installed. Only the apt family exists today. */
export type PackageFamily = "apt";

export interface OsProfile {
  readonly os: OperatingSystem;
  readonly family: PackageFamily;
  readonly distribution: "debian" | "ubuntu";
  /** Release codename, as apt sources name it (`trixie`, `noble`). */
  readonly codename: string;
  /** Script under scripts/ that brings a fresh host to the base state (package lists, base packages). */
  readonly baseScript: string;
  /** Packages every host of this family gets before anything else. */
  readonly basePackages: readonly string[];
}

/**
 * Kept small on purpose: a bloated base set was most of the time a popular Slurm role spent.
 * ca-certificates and gnupg let later steps add signed https apt sources (Apptainer from sid);
 * curl fetches golden images and .deb files named by URL.
 */
const APT_BASE_PACKAGES: readonly string[] = ["ca-certificates", "curl", "gnupg"];

function aptProfile(os: OperatingSystem, distribution: "debian" | "ubuntu", codename: string): OsProfile {
  return { os, family: "apt", distribution, codename, baseScript: "host/base.sh", basePackages: APT_BASE_PACKAGES };
}

function unknownOs(os: never): never {
  throw new Error(`no OS profile for ${String(os)}: add it to components/host/os.ts`);
}

/** The profile of an operating system named in the inventory. */
export function osProfile(os: OperatingSystem): OsProfile {
  switch (os) {
    case "debian-12":
      return aptProfile(os, "debian", "bookworm");
    case "debian-13":
      return aptProfile(os, "debian", "trixie");
    case "ubuntu-22.04":
      return aptProfile(os, "ubuntu", "jammy");
    case "ubuntu-24.04":
      return aptProfile(os, "ubuntu", "noble");
    default:
      return unknownOs(os);
  }
}
