/**
 * The Pulumi SDK's dynamic provider host, started and spoken to as the engine does it, without the CLI:
 * `node node_modules/@pulumi/pulumi/cmd/dynamic-provider/index.js <engine-address>` with cwd = a project
 * checkout (plain Node, no TypeScript loader), which prints its port; then the provider gRPC protocol with the
 * SDK's own stubs. Every resource's `__provider` text travels in its properties, as the engine sends it from
 * the program or the state. For the engine-faithful tests, and for a lab runner that applies ManagedFiles
 * the way `pulumi up` does.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { ResourceProviderClient } from "@pulumi/pulumi/proto/provider_grpc_pb";
import * as proto from "@pulumi/pulumi/proto/provider_pb";
import { Struct, type JavaScriptValue } from "google-protobuf/google/protobuf/struct_pb";

/** Properties as they cross the protocol: JSON-like values. */
export type Props = Record<string, unknown>;

export interface StartOptions {
  /** The project checkout the host runs in (its cwd): it must have run `npm ci`. */
  readonly projectDir: string;
  /** The engine's address handed to the host; it only dials it to log. Defaults to an address nothing answers. */
  readonly engineAddress?: string;
  /** How long the host may take to print its port, in ms. Defaults to 30 s. */
  readonly startTimeoutMs?: number;
  /** Environment of the host (SSH_AUTH_SOCK is read there). Defaults to this process's environment. */
  readonly env?: NodeJS.ProcessEnv;
}

export interface DiffResult {
  /** DIFF_SOME: the provider wants an update (or a replacement). */
  readonly changes: "none" | "some" | "unknown";
  readonly replaces: readonly string[];
  readonly deleteBeforeReplace: boolean;
}

export interface ProviderHost {
  readonly port: number;
  /** What the host wrote on stderr so far (the SDK logs failed reads and diffs there). */
  stderr(): string;
  configure(config?: Props): Promise<void>;
  /** Check: the inputs the engine would go on with, and the provider's failures. */
  check(urn: string, olds: Props, news: Props): Promise<{ readonly inputs: Props; readonly failures: readonly string[] }>;
  diff(id: string, urn: string, olds: Props, news: Props): Promise<DiffResult>;
  create(urn: string, props: Props): Promise<{ readonly id: string; readonly props: Props }>;
  /** Read on refresh: `props` are the state's outputs (their `__provider` is the one that runs). */
  read(id: string, urn: string, props: Props, inputs?: Props): Promise<{ readonly id: string; readonly props: Props; readonly inputs?: Props }>;
  update(id: string, urn: string, olds: Props, news: Props): Promise<{ readonly props: Props }>;
  delete(id: string, urn: string, props: Props): Promise<void>;
  /** Closes the client and stops the host process. */
  stop(): void;
}

/** The URN the engine gives a ManagedFile named `name` (type and name matter to the host; the rest is form). */
export function managedFileUrn(name: string, stack = "test", project = "ie-infra"): string {
  return `urn:pulumi:${stack}::${project}::pulumi-nodejs:dynamic/host:ManagedFile::${name}`;
}

function struct(props: Props): Struct {
  return Struct.fromJavaScript(props as Record<string, JavaScriptValue>);
}

function plain(s: Struct | undefined): Props {
  return (s?.toJavaScript() ?? {}) as Props;
}

/** A gRPC failure as a plain Error with the provider's own message, and which call failed. */
function callError(method: string, err: grpc.ServiceError): Error {
  return new Error(`${method}: ${err.details || err.message}`);
}

function waitForPort(child: ChildProcess, timeoutMs: number, stderr: () => string): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => fail(`printed no port within ${timeoutMs} ms`), timeoutMs);
    const fail = (why: string): void => {
      clearTimeout(timer);
      child.kill();
      reject(new Error(`the dynamic provider host ${why}; stderr:\n${stderr()}`));
    };
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString("utf8");
      const line = /^(\d+)\s*$/m.exec(out);
      if (line) {
        clearTimeout(timer);
        resolve(Number(line[1]));
      }
    });
    child.on("exit", (code) => fail(`exited (${code}) before printing its port`));
  });
}

