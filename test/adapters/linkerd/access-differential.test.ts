/**
 * Randomized DIFFERENTIAL test of access decisions: Linkerd (the Servers, AuthorizationPolicies,
 * MeshTLSAuthentications, NetworkAuthentications, inbound HTTPRoutes and Namespace default-policy patches the
 * linkerd adapter generates, decided by an independent oracle of Linkerd's documented semantics,
 * test/support/linkerd-authz-oracle.ts) against the built-in proxy (the model, decided by `explain`, which
 * decides as the running proxy).
 *
 * From fixed seeds: random schema-valid models from the generator of the Istio test (test/support/access-model.ts)
 * without what the Linkerd adapter refuses outright (RequestAuthentications and end-user conditions, negated
 * conditions but notPorts, mesh-wide policies, mode disabled, methods outside Gateway API's; namespace-wide
 * AccessPolicies mostly in the shapes a default inbound policy can say), translated for a random Linkerd
 * version (2.14 and 2.15: Server v1beta1 without accessPolicy; 2.16+: v1beta3) and trust domain, decided in a
 * cluster whose default inbound policy (proxy.defaultInboundPolicy) is mostly Linkerd's default; and
 * edge-biased requests (those of the Istio test). A model the adapter refuses (an error) is skipped and
 * counted. A request where the two disagree is a finding, with its seed, a minimized model and the request,
 * unless it is excused (see `excuse`): Linkerd stricter where the adapter warned about that destination, or
 * where the cluster's own default policy is stricter than Linkerd's default; or a path spelled otherwise than
 * its normalized form (linkerd2-proxy matches paths as sent), which the adapter warns about on path rules.
 * Disagreements where Linkerd is the more permissive side are counted apart (security).
 *
 * The world both sides are asked about:
 * - Pods and ports as in the Istio test (World): each service's pods carry its selector; two services whose
 *   selectors may meet share a pod; a request to Service port P arrives at pod port targetPort(P); Linkerd's
 *   decision is taken on every pod the request may reach.
 * - Callers: a workload caller is a meshed pod: Linkerd's automatic mTLS gives it the identity
 *   `<sa>.<ns>.serviceaccount.identity.linkerd.<trust domain>`; `unauthenticated` is an unmeshed client in
 *   plaintext. Every caller's address is 127.0.0.1 for network matching (what the built-in proxy sees on
 *   one machine), inside the cluster's networks; callers are other pods, never the destination pod's own
 *   loopback (which linkerd2-proxy always admits).
 * - Headers: a name sent twice in different case is two header lines for Linkerd (it matches each line) and
 *   one comma-joined header for the built-in proxy (explain); paths as generated (Linkerd sees them as sent).
 * Out of scope: kubelet probes (Linkerd's default probe routes), gRPC and opaque ports (the generator
 * declares no protocol), TrafficPolicies (outbound routes), rate limits, virtual meshes, pod annotations, and
 * Linkerd objects unimesh did not write.
 */
import { describe, test } from "vitest";
import { translate, linkerd, type Diagnostic } from "../../../src/index.js";
import type { ExplainRequest } from "../../../src/inspect/explain.js";
import { type DefaultPolicy, type LinkerdObject, linkerdAuthorize } from "../../support/linkerd-authz-oracle.js";
import { type Doc, type GenOptions, type Req, type Rnd, METHODS, PORT_SETS, type World, pick } from "../../support/access-model.js";
import type { AccessDiff, BuiltinOutcome, Decision, Outcome, Prepared, PreparedOk } from "../../support/access-diff-harness.js";
import { checkCase, prepareModel, randomizedTest } from "../../support/access-diff-harness.js";

/** The cluster a model is translated for and decided in. */
interface Mesh {
  version: string;
  trustDomain: string;
  clusterDefault: DefaultPolicy;
}
const DEFAULT_MESH: Mesh = { version: "2.20", trustDomain: "cluster.local", clusterDefault: "all-unauthenticated" };
const describeMesh = (m: Mesh) => `Linkerd ${m.version}, trustDomain ${m.trustDomain}, proxy.defaultInboundPolicy ${m.clusterDefault}`;
/** The cluster's networks: the callers' address is one of them. */
const CLUSTER_NETWORKS = ["127.0.0.0/8", "10.0.0.0/8"];

