/**
 * Findings of the security review of the Linkerd adapter, one describe per finding: a Server never
 * selects a whole namespace, never covers a guessed subset of the service's ports, overriding a stricter
 * default inbound policy is a warning, and retries never fall back to Linkerd's default conditions.
 */
import { describe, expect, test } from "vitest";
import { type Entry, Model, linkerd, loadModel, translate } from "../../../src/index.js";
import { ap, diags, errors, find, H, ms, names, ok, run, tp } from "./helpers.js";
import { isCodeIn } from "../../../src/api/diagnostics.js";

/** A model built in memory, without validation (which rejects what the adapter must still guard against). */
function modelOf(docs: any[]): Model {
  const entries: Entry<any>[] = docs.map((doc, i) => ({
    doc: { apiVersion: "unimesh.io/v1alpha1", ...doc },
    origin: { file: "memory.yaml", documentIndex: i },
    id: `${doc.kind}/${doc.metadata.namespace}/${doc.metadata.name}`,
    namespace: doc.metadata.namespace,
    name: doc.metadata.name,
  }));
  return new Model(entries);
}

const mtls = (spec: string, name = "m"): string => `${H}kind: MTLSPolicy\nmetadata: {name: ${name}, namespace: shop}\nspec: ${spec}\n---\n`;

describe("linkerd: an empty pod selector never becomes a namespace-wide Server", () => {
  const svc = { kind: "MeshService", metadata: { name: "web", namespace: "shop" }, spec: { selector: {}, ports: [{ port: 80, targetPort: 8080 }] } };

  test("validation already rejects selector: {} (the adapter guard is defence in depth)", () => {
    const loaded = loadModel([{ file: "t.yaml", text: ms("web", "  selector: {}\n  ports: [{port: 80}]") }]);
    expect(loaded.diagnostics.some((d) => d.severity === "error" && d.pointer === "/spec/selector")).toBe(true);
  });

  test("AccessPolicy, service MTLSPolicy and rate limit on a service with an empty selector: an error each, no Server", () => {
    const model = modelOf([
      svc,
      {
        kind: "AccessPolicy",
        metadata: { name: "a", namespace: "shop" },
        spec: { destination: { service: "web" }, allow: [{ source: { serviceAccounts: ["frontend"] } }] },
      },
    ]);
    for (const version of ["2.14", "2.20"]) {
      const r = translate(model, { adapter: linkerd, version });
      expect(errors(r)).toEqual(["/spec/destination adapter/unsupported-value"]);
      expect(r.diagnostics.find((d) => d.severity === "error")!.message).toContain("every pod of namespace shop");
      expect(r.resources.filter((o) => o.kind === "Server")).toEqual([]);
    }
    const mt = translate(
      modelOf([svc, { kind: "MTLSPolicy", metadata: { name: "m", namespace: "shop" }, spec: { mode: "strict", destination: { service: "web" } } }]),
      { adapter: linkerd, version: "2.20" },
    );
    expect(errors(mt)).toEqual(["/spec/destination adapter/unsupported-value"]);
    const rl = translate(
      modelOf([
        svc,
        { kind: "TrafficPolicy", metadata: { name: "p", namespace: "shop" }, spec: { destination: { service: "web" }, rateLimit: { requestsPerSecond: 10 } } },
      ]),
      { adapter: linkerd, version: "2.20" },
    );
    expect(errors(rl)).toEqual(["/spec/rateLimit adapter/unsupported-value"]);
    expect(rl.resources).toEqual([]);
  });
});

