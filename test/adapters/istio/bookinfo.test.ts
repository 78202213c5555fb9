/**
 * examples/bookinfo translated for Istio: valid against the upstream CRDs of both ends of the supported
 * range, and the rules the example exists to show.
 */
import { describe, expect, test } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { istio, loadModel, toYaml, translate } from "../../../src/index.js";
import { validateAll } from "../../support/crd-validator.js";
import { find } from "./helpers.js";
import { codeFamily } from "../../../src/api/diagnostics.js";

const DIR = join(import.meta.dirname, "../../../examples/bookinfo");
const inputs = readdirSync(DIR)
  .filter((f) => f.endsWith(".yaml"))
  .sort()
  .map((f) => ({ file: `examples/bookinfo/${f}`, text: readFileSync(join(DIR, f), "utf8") }));

describe.each([
  ["1.30", "istio/1.30.3"],
  ["1.22", "istio/1.22.8"],
] as const)("bookinfo on istio@%s", (version, crds) => {
  const loaded = loadModel(inputs);
  const r = translate(loaded.model, { adapter: istio, version });

  test("translates with only path-normalization notes, and every object passes the CRDs (schema and CEL)", () => {
    expect(loaded.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    // Istio's default path normalization (BASE) keeps `//` and %2F: the deny rule of productpage-public
    // gets a warning, the allow rules with path prefixes an info.
    expect(r.diagnostics.map((d) => `${d.policy} ${d.pointer} ${d.severity} ${codeFamily(d.code)}`)).toEqual([
      "AccessPolicy/bookinfo/details-readers /spec/allow/0/paths info adapter/note",
      "AccessPolicy/bookinfo/reviews-readers /spec/allow/0/paths info adapter/note",
      "AccessPolicy/bookinfo/ratings-readers /spec/allow/0/paths info adapter/note",
      "AccessPolicy/bookinfo/productpage-public /spec/deny/0/paths warning adapter/note",
    ]);
    expect(r.diagnostics.find((d) => d.severity === "warning")!.message).toContain(
      "the paths of this deny rule do not see //admin/x or /admin%2Fx, which an app that merges slashes or decodes %2F serves as /admin/x",
    );
    // Told that the mesh decodes and merges slashes (meshConfig.pathNormalization), nothing is left to say.
    expect(translate(loaded.model, { adapter: istio, version, settings: { pathNormalization: "DECODE_AND_MERGE_SLASHES" } }).diagnostics).toEqual([]);
    expect(r.ok).toBe(true);
    expect(validateAll(r.resources, [crds])).toEqual([]);
    expect(toYaml(translate(loaded.model, { adapter: istio, version }).resources)).toBe(toYaml(r.resources));
  });

  test("objects", () => {
    expect(r.resources.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      "DestinationRule/ratings",
      "DestinationRule/reviews",
      "VirtualService/details",
      "VirtualService/ratings",
      "VirtualService/reviews",
      "AuthorizationPolicy/details-allow",
      "AuthorizationPolicy/productpage-allow",
      "AuthorizationPolicy/productpage-deny",
      "AuthorizationPolicy/ratings-allow",
      "AuthorizationPolicy/reviews-allow",
      "PeerAuthentication/default",
    ]);
  });

  test("reviews: jason first, then the canary; one VirtualService; retries from the policy", () => {
    const http = find(r.resources, "VirtualService", "reviews").spec.http;
    expect(http.map((h: any) => h.name)).toEqual(["reviews-canary.jason", "reviews-canary.canary"]);
    expect(http[0].match).toEqual([{ headers: { "end-user": { exact: "jason" } }, port: 9080 }]);
    for (const h of http) expect(h.retries).toEqual({ attempts: 2, perTryTimeout: "1s", retryOn: "5xx,connect-failure" });
  });

  test("ratings: the two policies merge, fault routes have no retries, the resilience route has its own", () => {
    const http = find(r.resources, "VirtualService", "ratings").spec.http;
    expect(http.map((h: any) => [h.name, h.retries.attempts])).toEqual([
      ["ratings-fault-test.jason-delay", 0],
      ["ratings-fault-test.flaky", 0],
      ["ratings-resilience", 3],
    ]);
  });

  test("productpage: allow GET/POST from anyone, deny /admin/* to anyone", () => {
    expect(find(r.resources, "AuthorizationPolicy", "productpage-allow").spec.rules).toEqual([{ to: [{ operation: { methods: ["GET", "POST"] } }] }]);
    expect(find(r.resources, "AuthorizationPolicy", "productpage-deny").spec.rules).toEqual([{ to: [{ operation: { paths: ["/admin", "/admin/*"] } }] }]);
  });

  test("ratings is readable by the reviews identity only", () => {
    expect(find(r.resources, "AuthorizationPolicy", "ratings-allow").spec.rules).toEqual([
      {
        from: [{ source: { principals: ["cluster.local/ns/bookinfo/sa/bookinfo-reviews"] } }],
        to: [{ operation: { methods: ["GET"], paths: ["/ratings", "/ratings/*"] } }],
      },
    ]);
  });
});
