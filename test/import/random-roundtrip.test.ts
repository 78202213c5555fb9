/**
 * The round-trip property on generated models (issue 15): for each mesh, seeded random models made of what
 * that mesh translates (routes with path/method/header matches, splits between subsets and to other
 * Services, "answer 404 for the rest" (Istio, Linkerd), timeouts, retries, header changes; access rules by service account, namespace, method and path; mTLS modes) are translated,
 * imported back and translated again, and the two translations must be the same objects (the
 * `unimesh.io/policies` annotation aside, see helpers.ts). A model the first translation refuses (a
 * combination the mesh cannot run, e.g. a route order Linkerd cannot reproduce) has nothing to import and
 * is counted apart; the test fails if too few models translate, so it cannot pass vacuously.
 *
 * A failing seed prints its model: reproduce with `SEED=<n> npx vitest run test/import/random-roundtrip.test.ts`.
 */
import { describe, expect, test } from "vitest";
import { dumpYaml } from "../../src/api/emit.js";
import { appmesh, istio, linkerd, validateDocuments, type Adapter, type UnimeshDocument } from "../../src/index.js";
import { roundTrip, semantic } from "./helpers.js";
import { prng } from "../support/prng.js";

type Mesh = "istio" | "linkerd" | "appmesh";

/** What each mesh translates (a model outside it would only test the first translation's errors). */
const PROFILE: Record<
  Mesh,
  {
    retryOn: string[][];
    headerMatch: boolean;
    mtls: boolean;
    accessL7: boolean;
    perTry: boolean;
    headers: boolean;
    accessNeedsStrict?: boolean;
    notFound?: boolean;
  }
> = {
  istio: {
    retryOn: [["5xx"], ["5xx", "connect-failure"], ["gateway-error", "reset"]],
    headerMatch: true,
    mtls: true,
    accessL7: true,
    perTry: true,
    headers: true,
    notFound: true,
  },
  linkerd: {
    retryOn: [["5xx"], ["5xx", "refused-stream"], ["gateway-error"]],
    headerMatch: true,
    mtls: true,
    accessL7: true,
    perTry: true,
    headers: true,
    notFound: true,
  },
  // App Mesh checks callers only over mutual TLS: an AccessPolicy comes with a strict MTLSPolicy.
  appmesh: {
    retryOn: [["5xx"], ["5xx", "connect-failure"]],
    headerMatch: true,
    mtls: false,
    accessL7: false,
    perTry: true,
    headers: false,
    accessNeedsStrict: true,
  },
};

/** True for a route without match. */
const isCatchAllRoute = (route: { match?: unknown }): boolean => !route.match;