describe("linkerd: a policy for every port needs the declared ports (a guessed port is not all of them)", () => {
  const route80 = tp("  destination: {service: web, port: 80}\n  timeout: 1s", "t");

  test("an AccessPolicy without destination.port, ports guessed from a TrafficPolicy: error, no Server on the guessed port alone", () => {
    const r = run(route80 + ap("  destination: {service: web}\n  allow:\n    - source: {serviceAccounts: [frontend]}"));
    expect(errors(r)).toEqual(["/spec/destination adapter/unsupported-value"]);
    const msg = r.diagnostics.find((d) => d.severity === "error")!.message;
    expect(msg).toContain("declare the service's ports in a MeshService so every port gets a Server");
    expect(msg).toContain("the policies name only port 80");
    expect(r.resources).toEqual([]);
  });

  test("the same with the ports declared: a Server on every declared port", () => {
    const objs = ok(
      ms("web", "  ports: [{port: 80, targetPort: 8080}, {port: 9090}]") +
        route80 +
        ap("  destination: {service: web}\n  allow:\n    - source: {serviceAccounts: [frontend]}"),
    );
    expect(names(objs).filter((n) => n.startsWith("Server/"))).toEqual(["Server/web-8080", "Server/web-9090"]);
  });

  test("a port-scoped AccessPolicy with undeclared ports: an error (a wrong pod port guess would leave the real one open), like Istio", () => {
    const r = run(ap("  destination: {service: web, port: 80}\n  allow:\n    - source: {serviceAccounts: [frontend]}"));
    expect(errors(r)).toEqual(["/spec/destination/port adapter/unsupported-value"]);
    expect(r.diagnostics.find((d) => d.severity === "error")!.message).toContain(
      "the real one keeps the cluster's default inbound policy, which may admit every caller",
    );
    // Declared: no assumption, a Server on the declared pod port.
    const declared = run(ms("web", "  ports: [{port: 80, targetPort: 8080}]") + ap("  destination: {service: web, port: 80}"));
    expect(errors(declared)).toEqual([]);
    expect(find(declared.resources, "Server", "web-8080").spec.port).toBe(8080);
  });

  test("a service MTLSPolicy (its mode covers every port) with undeclared ports: error, also when other policies name a port", () => {
    for (const yaml of [
      route80 + mtls("{mode: strict, destination: {service: web}}"),
      mtls(`{mode: strict, destination: {service: web}, ports: {"80": permissive}}`),
    ]) {
      const r = run(yaml);
      expect(errors(r)).toEqual(["/spec/mode adapter/unsupported-value"]);
      expect(r.resources.filter((o) => o.kind === "Server")).toEqual([]);
    }
  });

  test("a rate limit (one budget for the whole service) with undeclared ports: error, even with destination.port", () => {
    for (const dest of ["{service: web}", "{service: web, port: 80}"]) {
      const r = run(route80 + tp(`  destination: ${dest}\n  rateLimit: {requestsPerSecond: 10}`, "rl"));
      expect(errors(r)).toEqual(["/spec/rateLimit adapter/unsupported-value"]);
      expect(r.diagnostics.find((d) => d.severity === "error")!.message).toContain("declare the service's ports in a MeshService");
    }
    expect(names(ok(ms("web", "  ports: [{port: 80}]") + tp("  destination: {service: web}\n  rateLimit: {requestsPerSecond: 10}")))).toEqual([
      "HTTPLocalRateLimitPolicy/web-80",
      "Server/web-80",
    ]);
  });
});

describe("linkerd: a Server that admits everyone overrides a stricter default: a warning", () => {
  const web = ms("web", "  ports: [{port: 80, targetPort: 8080}]");
  for (const [mode, policy] of [
    ["permissive", "all-unauthenticated"],
    ["strict", "all-authenticated"],
  ] as const) {
    test(`service mTLS ${mode}: accessPolicy ${policy}, and a warning that it overrides deny / cluster-authenticated set outside unimesh`, () => {
      const r = run(web + mtls(`{mode: ${mode}, destination: {service: web}}`));
      expect(r.ok).toBe(true);
      expect(find(r.resources, "Server", "web-8080").spec.accessPolicy).toBe(policy);
      expect(diags(r, "warning")).toEqual(["/spec adapter/note"]);
      const msg = r.diagnostics.find((d) => d.severity === "warning")!.message;
      expect(msg).toContain(`sets accessPolicy: ${policy}`);
      expect(msg).toContain("overrides the default inbound policy");
      expect(msg).toContain("a stricter one set outside unimesh");
      expect(msg).toContain("deny or cluster-authenticated");
      expect(msg).toContain("add an AccessPolicy for shop/web");
    });
  }

  test("2.14 (an AuthorizationPolicy for every caller instead): the same warning", () => {
    const r = run(web + mtls("{mode: permissive, destination: {service: web}}"), { version: "2.14" });
    expect(diags(r, "warning")).toEqual(["/spec adapter/note"]);
    expect(r.diagnostics.find((d) => d.severity === "warning")!.message).toContain("overrides the default inbound policy");
  });

  test("with an AccessPolicy the Server denies by default: no such warning", () => {
    const r = run(
      web + mtls("{mode: strict, destination: {service: web}}") + ap("  destination: {service: web}\n  allow:\n    - source: {serviceAccounts: [frontend]}"),
    );
    expect(r.ok).toBe(true);
    expect(r.diagnostics.filter((d) => d.message.includes("overrides the default inbound policy"))).toEqual([]);
  });
});