/** What the Linkerd adapter refuses outright is not drawn (GenOptions). */
const GEN: GenOptions = {
  negations: false,
  endUser: false,
  meshScope: false,
  modes: ["strict", "permissive"],
  ruleMethods: METHODS.filter((m) => m !== "PROPFIND"),
  namespaceWide: "defaults",
  // Undeclared ports (an error for a policy on every port) only once in seven draws, as for Istio, once in twelve here.
  portSets: [...PORT_SETS, ...PORT_SETS.filter((x) => x !== undefined)],
};

/** The oracle's decision, and whether it found Linkerd's documented semantics ambiguous there (counted: `ambiguous`). */
interface LinkerdDecision extends Decision {
  ambiguous?: boolean;
}

/** The oracle's decision on the Linkerd translation, on every pod the request may reach (the first that differs from `expect`, else the first). */
function linkerdDecision(objects: LinkerdObject[], w: World, req: Req, mesh: Mesh, expect?: Outcome): LinkerdDecision {
  const e = req.explain;
  const svc = w.services.get(`${e.to.namespace}/${e.to.service}`)!;
  const podPort = svc.ports?.find((p) => p.port === e.to.port)?.targetPort ?? e.to.port;
  const out: LinkerdDecision[] = [];
  for (const labels of w.podsOf(svc)) {
    const identity =
      e.from === "unauthenticated" ? undefined : `${e.from.serviceAccount}.${e.from.namespace}.serviceaccount.identity.linkerd.${mesh.trustDomain}`;
    const d = linkerdAuthorize(
      objects,
      {
        workload: { namespace: e.to.namespace, labels },
        port: podPort,
        client: { ip: "127.0.0.1", loopback: false, ...(identity ? { identity } : {}) },
        method: e.method,
        path: e.path,
        headers: Object.entries(e.headers ?? {}),
      },
      { clusterDefault: mesh.clusterDefault, clusterNetworks: CLUSTER_NETWORKS, trustDomain: mesh.trustDomain },
    );
    out.push({
      outcome: d.allowed ? "allowed" : "denied",
      reason: `${d.reason} [pod ${JSON.stringify(labels)}, port ${podPort}${identity ? `, identity ${identity}` : ", plaintext"}]`,
      ...(d.ambiguous ? { ambiguous: true } : {}),
    });
  }
  return out.find((d) => d.outcome !== expect) ?? out[0];
}

/** Loads and translates a model (Linkerd of the mesh's version; the model compiled for the built-in proxy). */
function prepare(docs: Doc[], mesh: Mesh): Prepared<LinkerdObject> {
  // The test opts into the approximation header-lines (without it a header rule is refused): it compares
  // what a user who accepts that approximation gets, and counts its looser decisions apart (warnedLooser).
  return prepareModel(docs, mesh.trustDomain, (model) => translate(model, { adapter: linkerd, version: mesh.version, allowApproximations: ["header-lines"] }));
}

/** The path the model's rules see, for spellings the generator makes (dot segments, escapes, `\`, `//`). */
function normalizedSpelling(raw: string): string {
  let p = raw.split("?")[0].replace(/%([0-9a-fA-F]{2})/g, (all, h: string) => {
    const c = String.fromCharCode(parseInt(h, 16));
    return /[-.0-9A-Za-z_~]/.test(c) ? c : all;
  });
  p = p.replace(/\\/g, "/").replace(/\/{2,}/g, "/");
  const out: string[] = [];
  for (const seg of p.split("/").slice(1)) {
    if (seg === ".") continue;
    if (seg === "..") out.pop();
    else out.push(seg);
  }
  const last = p.split("/").pop();
  return `/${out.join("/")}${(last === "." || last === "..") && out.length ? "/" : ""}`;
}

