/**
 * A fake Kubernetes API server, kept for what a real one cannot show a test: every request it receives
 * (`requests`, `writes()`), so tests can assert the ORDER of writes (dependency order, DENY before ALLOW)
 * and that nothing was sent. Everything else runs against a real kube-apiserver (test/cluster/), and so
 * should new tests. HTTPS on 127.0.0.1 with a
 * self-signed certificate (generated with @peculiar/x509), bearer-token authentication, and the few
 * endpoints unimesh uses, answering with the shapes a real kube-apiserver returns:
 *
 * - `GET /version`; discovery: `GET /api`, `/api/v1`, `/apis`, `/apis/<group>`, `/apis/<group>/<version>`
 *   (APIVersions, APIGroupList, APIGroup, APIResourceList; CRD groups appear once their CRD is installed,
 *   established, and with every served version; the preferred version follows Kubernetes version priority);
 * - built-in resources: namespaces, services, pods, serviceaccounts, configmaps (v1), deployments
 *   (apps/v1), customresourcedefinitions (apiextensions.k8s.io/v1); custom resources of installed CRDs
 *   (real CRD files, e.g. `test/crds/istio/1.30.3`);
 * - `GET` of an object or a collection (cluster-wide or per namespace) with `labelSelector` (`k=v`, `k==v`,
 *   `k!=v`, `k`, `!k`, `k in (a,b)`, `k notin (a,b)`), `limit` and `continue` (list items of built-in
 *   kinds carry no apiVersion/kind, as in real lists);
 * - server-side apply: `PATCH` with `Content-Type: application/apply-patch+yaml`, `fieldManager`
 *   (required), `force`, `dryRun=All`: create-or-update, `metadata.managedFields` per manager (FieldsV1),
 *   fields removed when the manager that alone owned them stops applying them, shared ownership when
 *   values agree, and `409 Conflict` with the real Status shape (`Apply failed with N conflict(s):
 *   conflict with "<manager>" using <apiVersion>: <field>`, causes `FieldManagerConflict`) when
 *   another manager owns a field with a different value; `resourceVersion` only changes when something
 *   changed; `generation` when more than metadata changed; dry runs are never persisted;
 * - custom resources are validated against their CRD schema (structural schema, unknown fields, CEL
 *   rules) with test/support/crd-validator.ts (422 Invalid); a Service needs `spec.ports` (422);
 * - `DELETE` with `DeleteOptions.preconditions` (uid, resourceVersion → 409) and `dryRun=All`.
 *
 * Limits (what a real API server does and this one does not):
 * - no watch, no aggregated discovery (`application/json;g=apidiscovery.k8s.io`), no OpenAPI, no
 *   protobuf, no `POST`/`PUT`/non-apply `PATCH` (415), no `fieldSelector`, no subresources (`/status`);
 * - no version conversion: an object read through another served version only gets its `apiVersion`
 *   changed; no schema defaulting; no admission webhooks (Istio's validation webhook, for instance);
 * - server-side apply treats every list as atomic (real SSA merges `x-kubernetes-list-type: map|set`
 *   lists item by item, e.g. Service ports) and prints field paths with dots only (no `[k=v]` elements);
 * - deleting is immediate: no finalizers, no graceful deletion, no garbage collection (ownerReferences),
 *   deleting a namespace removes what it holds at once;
 * - authentication is a single bearer token; no RBAC (every authenticated request is allowed, unless a
 *   resource is listed in `forbidden`).
 */
import { createServer, type Server } from "node:https";
import { createServer as createNetServer } from "node:net";
import { randomBytes, randomUUID, webcrypto } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { IncomingMessage, ServerResponse } from "node:http";
import "reflect-metadata"; // @peculiar/x509 (tsyringe) needs Reflect metadata
import yaml from "js-yaml";
import { validatorFromCrdDocuments, type CrdValidator } from "../../support/crd-validator.js";

type Obj = Record<string, any>;

/** A resource type the server serves. */
interface ResourceType {
  group: string;
  versions: string[];
  plural: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames?: string[];
  builtin: boolean;
}

interface Owner {
  operation: "Apply" | "Update";
  apiVersion: string;
  time: string;
  paths: Set<string>;
}

interface Stored {
  obj: Obj;
  owners: Map<string, Owner>;
}

/** A request as the server saw it (for assertions: e.g. "no write was sent"). */
export interface LoggedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType?: string;
}

const VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