describe("linkerd retries: never Linkerd's default conditions in place of retryOn", () => {
  const retry = (on: string, port = 8080): string => tp(`  destination: {service: api, port: ${port}}\n  retries: {attempts: 2, retryOn: ${on}}`);

  test("refused-stream or retriable-status-codes alone: an error each (retry.linkerd.io/limit without /http would retry Linkerd's defaults)", () => {
    expect(errors(run(retry("[refused-stream]")))).toEqual(["/spec/retries/retryOn/0 adapter/unsupported-value"]);
    expect(errors(run(retry("[retriable-status-codes]")))).toEqual(["/spec/retries/retryOn/0 adapter/unsupported-value"]);
    expect(errors(run(retry("[refused-stream, retriable-status-codes]")))).toEqual([
      "/spec/retries/retryOn/0 adapter/unsupported-value",
      "/spec/retries/retryOn/1 adapter/unsupported-value",
    ]);
    expect(run(retry("[refused-stream]")).diagnostics[0].message).toContain("default conditions");
  });

  test("next to a status code they add nothing and are fine: retry.linkerd.io/http is always written", () => {
    const objs = ok(retry('[refused-stream, retriable-status-codes, "503"]'));
    expect(objs[0].metadata.annotations!["retry.linkerd.io/http"]).toBe("503");
    expect(objs[0].metadata.annotations!["retry.linkerd.io/limit"]).toBe("2");
  });

  test("a GRPCRoute: refused-stream alone is an error too (no retry.linkerd.io/grpc)", () => {
    const grpc = ms("api", "  ports: [{port: 50051, protocol: grpc}]");
    expect(errors(run(grpc + retry("[refused-stream]", 50051)))).toEqual(["/spec/retries/retryOn/0 adapter/unsupported-value"]);
    expect(ok(grpc + retry("[refused-stream, unavailable]", 50051))[0].metadata.annotations!["retry.linkerd.io/grpc"]).toBe("unavailable");
  });

  test("2.14-2.15: a ServiceProfile retries every 5xx, so refused-stream or retriable-status-codes without 5xx is an error", () => {
    const o = { version: "2.14", approximations: ["retry-budget"] };
    expect(errors(run(retry("[refused-stream]"), o))).toEqual(["/spec/retries/retryOn/0 adapter/unsupported-value"]);
    expect(errors(run(retry("[retriable-status-codes]"), o))).toEqual(["/spec/retries/retryOn/0 adapter/unsupported-value"]);
    expect(errors(run(retry("[5xx, refused-stream, retriable-status-codes]"), o))).toEqual([]);
  });
});

describe("linkerd: several Service ports reaching one pod port with different mTLS modes", () => {
  test("the pod port's Server enforces the strictest (never the first port's looser mode), with a warning on the looser port", () => {
    const web = ms("web", "  ports: [{port: 80, targetPort: 8080}, {port: 8080}]");
    const r = run(web + mtls(`{mode: strict, destination: {service: web}, ports: {"80": permissive}}`));
    expect(r.ok).toBe(true);
    expect(find(r.resources, "Server", "web-8080").spec.accessPolicy).toBe("all-authenticated");
    const w = r.diagnostics.filter((d) => d.severity === "warning" && isCodeIn(d.code, "adapter/conflict"));
    expect(w.map((d) => d.pointer)).toEqual(["/spec/ports/80"]);
    expect(w[0].message).toContain("pod port 8080 gets the strictest, strict");
  });
});

