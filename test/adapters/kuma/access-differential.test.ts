/**
 * Randomized DIFFERENTIAL test of access decisions: Kuma (the MeshTrafficPermissions and MeshTLS policies the
 * kuma adapter generates, decided by an independent oracle of Kuma's documented semantics,
 * test/support/kuma-authz-oracle.ts) against the built-in proxy (the model, decided by `explain`, which decides
 * as the running proxy).
 *
 * From fixed seeds: random schema-valid models from the generator of the Istio test (test/support/access-model.ts)
 * without what the Kuma adapter refuses outright (RequestAuthentications and end-user conditions, negated
 * conditions, IP blocks, method/path/port/header conditions, mode disabled, per-port mTLS modes), with mTLS
 * policies drawn more often (the adapter refuses an AccessPolicy on a destination that is not strict),
 * translated for a random mesh name, system namespace and trust domain; and edge-biased requests (those of the
 * Istio test). A model the adapter refuses (an error) is skipped and counted. A request where the two disagree
 * is a finding, with its seed, a minimized model and the request, unless it is excused (see `excuse`): Kuma
 * stricter where the adapter warned about that destination (most of them: a destination no AccessPolicy
 * selects, which Kuma closes under a MeshIdentity). Findings where Kuma is the more permissive side (access
 * widened) are counted apart from those where it is stricter.
 *
 * The world both sides are asked about (the one the adapter's preconditions warning describes):
 * - When the translation has a MeshTrafficPermission or a MeshTLS, every workload has a MeshIdentity of the
 *   trust domain unimesh is given (the model's trust domain), path template
 *   `/ns/{{ .Namespace }}/sa/{{ .ServiceAccount }}` (Kuma's Kubernetes one), and the mesh trusts that trust
 *   domain only; otherwise the mesh has no mTLS (nothing the translation relies on needs it). The cluster has
 *   no Kuma policy but unimesh's (no MeshTrafficPermission or MeshTLS of its own; the default mesh's legacy
 *   allow-all TrafficPermission is ignored under MeshIdentity).
 * - Pods and ports as in the Istio test (World): each service's pods carry its selector (and Kuma copies pod
 *   labels to the Dataplane); two services whose selectors may meet share a pod; a request to Service port P
 *   arrives at the inbound of pod port targetPort(P); Kuma's decision is taken on every pod the request may
 *   reach.
 * - Callers: a workload caller is a meshed pod: it sends mutual TLS with the SPIFFE ID
 *   `spiffe://<trust domain>/ns/<ns>/sa/<sa>`; `unauthenticated` is an unmeshed client in plaintext.
 * Out of scope: TrafficPolicies (outbound routes: MeshHTTPRoute decides at the caller, not at the inbound),
 * rate limits and faults, zone proxies and gateways, federated trust domains (MeshTrust), Kuma objects unimesh
 * did not write.
 */
import { describe, expect, test } from "vitest";
import { loadModel, translate, kuma, type Diagnostic } from "../../../src/index.js";
import type { Model } from "../../../src/api/model.js";
import { explain, type ExplainRequest } from "../../../src/inspect/explain.js";
import { compileModel } from "../../../src/inspect/local-mesh.js";
import { prng } from "../../support/prng.js";
import { type KumaObject, kumaAuthorize } from "../../support/kuma-authz-oracle.js";
import {
  type Doc,
  type GenOptions,
  type Req,
  PORT_SETS,
  World,
  minimize,
  pick,
  randomModel,
  randomRequest,
  requestPaths,
  signTokens,
} from "../../support/access-model.js";

/** The mesh a model is translated for and decided in. */
interface Mesh {
  trustDomain: string;
  meshName: string;
  systemNamespace: string;
}
const DEFAULT_MESH: Mesh = { trustDomain: "cluster.local", meshName: "default", systemNamespace: "kuma-system" };
const describeMesh = (m: Mesh) => `Kuma 2.14, trustDomain ${m.trustDomain}, meshName ${m.meshName}, systemNamespace ${m.systemNamespace}`;

/** What the Kuma adapter refuses outright is not drawn (GenOptions); mTLS policies more often, mostly strict. */
const GEN: GenOptions = {
  negations: false,
  endUser: false,
  ipBlocks: false,
  requestConditions: false,
  portModes: false,
  modes: ["strict", "strict", "strict", "strict", "strict", "permissive"],
  mtlsOdds: { namespace: 0.9, mesh: 0.6, service: 0.15 },
  // Undeclared ports (an error for a policy on one port) once in twelve draws.
  portSets: [...PORT_SETS, ...PORT_SETS.filter((x) => x !== undefined)],
};

