/**
 * Field coverage: no field of the model is silently dropped by a shipped adapter.
 *
 * 1. The leaf fields are derived from `schemas/unimesh.schema.json` itself (every kind the root
 *    schema dispatches on, `$ref`s followed, arrays and maps of objects entered as `*`), so a field
 *    added to the schema is covered automatically: the test FAILS until CASES below has an entry for
 *    it. Leaves with a closed set of values (`enum`, or a pattern that is an alternation of literals,
 *    e.g. `retries.retryOn`) are covered value by value, from the schema's list too.
 * 2. Each case is a pair of document sets that differ only in that field (base → variant). For every
 *    target (adapter × version) both are translated, with every approximation the adapter offers
 *    accepted (the most permissive mode, where a silent drop is the most likely), and the field counts
 *    as covered when the emitted YAML differs, or the diagnostics (severity, code, policy, pointer)
 *    differ, or the variant is refused by an error at the field or one of its ancestors (a refused
 *    feature cannot be silently lost), or a warning is about that very field (e.g. an accepted
 *    approximation that replaces its value).
 * 3. Anything not covered fails, unless ALLOWED (legitimately without effect, with the reason) or
 *    KNOWN_GAPS (bugs being fixed) lists it. An entry of either list that no longer matches an
 *    uncovered (target, field) pair fails too, so neither list can rot: shrink it when you fix a gap.
 *
 * Targets: every adapter of BUILTIN_ADAPTERS, at its oldest and default (newest) version. The `builtin`
 * proxy adapter is included when it is registered: it claims full support of every feature and is the
 * reference implementation of the model's semantics, so it is the adapter that must drop the least. It
 * is excluded only if BUILTIN_ADAPTERS does not have it (the list below follows BUILTIN_ADAPTERS).
 *
 * `FIELD_COVERAGE_REPORT=1 npx vitest run test/api/field-coverage.test.ts` prints the whole table.
 */
import { describe, expect, test } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { BUILTIN_ADAPTERS, loadModel, toYaml, translate, type Adapter, type Diagnostic } from "../../src/index.js";

const ROOT = join(import.meta.dirname, "../..");
const schema = JSON.parse(readFileSync(join(ROOT, "schemas/unimesh.schema.json"), "utf8"));
const defs: Record<string, any> = schema.definitions;

// ───────────────────────────── 1. the leaves of the schema ─────────────────────────────

/** Kinds that are not translation input, with the reason. Every other kind of the schema is walked. */
const NOT_TRANSLATED: Record<string, string> = {
  ClusterInfo: "read by `translate --mesh auto` to pick the adapter and version (test/cli/mesh-auto.test.ts), never by an adapter",
  VirtualMesh:
    "read by the CLI to translate for each member (test/cli/virtual-mesh.test.ts) and by the model for split[].cluster / source.clusters (covered below)",
};

interface Leaf {
  /** `Kind:/json/pointer` with `*` for array items and map values, e.g. `TrafficPolicy:/spec/routes/*\/timeout`. */
  key: string;
  /** The closed set of values of the leaf (of its items or map values), when it has one. */
  values?: (string | number)[];
}

function resolve(node: any): any {
  let n = node;
  const seen = new Set<string>();
  while (n && n.$ref) {
    const name = String(n.$ref).replace("#/definitions/", "");
    if (seen.has(name)) throw new Error(`$ref cycle at ${name}`);
    seen.add(name);
    const { $ref: _ref, ...rest } = n;
    n = { ...defs[name], ...rest };
  }
  return n;
}

const hasProperties = (n: any) => !!n && typeof n === "object" && !!n.properties;

/** A pattern that is an alternation of literal words, e.g. `^(5xx|reset|[1-5][0-9][0-9])$` → 5xx, reset. */
function literalAlternatives(pattern: unknown): string[] | undefined {
  const m = typeof pattern === "string" ? /^\^\(([^()]*)\)\$$/.exec(pattern) : null;
  if (!m) return undefined;
  const words = m[1].split("|").filter((w) => /^[A-Za-z0-9-]+$/.test(w));
  return words.length >= 3 ? words : undefined;
}

function closedValues(n: any): (string | number)[] | undefined {
  for (const x of [n, resolve(n.items), resolve(n.additionalProperties)]) {
    if (!x || typeof x !== "object") continue;
    if (Array.isArray(x.enum)) return x.enum;
    const alt = literalAlternatives(x.pattern);
    if (alt) return alt;
  }
  return undefined;
}

function walk(node: any, ptr: string, kind: string, out: Leaf[]): void {
  const n = resolve(node);
  if (hasProperties(n)) {
    for (const [k, v] of Object.entries(n.properties)) {
      // apiVersion and kind are the document's type, not fields of it.
      if (ptr === "" && (k === "apiVersion" || k === "kind")) continue;
      walk(v, `${ptr}/${k}`, kind, out);
    }
    return;
  }
  const items = n.type === "array" ? resolve(n.items) : undefined;
  if (hasProperties(items)) return walk(n.items, `${ptr}/*`, kind, out);
  const values = n.type === "object" && typeof n.additionalProperties === "object" ? resolve(n.additionalProperties) : undefined;
  if (hasProperties(values)) return walk(n.additionalProperties, `${ptr}/*`, kind, out);
  const closed = closedValues(n);
  out.push({ key: `${kind}:${ptr}`, ...(closed ? { values: closed } : {}) });
}

function schemaLeaves(): { kinds: string[]; leaves: Leaf[] } {
  const kinds: string[] = schema.properties.kind.enum;
  const leaves: Leaf[] = [];
  for (const kind of kinds) {
    if (kind in NOT_TRANSLATED) continue;
    const branch = (schema.allOf as any[]).find((b) => b.if?.properties?.kind?.const === kind);
    if (!branch) throw new Error(`the root schema has no if/then branch for kind ${kind}`);
    walk(branch.then, "", kind, leaves);
  }
  return { kinds, leaves };
}

// ───────────────────────────── 2. documents ─────────────────────────────

type Doc = { apiVersion: string; kind: string; metadata: Record<string, unknown>; spec: Record<string, any> };
const NS = "shop";
const doc = (kind: string, name: string, spec: Record<string, any>, metadata: Record<string, unknown> = {}): Doc => ({
  apiVersion: "unimesh.io/v1alpha1",
  kind,
  metadata: { name, namespace: NS, ...metadata },
  spec,
});

/** Every service of the tests: two HTTP ports, two subsets. */
const svc = (name: string, spec: Record<string, any> = {}, metadata: Record<string, unknown> = {}): Doc =>
  doc(
    "MeshService",
    name,
    {
      ports: [
        { port: 8080, targetPort: 9090, protocol: "http" },
        { port: 9000, targetPort: 9091, protocol: "http" },
      ],
      subsets: [
        { name: "v1", labels: { version: "v1" } },
        { name: "v2", labels: { version: "v2" } },
      ],
      ...spec,
    },
    metadata,
  );
const services = (): Doc[] => [svc("api"), svc("web"), svc("other")];
/** The issuer of the RequestAuthentication of the tests, and an inline JWKS (istio/istio tests/common/jwt/jwks.json). */
const ISSUER = "https://idp.example.com";
const ISTIO_JWKS =
  '{ "keys":[ {"e":"AQAB","kid":"tT_w9LRNrY7wJalGsTYSt7rutZi86Gvyc0EKR4CaQAw","kty":"RSA","n":"raJ7ZEhMfrBUo2werGKOow9an1B6Ukc6dKY2hNi10eaQe9ehJCjLpmJpePxoqaCi2VYt6gncLfhEV71JDGsodbfYMlaxwWTt6lXBcjlVXHWDXLC45rHVfi9FjSSXloHqmSStpjv3mrW3R6fx2VeVVP_mrA6ZHtcynq6ecJqO11STvVoeeM3lEsASVSWsUrKltC1Crfo0sI7YG34QjophVTEi8B9gVepAJZV-Bso5sinRABnxfLUM7DU5c8MO114uvXThgSIuAOM9PbViSC3X6Y9Gsjsy881HGO-EJaUCrwSWnwQW5sp0TktrYL70-M4_ug-X51Yt_PErmncKupx8Hw"}]}';
/** A RequestAuthentication `ra` for `api` with one issuer (patched), its spec patched. */
const raDoc = (issuer: Record<string, unknown> = {}, spec: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): Doc =>
  doc(
    "RequestAuthentication",
    "ra",
    patch({ destination: { service: "api" }, issuers: [patch({ issuer: ISSUER, jwksUri: `${ISSUER}/jwks.json` }, issuer)] }, spec),
    meta,
  );

/** A WasmExtension `wx` for `api` (a local module file and an OCI image), its spec patched. */
const WASM_SHA = "a".repeat(64);
const wasmDocs = (spec: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): Doc[] => [
  ...services(),
  doc(
    "WasmExtension",
    "wx",
    patch({ destination: { service: "api" }, module: { url: "oci://registry.example.com/filters/wx:1", file: "filters/wx.wasm", sha256: WASM_SHA } }, spec),
    meta,
  ),
];

/** Shallow merge where `undefined` deletes the key. */
function patch<T extends Record<string, any>>(o: T, p: Record<string, any>): T {
  const out: Record<string, any> = { ...o };
  for (const [k, v] of Object.entries(p))
    if (v === undefined) delete out[k];
    else out[k] = v;
  return out as T;
}

