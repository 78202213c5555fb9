/**
 * examples/bookinfo translated for App Mesh: the exact diagnostics (what App Mesh cannot express), with
 * and without the approximations, and the manifests once the fault-injection test is left out.
 */
import { describe, expect, test } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { appmesh, loadModel, translate, type Diagnostic } from "../../../src/index.js";
import { validateAll } from "../../support/crd-validator.js";
import { backends, find, routes } from "./helpers.js";
import { codeFamily, isCodeIn } from "../../../src/api/diagnostics.js";

const DIR = join(import.meta.dirname, "../../../examples/bookinfo");
const inputs = readdirSync(DIR)
  .filter((f) => f.endsWith(".yaml"))
  .sort()
  .map((f) => ({ file: `examples/bookinfo/${f}`, text: readFileSync(join(DIR, f), "utf8") }));
const APPROX = ["service-level-access", "connection-pool-per-instance"];

/** [severity, code, file:line, pointer, policy] of every diagnostic. */
const rows = (ds: Diagnostic[]) =>
  ds.map((d) => [d.severity, codeFamily(d.code), d.file ? `${d.file.replace("examples/bookinfo/", "")}:${d.line}` : "", d.pointer ?? "", d.policy ?? ""]);

const FAULT = [
  ["error", "adapter/unsupported-feature", "fault-injection.yaml:12", "/spec/routes/0/faultInjection", "TrafficPolicy/bookinfo/ratings-fault-test"],
  ["info", "adapter/unsupported-value", "fault-injection.yaml:14", "/spec/routes/1", "TrafficPolicy/bookinfo/ratings-fault-test"],
  ["error", "adapter/unsupported-feature", "fault-injection.yaml:16", "/spec/routes/1/faultInjection", "TrafficPolicy/bookinfo/ratings-fault-test"],
];
const MTLS_INFO = ["info", "adapter/unsupported-value", "security.yaml:7", "/spec/mode", "MTLSPolicy/bookinfo/bookinfo-strict"];
const DEPRECATED = ["info", "adapter/deprecated-mesh", "", "", ""];
/** The Mesh's egressFilter DROP_ALL (chosen because of the AccessPolicies) blocks all egress outside the mesh. */
const DROP_ALL = ["warning", "adapter/note", "", "", ""];
/** maxRequests 200 on the HTTP/1.1 ratings listener is kept by maxConnections 100 (one request per connection). */
const CP_MAX_REQUESTS_INFO = [
  "info",
  "adapter/unsupported-value",
  "traffic.yaml:28",
  "/spec/connectionPool/maxRequests",
  "TrafficPolicy/bookinfo/ratings-resilience",
];

