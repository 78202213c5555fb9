/**
 * Randomized DIFFERENTIAL test of access decisions: Istio (the AuthorizationPolicies, PeerAuthentications,
 * RequestAuthentications and DestinationRule TLS settings the istio adapter generates, decided by an
 * independent oracle of Istio's documented semantics, test/support/istio-authz-oracle.ts) against the
 * built-in proxy (the builtin adapter's translation, decided by `explain`, which decides as the running
 * proxy: test/proxy/explain.test.ts).
 *
 * From fixed seeds: random schema-valid models (services in two namespaces with random Service ports,
 * target ports, selectors, service accounts, sometimes a second service selecting some of the same pods;
 * AccessPolicies of every scope with every access feature the schema offers: sources by service account,
 * namespace and IP block and their negations, methods, paths in every form, ports, headers and their
 * negations, end-user conditions (requestPrincipals in every wildcard form, claims nested, listed,
 * prefixed, and their negations), port-scoped policies, policy-level sources, allow-all and
 * allow-nothing; RequestAuthentications with one or two issuers, audiences, space-delimited claims;
 * MTLSPolicies of every scope with per-port modes; Istio's path normalization BASE, MERGE_SLASHES or
 * DECODE_AND_MERGE_SLASHES, its root namespace and the trust domain, default or not) and
 * random requests biased towards edges (paths sharing prefixes, case variants, dot segments, %-escapes,
 * backslashes, doubled slashes, query strings; callers from other namespaces, unknown identities,
 * plaintext; every Service port; missing, empty and differently-cased headers; tokens valid, of another
 * issuer, expired, forged, with and without `sub`, or none). A model the Istio adapter refuses (an
 * error) is skipped and counted. A request where the two disagree is a finding, with its seed, a
 * minimized model and the request, unless the adapter WARNED about exactly that approximation and Istio
 * is the stricter side (counted as warned), or it is a doubled slash under BASE, which the adapter notes,
 * or a disabled port served strict (see `excuse`). It also counts, when Istio and the built-in proxy
 * disagree, how often Istio is the more permissive side (a security hole) and the more restrictive one.
 *
 * The world both sides are asked about (modelling decisions):
 * - Pods: each service has pods carrying its selector (plus a label of their own); two services whose
 *   selectors may meet (a label in common, none different) also share a pod carrying both selectors
 *   (unimesh assumes such a pod exists, as it cannot see pod labels; selectors without a label in common
 *   are taken to name different workloads, as the README says, and get no shared pod here). A request
 *   to a service may reach any pod its selector picks: Istio's decision is taken on each, and each must
 *   agree with the built-in proxy (which keeps services apart).
 *   A request to Service port P arrives at pod port targetPort(P) (the declared one, else P: the port the
 *   adapter assumes when none is declared).
 * - Callers: a workload caller's sidecar sends mutual TLS or plaintext as Istio decides it (the
 *   DestinationRule's TLS settings, else auto mTLS: the oracle's istioClientTls), and presents
 *   `spiffe://<trust domain>/ns/<ns>/sa/<sa>` over mutual TLS; `unauthenticated` is plaintext. Plaintext is
 *   refused at a STRICT pod port, mutual TLS fails at a DISABLE one. Every caller's address is 127.0.0.1
 *   (what the built-in proxy sees on one machine).
 * - Paths: spellings Istio's normalization and the model's normalize alike (dot segments, %-escaped
 *   unreserved characters, `\`, query strings), and doubled slashes, which the model merges and Istio's
 *   default BASE keeps (models translated with `pathNormalization=MERGE_SLASHES` merge them too, exactly);
 *   never %2F / %5C (the model refuses them with 400, which no access rule changes).
 * - Methods are upper case (Istio answers 400 otherwise; Node's parser refuses most lower-case ones).
 * - Headers: values without surrounding blanks (HTTP parsers strip them); a name sent twice in different
 *   case is one header with both values joined by a comma (Istio's normalization page, explain alike);
 *   names the proxies add or strip (host, x-forwarded-*, x-request-id, hop-by-hop) are not used in rules.
 * - Tokens: in `Authorization: Bearer` only (the default location of both), one per request, keys given
 *   inline (`jwks`), fixed `exp` far ahead (the oracle checks signatures and times itself).
 * Out of scope: TCP ports (Istio cannot evaluate HTTP conditions there and fails closed: warned), pod-only
 * ports (the built-in proxy has none), virtual meshes (several trust domains), ambient mode (waypoints),
 * TrafficPolicies (routes come before access and are another test's business), custom token locations,
 * `jwksUri`, Istio objects that unimesh did not write (a cluster's own PeerAuthentication or
 * AuthorizationPolicy).
 */