/** Starts the host in `projectDir` exactly as the CLI's nodejs dynamic provider shim does. */
export async function startProviderHost(opts: StartOptions): Promise<ProviderHost> {
  const entry = path.join("node_modules", "@pulumi", "pulumi", "cmd", "dynamic-provider", "index.js");
  const child = spawn(process.execPath, [entry, opts.engineAddress ?? "127.0.0.1:1"], {
    cwd: opts.projectDir,
    env: opts.env ?? process.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let errText = "";
  child.stderr?.on("data", (d: Buffer) => (errText += d.toString("utf8")));
  const stderr = (): string => errText;
  const port = await waitForPort(child, opts.startTimeoutMs ?? 30_000, stderr);
  const client = new ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());

  /** One unary call as a promise; the stubs' overloads take (request, callback). */
  function call<Req, Res>(method: string, fn: (req: Req, cb: (err: grpc.ServiceError | null, res: Res) => void) => unknown, req: Req): Promise<Res> {
    return new Promise((resolve, reject) => {
      fn.call(client, req, (err: grpc.ServiceError | null, res: Res) => (err ? reject(callError(method, err)) : resolve(res)));
    });
  }

  return {
    port,
    stderr,
    async configure(config: Props = {}) {
      const req = new proto.ConfigureRequest();
      req.setArgs(struct(config));
      req.setAcceptsecrets(true);
      req.setAcceptresources(true);
      await call("Configure", client.configure, req);
    },
    async check(urn, olds, news) {
      const req = new proto.CheckRequest();
      req.setUrn(urn);
      req.setOlds(struct(olds));
      req.setNews(struct(news));
      const res = await call<proto.CheckRequest, proto.CheckResponse>("Check", client.check, req);
      return { inputs: plain(res.getInputs()), failures: res.getFailuresList().map((f) => `${f.getProperty()}: ${f.getReason()}`) };
    },
    async diff(id, urn, olds, news) {
      const req = new proto.DiffRequest();
      req.setId(id);
      req.setUrn(urn);
      req.setOlds(struct(olds));
      req.setNews(struct(news));
      const res = await call<proto.DiffRequest, proto.DiffResponse>("Diff", client.diff, req);
      const kinds = proto.DiffResponse.DiffChanges;
      const changes = res.getChanges() === kinds.DIFF_SOME ? "some" : res.getChanges() === kinds.DIFF_NONE ? "none" : "unknown";
      return { changes, replaces: res.getReplacesList(), deleteBeforeReplace: res.getDeletebeforereplace() };
    },
    async create(urn, props) {
      const req = new proto.CreateRequest();
      req.setUrn(urn);
      req.setProperties(struct(props));
      const res = await call<proto.CreateRequest, proto.CreateResponse>("Create", client.create, req);
      return { id: res.getId(), props: plain(res.getProperties()) };
    },
    async read(id, urn, props, inputs) {
      const req = new proto.ReadRequest();
      req.setId(id);
      req.setUrn(urn);
      req.setProperties(struct(props));
      if (inputs !== undefined) req.setInputs(struct(inputs));
      const res = await call<proto.ReadRequest, proto.ReadResponse>("Read", client.read, req);
      return { id: res.getId(), props: plain(res.getProperties()), ...(res.hasInputs() ? { inputs: plain(res.getInputs()) } : {}) };
    },
    async update(id, urn, olds, news) {
      const req = new proto.UpdateRequest();
      req.setId(id);
      req.setUrn(urn);
      req.setOlds(struct(olds));
      req.setNews(struct(news));
      const res = await call<proto.UpdateRequest, proto.UpdateResponse>("Update", client.update, req);
      return { props: plain(res.getProperties()) };
    },
    async delete(id, urn, props) {
      const req = new proto.DeleteRequest();
      req.setId(id);
      req.setUrn(urn);
      req.setProperties(struct(props));
      await call("Delete", client.delete, req);
    },
    stop() {
      client.close();
      child.kill();
    },
  };
}
