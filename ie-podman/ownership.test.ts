import { describe, expect, it } from "vitest";
import { humanDuration, ownContainers, resolveOwn, type PodmanContainer } from "./ownership";

const NOW = 1_800_000_000;
const DAY = 86400;
const c = (id: string, name: string, owner: string | undefined, state: string, exitedDaysAgo?: number): PodmanContainer => ({
  Id: id.padEnd(64, "0"),
  Names: [name],
  Image: "localhost/base:latest",
  State: state,
  Labels: owner === undefined ? {} : { "ie-podman.owner": owner },
  ExitedAt: exitedDaysAgo === undefined ? 0 : NOW - exitedDaysAgo * DAY,
});
const all = [
  c("aaaaaaaaaaaa", "alice-train", "2001", "running"),
  c("bbbbbbbbbbbb", "bob-notebook", "2002", "running"),
  c("cccccccccccc", "alice-old", "2001", "exited", 8),
  c("dddddddddddd", "alice-recent", "2001", "exited", 1),
  c("eeeeeeeeeeee", "admin-service", undefined, "exited", 30),
];

describe("ownership", () => {
  it("shows a caller only the containers labelled with their uid", () => {
    expect(ownContainers(all, 2001).map((x) => x.Names[0])).toEqual(["alice-train", "alice-old", "alice-recent"]);
    expect(ownContainers(all, 2002).map((x) => x.Names[0])).toEqual(["bob-notebook"]);
    expect(ownContainers(all, 0)).toEqual([]);
  });

  it("resolves the caller's own container by name or id prefix", () => {
    expect(resolveOwn(all, 2001, "alice-train").Names).toEqual(["alice-train"]);
    expect(resolveOwn(all, 2001, "cccccccccccc").Names).toEqual(["alice-old"]);
  });

  it("answers for another user's container exactly as for one that does not exist", () => {
    const other = () => resolveOwn(all, 2002, "alice-train");
    const missing = () => resolveOwn(all, 2002, "nobody-here");
    expect(other).toThrow("no container of yours is called 'alice-train'");
    expect(missing).toThrow("no container of yours is called 'nobody-here'");
    expect(() => resolveOwn(all, 2002, "aaaaaaaaaaaa")).toThrow(/no container of yours/);
    expect(() => resolveOwn(all, 2001, "aaaa")).toThrow(/no container of yours/); // short prefixes are not ids
  });
});

describe("humanDuration", () => {
  it("says how long, as ie-podman ps shows it", () => {
    expect(humanDuration(8 * DAY + 3 * 3600)).toBe("8d 3h");
    expect(humanDuration(3600 + 120)).toBe("1h 2m");
    expect(humanDuration(42)).toBe("42s");
  });
});
