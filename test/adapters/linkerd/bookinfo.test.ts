/**
 * examples/bookinfo translated for Linkerd, both profiles: the diagnostics asserted exactly (what Linkerd
 * cannot express in the example), and the security part, which Linkerd can express, checked object by
 * object against the upstream CRDs.
 */
import { describe, expect, test } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type Diagnostic, linkerd, loadModel, translate } from "../../../src/index.js";
import { validateAll } from "../../support/crd-validator.js";
import { crdSet, expectPatchesMinimal, find, names } from "./helpers.js";
import { codeFamily } from "../../../src/api/diagnostics.js";

const DIR = join(import.meta.dirname, "../../../examples/bookinfo");
const files = readdirSync(DIR)
  .filter((f) => f.endsWith(".yaml"))
  .sort();
const inputs = (only?: string[]) =>
  files.filter((f) => !only || only.includes(f)).map((f) => ({ file: `examples/bookinfo/${f}`, text: readFileSync(join(DIR, f), "utf8") }));
const short = (d: Diagnostic) => `${d.file!.replace("examples/bookinfo/", "")}:${d.line} ${d.pointer} ${d.severity} ${codeFamily(d.code)} ${d.policy}`;

/** Diagnostics every profile has: the security part, identical on both (notes and the probe warnings). */
const SECURITY = [
  "security.yaml:7 /spec/mode info adapter/note MTLSPolicy/bookinfo/bookinfo-strict",
  "security.yaml:13 /spec warning adapter/note AccessPolicy/bookinfo/details-readers",
  "security.yaml:13 /spec info adapter/note AccessPolicy/bookinfo/details-readers",
  // linkerd2-proxy matches paths as sent (no normalization): each path rule says what gets past it.
  "security.yaml:18 /spec/allow/0/paths warning adapter/note AccessPolicy/bookinfo/details-readers",
  "security.yaml:23 /spec warning adapter/note AccessPolicy/bookinfo/reviews-readers",
  "security.yaml:23 /spec info adapter/note AccessPolicy/bookinfo/reviews-readers",
  "security.yaml:28 /spec/allow/0/paths warning adapter/note AccessPolicy/bookinfo/reviews-readers",
  "security.yaml:33 /spec warning adapter/note AccessPolicy/bookinfo/ratings-readers",
  "security.yaml:33 /spec info adapter/note AccessPolicy/bookinfo/ratings-readers",
  "security.yaml:38 /spec/allow/0/paths warning adapter/note AccessPolicy/bookinfo/ratings-readers",
  "security.yaml:44 /spec warning adapter/note AccessPolicy/bookinfo/productpage-public",
  "security.yaml:44 /spec info adapter/note AccessPolicy/bookinfo/productpage-public",
  "security.yaml:49 /spec/deny/0/paths warning adapter/note AccessPolicy/bookinfo/productpage-public",
];

