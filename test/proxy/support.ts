/**
 * Helpers for the proxy behaviour tests: small apps on 127.0.0.1 (ephemeral ports), a local mesh
 * built from unimesh policies (translated by the builtin adapter, exactly as `unimesh up` does) plus a
 * registry of those apps, and a client that sends requests through an outbound listener.
 */
import http from "node:http";
import http2 from "node:http2";
import net, { type AddressInfo } from "node:net";
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { Agent, request } from "undici";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import yaml from "js-yaml";
import { loadModel, translate } from "../../src/index.js";
import { builtin } from "../../src/adapters/builtin/index.js";
import { mergeProxyDocuments } from "../../src/proxy/config/merge.js";
import { startProxy, type ProxyRuntime, type StartOptions } from "../../src/proxy/runtime.js";
import type { ProxyConfig, ServiceRegistry, Service } from "../../src/api/generated/proxyConfig.js";

/** A request as an app saw it. */
export interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** Port of the connection it came on (one per connection). */
  remotePort?: number;
}

/** An app: an HTTP server counting what it sees. */
export interface App {
  port: number;
  seen: Seen[];
  /** Connections accepted so far. */
  connections: () => number;
  close(): Promise<void>;
}

export type AppHandler = (req: http.IncomingMessage, res: http.ServerResponse, body: string, n: number) => void;

/** Starts an HTTP/1.1 app; the default handler answers 200 with `name`. */
export async function startApp(name: string, handler?: AppHandler): Promise<App> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString();
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body, remotePort: req.socket.remotePort });
      if (handler) handler(req, res, body, seen.length);
      else {
        res.setHeader("content-type", "text/plain");
        res.end(name);
      }
    });
  });
  server.keepAliveTimeout = 30_000;
  let connections = 0;
  server.on("connection", () => connections++);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    connections: () => connections,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Starts an h2c app (HTTP/2 without TLS), as gRPC servers are. */
export async function startH2App(handler: (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, body: Buffer) => void): Promise<App> {
  const seen: Seen[] = [];
  const server = http2.createServer();
  server.on("stream", (stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("end", () => {
      const body = Buffer.concat(chunks);
      seen.push({ method: String(headers[":method"]), url: String(headers[":path"]), headers: headers as http.IncomingHttpHeaders, body: body.toString() });
      handler(stream, headers, body);
    });
  });
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (s) => {
    sessions.add(s);
    s.on("close", () => sessions.delete(s));
  });
  let connections = 0;
  server.on("connection", () => connections++);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    connections: () => connections,
    close: () =>
      new Promise((r) => {
        for (const s of sessions) s.destroy();
        server.close(() => r());
      }),
  };
}

/** One instance in a test registry. */
export interface TestInstance {
  service: string;
  namespace?: string;
  serviceAccount?: string;
  port: number;
  labels?: Record<string, string>;
  /** Give it an outbound listener (it calls others). */
  outbound?: boolean;
  protocol?: "http" | "http2" | "grpc";
  servicePort?: number;
}

/** Translates policies (YAML text) with the builtin adapter into a ProxyConfig. */
export function translatePolicies(yaml: string, settings?: Record<string, string>): ProxyConfig {
  const loaded = loadModel([{ file: "policies.yaml", text: yaml }]);
  if (!loaded.ok) throw new Error(loaded.diagnostics.map((d) => `${d.pointer}: ${d.message}`).join("\n"));
  const r = translate(loaded.model, { adapter: builtin, ...(settings ? { settings } : {}) });
  if (!r.ok) throw new Error(r.diagnostics.map((d) => `${d.pointer}: ${d.message}`).join("\n"));
  return r.resources[0] as unknown as ProxyConfig;
}

/** A registry document for instances. */
export function registry(instances: TestInstance[], extra: Partial<ServiceRegistry["spec"]> = {}): ServiceRegistry {
  const services = new Map<string, Service>();
  for (const i of instances) {
    const ns = i.namespace ?? "default";
    const k = `${ns}/${i.service}`;
    let s = services.get(k);
    if (!s) {
      s = { name: i.service, namespace: ns, instances: [], ...(i.serviceAccount ? { serviceAccount: i.serviceAccount } : {}) };
      services.set(k, s);
    }
    const sp = i.servicePort ?? 80;
    if (!s.ports?.some((p) => p.port === sp)) s.ports = [...(s.ports ?? []), { port: sp, protocol: i.protocol ?? "http" }] as Service["ports"];
    s.instances!.push({ port: i.port, servicePort: sp, labels: i.labels ?? {}, inbound: { port: 0 }, ...(i.outbound ? { outbound: { port: 0 } } : {}) });
  }
  return {
    apiVersion: "unimesh.io/v1alpha1",
    kind: "ServiceRegistry",
    metadata: { name: "test" },
    spec: { services: [...services.values()], admin: { port: 0 }, ...extra },
  };
}