/** One route, to the whole service (Linkerd 2.14 cannot combine subset splits with retries). */
const ROUTE = { match: { path: { prefix: "/a" } } };
const V1 = [{ subset: { version: "v1" }, weight: 100 }];
const TP_SPEC = { destination: { service: "api" }, routes: [ROUTE] };
/** The services and one TrafficPolicy `tp` for `api` whose spec is TP_SPEC patched. */
const tpDocs = (p: Record<string, any> = {}, meta: Record<string, unknown> = {}): Doc[] => [...services(), doc("TrafficPolicy", "tp", patch(TP_SPEC, p), meta)];
/** The same, with ROUTE patched. */
const routeDocs = (p: Record<string, any>): Doc[] => tpDocs({ routes: [patch(ROUTE, p)] });
/**
 * A route that does something besides matching (it sends to subset v1): a route that only matches and
 * forwards to the whole service is the default route, and an adapter may rightly write nothing for it.
 */
const splitDocs = (p: Record<string, any>): Doc[] => routeDocs({ split: V1, ...p });
/** A policy with a setting, so that its source and destination have something to apply to. */
const activeDocs = (p: Record<string, any> = {}): Doc[] => tpDocs({ timeout: "2s", ...p });
const apDocs = (spec: Record<string, any>, meta: Record<string, unknown> = {}): Doc[] => [
  ...services(),
  doc("AccessPolicy", "ap", { destination: { service: "api" }, ...spec }, meta),
];
/** A namespace-wide strict policy plus `m` for `api`. */
const mtlsDocs = (spec: Record<string, any>, meta: Record<string, unknown> = {}): Doc[] => [
  ...services(),
  doc("MTLSPolicy", "ns-wide", { mode: "strict" }),
  doc("MTLSPolicy", "m", { destination: { service: "api" }, mode: "permissive", ...spec }, meta),
];
/** A MeshService `api` with `spec` patched, plus a TrafficPolicy and an AccessPolicy (so identities, ports and subsets are used). */
const svcDocs = (p: Record<string, any>, meta: Record<string, unknown> = {}): Doc[] => [
  svc("api", p, meta),
  svc("web"),
  svc("other"),
  doc("TrafficPolicy", "tp", { destination: { service: "api" }, routes: [ROUTE], timeout: "2s" }),
  doc("TrafficPolicy", "tp-port", { destination: { service: "api", port: 8080 }, routes: [{ split: [{ subset: { version: "v2" }, weight: 100 }] }] }),
  doc("AccessPolicy", "ap", { destination: { service: "api" }, allow: [{ source: { serviceAccounts: ["web"] } }] }),
  doc("MTLSPolicy", "m", { destination: { service: "api" }, mode: "strict", ports: { "8080": "permissive" } }),
];

// ───────────────────────────── 3. cases, by leaf ─────────────────────────────

interface Case {
  label: string;
  base: Doc[];
  variant: Doc[];
}
/** A leaf with a closed set of values: `make(v)` gives the documents with the leaf set to `v`; each value is compared with `ref` (and `ref` with `alt`). */
interface ValueCases {
  ref: string | number;
  alt: string | number;
  make: (v: any) => Doc[];
  /** Values the schema allows by a non-literal pattern, e.g. a status code. */ extra?: (string | number)[];
}
const CASES: Record<string, Case[] | ValueCases> = {};

const pair = (label: string, base: Doc[], variant: Doc[]): Case => ({ label, base, variant });
function add(key: string, ...cases: Case[]): void {
  if (key in CASES) throw new Error(`duplicate case key ${key}`);
  CASES[key] = cases;
}
function values(key: string, v: ValueCases): void {
  if (key in CASES) throw new Error(`duplicate case key ${key}`);
  CASES[key] = v;
}

// Metadata, for every kind.
const META: Record<string, (meta: Record<string, unknown>) => Doc[]> = {
  TrafficPolicy: (m) => tpDocs({ timeout: "2s" }, m),
  AccessPolicy: (m) => apDocs({ allow: [{ source: { serviceAccounts: ["web"] } }] }, m),
  MTLSPolicy: (m) => mtlsDocs({}, m),
  RequestAuthentication: (m) => [...services(), raDoc({}, {}, m)],
  WasmExtension: (m) => wasmDocs({}, m),
  MeshService: (m) => svcDocs({}, m),
};
for (const [kind, make] of Object.entries(META)) {
  add(`${kind}:/metadata/name`, pair("renamed", make({}), make({ name: "renamed" })));
  add(`${kind}:/metadata/namespace`, pair("other namespace", make({}), make({ namespace: "shop2" })));
  add(`${kind}:/metadata/labels`, pair("labels", make({}), make({ labels: { team: "a" } })));
  add(`${kind}:/metadata/annotations`, pair("annotations", make({}), make({ annotations: { note: "x" } })));
}

// TrafficPolicy: source and destination.
add("TrafficPolicy:/spec/source/serviceAccounts", pair("any caller → web", activeDocs(), activeDocs({ source: { serviceAccounts: ["web"] } })));
add("TrafficPolicy:/spec/source/namespaces", pair("any caller → namespace shop3", activeDocs(), activeDocs({ source: { namespaces: ["shop3"] } })));
const byLabels = (w: Record<string, unknown>) => activeDocs({ source: { serviceAccounts: ["web"], workloads: [{ labels: { app: "web" }, ...w }] } });
add(
  "TrafficPolicy:/spec/source/workloads/*/labels",
  pair("any caller → pods {app: web}", activeDocs(), activeDocs({ source: { workloads: [{ labels: { app: "web" } }] } })),
  pair("{app: web} → {app: web, version: v2}", byLabels({}), byLabels({ labels: { app: "web", version: "v2" } })),
);
add("TrafficPolicy:/spec/source/workloads/*/namespace", pair("shop → shop3", byLabels({}), byLabels({ namespace: "shop3" })));
add("TrafficPolicy:/spec/destination/service", pair("api → web", activeDocs(), activeDocs({ destination: { service: "web" } })));
add(
  "TrafficPolicy:/spec/destination/namespace",
  pair("shop → shop2", activeDocs({ destination: { service: "api", namespace: "shop" } }), activeDocs({ destination: { service: "api", namespace: "shop2" } })),
);
add("TrafficPolicy:/spec/destination/port", pair("every port → 8080", activeDocs(), activeDocs({ destination: { service: "api", port: 8080 } })));

// Route: name, match, split, redirect, directResponse, rewrite.
const R = "TrafficPolicy:/spec/routes/*";
add(`${R}/name`, pair("unnamed → named", splitDocs({}), splitDocs({ name: "named" })));
add(`${R}/match/path/exact`, pair("prefix /a → exact /a", splitDocs({}), splitDocs({ match: { path: { exact: "/a" } } })));
add(`${R}/match/path/prefix`, pair("exact /a → prefix /a", splitDocs({ match: { path: { exact: "/a" } } }), splitDocs({})));
add(`${R}/match/path/regex`, pair("prefix /a → regex", splitDocs({}), splitDocs({ match: { path: { regex: "/a[0-9]+" } } })));
add(`${R}/match/path/segmentPrefix`, pair("prefix /a → segmentPrefix /b", splitDocs({}), splitDocs({ match: { path: { segmentPrefix: "/b" } } })));
values(`${R}/match/method`, { ref: "GET", alt: "POST", make: (m) => splitDocs({ match: { path: { prefix: "/a" }, method: m } }) });
const headerMatch = (h: Record<string, unknown>) => splitDocs({ match: { path: { prefix: "/a" }, headers: { "x-h": h } } });
add(`${R}/match/headers/*/exact`, pair("prefix → exact", headerMatch({ prefix: "1" }), headerMatch({ exact: "1" })));
add(`${R}/match/headers/*/prefix`, pair("exact → prefix", headerMatch({ exact: "1" }), headerMatch({ prefix: "1" })));
add(`${R}/match/headers/*/regex`, pair("exact → regex", headerMatch({ exact: "1" }), headerMatch({ regex: "1[0-9]" })));
add(
  `${R}/match/headers/*/present`,
  pair("present: true → false", headerMatch({ present: true }), headerMatch({ present: false })),
  pair("exact → present: true", headerMatch({ exact: "1" }), headerMatch({ present: true })),
);
const queryMatch = (q: Record<string, unknown>) => splitDocs({ match: { path: { prefix: "/a" }, queryParams: { q } } });
add(`${R}/match/queryParams/*/exact`, pair("prefix → exact", queryMatch({ prefix: "1" }), queryMatch({ exact: "1" })));
add(`${R}/match/queryParams/*/prefix`, pair("exact → prefix", queryMatch({ exact: "1" }), queryMatch({ prefix: "1" })));
add(`${R}/match/queryParams/*/regex`, pair("exact → regex", queryMatch({ exact: "1" }), queryMatch({ regex: "1[0-9]" })));
add(
  `${R}/split/*/subset`,
  pair("v1 → v2", routeDocs({ split: V1 }), routeDocs({ split: [{ subset: { version: "v2" }, weight: 100 }] })),
  pair("whole service → v1", routeDocs({ split: [{ weight: 100 }] }), routeDocs({ split: V1 })),
);
add(`${R}/split/*/service`, pair("whole service → web", routeDocs({ split: [{ weight: 100 }] }), routeDocs({ split: [{ service: "web", weight: 100 }] })));
add(
  `${R}/split/*/weight`,
  pair(
    "50/50 → 20/80",
    routeDocs({
      split: [
        { subset: { version: "v1" }, weight: 50 },
        { subset: { version: "v2" }, weight: 50 },
      ],
    }),
    routeDocs({
      split: [
        { subset: { version: "v1" }, weight: 20 },
        { subset: { version: "v2" }, weight: 80 },
      ],
    }),
  ),
);
const TWO = (h: Record<string, unknown>) =>
  routeDocs({
    split: [
      { subset: { version: "v1" }, weight: 90 },
      { subset: { version: "v2" }, weight: 10, ...h },
    ],
  });