import { describe, test } from "vitest";
import { translate, istio, type Diagnostic } from "../../../src/index.js";
import type { ExplainRequest } from "../../../src/inspect/explain.js";
import { istioAuthorize, istioClientTls, istioPeerMode, istioRequestAuthentication, type PathNormalization } from "../../support/istio-authz-oracle.js";
import { type Doc, type Req, type Rnd, I1, SAMPLES_JWKS, type World, doc, pick, signTokens } from "../../support/access-model.js";
import type { AccessDiff, BuiltinOutcome, Decision, Outcome, Prepared, PreparedOk } from "../../support/access-diff-harness.js";
import { checkCase, prepareModel, randomizedTest } from "../../support/access-diff-harness.js";

/** The mesh a model is translated for and decided in: Istio's settings, and the trust domain of identities. */
interface Mesh {
  pathNormalization: PathNormalization;
  trustDomain: string;
  rootNamespace: string;
}
const DEFAULT_MESH: Mesh = { pathNormalization: "BASE", trustDomain: "cluster.local", rootNamespace: "istio-system" };
const describeMesh = (m: Mesh) => `pathNormalization ${m.pathNormalization}, trustDomain ${m.trustDomain}, rootNamespace ${m.rootNamespace}`;

/** The oracle's decision on the Istio translation, on every pod the request may reach (the first that differs from `expect`, else the first). */
function istioDecision(objects: { kind: string }[], w: World, req: Req, mesh: Mesh, expect?: Outcome): Decision {
  const opts = { pathNormalization: mesh.pathNormalization, rootNamespace: mesh.rootNamespace };
  const e = req.explain;
  const svc = w.services.get(`${e.to.namespace}/${e.to.service}`)!;
  const podPort = svc.ports?.find((p) => p.port === e.to.port)?.targetPort ?? e.to.port;
  const out: Decision[] = [];
  for (const labels of w.podsOf(svc)) {
    const workload = { namespace: e.to.namespace, labels };
    const mode = istioPeerMode(objects, workload, podPort, opts);
    // What the caller sends: plaintext without a sidecar, else what its sidecar chooses for this endpoint.
    const tls =
      e.from === "unauthenticated"
        ? "DISABLE"
        : istioClientTls(objects, { name: e.to.service, namespace: e.to.namespace, port: e.to.port }, { workload, port: podPort }, opts);
    const at = `[pod ${JSON.stringify(labels)}, port ${podPort}, mTLS ${mode}, client ${tls}]`;
    if (tls === "DISABLE" && mode === "STRICT") {
      out.push({ outcome: "denied", reason: `plaintext refused: PeerAuthentication STRICT ${at}` });
      continue;
    }
    if (tls === "ISTIO_MUTUAL" && mode === "DISABLE") {
      out.push({ outcome: "denied", reason: `mutual TLS to a plaintext-only port: the connection fails ${at}` });
      continue;
    }
    const spiffe =
      e.from !== "unauthenticated" && tls === "ISTIO_MUTUAL" ? `spiffe://${mesh.trustDomain}/ns/${e.from.namespace}/sa/${e.from.serviceAccount}` : undefined;
    const authn = istioRequestAuthentication(objects, workload, { path: e.path, headers: e.headers ?? {} }, opts);
    if ("status" in authn) {
      out.push({ outcome: "denied", reason: `401 from RequestAuthentication: ${authn.reason} ${at}` });
      continue;
    }
    const d = istioAuthorize(
      objects,
      {
        workload,
        port: podPort,
        peer: { ...(spiffe ? { spiffe } : {}), ip: "127.0.0.1" },
        method: e.method,
        path: e.path,
        host: `${e.to.service}.${e.to.namespace}:${e.to.port}`,
        headers: e.headers ?? {},
        ...(authn.jwt ? { jwt: authn.jwt } : {}),
      },
      opts,
    );
    out.push({ outcome: d.allowed ? "allowed" : "denied", reason: `${d.reason}${spiffe ? "" : " (no peer identity)"} ${at}` });
  }
  return out.find((d) => d.outcome !== expect) ?? out[0];
}

