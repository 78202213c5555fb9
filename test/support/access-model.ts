/**
 * The random models and requests of the access differential tests (test/adapters/istio/access-differential.test.ts,
 * test/adapters/linkerd/access-differential.test.ts, test/adapters/kuma/access-differential.test.ts), shared: schema-valid unimesh models drawn from a seeded
 * PRNG (services with random ports, target ports, selectors, pods shared by two services; AccessPolicies of
 * every scope with every access field; RequestAuthentications; MTLSPolicies with port modes), the world they
 * describe (pods and their labels), and edge-biased requests. {@link GenOptions} leaves out what a mesh's
 * adapter refuses outright (so that its test compares more than it skips); the defaults are every feature,
 * and with them every draw is the one the Istio test always made (same seeds, same models).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SignJWT, importPKCS8 } from "jose";
import { createPrivateKey } from "node:crypto";
import type { ExplainRequest } from "../../src/inspect/explain.js";
export type Doc = { apiVersion: string; kind: string; metadata: { name: string; namespace: string }; spec: Record<string, any> };
export type Rnd = () => number;
export type Labels = Record<string, string>;
/** Every service a model may have (`b-v2` only sometimes: it shares pods with `b`). */
export const SERVICES = [
  { name: "a", namespace: "test" },
  { name: "b", namespace: "test" },
  { name: "c", namespace: "test" },
  { name: "b-v2", namespace: "test" },
  { name: "o", namespace: "other" },
];
/** Port sets of a MeshService (undefined: none declared). Edges: a Service port equal to another's pod port, two Service ports on one pod port. */
export const PORT_SETS: (Record<string, unknown>[] | undefined)[] = [
  undefined,
  [{ port: 80 }],
  [{ port: 80, targetPort: 8080 }],
  [
    { port: 80, targetPort: 8080 },
    { port: 8080, targetPort: 9000 },
  ],
  [
    { port: 80, targetPort: 8080 },
    { port: 9090, targetPort: 9090 },
  ],
  [
    { port: 80, targetPort: 8080 },
    { port: 81, targetPort: 8080 },
  ],
  [
    { port: 9080, targetPort: 80 },
    { port: 80, targetPort: 9080 },
  ],
];
export const SERVICE_ACCOUNTS = ["a", "b", "c", "other/o", "*", "ab", "test/ghost", "other/a", "sa-b", "b-v2"];
export const NAMESPACES = ["test", "other", "tes", "third"];
export const IP_BLOCKS = ["127.0.0.1", "127.0.0.0/8", "10.0.0.0/8", "::1/128", "0.0.0.0/0", "127.0.0.2/32"];
export const METHODS = ["GET", "POST", "DELETE", "PUT", "HEAD", "PATCH", "PROPFIND"];
export const RULE_PATHS = ["/p/*", "/p*", "*.png", "/admin/*", "/admin", "/q/1", "*", "/", "/p/x", "*/x", "/P/*", "/p/", "/admin*", "*n"];
export const HEADER_NAMES = ["x-h", "X-Role", "x-role"];
export const RULE_HEADER_VALUES = ["v1", "v2", "V1", "", "a,b", "v1 "];
export const REQUEST_HEADER_VALUES = ["v1", "v2", "V1", "", "a,b", "a", "v1,v2"];
export const FIX = join(import.meta.dirname, "../proxy/fixtures/istio-jwt");
export const SAMPLES_JWKS = readFileSync(join(FIX, "samples-jwks.json"), "utf8").trim();
export const TESTS_JWKS = readFileSync(join(FIX, "tests-jwks.json"), "utf8").trim();

/**
 * End-user tokens requests may carry (signed once, deterministically: RS256 with fixed claims): valid ones
 * of both issuers with claims of every shape (lists, strings, space-separated, nested, numbers, booleans, no
 * `sub`, a `sub` with a `/`), and invalid ones (unknown issuer, expired, signed with the other issuer's key).
 */