const BUILTINS: ResourceType[] = [
  { group: "", versions: ["v1"], plural: "namespaces", singular: "namespace", kind: "Namespace", namespaced: false, shortNames: ["ns"], builtin: true },
  { group: "", versions: ["v1"], plural: "services", singular: "service", kind: "Service", namespaced: true, shortNames: ["svc"], builtin: true },
  { group: "", versions: ["v1"], plural: "pods", singular: "pod", kind: "Pod", namespaced: true, shortNames: ["po"], builtin: true },
  {
    group: "",
    versions: ["v1"],
    plural: "serviceaccounts",
    singular: "serviceaccount",
    kind: "ServiceAccount",
    namespaced: true,
    shortNames: ["sa"],
    builtin: true,
  },
  { group: "", versions: ["v1"], plural: "configmaps", singular: "configmap", kind: "ConfigMap", namespaced: true, shortNames: ["cm"], builtin: true },
  { group: "", versions: ["v1"], plural: "secrets", singular: "secret", kind: "Secret", namespaced: true, shortNames: [], builtin: true },
  {
    group: "apps",
    versions: ["v1"],
    plural: "deployments",
    singular: "deployment",
    kind: "Deployment",
    namespaced: true,
    shortNames: ["deploy"],
    builtin: true,
  },
  { group: "apps", versions: ["v1"], plural: "daemonsets", singular: "daemonset", kind: "DaemonSet", namespaced: true, shortNames: ["ds"], builtin: true },
  {
    group: "apiextensions.k8s.io",
    versions: ["v1"],
    plural: "customresourcedefinitions",
    singular: "customresourcedefinition",
    kind: "CustomResourceDefinition",
    namespaced: false,
    shortNames: ["crd", "crds"],
    builtin: true,
  },
];

/** Kubernetes version priority: GA > beta > alpha, then higher numbers first (`v1` > `v1beta2` > `v1beta1` > `v1alpha1`). */
export function compareKubeVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [0, 0, 0];
    return [m[2] ? (m[2] === "beta" ? 2 : 1) : 3, Number(m[1]), m[3] ? Number(m[3]) : 0];
  };
  const pa = parse(a),
    pb = parse(b);
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pb[i] - pa[i];
  return a < b ? -1 : a > b ? 1 : 0;
}

// ------------------------------------------------------------------------------------------ TLS

let certCache: Promise<{ certPem: string; keyPem: string }> | undefined;

/** A self-signed certificate for 127.0.0.1 (one per test process). */
export function selfSignedCertificate(): Promise<{ certPem: string; keyPem: string }> {
  return (certCache ??= (async () => {
    const x509 = await import("@peculiar/x509");
    const crypto = webcrypto as unknown as Crypto;
    x509.cryptoProvider.set(crypto);
    const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
    const keys = await crypto.subtle.generateKey(alg, true, ["sign", "verify"]);
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: randomBytes(8).toString("hex"),
      name: "CN=unimesh-fake-apiserver",
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 7 * 86_400_000),
      signingAlgorithm: alg,
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyCertSign, true),
        new x509.ExtendedKeyUsageExtension(["1.3.6.1.5.5.7.3.1"]),
        new x509.SubjectAlternativeNameExtension([{ type: "ip", value: "127.0.0.1" }]),
      ],
    });
    const keyDer = await crypto.subtle.exportKey("pkcs8", keys.privateKey);
    return { certPem: cert.toString("pem"), keyPem: x509.PemConverter.encode(keyDer, "PRIVATE KEY") };
  })());
}

// ------------------------------------------------------------------------------------------ helpers

const isPlain = (v: unknown): v is Obj => !!v && typeof v === "object" && !Array.isArray(v);
const clone = <T>(v: T): T => (v === undefined ? v : JSON.parse(JSON.stringify(v)));

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}
function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (isPlain(v))
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortKeys(v[k])]),
    );
  return v;
}