type Outcome = "allowed" | "denied";
interface Decision {
  outcome: Outcome;
  reason: string;
}

/** The oracle's decision on the Kuma translation, on every pod the request may reach (the first that differs from `expect`, else the first). */
function kumaDecision(objects: KumaObject[], w: World, req: Req, mesh: Mesh, expect?: Outcome): Decision {
  const e = req.explain;
  const svc = w.services.get(`${e.to.namespace}/${e.to.service}`)!;
  const podPort = svc.ports?.find((p) => p.port === e.to.port)?.targetPort ?? e.to.port;
  const out: Decision[] = [];
  const spiffeId = e.from === "unauthenticated" ? undefined : `spiffe://${mesh.trustDomain}/ns/${e.from.namespace}/sa/${e.from.serviceAccount}`;
  // The workloads have a MeshIdentity when the translation relies on one (its preconditions note); without
  // MeshTrafficPermission and MeshTLS, the mesh is taken to have no mTLS.
  const identity = objects.some((o) => o.kind === "MeshTrafficPermission" || o.kind === "MeshTLS");
  for (const labels of w.podsOf(svc)) {
    const d = kumaAuthorize(
      objects,
      { workload: { namespace: e.to.namespace, labels }, inbound: { port: podPort }, client: spiffeId ? { spiffeId } : {} },
      { systemNamespace: mesh.systemNamespace, mesh: mesh.meshName, workloadIdentity: identity, trustDomains: [mesh.trustDomain] },
    );
    out.push({
      outcome: d.allowed ? "allowed" : "denied",
      reason: `${d.reason} [pod ${JSON.stringify(labels)}, port ${podPort}${spiffeId ? `, ${spiffeId}` : ", plaintext"}]`,
    });
  }
  return out.find((d) => d.outcome !== expect) ?? out[0];
}

async function builtinDecision(model: Model, req: Req): Promise<Decision> {
  const e = await explain(model, req.explain);
  return { outcome: e.decision, reason: e.reason };
}

type Prepared =
  | { kind: "invalid" | "refused" | "builtin-refused" | "crash"; why: string }
  | { kind: "ok"; docs: Doc[]; model: Model; kuma: KumaObject[]; diagnostics: Diagnostic[]; ports: Map<string, number[]>; world: World };

/** Loads and translates a model (Kuma with the mesh's settings; the model compiled for the built-in proxy). */
function prepare(docs: Doc[], mesh: Mesh): Prepared {
  const text = docs.map((d) => JSON.stringify(d)).join("\n---\n");
  const loaded = loadModel([{ file: "model.yaml", text }], { trustDomain: mesh.trustDomain });
  const errs = (ds: Diagnostic[]) =>
    ds
      .filter((d) => d.severity === "error")
      .map((d) => `${d.code}: ${d.message}`)
      .join("; ");
  if (!loaded.ok) return { kind: "invalid", why: errs(loaded.diagnostics) };
  let t;
  try {
    t = translate(loaded.model, { adapter: kuma, version: "2.14", settings: { meshName: mesh.meshName, systemNamespace: mesh.systemNamespace } });
  } catch (err) {
    return { kind: "crash", why: String(err).split("\n")[0] };
  }
  if (!t.ok) return { kind: "refused", why: errs(t.diagnostics) };
  let compiled;
  try {
    compiled = compileModel(loaded.model).compiled;
  } catch (err) {
    return { kind: "builtin-refused", why: String(err) };
  }
  const world = new World(docs);
  const ports = new Map<string, number[]>();
  for (const key of world.services.keys()) {
    const svc = compiled.services.get(key);
    if (svc)
      ports.set(
        key,
        svc.ports.map((p) => p.port),
      );
  }
  return { kind: "ok", docs, model: loaded.model, kuma: t.resources as KumaObject[], diagnostics: t.diagnostics, ports, world };
}

/**
 * Why a disagreement is no finding, if it is not: Kuma is the stricter side and the adapter warned about this
 * destination:
 * - no AccessPolicy selects it (the model admits every request) and Kuma, with the MeshIdentity its rules need,
 *   denies every mutual-TLS request to an inbound no MeshTrafficPermission with `rules` selects
 *   (`adapter/conflict/access.default-deny`);
 * - no MTLSPolicy applies to it (the model accepts plaintext) and Kuma's mode without MeshTLS is Strict
 *   (`adapter/conflict/mtls.default-strict`): plaintext refused;
 * - pods shared with a service the model keeps apart, or a looser mTLS mode served stricter
 *   (`access.shared-pod(s)`, `mtls.shared-pods`, `adapter/conflict/mtls`).
 */