for (const dir of ["request", "response"]) {
  add(`${R}/split/*/headers/${dir}/set`, pair("+ set", TWO({}), TWO({ headers: { [dir]: { set: { a: "1" } } } })));
  add(`${R}/split/*/headers/${dir}/add`, pair("+ add", TWO({}), TWO({ headers: { [dir]: { add: { a: "1" } } } })));
  add(`${R}/split/*/headers/${dir}/remove`, pair("+ remove", TWO({}), TWO({ headers: { [dir]: { remove: ["a"] } } })));
}
/** A virtual mesh of two members, translated for west. */
const VM: Doc = {
  apiVersion: "unimesh.io/v1alpha1",
  kind: "VirtualMesh",
  metadata: { name: "vm" },
  spec: {
    members: [
      { name: "west", context: "west", mesh: "istio", trustDomain: "west.example" },
      { name: "east", context: "east", mesh: "linkerd", trustDomain: "east.example" },
    ],
  },
};
add(
  `${R}/split/*/cluster`,
  pair(
    "local → east",
    [...routeDocs({ split: [{ weight: 80 }, { weight: 20, port: 9000 }] }), VM],
    [...routeDocs({ split: [{ weight: 80 }, { weight: 20, port: 9000, cluster: "east" }] }), VM],
  ),
);
const failover = (clusters: string[]) => [...tpDocs({ outlierDetection: { consecutive5xxErrors: 5, maxEjectionPercent: 100 }, failover: { clusters } }), VM];
add("TrafficPolicy:/spec/failover/clusters", pair("west only (local: nothing) → west, east", failover(["west"]), failover(["west", "east"])));
add(`${R}/split/*/port`, pair("destination port → 9000", routeDocs({ split: [{ weight: 100 }] }), routeDocs({ split: [{ weight: 100, port: 9000 }] })));
const redirect = (r: Record<string, unknown>) => routeDocs({ split: undefined, redirect: r });
values(`${R}/redirect/scheme`, { ref: "http", alt: "https", make: (s) => redirect({ path: "/x", scheme: s }) });
add(`${R}/redirect/authority`, pair("+ authority", redirect({ path: "/x" }), redirect({ path: "/x", authority: "b.example" })));
add(`${R}/redirect/port`, pair("+ port", redirect({ path: "/x" }), redirect({ path: "/x", port: 8443 })));
add(`${R}/redirect/path`, pair("+ path", redirect({ authority: "b.example" }), redirect({ authority: "b.example", path: "/x" })));
values(`${R}/redirect/statusCode`, { ref: 301, alt: 302, make: (c) => redirect({ path: "/x", statusCode: c }) });
const direct = (d: Record<string, unknown>) => routeDocs({ split: undefined, directResponse: d });
add(`${R}/directResponse/status`, pair("200 → 503", direct({ status: 200 }), direct({ status: 503 })));
add(`${R}/directResponse/body`, pair("+ body", direct({ status: 200 }), direct({ status: 200, body: "hi" })));
const rewrite = (r: Record<string, unknown>) => routeDocs({ rewrite: r });
add(
  `${R}/rewrite/path/replacePrefixMatch`,
  pair("full → prefix", rewrite({ path: { replaceFullPath: "/b" } }), rewrite({ path: { replacePrefixMatch: "/b" } })),
);
add(`${R}/rewrite/path/replaceFullPath`, pair("prefix → full", rewrite({ path: { replacePrefixMatch: "/b" } }), rewrite({ path: { replaceFullPath: "/b" } })));
add(
  `${R}/rewrite/authority`,
  pair("+ authority", rewrite({ path: { replaceFullPath: "/b" } }), rewrite({ path: { replaceFullPath: "/b" }, authority: "b.example" })),
);

// Settings allowed both on the policy and on a route: cases written once, for both places.
for (const [at, docsWith] of [
  ["TrafficPolicy:/spec", (p: Record<string, any>) => tpDocs(p)],
  [R, (p: Record<string, any>) => routeDocs(p)],
] as const) {
  add(`${at}/timeout`, pair("none → 3s", docsWith({}), docsWith({ timeout: "3s" })));
  const retries = (r: Record<string, unknown>) => docsWith({ retries: r });
  add(
    `${at}/retries/attempts`,
    pair("1 → 3", retries({ attempts: 1, retryOn: ["5xx"] }), retries({ attempts: 3, retryOn: ["5xx"] })),
    pair("0 → 1", retries({ attempts: 0 }), retries({ attempts: 1, retryOn: ["5xx"] })),
  );
  add(
    `${at}/retries/perTryTimeout`,
    pair("+ perTryTimeout", retries({ attempts: 1, retryOn: ["5xx"] }), retries({ attempts: 1, retryOn: ["5xx"], perTryTimeout: "1s" })),
    pair("attempts 0: + perTryTimeout", retries({ attempts: 0 }), retries({ attempts: 0, perTryTimeout: "1s" })),
  );
  add(`${at}/retries/backoff`, pair("+ backoff", retries({ attempts: 1, retryOn: ["5xx"] }), retries({ attempts: 1, retryOn: ["5xx"], backoff: "50ms" })));
  values(`${at}/retries/retryOn`, { ref: "5xx", alt: "gateway-error", extra: ["503"], make: (v) => retries({ attempts: 1, retryOn: [v] }) });
  const fault = (f: Record<string, unknown>) => docsWith({ faultInjection: f });
  add(`${at}/faultInjection/delay/fixedDelay`, pair("1s → 2s", fault({ delay: { fixedDelay: "1s" } }), fault({ delay: { fixedDelay: "2s" } })));
  add(`${at}/faultInjection/delay/percent`, pair("+ percent", fault({ delay: { fixedDelay: "1s" } }), fault({ delay: { fixedDelay: "1s", percent: 10 } })));
  add(`${at}/faultInjection/abort/httpStatus`, pair("503 → 500", fault({ abort: { httpStatus: 503 } }), fault({ abort: { httpStatus: 500 } })));
  values(`${at}/faultInjection/abort/grpcStatus`, { ref: "UNAVAILABLE", alt: "INTERNAL", make: (s) => fault({ abort: { grpcStatus: s } }) });
  add(`${at}/faultInjection/abort/percent`, pair("+ percent", fault({ abort: { httpStatus: 503 } }), fault({ abort: { httpStatus: 503, percent: 10 } })));
  const mirror = (m: Record<string, unknown>) => docsWith({ mirror: m });
  add(`${at}/mirror/service`, pair("destination → other", mirror({ percent: 50 }), mirror({ percent: 50, service: "other" })));
  add(`${at}/mirror/namespace`, pair("shop → shop2", mirror({ service: "other" }), mirror({ service: "other", namespace: "shop2" })));
  add(`${at}/mirror/subset`, pair("+ subset", mirror({ service: "other" }), mirror({ service: "other", subset: { version: "v2" } })));
  add(`${at}/mirror/port`, pair("+ port", mirror({ service: "other" }), mirror({ service: "other", port: 9000 })));
  add(`${at}/mirror/percent`, pair("+ percent", mirror({ service: "other" }), mirror({ service: "other", percent: 10 })));
  const headers = (h: Record<string, unknown>) => docsWith({ headers: h });
  for (const dir of ["request", "response"]) {
    add(`${at}/headers/${dir}/set`, pair("+ set", docsWith({}), headers({ [dir]: { set: { a: "1" } } })));
    add(`${at}/headers/${dir}/add`, pair("+ add", docsWith({}), headers({ [dir]: { add: { a: "1" } } })));
    add(`${at}/headers/${dir}/remove`, pair("+ remove", docsWith({}), headers({ [dir]: { remove: ["a"] } })));
  }
  const cors = (c: Record<string, unknown>) => docsWith({ cors: { allowOrigins: [{ exact: "https://a.example" }], ...c } });
  add(`${at}/cors/allowOrigins/*/exact`, pair("prefix → exact", cors({ allowOrigins: [{ prefix: "https://a" }] }), cors({})));
  add(`${at}/cors/allowOrigins/*/prefix`, pair("exact → prefix", cors({}), cors({ allowOrigins: [{ prefix: "https://a" }] })));
  add(`${at}/cors/allowOrigins/*/regex`, pair("exact → regex", cors({}), cors({ allowOrigins: [{ regex: "https://[a-z]+\\.example" }] })));
  add(`${at}/cors/allowMethods`, pair("+ allowMethods", cors({}), cors({ allowMethods: ["GET"] })));
  add(`${at}/cors/allowHeaders`, pair("+ allowHeaders", cors({}), cors({ allowHeaders: ["x-a"] })));
  add(`${at}/cors/exposeHeaders`, pair("+ exposeHeaders", cors({}), cors({ exposeHeaders: ["x-b"] })));
  add(`${at}/cors/maxAge`, pair("+ maxAge", cors({}), cors({ maxAge: "10s" })));
  add(`${at}/cors/allowCredentials`, pair("+ allowCredentials", cors({}), cors({ allowCredentials: true })));
}