const SERVER_METADATA = ["name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "selfLink", "deletionTimestamp"];

/** The fields a manager sets: the object minus identity, server-set metadata and status. */
function configOf(o: Obj): Obj {
  const c = clone(o);
  delete c.apiVersion;
  delete c.kind;
  delete c.status;
  if (isPlain(c.metadata)) {
    for (const k of SERVER_METADATA) delete c.metadata[k];
    if (Object.keys(c.metadata).length === 0) delete c.metadata;
  }
  return c;
}

/** Leaf field paths (maps are granular, lists and scalars are leaves), as JSON-encoded token arrays. */
function leafPaths(v: unknown, prefix: string[] = [], out = new Set<string>()): Set<string> {
  if (isPlain(v) && Object.keys(v).length > 0) {
    for (const k of Object.keys(v)) leafPaths(v[k], [...prefix, k], out);
  } else if (prefix.length) out.add(JSON.stringify(prefix));
  return out;
}

const tokens = (p: string): string[] => JSON.parse(p);
const dotted = (p: string): string =>
  tokens(p)
    .map((t) => `.${t}`)
    .join("");

function valueAt(o: unknown, path: string[]): unknown {
  let cur: any = o;
  for (const t of path) {
    if (!isPlain(cur)) return undefined;
    cur = cur[t];
  }
  return cur;
}

function deleteAt(o: Obj, path: string[]): void {
  const parent = valueAt(o, path.slice(0, -1));
  if (!isPlain(parent)) return;
  delete parent[path[path.length - 1]];
  // Remove maps left empty (below the top level).
  for (let i = path.length - 2; i >= 1; i--) {
    const up = valueAt(o, path.slice(0, i));
    const child = valueAt(o, path.slice(0, i + 1));
    if (isPlain(up) && isPlain(child) && Object.keys(child).length === 0) delete up[path[i]];
  }
}

function merge(into: Obj, patch: Obj): Obj {
  for (const [k, v] of Object.entries(patch)) {
    if (isPlain(v) && isPlain(into[k])) merge(into[k], v);
    else into[k] = clone(v);
  }
  return into;
}

const overlaps = (a: string[], b: string[]) => {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
};

function fieldsV1(paths: Set<string>): Obj {
  const root: Obj = {};
  for (const p of [...paths].sort()) {
    let cur = root;
    for (const t of tokens(p)) cur = cur[`f:${t}`] ??= {};
  }
  return root;
}

const now = () => new Date().toISOString().replace(/\.\d+Z$/, "Z");

/** Parses a label selector into a predicate. @throws Error for invalid syntax. */
export function parseLabelSelector(s: string): (labels: Record<string, string> | undefined) => boolean {
  const reqs: ((l: Record<string, string>) => boolean)[] = [];
  const parts: string[] = [];
  let depth = 0,
    cur = "";
  for (const ch of s) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (ch === "," && depth === 0) {
      parts.push(cur);
      cur = "";
    } else cur += ch;
  }
  if (cur.trim()) parts.push(cur);
  const key = "([A-Za-z0-9][-A-Za-z0-9_./]*)";
  for (const raw of parts) {
    const p = raw.trim();
    let m: RegExpExecArray | null;
    if ((m = new RegExp(`^${key}\\s*(==|=|!=)\\s*([-A-Za-z0-9_.]*)$`).exec(p))) {
      const [, k, op, v] = m;
      reqs.push(op === "!=" ? (l) => l[k] !== v : (l) => l[k] === v);
    } else if ((m = new RegExp(`^${key}\\s+(in|notin)\\s+\\(([^)]*)\\)$`).exec(p))) {
      const [, k, op, list] = m;
      const vals = list.split(",").map((x) => x.trim());
      reqs.push(op === "in" ? (l) => k in l && vals.includes(l[k]) : (l) => !(k in l) || !vals.includes(l[k]));
    } else if ((m = new RegExp(`^!${key}$`).exec(p))) {
      const k = m[1];
      reqs.push((l) => !(k in l));
    } else if ((m = new RegExp(`^${key}$`).exec(p))) {
      const k = m[1];
      reqs.push((l) => k in l);
    } else throw new Error(`unable to parse requirement: ${p}`);
  }
  return (labels) => reqs.every((r) => r(labels ?? {}));
}

function status(code: number, reason: string, message: string, details?: Obj): Obj {
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, ...(details ? { details } : {}), code };
}

class HttpError extends Error {
  constructor(
    readonly code: number,
    readonly body: Obj,
  ) {
    super(body.message);
  }
}

const notFoundPath = () => new HttpError(404, status(404, "NotFound", "the server could not find the requested resource", {}));

// ------------------------------------------------------------------------------------------ server

/** Options of {@link FakeApiServer.start}. */
export interface FakeApiServerOptions {
  /** Bearer token clients must send. @default random */
  token?: string;
  /** `/version` gitVersion. @default "v1.31.2" */
  kubernetesVersion?: string;
  /** Folders (or files) of CRD YAML to install at start, e.g. `test/crds/istio/1.30.3`. */
  crds?: string[];
  /** Namespaces created at start. @default ["default"] */
  namespaces?: string[];
}

/** The fake API server. Start with {@link FakeApiServer.start}, stop with {@link FakeApiServer.stop}. */
export class FakeApiServer {
  readonly token: string;
  readonly requests: LoggedRequest[] = [];
  /** `group/plural` pairs answered with 403 (to test RBAC failures). */
  readonly forbidden = new Set<string>();
  private readonly types: ResourceType[] = [...BUILTINS];
  private readonly store = new Map<string, Map<string, Stored>>();
  private rv = 1000;
  private validator: CrdValidator | undefined;
  private server!: Server;
  url = "";
  certPem = "";

  private constructor(private readonly opts: FakeApiServerOptions) {
    this.token = opts.token ?? `fake-token-${randomBytes(12).toString("hex")}`;
  }