/** The merged config of policies (YAML, may be empty) and a registry. */
export function meshConfig(
  policiesYaml: string,
  reg: ServiceRegistry,
  spec: Partial<ProxyConfig["spec"]> = {},
  settings?: Record<string, string>,
): ProxyConfig {
  const configs = policiesYaml.trim() ? [{ doc: translatePolicies(policiesYaml, settings), file: "policies", documentIndex: 0 }] : [];
  const { config, diagnostics } = mergeProxyDocuments(configs, [{ doc: reg, file: "registry", documentIndex: 0 }]);
  if (diagnostics.length) throw new Error(JSON.stringify(diagnostics));
  // UNIMESH_TEST_HOPS=inline runs every behaviour test with in-process hops between co-located listeners,
  // UNIMESH_TEST_HOPS=http with HTTP/1.1 between proxies instead of the hop protocol (hopProtocol: http).
  const mode = process.env.UNIMESH_TEST_HOPS;
  const hops = mode === "inline" ? { colocatedHops: "inline" as const } : mode === "http" ? { hopProtocol: "http" as const } : {};
  config.spec = { ...config.spec, accessLog: { enabled: false }, ...hops, ...spec };
  return config;
}

/** Starts a mesh quietly. */
export async function startMesh(config: ProxyConfig, options: StartOptions = {}): Promise<ProxyRuntime> {
  return startProxy(config, { onEvent: () => {}, ...options });
}

const agents = new Map<number, Agent>();
function agent(port: number): Agent {
  let a = agents.get(port);
  if (!a) agents.set(port, (a = new Agent({ connections: 64, keepAliveTimeout: 10_000 })));
  return a;
}

/** A response as a test sees it. */
export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * Sends a request through the outbound listener at `port` to `authority` (the destination, e.g.
 * `reviews:80`), as an app using it as HTTP proxy would.
 */
export async function call(
  port: number,
  authority: string,
  path = "/",
  opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  const r = await request(`http://127.0.0.1:${port}${path}`, {
    dispatcher: agent(port),
    method: (opts.method ?? "GET") as "GET",
    headers: { host: authority, ...(opts.headers ?? {}) },
    ...(opts.body !== undefined ? { body: opts.body } : {}),
  });
  const body = await r.body.text();
  return { status: r.statusCode, headers: r.headers as Answer["headers"], body };
}

/** Whether 127.0.0.1:`port` can be listened on now. */
function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });
}

const handedOut = new Set<number>();

/**
 * `n` distinct loopback ports that are free now, for a listener bound later (a registry's fixed ports).
 * Below Linux's ephemeral range (32768+): a port found with `listen(0)` is an ephemeral one, which an
 * outgoing connection of any test running in parallel can take before it is bound (then EADDRINUSE).
 * In [12000, 20000) (the cluster tests' API servers take theirs in [20000, 32000)); never the same port
 * twice in one process.
 */
export async function freePorts(n: number): Promise<number[]> {
  const out: number[] = [];
  for (let tries = 0; out.length < n && tries < 5000; tries++) {
    const p = 12000 + Math.floor(Math.random() * 8000);
    if (!out.includes(p) && !handedOut.has(p) && (await canListen(p))) out.push(p);
  }
  if (out.length < n) throw new Error(`no ${n} free loopback ports in 12000-19999`);
  for (const p of out) handedOut.add(p);
  return out;
}

/** One port of {@link freePorts}. */
export async function freePort(): Promise<number> {
  return (await freePorts(1))[0];
}

/** Closes the test agents. */
export async function closeAgents(): Promise<void> {
  await Promise.all([...agents.values()].map((a) => a.close()));
  agents.clear();
}

/** Runs `n` calls with at most `concurrency` in flight; returns the answers in order. */
export async function many<T>(n: number, concurrency: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      while (next < n) {
        const i = next++;
        out[i] = await fn(i);
      }
    }),
  );
  return out;
}

/**
 * Sends one HTTP/1.1 request byte for byte (no client library normalizes its target) on a fresh
 * connection and returns the status line's code, the headers and the body. `target` is sent as is.
 */