// Destination-level settings.
const T = "TrafficPolicy:/spec";
const outlier = (o: Record<string, unknown>) => tpDocs({ outlierDetection: { consecutive5xxErrors: 5, maxEjectionPercent: 100, ...o } });
add(`${T}/outlierDetection/consecutive5xxErrors`, pair("5 → 3", outlier({}), outlier({ consecutive5xxErrors: 3 })));
add(`${T}/outlierDetection/consecutiveGatewayErrors`, pair("+ consecutiveGatewayErrors", outlier({}), outlier({ consecutiveGatewayErrors: 2 })));
add(`${T}/outlierDetection/interval`, pair("+ interval", outlier({}), outlier({ interval: "5s" })));
add(`${T}/outlierDetection/baseEjectionTime`, pair("+ baseEjectionTime", outlier({}), outlier({ baseEjectionTime: "10s" })));
add(`${T}/outlierDetection/maxEjectionPercent`, pair("100 → 50", outlier({}), outlier({ maxEjectionPercent: 50 })));
const pool = (c: Record<string, unknown>) => tpDocs({ connectionPool: { maxConnections: 100, ...c } });
add(`${T}/connectionPool/maxConnections`, pair("100 → 3", pool({}), pool({ maxConnections: 3 })));
add(`${T}/connectionPool/maxPendingRequests`, pair("+ maxPendingRequests", pool({}), pool({ maxPendingRequests: 2 })));
add(`${T}/connectionPool/maxRequests`, pair("+ maxRequests (http/1.1 service)", pool({}), pool({ maxRequests: 5 })));
add(`${T}/connectionPool/maxRequestsPerConnection`, pair("+ maxRequestsPerConnection", pool({}), pool({ maxRequestsPerConnection: 7 })));
add(`${T}/connectionPool/maxRetries`, pair("+ maxRetries", pool({}), pool({ maxRetries: 4 })));
add(`${T}/connectionPool/connectTimeout`, pair("+ connectTimeout", pool({}), pool({ connectTimeout: "1s" })));
add(`${T}/connectionPool/idleTimeout`, pair("+ idleTimeout", pool({}), pool({ idleTimeout: "30s" })));
const lb = (l: Record<string, unknown>) => tpDocs({ loadBalancer: l });
const hash = (h: Record<string, unknown>) => lb({ algorithm: "consistent-hash", consistentHash: h });
values(`${T}/loadBalancer/algorithm`, {
  ref: "round-robin",
  alt: "random",
  make: (a) => lb(a === "consistent-hash" ? { algorithm: a, consistentHash: { header: "x-user" } } : { algorithm: a }),
});
add(`${T}/loadBalancer/consistentHash/header`, pair("query param → header", hash({ queryParam: "u" }), hash({ header: "x-user" })));
add(`${T}/loadBalancer/consistentHash/cookie/name`, pair("c → d", hash({ cookie: { name: "c", ttl: "10s" } }), hash({ cookie: { name: "d", ttl: "10s" } })));
add(`${T}/loadBalancer/consistentHash/cookie/ttl`, pair("10s → 20s", hash({ cookie: { name: "c", ttl: "10s" } }), hash({ cookie: { name: "c", ttl: "20s" } })));
add(`${T}/loadBalancer/consistentHash/sourceIp`, pair("header → source IP", hash({ header: "x-user" }), hash({ sourceIp: true })));
add(`${T}/loadBalancer/consistentHash/queryParam`, pair("header → query param", hash({ header: "x-user" }), hash({ queryParam: "u" })));
const rate = (r: Record<string, unknown>) => tpDocs({ rateLimit: { requestsPerSecond: 10, ...r } });
add(`${T}/rateLimit/requestsPerSecond`, pair("10 → 20", rate({}), rate({ requestsPerSecond: 20 })));
add(`${T}/rateLimit/burst`, pair("+ burst", rate({}), rate({ burst: 20 })));
add(`${T}/rateLimit/perIdentity`, pair("+ perIdentity", rate({}), rate({ perIdentity: 2 })));
add(
  `${T}/rateLimit/overrides/*/serviceAccounts`,
  pair(
    "web → other",
    rate({ overrides: [{ serviceAccounts: ["web"], requestsPerSecond: 3 }] }),
    rate({ overrides: [{ serviceAccounts: ["other"], requestsPerSecond: 3 }] }),
  ),
);
add(
  `${T}/rateLimit/overrides/*/requestsPerSecond`,
  pair(
    "3 → 4",
    rate({ overrides: [{ serviceAccounts: ["web"], requestsPerSecond: 3 }] }),
    rate({ overrides: [{ serviceAccounts: ["web"], requestsPerSecond: 4 }] }),
  ),
);

// Per-subset settings: the route sends every request to subset v2 (so every mesh builds what v2 needs).
const SUB = `${T}/subsetSettings/*`;
const subDocs = (e: Record<string, unknown>) =>
  tpDocs({ routes: [{ ...ROUTE, split: [{ subset: { version: "v2" }, weight: 100 }] }], subsetSettings: [{ subset: { version: "v2" }, ...e }] });
const OD = { consecutive5xxErrors: 5, maxEjectionPercent: 100 };
add(`${SUB}/subset`, pair("v2 → v1", subDocs({ outlierDetection: OD }), subDocs({ subset: { version: "v1" }, outlierDetection: OD })));
const subOutlier = (o: Record<string, unknown>) => subDocs({ outlierDetection: { ...OD, ...o } });
add(`${SUB}/outlierDetection/consecutive5xxErrors`, pair("5 → 3", subOutlier({}), subOutlier({ consecutive5xxErrors: 3 })));
add(`${SUB}/outlierDetection/consecutiveGatewayErrors`, pair("+ consecutiveGatewayErrors", subOutlier({}), subOutlier({ consecutiveGatewayErrors: 2 })));
add(`${SUB}/outlierDetection/interval`, pair("+ interval", subOutlier({}), subOutlier({ interval: "5s" })));
add(`${SUB}/outlierDetection/baseEjectionTime`, pair("+ baseEjectionTime", subOutlier({}), subOutlier({ baseEjectionTime: "10s" })));
add(`${SUB}/outlierDetection/maxEjectionPercent`, pair("100 → 50", subOutlier({}), subOutlier({ maxEjectionPercent: 50 })));
const subPool = (c: Record<string, unknown>) => subDocs({ connectionPool: { maxConnections: 100, ...c } });
add(`${SUB}/connectionPool/maxConnections`, pair("100 → 3", subPool({}), subPool({ maxConnections: 3 })));
add(`${SUB}/connectionPool/maxPendingRequests`, pair("+ maxPendingRequests", subPool({}), subPool({ maxPendingRequests: 2 })));
add(`${SUB}/connectionPool/maxRequests`, pair("+ maxRequests", subPool({}), subPool({ maxRequests: 5 })));
add(`${SUB}/connectionPool/maxRequestsPerConnection`, pair("+ maxRequestsPerConnection", subPool({}), subPool({ maxRequestsPerConnection: 7 })));
add(`${SUB}/connectionPool/maxRetries`, pair("+ maxRetries", subPool({}), subPool({ maxRetries: 4 })));
add(`${SUB}/connectionPool/connectTimeout`, pair("+ connectTimeout", subPool({}), subPool({ connectTimeout: "1s" })));
add(`${SUB}/connectionPool/idleTimeout`, pair("+ idleTimeout", subPool({}), subPool({ idleTimeout: "30s" })));
const subLb = (l: Record<string, unknown>) => subDocs({ loadBalancer: l });
const subHash = (h: Record<string, unknown>) => subLb({ algorithm: "consistent-hash", consistentHash: h });
values(`${SUB}/loadBalancer/algorithm`, {
  ref: "round-robin",
  alt: "random",
  make: (a) => subLb(a === "consistent-hash" ? { algorithm: a, consistentHash: { header: "x-user" } } : { algorithm: a }),
});
add(`${SUB}/loadBalancer/consistentHash/header`, pair("query param → header", subHash({ queryParam: "u" }), subHash({ header: "x-user" })));
add(
  `${SUB}/loadBalancer/consistentHash/cookie/name`,
  pair("c → d", subHash({ cookie: { name: "c", ttl: "10s" } }), subHash({ cookie: { name: "d", ttl: "10s" } })),
);
add(
  `${SUB}/loadBalancer/consistentHash/cookie/ttl`,
  pair("10s → 20s", subHash({ cookie: { name: "c", ttl: "10s" } }), subHash({ cookie: { name: "c", ttl: "20s" } })),
);
add(`${SUB}/loadBalancer/consistentHash/sourceIp`, pair("header → source IP", subHash({ header: "x-user" }), subHash({ sourceIp: true })));
add(`${SUB}/loadBalancer/consistentHash/queryParam`, pair("header → query param", subHash({ header: "x-user" }), subHash({ queryParam: "u" })));