export async function signTokens(): Promise<Record<string, string>> {
  const key = async (pem: string) =>
    importPKCS8(createPrivateKey(readFileSync(join(FIX, pem), "utf8")).export({ type: "pkcs8", format: "pem" }) as string, "RS256");
  const kid = (jwks: string) => (JSON.parse(jwks) as { keys: { kid: string }[] }).keys[0].kid;
  const samples = { key: await key("samples-key.pem"), kid: kid(SAMPLES_JWKS) };
  const tests = { key: await key("tests-key.pem"), kid: kid(TESTS_JWKS) };
  const sign = (k: typeof samples, claims: Record<string, unknown>, kidOf = k) =>
    new SignJWT({ iat: 1700000000, exp: 4700000000, ...claims }).setProtectedHeader({ alg: "RS256", kid: kidOf.kid, typ: "JWT" }).sign(k.key);
  return {
    "alice@1": await sign(samples, { iss: I1, sub: "alice", groups: ["admin", "dev"], scope: "read write", aud: "svc-a" }),
    "bob@1": await sign(samples, { iss: I1, sub: "bob@example.com", groups: "admin", realm_access: { roles: ["admin"] } }),
    "alice@2": await sign(tests, { iss: I2, sub: "alice", aud: ["svc-b", "x"], groups: ["dev"], permission: "p1 p2", level: 3 }),
    "svc/1@2": await sign(tests, { iss: I2, sub: "svc/1", scope: ["write"], realm_access: { roles: "viewer admin" } }),
    "carol@1": await sign(samples, { iss: I1, sub: "carol", admin: true, roles: "a b", groups: ["administrators"] }),
    "nosub@1": await sign(samples, { iss: I1, groups: ["admin"] }),
    evil: await sign(samples, { iss: "https://evil.example.com", sub: "alice", groups: ["admin"] }),
    "expired@1": await sign(samples, { iss: I1, sub: "alice", groups: ["admin"], exp: 1600000000 }),
    "forged@1": await sign(tests, { iss: I1, sub: "alice", groups: ["admin"] }, samples),
  };
}

/** Callers: workload identities (namespace, service account) or plaintext. */
export const CALLERS: ExplainRequest["from"][] = [
  { namespace: "test", serviceAccount: "a" },
  { namespace: "test", serviceAccount: "b" },
  { namespace: "test", serviceAccount: "c" },
  { namespace: "test", serviceAccount: "sa-b" },
  { namespace: "other", serviceAccount: "o" },
  { namespace: "other", serviceAccount: "a" },
  { namespace: "test", serviceAccount: "ab" },
  { namespace: "tes", serviceAccount: "a" },
  { namespace: "third", serviceAccount: "x" },
  "unauthenticated",
];
export const MODES = ["strict", "permissive", "disabled"];