export async function rawCall(
  port: number,
  authority: string,
  target: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  const head = [
    `${opts.method ?? "GET"} ${target} HTTP/1.1`,
    `host: ${authority}`,
    "connection: close",
    ...Object.entries(opts.headers ?? {}).map(([k, v]) => `${k}: ${v}`),
    ...(opts.body !== undefined ? [`content-length: ${Buffer.byteLength(opts.body)}`] : []),
    "",
    "",
  ].join("\r\n");
  const text = await new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = net.connect(port, "127.0.0.1", () => s.write(head + (opts.body ?? "")));
    s.on("data", (c) => chunks.push(c));
    s.on("error", reject);
    s.on("close", () => resolve(Buffer.concat(chunks).toString("latin1")));
  });
  const [h, ...rest] = text.split("\r\n\r\n");
  const lines = h.split("\r\n");
  const headers: Answer["headers"] = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(":");
    if (i > 0) headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
  }
  let body = rest.join("\r\n\r\n");
  if (headers["transfer-encoding"] === "chunked") {
    let out = "";
    for (let i = 0; ;) {
      const e = body.indexOf("\r\n", i);
      const n = parseInt(body.slice(i, e), 16);
      if (!n) break;
      out += body.slice(e + 2, e + 2 + n);
      i = e + 2 + n + 2;
    }
    body = out;
  }
  return { status: Number(lines[0].split(" ")[1]), headers, body };
}

const EXAMPLE = join(import.meta.dirname, "../../examples/bookinfo-local");

/** The example registry on free ports, its apps started from the example directory
 * (examples/bookinfo-local, shared by the `up` tests of the CLI and of the proxy). */
export async function registryOnFreePorts(dir: string): Promise<{ file: string; ingress: number; admin: number }> {
  const reg = yaml.load(readFileSync(join(EXAMPLE, "registry.yaml"), "utf8")) as ServiceRegistry;
  reg.spec.admin = { port: await freePort() };
  const ingress = await freePort();
  reg.spec.ingresses![0].port = ingress;
  for (const s of reg.spec.services ?? []) {
    for (const i of s.instances ?? []) {
      i.port = await freePort();
      i.inbound = { port: 0 };
      if (i.outbound) i.outbound = { port: 0 };
      i.run = { ...i.run!, cwd: EXAMPLE };
    }
  }
  const file = join(dir, "registry.yaml");
  writeFileSync(file, yaml.dump(reg));
  return { file, ingress, admin: reg.spec.admin.port! };
}

/**
 * Runs `fn` and counts the connections accepted meanwhile on 127.0.0.1:`port` by any server of this
 * process (Node's `net.server.socket` diagnostics channel): how many connections a proxy opened to a
 * listener of another.
 */
export async function countAccepted<T>(port: number, fn: () => Promise<T>): Promise<{ accepted: number; result: T }> {
  let accepted = 0;
  const onSocket = (m: unknown) => {
    if ((m as { socket: net.Socket }).socket.localPort === port) accepted++;
  };
  subscribe("net.server.socket", onSocket);
  try {
    const result = await fn();
    return { accepted, result };
  } finally {
    unsubscribe("net.server.socket", onSocket);
  }
}

/** Waits until `check` is true, polled every 20 ms for up to `ms`; returns whether it became true. */
export async function until(check: () => boolean | Promise<boolean>, ms = 5000): Promise<boolean> {
  for (let i = 0; i < ms / 20; i++) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

/** A raw client connection to `port` on 127.0.0.1: the socket, what it was sent (latin1), and whether it closed. */
export async function rawClient(port: number): Promise<{ s: net.Socket; got: () => string; closed: () => boolean }> {
  const s = net.connect(port, "127.0.0.1");
  await new Promise((r) => s.once("connect", r));
  let got = "";
  let closed = false;
  s.on("data", (d: Buffer) => (got += d.toString("latin1")));
  s.on("close", () => (closed = true));
  s.on("error", () => {});
  return { s, got: () => got, closed: () => closed };
}

/** The in-flight gauge (`unimesh_requests_in_flight`) of the listener whose key starts with `prefix`, from the admin endpoint. */
export async function inFlight(proxy: { port(key: string): number }, prefix: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${proxy.port("admin")}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`unimesh_requests_in_flight{listener="${prefix}`));
  if (!line) throw new Error(`no in-flight gauge for ${prefix}`);
  return Number(line.split(" ").pop());
}

/** The status lines of the HTTP/1.1 answers a raw client got, in order (answers follow each other with no separator). */
export function statusLines(got: string): string[] {
  return got.match(/HTTP\/1\.1 \d{3} /g) ?? [];
}