// AccessPolicy.
const A = "AccessPolicy:/spec";
const WEB = { source: { serviceAccounts: ["web"] } };
add(`${A}/source/serviceAccounts`, pair("any caller → web", apDocs({ allow: [{}] }), apDocs({ source: { serviceAccounts: ["web"] }, allow: [{}] })));
add(`${A}/source/namespaces`, pair("any caller → shop3", apDocs({ allow: [{}] }), apDocs({ source: { namespaces: ["shop3"] }, allow: [{}] })));
add(`${A}/source/ipBlocks`, pair("any caller → 10/8", apDocs({ allow: [{}] }), apDocs({ source: { ipBlocks: ["10.0.0.0/8"] }, allow: [{}] })));
add(
  `${A}/source/notServiceAccounts`,
  pair(
    "namespace shop → but web",
    apDocs({ source: { namespaces: ["shop"] }, allow: [{}] }),
    apDocs({ source: { namespaces: ["shop"], notServiceAccounts: ["web"] }, allow: [{}] }),
  ),
);
add(
  `${A}/source/notNamespaces`,
  pair(
    "any identity → but shop3",
    apDocs({ source: { serviceAccounts: ["*"] }, allow: [{}] }),
    apDocs({ source: { serviceAccounts: ["*"], notNamespaces: ["shop3"] }, allow: [{}] }),
  ),
);
add(
  `${A}/source/clusters`,
  pair(
    "local web → web of east",
    [...apDocs({ source: { serviceAccounts: ["web"] }, allow: [{}] }), VM],
    [...apDocs({ source: { serviceAccounts: ["web"], clusters: ["east"] }, allow: [{}] }), VM],
  ),
);
add(
  `${A}/source/notIpBlocks`,
  pair(
    "10/8 → but 10.1/16",
    apDocs({ source: { ipBlocks: ["10.0.0.0/8"] }, allow: [{}] }),
    apDocs({ source: { ipBlocks: ["10.0.0.0/8"], notIpBlocks: ["10.1.0.0/16"] }, allow: [{}] }),
  ),
);
add(`${A}/destination/service`, pair("api → web", apDocs({ allow: [WEB] }), apDocs({ destination: { service: "web" }, allow: [WEB] })));
add(
  `${A}/destination/namespace`,
  pair(
    "shop → shop2",
    apDocs({ destination: { service: "api", namespace: "shop" }, allow: [WEB] }),
    apDocs({ destination: { service: "api", namespace: "shop2" }, allow: [WEB] }),
  ),
);
values(`${A}/scope`, {
  ref: "namespace",
  alt: "mesh",
  make: (s) => [...services(), svc("far", {}, { namespace: "shop2" }), doc("AccessPolicy", "ap", { scope: s, allow: [WEB] })],
});
add(`${A}/destination/port`, pair("every port → 8080", apDocs({ allow: [WEB] }), apDocs({ destination: { service: "api", port: 8080 }, allow: [WEB] })));
for (const list of ["allow", "deny"] as const) {
  // A deny rule only matters when something is allowed: the deny cases allow everyone.
  const rule = (r: Record<string, unknown>) => apDocs(list === "allow" ? { allow: [r] } : { allow: [{}], deny: [r] });
  const P = `${A}/${list}/*`;
  add(
    `${P}/source/serviceAccounts`,
    pair("+ serviceAccounts", rule({ source: { namespaces: ["shop3"] } }), rule({ source: { namespaces: ["shop3"], serviceAccounts: ["web"] } })),
  );
  add(`${P}/source/namespaces`, pair("+ namespaces", rule(WEB), rule({ source: { serviceAccounts: ["web"], namespaces: ["shop3"] } })));
  add(`${P}/source/ipBlocks`, pair("+ ipBlocks", rule(WEB), rule({ source: { serviceAccounts: ["web"], ipBlocks: ["10.0.0.0/8"] } })));
  add(`${P}/source/clusters`, pair("+ clusters", [...rule(WEB), VM], [...rule({ source: { serviceAccounts: ["web"], clusters: ["west", "east"] } }), VM]));
  add(`${P}/methods`, pair("+ methods", rule(WEB), rule({ ...WEB, methods: ["GET"] })));
  add(`${P}/paths`, pair("+ paths", rule(WEB), rule({ ...WEB, paths: ["/a/*"] })));
  add(`${P}/ports`, pair("+ ports", rule(WEB), rule({ ...WEB, ports: [8080] })));
  add(`${P}/headers`, pair("+ headers", rule(WEB), rule({ ...WEB, headers: { "x-h": ["1"] } })));
  const NS = { source: { namespaces: ["shop"] } };
  add(`${P}/source/notServiceAccounts`, pair("+ notServiceAccounts", rule(NS), rule({ source: { namespaces: ["shop"], notServiceAccounts: ["web"] } })));
  add(
    `${P}/source/notNamespaces`,
    pair("+ notNamespaces", rule({ source: { serviceAccounts: ["*"] } }), rule({ source: { serviceAccounts: ["*"], notNamespaces: ["shop3"] } })),
  );
  add(
    `${P}/source/notIpBlocks`,
    pair("+ notIpBlocks", rule({ source: { ipBlocks: ["10.0.0.0/8"] } }), rule({ source: { ipBlocks: ["10.0.0.0/8"], notIpBlocks: ["10.1.0.0/16"] } })),
  );
  add(`${P}/notMethods`, pair("+ notMethods", rule(WEB), rule({ ...WEB, notMethods: ["DELETE"] })));
  add(`${P}/notPaths`, pair("+ notPaths", rule(WEB), rule({ ...WEB, notPaths: ["/admin/*"] })));
  add(`${P}/notPorts`, pair("+ notPorts", rule(WEB), rule({ ...WEB, notPorts: [9000] })));
  add(`${P}/notHeaders`, pair("+ notHeaders", rule(WEB), rule({ ...WEB, notHeaders: { "x-h": ["1"] } })));
  // End-user conditions: the destination validates tokens (a RequestAuthentication) in both documents.
  const jwtRule = (r: Record<string, unknown>) => [...rule(r), raDoc()];
  add(`${P}/requestPrincipals`, pair("+ requestPrincipals", jwtRule(WEB), jwtRule({ ...WEB, requestPrincipals: [`${ISSUER}/*`] })));
  add(`${P}/notRequestPrincipals`, pair("+ notRequestPrincipals", jwtRule(WEB), jwtRule({ ...WEB, notRequestPrincipals: [`${ISSUER}/bob`] })));
  add(`${P}/claims`, pair("+ claims", jwtRule(WEB), jwtRule({ ...WEB, claims: { groups: ["admin"] } })));
  add(`${P}/notClaims`, pair("+ notClaims", jwtRule(WEB), jwtRule({ ...WEB, notClaims: { groups: ["guest"] } })));
}

// RequestAuthentication (with an AccessPolicy that needs a token, so the issuer is used).
const RA = "RequestAuthentication:/spec";
const raDocs = (issuer: Record<string, unknown> = {}, spec: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): Doc[] => [
  ...services(),
  doc("AccessPolicy", "ap", { destination: spec.destination ?? { service: "api" }, allow: [{ requestPrincipals: ["*"] }] }),
  raDoc(issuer, spec, meta),
];
add(`${RA}/destination/service`, pair("api → web", raDocs(), raDocs({}, { destination: { service: "web" } })));
add(
  `${RA}/destination/namespace`,
  pair("shop → shop2", raDocs({}, { destination: { service: "api", namespace: "shop" } }), raDocs({}, { destination: { service: "api", namespace: "shop2" } })),
);
add(`${RA}/issuers/*/issuer`, pair("issuer → another", raDocs(), raDocs({ issuer: "https://other.example.com" })));
add(`${RA}/issuers/*/jwksUri`, pair("jwksUri → another", raDocs(), raDocs({ jwksUri: "https://idp.example.com/other.json" })));
add(`${RA}/issuers/*/jwks`, pair("jwksUri → jwks", raDocs(), raDocs({ jwksUri: undefined, jwks: ISTIO_JWKS })));
add(`${RA}/issuers/*/audiences`, pair("+ audiences", raDocs(), raDocs({ audiences: ["api"] })));
add(
  `${RA}/issuers/*/fromHeaders/*/name`,
  pair("x-jwt → x-token", raDocs({ fromHeaders: [{ name: "x-jwt" }] }), raDocs({ fromHeaders: [{ name: "x-token" }] })),
);
add(
  `${RA}/issuers/*/fromHeaders/*/prefix`,
  pair("+ prefix", raDocs({ fromHeaders: [{ name: "x-jwt" }] }), raDocs({ fromHeaders: [{ name: "x-jwt", prefix: "Bearer " }] })),
);
add(`${RA}/issuers/*/fromParams`, pair("+ fromParams", raDocs(), raDocs({ fromParams: ["token"] })));
add(`${RA}/issuers/*/forwardToken`, pair("+ forwardToken", raDocs(), raDocs({ forwardToken: true })));
add(`${RA}/issuers/*/spaceDelimitedClaims`, pair("+ spaceDelimitedClaims", raDocs(), raDocs({ spaceDelimitedClaims: ["roles"] })));