/**
 * Why a disagreement is no finding, if it is not:
 * - Linkerd is the stricter side and the adapter warned about this destination (pod ports or pods shared
 *   with what the model keeps apart, a looser mTLS mode served stricter, a Server overriding the default);
 * - Linkerd is the stricter side where no Server governs the port and the cluster's default inbound policy
 *   (which unimesh does not set) is stricter than Linkerd's default, all-unauthenticated;
 * - the path was spelled otherwise than its normalized form (linkerd2-proxy matches paths as sent) and the
 *   adapter warned about that on a path rule of the destination (`accessL7.paths`): either side; without
 *   a warning only when Linkerd is the stricter side (a spelling that misses an allow rule: the README says
 *   Linkerd matches paths as sent; the adapter warns only where a spelling gets past a rule);
 * - a header was sent twice (two lines for Linkerd, which matches each; one comma-joined value for the
 *   model) and the adapter warned about that on a header rule of the destination (`accessL7.headers`):
 *   either side.
 * The excused disagreements where Linkerd is looser are counted apart (`warnedLooser`): they are known
 * limitations the adapter reports, not silent widenings.
 */
function excuse(p: PreparedOk<LinkerdObject>, req: Req, lD: LinkerdDecision, mesh: Mesh): string | undefined {
  const e = req.explain;
  const me = `${e.to.namespace}/${e.to.service}`;
  const at = (d: Diagnostic) => (d.documentIndex === undefined ? undefined : p.docs[d.documentIndex]);
  const named = new RegExp(`${me.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![-a-z0-9])`);
  // mtlsMode's warnings name a sharer as `b-v2 (its ports are not declared) (namespace test)` or
  // `Service port 80 of b (namespace test)`.
  const short = new RegExp(`(?:^|[ ,])${e.to.service.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} (?:\\([^)]*\\) )?\\(namespace ${e.to.namespace}\\)`);
  const about = (d: Diagnostic) =>
    named.test(d.message) || short.test(d.message) || (at(d)?.metadata.namespace === e.to.namespace && at(d)?.spec.destination?.service === e.to.service);
  const covers = (d: Diagnostic) => {
    const x = at(d);
    return about(d) || (x?.kind === "AccessPolicy" && !x.spec.destination && x.metadata.namespace === e.to.namespace);
  };
  const warned = p.diagnostics.filter((d) => d.severity === "warning");
  const raw = e.path.split("?")[0];
  if (raw !== normalizedSpelling(raw)) {
    const w = warned.find((d) => /accessL7\.paths/.test(d.code) && covers(d));
    if (w) return `path as sent (${lD.outcome === "allowed" ? "Linkerd looser" : "Linkerd stricter"}): warned (${w.code})`;
    // Another spelling that misses an allow rule only denies: the README says Linkerd matches paths as
    // sent. Excused only when the spelling is the cause: the normalized path is allowed.
    const q = e.path.indexOf("?");
    const normal: Req = { explain: { ...e, path: normalizedSpelling(raw) + (q < 0 ? "" : e.path.slice(q)) } };
    if (lD.outcome === "denied" && linkerdDecision(p.objects, p.world, normal, mesh, "denied").outcome === "allowed")
      return "path as sent (Linkerd stricter): README";
  }
  const names = Object.keys(e.headers ?? {}).map((k) => k.toLowerCase());
  if (names.some((n, i) => names.indexOf(n) !== i)) {
    const w = warned.find((d) => /accessL7\.headers/.test(d.code) && covers(d));
    if (w) return `repeated header (${lD.outcome === "allowed" ? "Linkerd looser" : "Linkerd stricter"}): warned (${w.code})`;
    // A line matching a deny rule only denies more (the adapter's README): excused when the repeated
    // header is the cause, i.e. the lines joined as the model sees them are allowed.
    const joined: Record<string, string> = {};
    for (const [k, v] of Object.entries(e.headers ?? {}))
      joined[k.toLowerCase()] = joined[k.toLowerCase()] === undefined ? v : `${joined[k.toLowerCase()]},${v}`;
    const one: Req = { explain: { ...e, headers: joined } };
    if (lD.outcome === "denied" && linkerdDecision(p.objects, p.world, one, mesh, "denied").outcome === "allowed")
      return "repeated header (Linkerd stricter): README";
  }
  if (lD.outcome === "denied") {
    const w = warned.find((d) => /shared-pod|^adapter\/conflict\/mtls/.test(d.code) && about(d));
    if (w) return `warned: ${w.code}`;
    if (mesh.clusterDefault !== "all-unauthenticated" && mesh.clusterDefault !== "audit" && /no Server on port \d+: default policy/.test(lD.reason))
      return `the cluster's default inbound policy ${mesh.clusterDefault} (Linkerd stricter)`;
  }
  return undefined;
}