export const pick = <T>(rnd: Rnd, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
export const some = <T>(rnd: Rnd, xs: readonly T[], max = 2): T[] => [...new Set(Array.from({ length: 1 + Math.floor(rnd() * max) }, () => pick(rnd, xs)))];
export const doc = (kind: string, name: string, namespace: string, spec: Record<string, unknown>): Doc => ({
  apiVersion: "unimesh.io/v1alpha1",
  kind,
  metadata: { name, namespace },
  spec,
});

/**
 * What a model may contain, for a mesh whose adapter refuses some features outright (each `false` leaves
 * the feature out without drawing for it). The defaults (every feature) draw exactly as the Istio test
 * always did.
 */
export interface GenOptions {
  /** notServiceAccounts, notNamespaces, notIpBlocks, notMethods, notPaths, notHeaders (not notPorts). */
  negations?: boolean;
  /** RequestAuthentications and the end-user conditions of rules. */
  endUser?: boolean;
  /** Mesh-wide AccessPolicies and MTLSPolicies. */
  meshScope?: boolean;
  /** The port sets MeshServices draw from ({@link PORT_SETS}). */
  portSets?: readonly (Record<string, unknown>[] | undefined)[];
  /** The mTLS modes MTLSPolicies draw from. */
  modes?: readonly string[];
  /** The methods rules draw from (requests always draw from {@link METHODS}). */
  ruleMethods?: readonly string[];
  /**
   * Namespace-wide AccessPolicies: `random` (rules as any other), or `defaults`: mostly the rule sets a
   * default policy can say (allow every caller, allow every meshed caller, allow nothing), sometimes random.
   */
  namespaceWide?: "random" | "defaults";
  /** IP blocks in sources (ipBlocks; notIpBlocks go with `negations`). */
  ipBlocks?: boolean;
  /** Request conditions of rules: methods, paths, ports, notPorts, headers (their other negations go with `negations`). */
  requestConditions?: boolean;
  /** Per-port modes of service MTLSPolicies. */
  portModes?: boolean;
  /** How often each of the namespaces gets a namespace-wide MTLSPolicy (default 0.2), the mesh a mesh-wide one (0.1), a service its own (0.12). */
  mtlsOdds?: { namespace?: number; mesh?: number; service?: number };
}

/** A random source (every field of AccessSource an AccessPolicy may use). */
export function randomSource(rnd: Rnd, o: GenOptions = {}): Record<string, unknown> {
  const neg = o.negations ?? true;
  const s: Record<string, unknown> = {};
  if (rnd() < 0.45) s.serviceAccounts = some(rnd, SERVICE_ACCOUNTS);
  if (rnd() < 0.25) s.namespaces = some(rnd, NAMESPACES);
  if ((o.ipBlocks ?? true) && rnd() < 0.12) s.ipBlocks = some(rnd, IP_BLOCKS);
  if (neg && rnd() < 0.2) s.notServiceAccounts = some(rnd, SERVICE_ACCOUNTS);
  if (neg && rnd() < 0.15) s.notNamespaces = some(rnd, NAMESPACES);
  if (neg && rnd() < 0.08) s.notIpBlocks = some(rnd, IP_BLOCKS);
  if (!Object.keys(s).length) s.serviceAccounts = some(rnd, SERVICE_ACCOUNTS);
  return s;
}

/** Token issuers: the samples' of Istio (its test key) and a URL issuer (Istio's tests' key). */
export const I1 = "testing@secure.istio.io";
export const I2 = "https://idp.example.com/realm";
/** requestPrincipals entries a rule may name, by the issuers its destination accepts (rule/unknown-issuer). */
export const PRINCIPALS: Record<string, string[]> = {
  [I1]: [`${I1}/*`, `${I1}/alice`, "testing@*", `${I1}/bob*`],
  [I2]: [`${I2}/*`, `${I2}/alice`, `${I2}/svc*`],
  any: ["*", "*/alice", "*@example.com", "*/1"],
};
export const CLAIMS: Record<string, unknown>[] = [
  { groups: ["admin"] },
  { groups: ["adm*"] },
  { groups: ["*"] },
  { groups: ["dev", "ops"] },
  { scope: ["write"] },
  { permission: ["p2"] },
  { realm_access: { roles: ["admin"] } },
  { roles: ["b"] },
  { aud: ["svc-a"] },
  { level: ["3"] },
  { admin: ["true"] },
  { sub: ["alice"] },
];

/**
 * A random rule; `ports`: the Service ports it may name (none for namespace- and mesh-wide policies);
 * `issuers`: the token issuers its destination's RequestAuthentications accept (end-user conditions need some).
 */
export function randomRule(rnd: Rnd, ports: number[] | undefined, issuers: string[] = [], o: GenOptions = {}): Record<string, unknown> {
  const neg = o.negations ?? true;
  const l7 = o.requestConditions ?? true;
  const methods = o.ruleMethods ?? METHODS;
  const r: Record<string, unknown> = {};
  if (issuers.length) {
    const principals = [...PRINCIPALS.any, ...issuers.flatMap((i) => PRINCIPALS[i])];
    if (rnd() < 0.3) r.requestPrincipals = some(rnd, principals);
    if (rnd() < 0.12) r.notRequestPrincipals = some(rnd, principals);
    if (rnd() < 0.25) r.claims = pick(rnd, CLAIMS);
    if (rnd() < 0.12) r.notClaims = pick(rnd, CLAIMS);
  }
  if (rnd() < 0.5) r.source = randomSource(rnd, o);
  if (l7 && rnd() < 0.3) r.methods = some(rnd, methods);
  if (neg && rnd() < 0.12) r.notMethods = some(rnd, methods);
  if (l7 && rnd() < 0.4) r.paths = some(rnd, RULE_PATHS, 3);
  if (neg && rnd() < 0.15) r.notPaths = some(rnd, RULE_PATHS);
  if (l7 && ports && rnd() < 0.2) r.ports = some(rnd, ports);
  if (l7 && ports && rnd() < 0.1) r.notPorts = some(rnd, ports);
  const headers = () => Object.fromEntries(some(rnd, HEADER_NAMES, 1).map((n) => [n, some(rnd, RULE_HEADER_VALUES)]));
  if (l7 && rnd() < 0.2) r.headers = headers();
  if (neg && rnd() < 0.12) r.notHeaders = headers();
  return r;
}

export interface Service {
  name: string;
  namespace: string;
  selector: Labels;
  /** Declared ports: Service port → pod port. */
  ports?: { port: number; targetPort: number }[];
}

/** The world of a model: its services (from the MeshServices; conventions otherwise) and their pods. */
export class World {
  readonly services = new Map<string, Service>();
  /** Label sets of the pods in each namespace. */
  private readonly pods = new Map<string, Labels[]>();
  constructor(readonly docs: Doc[]) {
    for (const d of docs) {
      if (d.kind !== "MeshService") continue;
      const ports = d.spec.ports as { port: number; targetPort?: number }[] | undefined;
      this.services.set(`${d.metadata.namespace}/${d.metadata.name}`, {
        name: d.metadata.name,
        namespace: d.metadata.namespace,
        selector: d.spec.selector ?? { app: d.metadata.name },
        ...(ports ? { ports: ports.map((p) => ({ port: p.port, targetPort: p.targetPort ?? p.port })) } : {}),
      });
    }
    // Services the policies name without a MeshService: the conventions.
    for (const s of SERVICES) {
      const key = `${s.namespace}/${s.name}`;
      const named = docs.some((d) => d.spec.destination?.service === s.name && d.metadata.namespace === s.namespace);
      if (!this.services.has(key) && named) this.services.set(key, { ...s, selector: { app: s.name } });
    }
    const svcs = [...this.services.values()];
    for (const s of svcs) {
      const pods = this.pods.get(s.namespace) ?? [];
      pods.push({ ...s.selector, pod: s.name });
      // A pod both selectors pick, when they can meet: a label in common and none with different values
      // (README "Services that share pods": selectors without a label in common are taken to name
      // different workloads, an assumption of the model this world keeps).
      for (const t of svcs) {
        if (t.namespace !== s.namespace || t.name <= s.name) continue;
        const common = Object.entries(t.selector).some(([k, v]) => s.selector[k] === v);
        if (common && Object.entries(t.selector).every(([k, v]) => s.selector[k] === undefined || s.selector[k] === v))
          pods.push({ ...s.selector, ...t.selector, pod: `${s.name}+${t.name}` });
      }
      this.pods.set(s.namespace, pods);
    }
  }
  /** The pods a service's selector picks. */
  podsOf(s: Service): Labels[] {
    return (this.pods.get(s.namespace) ?? []).filter((p) => Object.entries(s.selector).every(([k, v]) => p[k] === v));
  }
}

/** A random model (see {@link GenOptions}). */
export function randomModel(rnd: Rnd, o: GenOptions = {}): Doc[] {
  const modes = o.modes ?? MODES;
  const docs: Doc[] = [];
  const declared = new Map<string, number[] | undefined>();
  const withB2 = rnd() < 0.4;
  for (const s of SERVICES) {
    if (s.name === "b-v2" && !withB2) continue;
    const spec: Record<string, unknown> = {};
    const ports = pick(rnd, o.portSets ?? PORT_SETS);
    if (ports) spec.ports = ports;
    if (s.name === "b-v2") spec.selector = pick(rnd, [{ app: "b", version: "v2" }, { app: "b" }, { app: "b", version: "v2" }, { app: "b", tier: "api" }]);
    else if (rnd() < 0.15) spec.selector = { app: s.name, tier: "web" };
    if (s.name === "b" && rnd() < 0.3) spec.serviceAccount = "sa-b";
    docs.push(doc("MeshService", s.name, s.namespace, spec));
    declared.set(
      `${s.namespace}/${s.name}`,
      ports?.map((p) => p.port as number),
    );
  }
  // RequestAuthentications: which issuers each service accepts.
  const issuers = new Map<string, string[]>();
  for (const s of SERVICES) {
    const key = `${s.namespace}/${s.name}`;
    if (o.endUser === false || !declared.has(key) || rnd() > 0.35) continue;
    const names = some(rnd, [I1, I2]);
    issuers.set(key, names);
    const spec = {
      destination: { service: s.name },
      issuers: names.map((issuer) => ({
        issuer,
        jwks: issuer === I1 ? SAMPLES_JWKS : TESTS_JWKS,
        ...(issuer === I1 && rnd() < 0.2 ? { audiences: ["svc-a"] } : {}),
        ...(rnd() < 0.3 ? { spaceDelimitedClaims: ["roles"] } : {}),
      })),
    };
    docs.push(doc("RequestAuthentication", `ra-${s.name}`, s.namespace, spec));
  }
  const nsIssuers = (ns: string) => [...new Set([...issuers].filter(([k]) => k.startsWith(`${ns}/`)).flatMap(([, v]) => v))];
  let n = 0;
  for (const s of SERVICES) {
    const key = `${s.namespace}/${s.name}`;
    if (!declared.has(key) || rnd() < 0.35) continue;
    const iss = issuers.get(key);
    const dp = declared.get(key);
    // Ports named without declared ports make the adapter guess pod ports (refused, or warned): rarely.
    const ports = dp ?? (rnd() < 0.15 ? [80] : undefined);
    for (let k = 0; k < 1 + Math.floor(rnd() * 2); k++) {
      const spec: Record<string, unknown> = { destination: { service: s.name, ...(ports && rnd() < 0.2 ? { port: pick(rnd, ports) } : {}) } };
      if (rnd() < 0.2) spec.source = randomSource(rnd, o);
      const allow = Array.from({ length: Math.floor(rnd() * 3) }, () => randomRule(rnd, ports, iss, o));
      const deny = rnd() < 0.4 ? Array.from({ length: 1 + Math.floor(rnd() * 2) }, () => randomRule(rnd, ports, iss, o)) : [];
      if (allow.length || rnd() < 0.3) spec.allow = allow;
      if (deny.length) spec.deny = deny;
      if (rnd() < 0.05) spec.allow = [{}];
      docs.push(doc("AccessPolicy", `ap${n++}`, s.namespace, spec));
    }
  }
  for (const ns of ["test", "other"]) {
    if (rnd() < 0.35) {
      if (o.namespaceWide === "defaults" && rnd() < 0.75) {
        const allow = pick(rnd, [[{}], [{ source: { serviceAccounts: ["*"] } }], [], [{}, { source: { serviceAccounts: ["*"] } }]]);
        docs.push(doc("AccessPolicy", `ns-${ns}`, ns, allow.length ? { allow } : {}));
        continue;
      }
      const allow = Array.from({ length: Math.floor(rnd() * 2) }, () => randomRule(rnd, undefined, nsIssuers(ns), o));
      const deny = rnd() < 0.4 ? [randomRule(rnd, undefined, nsIssuers(ns), o)] : [];
      docs.push(doc("AccessPolicy", `ns-${ns}`, ns, { ...(allow.length ? { allow } : {}), ...(deny.length ? { deny } : {}) }));
    }
  }
  if (o.meshScope !== false && rnd() < 0.15) {
    const allow = Array.from({ length: Math.floor(rnd() * 2) }, () => randomRule(rnd, undefined, [], o));
    const deny = rnd() < 0.5 ? [randomRule(rnd, undefined, [], o)] : [];
    docs.push(
      doc("AccessPolicy", "mesh", pick(rnd, ["test", "other"]), { scope: "mesh", ...(allow.length ? { allow } : {}), ...(deny.length ? { deny } : {}) }),
    );
  }
  for (const ns of ["test", "other"]) if (rnd() < (o.mtlsOdds?.namespace ?? 0.2)) docs.push(doc("MTLSPolicy", `mtls-${ns}`, ns, { mode: pick(rnd, modes) }));
  if (o.meshScope !== false && rnd() < (o.mtlsOdds?.mesh ?? 0.1)) docs.push(doc("MTLSPolicy", "mtls-mesh", "other", { scope: "mesh", mode: pick(rnd, modes) }));
  for (const s of SERVICES) {
    const key = `${s.namespace}/${s.name}`;
    if (!declared.has(key) || rnd() > (o.mtlsOdds?.service ?? 0.12)) continue;
    const dp = declared.get(key);
    const spec: Record<string, unknown> = { destination: { service: s.name }, mode: pick(rnd, modes) };
    if ((o.portModes ?? true) && dp && rnd() < 0.5) spec.ports = { [String(pick(rnd, dp))]: pick(rnd, modes) };
    docs.push(doc("MTLSPolicy", `mtls-${s.name}`, s.namespace, spec));
  }
  return docs;
}

/** Paths of requests: the rules' paths and their neighbours (shared prefixes, case). */
export function requestPaths(docs: Doc[]): string[] {
  const out = new Set(["/", "/p", "/p/", "/p/x", "/px", "/P/x", "/admin", "/admin/", "/admin/x", "/adminx", "/logo.png", "/q/1", "/q/1/", "/a/x"]);
  for (const d of docs) {
    if (d.kind !== "AccessPolicy") continue;
    for (const r of [...(d.spec.allow ?? []), ...(d.spec.deny ?? [])])
      for (const p of [...(r.paths ?? []), ...(r.notPaths ?? [])]) {
        if (p === "*") continue;
        const base = p.replace(/^\*/, "/z").replace(/\*$/, "");
        for (const v of [base, `${base}/`, `${base}x`, `${base}/y`, base.slice(0, -1) || "/", base.toUpperCase()])
          if (v.startsWith("/") && !v.includes("//")) out.add(v);
      }
  }
  return [...out];
}

/** A spelling of a normalized path: itself, or one both normalizations bring back to it, or one with a doubled slash. */
export function spell(rnd: Rnd, path: string): string {
  const k = rnd();
  if (k < 0.55 || path === "/") return path;
  if (k < 0.63) return `/z/..${path}`;
  if (k < 0.69) return `/.${path}`;
  if (k < 0.75) return path.replace(/[a-z]/, (c) => `%${c.charCodeAt(0).toString(16)}`);
  if (k < 0.8) return path.replace(/^(\/[^/]*)\//, "$1\\");
  if (k < 0.9) {
    const slashes = [...path.matchAll(/\//g)].map((m) => m.index!);
    const at = pick(rnd, slashes);
    return `${path.slice(0, at)}/${path.slice(at)}`;
  }
  return `${path}?${pick(rnd, ["q=1", "x=/admin", "a=b?c"])}`;
}

export interface Req {
  explain: ExplainRequest & { to: { port: number } };
}

export function randomRequest(rnd: Rnd, paths: string[], ports: Map<string, number[]>, tokens: Record<string, string>): Req {
  const key = pick(rnd, [...ports.keys()]);
  const [namespace, service] = key.split("/");
  const headers: Record<string, string> = {};
  for (const name of HEADER_NAMES) if (rnd() < 0.3) headers[pick(rnd, [name, name.toUpperCase()])] = pick(rnd, REQUEST_HEADER_VALUES);
  if (rnd() < 0.5) headers[pick(rnd, ["authorization", "Authorization"])] = `Bearer ${tokens[pick(rnd, Object.keys(tokens))]}`;
  return {
    explain: {
      from: pick(rnd, CALLERS),
      to: { namespace, service, port: pick(rnd, ports.get(key)!) },
      method: pick(rnd, METHODS),
      path: spell(rnd, pick(rnd, paths)),
      headers,
    },
  };
}
/** Greedy minimization: drop documents, fields and list entries while `same` holds. */
export async function minimize(start: Doc[], same: (candidate: Doc[]) => Promise<boolean>): Promise<Doc[]> {
  let docs = structuredClone(start);
  for (let progress = true; progress;) {
    progress = false;
    const edits: ((ds: Doc[]) => void)[] = [];
    docs.forEach((_, i) => edits.push((ds) => ds.splice(i, 1)));
    const walk = (get: (ds: Doc[]) => any) => {
      const here = get(docs);
      if (here === null || typeof here !== "object") return;
      const keys = Array.isArray(here) ? here.map((_, i) => i) : Object.keys(here);
      for (const k of keys) {
        edits.push((ds) => {
          const o = get(ds);
          if (Array.isArray(o)) o.splice(k as number, 1);
          else delete o[k];
        });
        walk((ds) => get(ds)?.[k]);
      }
    };
    docs.forEach((_, i) => walk((ds) => ds[i]?.spec));
    for (const edit of edits) {
      const c = structuredClone(docs);
      edit(c);
      if (await same(c)) {
        docs = c;
        progress = true;
        break;
      }
    }
  }
  return docs;
}