function excuse(p: Extract<Prepared, { kind: "ok" }>, req: Req, kD: Decision): string | undefined {
  if (kD.outcome !== "denied") return undefined;
  const e = req.explain;
  const me = `${e.to.namespace}/${e.to.service}`;
  const at = (d: Diagnostic) => (d.documentIndex === undefined ? undefined : p.docs[d.documentIndex]);
  const named = new RegExp(`${me.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![-a-z0-9])`);
  const about = (d: Diagnostic) => named.test(d.message) || (at(d)?.metadata.namespace === e.to.namespace && at(d)?.spec.destination?.service === e.to.service);
  const warned = p.diagnostics.filter((d) => d.severity === "warning");
  const find = (code: RegExp) => warned.find((d) => code.test(d.code) && about(d));
  if (/^no MeshTrafficPermission with rules selects the inbound/.test(kD.reason)) {
    const w = find(/^adapter\/conflict\/access\.default-deny$/);
    if (w) return `warned: ${w.code}`;
  }
  if (/^plaintext connection refused/.test(kD.reason)) {
    const w = find(/^adapter\/conflict\/mtls\.default-strict$/);
    if (w) return `warned: ${w.code}`;
  }
  const w = find(/shared-pod|^adapter\/conflict\/mtls(\.shared-pods)?$/);
  return w ? `warned: ${w.code}` : undefined;
}

interface Finding {
  seed: number;
  mesh: Mesh;
  docs: Doc[];
  req: Req;
  kuma: Decision;
  builtin: Decision;
}

async function compare(docs: Doc[], req: Req, mesh: Mesh): Promise<{ kuma: Decision; builtin: Decision; excuse?: string } | undefined> {
  const p = prepare(docs, mesh);
  if (p.kind !== "ok") return undefined;
  if (!p.ports.get(`${req.explain.to.namespace}/${req.explain.to.service}`)?.includes(req.explain.to.port)) return undefined;
  const b = await builtinDecision(p.model, req);
  const k = kumaDecision(p.kuma, p.world, req, mesh, b.outcome);
  if (k.outcome === b.outcome) return undefined;
  const x = excuse(p, req, k);
  return { kuma: k, builtin: b, ...(x ? { excuse: x } : {}) };
}

async function describeCrash(seed: number, start: Doc[], mesh: Mesh, why: string): Promise<string> {
  const docs = await minimize(start, async (c) => {
    const p = prepare(c, mesh);
    return p.kind === "crash" && p.why === why;
  });
  return `seed ${seed} (${describeMesh(mesh)}): the Kuma adapter crashes: ${why}\nminimal model:\n${docs.map((d) => JSON.stringify(d)).join("\n---\n")}`;
}

async function describeFinding(f: Finding): Promise<string> {
  const docs = await minimize(f.docs, async (c) => {
    const d = await compare(c, f.req, f.mesh);
    return d !== undefined && !d.excuse && d.kuma.outcome === f.kuma.outcome;
  });
  const again = await compare(docs, f.req, f.mesh);
  const p = prepare(docs, f.mesh);
  const objs = p.kind === "ok" ? p.kuma.filter((o) => o.kind === "MeshTrafficPermission" || o.kind === "MeshTLS") : [];
  return [
    `seed ${f.seed} (${describeMesh(f.mesh)}): Kuma ${f.kuma.outcome}, built-in ${f.builtin.outcome}`,
    `request: ${JSON.stringify(f.req.explain)}`,
    `Kuma (oracle): ${again?.kuma.reason ?? f.kuma.reason}`,
    `built-in (explain): ${again?.builtin.reason ?? f.builtin.reason}`,
    `minimal model:\n${docs.map((d) => JSON.stringify(d)).join("\n---\n")}`,
    `Kuma objects:\n${objs.map((o) => JSON.stringify({ kind: o.kind, metadata: { name: o.metadata.name, namespace: o.metadata.namespace }, spec: o.spec })).join("\n")}`,
  ].join("\n");
}