const EXPECTED: Record<string, string[]> = {
  "2.20": [
    // No fault injection in Linkerd, one error per route that asks for it.
    "fault-injection.yaml:12 /spec/routes/0/faultInjection error adapter/unsupported-feature TrafficPolicy/bookinfo/ratings-fault-test",
    // Linkerd prefers the /ratings/ prefix route over the earlier end-user header route: the order cannot be kept.
    "fault-injection.yaml:15 /spec/routes/1/match error adapter/unsupported-value TrafficPolicy/bookinfo/ratings-fault-test",
    "fault-injection.yaml:16 /spec/routes/1/faultInjection error adapter/unsupported-feature TrafficPolicy/bookinfo/ratings-fault-test",
    ...SECURITY,
    "traffic.yaml:11 /spec/routes/0/split/0 info adapter/note TrafficPolicy/bookinfo/reviews-canary",
    // Linkerd never retries connection failures or resets.
    "traffic.yaml:17 /spec/retries/retryOn/1 error adapter/unsupported-value TrafficPolicy/bookinfo/reviews-canary",
    "traffic.yaml:18 /spec/outlierDetection/interval info adapter/note TrafficPolicy/bookinfo/reviews-canary",
    // Failure accrual has no ejection cap.
    "traffic.yaml:18 /spec/outlierDetection/maxEjectionPercent error adapter/unsupported-value TrafficPolicy/bookinfo/reviews-canary",
    "traffic.yaml:27 /spec/retries/retryOn/1 error adapter/unsupported-value TrafficPolicy/bookinfo/ratings-resilience",
    "traffic.yaml:27 /spec/retries/retryOn/2 error adapter/unsupported-value TrafficPolicy/bookinfo/ratings-resilience",
    "traffic.yaml:28 /spec/connectionPool error adapter/unsupported-feature TrafficPolicy/bookinfo/ratings-resilience",
    "traffic.yaml:37 /spec/retries/attempts info adapter/note TrafficPolicy/bookinfo/details-timeout",
  ],
  "2.14": [
    // ratings retries need a ServiceProfile, which would make Linkerd ignore the header-matched route.
    "fault-injection.yaml:11 /spec/routes/0/match error adapter/conflict TrafficPolicy/bookinfo/ratings-fault-test",
    "fault-injection.yaml:12 /spec/routes/0/faultInjection error adapter/unsupported-feature TrafficPolicy/bookinfo/ratings-fault-test",
    "fault-injection.yaml:16 /spec/routes/1/faultInjection error adapter/unsupported-feature TrafficPolicy/bookinfo/ratings-fault-test",
    ...SECURITY,
    // reviews: the ServiceProfile its retries need would drop the header match, the splits and failure accrual.
    "traffic.yaml:10 /spec/routes/0/match error adapter/conflict TrafficPolicy/bookinfo/reviews-canary",
    "traffic.yaml:11 /spec/routes/0/split error adapter/conflict TrafficPolicy/bookinfo/reviews-canary",
    "traffic.yaml:11 /spec/routes/0/split/0 info adapter/note TrafficPolicy/bookinfo/reviews-canary",
    "traffic.yaml:13 /spec/routes/1/split error adapter/conflict TrafficPolicy/bookinfo/reviews-canary",
    "traffic.yaml:17 /spec/retries info adapter/note TrafficPolicy/bookinfo/reviews-canary",
    "traffic.yaml:17 /spec/retries/attempts error adapter/unsupported-value TrafficPolicy/bookinfo/reviews-canary",
    "traffic.yaml:17 /spec/retries/perTryTimeout error adapter/unsupported-value TrafficPolicy/bookinfo/reviews-canary",
    "traffic.yaml:17 /spec/retries/retryOn/1 error adapter/unsupported-value TrafficPolicy/bookinfo/reviews-canary",
    "traffic.yaml:18 /spec/outlierDetection error adapter/conflict TrafficPolicy/bookinfo/reviews-canary",
    "traffic.yaml:27 /spec/retries info adapter/note TrafficPolicy/bookinfo/ratings-resilience",
    "traffic.yaml:27 /spec/retries/attempts error adapter/unsupported-value TrafficPolicy/bookinfo/ratings-resilience",
    "traffic.yaml:27 /spec/retries/perTryTimeout error adapter/unsupported-value TrafficPolicy/bookinfo/ratings-resilience",
    "traffic.yaml:27 /spec/retries/retryOn/1 error adapter/unsupported-value TrafficPolicy/bookinfo/ratings-resilience",
    "traffic.yaml:27 /spec/retries/retryOn/2 error adapter/unsupported-value TrafficPolicy/bookinfo/ratings-resilience",
    "traffic.yaml:28 /spec/connectionPool error adapter/unsupported-feature TrafficPolicy/bookinfo/ratings-resilience",
    "traffic.yaml:37 /spec/retries/attempts info adapter/note TrafficPolicy/bookinfo/details-timeout",
  ],
};