  /** Starts a server on 127.0.0.1 (ephemeral port). */
  static async start(opts: FakeApiServerOptions = {}): Promise<FakeApiServer> {
    const s = new FakeApiServer(opts);
    const { certPem, keyPem } = await selfSignedCertificate();
    s.certPem = certPem;
    for (const ns of opts.namespaces ?? ["default"]) s.seed({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
    for (const dir of opts.crds ?? []) s.installCrds(dir);
    s.server = createServer({ cert: certPem, key: keyPem }, (req, res) => void s.handle(req, res));
    await new Promise<void>((r) => s.server.listen(0, "127.0.0.1", r));
    const addr = s.server.address();
    s.url = `https://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}`;
    return s;
  }

  /** Stops the server and drops its connections. */
  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  // ------------------------------------------------------------------ state for tests

  /** Installs every CustomResourceDefinition found in a YAML file or a folder (recursively). */
  installCrds(path: string): void {
    const files = statSync(path).isDirectory() ? walk(path) : [path];
    for (const f of files) {
      for (const doc of yaml.loadAll(readFileSync(f, "utf8"))) {
        if (isPlain(doc) && doc.kind === "CustomResourceDefinition") this.installCrd(doc);
      }
    }
  }

  /** Installs one CRD (established at once). */
  installCrd(crd: Obj): void {
    const c = clone(crd);
    c.status = {
      conditions: [
        { type: "NamesAccepted", status: "True" },
        { type: "Established", status: "True" },
      ],
      acceptedNames: c.spec.names,
      storedVersions: [c.spec.versions.find((v: Obj) => v.storage)?.name],
    };
    if (c.metadata?.creationTimestamp === null) delete c.metadata.creationTimestamp;
    this.seed(c);
    const served = (c.spec.versions as Obj[]).filter((v) => v.served).map((v) => v.name as string);
    this.types.push({
      group: c.spec.group,
      versions: served,
      plural: c.spec.names.plural,
      singular: c.spec.names.singular ?? c.spec.names.kind.toLowerCase(),
      kind: c.spec.names.kind,
      namespaced: c.spec.scope === "Namespaced",
      shortNames: c.spec.names.shortNames,
      builtin: false,
    });
    this.validator = undefined;
  }

  /** Stores an object as if another client had created it (manager `kubectl-create`, operation Update). */
  seed(obj: Obj, opts: { manager?: string } = {}): Obj {
    const type = this.typeOf(obj.apiVersion, obj.kind);
    if (!type) throw new Error(`seed: ${obj.apiVersion} ${obj.kind} is not served`);
    const o = clone(obj);
    o.metadata = { ...o.metadata, uid: randomUUID(), resourceVersion: String(++this.rv), creationTimestamp: now(), generation: 1 };
    if (type.namespaced) o.metadata.namespace ??= "default";
    const owners = new Map<string, Owner>([
      [opts.manager ?? "kubectl-create", { operation: "Update", apiVersion: obj.apiVersion, time: now(), paths: leafPaths(configOf(o)) }],
    ]);
    this.collection(type).set(this.key(type, o.metadata.namespace, o.metadata.name), { obj: o, owners });
    return this.render(type, { obj: o, owners }, obj.apiVersion.split("/").pop()!);
  }

  /** Server-side apply from a test (another field manager). */
  applyAs(manager: string, obj: Obj, opts: { force?: boolean } = {}): Obj {
    const type = this.typeOf(obj.apiVersion, obj.kind);
    if (!type) throw new Error(`applyAs: ${obj.apiVersion} ${obj.kind} is not served`);
    return this.apply(type, obj.apiVersion.split("/").pop()!, obj.metadata.namespace, obj.metadata.name, obj, manager, !!opts.force, false).body;
  }

  /** The stored object (with managedFields), or undefined. */
  get(apiVersion: string, kind: string, namespace: string | undefined, name: string): Obj | undefined {
    const type = this.typeOf(apiVersion, kind);
    if (!type) return undefined;
    const s = this.collection(type).get(this.key(type, namespace, name));
    return s ? this.render(type, s, apiVersion.split("/").pop()!) : undefined;
  }

  /** Every stored object of a kind. */
  all(apiVersion: string, kind: string): Obj[] {
    const type = this.typeOf(apiVersion, kind);
    return type ? [...this.collection(type).values()].map((s) => this.render(type, s, apiVersion.split("/").pop()!)) : [];
  }

  /** Requests that could change state (PATCH, DELETE, POST, PUT) without dryRun. */
  writes(): LoggedRequest[] {
    return this.requests.filter((r) => r.method !== "GET" && r.query.dryRun !== "All");
  }

  // ------------------------------------------------------------------ internals

  private typeOf(apiVersion: string, kind: string): ResourceType | undefined {
    const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
    return this.types.find((t) => t.group === group && t.kind === kind && t.versions.includes(version));
  }

  private collection(t: ResourceType): Map<string, Stored> {
    const k = `${t.group}/${t.plural}`;
    let c = this.store.get(k);
    if (!c) this.store.set(k, (c = new Map()));
    return c;
  }

  private key(t: ResourceType, ns: string | undefined, name: string): string {
    return `${t.namespaced ? (ns ?? "default") : ""}/${name}`;
  }

  private render(t: ResourceType, s: Stored, version: string): Obj {
    const o = clone(s.obj);
    o.apiVersion = t.group ? `${t.group}/${version}` : version;
    o.kind = t.kind;
    o.metadata.managedFields = [...s.owners]
      .filter(([, w]) => w.paths.size > 0)
      .map(([manager, w]) => ({
        manager,
        operation: w.operation,
        apiVersion: w.apiVersion,
        time: w.time,
        fieldsType: "FieldsV1",
        fieldsV1: fieldsV1(w.paths),
      }));
    return sortTop(o);
  }

  private groupNames(): string[] {
    return [...new Set(this.types.filter((t) => t.group).map((t) => t.group))].sort();
  }

  private groupVersions(group: string): string[] {
    return [...new Set(this.types.filter((t) => t.group === group).flatMap((t) => t.versions))].sort(compareKubeVersions);
  }

  private resourceList(group: string, version: string): Obj | undefined {
    const types = this.types.filter((t) => t.group === group && t.versions.includes(version));
    if (!types.length) return undefined;
    return {
      kind: "APIResourceList",
      apiVersion: "v1",
      groupVersion: group ? `${group}/${version}` : version,
      resources: types.flatMap((t) => [
        {
          name: t.plural,
          singularName: t.singular,
          namespaced: t.namespaced,
          kind: t.kind,
          verbs: t.kind === "Namespace" ? VERBS.filter((v) => v !== "deletecollection") : VERBS,
          ...(t.shortNames ? { shortNames: t.shortNames } : {}),
          storageVersionHash: randomBytes(6).toString("base64"),
        },
        { name: `${t.plural}/status`, singularName: "", namespaced: t.namespaced, kind: t.kind, verbs: ["get", "patch", "update"] },
      ]),
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "https://127.0.0.1");
    const query = Object.fromEntries(url.searchParams);
    this.requests.push({ method: req.method ?? "GET", path: url.pathname, query, contentType: req.headers["content-type"] });
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    const send = (code: number, payload: Obj) => {
      const text = JSON.stringify(payload);
      res.writeHead(code, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text), "Audit-Id": randomUUID() });
      res.end(text);
    };
    if (req.headers.authorization !== `Bearer ${this.token}`) return send(401, status(401, "Unauthorized", "Unauthorized"));
    try {
      const { code, body: out } = this.route(req.method ?? "GET", url.pathname, query, body, String(req.headers["content-type"] ?? ""));
      send(code, out);
    } catch (e) {
      if (e instanceof HttpError) return send(e.code, e.body);
      send(500, status(500, "InternalError", `fake apiserver: ${(e as Error).stack}`));
    }
  }

