/**
 * `explain` and the running built-in proxy decide the same: the same requests go through `explain` and
 * through a mesh on real sockets (through the caller's outbound listener, or in plaintext straight to
 * the destination's inbound listener for `unauthenticated`), and the outcomes are compared: who answers
 * (the app, which backend; a proxy, with which status; a refused connection) and which route was taken.
 * First Bookinfo's policies, then randomized policies and requests (seeded: a failure prints its seed).
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { loadModel } from "../../src/index.js";
import { explain, type ExplainRequest, type Explanation } from "../../src/inspect/explain.js";
import { closeAgents, meshConfig, rawCall, registry, startApp, startMesh, type App, type TestInstance } from "./support.js";
import type { ProxyRuntime } from "../../src/proxy/runtime.js";
import { prng } from "../support/prng.js";

/** What happened to a request: the app that answered (and the route header), a proxy's status, or a refused connection. */
type Outcome = { kind: "app"; app: string; route?: string } | { kind: "status"; status: number; body?: string } | { kind: "refused" };

/** The instances of the test mesh: name → service, labels. */
interface Inst {
  app: App;
  name: string;
  service: string;
  namespace: string;
  serviceAccount: string;
  labels?: Record<string, string>;
}

async function send(proxy: ProxyRuntime, insts: Inst[], req: ExplainRequest): Promise<Outcome> {
  const dest = insts.find((i) => i.service === req.to.service && i.namespace === req.to.namespace)!;
  let port: number;
  if (req.from === "unauthenticated") port = proxy.inboundPort(dest.service, dest.namespace, dest.app.port);
  else {
    const from = req.from;
    const caller = insts.find((i) => i.namespace === from.namespace && i.serviceAccount === from.serviceAccount)!;
    port = proxy.outboundPort(caller.service, caller.namespace, caller.app.port);
  }
  let a;
  try {
    a = await rawCall(port, `${req.to.service}.${req.to.namespace}:${req.to.port ?? 80}`, req.path, { method: req.method, headers: req.headers ?? {} });
  } catch {
    return { kind: "refused" };
  }
  if (Number.isNaN(a.status)) return { kind: "refused" };
  const app = insts.find((i) => a.status === 200 && a.body === i.name);
  if (app) return { kind: "app", app: app.name, ...(typeof a.headers["x-route"] === "string" ? { route: a.headers["x-route"] } : {}) };
  return { kind: "status", status: a.status, body: a.body };
}

/** Checks a proxy outcome against an explanation; returns a message when they disagree. */
function disagreement(e: Explanation, o: Outcome, insts: Inst[]): string | undefined {
  // A fault abort under 100% is drawn per request at the caller's proxy, before the destination decides:
  // explain reports its chance (e.faults), so that answer agrees too (Bookinfo's "flaky" route: 10% of /ratings/*).
  const f = e.faults;
  if (f?.abortPercent !== undefined && f.abortPercent < 100 && o.kind === "status" && o.status === f.abortStatus) return undefined;
  if (e.decision === "denied" && e.status === undefined) return o.kind === "refused" ? undefined : `explain: connection refused; proxy: ${JSON.stringify(o)}`;
  if (e.answeredBy !== "app") {
    if (o.kind !== "status" || o.status !== e.status) return `explain: ${e.status} from the ${e.answeredBy} (${e.reason}); proxy: ${JSON.stringify(o)}`;
    if (e.route?.directResponse && o.body !== (e.route.directResponse.value as { body?: string }).body) return `direct response body differs: ${o.body}`;
    return undefined;
  }
  if (o.kind !== "app") return `explain: the app answers (${e.reason}); proxy: ${JSON.stringify(o)}`;
  const dest = e.request.to;
  const candidates = insts
    .filter(
      (i) =>
        `${i.namespace}/${i.service}` === dest &&
        e.backends.some((b) => {
          if (b.weight <= 0) return false;
          const sub = e.route?.backends?.find((x) => x.subset === b.subset);
          return !sub?.labels || Object.entries(sub.labels).every(([k, v]) => i.labels?.[k] === v);
        }),
    )
    .map((i) => i.name);
  if (!candidates.includes(o.app)) return `explain: one of ${candidates.join(", ")}; proxy: ${o.app}`;
  if ((e.route?.name ?? undefined) !== o.route && o.route !== undefined) return `explain: route ${e.route?.name}; proxy: route ${o.route}`;
  if (e.route?.name && e.route.headers && o.route === undefined) return `explain: route ${e.route.name}; the proxy's answer has no x-route`;
  return undefined;
}

const BOOKINFO = join(import.meta.dirname, "../../examples/bookinfo");