type IstioObject = { kind: string };

/** Loads and translates a model (Istio with the mesh's settings; the builtin adapter). */
function prepare(docs: Doc[], mesh: Mesh): Prepared<IstioObject> {
  return prepareModel(docs, mesh.trustDomain, (model) =>
    translate(model, {
      adapter: istio,
      version: "1.30",
      settings: { pathNormalization: mesh.pathNormalization, rootNamespace: mesh.rootNamespace },
    }),
  );
}

/**
 * Why a disagreement is no finding, if it is not: Istio is the stricter side and the adapter warned
 * about this destination (pod ports or pods shared with what the model keeps apart); or a doubled slash
 * under BASE (kept by Istio, merged by the model; the adapter notes it on path rules, with a warning
 * where a deny could be passed: then Istio may also be the looser side); or a `disabled` Service port
 * whose pod port another Service port makes `strict` (warned: the pod port enforces the strictest), so
 * its callers come over mutual TLS and are identified where the model's come in plaintext: an allow rule
 * naming the caller then admits it (the rule is not widened: it admits the caller it names, authenticated).
 */
function excuse(p: PreparedOk<IstioObject>, req: Req, istioD: Decision, mesh: Mesh): string | undefined {
  const e = req.explain;
  const me = `${e.to.namespace}/${e.to.service}`;
  // A diagnostic about the destination: on one of its policies, or naming it.
  const at = (d: Diagnostic) => (d.documentIndex === undefined ? undefined : p.docs[d.documentIndex]);
  const named = new RegExp(`${me.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![-a-z0-9])`);
  const about = (d: Diagnostic) => named.test(d.message) || (at(d)?.metadata.namespace === e.to.namespace && at(d)?.spec.destination?.service === e.to.service);
  // ... or on an AccessPolicy of a wider scope that covers it.
  const covers = (d: Diagnostic) => {
    const x = at(d);
    return about(d) || (x?.kind === "AccessPolicy" && !x.spec.destination && (x.spec.scope === "mesh" || x.metadata.namespace === e.to.namespace));
  };
  const warned = p.diagnostics.filter((d) => d.severity === "warning");
  if (istioD.outcome === "denied") {
    const w = warned.find((d) => /access\.shared-pod-port|access\.shared-pods|mtls\.shared-pod|requestAuthentication\.destination/.test(d.code) && about(d));
    if (w) return `warned: ${w.code}`;
  }
  const strict = /port (\d+), mTLS STRICT, client ISTIO_MUTUAL/.exec(istioD.reason);
  if (istioD.outcome === "allowed" && strict) {
    const w = warned.find(
      (d) =>
        /mtls\.shared-pod/.test(d.code) &&
        at(d)?.metadata.namespace === e.to.namespace &&
        d.message.includes("asks for mTLS mode disabled") &&
        d.message.includes(`pod port ${strict[1]} `),
    );
    if (w) return `warned: ${w.code} (disabled port served strict: the caller is identified)`;
  }
  if (mesh.pathNormalization === "BASE" && /\/\//.test(e.path.split("?")[0])) {
    if (istioD.outcome === "denied") return "doubled slash kept by BASE (Istio stricter)";
    const w = warned.find((d) => d.code === "adapter/note/accessL7" && covers(d));
    if (w) return "doubled slash kept by BASE: warned (adapter/note/accessL7)";
  }
  return undefined;
}