  private route(method: string, path: string, query: Record<string, string>, body: string, contentType: string): { code: number; body: Obj } {
    const seg = path.split("/").filter(Boolean).map(decodeURIComponent);
    if (method === "GET" && path === "/version") {
      const v = this.opts.kubernetesVersion ?? "v1.31.2";
      const [, major, minor] = /^v(\d+)\.(\d+)/.exec(v) ?? [];
      return {
        code: 200,
        body: {
          major,
          minor,
          gitVersion: v,
          gitCommit: "0000000",
          gitTreeState: "clean",
          buildDate: "2026-01-01T00:00:00Z",
          goVersion: "go1.23.0",
          compiler: "gc",
          platform: "linux/amd64",
        },
      };
    }
    if (method === "GET" && path === "/api")
      return {
        code: 200,
        body: {
          kind: "APIVersions",
          versions: ["v1"],
          serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress: this.url.replace("https://", "") }],
        },
      };
    if (method === "GET" && path === "/apis") {
      return { code: 200, body: { kind: "APIGroupList", apiVersion: "v1", groups: this.groupNames().map((g) => this.apiGroup(g)) } };
    }
    let group: string, version: string, rest: string[];
    if (seg[0] === "api" && seg.length >= 2) [group, version, rest] = ["", seg[1], seg.slice(2)];
    else if (seg[0] === "apis" && seg.length === 2 && method === "GET") {
      if (!this.groupNames().includes(seg[1])) throw notFoundPath();
      return { code: 200, body: { ...this.apiGroup(seg[1]), kind: "APIGroup", apiVersion: "v1" } };
    } else if (seg[0] === "apis" && seg.length >= 3) [group, version, rest] = [seg[1], seg[2], seg.slice(3)];
    else throw notFoundPath();
    if (rest.length === 0) {
      const list = method === "GET" ? this.resourceList(group, version) : undefined;
      if (!list) throw notFoundPath();
      return { code: 200, body: list };
    }
    let ns: string | undefined, plural: string, name: string | undefined;
    if (rest[0] === "namespaces" && rest.length >= 3) [ns, plural, name] = [rest[1], rest[2], rest[3]];
    else [plural, name] = [rest[0], rest[1]];
    if (rest.length > (ns !== undefined ? 4 : 2)) throw notFoundPath(); // subresources
    const type = this.types.find((t) => t.group === group && t.plural === plural && t.versions.includes(version));
    if (!type || (ns !== undefined && !type.namespaced)) throw notFoundPath();
    if (this.forbidden.has(`${group}/${plural}`)) {
      throw new HttpError(
        403,
        status(
          403,
          "Forbidden",
          `${plural}${group ? `.${group}` : ""} is forbidden: User "system:serviceaccount:test:unimesh" cannot ${method === "GET" ? (name ? "get" : "list") : method.toLowerCase()} resource "${plural}" in API group "${group}"${ns ? ` in the namespace "${ns}"` : " at the cluster scope"}`,
          { group, kind: plural },
        ),
      );
    }
    if (name === undefined) {
      if (method !== "GET")
        throw new HttpError(405, status(405, "MethodNotAllowed", `the server does not allow this method on the requested resource (${method})`));
      return { code: 200, body: this.list(type, version, ns, query) };
    }
    if (dryRunInvalid(query)) throw new HttpError(400, status(400, "BadRequest", `Invalid dryRun parameter: ${query.dryRun}`));
    const dryRun = query.dryRun === "All";
    switch (method) {
      case "GET": {
        const s = this.collection(type).get(this.key(type, ns, name));
        if (!s) throw this.notFound(type, name);
        return { code: 200, body: this.render(type, s, version) };
      }
      case "PATCH": {
        if (!contentType.startsWith("application/apply-patch+yaml")) {
          throw new HttpError(
            415,
            status(
              415,
              "UnsupportedMediaType",
              `the body of the request was in an unknown format - accepted media types include: application/apply-patch+yaml (this fake server only implements server-side apply)`,
            ),
          );
        }
        if (!query.fieldManager)
          throw new HttpError(
            422,
            status(422, "Invalid", `PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch`, {
              group: "meta.k8s.io",
              kind: "PatchOptions",
              causes: [{ reason: "FieldValueRequired", message: "Required value: is required for apply patch", field: "fieldManager" }],
            }),
          );
        let patch: unknown;
        try {
          patch = yaml.load(body);
        } catch (e) {
          throw new HttpError(400, status(400, "BadRequest", `error decoding YAML: ${(e as Error).message}`));
        }
        if (!isPlain(patch)) throw new HttpError(400, status(400, "BadRequest", "the body of an apply patch must be an object"));
        return this.apply(type, version, ns, name, patch, query.fieldManager, query.force === "true", dryRun);
      }
      case "DELETE": {
        const s = this.collection(type).get(this.key(type, ns, name));
        if (!s) throw this.notFound(type, name);
        const opts = body ? (JSON.parse(body) as Obj) : {};
        const pre = opts.preconditions ?? {};
        if (pre.uid && pre.uid !== s.obj.metadata.uid)
          throw new HttpError(
            409,
            status(
              409,
              "Conflict",
              `Operation cannot be fulfilled on ${plural}${group ? `.${group}` : ""} "${name}": Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${s.obj.metadata.uid}`,
              { name, group, kind: plural },
            ),
          );
        if (pre.resourceVersion && pre.resourceVersion !== s.obj.metadata.resourceVersion)
          throw new HttpError(
            409,
            status(
              409,
              "Conflict",
              `Operation cannot be fulfilled on ${plural}${group ? `.${group}` : ""} "${name}": Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${s.obj.metadata.resourceVersion}`,
              { name, group, kind: plural },
            ),
          );
        if (!dryRun) {
          this.collection(type).delete(this.key(type, ns, name));
          if (type.kind === "Namespace") for (const c of this.store.values()) for (const k of [...c.keys()]) if (k.startsWith(`${name}/`)) c.delete(k);
        }
        if (type.builtin) return { code: 200, body: this.render(type, s, version) };
        return {
          code: 200,
          body: { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", details: { name, group, kind: plural, uid: s.obj.metadata.uid } },
        };
      }
      default:
        throw new HttpError(
          405,
          status(
            405,
            "MethodNotAllowed",
            `the server does not allow this method on the requested resource (${method}); this fake server implements GET, server-side apply PATCH and DELETE`,
          ),
        );
    }
  }

  private apiGroup(g: string): Obj {
    const versions = this.groupVersions(g);
    return {
      name: g,
      versions: versions.map((v) => ({ groupVersion: `${g}/${v}`, version: v })),
      preferredVersion: { groupVersion: `${g}/${versions[0]}`, version: versions[0] },
    };
  }

  private notFound(t: ResourceType, name: string): HttpError {
    return new HttpError(
      404,
      status(404, "NotFound", `${t.plural}${t.group ? `.${t.group}` : ""} "${name}" not found`, {
        name,
        ...(t.group ? { group: t.group } : {}),
        kind: t.plural,
      }),
    );
  }

  private list(t: ResourceType, version: string, ns: string | undefined, query: Record<string, string>): Obj {
    let match: ReturnType<typeof parseLabelSelector>;
    try {
      match = parseLabelSelector(query.labelSelector ?? "");
    } catch (e) {
      throw new HttpError(400, status(400, "BadRequest", (e as Error).message));
    }
    const all = [...this.collection(t).entries()]
      .filter(([k]) => ns === undefined || k.startsWith(`${ns}/`))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, s]) => s)
      .filter((s) => match(s.obj.metadata.labels));
    const start = query.continue ? Number(Buffer.from(query.continue, "base64").toString("utf8")) : 0;
    const limit = query.limit ? Number(query.limit) : all.length;
    const page = all.slice(start, start + limit);
    const next = start + limit < all.length ? Buffer.from(String(start + limit)).toString("base64") : undefined;
    const items = page.map((s) => {
      const o = this.render(t, s, version);
      if (t.builtin) {
        delete o.apiVersion;
        delete o.kind;
      }
      return o;
    });
    return {
      apiVersion: t.group ? `${t.group}/${version}` : version,
      kind: `${t.kind}List`,
      metadata: { resourceVersion: String(this.rv), ...(next ? { continue: next, remainingItemCount: all.length - start - limit } : {}) },
      items,
    };
  }

  /** Server-side apply (see the module comment for what is modelled). */
  private apply(
    t: ResourceType,
    version: string,
    ns: string | undefined,
    name: string,
    patch: Obj,
    manager: string,
    force: boolean,
    dryRun: boolean,
  ): { code: number; body: Obj } {
    const apiVersion = t.group ? `${t.group}/${version}` : version;
    if (patch.apiVersion !== apiVersion || patch.kind !== t.kind)
      throw new HttpError(
        400,
        status(
          400,
          "BadRequest",
          `the API version in the data (${patch.apiVersion}) does not match the expected API version (${apiVersion})` +
            (patch.kind !== t.kind ? ` or kind (${patch.kind} vs ${t.kind})` : ""),
        ),
      );
    if (patch.metadata?.name !== name)
      throw new HttpError(400, status(400, "BadRequest", `the name of the object (${patch.metadata?.name}) does not match the name on the URL (${name})`));
    if (t.namespaced && patch.metadata?.namespace !== undefined && patch.metadata.namespace !== ns)
      throw new HttpError(400, status(400, "BadRequest", "the namespace of the provided object does not match the namespace sent on the request"));
    if (t.namespaced && !this.collection(BUILTINS[0]).has(`/${ns}`))
      throw new HttpError(404, status(404, "NotFound", `namespaces "${ns}" not found`, { name: ns, kind: "namespaces" }));

    const coll = this.collection(t);
    const key = this.key(t, ns, name);
    const existing = coll.get(key);
    const config = configOf(patch);
    const applied = leafPaths(config);
    const owners = new Map<string, Owner>([...(existing?.owners ?? new Map<string, Owner>())].map(([m, w]) => [m, { ...w, paths: new Set(w.paths) }]));
    let obj: Obj;
    if (existing) {
      obj = clone(existing.obj);
      // Conflicts: another manager owns an overlapping field whose value would change.
      const conflicts: { manager: string; apiVersion: string; field: string[] }[] = [];
      for (const [m, w] of owners) {
        if (m === manager) continue;
        for (const q of w.paths) {
          const qt = tokens(q);
          for (const p of applied) {
            const pt = tokens(p);
            if (!overlaps(pt, qt)) continue;
            const longer = pt.length >= qt.length ? pt : qt;
            if (!deepEqual(valueAt(obj, longer), valueAt(config, longer))) conflicts.push({ manager: m, apiVersion: w.apiVersion, field: longer });
          }
        }
      }
      const unique = [...new Map(conflicts.map((c) => [`${c.manager}|${c.field.join(".")}`, c])).values()];
      if (unique.length && !force) {
        const byManager = new Map<string, typeof unique>();
        for (const c of unique) byManager.set(`${c.manager}|${c.apiVersion}`, [...(byManager.get(`${c.manager}|${c.apiVersion}`) ?? []), c]);
        const parts = [...byManager.values()].map((cs) =>
          cs.length === 1
            ? `conflict with "${cs[0].manager}" using ${cs[0].apiVersion}: ${dotted(JSON.stringify(cs[0].field))}`
            : `conflicts with "${cs[0].manager}" using ${cs[0].apiVersion}:\n${cs.map((c) => `- ${dotted(JSON.stringify(c.field))}`).join("\n")}`,
        );
        const message = `Apply failed with ${unique.length} conflict${unique.length === 1 ? "" : "s"}: ${parts.join("\n")}`;
        throw new HttpError(
          409,
          status(409, "Conflict", message, {
            causes: unique.map((c) => ({
              reason: "FieldManagerConflict",
              message: `conflict with "${c.manager}" using ${c.apiVersion}`,
              field: dotted(JSON.stringify(c.field)),
            })),
          }),
        );
      }
      for (const c of unique) {
        const w = owners.get(c.manager)!;
        for (const q of [...w.paths]) if (overlaps(tokens(q), c.field)) w.paths.delete(q);
      }
      // Fields this manager applied before and no longer applies, owned by nobody else: removed.
      const before = owners.get(manager)?.operation === "Apply" ? owners.get(manager)!.paths : new Set<string>();
      for (const r of before) {
        if (applied.has(r)) continue;
        const rt = tokens(r);
        const sharedWith = [...owners].some(([m, w]) => m !== manager && [...w.paths].some((q) => overlaps(tokens(q), rt)));
        const stillApplied = [...applied].some((p) => overlaps(tokens(p), rt));
        if (!sharedWith && !stillApplied) deleteAt(obj, rt);
      }
      merge(obj, config);
    } else {
      obj = merge({ apiVersion, kind: t.kind, metadata: { name, ...(t.namespaced ? { namespace: ns } : {}) } }, config);
    }
    obj.apiVersion = apiVersion;
    obj.kind = t.kind;
    owners.set(manager, { operation: "Apply", apiVersion, time: existing?.owners.get(manager)?.time ?? now(), paths: applied });
    for (const [m, w] of owners) if (w.paths.size === 0) owners.delete(m);

    this.validate(t, obj);

    const changedObj = !existing || !deepEqual(stripServer(existing.obj), stripServer(obj));
    const changedOwners = !existing || !deepEqual(ownersView(existing.owners), ownersView(owners));
    if (existing && !changedObj && !changedOwners) return { code: 200, body: this.render(t, existing, version) };
    const own = owners.get(manager);
    if (own && (changedObj || changedOwners)) own.time = now();
    if (existing) {
      obj.metadata.uid = existing.obj.metadata.uid;
      obj.metadata.creationTimestamp = existing.obj.metadata.creationTimestamp;
      const specChanged = !deepEqual({ ...existing.obj, metadata: undefined }, { ...obj, metadata: undefined });
      obj.metadata.generation = (existing.obj.metadata.generation ?? 1) + (specChanged ? 1 : 0);
      obj.metadata.resourceVersion = dryRun ? existing.obj.metadata.resourceVersion : String(++this.rv);
    } else {
      obj.metadata.uid = randomUUID();
      obj.metadata.creationTimestamp = now();
      obj.metadata.generation = 1;
      if (!dryRun) obj.metadata.resourceVersion = String(++this.rv);
    }
    const stored: Stored = { obj, owners };
    if (!dryRun) coll.set(key, stored);
    return { code: existing ? 200 : 201, body: this.render(t, stored, version) };
  }

  private validate(t: ResourceType, obj: Obj): void {
    const fail = (problems: string[]) => {
      throw new HttpError(
        422,
        status(422, "Invalid", `${t.kind}${t.group ? `.${t.group}` : ""} "${obj.metadata.name}" is invalid: ${problems.join(", ")}`, {
          name: obj.metadata.name,
          ...(t.group ? { group: t.group } : {}),
          kind: t.kind,
          causes: problems.map((p) => ({ reason: "FieldValueInvalid", message: p })),
        }),
      );
    };
    if (t.builtin) {
      if (t.kind === "Service" && !(Array.isArray(obj.spec?.ports) && obj.spec.ports.length)) fail(["spec.ports: Required value"]);
      return;
    }
    this.validator ??= validatorFromCrdDocuments(this.all("apiextensions.k8s.io/v1", "CustomResourceDefinition"), "fake-apiserver");
    const candidate = clone(obj);
    for (const k of ["uid", "resourceVersion", "generation", "creationTimestamp", "managedFields"]) delete candidate.metadata[k];
    const problems = this.validator.validate(candidate);
    if (problems.length) fail(problems);
  }
}