describe("linkerd: Service ports sharing one pod port share one Server", () => {
  test("different callers per Service port: an error (each would be admitted on the other port)", () => {
    const shared = ms("reviews", "  ports: [{port: 80, targetPort: 8080}, {port: 81, targetPort: 8080}]");
    const r = run(
      shared +
        `${H}kind: AccessPolicy\nmetadata: {name: callers, namespace: shop}\nspec:\n  destination: {service: reviews}\n  allow:\n    - {source: {serviceAccounts: [productpage]}, ports: [80]}\n    - {source: {serviceAccounts: [ratings]}, ports: [81]}\n`,
    );
    expect(errors(r)).toEqual(["/spec/allow/0/ports adapter/unsupported-value", "/spec/allow/1/ports adapter/unsupported-value"]);
    expect(r.diagnostics.find((d) => d.severity === "error")!.message).toContain("authorizes per pod port (one Server each)");
  });

  test("an allow rule for port 5000 never admits its callers on port 9080 of the same pod port (issue #9)", () => {
    const shared = ms("api", "  ports: [{port: 9080, targetPort: 9090}, {port: 5000, targetPort: 9090}]");
    const policy = (name: string, spec: string) => `${H}kind: AccessPolicy\nmetadata: {name: ${name}, namespace: shop}\nspec:\n${spec}\n---\n`;
    // 9080 governed by another policy that admits only front: web on 9080 would be a widening.
    const r = run(
      shared +
        policy("web-5000", "  destination: {service: api, port: 5000}\n  allow: [{source: {serviceAccounts: [web]}}]") +
        policy("front-9080", "  destination: {service: api, port: 9080}\n  allow: [{source: {serviceAccounts: [front]}}]"),
    );
    expect(errors(r)).toEqual(["/spec/destination/port adapter/unsupported-value", "/spec/destination/port adapter/unsupported-value"]);
    expect(r.resources).toEqual([]);
    // 9080 governed by nobody: restricting it to web only tightens it (a warning that names it).
    const r2 = run(shared + policy("web-5000", "  destination: {service: api, port: 5000}\n  allow: [{source: {serviceAccounts: [web]}}]"));
    expect(r2.ok).toBe(true);
    expect(r2.diagnostics.find((d) => d.severity === "warning" && isCodeIn(d.code, "adapter/conflict"))!.message).toContain(
      "also restricts Service port 9080 to its callers",
    );
  });
});

