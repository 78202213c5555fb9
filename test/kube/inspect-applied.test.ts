/**
 * Live mode of `inspect` and `explain` on what unimesh applied (`--applied`, the default with `--context`
 * and no input files): Bookinfo is applied with `unimesh apply --mesh istio` to the fake API server, then
 * read back with the Istio importer; origins name the cluster objects; with the files too, the drift;
 * fields the model cannot carry are shown; a malformed object is a diagnostic; RBAC and an unreachable
 * cluster are exit 3.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { fakeCluster, removeScratch, scratch, unimesh, withUnreachable } from "./support/harness.js";

let cluster: Awaited<ReturnType<typeof fakeCluster>>;
let kc: { kubeconfig: string };
const BOOKINFO = join(import.meta.dirname, "../../examples/bookinfo");

beforeAll(async () => {
  cluster = await fakeCluster({ mesh: "istio" });
  kc = { kubeconfig: cluster.kubeconfig };
  // reviews (v1, v2) and ratings (v1) with their Services; productpage and details as Bookinfo deploys them.
  await cluster.setupNamespace("bookinfo");
  for (const n of ["productpage", "details"]) {
    cluster.server.seed({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: `bookinfo-${n}`, namespace: "bookinfo" } });
    cluster.server.seed({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: n, namespace: "bookinfo", labels: { app: n } },
      spec: { selector: { app: n }, ports: [{ name: "http", port: 9080, targetPort: 9080 }] },
    });
    cluster.server.seed({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: `${n}-v1-0`, namespace: "bookinfo", labels: { app: n, version: "v1" } },
      spec: {
        serviceAccountName: `bookinfo-${n}`,
        containers: [{ name: n, image: `docker.io/istio/examples-bookinfo-${n}-v1:1.20.2`, ports: [{ containerPort: 9080 }] }],
      },
      status: { phase: "Running" },
    });
  }
  const a = await unimesh(["apply", BOOKINFO, "--mesh", "istio", "--context", cluster.context], kc);
  expect(a.code, a.stderr).toBe(0);
  expect(a.stdout).toContain("11 created");
});
afterAll(async () => {
  await cluster.server.stop();
  removeScratch();
});

/** Every origin in a JSON result. */
function origins(v: unknown, out: Record<string, unknown>[] = []): Record<string, unknown>[] {
  if (Array.isArray(v)) for (const x of v) origins(x, out);
  else if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    if (typeof o.policy === "string" && typeof o.file === "string" && typeof o.pointer === "string") out.push(o);
    for (const x of Object.values(o)) origins(x, out);
  }
  return out;
}