describe("explain decides as the running proxy: Bookinfo", () => {
  const insts: Inst[] = [];
  let proxy: ProxyRuntime;
  const text = readdirSync(BOOKINFO)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) => readFileSync(join(BOOKINFO, f), "utf8"))
    .join("\n---\n");
  const model = loadModel([{ file: "bookinfo.yaml", text }]).model;
  beforeAll(async () => {
    const specs = [
      { name: "productpage", service: "productpage" },
      { name: "details", service: "details" },
      { name: "ratings", service: "ratings" },
      { name: "reviews-v1", service: "reviews", labels: { version: "v1" } },
      { name: "reviews-v2", service: "reviews", labels: { version: "v2" } },
      { name: "reviews-v3", service: "reviews", labels: { version: "v3" } },
    ];
    for (const s of specs)
      insts.push({
        app: await startApp(s.name),
        name: s.name,
        service: s.service,
        namespace: "bookinfo",
        serviceAccount: `bookinfo-${s.service}`,
        ...(s.labels ? { labels: s.labels } : {}),
      });
    const reg = registry(
      insts.map((i): TestInstance => ({
        service: i.service,
        namespace: "bookinfo",
        serviceAccount: i.serviceAccount,
        port: i.app.port,
        servicePort: 9080,
        outbound: true,
        ...(i.labels ? { labels: i.labels } : {}),
      })),
    );
    proxy = await startMesh(meshConfig(text, reg));
  });
  afterAll(async () => {
    await proxy?.stop();
    await closeAgents();
    await Promise.all(insts.map((i) => i.app.close()));
  });

  const cases: [string, ExplainRequest, "allowed" | "denied"][] = [
    [
      "productpage reads reviews",
      {
        from: { namespace: "bookinfo", serviceAccount: "bookinfo-productpage" },
        to: { namespace: "bookinfo", service: "reviews", port: 9080 },
        method: "GET",
        path: "/reviews/1",
      },
      "allowed",
    ],
    [
      "jason's reviews",
      {
        from: { namespace: "bookinfo", serviceAccount: "bookinfo-productpage" },
        to: { namespace: "bookinfo", service: "reviews", port: 9080 },
        method: "GET",
        path: "/reviews/1",
        headers: { "end-user": "jason" },
      },
      "allowed",
    ],
    [
      "ratings may not read reviews",
      {
        from: { namespace: "bookinfo", serviceAccount: "bookinfo-ratings" },
        to: { namespace: "bookinfo", service: "reviews", port: 9080 },
        method: "GET",
        path: "/reviews/1",
      },
      "denied",
    ],
    [
      "productpage may not POST to reviews",
      {
        from: { namespace: "bookinfo", serviceAccount: "bookinfo-productpage" },
        to: { namespace: "bookinfo", service: "reviews", port: 9080 },
        method: "POST",
        path: "/reviews/1",
      },
      "denied",
    ],
    [
      "reviews reads ratings",
      {
        from: { namespace: "bookinfo", serviceAccount: "bookinfo-reviews" },
        to: { namespace: "bookinfo", service: "ratings", port: 9080 },
        method: "GET",
        path: "/ratings/0",
      },
      "allowed",
    ],
    [
      "details may not read ratings",
      {
        from: { namespace: "bookinfo", serviceAccount: "bookinfo-details" },
        to: { namespace: "bookinfo", service: "ratings", port: 9080 },
        method: "GET",
        path: "/ratings/0",
      },
      "denied",
    ],
    [
      "anyone opens the product page",
      {
        from: { namespace: "bookinfo", serviceAccount: "bookinfo-ratings" },
        to: { namespace: "bookinfo", service: "productpage", port: 9080 },
        method: "GET",
        path: "/productpage",
      },
      "allowed",
    ],
    [
      "the admin pages are closed, dot segments or not",
      {
        from: { namespace: "bookinfo", serviceAccount: "bookinfo-reviews" },
        to: { namespace: "bookinfo", service: "productpage", port: 9080 },
        method: "GET",
        path: "/x/../admin/users",
      },
      "denied",
    ],
    [
      "an encoded slash is refused",
      {
        from: { namespace: "bookinfo", serviceAccount: "bookinfo-reviews" },
        to: { namespace: "bookinfo", service: "productpage", port: 9080 },
        method: "GET",
        path: "/admin%2Fusers",
      },
      "denied",
    ],
    [
      "plaintext on the strict namespace is refused",
      { from: "unauthenticated", to: { namespace: "bookinfo", service: "productpage", port: 9080 }, method: "GET", path: "/productpage" },
      "denied",
    ],
  ];
  test.each(cases)("%s", async (_name, req, decision) => {
    const e = await explain(model, req);
    expect(e.decision).toBe(decision);
    const o = await send(proxy, insts, req);
    expect(disagreement(e, o, insts)).toBeUndefined();
  });

  test("the canary: explain names v1 90% and v3 10%, and the proxy answers from those two only", async () => {
    const req = cases[0][1];
    const e = await explain(model, req);
    expect(e.route?.name).toBe("canary");
    expect(e.backends.map((b) => [b.subset, b.weight, b.decision])).toEqual([
      ["v1", 90, "allowed"],
      ["v3", 10, "allowed"],
    ]);
    const seen = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const o = await send(proxy, insts, req);
      expect(disagreement(e, o, insts)).toBeUndefined();
      if (o.kind === "app") seen.add(o.app);
    }
    expect(seen.has("reviews-v1")).toBe(true);
    expect(seen.has("reviews-v2")).toBe(false);
  });
});