describe("linkerd: Services whose selectors pick the same pods (issue #9)", () => {
  // The `<service>-<subset>` Services Linkerd's routing asks for: reviews-v2's pods are reviews pods.
  const services =
    ms("reviews", "  ports: [{port: 9080}]") + ms("reviews-v2", "  selector: {app: reviews, version: v2}\n  serviceAccount: reviews\n  ports: [{port: 9080}]");
  const access = (name: string, svc: string, rules: string) =>
    `${H}kind: AccessPolicy\nmetadata: {name: ${name}, namespace: shop}\nspec:\n  destination: {service: ${svc}}\n${rules}\n---\n`;
  const readers = access("reviews-readers", "reviews", "  allow: [{source: {serviceAccounts: [productpage]}}]");

  test("allow: [{}] on reviews-v2 next to a restricted reviews: overlapping Servers, either could win: an error on both, nothing emitted", () => {
    const r = run(services + readers + access("v2-open", "reviews-v2", "  allow: [{}]"));
    expect(errors(r)).toEqual(["/spec/destination adapter/unsupported-value", "/spec/destination adapter/unsupported-value"]);
    expect(
      r.diagnostics
        .filter((d) => d.severity === "error")
        .map((d) => d.policy)
        .sort(),
    ).toEqual(["AccessPolicy/shop/reviews-readers", "AccessPolicy/shop/v2-open"]);
    expect(r.diagnostics.find((d) => d.severity === "error")!.message).toContain("applies ONE Server to a pod port (the oldest when several select it)");
    expect(r.resources).toEqual([]);
  });

  test("only reviews has an AccessPolicy: its Server also restricts requests sent to reviews-v2 (a warning); the same rules on both: exact", () => {
    const r = run(services + readers);
    expect(r.ok).toBe(true);
    expect(diags(r, "warning")).toContain("/spec/destination adapter/conflict");
    const same = run(services + readers + access("v2-readers", "reviews-v2", "  allow: [{source: {serviceAccounts: [productpage]}}]"));
    expect(same.ok).toBe(true);
    expect(diags(same, "warning").filter((d) => d.endsWith("adapter/conflict"))).toEqual([]);
  });

  test("an access Server and an mTLS-only Server on the same pods and pod port: an error (the mTLS one could win and admit everyone)", () => {
    const r = run(services + readers + mtls("{destination: {service: reviews-v2}, mode: strict}"));
    expect(r.ok).toBe(false);
    expect(r.diagnostics.filter((d) => d.severity === "error").map((d) => d.message)).toContainEqual(
      expect.stringContaining("both need a Server on pod port 9080 (reviews for access, reviews-v2 for its mTLS mode)"),
    );
  });

  test("namespace allow-nothing (default policy deny) and an AccessPolicy on reviews only: requests to reviews-v2 meet the reviews Server on the shared pods, which admits productpage: an error", () => {
    const allowNothing = `${H}kind: AccessPolicy\nmetadata: {name: allow-nothing, namespace: shop}\nspec: {}\n---\n`;
    const r = run(services + allowNothing + readers);
    expect(errors(r)).toEqual(["/spec/destination adapter/unsupported-value"]);
    expect(r.diagnostics.find((d) => d.severity === "error")!.message).toContain(
      "shop/reviews-v2 has no AccessPolicy of its own, so only the namespace- and mesh-wide ones (AccessPolicy/shop/allow-nothing) govern it",
    );
    expect(r.resources).toEqual([]);
    // The same rules on both: exact (two equal Servers, whichever applies).
    const same = run(services + allowNothing + readers + access("v2-readers", "reviews-v2", "  allow: [{source: {serviceAccounts: [productpage]}}]"));
    expect(same.ok).toBe(true);
    expect(find(same.resources, "Namespace", "shop").metadata.annotations["config.linkerd.io/default-inbound-policy"]).toBe("deny");
  });

  test("an access Server next to an mTLS Server that carries only the namespace-wide rules: an error (the mTLS one could win and drop reviews' own rules)", () => {
    const allowNothing = `${H}kind: AccessPolicy\nmetadata: {name: allow-nothing, namespace: shop}\nspec: {}\n---\n`;
    const r = run(services + allowNothing + readers + mtls("{destination: {service: reviews-v2}, mode: strict}"));
    expect(r.diagnostics.filter((d) => d.severity === "error").map((d) => [d.policy, d.message])).toEqual([
      ["AccessPolicy/shop/reviews-readers", expect.stringContaining("shop/reviews-v2 has no AccessPolicy of its own")],
      [
        "AccessPolicy/shop/reviews-readers",
        expect.stringContaining(
          "both need a Server on pod port 9080 (reviews for access, reviews-v2 for its mTLS mode with the namespace- and mesh-wide access rules only)",
        ),
      ],
      [
        "MTLSPolicy/shop/m",
        expect.stringContaining(
          "both need a Server on pod port 9080 (reviews-v2 for its mTLS mode with the namespace- and mesh-wide access rules only, reviews for access)",
        ),
      ],
    ]);
  });

  test("mTLS: a permissive reviews-v2 never loosens the strict reviews pods: both Servers get the strictest", () => {
    const r = run(
      services + mtls("{destination: {service: reviews}, mode: strict}", "a") + mtls("{destination: {service: reviews-v2}, mode: permissive}", "b"),
    );
    expect(r.ok).toBe(true);
    expect(find(r.resources, "Server", "reviews-9080").spec.accessPolicy).toBe("all-authenticated");
    expect(find(r.resources, "Server", "reviews-v2-9080").spec.accessPolicy).toBe("all-authenticated");
    expect(r.diagnostics.find((d) => d.policy === "MTLSPolicy/shop/b" && isCodeIn(d.code, "adapter/conflict"))!.message).toContain(
      "gets the strictest, strict, for all of them",
    );
  });

  test("mTLS: a strict reviews and a reviews-v2 without any MTLSPolicy (permissive in the model): a warning on reviews' policy that reviews-v2's plaintext callers are refused on the shared pods", () => {
    const r = run(services + mtls("{destination: {service: reviews}, mode: strict}"), { version: "2.15" });
    expect(r.ok).toBe(true);
    const w = r.diagnostics.filter((d) => d.policy === "MTLSPolicy/shop/m" && d.code === "adapter/conflict/mtls.shared-pods");
    expect(w.map((d) => d.message)).toEqual([expect.stringContaining("shop/reviews-v2 has no MTLSPolicy (nor does its namespace)")]);
    expect(w[0].message).toContain("plaintext clients are refused");
    // reviews-v2 strict as well: nothing to say; reviews-v2 on another pod port: nothing either.
    expect(
      run(
        services + mtls("{destination: {service: reviews}, mode: strict}") + mtls("{destination: {service: reviews-v2}, mode: strict}", "b"),
      ).diagnostics.filter((d) => d.code === "adapter/conflict/mtls.shared-pods"),
    ).toEqual([]);
    const apart = ms("reviews", "  ports: [{port: 9080}]") + ms("reviews-v2", "  selector: {app: reviews, version: v2}\n  ports: [{port: 9090}]");
    expect(
      run(apart + mtls("{destination: {service: reviews}, mode: strict}")).diagnostics.filter((d) => d.code === "adapter/conflict/mtls.shared-pods"),
    ).toEqual([]);
  });
});