const LINKERD: AccessDiff<Mesh, LinkerdObject, LinkerdDecision> = {
  name: "Linkerd",
  describeMesh,
  prepare,
  decide: (p, req, mesh, expect) => linkerdDecision(p.objects, p.world, req, mesh, expect),
  excuse,
  showObjects: (objects) =>
    objects
      .filter((o) => o.kind !== "Namespace" || o.metadata.annotations)
      .map((o) =>
        JSON.stringify({
          kind: o.kind,
          metadata: { name: o.metadata.name, namespace: o.metadata.namespace, ...(o.kind === "Namespace" ? { annotations: o.metadata.annotations } : {}) },
          spec: o.spec,
        }),
      ),
};

/** The kinds of decision of the built-in proxy (explain's reasons), which the generator must all reach. */
const OUTCOMES: BuiltinOutcome[] = [
  "allowed: no AccessPolicy",
  "allowed: port not selected",
  "allowed by an allow rule",
  "denied by a deny rule",
  "denied by default",
  "denied: plaintext refused (strict)",
];

function meshOf(rnd: Rnd): Mesh {
  return {
    version: pick(rnd, ["2.20", "2.20", "2.18", "2.16", "2.15", "2.14"]),
    trustDomain: rnd() < 0.8 ? "cluster.local" : "prod.example.org",
    clusterDefault: pick(rnd, [
      "all-unauthenticated",
      "all-unauthenticated",
      "all-unauthenticated",
      "audit",
      "all-authenticated",
      "cluster-authenticated",
      "deny",
    ] as const),
  };
}

describe("Linkerd's access decisions (oracle of the documented semantics) = the built-in proxy's (explain)", () => {
  // 2500 models by default; ACCESS_DIFF_MODELS and ACCESS_DIFF_FIRST_SEED explore further by hand (not in CI).
  randomizedTest(LINKERD, {
    defaultModels: 2500,
    seedFactor: 7919,
    gen: GEN,
    meshOf,
    outcomes: OUTCOMES,
    // Most models are refused (deny rules Linkerd cannot subtract exactly, undeclared ports, shared pods):
    // the rest still gives thousands of comparisons.
    minComparedPerModel: 5,
    extraStats: [
      { name: "warnedLooser", on: "excused", when: (d) => d.outcome === "allowed" },
      { name: "ambiguous", on: "compared", when: (d) => !!d.ambiguous },
    ],
  });
});

/**
 * Disagreements the randomized run found, minimized, kept as cases of their own (same comparison, one
 * model and one request each): `warned` where the fix is a warning the excuse now finds (Linkerd cannot
 * say it exactly), `agree` where Linkerd now decides as the built-in proxy.
 */