const SERVICES = [
  { service: "a", namespace: "test" },
  { service: "b", namespace: "test" },
  { service: "c", namespace: "test" },
  { service: "o", namespace: "other" },
];
const PATHS = [
  "/",
  "/p",
  "/p/x",
  "/p/x/y.png",
  "/q/1",
  "/admin",
  "/admin/x",
  "/p/../admin/x",
  "//admin/x",
  "/p/%2e%2e/admin",
  "/a%2Fb",
  "/p/x?y=1",
  "/logo.png",
  "/pq",
];
const RULE_PATHS = ["/p/*", "/p*", "*.png", "/admin/*", "/q/1", "*", "/admin"];
const METHODS = ["GET", "POST", "DELETE", "PUT"];

/** Random valid policies for SERVICES (b has subsets v1 and v2). */
function randomPolicies(rnd: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const some = <T>(xs: readonly T[], max = 2): T[] => [...new Set(Array.from({ length: 1 + Math.floor(rnd() * max) }, () => pick(xs)))];
  // The services are declared (explain, like inspect, refuses a service the policies do not know).
  const docs: string[] = SERVICES.map((s) =>
    JSON.stringify({ apiVersion: "unimesh.io/v1alpha1", kind: "MeshService", metadata: { name: s.service, namespace: s.namespace }, spec: {} }),
  );
  const source = () =>
    pick([
      undefined,
      { serviceAccounts: [pick(["a", "b", "c"])] },
      { serviceAccounts: ["*"] },
      { namespaces: ["other"] },
      { serviceAccounts: some(["a", "b", "c", "other/o"]) },
      { notServiceAccounts: [pick(["a", "b"])] },
    ]);
  const rule = () => {
    const r: Record<string, unknown> = {};
    const s = source();
    if (s) r.source = s;
    if (rnd() < 0.4) r.methods = some(METHODS);
    if (rnd() < 0.5) r.paths = some(RULE_PATHS);
    if (rnd() < 0.15) r.notPaths = some(RULE_PATHS);
    if (rnd() < 0.15) r.notMethods = [pick(METHODS)];
    if (rnd() < 0.2) r.headers = { "x-h": [pick(["v1", "v2"])] };
    if (rnd() < 0.1) r.notHeaders = { "x-h": ["v2"] };
    return r;
  };
  let n = 0;
  for (const s of SERVICES) {
    if (rnd() < 0.3) continue;
    for (let k = 0; k < 1 + Math.floor(rnd() * 2); k++) {
      const allow = Array.from({ length: Math.floor(rnd() * 3) }, rule);
      const deny = rnd() < 0.4 ? [rule()] : [];
      docs.push(
        JSON.stringify({
          apiVersion: "unimesh.io/v1alpha1",
          kind: "AccessPolicy",
          metadata: { name: `ap${n++}`, namespace: s.namespace },
          spec: { destination: { service: s.service }, ...(allow.length ? { allow } : {}), ...(deny.length ? { deny } : {}) },
        }),
      );
    }
  }
  if (rnd() < 0.3)
    docs.push(
      JSON.stringify({ apiVersion: "unimesh.io/v1alpha1", kind: "AccessPolicy", metadata: { name: "ns-wide", namespace: "other" }, spec: { allow: [rule()] } }),
    );
  for (const ns of ["test", "other"])
    if (rnd() < 0.5)
      docs.push(
        JSON.stringify({
          apiVersion: "unimesh.io/v1alpha1",
          kind: "MTLSPolicy",
          metadata: { name: `mtls-${ns}`, namespace: ns },
          spec: { mode: pick(["strict", "permissive", "permissive", "disabled"]) },
        }),
      );
  if (rnd() < 0.3)
    docs.push(
      JSON.stringify({
        apiVersion: "unimesh.io/v1alpha1",
        kind: "MTLSPolicy",
        metadata: { name: "mtls-b", namespace: "test" },
        spec: { destination: { service: "b" }, mode: pick(["strict", "permissive", "disabled"]) },
      }),
    );
  for (const s of SERVICES) {
    if (rnd() < 0.35) continue;
    const routes = Array.from({ length: 1 + Math.floor(rnd() * 3) }, (_, i) => {
      const name = `${s.service}-r${i}`;
      const route: Record<string, unknown> = { name };
      const m: Record<string, unknown> = {};
      if (rnd() < 0.5) m.path = pick([{ prefix: "/p" }, { exact: "/p/x" }, { regex: "/q/.*" }, { prefix: "/admin" }]);
      if (rnd() < 0.3) m.headers = { "x-h": { exact: pick(["v1", "v2"]) } };
      if (rnd() < 0.2) m.method = pick(METHODS);
      if (Object.keys(m).length) route.match = m;
      const kind = rnd();
      if (kind < 0.12) route.directResponse = { status: pick([200, 404, 418, 503]), body: name };
      else if (kind < 0.2) route.redirect = { path: "/elsewhere", statusCode: pick([301, 302]) };
      else {
        if (s.service === "b")
          route.split = pick([
            [{ subset: { version: "v1" }, weight: 100 }],
            [{ subset: { version: "v2" }, weight: 100 }],
            [
              { subset: { version: "v1" }, weight: 50 },
              { subset: { version: "v2" }, weight: 50 },
            ],
          ]);
        route.headers = { response: { set: { "x-route": name } } };
        if (rnd() < 0.1) route.faultInjection = { abort: { httpStatus: 418, percent: 100 } };
      }
      return route;
    });
    const src = rnd() < 0.25 ? { source: { serviceAccounts: [pick(["a", "b", "c"])] } } : {};
    docs.push(
      JSON.stringify({
        apiVersion: "unimesh.io/v1alpha1",
        kind: "TrafficPolicy",
        metadata: { name: `tp-${s.service}`, namespace: s.namespace },
        spec: { ...src, destination: { service: s.service }, routes },
      }),
    );
  }
  return docs.join("\n---\n");
}

