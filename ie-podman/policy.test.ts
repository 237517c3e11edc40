/**
 * ie-podman's run policy as a table: every option that would reach the host is refused with a message that
 * names it, the allowed ones are checked and passed on, and paths are judged after their symlinks are
 * resolved (a real directory tree with symlinks out of the home).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { OWNER_LABEL, PolicyError, checkImageRef, parseExec, parseRun, podmanCreateArgs, type Caller, type PolicyContext } from "./policy";

const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "ie-podman-policy-")));
const home = path.join(root, "home", "alice");
fs.mkdirSync(path.join(home, "data"), { recursive: true });
fs.mkdirSync(path.join(root, "home", "bob"), { recursive: true });
fs.symlinkSync("/etc", path.join(home, "etc-link"));
fs.symlinkSync(path.join(root, "home", "bob"), path.join(home, "bob-link"));
fs.symlinkSync(path.join(home, "data"), path.join(home, "data-link"));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const caller: Caller = { uid: 2001, gid: 2001, user: "alice", home };
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const limits = { memory: { default: 4 * GiB, max: 16 * GiB }, cpus: { default: 2, max: 8 }, pids: { default: 1024, max: 4096 }, shm: { default: GiB, max: 8 * GiB } };
const ctx: PolicyContext = { caller, realpath: (p) => fs.realpathSync(p), limits };
const run = (...argv: string[]) => parseRun([...argv, "img"], ctx);

function refusal(argv: string[]): PolicyError {
  try {
    parseRun([...argv, "img"], ctx);
  } catch (err) {
    if (err instanceof PolicyError) return err;
    throw err;
  }
  throw new Error(`${argv.join(" ")} was allowed`);
}

describe("refused options, each named in the message", () => {
  it.each<[string[], string, RegExp]>([
    [["--privileged"], "--privileged", /every capability/],
    [["--cap-add=SYS_ADMIN"], "--cap-add", /capabilities/],
    [["--cap-add", "NET_ADMIN"], "--cap-add", /capabilities/],
    [["--device", "/dev/sda"], "--device", /--gpu/],
    [["--device=/dev/nvidia1"], "--device", /--gpu/],
    [["--volume", "/etc:/x"], "--volume", /outside your home/],
    [["-v", "/:/host"], "-v", /outside your home/],
    [["-v", `${root}/home/bob:/b`], "-v", /outside your home/],
    [["-v", `${home}/etc-link:/x`], "-v", /\(which is \/etc\) is outside your home/],
    [["-v", `${home}/bob-link:/x`], "-v", /which is .*home\/bob\) is outside your home/],
    [["-v", `${home}/../bob:/x`], "-v", /outside your home/],
    [["-v", "data:/x"], "-v", /not an absolute host path/],
    [["-v", `${home}/data:/x:O`], "-v", /mount option 'O'/],
    [["--mount", "type=bind,src=/etc,dst=/x"], "--mount", /outside your home/],
    [["--mount", `type=bind,src=${home}/etc-link,dst=/x`], "--mount", /outside your home/],
    [["--mount", "type=volume,src=v,dst=/x"], "--mount", /mount type 'volume'/],
    [["--mount", `type=bind,src=${home}/data,dst=/x,bind-propagation=shared`], "--mount", /'bind-propagation'/],
    [["--network=host"], "--network", /--ip/],
    [["--net", "host"], "--net", /--ip/],
    [["--pid=host"], "--pid", /host namespaces/],
    [["--ipc", "host"], "--ipc", /host namespaces/],
    [["--uts=host"], "--uts", /host namespaces/],
    [["--userns=host"], "--userns", /host namespaces/],
    [["--cgroupns=host"], "--cgroupns", /host namespaces/],
    [["--security-opt", "seccomp=unconfined"], "--security-opt", /confinement/],
    [["--sysctl", "net.ipv4.ip_forward=1"], "--sysctl", /kernel settings/],
    [["--group-add", "0"], "--group-add", /groups/],
    [["--user", "0"], "--user", /as the caller/],
    [["-u", "root"], "-u", /allow-list/],
    [["--pod", "p"], "--pod", /pods/],
    [["--volumes-from", "other"], "--volumes-from", /other containers/],
    [["--env-host"], "--env-host", /root\) environment/],
    [["--env-file", "/etc/shadow"], "--env-file", /read by root/],
    [["--uidmap", "0:0:1"], "--uidmap", /user namespace maps/],
    [["--gidmap=0:0:1"], "--gidmap", /user namespace maps/],
    [["--label", `${OWNER_LABEL}=2002`], "--label", /marks the owner/],
    [["--cgroup-parent", "/"], "--cgroup-parent", /cgroup/],
    [["-e", "CUDA_VISIBLE_DEVICES=1"], "-e", /GPU variables/],
    [["-p", "80:80"], "-p", /host port 80/],
    [["-p", "0.0.0.0:8080:80"], "-p", /not \[127.0.0.1:\]HOST_PORT/],
    [["--frobnicate"], "--frobnicate", /allow-list/],
    [["-x"], "-x", /allow-list/],
    [["--ip=10.0.0.5"], "--ip=10.0.0.5", /from the pool/],
    [["--gpu=0"], "--gpu=0", /number of GPUs/],
  ])("%j is refused", (argv, option, reason) => {
    const err = refusal(argv);
    expect(err.option).toBe(option);
    expect(err.message).toMatch(reason);
    expect(err.message.startsWith(`${option}: `)).toBe(true);
  });

  it("refuses a missing image", () => {
    expect(() => parseRun(["--rm"], ctx)).toThrow(/IMAGE: missing/);
  });
});

describe("allowed options", () => {
  it.each<[string[], string[]]>([
    [["--rm"], ["--rm"]],
    [["-it"], ["--interactive", "--tty"]],
    [["-d", "--rm"], ["--rm"]],
    [["-e", "A=1"], ["--env=A=1"]],
    [["--env=B=two words"], ["--env=B=two words"]],
    [["-eC=3"], ["--env=C=3"]],
    [["-v", `${home}/data:/data`], [`--volume=${home}/data:/data`]],
    [["-v", `${home}/data-link:/data:ro`], [`--volume=${home}/data:/data:ro`]],
    [["-v", `${home}:/home/alice`], [`--volume=${home}:/home/alice`]],
    [["--mount", `type=bind,src=${home}/data,dst=/d,ro`], [`--mount=type=bind,source=${home}/data,destination=/d,ro`]],
    [["--mount=type=tmpfs,dst=/scratch"], ["--mount=type=tmpfs,destination=/scratch"]],
    [["-p", "8080:80"], ["--publish=8080:80"]],
    [["-p", "127.0.0.1:8888:8888/tcp"], ["--publish=127.0.0.1:8888:8888/tcp"]],
    [["-w", "/work"], ["--workdir=/work"]],
    [["--name", "train-1"], ["--name=train-1"]],
  ])("%j becomes %j", (argv, options) => {
    expect(run(...argv).options).toEqual(options);
  });

  it("takes --ip and --gpu[=N] for itself, and stops options at the image", () => {
    const r = parseRun(["--ip", "--gpu=2", "--rm", "pytorch", "python", "--privileged"], ctx);
    expect(r).toMatchObject({ ip: true, gpus: 2, options: ["--rm"], image: "pytorch", command: ["python", "--privileged"] });
    expect(parseRun(["--gpu", "img"], ctx).gpus).toBe(1);
  });

  it("keeps -d and -i as the CLI's own decisions (create, then start attached or not)", () => {
    expect(parseRun(["-d", "img"], ctx)).toMatchObject({ detach: true, interactive: false, options: [] });
    expect(parseRun(["-it", "img"], ctx)).toMatchObject({ detach: false, interactive: true, options: ["--interactive", "--tty"] });
  });
});

describe("resource limits: a default for everything not asked for, a ceiling for what is", () => {
  it("gives every container the defaults, swap held to the memory limit", () => {
    expect(run().limits).toEqual([`--memory=${4 * GiB}`, "--cpus=2", "--pids-limit=1024", `--shm-size=${GiB}`, `--memory-swap=${4 * GiB}`]);
  });

  it("takes what the user asks for up to the ceiling, in podman's units", () => {
    expect(run("-m", "256m", "--cpus", "2.5", "--shm-size=1g", "--pids-limit=100").limits).toEqual([
      `--memory=${256 * MiB}`,
      "--cpus=2.5",
      `--shm-size=${GiB}`,
      "--pids-limit=100",
      `--memory-swap=${256 * MiB}`,
    ]);
    expect(run("--memory=16g").limits).toContain(`--memory=${16 * GiB}`);
  });

  it.each<[string[], string, RegExp]>([
    [["--memory=64g"], "--memory", /'64g' is above the ceiling of 16 GiB \(containers\.limits\.memory\.max\)/],
    [["-m", "17179869185"], "-m", /above the ceiling of 16 GiB/],
    [["--cpus=9"], "--cpus", /'9' is above the ceiling of 8 \(containers\.limits\.cpus\.max\)/],
    [["--pids-limit=5000"], "--pids-limit", /above the ceiling of 4096/],
    [["--pids-limit=-1"], "--pids-limit", /'-1' is not a number of processes/],
    [["--pids-limit=0"], "--pids-limit", /'0' is not a number of processes/],
    [["--shm-size=9g"], "--shm-size", /above the ceiling of 8 GiB \(containers\.limits\.shm\.max\)/],
    [["--memory=0"], "--memory", /'0' is not a size/],
    [["--memory=1t"], "--memory", /'1t' is not a size/],
    [["--memory-swap=-1"], "--memory-swap", /swap/],
    [["--ulimit=nproc=99999"], "--ulimit", /limits/],
    [["--cpu-quota=0"], "--cpu-quota", /--cpus/],
  ])("%j is refused, naming %s", (argv, option, reason) => {
    const e = refusal(argv);
    expect(e.option).toBe(option);
    expect(e.reason).toMatch(reason);
  });
});

describe("image names: references only, no transports that make root read a path", () => {
  it.each(["base", "localhost/base:latest", "docker.io/library/debian:13", "registry.example.org:5000/ml/pytorch:2.4-cuda", "alice/train", `base@sha256:${"a".repeat(64)}`])(
    "%s is an image name",
    (ref) => expect(checkImageRef(ref)).toBe(ref),
  );
  it.each(["docker-archive:/root/secret.tar", "oci:/etc", "containers-storage:[overlay@/var/lib/containers]x", "dir:/root", "-v", "UPPER", "a//b", ""])(
    "%j is refused",
    (ref) => expect(() => checkImageRef(ref)).toThrow(/IMAGE: .* is not an image name/),
  );
  it("judges the image of a run", () => {
    expect(() => parseRun(["--rm", "docker-archive:/root/x.tar"], ctx)).toThrow(/not an image name/);
  });
});

describe("exec: the container's own confinement, no user or privilege of its own", () => {
  it("passes env, workdir, -i, -t and -d and returns container and command", () => {
    expect(parseExec(["-it", "-e", "A=1", "-w", "/w", "train", "sh", "-c", "id"], ctx)).toEqual({
      options: ["--interactive", "--tty", "--env=A=1", "--workdir=/w"],
      container: "train",
      command: ["sh", "-c", "id"],
    });
  });
  it.each<[string[], string, RegExp]>([
    [["--user", "0", "c", "sh"], "--user", /as the caller/],
    [["-u", "0", "c", "sh"], "-u", /allow-list/],
    [["--privileged", "c", "sh"], "--privileged", /every capability/],
    [["--cap-add=ALL", "c", "sh"], "--cap-add", /capabilities/],
    [["--env-file=/etc/shadow", "c", "sh"], "--env-file", /read by root/],
    [["--security-opt=label=disable", "c", "sh"], "--security-opt", /confinement/],
    [["c"], "CONTAINER", /missing/],
  ])("%j is refused", (argv, option, reason) => {
    let err: unknown;
    try {
      parseExec(argv, ctx);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PolicyError);
    expect((err as PolicyError).option).toBe(option);
    expect((err as PolicyError).message).toMatch(reason);
  });
});

describe("podmanCreateArgs: ie-podman's confinement comes first and is not the user's to change", () => {
  const request = parseRun(["--ip", "--gpu", "-e", "A=1", "img", "nvidia-smi"], ctx);
  const assignment = { network: "ie-pool", ip: "10.89.60.7", gpus: [1], devicePrefix: "/dev/nvidia", sharedGpuDevices: ["/dev/nvidiactl"] };
  const args = podmanCreateArgs(request, caller, assignment);

  it("labels the owner, runs as the caller with no capabilities and no new privileges", () => {
    expect(args.slice(0, 6)).toEqual(["create", `--label=${OWNER_LABEL}=2001`, "--user=2001:2001", "--cap-drop=ALL", "--security-opt=no-new-privileges", "--network=ie-pool"]);
  });

  it("gives the assigned address and only the assigned GPU, named as the container's GPU 0", () => {
    expect(args).toContain("--ip=10.89.60.7");
    expect(args.filter((a) => a.startsWith("--device="))).toEqual(["--device=/dev/nvidia1", "--device=/dev/nvidiactl"]);
    expect(args).toContain("--env=CUDA_VISIBLE_DEVICES=0");
    expect(args).toContain("--env=NVIDIA_VISIBLE_DEVICES=1");
  });

  it("gives no device and no GPU variable without --gpu, and Podman's own network without --ip", () => {
    const plain = podmanCreateArgs(parseRun(["img"], ctx), caller, { ...assignment, network: "podman", ip: undefined, gpus: [] });
    expect(plain.filter((a) => a.startsWith("--device") || a.includes("VISIBLE_DEVICES") || a.startsWith("--ip"))).toEqual([]);
    expect(plain).toContain("--network=podman");
  });

  it("ends with the user's options, then -- and the image with its command", () => {
    expect(args.slice(-4)).toEqual(["--env=A=1", "--", "img", "nvidia-smi"]);
  });

  it("sets every resource limit before the user's options", () => {
    const limited = args.filter((a) => /^--(memory|memory-swap|cpus|pids-limit|shm-size)=/.test(a));
    expect(limited).toHaveLength(5);
    expect(args.indexOf(limited[4])).toBeLessThan(args.indexOf("--env=A=1"));
  });
});
