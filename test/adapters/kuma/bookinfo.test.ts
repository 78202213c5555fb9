/**
 * examples/bookinfo translated for Kuma: refused, with exactly these diagnostics (README "Bookinfo on every
 * mesh"): fault injection per route (Kuma injects at the destination's inbound, for every request),
 * ratings' routes (Kuma would try the path route before jason's header route), and method/path access rules
 * (MeshTrafficPermission matches identities only). Without those, the rest translates and passes the CRDs.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { kuma, loadModel, translate } from "../../../src/index.js";
import { validateAll } from "../../support/crd-validator.js";
import { kumaAdmission } from "./helpers.js";

const DIR = join(import.meta.dirname, "../../../examples/bookinfo");
const inputs = readdirSync(DIR)
  .filter((f) => f.endsWith(".yaml"))
  .sort()
  .map((f) => ({ file: `examples/bookinfo/${f}`, text: readFileSync(join(DIR, f), "utf8") }));
const short = (d: { file?: string; line?: number; pointer?: string; severity: string; code: string; policy?: string }) =>
  `${(d.file ?? "-").replace("examples/bookinfo/", "")}:${d.line ?? "-"} ${d.pointer ?? "-"} ${d.severity} ${d.code} ${d.policy ?? "-"}`;

describe("bookinfo on kuma@2.14", () => {
  const loaded = loadModel(inputs);
  const r = translate(loaded.model, { adapter: kuma, version: "2.14" });

  test("refused: per-route faults, ratings' route order, method and path access rules", () => {
    expect(loaded.ok).toBe(true);
    expect(r.ok).toBe(false);
    expect(r.resources).toEqual([]);
    expect(r.diagnostics.map(short)).toEqual([
      "fault-injection.yaml:12 /spec/routes/0/faultInjection error adapter/unsupported-value/faultInjection.non-uniform TrafficPolicy/bookinfo/ratings-fault-test",
      "fault-injection.yaml:15 /spec/routes/1/match error adapter/unsupported-value/match.route-order TrafficPolicy/bookinfo/ratings-fault-test",
      "fault-injection.yaml:16 /spec/routes/1/faultInjection error adapter/unsupported-value/faultInjection.non-uniform TrafficPolicy/bookinfo/ratings-fault-test",
      "security.yaml:17 /spec/allow/0/methods error adapter/unsupported-feature/accessL7.methods AccessPolicy/bookinfo/details-readers",
      "security.yaml:18 /spec/allow/0/paths error adapter/unsupported-feature/accessL7.paths AccessPolicy/bookinfo/details-readers",
      "security.yaml:27 /spec/allow/0/methods error adapter/unsupported-feature/accessL7.methods AccessPolicy/bookinfo/reviews-readers",
      "security.yaml:28 /spec/allow/0/paths error adapter/unsupported-feature/accessL7.paths AccessPolicy/bookinfo/reviews-readers",
      "security.yaml:37 /spec/allow/0/methods error adapter/unsupported-feature/accessL7.methods AccessPolicy/bookinfo/ratings-readers",
      "security.yaml:38 /spec/allow/0/paths error adapter/unsupported-feature/accessL7.paths AccessPolicy/bookinfo/ratings-readers",
      "security.yaml:47 /spec/allow/0/methods error adapter/unsupported-feature/accessL7.methods AccessPolicy/bookinfo/productpage-public",
      "security.yaml:49 /spec/deny/0/paths error adapter/unsupported-feature/accessL7.paths AccessPolicy/bookinfo/productpage-public",
      "traffic.yaml:13 /spec/routes/1/split info adapter/note/split.subset-services TrafficPolicy/bookinfo/reviews-canary",
      "-:- - warning adapter/note/mtls-preconditions -",
    ]);
    expect(r.diagnostics[1].message).toContain("this route would be tried before route ratings-fault-test.jason-delay");
  });

  test("the traffic policies alone translate: one MeshHTTPRoute for reviews, timeouts, retries, the circuit breaker", () => {
    const only = loadModel(inputs.filter((i) => /traffic|services/.test(i.file)));
    const t = translate(only.model, { adapter: kuma, version: "2.14" });
    expect(t.ok).toBe(true);
    expect(validateAll(t.resources, ["kuma/v2.14.3"])).toEqual([]);
    expect(kumaAdmission(t.resources)).toEqual([]);
    expect(t.resources.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      "MeshCircuitBreaker/ratings",
      "MeshCircuitBreaker/reviews",
      "MeshHTTPRoute/reviews",
      "MeshRetry/details",
      "MeshRetry/ratings",
      "MeshRetry/reviews",
      "MeshTimeout/details",
      "MeshTimeout/ratings",
      "MeshTimeout/reviews",
    ]);
  });
});