function randomRequest(rnd: () => number): ExplainRequest {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const to = pick(SERVICES);
  const from =
    rnd() < 0.15
      ? ("unauthenticated" as const)
      : pick([
          { namespace: "test", serviceAccount: "a" },
          { namespace: "test", serviceAccount: "b" },
          { namespace: "test", serviceAccount: "c" },
          { namespace: "other", serviceAccount: "o" },
        ]);
  const headers: Record<string, string> = {};
  if (rnd() < 0.4) headers["x-h"] = pick(["v1", "v2", "v3"]);
  return { from, to: { namespace: to.namespace, service: to.service, port: 80 }, method: pick(METHODS), path: pick(PATHS), headers };
}

describe("explain decides as the running proxy: randomized policies and requests", () => {
  const insts: Inst[] = [];
  let proxy: ProxyRuntime;
  let reg: ReturnType<typeof registry>;
  beforeAll(async () => {
    const specs = [
      { name: "a", service: "a", namespace: "test" },
      { name: "b-v1", service: "b", namespace: "test", labels: { version: "v1" } },
      { name: "b-v2", service: "b", namespace: "test", labels: { version: "v2" } },
      { name: "c", service: "c", namespace: "test" },
      { name: "o", service: "o", namespace: "other" },
    ];
    for (const s of specs)
      insts.push({
        app: await startApp(s.name),
        name: s.name,
        service: s.service,
        namespace: s.namespace,
        serviceAccount: s.service,
        ...(s.labels ? { labels: s.labels } : {}),
      });
    reg = registry(
      insts.map((i): TestInstance => ({
        service: i.service,
        namespace: i.namespace,
        port: i.app.port,
        outbound: true,
        ...(i.labels ? { labels: i.labels } : {}),
      })),
    );
    proxy = await startMesh(meshConfig("", reg));
  });
  afterAll(async () => {
    await proxy?.stop();
    await closeAgents();
    await Promise.all(insts.map((i) => i.app.close()));
  });

  test("20 random policy sets × 40 random requests: same outcome, every request", async () => {
    let compared = 0;
    const outcomes = new Set<string>();
    for (let seed = 1; seed <= 20; seed++) {
      const rnd = prng(seed * 7919);
      const yaml = randomPolicies(rnd);
      const loaded = loadModel([{ file: `seed-${seed}.yaml`, text: yaml }]);
      expect(
        loaded.ok,
        `seed ${seed}: ${loaded.diagnostics
          .filter((d) => d.severity === "error")
          .map((d) => d.message)
          .join("; ")}`,
      ).toBe(true);
      const r = await proxy.reload(meshConfig(yaml, reg));
      expect(r.ok, `seed ${seed}: reload ${JSON.stringify(r.diagnostics)}`).toBe(true);
      for (let i = 0; i < 40; i++) {
        const req = randomRequest(rnd);
        const e = await explain(loaded.model, req);
        const o = await send(proxy, insts, req);
        const why = disagreement(e, o, insts);
        expect(why, `seed ${seed}, request ${JSON.stringify(req)}\npolicies:\n${yaml}`).toBeUndefined();
        outcomes.add(e.decision === "denied" ? `denied ${e.status ?? "refused"}` : `${e.answeredBy} ${e.status ?? ""}`);
        compared++;
      }
    }
    expect(compared).toBe(800);
    // The generator reaches every kind of outcome (else the comparison proves little).
    for (const k of ["app ", "denied 403", "denied refused", "denied 400"]) expect([...outcomes]).toContain(k);
    expect([...outcomes].some((k) => k.startsWith("caller-proxy"))).toBe(true);
  }, 120_000);
});