describe("Linkerd = built-in proxy: the cases found", () => {
  const H = { apiVersion: "unimesh.io/v1alpha1" };
  const cases: { name: string; docs: Doc[]; req: ExplainRequest & { to: { port: number } }; mesh?: Mesh; expect: "warned" | "agree"; excuse?: RegExp }[] = [
    {
      // seed 343: Linkerd allowed (the line "a,b" matched), the model saw "a,a,b" and denied.
      name: "an allow rule for a header value with a comma, the request repeating the header: warned (Linkerd matches each line)",
      docs: [
        { ...H, kind: "MeshService", metadata: { name: "o", namespace: "other" }, spec: { ports: [{ port: 9080 }] } },
        {
          ...H,
          kind: "AccessPolicy",
          metadata: { name: "ap", namespace: "other" },
          spec: { destination: { service: "o" }, allow: [{ headers: { "x-role": ["a,b"] } }] },
        },
      ],
      req: {
        from: { namespace: "test", serviceAccount: "b" },
        to: { namespace: "other", service: "o", port: 9080 },
        method: "GET",
        path: "/",
        headers: { "X-Role": "a", "X-ROLE": "a,b" },
      },
      mesh: { ...DEFAULT_MESH, version: "2.14" },
      expect: "warned",
      excuse: /^repeated header \(Linkerd looser\): warned \(adapter\/approximation\/accessL7\.headers\)$/,
    },
    {
      // seed 261: Linkerd denied (b's strict Server on the pods b-v2 shares), the model has b-v2 permissive.
      name: "b strict, b-v2 sharing its pods without MTLSPolicy: plaintext to b-v2 refused on the shared pods, warned",
      docs: [
        { ...H, kind: "MeshService", metadata: { name: "b", namespace: "test" }, spec: { ports: [{ port: 80 }] } },
        { ...H, kind: "MeshService", metadata: { name: "b-v2", namespace: "test" }, spec: { selector: { app: "b" } } },
        { ...H, kind: "MTLSPolicy", metadata: { name: "mtls-b", namespace: "test" }, spec: { destination: { service: "b" }, mode: "strict" } },
      ],
      req: { from: "unauthenticated", to: { namespace: "test", service: "b-v2", port: 80 }, method: "POST", path: "/admin" },
      mesh: { ...DEFAULT_MESH, version: "2.15" },
      expect: "warned",
      excuse: /^warned: adapter\/conflict\/mtls\.shared-pods$/,
    },
    {
      // seed 12820 of a longer run: Linkerd allowed (the rule was applied to pod port 8080 for every caller).
      name: "a port-80 policy whose rule names only port 81, both on pod port 8080, under a namespace-wide allow-nothing: nobody admitted",
      docs: [
        {
          ...H,
          kind: "MeshService",
          metadata: { name: "b", namespace: "test" },
          spec: {
            ports: [
              { port: 80, targetPort: 8080 },
              { port: 81, targetPort: 8080 },
            ],
          },
        },
        {
          ...H,
          kind: "AccessPolicy",
          metadata: { name: "ap0", namespace: "test" },
          spec: { destination: { service: "b", port: 80 }, allow: [{ ports: [81] }] },
        },
        { ...H, kind: "AccessPolicy", metadata: { name: "ns-test", namespace: "test" }, spec: {} },
      ],
      req: { from: { namespace: "third", serviceAccount: "x" }, to: { namespace: "test", service: "b", port: 81 }, method: "DELETE", path: "/logo.png" },
      mesh: { ...DEFAULT_MESH, version: "2.16" },
      expect: "agree",
    },
    {
      // seed 12597 of a longer run: warned, but the warning names the sharer "b-v2 (its ports are not declared) (namespace test)".
      name: "b strict on port 80, b-v2 sharing its pods under a permissive namespace: warned by mtlsMode (the sharer named without its namespace)",
      docs: [
        { ...H, kind: "MeshService", metadata: { name: "b", namespace: "test" }, spec: { ports: [{ port: 80 }] } },
        { ...H, kind: "MeshService", metadata: { name: "b-v2", namespace: "test" }, spec: { selector: { app: "b" } } },
        { ...H, kind: "MTLSPolicy", metadata: { name: "mtls-test", namespace: "test" }, spec: { mode: "permissive" } },
        {
          ...H,
          kind: "MTLSPolicy",
          metadata: { name: "mtls-b", namespace: "test" },
          spec: { destination: { service: "b" }, mode: "permissive", ports: { "80": "strict" } },
        },
      ],
      req: { from: "unauthenticated", to: { namespace: "test", service: "b-v2", port: 80 }, method: "DELETE", path: "/ADMIN" },
      mesh: { ...DEFAULT_MESH, version: "2.14" },
      expect: "warned",
      excuse: /^warned: adapter\/conflict\/mtls$/,
    },
  ];
  test.each(cases.map((c) => [c.name, c] as const))("%s", async (_n, c) => {
    await checkCase(LINKERD, { ...c, mesh: c.mesh ?? DEFAULT_MESH });
  });
});