/** The kinds of decision of the built-in proxy (explain's reasons), which the generator must all reach. */
const OUTCOMES: [string, RegExp][] = [
  ["allowed: no AccessPolicy", /^allowed: allowed: no AccessPolicy selects/],
  ["allowed by an allow rule", /^allowed: allowed by the allow rule/],
  ["denied by a deny rule", /^denied: denied by the deny rule/],
  ["denied by default", /^denied: denied by default/],
  ["denied: plaintext refused (strict)", /^denied: plaintext connection refused/],
];

/** Fixed by default; ACCESS_DIFF_MODELS and ACCESS_DIFF_FIRST_SEED explore further by hand (not in CI). */
const MODELS = Number(process.env.ACCESS_DIFF_MODELS ?? 3000);
const FIRST_SEED = Number(process.env.ACCESS_DIFF_FIRST_SEED ?? 1);
const REQUESTS = 40;

function meshOf(rnd: () => number): Mesh {
  return {
    trustDomain: pick(rnd, ["cluster.local", "cluster.local", "default.zone-1.mesh.local", "prod.example.org"]),
    meshName: rnd() < 0.8 ? "default" : "prod",
    systemNamespace: rnd() < 0.8 ? "kuma-system" : "kong-mesh-system",
  };
}

describe("Kuma's access decisions (oracle of the documented semantics) = the built-in proxy's (explain)", () => {
  test(`${MODELS} random models × ${REQUESTS} requests`, async () => {
    const tokens = await signTokens();
    const stats = {
      models: 0,
      invalid: 0,
      refused: 0,
      builtinRefused: 0,
      compared: 0,
      allowed: 0,
      denied: 0,
      agree: 0,
      excused: 0,
      kumaMorePermissive: 0,
      kumaMoreRestrictive: 0,
    };
    const refusals = new Map<string, number>();
    const excuses = new Map<string, number>();
    const invalid: string[] = [];
    const crashes: string[] = [];
    const kinds = new Map<string, number>();
    const findings: Finding[] = [];
    for (let seed = FIRST_SEED; seed < FIRST_SEED + MODELS; seed++) {
      const rnd = prng(seed * 6007);
      const docs = randomModel(rnd, GEN);
      const mesh = meshOf(rnd);
      stats.models++;
      const p = prepare(docs, mesh);
      if (p.kind === "crash") {
        crashes.push(await describeCrash(seed, docs, mesh, p.why));
        continue;
      }
      if (p.kind !== "ok") {
        if (p.kind === "invalid") invalid.push(`seed ${seed}: ${p.why}`);
        stats[p.kind === "invalid" ? "invalid" : p.kind === "refused" ? "refused" : "builtinRefused"]++;
        for (const m of p.why.matchAll(/((?:adapter|rule)\/[a-z-]+(?:\/[A-Za-z0-9.-]+)?):/g)) refusals.set(m[1], (refusals.get(m[1]) ?? 0) + 1);
        continue;
      }
      const paths = requestPaths(docs);
      for (let i = 0; i < REQUESTS; i++) {
        const req = randomRequest(rnd, paths, p.ports, tokens);
        const bD = await builtinDecision(p.model, req);
        const kD = kumaDecision(p.kuma, p.world, req, mesh, bD.outcome);
        stats.compared++;
        stats[bD.outcome]++;
        const kind = OUTCOMES.find(([, re]) => re.test(`${bD.outcome}: ${bD.reason}`))?.[0] ?? `other: ${bD.reason}`;
        kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
        if (kD.outcome === bD.outcome) {
          stats.agree++;
          continue;
        }
        const x = excuse(p, req, kD);
        if (x) {
          stats.excused++;
          excuses.set(x, (excuses.get(x) ?? 0) + 1);
          continue;
        }
        if (kD.outcome === "allowed") stats.kumaMorePermissive++;
        else stats.kumaMoreRestrictive++;
        if (findings.length < 8 && !findings.some((f) => f.seed === seed)) findings.push({ seed, mesh, docs, req, kuma: kD, builtin: bD });
      }
    }
    const report: string[] = [];
    for (const f of findings) report.push(await describeFinding(f));
    console.log(JSON.stringify(stats), "\nrefusals:", JSON.stringify([...refusals].sort((a, b) => b[1] - a[1])), "\nexcused:", JSON.stringify([...excuses]));
    console.log("built-in outcomes:", JSON.stringify([...kinds]));
    expect(invalid, invalid.join("\n")).toEqual([]);
    expect(crashes, crashes.join("\n\n")).toEqual([]);
    expect(report, report.join("\n\n")).toEqual([]);
    for (const [k] of OUTCOMES) expect(kinds.get(k) ?? 0, k).toBeGreaterThanOrEqual(30);
    expect(stats.compared).toBeGreaterThan(MODELS * 5);
  }, 300_000);
});