describe("inspect --context without files: what unimesh applied, read back", () => {
  test("reviews: the jason route, the canary, the retries and the callers, each from its cluster object", async () => {
    const r = await unimesh(["inspect", "bookinfo/reviews", "--context", cluster.context], kc);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("unimesh inspect: kind-istio: 11 istio objects applied by unimesh read back");
    const out = r.stdout;
    expect(out).toContain(
      `1. "jason" of TrafficPolicy/bookinfo/reviews-canary (context/kind-istio VirtualService/bookinfo/reviews, DestinationRule/bookinfo/reviews#/spec/routes/0)`,
    );
    expect(out).toContain(`match: header end-user = "jason", port 9080`);
    expect(out).toContain("backends: subset v2 (version=v2) port 9080 100%");
    expect(out).toContain(`2. "canary" of TrafficPolicy/bookinfo/reviews-canary`);
    expect(out).toContain("backends: subset v1 (version=v1) port 9080 90%, subset v3 (version=v3) port 9080 10%");
    expect(out).toContain(
      "retries: {attempts: 2, perTryTimeout: 1s, retryOn: [5xx, connect-failure]} (context/kind-istio VirtualService/bookinfo/reviews, DestinationRule/bookinfo/reviews#/spec/routes/1/retries)",
    );
    expect(out).toContain(
      "allow bookinfo/bookinfo-productpage: GET, on /reviews/* (AccessPolicy/bookinfo/reviews-readers, context/kind-istio AuthorizationPolicy/bookinfo/reviews-allow#/spec/allow/0)",
    );
    expect(out).toContain("bookinfo/bookinfo-productpage (productpage): allowed (GET, on /reviews/*: AccessPolicy/bookinfo/reviews-readers /spec/allow/0)");
    expect(out).toContain("bookinfo/bookinfo-ratings (ratings): denied by default (no allow rule admits it)");
    expect(out).toContain("mtls: port 9080: strict (MTLSPolicy/bookinfo/bookinfo-strict, context/kind-istio PeerAuthentication/bookinfo/default#/spec/mode)");
    expect(out).toContain("read back from cluster kind-istio: 11 istio objects applied by unimesh");
    // Nothing points at the files: they were not read.
    expect(out).not.toContain("examples/bookinfo");
    expect(out).not.toContain("drift");
  });

  test("JSON: origins carry the context and the objects, no line; the applied objects are listed", async () => {
    const r = await unimesh(["inspect", "bookinfo/reviews", "--context", cluster.context, "-o", "json"], kc);
    expect(r.code, r.stderr).toBe(0);
    const x = JSON.parse(r.stdout);
    expect(x.destination.routes.map((rt: { name?: string }) => rt.name)).toEqual(["jason", "canary"]);
    expect(x.destination.routes[1].backends.map((b: { subset: string; weight: number }) => [b.subset, b.weight])).toEqual([
      ["v1", 90],
      ["v3", 10],
    ]);
    expect(x.destination.routes[0].origin).toEqual({
      policy: "TrafficPolicy/bookinfo/reviews-canary",
      file: "context/kind-istio",
      pointer: "/spec/routes/0",
      objects: ["VirtualService/bookinfo/reviews", "DestinationRule/bookinfo/reviews"],
    });
    expect(x.destination.access.rules[0].origin.objects).toEqual(["AuthorizationPolicy/bookinfo/reviews-allow"]);
    expect(x.facts.declaredBy.objects[0]).toBe("Service/bookinfo/reviews");
    const all = origins(x);
    expect(all.length).toBeGreaterThan(10);
    for (const o of all) {
      expect(o.file).toBe("context/kind-istio");
      expect(o.line).toBeUndefined();
      expect((o.objects as string[]).length).toBeGreaterThan(0);
    }
    expect(x.applied).toMatchObject({ context: "kind-istio", mesh: "istio", notApplied: 0, diagnostics: [] });
    expect(x.applied.objects).toContain("AuthorizationPolicy/bookinfo/reviews-allow");
    expect(x.applied.objects).toHaveLength(11);
    expect(x.drift).toBeUndefined();
  });

  test("explain decides the same from the applied objects as from the files", async () => {
    const requests: [string, string, string[]][] = [
      ["bookinfo/bookinfo-productpage", "/reviews/1", []],
      ["bookinfo/bookinfo-productpage", "/reviews/1", ["-H", "end-user:jason"]],
      ["bookinfo/bookinfo-ratings", "/reviews/1", []],
      ["bookinfo/bookinfo-productpage", "/admin", []],
      ["unauthenticated", "/reviews/1", []],
    ];
    for (const [from, path, extra] of requests) {
      const base = ["explain", "--from", from, "--to", "bookinfo/reviews:9080", "GET", path, ...extra, "-o", "json"];
      const f = await unimesh([...base, BOOKINFO], kc);
      const c = await unimesh([...base, "--context", cluster.context], kc);
      expect(c.code, `${from} ${path}: ${c.stderr}`).toBe(f.code);
      const fx = JSON.parse(f.stdout);
      const cx = JSON.parse(c.stdout);
      expect(cx.decision).toBe(fx.decision);
      expect(cx.status).toBe(fx.status);
      expect(cx.route?.name).toBe(fx.route?.name);
      expect(cx.route?.backends).toEqual(fx.route?.backends);
      expect(cx.route?.timeout?.value).toBe(fx.route?.timeout?.value);
      expect(cx.route?.retries?.value).toEqual(fx.route?.retries?.value);
      expect(cx.backends.map((b: { access?: { rule?: { origin: { policy: string; pointer: string } } } }) => b.access?.rule?.origin.policy)).toEqual(
        fx.backends.map((b: { access?: { rule?: { origin: { policy: string } } } }) => b.access?.rule?.origin.policy),
      );
      expect(cx.applied.context).toBe("kind-istio");
    }
    const ok = await unimesh(
      ["explain", "--from", "bookinfo/bookinfo-productpage", "--to", "bookinfo/reviews:9080", "GET", "/reviews/1", "--context", cluster.context],
      kc,
    );
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain(
      "allowed by the allow rule /spec/allow/0 of AccessPolicy/bookinfo/reviews-readers (context/kind-istio AuthorizationPolicy/bookinfo/reviews-allow#/spec/allow/0)",
    );
    expect(ok.stdout).toContain("backends: subset v1 (version=v1) port 9080 90%, subset v3 (version=v3) port 9080 10%");
    const denied = await unimesh(
      ["explain", "--from", "bookinfo/bookinfo-ratings", "--to", "bookinfo/reviews:9080", "GET", "/reviews/1", "--context", cluster.context],
      kc,
    );
    expect(denied.code).toBe(6);
    expect(denied.stdout).toContain("denied by default");
  });
});

