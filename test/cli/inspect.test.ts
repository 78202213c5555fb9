/**
 * `unimesh inspect`, `explain` and `graph` on Bookinfo, as issue 14's "Done means" says: the content of
 * what they print (routes, weights, rules, file:line), their exit codes, and their errors.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { EXIT } from "../../src/cli/exit-codes.js";
import { cli, ROOT, scratch } from "./helpers.js";

const BOOKINFO = "examples/bookinfo";

describe("unimesh inspect", () => {
  test("bookinfo/reviews: the jason route and the canary in effective order, the retries, who may call it, each with file:line", async () => {
    const r = await cli(["inspect", "bookinfo/reviews", BOOKINFO]);
    expect(r.code, r.stderr).toBe(EXIT.OK);
    const out = r.stdout;
    // Routes in effective order: jason first (header match), then the canary catch-all.
    expect(out).toMatch(
      /1\. "jason" of TrafficPolicy\/bookinfo\/reviews-canary \(examples\/bookinfo\/traffic\.yaml:9\)\n\s+match: header end-user = "jason", port 9080/,
    );
    expect(out).toMatch(/2\. "canary" of TrafficPolicy\/bookinfo\/reviews-canary \(examples\/bookinfo\/traffic\.yaml:12\)/);
    expect(out).toContain("backends: subset v1 (version=v1) port 9080 90%, subset v3 (version=v3) port 9080 10%");
    expect(out).toContain("backends: subset v2 (version=v2) port 9080 100%");
    expect(out).toContain("retries: {attempts: 2, perTryTimeout: 1s, retryOn: [5xx, connect-failure]} (examples/bookinfo/traffic.yaml:17)");
    expect(out).toContain("timeout: 3s (examples/bookinfo/traffic.yaml:16)");
    expect(out).toContain(
      "outlierDetection: {consecutive5xxErrors: 5, interval: 10s, baseEjectionTime: 30s, maxEjectionPercent: 50} (TrafficPolicy/bookinfo/reviews-canary, examples/bookinfo/traffic.yaml:18)",
    );
    // Who may call it.
    expect(out).toContain("access: deny by default (AccessPolicy/bookinfo/reviews-readers)");
    expect(out).toContain(
      "allow bookinfo/bookinfo-productpage: GET, on /reviews/* (AccessPolicy/bookinfo/reviews-readers, examples/bookinfo/security.yaml:26)",
    );
    expect(out).toContain("bookinfo/bookinfo-productpage (productpage): allowed (GET, on /reviews/*: AccessPolicy/bookinfo/reviews-readers /spec/allow/0)");
    expect(out).toContain("bookinfo/bookinfo-ratings (ratings): denied by default (no allow rule admits it)");
    expect(out).toContain("unauthenticated: denied by default");
    expect(out).toContain("mtls: port 9080: strict (MTLSPolicy/bookinfo/bookinfo-strict, examples/bookinfo/security.yaml:7)");
    // As a source: reviews calls ratings (allowed), not details.
    expect(out).toMatch(
      /-> bookinfo\/ratings: allowed\n\s+allow GET, on \/ratings\/\* \(AccessPolicy\/bookinfo\/ratings-readers, examples\/bookinfo\/security\.yaml:36\)/,
    );
    expect(out).toContain("-> bookinfo/details: denied by default (no allow rule admits it)");
  });

  test("-o json: the same as data", async () => {
    const r = await cli(["inspect", "bookinfo/reviews", BOOKINFO, "-o", "json"]);
    expect(r.code).toBe(EXIT.OK);
    const j = JSON.parse(r.stdout);
    expect(j.destination.routes.map((x: { name: string; origin: { line: number } }) => [x.name, x.origin.line])).toEqual([
      ["jason", 9],
      ["canary", 12],
    ]);
    expect(j.destination.routes[1].backends).toEqual([
      { subset: "v1", labels: { version: "v1" }, weight: 90, port: 9080 },
      { subset: "v3", labels: { version: "v3" }, weight: 10, port: 9080 },
    ]);
    expect(j.destination.routes[1].retries).toEqual({
      value: { attempts: 2, perTryTimeout: "1s", retryOn: ["5xx", "connect-failure"] },
      origin: { policy: "TrafficPolicy/bookinfo/reviews-canary", file: "examples/bookinfo/traffic.yaml", line: 17, pointer: "/spec/retries" },
    });
    expect(j.destination.access.callers.filter((c: { allowed: boolean }) => c.allowed).map((c: { caller: string }) => c.caller)).toEqual([
      "bookinfo/bookinfo-productpage (productpage)",
    ]);
  });

  test("--mesh: the native objects carrying the policies, the fields per feature, and what the mesh cannot do", async () => {
    const r = await cli(["inspect", "bookinfo/reviews", BOOKINFO, "--mesh", "istio@1.30,linkerd"]);
    expect(r.code, r.stderr).toBe(EXIT.OK);
    expect(r.stdout).toContain("on istio@1.30:\n");
    expect(r.stdout).toContain("VirtualService bookinfo/reviews <- TrafficPolicy/bookinfo/reviews-canary");
    expect(r.stdout).toContain("AuthorizationPolicy bookinfo/reviews-allow <- AccessPolicy/bookinfo/reviews-readers");
    expect(r.stdout).toContain("retries: full via VirtualService.http[].retries");
    expect(r.stdout).toMatch(/on linkerd@2\.\d+: CANNOT TRANSLATE these policies/);
    expect(r.stdout).toMatch(/traffic\.yaml:17:3 \[0\]#\/spec\/retries\/retryOn\/1: error adapter\/unsupported-value\/retries\.retryOn: Linkerd/);
  });

  test("errors: an unknown service (with the closest name), a reference without namespace, an unknown mesh", async () => {
    const a = await cli(["inspect", "bookinfo/reveiws", BOOKINFO]);
    expect(a.code).toBe(EXIT.USAGE);
    expect(a.stderr).toBe(
      "unimesh: unknown service bookinfo/reveiws (did you mean bookinfo/reviews?); the model knows: bookinfo/details, bookinfo/productpage, bookinfo/ratings, bookinfo/reviews\n",
    );
    const b = await cli(["inspect", "reviews", BOOKINFO]);
    expect(b.code).toBe(EXIT.USAGE);
    expect(b.stderr).toContain("expected <namespace>/<service>");
    const c = await cli(["inspect", "bookinfo/reviews", BOOKINFO, "--mesh", "consul"]);
    expect(c.code).toBe(EXIT.USAGE);
    expect(c.stderr).toContain('unknown mesh "consul"');
    const d = await cli([
      "inspect",
      "bookinfo/reviews",
      scratch({
        "bad.yaml": "apiVersion: unimesh.io/v1alpha1\nkind: TrafficPolicy\nmetadata: {name: x}\nspec: {destination: {service: a}, retries: {attempts: 99}}\n",
      }),
    ]);
    expect(d.code).toBe(EXIT.INVALID);
    expect(d.stderr).toContain("schema/maximum");
    expect(d.stdout).toBe("");
  });
});

describe("unimesh explain", () => {
  const explain = (...argv: string[]) => cli(["explain", ...argv]);

  test("productpage → reviews:9080 GET /reviews/1: allowed by reviews-readers, the canary's subset weights, its timeout and retries", async () => {
    const r = await explain("--from", "bookinfo/bookinfo-productpage", "--to", "bookinfo/reviews:9080", "GET", "/reviews/1", BOOKINFO);
    expect(r.code, r.stderr).toBe(EXIT.OK);
    expect(r.stdout).toContain(
      "decision: ALLOWED\n  allowed by the allow rule /spec/allow/0 of AccessPolicy/bookinfo/reviews-readers (examples/bookinfo/security.yaml:26)\n",
    );
    expect(r.stdout).toContain('route: "canary" of TrafficPolicy/bookinfo/reviews-canary (examples/bookinfo/traffic.yaml:12)');
    expect(r.stdout).toContain("backends: subset v1 (version=v1) port 9080 90%, subset v3 (version=v3) port 9080 10%");
    expect(r.stdout).toContain("timeout: 3s");
    expect(r.stdout).toContain("retries: {attempts: 2, perTryTimeout: 1s, retryOn: [5xx, connect-failure]}");
    expect(r.stdout).toContain("mtls: strict (MTLSPolicy/bookinfo/bookinfo-strict, examples/bookinfo/security.yaml:7)");
  });

  test("the same from bookinfo-ratings: denied by the default deny, exit 6", async () => {
    const r = await explain("--from", "bookinfo/bookinfo-ratings", "--to", "bookinfo/reviews:9080", "GET", "/reviews/1", BOOKINFO);
    expect(r.code).toBe(EXIT.DENIED);
    expect(r.stdout).toContain(
      "decision: DENIED (403 from the destination's proxy)\n  denied by default: no allow rule of AccessPolicy/bookinfo/reviews-readers matches\n",
    );
  });

  test("-o json; jason's header picks the jason route (v2 100%); the default: inputs from the current directory", async () => {
    const j = await cli(
      ["explain", "--from", "bookinfo/bookinfo-productpage", "--to", "bookinfo/reviews:9080", "GET", "/reviews/1", "-H", "end-user: jason", "-o", "json"],
      { cwd: join(ROOT, BOOKINFO) },
    );
    expect(j.code, j.stderr).toBe(EXIT.OK);
    const x = JSON.parse(j.stdout);
    expect(x.decision).toBe("allowed");
    expect(x.route.name).toBe("jason");
    expect(x.route.origin).toEqual({ policy: "TrafficPolicy/bookinfo/reviews-canary", file: "traffic.yaml", line: 9, pointer: "/spec/routes/0" });
    expect(x.backends.map((b: { subset: string; weight: number }) => [b.subset, b.weight])).toEqual([["v2", 100]]);
    expect(x.backends[0].access.rule.origin).toEqual({
      policy: "AccessPolicy/bookinfo/reviews-readers",
      file: "security.yaml",
      line: 26,
      pointer: "/spec/allow/0",
    });
  });

  test("fault injection, deny rules after path normalization, and plaintext callers on a strict namespace", async () => {
    const f = await explain("--from", "bookinfo/bookinfo-reviews", "--to", "bookinfo/ratings", "GET", "/ratings/1", BOOKINFO, "-o", "json");
    const x = JSON.parse(f.stdout);
    expect(x.route.name).toBe("flaky");
    expect(x.faults).toEqual({ abortPercent: 10, abortStatus: 503 });
    // The flaky route (ratings-fault-test) comes before ratings-resilience's catch-all: its retries and timeout do not apply here.
    expect(x.route.retries).toBeUndefined();
    expect(x.route.timeout).toBeUndefined();
    const d = await explain("--from", "bookinfo/bookinfo-ratings", "--to", "bookinfo/productpage", "GET", "/static/../admin/users", BOOKINFO);
    expect(d.code).toBe(EXIT.DENIED);
    expect(d.stdout).toContain("path normalized to: /admin/users");
    expect(d.stdout).toContain("denied by the deny rule /spec/deny/0 of AccessPolicy/bookinfo/productpage-public (examples/bookinfo/security.yaml:49)");
    const u = await explain("--from", "unauthenticated", "--to", "bookinfo/productpage", "GET", "/productpage", BOOKINFO);
    expect(u.code).toBe(EXIT.DENIED);
    expect(u.stdout).toContain("plaintext connection refused: the port's mTLS mode is strict");
  });

  test("--mesh: whether each mesh decides the same, from its adapter's diagnostics about the policies involved", async () => {
    const r = await explain(
      "--from",
      "bookinfo/bookinfo-productpage",
      "--to",
      "bookinfo/reviews:9080",
      "GET",
      "/reviews/1",
      BOOKINFO,
      "--mesh",
      "istio@1.30,appmesh",
      "-o",
      "json",
    );
    const x = JSON.parse(r.stdout);
    expect(x.meshes.map((m: { mesh: string; verdict: string }) => [m.mesh, m.verdict])).toEqual([
      ["istio@1.30", "same"],
      ["appmesh@1.13", "differs"],
    ]);
    expect(x.meshes[1].diagnostics.map((d: { pointer: string }) => d.pointer)).toEqual(["/spec/allow/0/methods", "/spec/allow/0/paths"]);
  });

  test("errors: unknown service, bad --from, bad --to, a port the service does not have, no path", async () => {
    const a = await explain("--from", "bookinfo/bookinfo-productpage", "--to", "bookinfo/reviewz:9080", "GET", "/", BOOKINFO);
    expect(a.code).toBe(EXIT.USAGE);
    expect(a.stderr).toContain("unknown service bookinfo/reviewz (did you mean bookinfo/reviews?)");
    const b = await explain("--from", "productpage", "--to", "bookinfo/reviews", "GET", "/", BOOKINFO);
    expect(b.code).toBe(EXIT.USAGE);
    expect(b.stderr).toBe('unimesh: --from "productpage": expected <namespace>/<serviceAccount> or unauthenticated (e.g. bookinfo/bookinfo-productpage)\n');
    const c = await explain("--from", "bookinfo/Bad_Name", "--to", "bookinfo/reviews", "GET", "/", BOOKINFO);
    expect(c.code).toBe(EXIT.USAGE);
    expect(c.stderr).toContain('--from "bookinfo/Bad_Name"');
    const d = await explain("--from", "bookinfo/bookinfo-productpage", "--to", "bookinfo/reviews:80:1", "GET", "/", BOOKINFO);
    expect(d.code).toBe(EXIT.USAGE);
    const e = await explain("--from", "bookinfo/bookinfo-productpage", "--to", "bookinfo/reviews:8080", "GET", "/", BOOKINFO);
    expect(e.code).toBe(EXIT.USAGE);
    expect(e.stderr).toBe("unimesh: bookinfo/reviews has no port 8080; its ports: 9080\n");
    const f = await explain("--from", "bookinfo/bookinfo-productpage", "--to", "bookinfo/reviews", "GET", "reviews", BOOKINFO);
    expect(f.code).toBe(EXIT.USAGE);
    expect(f.stderr).toContain("expected a path starting with /");
  });
});

describe("unimesh graph", () => {
  test("dot: services, allowed edges by identity, denied-by-default edges, routes with weights", async () => {
    const r = await cli(["graph", BOOKINFO]);
    expect(r.code, r.stderr).toBe(EXIT.OK);
    const dot = r.stdout;
    expect(dot).toMatch(/^digraph unimesh \{/);
    expect(dot).toContain('"bookinfo/productpage" -> "bookinfo/reviews" [label="GET, on /reviews/*", color="#2e7d32"');
    expect(dot).toContain('"bookinfo/ratings" -> "bookinfo/reviews" [label="denied by default", color="#c62828", fontcolor="#c62828", style=dashed]');
    expect(dot).toContain('"bookinfo/reviews" -> "bookinfo/reviews#v1" [label="canary 90%"');
    expect(dot).toContain('"bookinfo/reviews" -> "bookinfo/reviews#v3" [label="canary 10%"');
    expect(dot).toContain('"*" -> "bookinfo/productpage" [label="GET|POST\\nexcept on /admin/*"');
    // 3 allowed edges by identity, 1 from any caller, 6 denied by default, 3 routes.
    expect(dot.match(/ -> /g)).toHaveLength(13);
    expect(dot.match(/denied by default/g)).toHaveLength(6);
  });

  test("json and mermaid", async () => {
    const j = JSON.parse((await cli(["graph", BOOKINFO, "--format", "json"])).stdout);
    expect(j.nodes.map((n: { id: string }) => n.id)).toEqual([
      "*",
      "bookinfo/details",
      "bookinfo/productpage",
      "bookinfo/ratings",
      "bookinfo/reviews",
      "bookinfo/reviews#v1",
      "bookinfo/reviews#v2",
      "bookinfo/reviews#v3",
    ]);
    expect(j.edges.filter((e: { kind: string }) => e.kind === "route").map((e: { to: string; weight: number }) => [e.to, e.weight])).toEqual([
      ["bookinfo/reviews#v1", 90],
      ["bookinfo/reviews#v2", 100],
      ["bookinfo/reviews#v3", 10],
    ]);
    const m = (await cli(["graph", BOOKINFO, "-o", "mermaid"])).stdout;
    expect(m).toMatch(/^flowchart LR\n/);
    expect(m).toContain('-.->|"denied by default"|');
  });

  test("svg: drawn by Graphviz, byte-identical run to run, and the picture the README shows is up to date", async () => {
    const a = await cli(["graph", BOOKINFO, "--format", "svg"]);
    expect(a.code, a.stderr).toBe(EXIT.OK);
    expect(a.stdout).toContain("<!-- Generated by graphviz version");
    expect(a.stdout).toMatch(/<svg width="\d+pt" height="\d+pt"/);
    expect(a.stdout).toContain(">canary 90%</text>");
    expect(a.stdout).toContain(">denied by default</text>");
    const b = await cli(["graph", BOOKINFO, "-o", "svg"]);
    expect(b.stdout).toBe(a.stdout);
    expect(
      readFileSync(join(ROOT, "docs/bookinfo-graph.svg"), "utf8"),
      "docs/bookinfo-graph.svg is stale: unimesh graph examples/bookinfo --format svg > docs/bookinfo-graph.svg",
    ).toBe(a.stdout);
    expect(readFileSync(join(ROOT, "README.md"), "utf8")).toContain("](docs/bookinfo-graph.svg)");
  });

  test("an unknown format is a usage error", async () => {
    const r = await cli(["graph", BOOKINFO, "--format", "png"]);
    expect(r.code).toBe(EXIT.USAGE);
    expect((await cli(["graph", BOOKINFO, "-o", "png"])).code).toBe(EXIT.USAGE);
  });
});

describe("inspect --mesh istio --set dataplane=ambient (issue 12)", () => {
  test("the translation and the capabilities shown are the ambient data plane's; --set without --mesh is a usage error", async () => {
    const TRAFFIC = join(ROOT, "examples/bookinfo");
    const r = await cli([
      "inspect",
      "bookinfo/reviews",
      join(TRAFFIC, "services.yaml"),
      join(TRAFFIC, "traffic.yaml"),
      join(TRAFFIC, "security.yaml"),
      "--mesh",
      "istio",
      "--set",
      "dataplane=ambient",
      "--set",
      "channel=experimental",
      "-o",
      "json",
    ]);
    expect(r.code).toBe(EXIT.OK);
    const j = JSON.parse(r.stdout);
    const istio = j.meshes[0];
    expect(istio.ok).toBe(true);
    expect(istio.objects.map((o: { kind: string; name: string }) => `${o.kind}/${o.name}`)).toEqual(
      expect.arrayContaining(["HTTPRoute/reviews-9080", "Gateway/waypoint", "AuthorizationPolicy/reviews-ztunnel"]),
    );
    expect(JSON.stringify(istio)).toContain("applied by the waypoint");
    const sidecar = JSON.parse(
      (await cli(["inspect", "bookinfo/reviews", join(TRAFFIC, "services.yaml"), join(TRAFFIC, "traffic.yaml"), "--mesh", "istio", "-o", "json"])).stdout,
    );
    expect(sidecar.meshes[0].objects.map((o: { kind: string }) => o.kind)).toContain("VirtualService");
    const bad = await cli(["inspect", "bookinfo/reviews", TRAFFIC, "--set", "dataplane=ambient"]);
    expect(bad.code).toBe(EXIT.USAGE);
    expect(bad.stderr).toContain("--set: the settings are for the --mesh translations");
  });
});