// WasmExtension.
const WX = "WasmExtension:/spec";
const MODULE = { url: "oci://registry.example.com/filters/wx:1", file: "filters/wx.wasm", sha256: WASM_SHA };
add(`${WX}/destination/service`, pair("api → web", wasmDocs(), wasmDocs({ destination: { service: "web" } })));
add(
  `${WX}/destination/namespace`,
  pair("shop → shop2", wasmDocs({ destination: { service: "api", namespace: "shop" } }), wasmDocs({ destination: { service: "api", namespace: "shop2" } })),
);
add(`${WX}/ports`, pair("+ ports", wasmDocs(), wasmDocs({ ports: [9000] })));
add(`${WX}/module/url`, pair("url → another", wasmDocs(), wasmDocs({ module: { ...MODULE, url: "oci://registry.example.com/filters/wx:2" } })));
add(`${WX}/module/file`, pair("file → another", wasmDocs(), wasmDocs({ module: { ...MODULE, file: "filters/other.wasm" } })));
add(`${WX}/module/sha256`, pair("sha256 → another", wasmDocs(), wasmDocs({ module: { ...MODULE, sha256: "b".repeat(64) } })));
add(`${WX}/pluginName`, pair("+ pluginName", wasmDocs(), wasmDocs({ pluginName: "wx_root" })));
add(`${WX}/config`, pair("+ config", wasmDocs(), wasmDocs({ config: { header: "x-a" } })));
values(`${WX}/phase`, { ref: "AUTHN", alt: "AUTHZ", make: (v) => wasmDocs({ phase: v }) });
add(`${WX}/priority`, pair("+ priority", wasmDocs(), wasmDocs({ priority: 10 })));

// MTLSPolicy (a namespace-wide strict policy is always there).
const M = "MTLSPolicy:/spec";
add(
  `${M}/destination/service`,
  pair("api → web", mtlsDocs({}), mtlsDocs({ destination: { service: "web" } })),
  pair(
    "namespace-wide → api",
    [...services(), doc("MTLSPolicy", "m", { mode: "permissive" })],
    [...services(), doc("MTLSPolicy", "m", { mode: "permissive", destination: { service: "api" } })],
  ),
);
add(
  `${M}/destination/namespace`,
  pair("shop → shop2", mtlsDocs({ destination: { service: "api", namespace: "shop" } }), mtlsDocs({ destination: { service: "api", namespace: "shop2" } })),
);
// A service in another namespace: there namespace-wide and mesh-wide differ on every mesh.
values(`${M}/scope`, {
  ref: "namespace",
  alt: "mesh",
  make: (s) => [...services(), svc("far", {}, { namespace: "shop2" }), doc("MTLSPolicy", "m", { scope: s, mode: "strict" })],
});
values(`${M}/mode`, { ref: "strict", alt: "permissive", make: (m) => mtlsDocs({ mode: m }) });
values(`${M}/ports`, { ref: "strict", alt: "disabled", make: (m) => mtlsDocs({ mode: "permissive", ports: { "9000": m } }) });

// MeshService.
const S = "MeshService:/spec";
add(`${S}/selector`, pair("{app: api} → {app: api-x}", svcDocs({}), svcDocs({ selector: { app: "api-x" } })));
/** `web` calls `api`: a policy names the caller by its service account `web-sa` (whose pods are found through MeshService `web`). */
const callerDocs =
  (policy: Doc) =>
  (webSpec: Record<string, unknown>): Doc[] => [svc("api"), svc("web", webSpec), svc("other"), policy];
const viaTraffic = callerDocs(doc("TrafficPolicy", "tp", { source: { serviceAccounts: ["web-sa"] }, destination: { service: "api" }, timeout: "2s" }));
const viaAccess = callerDocs(doc("AccessPolicy", "ap", { destination: { service: "api" }, allow: [{ source: { serviceAccounts: ["web-sa"] } }] }));
add(
  `${S}/serviceAccount`,
  pair("destination api → api-sa", svcDocs({}), svcDocs({ serviceAccount: "api-sa" })),
  pair("caller in a TrafficPolicy source: web-sa → web-other", viaTraffic({ serviceAccount: "web-sa" }), viaTraffic({ serviceAccount: "web-other" })),
  pair("caller in an AccessPolicy: web-sa → web-other", viaAccess({ serviceAccount: "web-sa" }), viaAccess({ serviceAccount: "web-other" })),
);
const ports = (p: Record<string, unknown>, second: Record<string, unknown> = {}) =>
  svcDocs({
    ports: [
      { port: 8080, targetPort: 9090, protocol: "http", ...p },
      { port: 9000, targetPort: 9091, protocol: "http", ...second },
    ],
  });
add(`${S}/ports/*/port`, pair("port no policy names: 9000 → 9001", ports({}), ports({}, { port: 9001 })));
add(`${S}/ports/*/targetPort`, pair("9090 → 9095", ports({}), ports({ targetPort: 9095 })));
add(`${S}/ports/*/name`, pair("+ name", ports({}), ports({ name: "http-api" })));
values(`${S}/ports/*/protocol`, { ref: "http", alt: "http2", make: (p) => ports({ protocol: p }) });
/** A third port 9100 of `api`: a Service port, or a pod port no Service port reaches (`podOnly`). */
const podPorts = (third: Record<string, unknown>) =>
  svcDocs({
    ports: [
      { port: 8080, targetPort: 9090, protocol: "http" },
      { port: 9000, targetPort: 9091, protocol: "http" },
      { port: 9100, ...third },
    ],
  });
add(`${S}/ports/*/podOnly`, pair("Service port 9100 → pod-only port 9100", podPorts({}), podPorts({ podOnly: true })));
// `tp-port` of svcDocs splits to subset v2; v1 is declared but referenced by no policy.
const subsets = (v1: Record<string, unknown>, v2: Record<string, unknown>) =>
  svcDocs({
    subsets: [
      { name: "v1", labels: { version: "v1" }, ...v1 },
      { name: "v2", labels: { version: "v2" }, ...v2 },
    ],
  });
add(
  `${S}/subsets/*/name`,
  pair("referenced subset v2 → two", subsets({}, {}), subsets({}, { name: "two" })),
  pair("unreferenced subset v1 → one", subsets({}, {}), subsets({ name: "one" }, {})),
);
add(`${S}/subsets/*/labels`, pair("unreferenced subset v1: + label", subsets({}, {}), subsets({ labels: { version: "v1", track: "stable" } }, {})));

/** Leaves the validation rules forbid in a kind (the test checks they are still refused). */
const INVALID: Record<string, { docs: Doc[]; reason: string }> = {
  "TrafficPolicy:/spec/source/ipBlocks": {
    docs: tpDocs({ source: { ipBlocks: ["10.0.0.0/8"] } }),
    reason: "rule/source-ip-blocks: a TrafficPolicy source selects callers by identity only",
  },
  "AccessPolicy:/spec/source/workloads/*/labels": {
    docs: apDocs({ source: { workloads: [{ labels: { app: "web" } }] }, allow: [{}] }),
    reason: "rule/workload-source: pod labels are not an identity, so they cannot decide access",
  },
  "AccessPolicy:/spec/source/workloads/*/namespace": {
    docs: apDocs({ source: { workloads: [{ labels: { app: "web" }, namespace: "shop" }] }, allow: [{}] }),
    reason: "rule/workload-source",
  },
  "AccessPolicy:/spec/allow/*/source/workloads/*/labels": {
    docs: apDocs({ allow: [{ source: { workloads: [{ labels: { app: "web" } }] } }] }),
    reason: "rule/workload-source",
  },
  "AccessPolicy:/spec/allow/*/source/workloads/*/namespace": {
    docs: apDocs({ allow: [{ source: { workloads: [{ labels: { app: "web" }, namespace: "shop" }] } }] }),
    reason: "rule/workload-source",
  },
  "AccessPolicy:/spec/deny/*/source/workloads/*/labels": {
    docs: apDocs({ allow: [{}], deny: [{ source: { workloads: [{ labels: { app: "web" } }] } }] }),
    reason: "rule/workload-source",
  },
  "AccessPolicy:/spec/deny/*/source/workloads/*/namespace": {
    docs: apDocs({ allow: [{}], deny: [{ source: { workloads: [{ labels: { app: "web" }, namespace: "shop" }] } }] }),
    reason: "rule/workload-source",
  },
};

// ───────────────────────────── 4. what may stay without effect ─────────────────────────────

interface Exemption {
  /** `*`, an adapter name (`istio`) or `name@version` (`istio@1.22`). */
  mesh: string;
  /** A leaf key; `*:` as the kind stands for every kind. */
  field: string;
  /** Only these cases (labels) of the field; default: every case. */
  cases?: string[];
  reason: string;
}