describe("bookinfo on appmesh@1.13", () => {
  const loaded = loadModel(inputs);

  test("the model is valid", () => {
    expect(loaded.ok).toBe(true);
  });

  test("without approximations: fault injection, L7 access and the connection pool are errors, nothing is emitted", () => {
    const r = translate(loaded.model, { adapter: appmesh });
    expect(r.ok).toBe(false);
    expect(r.resources).toEqual([]);
    expect(rows(r.diagnostics)).toEqual([
      ...FAULT,
      MTLS_INFO,
      ["error", "adapter/unsupported-feature", "security.yaml:17", "/spec/allow/0/methods", "AccessPolicy/bookinfo/details-readers"],
      ["error", "adapter/unsupported-feature", "security.yaml:18", "/spec/allow/0/paths", "AccessPolicy/bookinfo/details-readers"],
      ["error", "adapter/unsupported-feature", "security.yaml:27", "/spec/allow/0/methods", "AccessPolicy/bookinfo/reviews-readers"],
      ["error", "adapter/unsupported-feature", "security.yaml:28", "/spec/allow/0/paths", "AccessPolicy/bookinfo/reviews-readers"],
      ["error", "adapter/unsupported-feature", "security.yaml:37", "/spec/allow/0/methods", "AccessPolicy/bookinfo/ratings-readers"],
      ["error", "adapter/unsupported-feature", "security.yaml:38", "/spec/allow/0/paths", "AccessPolicy/bookinfo/ratings-readers"],
      ["error", "adapter/unsupported-feature", "security.yaml:47", "/spec/allow/0/methods", "AccessPolicy/bookinfo/productpage-public"],
      ["error", "adapter/unsupported-feature", "security.yaml:49", "/spec/deny/0/paths", "AccessPolicy/bookinfo/productpage-public"],
      ["error", "adapter/unsupported-value", "traffic.yaml:28", "/spec/connectionPool", "TrafficPolicy/bookinfo/ratings-resilience"],
      CP_MAX_REQUESTS_INFO,
      DROP_ALL,
      DEPRECATED,
    ]);
    expect(r.status.filter((s) => s.state === "rejected").map((s) => s.policy)).toEqual([
      "AccessPolicy/bookinfo/details-readers",
      "AccessPolicy/bookinfo/productpage-public",
      "AccessPolicy/bookinfo/ratings-readers",
      "AccessPolicy/bookinfo/reviews-readers",
      "TrafficPolicy/bookinfo/ratings-fault-test",
      "TrafficPolicy/bookinfo/ratings-resilience",
    ]);
  });

  test("with the approximations: a warning per approximated rule; fault injection still fails", () => {
    const r = translate(loaded.model, { adapter: appmesh, allowApproximations: APPROX });
    expect(r.ok).toBe(false);
    expect(rows(r.diagnostics)).toEqual([
      ...FAULT,
      MTLS_INFO,
      ["warning", "adapter/approximation", "security.yaml:16", "/spec/allow/0", "AccessPolicy/bookinfo/details-readers"],
      ["warning", "adapter/approximation", "security.yaml:26", "/spec/allow/0", "AccessPolicy/bookinfo/reviews-readers"],
      ["warning", "adapter/approximation", "security.yaml:36", "/spec/allow/0", "AccessPolicy/bookinfo/ratings-readers"],
      ["warning", "adapter/approximation", "security.yaml:47", "/spec/allow/0", "AccessPolicy/bookinfo/productpage-public"],
      ["warning", "adapter/approximation", "security.yaml:49", "/spec/deny/0", "AccessPolicy/bookinfo/productpage-public"],
      ["warning", "adapter/approximation", "traffic.yaml:28", "/spec/connectionPool", "TrafficPolicy/bookinfo/ratings-resilience"],
      CP_MAX_REQUESTS_INFO,
      DROP_ALL,
      DEPRECATED,
    ]);
    const productpageDeny = r.diagnostics.find((d) => d.pointer === "/spec/deny/0")!;
    expect(productpageDeny.message).toContain("this deny rule is NOT enforced");
  });

  describe("without the fault-injection test, with the approximations", () => {
    const loadedNoFault = loadModel(inputs.filter((i) => !i.file.endsWith("fault-injection.yaml")));
    const r = translate(loadedNoFault.model, { adapter: appmesh, allowApproximations: APPROX });

    test("translates, valid against the App Mesh v1.13.3 CRDs", () => {
      expect(r.ok).toBe(true);
      expect(
        validateAll(
          r.resources.filter((o) => o.apiVersion !== "v1"),
          ["aws-app-mesh/v1.13.3"],
        ),
      ).toEqual([]);
      expect(r.resources.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
        "Mesh/unimesh",
        "VirtualNode/details",
        "VirtualNode/productpage",
        "VirtualNode/ratings",
        "VirtualNode/reviews",
        "VirtualNode/reviews-v1",
        "VirtualNode/reviews-v2",
        "VirtualNode/reviews-v3",
        "VirtualRouter/details",
        "VirtualRouter/productpage",
        "VirtualRouter/ratings",
        "VirtualRouter/reviews",
        "VirtualService/details",
        "VirtualService/productpage",
        "VirtualService/ratings",
        "VirtualService/reviews",
        "Service/details-appmesh",
        "Service/productpage-appmesh",
        "Service/ratings-appmesh",
        "Service/reviews-appmesh",
        "Service/reviews-v1-appmesh",
        "Service/reviews-v2-appmesh",
        "Service/reviews-v3-appmesh",
      ]);
    });

    test("least privilege at service level: productpage → details, reviews; reviews → ratings; everyone → productpage", () => {
      const objs = r.resources;
      expect(backends(objs, "productpage", "bookinfo")).toEqual(["details", "productpage", "reviews"]);
      expect(backends(objs, "reviews", "bookinfo")).toEqual(["productpage", "ratings"]);
      expect(backends(objs, "details", "bookinfo")).toEqual(["productpage"]);
      expect(backends(objs, "ratings", "bookinfo")).toEqual(["productpage"]);
      expect(find(objs, "Mesh", "unimesh").spec.egressFilter).toEqual({ type: "DROP_ALL" });
    });

    test("strict mTLS on every listener; the canary; ratings' retries", () => {
      const objs = r.resources;
      for (const n of ["details", "productpage", "ratings", "reviews", "reviews-v1"])
        expect(find(objs, "VirtualNode", n, "bookinfo").spec.listeners[0].tls.mode).toBe("STRICT");
      expect(
        routes(objs, "reviews", "bookinfo").map((x) => [
          x.name,
          x.priority,
          x.httpRoute.action.weightedTargets.map((t: any) => `${t.virtualNodeRef.name}=${t.weight}`),
        ]),
      ).toEqual([
        ["reviews-canary-jason", 0, ["reviews-v2=100"]],
        ["reviews-canary-canary", 1, ["reviews-v1=90", "reviews-v3=10"]],
      ]);
      expect(routes(objs, "ratings", "bookinfo")[0].httpRoute.retryPolicy).toEqual({
        maxRetries: 3,
        perRetryTimeout: { unit: "ms", value: 500 },
        httpRetryEvents: ["server-error"],
        tcpRetryEvents: ["connection-error"],
      });
      expect(routes(objs, "details", "bookinfo")[0].httpRoute).toMatchObject({
        retryPolicy: { maxRetries: 0 },
        timeout: { perRequest: { unit: "s", value: 1 } },
      });
    });

    test("only info diagnostics, approximation warnings and the DROP_ALL egress warning remain", () => {
      const rest = r.diagnostics.filter((d) => d.severity !== "info" && !isCodeIn(d.code, "adapter/approximation"));
      expect(rest.map((d) => [d.severity, d.code, d.policy])).toEqual([["warning", "adapter/note/access.egress-drop-all", undefined]]);
      expect(rest[0].message).toContain("egressFilter DROP_ALL");
      expect(rest[0].message).toContain("walkthroughs/howto-k8s-egress");
      // Acknowledged with the setting: no warning.
      const ack = translate(loadedNoFault.model, { adapter: appmesh, allowApproximations: APPROX, settings: { egressFilter: "DROP_ALL" } });
      expect(ack.diagnostics.filter((d) => d.severity !== "info" && !isCodeIn(d.code, "adapter/approximation"))).toEqual([]);
    });
  });
});