describe("--policy-set: only what apply wrote for one policy set", () => {
  test("the default set is Bookinfo's; another set holds nothing here; --policy-set needs --applied", async () => {
    const d = await unimesh(["inspect", "bookinfo/reviews", "--context", cluster.context, "--policy-set", "default", "-o", "json"], kc);
    expect(d.code, d.stderr).toBe(0);
    expect(d.stderr).toContain("11 istio objects applied by unimesh (policy set default) read back");
    expect(JSON.parse(d.stdout).destination.routes.map((r: { name?: string }) => r.name)).toEqual(["jason", "canary"]);
    const o = await unimesh(["inspect", "bookinfo/reviews", "--context", cluster.context, "--policy-set", "other"], kc);
    expect(o.code, o.stderr).toBe(0);
    expect(o.stderr).toContain(
      "no object applied by unimesh (label app.kubernetes.io/managed-by=unimesh, unimesh.io/policy-set=other): only the facts of 5 Services",
    );
    expect(o.stdout).toContain("access: open: no AccessPolicy selects it");
    const u = await unimesh(["inspect", "bookinfo/reviews", BOOKINFO, "--policy-set", "default"], kc);
    expect(u.code).toBe(2);
    expect(u.stderr).toContain("--policy-set selects what --applied reads");
  });
});