/**
 * Disagreements the randomized run found, minimized, kept as cases of their own (same comparison, one model and
 * one request each): `refused` where the fix is that the Kuma adapter refuses the model, `warned` where the fix
 * is a warning the excuse now finds (Kuma cannot say it exactly), `agree` where Kuma now decides as the
 * built-in proxy.
 */
describe("Kuma = built-in proxy: the cases found", () => {
  const H = { apiVersion: "unimesh.io/v1alpha1" };
  const strictTest = { ...H, kind: "MTLSPolicy", metadata: { name: "mtls-test", namespace: "test" }, spec: { mode: "strict" } };
  const cases: {
    name: string;
    docs: Doc[];
    req: ExplainRequest & { to: { port: number } };
    mesh?: Mesh;
    expect: "refused" | "warned" | "agree";
    refusal?: RegExp;
    excuse?: RegExp;
  }[] = [
    {
      // Constructed from seed 85: b's policy for its one port 80 is applied by Kuma to every inbound of b's
      // pods, b-v2's pod port 9090 on the pods both select too, where it added its allows to b-v2's rules:
      // Kuma allowed c, the model denies it (access widened).
      name: "a policy for b's one port, b-v2 sharing its pods with a pod port of its own: refused (Kuma would apply it there too)",
      docs: [
        { ...H, kind: "MeshService", metadata: { name: "b", namespace: "test" }, spec: { ports: [{ port: 80 }] } },
        { ...H, kind: "MeshService", metadata: { name: "b-v2", namespace: "test" }, spec: { selector: { app: "b" }, ports: [{ port: 9090 }] } },
        { ...H, kind: "AccessPolicy", metadata: { name: "ap-b", namespace: "test" }, spec: { destination: { service: "b", port: 80 }, allow: [{}] } },
        {
          ...H,
          kind: "AccessPolicy",
          metadata: { name: "ap-b-v2", namespace: "test" },
          spec: { destination: { service: "b-v2", port: 9090 }, allow: [{ source: { serviceAccounts: ["a"] } }] },
        },
        strictTest,
      ],
      req: { from: { namespace: "test", serviceAccount: "c" }, to: { namespace: "test", service: "b-v2", port: 9090 }, method: "GET", path: "/" },
      expect: "refused",
      refusal: /^adapter\/unsupported-value\/access\.port-scoped/,
    },
    {
      // Seed 85 as found: b's port-80 policy denying everyone also denied b-v2's callers on pod port 8080.
      name: "a deny-all policy for b's one port, b-v2 sharing some of its pods on another pod port: refused",
      docs: [
        { ...H, kind: "MeshService", metadata: { name: "b", namespace: "test" }, spec: { ports: [{ port: 80 }], selector: { app: "b", tier: "web" } } },
        {
          ...H,
          kind: "MeshService",
          metadata: { name: "b-v2", namespace: "test" },
          spec: { ports: [{ port: 80, targetPort: 8080 }], selector: { app: "b", version: "v2" } },
        },
        {
          ...H,
          kind: "AccessPolicy",
          metadata: { name: "ap2", namespace: "test" },
          spec: { destination: { service: "b", port: 80 }, allow: [{}], deny: [{}] },
        },
        { ...H, kind: "AccessPolicy", metadata: { name: "ns-test", namespace: "test" }, spec: { allow: [{ source: { namespaces: ["other"] } }] } },
        strictTest,
      ],
      req: { from: { namespace: "other", serviceAccount: "o" }, to: { namespace: "test", service: "b-v2", port: 80 }, method: "PROPFIND", path: "/" },
      expect: "refused",
      refusal: /^adapter\/unsupported-value\/access\.port-scoped/,
    },
    {
      // Seed 4: the MeshTLS means a MeshIdentity, under which Kuma denies an inbound no MeshTrafficPermission
      // selects; the preconditions note said an installation's allow-all would keep it open.
      name: "a destination no AccessPolicy selects: Kuma denies its mutual-TLS callers, warned (access.default-deny)",
      docs: [{ ...H, kind: "MTLSPolicy", metadata: { name: "mtls-a", namespace: "test" }, spec: { destination: { service: "a" }, mode: "permissive" } }],
      req: { from: { namespace: "other", serviceAccount: "a" }, to: { namespace: "test", service: "a", port: 80 }, method: "GET", path: "/" },
      mesh: { ...DEFAULT_MESH, trustDomain: "default.zone-1.mesh.local" },
      expect: "warned",
      excuse: /^warned: adapter\/conflict\/access\.default-deny$/,
    },
    {
      // Seed 1854 (minimized): no MTLSPolicy, so permissive in the model; Strict in Kuma under a MeshIdentity.
      name: "an allow-all AccessPolicy without MTLSPolicy: Kuma refuses plaintext callers, warned (mtls.default-strict)",
      docs: [{ ...H, kind: "AccessPolicy", metadata: { name: "ap", namespace: "other" }, spec: { destination: { service: "o" }, allow: [{}] } }],
      req: { from: "unauthenticated", to: { namespace: "other", service: "o", port: 80 }, method: "GET", path: "/" },
      expect: "warned",
      excuse: /^warned: adapter\/conflict\/mtls\.default-strict$/,
    },
    {
      // Constructed from the same run: b's own strict MeshTLS (Dataplane labels) outranks the namespace's
      // permissive one on the pods b-v2 shares; only a sharer with an MTLSPolicy of its own was warned.
      name: "b strict, b-v2 sharing its pods under a permissive namespace: plaintext to b-v2 refused there, warned (mtls.shared-pods)",
      docs: [
        { ...H, kind: "MeshService", metadata: { name: "b", namespace: "test" }, spec: { ports: [{ port: 80 }] } },
        { ...H, kind: "MeshService", metadata: { name: "b-v2", namespace: "test" }, spec: { selector: { app: "b" }, ports: [{ port: 80 }] } },
        { ...H, kind: "MTLSPolicy", metadata: { name: "mtls-test", namespace: "test" }, spec: { mode: "permissive" } },
        { ...H, kind: "MTLSPolicy", metadata: { name: "mtls-b", namespace: "test" }, spec: { destination: { service: "b" }, mode: "strict" } },
        { ...H, kind: "AccessPolicy", metadata: { name: "all", namespace: "test" }, spec: { allow: [{}] } },
      ],
      req: { from: "unauthenticated", to: { namespace: "test", service: "b-v2", port: 80 }, method: "GET", path: "/" },
      expect: "warned",
      excuse: /^warned: adapter\/conflict\/mtls\.shared-pods$/,
    },
    {
      // The same without the sharing: exact.
      name: "an allow-all namespace under a permissive MTLSPolicy, a strict service: plaintext refused by the strict one only",
      docs: [
        { ...H, kind: "MeshService", metadata: { name: "b", namespace: "test" }, spec: { ports: [{ port: 80 }] } },
        { ...H, kind: "MeshService", metadata: { name: "c", namespace: "test" }, spec: { ports: [{ port: 80 }] } },
        { ...H, kind: "MTLSPolicy", metadata: { name: "mtls-test", namespace: "test" }, spec: { mode: "permissive" } },
        { ...H, kind: "MTLSPolicy", metadata: { name: "mtls-b", namespace: "test" }, spec: { destination: { service: "b" }, mode: "strict" } },
        { ...H, kind: "AccessPolicy", metadata: { name: "all", namespace: "test" }, spec: { allow: [{}] } },
      ],
      req: { from: "unauthenticated", to: { namespace: "test", service: "c", port: 80 }, method: "GET", path: "/" },
      expect: "agree",
    },
  ];
  test.each(cases.map((c) => [c.name, c] as const))("%s", async (_n, c) => {
    const mesh = c.mesh ?? DEFAULT_MESH;
    const p = prepare(c.docs, mesh);
    if (c.expect === "refused") {
      expect(p.kind === "refused" ? p.why : `${p.kind}: ${JSON.stringify(await compare(c.docs, { explain: c.req }, mesh))}`).toMatch(c.refusal!);
      return;
    }
    expect(p.kind).toBe("ok");
    const d = await compare(c.docs, { explain: c.req }, mesh);
    if (c.expect === "warned") {
      expect(d?.excuse).toMatch(c.excuse!);
      return;
    }
    expect(d && `Kuma ${d.kuma.outcome} (${d.kuma.reason}), built-in ${d.builtin.outcome} (${d.builtin.reason})`).toBeUndefined();
  });
});
