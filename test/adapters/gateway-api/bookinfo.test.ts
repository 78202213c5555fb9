/**
 * examples/bookinfo translated for Gateway API (GAMMA): the exact refusals the README's "Bookinfo on every
 * mesh" documents, and what translates once the refused policies are left out.
 */
import { describe, expect, test } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gatewayApi, loadModel, translate } from "../../../src/index.js";
import { validateAll } from "../../support/crd-validator.js";
import { codeFamily } from "../../../src/api/diagnostics.js";

const DIR = join(import.meta.dirname, "../../../examples/bookinfo");
const inputs = readdirSync(DIR)
  .filter((f) => f.endsWith(".yaml"))
  .sort()
  .map((f) => ({ file: `examples/bookinfo/${f}`, text: readFileSync(join(DIR, f), "utf8") }));

describe("bookinfo on gateway-api", () => {
  test.each([
    ["1.6", "standard"],
    ["1.2", "standard"],
    ["1.6", "experimental"],
  ])("%s %s: exit 1 with every field Gateway API cannot express", (version, channel) => {
    const r = translate(loadModel(inputs).model, { adapter: gatewayApi, version, settings: { channel } });
    expect(r.ok).toBe(false);
    expect(r.resources).toEqual([]);
    const errors = r.diagnostics.filter((d) => d.severity !== "info").map((d) => `${d.policy} ${d.pointer} ${d.severity} ${codeFamily(d.code)}`);
    expect(errors).toEqual([
      "TrafficPolicy/bookinfo/ratings-fault-test /spec/routes/0/faultInjection error adapter/unsupported-feature",
      "TrafficPolicy/bookinfo/ratings-fault-test /spec/routes/1/match/path/prefix error adapter/unsupported-value",
      "TrafficPolicy/bookinfo/ratings-fault-test /spec/routes/1/faultInjection error adapter/unsupported-feature",
      "MTLSPolicy/bookinfo/bookinfo-strict /spec error adapter/unsupported-feature",
      "AccessPolicy/bookinfo/details-readers /spec error adapter/unsupported-feature",
      "AccessPolicy/bookinfo/reviews-readers /spec error adapter/unsupported-feature",
      "AccessPolicy/bookinfo/ratings-readers /spec error adapter/unsupported-feature",
      "AccessPolicy/bookinfo/productpage-public /spec error adapter/unsupported-feature",
      ...(channel === "standard" ? ["TrafficPolicy/bookinfo/reviews-canary /spec/retries error adapter/unsupported-feature"] : []),
      "TrafficPolicy/bookinfo/reviews-canary /spec/outlierDetection error adapter/unsupported-feature",
      ...(channel === "standard" ? ["TrafficPolicy/bookinfo/ratings-resilience /spec/retries error adapter/unsupported-feature"] : []),
      "TrafficPolicy/bookinfo/ratings-resilience /spec/connectionPool error adapter/unsupported-feature",
      "TrafficPolicy/bookinfo/details-timeout /spec/retries/attempts warning adapter/unsupported-value",
    ]);
  });

  test("the reviews canary alone: an HTTPRoute for reviews:9080 splitting to the subsets' Services, valid against the CRDs", () => {
    const canary = inputs
      .filter((i) => /services|traffic/.test(i.file))
      .map((i) => (i.file.endsWith("traffic.yaml") ? { ...i, text: i.text.split("\n---\n")[0].replace(/\n {2}outlierDetection:.*/, "") } : i));
    const r = translate(loadModel(canary).model, { adapter: gatewayApi, version: "1.6", settings: { channel: "experimental" } });
    expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(validateAll(r.resources, ["gateway-api/v1.6.1/experimental"])).toEqual([]);
    const route = r.resources.find((o) => o.kind === "HTTPRoute") as any;
    expect(route.metadata.name).toBe("reviews-9080");
    expect(route.spec.rules.map((x: any) => x.backendRefs.map((b: any) => `${b.name}:${b.weight ?? 100}`))).toEqual([
      ["reviews-v2:100"],
      ["reviews-v1:90", "reviews-v3:10"],
    ]);
    expect(route.spec.rules[1].retry).toEqual({ attempts: 2, codes: Array.from({ length: 100 }, (_, i) => 500 + i) });
    expect(route.spec.rules[1].timeouts).toEqual({ backendRequest: "1s", request: "3s" });
  });
});