/** Fields that legitimately have no effect on a mesh's output. */
const ALLOWED: Exemption[] = [
  {
    mesh: "*",
    field: "*:/metadata/labels",
    reason: "labels of a unimesh document are for people and tools that select documents; adapters set their own labels (managed-by, policy-set)",
  },
  { mesh: "*", field: "*:/metadata/annotations", reason: "free-form notes, documented as not interpreted by unimesh" },
  {
    mesh: "*",
    field: "MeshService:/spec/ports/*/name",
    reason:
      "unimesh neither creates nor changes the Kubernetes Service: the name is a fact `discover` records; the protocol comes from `protocol`, the pod port from `targetPort`",
  },
  {
    mesh: "istio",
    field: "MeshService:/spec/ports/*/port",
    cases: ["port no policy names: 9000 → 9001"],
    reason: "Istio addresses a destination by host; a Service port appears in the output only where a policy names it (pods by targetPort)",
  },
  {
    mesh: "istio",
    field: "MeshService:/spec/ports/*/protocol",
    cases: ["http → grpc", "http → http2", "http2 → http"],
    reason:
      "Istio detects HTTP/1.1, HTTP/2 and gRPC itself (from the Service's port name / appProtocol, which unimesh does not own); only tcp changes the translation (VirtualService tcp routes)",
  },
  {
    mesh: "istio",
    field: "MeshService:/spec/serviceAccount",
    cases: ["destination api → api-sa", "caller in an AccessPolicy: web-sa → web-other"],
    reason:
      "Istio selects the destination's pods by labels (AuthorizationPolicy/PeerAuthentication selector) and authorizes callers by the service accounts the policy names (principals); only a TrafficPolicy source needs the caller's pods (sourceLabels)",
  },
  {
    mesh: "appmesh",
    field: "MeshService:/spec/serviceAccount",
    cases: ["caller in a TrafficPolicy source: web-sa → web-other"],
    reason:
      "App Mesh routes apply to every caller: a TrafficPolicy with a source is refused (adapter/unsupported-feature at /spec/source), whoever the service account stands for",
  },
  {
    mesh: "linkerd",
    field: "MeshService:/spec/serviceAccount",
    reason:
      "Linkerd selects the destination's pods by labels (Server podSelector) and authorizes callers by the service accounts the policies name (MeshTLSAuthentication), so it never needs a service's service account; a TrafficPolicy source is refused (no source match in Linkerd routes)",
  },
  {
    mesh: "appmesh",
    field: "MeshService:/spec/subsets/*/name",
    cases: ["unreferenced subset v1 → one"],
    reason: "App Mesh gets one VirtualNode per subset a policy routes to; a subset no policy references produces nothing",
  },
  {
    mesh: "appmesh",
    field: "MeshService:/spec/subsets/*/labels",
    cases: ["unreferenced subset v1: + label"],
    reason: "App Mesh gets one VirtualNode per subset a policy routes to; a subset no policy references produces nothing",
  },
  {
    mesh: "linkerd",
    field: "MeshService:/spec/subsets/*/name",
    cases: ["unreferenced subset v1 → one"],
    reason: "Linkerd reaches subsets through per-subset Services named in backendRefs only for the subsets a route uses",
  },
  {
    mesh: "linkerd",
    field: "MeshService:/spec/subsets/*/labels",
    cases: ["unreferenced subset v1: + label"],
    reason: "Linkerd reaches subsets through per-subset Services named in backendRefs only for the subsets a route uses",
  },
  {
    mesh: "gateway-api@1.2",
    field: "TrafficPolicy:/spec/routes/*/name",
    reason:
      "HTTPRouteRule.name (GEP-995) is in the standard channel from Gateway API 1.4 (the experimental one from 1.2); the name still appears in diagnostics",
  },
  ...["TrafficPolicy:/spec/mirror/service", "TrafficPolicy:/spec/routes/*/mirror/service"].map((field) => ({
    mesh: "gateway-api@1.2",
    field,
    reason:
      "the case mirrors a share (percent: 50), which Gateway API 1.2's standard channel cannot say (an error at mirror/percent), so nothing is emitted with either service; gateway-api@1.6 covers the field",
  })),
  ...["selector", "serviceAccount", "ports/*/port", "ports/*/targetPort", "ports/*/podOnly", "ports/*/protocol", "subsets/*/name", "subsets/*/labels"].map(
    (f) => ({
      mesh: "gateway-api",
      field: `MeshService:/spec/${f}`,
      ...(f === "ports/*/protocol" ? { cases: ["http → http2", "http2 → http"] } : {}),
      reason:
        "these cases carry an AccessPolicy and an MTLSPolicy, which Gateway API refuses (no authorization or mTLS API), so both sides are refused alike; the MeshService facts Gateway API reads (ports and their protocol, subset names) are covered by the golden cases (split, matchSegmentPrefix) and test/adapters/gateway-api.test.ts",
    }),
  ),
  {
    mesh: "kuma",
    field: "TrafficPolicy:/spec/routes/*/name",
    reason:
      "MeshHTTPRoute rules have no name (kuma.io_meshhttproutes.yaml); the name still appears in diagnostics and, when routes differ in timeout or retries, in the per-route MeshHTTPRoute names",
  },
  ...[
    "metadata/name",
    "metadata/namespace",
    "spec/selector",
    "spec/serviceAccount",
    "spec/ports/*/port",
    "spec/ports/*/targetPort",
    "spec/ports/*/podOnly",
    "spec/ports/*/protocol",
    "spec/subsets/*/name",
    "spec/subsets/*/labels",
  ].map((f) => ({
    mesh: "kuma",
    field: `MeshService:/${f}`,
    reason:
      "these cases carry an AccessPolicy on a destination without strict mTLS, which Kuma refuses as a whole (it enforces MeshTrafficPermission on mutual-TLS connections only: adapter/unsupported-value at the AccessPolicy), so both sides are refused alike; selectors, service accounts, ports and subsets are covered by test/adapters/kuma/kuma.test.ts",
  })),
  {
    mesh: "builtin",
    field: "WasmExtension:/spec/module/url",
    cases: ["url → another"],
    reason:
      "the built-in proxy loads module.file (after checking its sha256) and never fetches module.url, which is for meshes' proxies (an extension with only a url is an error)",
  },
  {
    mesh: "builtin",
    field: "WasmExtension:/spec/priority",
    cases: ["+ priority"],
    reason: "priority orders the extensions of one destination (Destination.wasm is emitted in that order); with one extension there is nothing to order",
  },
  {
    mesh: "istio",
    field: "WasmExtension:/spec/module/file",
    cases: ["file → another"],
    reason: "with module.url given, Istio's proxies fetch the url (WasmPlugin.url); the file is what the built-in proxy loads (the sha256 ties the two)",
  },
  {
    mesh: "linkerd",
    field: "TrafficPolicy:/spec/routes/*/name",
    reason:
      "the HTTPRoute CRDs of Linkerd 2.14 (policy.linkerd.io) and 2.20 (gateway.networking.k8s.io v1, test/crds) have no rules[].name; the name still appears in diagnostics",
  },
];

/**
 * Genuine gaps: fields silently dropped today, being fixed in parallel. The test is green with them
 * and FAILS as soon as one is fixed (delete the entry then).
 */
const KNOWN_GAPS: Exemption[] = [];

// ───────────────────────────── 5. running it ─────────────────────────────

interface Target {
  adapter: Adapter;
  version: string;
  mesh: string;
}
const TARGETS: Target[] = BUILTIN_ADAPTERS.flatMap((adapter) =>
  [...new Set([adapter.versions[0], adapter.defaultVersion])].map((version) => ({ adapter, version, mesh: `${adapter.name}@${version}` })),
);

interface Outcome {
  ok: boolean;
  yaml: string;
  diags: Diagnostic[];
  keys: string;
}
const docsText = (docs: Doc[]) => docs.map((d) => JSON.stringify(d)).join("\n---\n");
const models = new Map<string, ReturnType<typeof loadModel>>();
function model(docs: Doc[]) {
  const text = docsText(docs);
  let m = models.get(text);
  if (!m) models.set(text, (m = loadModel([{ file: "case.yaml", text }])));
  return m;
}
const outcomes = new Map<string, Outcome>();
/**
 * Gateway API refuses string prefixes (only a RegularExpression, not portable, could say them: the golden
 * case `match` shows the error), and the route of every case matches `prefix: /a`: for it, that route
 * matches `segmentPrefix: /a` instead, in base and variant alike, so the other fields are still compared.
 */
function forTarget(docs: Doc[], t: Target): Doc[] {
  if (t.adapter.name !== "gateway-api") return docs;
  return JSON.parse(JSON.stringify(docs), (k, v) =>
    k === "path" && v && typeof v === "object" && v.prefix === "/a" && Object.keys(v).length === 1 ? { segmentPrefix: "/a" } : v,
  );
}

function run(input: Doc[], t: Target): Outcome {
  const docs = forTarget(input, t);
  const key = `${t.mesh}\n${docsText(docs)}`;
  let o = outcomes.get(key);
  if (o) return o;
  const m = model(docs);
  if (!m.ok) throw new Error(`case documents are invalid: ${m.diagnostics.map((d) => `${d.code} ${d.pointer}: ${d.message}`).join("; ")}`);
  const r = translate(m.model, {
    adapter: t.adapter,
    version: t.version,
    allowApproximations: Object.keys(t.adapter.approximations ?? {}),
    ...(m.model.virtualMesh ? { member: "west" } : {}),
  });
  const keys = r.diagnostics
    .map((d) => `${d.severity} ${d.code} ${d.policy ?? ""} ${d.pointer ?? ""}`)
    .sort()
    .join("\n");
  o = { ok: r.ok, yaml: toYaml(r.resources), diags: r.diagnostics, keys };
  outcomes.set(key, o);
  return o;
}