function dryRunInvalid(query: Record<string, string>): boolean {
  return query.dryRun !== undefined && query.dryRun !== "All";
}

function stripServer(o: Obj): Obj {
  const c = clone(o);
  for (const k of ["uid", "resourceVersion", "generation", "creationTimestamp", "managedFields"]) delete c.metadata?.[k];
  return c;
}

function ownersView(owners: Map<string, Owner>): Obj {
  return Object.fromEntries([...owners].map(([m, w]) => [m, { op: w.operation, paths: [...w.paths].sort() }]));
}

function sortTop(o: Obj): Obj {
  const first = ["apiVersion", "kind", "metadata", "spec"];
  const out: Obj = {};
  for (const k of [...first.filter((k) => k in o), ...Object.keys(o).filter((k) => !first.includes(k))]) out[k] = o[k];
  return out;
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (/\.ya?ml$/.test(e)) out.push(p);
  }
  return out;
}

/** A 127.0.0.1 port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const addr = s.address();
  const port = typeof addr === "object" && addr ? addr.port : 1;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** One kubeconfig context for {@link kubeconfigYaml}. */
export interface KubeconfigContext {
  name: string;
  server: string;
  /** PEM of the CA (written as certificate-authority-data). */
  caPem?: string;
  token?: string;
  namespace?: string;
}

/** A kubeconfig with these contexts (each with its own cluster and token user). */
export function kubeconfigYaml(contexts: readonly KubeconfigContext[], current = contexts[0]?.name): string {
  return yaml.dump({
    apiVersion: "v1",
    kind: "Config",
    "current-context": current,
    clusters: contexts.map((c) => ({
      name: `${c.name}-cluster`,
      cluster: { server: c.server, ...(c.caPem ? { "certificate-authority-data": Buffer.from(c.caPem).toString("base64") } : {}) },
    })),
    users: contexts.map((c) => ({ name: `${c.name}-user`, user: { token: c.token ?? "none" } })),
    contexts: contexts.map((c) => ({
      name: c.name,
      context: { cluster: `${c.name}-cluster`, user: `${c.name}-user`, ...(c.namespace ? { namespace: c.namespace } : {}) },
    })),
  });
}