describe("explain decides as the running proxy: request authentication (JWT, Istio's sample tokens)", () => {
  const FIX = join(import.meta.dirname, "fixtures/istio-jwt");
  const read = (f: string) => readFileSync(join(FIX, f), "utf8").trim();
  const DEMO = read("demo.jwt");
  const GROUPS_SCOPE = read("groups-scope.jwt");
  const policies = [
    { apiVersion: "unimesh.io/v1alpha1", kind: "MeshService", metadata: { name: "secure", namespace: "jwt" }, spec: {} },
    { apiVersion: "unimesh.io/v1alpha1", kind: "MeshService", metadata: { name: "client", namespace: "jwt" }, spec: {} },
    {
      apiVersion: "unimesh.io/v1alpha1",
      kind: "RequestAuthentication",
      metadata: { name: "secure-jwt", namespace: "jwt" },
      spec: { destination: { service: "secure" }, issuers: [{ issuer: "testing@secure.istio.io", jwks: read("samples-jwks.json") }] },
    },
    {
      apiVersion: "unimesh.io/v1alpha1",
      kind: "AccessPolicy",
      metadata: { name: "group1-only", namespace: "jwt" },
      spec: { destination: { service: "secure" }, allow: [{ requestPrincipals: ["testing@secure.istio.io/*"], claims: { groups: ["group1"] } }] },
    },
  ]
    .map((d) => JSON.stringify(d))
    .join("\n---\n");
  const model = loadModel([{ file: "jwt.yaml", text: policies }]).model;
  const insts: Inst[] = [];
  let proxy: ProxyRuntime;
  beforeAll(async () => {
    for (const s of ["secure", "client"]) insts.push({ app: await startApp(s), name: s, service: s, namespace: "jwt", serviceAccount: s });
    proxy = await startMesh(
      meshConfig(policies, registry(insts.map((i): TestInstance => ({ service: i.service, namespace: "jwt", port: i.app.port, outbound: true })))),
    );
  });
  afterAll(async () => {
    await proxy?.stop();
    await closeAgents();
    await Promise.all(insts.map((i) => i.app.close()));
  });
  const tampered = DEMO.slice(0, -4) + (DEMO.endsWith("AAAA") ? "BBBB" : "AAAA");
  test.each([
    ["no token: no principal, denied by default", undefined, "denied", 403],
    ["the demo token: a principal, but not in group1", DEMO, "denied", 403],
    ["the groups-scope token: group1", GROUPS_SCOPE, "allowed", undefined],
    ["a tampered signature: 401 before access", tampered, "denied", 401],
    ["not a JWT: 401", "abc.def", "denied", 401],
  ] as const)("%s", async (_n, token, decision, status) => {
    const req: ExplainRequest = {
      from: { namespace: "jwt", serviceAccount: "client" },
      to: { namespace: "jwt", service: "secure", port: 80 },
      method: "GET",
      path: "/x",
      headers: token ? { authorization: `Bearer ${token}` } : {},
    };
    const e = await explain(model, req);
    expect(e.decision).toBe(decision);
    expect(e.status).toBe(status);
    expect(disagreement(e, await send(proxy, insts, req), insts)).toBeUndefined();
  });
});