const ISTIO: AccessDiff<Mesh, IstioObject, Decision> = {
  name: "Istio",
  describeMesh,
  prepare,
  decide: (p, req, mesh, expect) => istioDecision(p.objects, p.world, req, mesh, expect),
  excuse,
  showObjects: (objects) =>
    objects
      .filter((o) => o.kind === "AuthorizationPolicy" || o.kind === "PeerAuthentication")
      .map((o) => JSON.stringify({ ...o, metadata: { name: (o as any).metadata.name, namespace: (o as any).metadata.namespace } })),
};

/** The kinds of decision of the built-in proxy (explain's reasons), which the generator must all reach. */
const OUTCOMES: BuiltinOutcome[] = [
  "allowed: no AccessPolicy",
  "allowed: port not selected",
  "allowed by an allow rule",
  "denied by a deny rule",
  "denied by default",
  "denied: invalid token (401)",
  "denied: plaintext refused (strict)",
];

function meshOf(rnd: Rnd): Mesh {
  return {
    pathNormalization: pick(rnd, ["BASE", "BASE", "BASE", "MERGE_SLASHES", "DECODE_AND_MERGE_SLASHES"] as const),
    trustDomain: rnd() < 0.8 ? "cluster.local" : "prod.example.org",
    rootNamespace: rnd() < 0.8 ? "istio-system" : "mesh-root",
  };
}

describe("Istio's access decisions (oracle of the documented semantics) = the built-in proxy's (explain)", () => {
  // 500 models by default; ACCESS_DIFF_MODELS and ACCESS_DIFF_FIRST_SEED explore further by hand (not in CI).
  randomizedTest(ISTIO, { defaultModels: 500, seedFactor: 104729, meshOf, outcomes: OUTCOMES, minComparedPerModel: 20 });
});

/**
 * Disagreements the randomized run found, minimized, kept as cases of their own (same comparison, one
 * model and one request each): `refused` where the fix is that the Istio adapter refuses the model,
 * `agree` where Istio now decides as the built-in proxy.
 */