/** A random valid model for `mesh`: 1–3 services of namespace shop, their policies. */
function generate(seed: number, mesh: Mesh): UnimeshDocument[] {
  const r = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const chance = (p: number) => r() < p;
  const p = PROFILE[mesh];
  const api = "unimesh.io/v1alpha1" as const;
  const docs: any[] = [];
  const n = 1 + Math.floor(r() * 3);
  const names = Array.from({ length: n }, (_, i) => `svc${i}`);
  for (const name of names) {
    docs.push({
      apiVersion: api,
      kind: "MeshService",
      metadata: { name, namespace: "shop" },
      spec: {
        selector: { app: name },
        serviceAccount: `${name}-sa`,
        ports: [{ port: 8080, name: "http", protocol: "http" }],
        subsets: [
          { name: "v1", labels: { version: "v1" } },
          { name: "v2", labels: { version: "v2" } },
        ],
      },
    });
    if (chance(0.8)) {
      const routes: any[] = [];
      const k = 1 + Math.floor(r() * 3);
      for (let i = 0; i < k; i++) {
        const route: any = {};
        const last = i === k - 1 && chance(0.5);
        if (!last) {
          const kind = pick(["exact", "prefix", "method", ...(p.headerMatch ? ["header"] : [])]);
          if (kind === "exact") route.match = { path: { exact: `/p${i}` } };
          else if (kind === "prefix") route.match = { path: { prefix: `/api${i}/` } };
          else if (kind === "method") route.match = { method: pick(["GET", "POST"]), path: { exact: `/m${i}` } };
          else route.match = { headers: { [`x-k${i}`]: { exact: `v${i}` } } };
        }
        const others = names.filter((x) => x !== name);
        const split = pick(["none", "one", "two", ...(others.length ? ["service"] : [])]);
        if (split === "one") route.split = [{ subset: pick(["v1", "v2"]) }];
        else if (split === "two") {
          const w = pick([10, 25, 50, 80]);
          route.split = [
            { subset: "v1", weight: w },
            { subset: "v2", weight: 100 - w },
          ];
        } else if (split === "service") {
          const w = pick([10, 25, 50, 80]);
          route.split = [{ weight: w }, { service: pick(others), weight: 100 - w }];
        }
        if (chance(0.4)) route.timeout = pick(["500ms", "2s", "1m"]);
        if (chance(0.4))
          route.retries = {
            attempts: 1 + Math.floor(r() * 3),
            retryOn: pick(p.retryOn),
            ...(p.perTry && chance(0.5) ? { perTryTimeout: pick(["100ms", "1s"]) } : {}),
          };
        if (p.headers && chance(0.3)) route.headers = { request: { set: { "x-env": pick(["a", "b"]) } } };
        // A route that matches everything and changes nothing is the implicit default route: the mesh
        // names it differently when it comes back (App Mesh's "default"), so the generator never writes one.
        if (!Object.keys(route).length) route.timeout = "5s";
        routes.push(route);
      }
      // "Answer 404 for the rest": a final catch-all directResponse 404 after routes that match.
      if (p.notFound && !isCatchAllRoute(routes[routes.length - 1]) && chance(0.3)) routes.push({ directResponse: { status: 404 } });
      docs.push({
        apiVersion: api,
        kind: "TrafficPolicy",
        metadata: { name: `${name}-routes`, namespace: "shop" },
        spec: { destination: { service: name, port: 8080 }, routes },
      });
    }
    if (chance(0.6)) {
      const allow: any[] = [];
      const k = 1 + Math.floor(r() * 2);
      for (let i = 0; i < k; i++) {
        const rule: any = { source: chance(0.7) ? { serviceAccounts: [`${pick(names)}-sa`] } : { namespaces: [pick(["ops", "shop"])] } };
        if (p.accessL7 && chance(0.5)) rule.methods = [pick(["GET", "POST"])];
        if (p.accessL7 && chance(0.5)) rule.paths = [pick([`/r${i}`, `/r${i}/*`])];
        allow.push(rule);
      }
      docs.push({
        apiVersion: api,
        kind: "AccessPolicy",
        metadata: { name: `${name}-callers`, namespace: "shop" },
        spec: { destination: { service: name }, allow },
      });
      if (p.accessNeedsStrict)
        docs.push({
          apiVersion: api,
          kind: "MTLSPolicy",
          metadata: { name: `${name}-mtls`, namespace: "shop" },
          spec: { destination: { service: name }, mode: "strict" },
        });
    }
    if (p.mtls && chance(0.3))
      docs.push({
        apiVersion: api,
        kind: "MTLSPolicy",
        metadata: { name: `${name}-mtls`, namespace: "shop" },
        spec: { destination: { service: name }, mode: pick(["strict", "permissive"]) },
      });
  }
  return docs;
}

const TARGETS: { adapter: Adapter; mesh: Mesh; version: string }[] = [
  { adapter: istio, mesh: "istio", version: "1.30" },
  { adapter: linkerd, mesh: "linkerd", version: "2.20" },
  { adapter: appmesh, mesh: "appmesh", version: "1.13" },
];
const SEEDS = process.env.SEED ? [Number(process.env.SEED)] : Array.from({ length: 100 }, (_, i) => 1000 + i);

describe.each(TARGETS)("random models: $mesh@$version", ({ adapter, mesh, version }) => {
  test(`translate → import → translate gives the same objects (${SEEDS.length} seeds)`, async () => {
    let translated = 0;
    const failures: string[] = [];
    for (const seed of SEEDS) {
      const docs = generate(seed, mesh);
      const v = validateDocuments(docs.map((value, index) => ({ file: "<generated>", index, startLine: 1, text: "", value })));
      expect(
        v.diagnostics.filter((d) => d.severity === "error"),
        `seed ${seed}: the generator made an invalid model`,
      ).toEqual([]);
      let rt;
      try {
        rt = await roundTrip(v.model, adapter, { version });
      } catch (e) {
        if (/first translation failed/.test((e as Error).message)) continue;
        throw e;
      }
      translated++;
      const same = JSON.stringify(rt.second?.map(semantic)) === JSON.stringify(rt.first.map(semantic));
      if (rt.problems.length || !same)
        failures.push(`seed ${seed}: ${rt.problems.join("; ") || "different objects"}\n${docs.map((d) => dumpYaml(d)).join("---\n")}`);
    }
    expect(failures.slice(0, 2)).toEqual([]);
    // Never vacuous: most generated models are within what the mesh translates.
    if (!process.env.SEED) expect(translated).toBeGreaterThanOrEqual(SEEDS.length / 3);
  });
});
