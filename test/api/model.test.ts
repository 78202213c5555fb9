/**
 * The semantics every adapter shares (src/api/model.ts): route tables, default routes, subset names,
 * identities, access rules, namespaces and service facts.
 */
import { describe, expect, test } from "vitest";
import { isDnsLabel, type DestinationView, type EffectiveRoute, type Model } from "../../src/index.js";
import { SubsetNamer, shortHash, sortRoutes, specificity, subsetSetting, trafficKey } from "../../src/api/model.js";
import { type Doc, doc, load, modelOf } from "./helpers.js";

const tp = doc("TrafficPolicy");
const ap = doc("AccessPolicy");
const ms = doc("MeshService");
const model = modelOf;

function view(m: Model, service: string, namespace = "shop"): DestinationView {
  const v = m.destinations().find((d) => d.service === service && d.namespace === namespace);
  expect(v, `${namespace}/${service}`).toBeDefined();
  return v!;
}

/** `policy:route-name` (or `policy:#index`, `policy:implicit`) of each route, in table order. */
const order = (v: DestinationView) => v.routes.map((r) => `${r.policy.name}:${r.name ?? (r.index === null ? "implicit" : `#${r.index}`)}`);

const cart = { service: "cart" };

describe("route table order", () => {
  test("within one policy the written order is kept, even when a later route is more specific", () => {
    const m = model(
      tp("p", {
        destination: cart,
        routes: [
          { name: "by-header", match: { headers: { "x-a": { exact: "1" } } } },
          { name: "prefix", match: { path: { prefix: "/a" } } },
          { name: "exact", match: { path: { exact: "/a/b" } } },
        ],
      }),
    );
    expect(order(view(m, "cart"))).toEqual(["p:by-header", "p:prefix", "p:exact"]);
  });

  test("across policies: the most specific head first (exact, regex, longer prefix, more conditions), catch-all last", () => {
    const m = model(
      tp("a-catch-all", { destination: cart, timeout: "1s" }),
      tp("b-prefix", { destination: cart, routes: [{ name: "short", match: { path: { prefix: "/a" } } }] }),
      tp("c-long-prefix", { destination: cart, routes: [{ name: "long", match: { path: { prefix: "/a/b/c" } } }] }),
      tp("d-regex", { destination: cart, routes: [{ name: "re", match: { path: { regex: "/x.*" } } }] }),
      tp("e-exact", { destination: cart, routes: [{ name: "exact", match: { path: { exact: "/z" } } }] }),
      tp("f-header", { destination: cart, routes: [{ name: "h1", match: { headers: { "x-a": { exact: "1" } } } }] }),
      tp("g-headers", { destination: cart, routes: [{ name: "h2", match: { method: "GET", headers: { "x-a": { exact: "1" } } } }] }),
    );
    expect(order(view(m, "cart"))).toEqual([
      "e-exact:exact",
      "d-regex:re",
      "c-long-prefix:long",
      "b-prefix:short",
      "g-headers:h2",
      "f-header:h1",
      "a-catch-all:implicit",
    ]);
  });

  test("merging takes heads only: a policy's routes stay in its order even when interleaved", () => {
    const m = model(
      tp("a", {
        destination: cart,
        routes: [
          { name: "a1", match: { path: { exact: "/1" } } },
          { name: "a2", match: { method: "GET" } },
        ],
      }),
      tp("b", {
        destination: cart,
        routes: [
          { name: "b1", match: { path: { prefix: "/b" } } },
          { name: "b2", match: { path: { exact: "/2" } } },
        ],
      }),
    );
    // a1 (exact) > b1 (prefix); then b1 (prefix) > a2 (method); then b2 (exact) > a2.
    expect(order(view(m, "cart"))).toEqual(["a:a1", "b:b1", "b:b2", "a:a2"]);
  });

  test("source-specific routes come before any-source ones, even less specific ones", () => {
    const m = model(
      tp("a-any", { destination: cart, routes: [{ name: "exact", match: { path: { exact: "/x" } } }] }),
      tp("b-mobile", { source: { serviceAccounts: ["mobile"] }, destination: cart, routes: [{ name: "all" }] }),
    );
    expect(order(view(m, "cart"))).toEqual(["b-mobile:all", "a-any:exact"]);
  });

  test("ties: the policy id decides, whatever the input order", () => {
    const a = tp("a", { destination: cart, routes: [{ name: "a", match: { path: { prefix: "/p" } } }] });
    const b = tp("b", { destination: cart, routes: [{ name: "b", match: { path: { prefix: "/q" } } }] });
    expect(order(view(model(b, a), "cart"))).toEqual(["a:a", "b:b"]);
    expect(order(view(model(a, b), "cart"))).toEqual(["a:a", "b:b"]);
  });

  test("port-specific routes come before port-less ones of equal match", () => {
    const m = model(
      tp("a-all-ports", { destination: cart, routes: [{ name: "p", match: { path: { prefix: "/p" } } }] }),
      tp("b-8080", { destination: { service: "cart", port: 8080 }, routes: [{ name: "p", match: { path: { prefix: "/p" } } }] }),
    );
    expect(order(view(m, "cart"))).toEqual(["b-8080:p", "a-all-ports:p"]);
  });

  test("specificity() and sortRoutes() are exported for adapters and agree with the table", () => {
    const v = view(
      model(
        tp("a", { destination: cart, routes: [{ match: { path: { prefix: "/abc" }, method: "GET" } }] }),
        tp("b", { source: { namespaces: ["ops"] }, destination: { service: "cart", port: 80 }, routes: [{ match: { path: { exact: "/x" } } }] }),
      ),
      "cart",
    );
    expect(v.routes.map(specificity)).toEqual([
      [1, 3, 0, 0, 1],
      [0, 1, 4, 1, 0],
    ]);
    expect(sortRoutes([...v.routes].reverse())).toEqual(v.routes);
  });
});

describe("needsDefaultRoute", () => {
  const needs = (...docs: Doc[]) => view(model(...docs), "cart").needsDefaultRoute;

  test("true without a catch-all route, false with one", () => {
    expect(needs(tp("p", { destination: cart, routes: [{ match: { path: { prefix: "/a" } } }] }))).toBe(true);
    expect(needs(tp("p", { destination: cart, routes: [{ match: { path: { prefix: "/a" } } }, { name: "rest" }] }))).toBe(false);
    expect(needs(tp("p", { destination: cart, timeout: "1s" }))).toBe(false);
    expect(needs(tp("p", { destination: cart, routes: [{ match: {} }] }))).toBe(false);
  });

  test("a source-specific catch-all does not catch other callers", () => {
    expect(needs(tp("p", { source: { serviceAccounts: ["web"] }, destination: cart, timeout: "1s" }))).toBe(true);
  });

  test("a port-specific catch-all counts only when the MeshService declares that single port", () => {
    const p = tp("p", { destination: { service: "cart", port: 8080 }, timeout: "1s" });
    expect(needs(p)).toBe(true);
    expect(needs(p, ms("cart", { ports: [{ port: 8080 }] }))).toBe(false);
    expect(needs(p, ms("cart", { ports: [{ port: 8080 }, { port: 9090 }] }))).toBe(true);
    expect(needs(p, ms("cart", { ports: [{ port: 9090 }] }, "other"))).toBe(true);
  });

  test("a policy of destination-level settings only adds no route", () => {
    const v = view(model(tp("p", { destination: cart, outlierDetection: { consecutive5xxErrors: 3 }, loadBalancer: { algorithm: "random" } })), "cart");
    expect(v.routes).toEqual([]);
    expect(v.needsDefaultRoute).toBe(true);
    expect(v.outlierDetection).toMatchObject({ value: { consecutive5xxErrors: 3 }, pointer: "/spec/outlierDetection" });
    expect(v.outlierDetection!.policy.id).toBe("TrafficPolicy/shop/p");
    expect(v.loadBalancer?.pointer).toBe("/spec/loadBalancer");
  });
});

describe("effective routes", () => {
  test("a route's own setting overrides the policy's; each keeps the pointer where it was written", () => {
    const v = view(
      model(
        tp("p", {
          destination: { service: "cart", port: 8080 },
          timeout: "1500ms",
          retries: { attempts: 2 },
          routes: [{ name: "slow", match: { path: { prefix: "/export" } }, timeout: "1m30s" }, { name: "rest" }],
        }),
      ),
      "cart",
    );
    const [slow, rest] = v.routes;
    expect(slow.timeout).toEqual({ value: 90_000, pointer: "/spec/routes/0/timeout" });
    expect(rest.timeout).toEqual({ value: 1500, pointer: "/spec/timeout" });
    expect(slow.retries).toEqual({ value: { attempts: 2 }, pointer: "/spec/retries" });
    expect(slow).toMatchObject({ index: 0, pointer: "/spec/routes/0", port: 8080, match: { pointer: "/spec/routes/0/match" } });
    expect(rest.action).toEqual({ kind: "split", pointer: "/spec/routes/1", targets: [{ weight: 100, port: 8080 }] });
  });

  test("the implicit route of a policy without routes", () => {
    const [r] = view(model(tp("p", { destination: cart, timeout: "2s" })), "cart").routes;
    expect(r).toMatchObject({ index: null, pointer: "/spec", action: { kind: "split", pointer: "/spec", targets: [{ weight: 100 }] } });
    expect(r.match).toBeUndefined();
  });

  test("redirect and directResponse routes do not inherit the policy's retries, mirror or fault delay", () => {
    const v = view(
      model(
        tp("p", {
          destination: cart,
          retries: { attempts: 2 },
          mirror: { service: "audit" },
          faultInjection: { delay: { fixedDelay: "1s" }, abort: { httpStatus: 503, percent: 1 } },
          timeout: "1s",
          routes: [
            { name: "moved", match: { path: { prefix: "/old" } }, redirect: { path: "/new" } },
            { name: "fixed", match: { path: { exact: "/robots.txt" } }, directResponse: { status: 200 } },
            { name: "forward" },
          ],
        }),
      ),
      "cart",
    );
    const byName = Object.fromEntries(v.routes.map((r) => [r.name, r]));
    for (const n of ["moved", "fixed"]) {
      expect(byName[n].retries).toBeUndefined();
      expect(byName[n].mirror).toBeUndefined();
      expect(byName[n].faultInjection).toEqual({ value: { abort: { httpStatus: 503, percent: 1 } }, pointer: "/spec/faultInjection" });
      expect(byName[n].timeout?.value).toBe(1000);
    }
    expect(byName.forward.retries?.value).toEqual({ attempts: 2 });
    expect(byName.forward.mirror?.value.serviceResolved).toEqual({ name: "audit", namespace: "shop" });
    expect(byName.forward.faultInjection?.value.delay).toEqual({ fixedDelay: "1s" });
  });

  test("mirror: service and namespace default to the destination's; subsets are named for the destination itself", () => {
    const v = view(
      model(
        tp("p", {
          destination: { service: "cart", namespace: "store" },
          routes: [
            { name: "self", match: { path: { prefix: "/a" } }, mirror: { subset: { version: "v2" } } },
            { name: "self-named", match: { path: { prefix: "/b" } }, mirror: { service: "cart", subset: { version: "v3" } } },
            { name: "other", mirror: { service: "audit", subset: { version: "v9" } } },
          ],
        }),
      ),
      "cart",
      "store",
    );
    const byName = Object.fromEntries(v.routes.map((r) => [r.name, r.mirror!.value]));
    expect(byName.self.serviceResolved).toEqual({ name: "cart", namespace: "store" });
    expect(byName.self.subsetResolved).toEqual({ name: "v2", labels: { version: "v2" } });
    expect(byName["self-named"].serviceResolved).toEqual({ name: "cart", namespace: "store" });
    expect(byName["self-named"].subsetResolved?.name).toBe("v3");
    expect(byName.other.serviceResolved).toEqual({ name: "audit", namespace: "store" });
    expect(byName.other.subsetResolved).toBeUndefined();
    expect(v.subsets.map((s) => s.name)).toEqual(["v2", "v3"]);
  });
});

describe("subset names", () => {
  test("declared names are kept; declared subsets are listed even when unused", () => {
    const v = view(
      model(
        ms("cart", {
          subsets: [
            { name: "stable", labels: { version: "v1" } },
            { name: "canary", labels: { version: "v2", track: "x" } },
          ],
        }),
        tp("p", { destination: cart, routes: [{ split: [{ subset: { version: "v1" } }] }] }),
      ),
      "cart",
    );
    expect(v.routes[0].action).toMatchObject({ targets: [{ subset: { name: "stable", labels: { version: "v1" } }, weight: 100 }] });
    expect(v.subsets).toEqual([
      { name: "canary", labels: { version: "v2", track: "x" } },
      { name: "stable", labels: { version: "v1" } },
    ]);
  });

  test("derived names: label values in key order, DNS-safe", () => {
    const n = new SubsetNamer({});
    expect(n.name({ version: "v2" }).name).toBe("v2");
    expect(n.name({ version: "v2" })).toBe(n.name({ version: "v2" })); // same labels, same subset
    expect(n.name({ zone: "EU_West", app: "Cart" }).name).toBe("cart-eu-west");
    expect(n.name({ a: "", b: "--" }).name).toBe(`subset-${shortHash('{"a":"","b":"--"}')}`);
  });

  test("collisions get a hash suffix, whichever comes second", () => {
    const n = new SubsetNamer({});
    const a = n.name({ version: "v2" });
    const b = n.name({ track: "v2" });
    const c = n.name({ version: "V2" });
    expect(a.name).toBe("v2");
    expect(b.name).toBe(`v2-${shortHash('{"track":"v2"}')}`);
    expect(c.name).toBe(`v2-${shortHash('{"version":"V2"}')}`);
    expect(new Set([a.name, b.name, c.name]).size).toBe(3);
  });

  test("long labels give a valid DNS label of at most 63 characters, distinct for distinct labels", () => {
    const n = new SubsetNamer({});
    const long1 = n.name({ version: "x".repeat(53) + "-" + "y".repeat(40) });
    const long2 = n.name({ version: "x".repeat(53) + "-" + "z".repeat(40) });
    for (const s of [long1, long2]) {
      expect(isDnsLabel(s.name), s.name).toBe(true);
      expect(s.name.length).toBeLessThanOrEqual(63);
    }
    expect(long1.name).not.toBe(long2.name);
    expect(long1.name).toMatch(/^x{53}-[0-9a-f]{8}$/); // cut before the dash, never "--"
  });

  test("a collision of a long name stays a valid label", () => {
    const n = new SubsetNamer({});
    const base = "a".repeat(53) + "-b";
    n.name({ version: base });
    const second = n.name({ track: base });
    expect(isDnsLabel(second.name), second.name).toBe(true);
    expect(second.name).not.toContain("--");
  });

  test("subset names are the same whatever the input order", () => {
    const p1 = tp("a", { destination: cart, routes: [{ match: { path: { prefix: "/1" } }, split: [{ subset: { version: "v2" } }] }] });
    const p2 = tp("b", { destination: cart, routes: [{ match: { path: { prefix: "/2" } }, split: [{ subset: { track: "v2" } }] }] });
    const names = (m: Model) => view(m, "cart").subsets;
    expect(names(model(p2, p1))).toEqual(names(model(p1, p2)));
  });
});

describe("identities", () => {
  test("`name` is in the policy's namespace, `ns/name` explicit, `*` any authenticated caller", () => {
    const m = model(tp("p", { source: { serviceAccounts: ["web", "ops/admin", "*"], namespaces: ["partners"] }, destination: cart, timeout: "1s" }, "shop"));
    expect(view(m, "cart").routes[0].source).toEqual({
      identities: [{ namespace: "shop", serviceAccount: "web" }, { namespace: "ops", serviceAccount: "admin" }, { any: true }],
      namespaces: ["partners"],
      workloads: [],
      ipBlocks: [],
      notIdentities: [],
      notNamespaces: [],
      notIpBlocks: [],
      pointer: "/spec/source",
    });
  });

  test("workloads: labels of the calling pods, in the policy's namespace unless one is given", () => {
    const m = model(
      tp(
        "p",
        {
          source: { workloads: [{ labels: { app: "web", version: "v2" } }, { labels: { app: "batch" }, namespace: "jobs" }] },
          destination: cart,
          timeout: "1s",
        },
        "shop",
      ),
    );
    expect(view(m, "cart").routes[0].source?.workloads).toEqual([
      { namespace: "shop", labels: { app: "web", version: "v2" } },
      { namespace: "jobs", labels: { app: "batch" } },
    ]);
  });

  test("a policy without namespace is in `default`", () => {
    const m = model({ kind: "TrafficPolicy", name: "p", spec: { source: { serviceAccounts: ["web"] }, destination: cart, timeout: "1s" } });
    const v = view(m, "cart", "default");
    expect(v.routes[0].source?.identities).toEqual([{ namespace: "default", serviceAccount: "web" }]);
  });

  test("SPIFFE IDs use the trust domain (default cluster.local)", () => {
    const m = model(tp("p", { destination: cart, timeout: "1s" }));
    expect(m.spiffeId({ namespace: "shop", serviceAccount: "web" })).toBe("spiffe://cluster.local/ns/shop/sa/web");
    const other = load([JSON.stringify({ apiVersion: "unimesh.io/v1alpha1", kind: "MeshService", metadata: { name: "a" }, spec: {} })]);
    expect(other.model.trustDomain).toBe("cluster.local");
  });
});

describe("access rules", () => {
  test("a rule's source defaults to spec.source; its own source wins; none means any caller", () => {
    const m = model(
      ap("with-default", {
        destination: { service: "cart", port: 8080 },
        source: { serviceAccounts: ["web"] },
        allow: [{ methods: ["GET"] }, { source: { namespaces: ["ops"] }, paths: ["/admin/*"] }],
        deny: [{ paths: ["/internal/*"] }],
      }),
      ap("no-default", { destination: cart, allow: [{ methods: ["HEAD"] }] }),
    );
    const v = view(m, "cart");
    expect(v.allow.map((r) => [r.policy.name, r.pointer, r.source?.pointer, r.port])).toEqual([
      ["no-default", "/spec/allow/0", undefined, undefined],
      ["with-default", "/spec/allow/0", "/spec/source", 8080],
      ["with-default", "/spec/allow/1", "/spec/allow/1/source", 8080],
    ]);
    expect(v.allow[1].source?.identities).toEqual([{ namespace: "shop", serviceAccount: "web" }]);
    expect(v.allow[2].source).toMatchObject({ identities: [], namespaces: ["ops"] });
    expect(v.deny).toHaveLength(1);
    expect(v.deny[0]).toMatchObject({ action: "deny", pointer: "/spec/deny/0", source: { pointer: "/spec/source" } });
  });
});

describe("destinations", () => {
  test("destination namespace: spec.destination.namespace, else the policy's namespace", () => {
    const m = model(
      tp("a", { destination: { service: "cart", namespace: "store" }, timeout: "1s" }, "ops"),
      tp("b", { destination: { service: "cart" }, routes: [{ match: { method: "GET" } }] }, "store"),
      tp("c", { destination: { service: "cart" }, timeout: "1s" }, "ops"),
    );
    expect(m.destinations().map((d) => [d.namespace, d.service, d.trafficPolicies.map((p) => p.id)])).toEqual([
      ["ops", "cart", ["TrafficPolicy/ops/c"]],
      ["store", "cart", ["TrafficPolicy/ops/a", "TrafficPolicy/store/b"]],
    ]);
  });

  test("every destination named by a TrafficPolicy, AccessPolicy or service-level MTLSPolicy, sorted", () => {
    const m = model(
      tp("t", { destination: { service: "zeta" }, timeout: "1s" }),
      ap("a", { destination: { service: "alpha" }, allow: [{}] }),
      { kind: "MTLSPolicy", name: "m", namespace: "shop", spec: { destination: { service: "mid" }, mode: "strict" } },
      { kind: "MTLSPolicy", name: "ns", namespace: "shop", spec: { mode: "permissive" } },
      ms("unused", {}),
    );
    expect(m.destinations().map((d) => d.service)).toEqual(["alpha", "mid", "zeta"]);
    expect(view(m, "mid").mtls?.id).toBe("MTLSPolicy/shop/m");
    expect(m.namespaceMtls.map((e) => e.id)).toEqual(["MTLSPolicy/shop/ns"]);
  });
});

describe("service facts", () => {
  test("conventions without a MeshService: selector app=<name>, service account <name>", () => {
    const m = model(tp("p", { destination: cart, timeout: "1s" }));
    expect(m.service("shop", "cart")).toEqual({ name: "cart", namespace: "shop", selector: { app: "cart" }, serviceAccount: "cart" });
    expect(m.workloadsOf("shop", "cart")).toEqual([{ app: "cart" }]);
  });

  test("a MeshService overrides what it declares; conventions fill the rest", () => {
    const m = model(
      ms("cart", { serviceAccount: "cart-sa", ports: [{ port: 8080, protocol: "grpc" }] }),
      ms("web", { selector: { "app.kubernetes.io/name": "web" } }),
      ms("web2", { selector: { tier: "web" }, serviceAccount: "web" }),
    );
    expect(m.service("shop", "cart")).toMatchObject({ selector: { app: "cart" }, serviceAccount: "cart-sa", ports: [{ port: 8080, protocol: "grpc" }] });
    expect(m.service("shop", "cart").declaredBy?.id).toBe("MeshService/shop/cart");
    expect(m.service("shop", "web")).toMatchObject({ selector: { "app.kubernetes.io/name": "web" }, serviceAccount: "web" });
    expect(m.service("other", "cart").declaredBy).toBeUndefined();
    expect(m.workloadsOf("shop", "web")).toEqual([{ "app.kubernetes.io/name": "web" }, { tier: "web" }]);
    expect(m.workloadsOf("shop", "cart-sa")).toEqual([{ app: "cart" }]);
  });
});

describe("traffic keys (what counts as the same traffic)", () => {
  const route = (over: Partial<EffectiveRoute>): EffectiveRoute => ({
    policy: {} as never,
    index: 0,
    pointer: "",
    action: { kind: "split", targets: [], pointer: "" },
    ...over,
  });
  test("source lists are sets; an empty match is no match; the port matters", () => {
    const src = (ids: string[], workloads: { namespace: string; labels: Record<string, string> }[] = []) => ({
      identities: ids.map((s) => ({ namespace: "shop", serviceAccount: s })),
      namespaces: [],
      workloads,
      ipBlocks: [],
      notIdentities: [],
      notNamespaces: [],
      notIpBlocks: [],
      pointer: "/a",
    });
    expect(trafficKey(route({ source: src(["a", "b"]) }))).toBe(trafficKey(route({ source: { ...src(["b", "a"]), pointer: "/b" } })));
    // Callers by pod labels are part of the source: other labels are other callers.
    const v1 = { namespace: "shop", labels: { app: "web", version: "v1" } };
    const v2 = { namespace: "shop", labels: { version: "v2", app: "web" } };
    expect(trafficKey(route({ source: src([], [v1]) }))).not.toBe(trafficKey(route({ source: src([], [v2]) })));
    expect(trafficKey(route({ source: src([], [v1, v2]) }))).toBe(
      trafficKey(route({ source: src([], [{ namespace: "shop", labels: { app: "web", version: "v2" } }, v1]) })),
    );
    expect(trafficKey(route({ match: { value: {}, pointer: "/m" } }))).toBe(trafficKey(route({})));
    expect(trafficKey(route({ port: 80 }))).not.toBe(trafficKey(route({})));
  });
});

describe("subset settings", () => {
  test("merged per subset and kind (first policy by id); a subset's own kind replaces the destination's, others are inherited", () => {
    const m = model(
      tp("a", {
        destination: cart,
        outlierDetection: { consecutive5xxErrors: 5 },
        connectionPool: { maxConnections: 100 },
        subsetSettings: [{ subset: { version: "v2" }, outlierDetection: { consecutive5xxErrors: 1 } }],
      }),
      tp("b", {
        destination: cart,
        subsetSettings: [
          { subset: { version: "v2" }, loadBalancer: { algorithm: "random" } },
          { subset: { version: "v3" }, connectionPool: { maxConnections: 1 } },
        ],
      }),
    );
    const v = view(m, "cart");
    expect(v.subsetSettings.map((s) => [s.subset.name, Object.keys(s).filter((k) => k !== "subset")])).toEqual([
      ["v2", ["outlierDetection", "loadBalancer"]],
      ["v3", ["connectionPool"]],
    ]);
    expect(v.subsets.map((s) => s.name)).toEqual(["v2", "v3"]);
    expect(subsetSetting(v, "v2", "outlierDetection")).toMatchObject({
      value: { consecutive5xxErrors: 1 },
      pointer: "/spec/subsetSettings/0/outlierDetection",
    });
    expect(subsetSetting(v, "v2", "connectionPool")).toMatchObject({ value: { maxConnections: 100 }, pointer: "/spec/connectionPool" });
    expect(subsetSetting(v, "v3", "connectionPool")?.policy.name).toBe("b");
    expect(subsetSetting(v, undefined, "outlierDetection")?.value).toEqual({ consecutive5xxErrors: 5 });
    expect(subsetSetting(v, "v1", "loadBalancer")).toBeUndefined();
  });
});