describe("Istio = built-in proxy: the cases found", () => {
  const ms = (name: string, spec: Record<string, unknown>, namespace = "test") => doc("MeshService", name, namespace, spec);
  const shared = [ms("b", { ports: [{ port: 80 }] }), ms("b-v2", { selector: { app: "b" }, ports: [{ port: 80 }] })];
  const raB2 = doc("RequestAuthentication", "ra", "test", { destination: { service: "b-v2" }, issuers: [{ issuer: I1, jwks: SAMPLES_JWKS }] });
  const toB = (token?: string): ExplainRequest & { to: { port: number } } => ({
    from: { namespace: "test", serviceAccount: "a" },
    to: { namespace: "test", service: "b", port: 80 },
    method: "GET",
    path: "/",
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  const cases: {
    name: string;
    docs: Doc[];
    req: (tokens: Record<string, string>) => ExplainRequest & { to: { port: number } };
    expect: "refused" | "agree";
  }[] = [
    {
      // Istio allowed (b-v2's RequestAuthentication gave the token a principal on the pods b shares), the model denies.
      name: "a namespace-wide allow on requestPrincipals, b without RequestAuthentication sharing pods with b-v2 that has one: refused",
      docs: [...shared, raB2, doc("AccessPolicy", "ns", "test", { allow: [{ requestPrincipals: ["*"] }] })],
      req: (t) => toB(t["alice@1"]),
      expect: "refused",
    },
    {
      name: "the same with a namespace-wide deny for requests without a token: refused",
      docs: [...shared, raB2, doc("AccessPolicy", "ns", "test", { allow: [{}], deny: [{ notRequestPrincipals: ["*"] }] })],
      req: (t) => toB(t["alice@1"]),
      expect: "refused",
    },
    {
      // The adapter failed with an InternalError (podPortMtls undefined for b-v2's pod port 9090).
      name: "b (ports not declared) strict, b-v2 sharing its pods with a port of its own: translated, plaintext refused there",
      docs: [
        ms("b-v2", { selector: { app: "b" }, ports: [{ port: 9090 }] }),
        doc("MTLSPolicy", "m", "test", { destination: { service: "b" }, mode: "strict" }),
      ],
      req: () => ({ from: "unauthenticated", to: { namespace: "test", service: "b", port: 80 }, method: "GET", path: "/" }),
      expect: "agree",
    },
    {
      // Istio allowed: the DestinationRule's service-wide tls DISABLE sent callers to the permissive port in
      // plaintext, so the deny rule for any authenticated caller did not see them.
      name: "a permissive port of a disabled service: callers present their identity there",
      docs: [
        ms("o", { ports: [{ port: 80 }] }, "other"),
        doc("AccessPolicy", "p", "other", { allow: [{}], deny: [{ source: { serviceAccounts: ["*"] } }] }),
        doc("MTLSPolicy", "m", "other", { destination: { service: "o" }, mode: "disabled", ports: { "80": "permissive" } }),
      ],
      req: () => ({ from: { namespace: "test", serviceAccount: "a" }, to: { namespace: "other", service: "o", port: 80 }, method: "GET", path: "/" }),
      expect: "agree",
    },
    {
      // Two Service ports on one PERMISSIVE pod port: 81 (disabled) is reached in plaintext, without identity.
      name: "a disabled Service port sharing a permissive pod port: callers in plaintext there",
      docs: [
        ms("a", {
          ports: [
            { port: 80, targetPort: 8080 },
            { port: 81, targetPort: 8080 },
          ],
        }),
        doc("AccessPolicy", "p", "test", { allow: [{ source: { serviceAccounts: ["ab"] } }] }),
        doc("MTLSPolicy", "m", "test", { destination: { service: "a" }, mode: "disabled", ports: { "80": "permissive" } }),
      ],
      req: () => ({ from: { namespace: "test", serviceAccount: "ab" }, to: { namespace: "test", service: "a", port: 81 }, method: "POST", path: "/" }),
      expect: "agree",
    },
    {
      // Istio allowed (seed 1107 of a longer run): pod port 80 was DISABLE for b's port 9080, and b-v2's
      // callers (no MTLSPolicy: permissive in the model) came in plaintext, past the deny rule naming them.
      name: "a disabled port of b on pods b-v2 shares without MTLSPolicy: b-v2's callers keep their identity",
      docs: [
        ms("b", { ports: [{ port: 9080, targetPort: 80 }] }),
        ms("b-v2", { selector: { app: "b" } }),
        doc("AccessPolicy", "ns-test", "test", { allow: [{}], deny: [{ source: { serviceAccounts: ["a"] } }] }),
        doc("MTLSPolicy", "m", "test", { destination: { service: "b" }, mode: "permissive", ports: { "9080": "disabled" } }),
      ],
      req: () => ({ from: { namespace: "test", serviceAccount: "a" }, to: { namespace: "test", service: "b-v2", port: 80 }, method: "PATCH", path: "/a/x" }),
      expect: "agree",
    },
    {
      name: "b with the same issuers as b-v2: exact",
      docs: [
        ...shared,
        raB2,
        doc("RequestAuthentication", "ra-b", "test", { destination: { service: "b" }, issuers: [{ issuer: I1, jwks: SAMPLES_JWKS }] }),
        doc("AccessPolicy", "ns", "test", { allow: [{ requestPrincipals: ["*"] }] }),
      ],
      req: (t) => toB(t["alice@1"]),
      expect: "agree",
    },
  ];
  test.each(cases.map((c) => [c.name, c] as const))("%s", async (_n, c) => {
    const tokens = await signTokens();
    await checkCase(ISTIO, { docs: c.docs, req: c.req(tokens), mesh: DEFAULT_MESH, expect: c.expect, refusal: /^adapter\/unsupported-value/ });
  });
});