describe.each(["2.20", "2.14"])("bookinfo on linkerd@%s", (version) => {
  const loaded = loadModel(inputs());

  test("the example is valid, and the translation reports exactly what Linkerd cannot express", () => {
    expect(loaded.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const r = translate(loaded.model, { adapter: linkerd, version });
    expect(r.diagnostics.map(short)).toEqual(EXPECTED[version]);
    expect(r.ok).toBe(false);
    expect(r.resources).toEqual([]);
    expect(r.diagnostics.every((d) => d.adapter === `linkerd@${version}`)).toBe(true);
    const fault = r.diagnostics.find((d) => d.pointer === "/spec/routes/0/faultInjection")!;
    expect(fault.message).toContain(`Linkerd ${version} has no fault injection`);
  });

  describe("the security part (services.yaml + security.yaml)", () => {
    const sec = loadModel(inputs(["services.yaml", "security.yaml"]));
    const r = translate(sec.model, { adapter: linkerd, version });

    test("translates, every object passes the CRDs (schema and CEL), patches are minimal", () => {
      expect(r.diagnostics.map(short)).toEqual(SECURITY);
      expect(r.ok).toBe(true);
      expect(
        validateAll(
          r.resources.filter((o) => o.apiVersion !== "v1"),
          [crdSet(version)],
        ),
      ).toEqual([]);
      expectPatchesMinimal(r.resources);
    });

    test("strict mTLS: the namespace's default inbound policy", () => {
      expect(find(r.resources, "Namespace", "bookinfo").metadata.annotations["config.linkerd.io/default-inbound-policy"]).toBe("all-authenticated");
    });

    test("a Server per destination, with routes per rule and exactly the allowed callers", () => {
      expect(names(r.resources).filter((n) => n.startsWith("Server/"))).toEqual([
        "Server/details-9080",
        "Server/productpage-9080",
        "Server/ratings-9080",
        "Server/reviews-9080",
      ]);
      expect(find(r.resources, "Server", "ratings-9080").spec.proxyProtocol).toBe("HTTP/1");
      expect(find(r.resources, "HTTPRoute", "ratings-9080-allow-1").spec.rules).toEqual([
        {
          matches: [
            { method: "GET", path: { type: "Exact", value: "/ratings" } },
            { method: "GET", path: { type: "RegularExpression", value: "^/ratings/.*$" } },
          ],
        },
      ]);
      expect(find(r.resources, "MeshTLSAuthentication", "ratings-9080-allow-1-identities").spec.identities).toEqual([
        "bookinfo-reviews.bookinfo.serviceaccount.identity.linkerd.cluster.local",
      ]);
    });

    test("productpage: GET/POST from any meshed caller (strict), /admin/* refused by an unauthorized, more specific route", () => {
      expect(find(r.resources, "MeshTLSAuthentication", "productpage-9080-allow-1-identities").spec.identities).toEqual(["*"]);
      expect(find(r.resources, "HTTPRoute", "productpage-9080-deny-1").spec.rules).toEqual([
        { matches: [{ path: { type: "Exact", value: "/admin" } }, { path: { type: "RegularExpression", value: "^/admin/.*$" } }] },
      ]);
      expect(r.resources.filter((o) => o.kind === "AuthorizationPolicy" && (o as any).spec.targetRef.name === "productpage-9080-deny-1")).toEqual([]);
      // ... but linkerd2-proxy matches the path as sent: what gets past the deny route is said.
      expect(r.diagnostics.find((d) => d.pointer === "/spec/deny/0/paths")!.message).toContain(
        "on Server bookinfo/productpage-9080, this deny rule does not see /./admin/x, /x/../admin/x, /admin\\x, //admin/x, /admin%2Fx, which an app that normalizes paths or merges slashes or decodes %2F serves as /admin/x",
      );
    });
  });
});