describe("inspect --applied with the files: drift", () => {
  test("the files as applied: no drift, exit 0", async () => {
    const r = await unimesh(["inspect", "bookinfo/reviews", BOOKINFO, "--applied", "--context", cluster.context], kc);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("drift: none (the cluster kind-istio holds what the files say for this service)");
    const j = await unimesh(["inspect", "bookinfo/ratings", BOOKINFO, "--applied", "--context", cluster.context, "-o", "json"], kc);
    expect(j.code, j.stdout).toBe(0);
    expect(JSON.parse(j.stdout).drift).toEqual([]);
  });

  test("files changed since the apply: a policy not applied, one applied but gone from the files, other weights (exit 5)", async () => {
    const dir = scratch();
    cpSync(BOOKINFO, dir, { recursive: true });
    const traffic = readFileSync(join(dir, "traffic.yaml"), "utf8");
    expect(traffic).toContain("weight: 90}");
    writeFileSync(
      join(dir, "traffic.yaml"),
      traffic.replace("weight: 90}", "weight: 50}").replace("weight: 10}", "weight: 50}") +
        "---\napiVersion: unimesh.io/v1alpha1\nkind: MTLSPolicy\nmetadata: {name: reviews-permissive, namespace: bookinfo}\nspec: {destination: {service: reviews}, mode: permissive}\n",
    );
    const security = readFileSync(join(dir, "security.yaml"), "utf8");
    const docs = security.split(/^---$/m).filter((d) => !d.includes("name: reviews-readers"));
    writeFileSync(join(dir, "security.yaml"), docs.join("---"));
    const r = await unimesh(["inspect", "bookinfo/reviews", dir, "--applied", "--context", cluster.context, "-o", "json"], kc);
    expect(r.code, r.stderr).toBe(5);
    expect(JSON.parse(r.stdout).drift).toEqual([
      { policy: "AccessPolicy/bookinfo/reviews-readers", change: "not-in-files", items: [] },
      { policy: "MTLSPolicy/bookinfo/bookinfo-strict", change: "differs", items: [{ item: "mtls port 9080", cluster: "strict" }] },
      { policy: "MTLSPolicy/bookinfo/reviews-permissive", change: "not-applied", items: [] },
      {
        policy: "TrafficPolicy/bookinfo/reviews-canary",
        change: "differs",
        items: [
          {
            item: `route "canary" backends`,
            files: "subset v1 (version=v1) port 9080 50%, subset v3 (version=v3) port 9080 50%",
            cluster: "subset v1 (version=v1) port 9080 90%, subset v3 (version=v3) port 9080 10%",
          },
        ],
      },
    ]);
    const t = await unimesh(["inspect", "bookinfo/reviews", dir, "--applied", "--context", cluster.context], kc);
    expect(t.code).toBe(5);
    expect(t.stdout).toContain(
      [
        "drift (files vs cluster kind-istio):",
        "  AccessPolicy/bookinfo/reviews-readers: applied, not in the files",
        "  MTLSPolicy/bookinfo/bookinfo-strict: differs",
        "    mtls port 9080: files (none); cluster strict",
        "  MTLSPolicy/bookinfo/reviews-permissive: in the files, not applied",
        "  TrafficPolicy/bookinfo/reviews-canary: differs",
        `    route "canary" backends: files subset v1 (version=v1) port 9080 50%, subset v3 (version=v3) port 9080 50%; cluster subset v1 (version=v1) port 9080 90%, subset v3 (version=v3) port 9080 10%`,
      ].join("\n"),
    );
    // explain lists the destination's drift too; its exit code stays the decision's.
    const e = await unimesh(
      [
        "explain",
        "--from",
        "bookinfo/bookinfo-productpage",
        "--to",
        "bookinfo/reviews:9080",
        "GET",
        "/reviews/1",
        dir,
        "--applied",
        "--context",
        cluster.context,
        "-o",
        "json",
      ],
      kc,
    );
    expect(e.code, e.stderr).toBe(0);
    expect(JSON.parse(e.stdout).drift.map((d: { policy: string }) => d.policy)).toContain("TrafficPolicy/bookinfo/reviews-canary");
  });
  test("an object edited in the cluster since the apply (kubectl edit): inspect shows what is in force, and the drift", async () => {
    const vs = cluster.server.get("networking.istio.io/v1", "VirtualService", "bookinfo", "reviews")!;
    const edited = structuredClone(vs);
    edited.spec.http[1].route[0].weight = 70;
    edited.spec.http[1].route[1].weight = 30;
    cluster.server.seed(
      { ...edited, metadata: { name: "reviews", namespace: "bookinfo", labels: vs.metadata.labels, annotations: vs.metadata.annotations } },
      { manager: "kubectl-edit" },
    );
    try {
      const live = await unimesh(["inspect", "bookinfo/reviews", "--context", cluster.context], kc);
      expect(live.code, live.stderr).toBe(0);
      expect(live.stdout).toContain("backends: subset v1 (version=v1) port 9080 70%, subset v3 (version=v3) port 9080 30%");
      const r = await unimesh(["inspect", "bookinfo/reviews", BOOKINFO, "--applied", "--context", cluster.context, "-o", "json"], kc);
      expect(r.code).toBe(5);
      expect(JSON.parse(r.stdout).drift).toEqual([
        {
          policy: "TrafficPolicy/bookinfo/reviews-canary",
          change: "differs",
          items: [
            {
              item: `route "canary" backends`,
              files: "subset v1 (version=v1) port 9080 90%, subset v3 (version=v3) port 9080 10%",
              cluster: "subset v1 (version=v1) port 9080 70%, subset v3 (version=v3) port 9080 30%",
            },
          ],
        },
      ]);
    } finally {
      cluster.server.seed(
        { ...vs, metadata: { name: "reviews", namespace: "bookinfo", labels: vs.metadata.labels, annotations: vs.metadata.annotations } },
        { manager: "unimesh" },
      );
    }
  });
});