/** Where two document sets differ: `Kind/namespace/name` of the variant's document and the JSON pointers. */
function differences(a: Doc[], b: Doc[]): { policy: string; pointer: string }[] {
  const out: { policy: string; pointer: string }[] = [];
  const esc = (k: string) => k.replace(/~/g, "~0").replace(/\//g, "~1");
  const rec = (x: any, y: any, ptr: string, policy: string) => {
    if (JSON.stringify(x) === JSON.stringify(y)) return;
    const obj = (v: any) => !!v && typeof v === "object";
    // Descend into objects and arrays, also into one added or removed as a whole.
    if ((obj(x) || x === undefined) && (obj(y) || y === undefined) && (x === undefined || y === undefined || Array.isArray(x) === Array.isArray(y))) {
      const xs = x ?? {},
        ys = y ?? {};
      for (const k of new Set([...Object.keys(xs), ...Object.keys(ys)])) rec(xs[k], ys[k], `${ptr}/${esc(k)}`, policy);
    } else out.push({ policy, pointer: ptr });
  };
  b.forEach((d, i) => rec(a[i], d, "", `${d.kind}/${d.metadata.namespace}/${d.metadata.name}`));
  return out;
}

/** A concrete pointer matches a leaf pattern (`*` = any one segment) or lies under it. */
const matchesLeaf = (pattern: string, pointer: string) => {
  const p = pattern.split("/"),
    q = pointer.split("/");
  return q.length >= p.length && p.every((s, i) => s === "*" || s === q[i]);
};

/** A concrete pointer is an ancestor of a leaf pattern at depth 3 or more (`/spec/source/workloads`, not `/spec`). */
const isAboveLeaf = (pattern: string, pointer: string) => {
  const p = pattern.split("/"),
    q = pointer.split("/");
  return q.length >= 4 && q.length < p.length && q.every((s, i) => p[i] === "*" || p[i] === s);
};

/** For the report: the error that refused a variant. */
const refusedAt = new Map<string, string>();
type Verdict = "output" | "diagnostics" | "reported" | "refused" | "silent" | "invalid";
function verdict(c: Case, t: Target, leafPtr: string): Verdict {
  // Invalid case documents are reported by the test "every case is valid...".
  if (!model(c.base).ok || !model(c.variant).ok) return "invalid";
  const a = run(c.base, t),
    b = run(c.variant, t);
  if (a.yaml !== b.yaml) return "output";
  if (a.keys !== b.keys) return "diagnostics";
  const changed = differences(c.base, c.variant).filter((d) => matchesLeaf(leafPtr, d.pointer));
  const refusal = b.ok
    ? undefined
    : b.diags.find(
        (d) => d.severity === "error" && changed.some((c) => d.policy === c.policy && (c.pointer === d.pointer || c.pointer.startsWith(`${d.pointer ?? ""}/`))),
      );
  if (refusal) {
    refusedAt.set(`${t.mesh} ${leafPtr} ${c.label}`, `${refusal.code} at ${refusal.pointer}`);
    return "refused";
  }
  // The same warning in both (e.g. an accepted approximation), but about this very field.
  const reported = b.diags.some(
    (d) => d.severity !== "info" && d.pointer !== undefined && matchesLeaf(leafPtr, d.pointer) && changed.some((c) => c.policy === d.policy),
  );
  return reported ? "reported" : "silent";
}

function casesOf(key: string, leaf?: Leaf): Case[] {
  const entry = CASES[key];
  if (!entry) return [];
  if (Array.isArray(entry)) return entry;
  const vals = [...(leaf?.values ?? []), ...(entry.extra ?? [])];
  return vals.map((v) => {
    const from = v === entry.ref ? entry.alt : entry.ref;
    return pair(`${from} → ${v}`, entry.make(from), entry.make(v));
  });
}

const { kinds, leaves } = schemaLeaves();
const leafByKey = new Map(leaves.map((l) => [l.key, l]));
const fieldMatches = (pattern: string, key: string) =>
  pattern === key || (pattern.startsWith("*:") && key.endsWith(pattern.slice(1)) && key.indexOf(":") === key.length - pattern.length + 1);
const meshMatches = (pattern: string, t: Target) => pattern === "*" || pattern === t.adapter.name || pattern === t.mesh;
const exempts = (e: Exemption, t: Target, key: string, label: string) =>
  meshMatches(e.mesh, t) && fieldMatches(e.field, key) && (!e.cases || e.cases.includes(label));

describe("field coverage: the leaves of the schema", () => {
  test("every kind is walked or explicitly not translated", () => {
    expect(kinds.filter((k) => !(k in NOT_TRANSLATED) && !leaves.some((l) => l.key.startsWith(`${k}:`)))).toEqual([]);
    expect(Object.keys(NOT_TRANSLATED).filter((k) => !kinds.includes(k))).toEqual([]);
    expect(leaves.length).toBeGreaterThan(100);
  });

  test("every leaf has a case (add one to CASES for a new field), and every case is a leaf", () => {
    const missing = leaves.filter((l) => !(l.key in CASES) && !(l.key in INVALID)).map((l) => l.key);
    expect(missing, "schema leaves without a base/variant case in CASES").toEqual([]);
    expect(
      Object.keys(CASES).filter((k) => !leafByKey.has(k)),
      "CASES keys that are not schema leaves",
    ).toEqual([]);
    expect(
      Object.keys(INVALID).filter((k) => !leafByKey.has(k)),
      "INVALID keys that are not schema leaves",
    ).toEqual([]);
    const valueCases = Object.entries(CASES)
      .filter(([, v]) => !Array.isArray(v))
      .map(([k]) => k);
    expect(
      valueCases.filter((k) => !leafByKey.get(k)?.values),
      "value cases for leaves without a closed set of values",
    ).toEqual([]);
  });

  test("every case is valid and differs from its base in its field; INVALID leaves are still refused", () => {
    const problems: string[] = [];
    for (const leaf of leaves) {
      const ptr = leaf.key.slice(leaf.key.indexOf(":") + 1);
      for (const c of casesOf(leaf.key, leaf)) {
        for (const [which, docs] of [
          ["base", c.base],
          ["variant", c.variant],
        ] as const) {
          const m = model(docs);
          if (!m.ok)
            problems.push(
              `${leaf.key} [${c.label}] ${which}: ${m.diagnostics
                .filter((d) => d.severity === "error")
                .map((d) => `${d.code} ${d.pointer}`)
                .join(", ")}`,
            );
        }
        if (!differences(c.base, c.variant).some((d) => matchesLeaf(ptr, d.pointer)))
          problems.push(`${leaf.key} [${c.label}]: the variant does not change this field`);
      }
    }
    for (const [key, { docs }] of Object.entries(INVALID)) {
      const ptr = key.slice(key.indexOf(":") + 1);
      const m = model(docs);
      // Refused at the field, below it, or at an ancestor below /spec/<field> (e.g. the list holding it).
      const at = (pointer: string) => matchesLeaf(ptr, pointer) || isAboveLeaf(ptr, pointer);
      if (m.ok || !m.diagnostics.some((d) => d.severity === "error" && d.pointer !== undefined && at(d.pointer)))
        problems.push(`${key} is accepted now: replace its INVALID entry with a case`);
    }
    expect(problems).toEqual([]);
  });
});

describe.each(TARGETS.map((t) => [t.mesh, t] as const))("field coverage: %s", (_mesh, t) => {
  test("no schema field is silently dropped", () => {
    const rows: { key: string; label: string; verdict: Verdict; ok: string }[] = [];
    for (const leaf of leaves) {
      const ptr = leaf.key.slice(leaf.key.indexOf(":") + 1);
      for (const c of casesOf(leaf.key, leaf)) {
        const v = verdict(c, t, ptr);
        rows.push({
          key: leaf.key,
          label: c.label,
          verdict: v,
          ok: v === "invalid" ? "" : `${run(c.base, t).ok ? "ok" : "KO"}/${run(c.variant, t).ok ? "ok" : "KO"}`,
        });
      }
    }
    if (process.env.FIELD_COVERAGE_REPORT)
      console.log(
        rows
          .map(
            (r) =>
              `${t.mesh.padEnd(13)} ${r.verdict.padEnd(11)} ${r.ok.padEnd(5)} ${r.key} [${r.label}]${r.verdict === "refused" ? ` (${refusedAt.get(`${t.mesh} ${r.key.slice(r.key.indexOf(":") + 1)} ${r.label}`)})` : ""}`,
          )
          .join("\n"),
      );
    const exemptions = [...ALLOWED, ...KNOWN_GAPS].filter((e) => meshMatches(e.mesh, t));
    const silent = rows
      .filter((r) => r.verdict === "silent" && !exemptions.some((e) => exempts(e, t, r.key, r.label)))
      .map((r) => `${r.key} [${r.label}]: same output and same diagnostics`);
    // Every (field, case) an exemption covers on this target must still be silent: otherwise the
    // exemption is stale (the field has an effect now) and must be narrowed or deleted.
    const stale = exemptions.flatMap((e) => {
      const covered = rows.filter((r) => exempts(e, t, r.key, r.label));
      const list = KNOWN_GAPS.includes(e) ? "KNOWN_GAPS" : "ALLOWED";
      if (covered.length === 0) return [`${list} ${e.mesh} ${e.field}${e.cases ? ` [${e.cases.join(" | ")}]` : ""}: matches no field or case`];
      return covered
        .filter((r) => r.verdict !== "silent")
        .map((r) => `${list} ${e.mesh} ${e.field}: ${r.key} [${r.label}] is no longer silent on ${t.mesh} (${r.verdict}): narrow or delete the entry`);
    });
    expect(silent, `fields silently dropped by ${t.mesh}: fix the adapter, or add a reasoned ALLOWED entry`).toEqual([]);
    expect(stale, "exemptions no longer needed").toEqual([]);
  });
});
