import { describe, expect, it } from "vitest";
import { cgroupHierarchiesOf } from "./cgroups";
import { mountPointsOf } from "./mounts";

const mountinfo = [
  "23 1 254:0 / / rw,relatime - ext4 /dev/vda rw",
  "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755",
  "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu",
  "34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset",
  "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd",
  "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw",
  "50 23 0:40 / /srv/ie-infra/.lab/hosts/lab\\0401 rw - tmpfs tmpfs rw",
].join("\n");

describe("cgroupHierarchiesOf", () => {
  it("lists every v1 controller, named and v2 hierarchy, not the tmpfs above them", () => {
    expect(cgroupHierarchiesOf(mountinfo)).toEqual([
      "/sys/fs/cgroup/cpu",
      "/sys/fs/cgroup/cpuset",
      "/sys/fs/cgroup/systemd",
      "/sys/fs/cgroup/unified",
    ]);
  });
});

describe("mountPointsOf", () => {
  it("decodes the octal escapes of mountinfo", () => {
    expect(mountPointsOf(mountinfo)).toContain("/srv/ie-infra/.lab/hosts/lab 1");
    expect(mountPointsOf(mountinfo)).toHaveLength(7);
  });
});