describe("what cannot be read back, and clusters that cannot be read", () => {
  test("a field the model cannot carry (edited into the cluster) is shown, with its object and field", async () => {
    const vs = cluster.server.get("networking.istio.io/v1", "VirtualService", "bookinfo", "ratings")!;
    cluster.server.applyAs("kubectl-edit", {
      apiVersion: "networking.istio.io/v1",
      kind: "VirtualService",
      metadata: { name: "ratings", namespace: "bookinfo" },
      spec: { exportTo: ["."] },
    });
    try {
      const r = await unimesh(["inspect", "bookinfo/ratings", "--context", cluster.context], kc);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(
        /context\/kind-istio \[\d+\]#\/spec\/exportTo: warning import\/unsupported-field: exportTo .* \[VirtualService\/bookinfo\/ratings\]/,
      );
      expect(r.stdout).toContain("  not read back (native fields the model cannot carry):");
      expect(r.stdout).toMatch(/ {4}context\/kind-istio .*spec\/exportTo: warning import\/unsupported-field/);
      const j = await unimesh(["inspect", "bookinfo/ratings", "--context", cluster.context, "-o", "json"], kc);
      expect(JSON.parse(j.stdout).applied.diagnostics).toEqual([
        expect.objectContaining({ code: "import/unsupported-field", severity: "warning", policy: "VirtualService/bookinfo/ratings" }),
      ]);
    } finally {
      cluster.server.seed(
        { ...vs, metadata: { name: vs.metadata.name, namespace: "bookinfo", labels: vs.metadata.labels, annotations: vs.metadata.annotations } },
        { manager: "unimesh" },
      );
    }
  });

  test("a malformed object unimesh 'applied' is a diagnostic naming it, exit 1, no stack trace and nothing on stdout", async () => {
    cluster.server.seed({
      apiVersion: "networking.istio.io/v1",
      kind: "VirtualService",
      metadata: {
        name: "hostile",
        namespace: "bookinfo",
        labels: { "app.kubernetes.io/managed-by": "unimesh" },
        annotations: { "unimesh.io/policies": "TrafficPolicy/bookinfo/hostile" },
      },
      spec: { hosts: ["productpage"], http: "not a list" },
    });
    const r = await unimesh(["inspect", "bookinfo/reviews", "--context", cluster.context], kc);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/error import\/invalid: .*\[VirtualService\/bookinfo\/hostile\]/);
    expect(r.stderr).toContain("what unimesh applied cannot be read back into the model");
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const e = await unimesh(
      ["explain", "--from", "bookinfo/bookinfo-productpage", "--to", "bookinfo/reviews:9080", "GET", "/", "--context", cluster.context],
      kc,
    );
    expect(e.code).toBe(1);
  });

  test("RBAC forbids listing a kind: a clear error, exit 3", async () => {
    cluster.server.forbidden.add("security.istio.io/authorizationpolicies");
    try {
      const r = await unimesh(["inspect", "bookinfo/reviews", "--context", cluster.context], kc);
      expect(r.code).toBe(3);
      expect(r.stdout).toBe("");
      expect(r.stderr).toContain(
        "unimesh inspect: kind-istio: error: RBAC forbids reading what unimesh applied: authorizationpolicies.security.istio.io is forbidden",
      );
      expect(r.stderr).toContain("grant get/list on them");
    } finally {
      cluster.server.forbidden.delete("security.istio.io/authorizationpolicies");
    }
  });

  test("an unreachable cluster is exit 3; --applied needs one cluster", async () => {
    const both = await withUnreachable(cluster.kubeconfig, ["gone"]);
    const r = await unimesh(["inspect", "bookinfo/reviews", "--applied", "--context", "gone", "--request-timeout", "2s"], {
      kubeconfig: both.split(delimiter)[1],
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("unimesh inspect: gone: error:");
    expect(r.stdout).toBe("");
    const s = await unimesh(["inspect", "bookinfo/reviews", "--context", `${cluster.context},gone`], { kubeconfig: both });
    expect(s.code).toBe(2);
    expect(s.stderr).toContain("inspect reads one cluster");
  });
});
