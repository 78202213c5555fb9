/**
 * What Linkerd cannot do is one error per policy and field (never a silent drop); failure accrual is a
 * minimal Service patch; the adapter's versions, profiles and capabilities.
 */
import { describe, expect, test } from "vitest";
import { FEATURES, linkerd, resolveVersion } from "../../../src/index.js";
import { H, ap, codes, find, ms, ok, run, tp } from "./helpers.js";

describe("linkerd: unsupported features are one error each, with policy, field and version", () => {
  const cases: [string, string, string, string][] = [
    ["faultInjection", "  faultInjection: {delay: {fixedDelay: 1s}, abort: {httpStatus: 503}}", "/spec/faultInjection", "fault injection"],
    ["mirror", "  mirror: {service: audit, port: 80}", "/spec/mirror", "cannot mirror"],
    ["cors", '  cors: {allowOrigins: [{exact: "https://a.example"}]}', "/spec/cors", "CORS"],
    ["rewrite", "  routes:\n    - match: {path: {prefix: /v1/}}\n      rewrite: {path: {replacePrefixMatch: /}}", "/spec/routes/0/rewrite", "URLRewrite"],
    ["directResponse", "  routes:\n    - directResponse: {status: 503}", "/spec/routes/0/directResponse", "cannot answer requests itself"],
    ["connectionPool", "  connectionPool: {maxConnections: 10}", "/spec/connectionPool", "connection-pool"],
    ["loadBalancer", "  loadBalancer: {algorithm: round-robin}", "/spec/loadBalancer", "EWMA"],
    ["trafficSource", "  source: {serviceAccounts: [mobile]}\n  timeout: 1s", "/spec/source", "every client"],
  ];
  for (const version of ["2.20", "2.14"]) {
    test.each(cases)(`%s on linkerd@${version}`, (feature, spec, pointer, text) => {
      const r = run(tp(`  destination: {service: api, port: 8080}\n${spec}`), { version });
      const errs = r.diagnostics.filter((d) => d.severity === "error");
      expect(errs.map((d) => [d.pointer, d.code, d.feature, d.policy, d.adapter])).toEqual([
        [pointer, `adapter/unsupported-feature/${feature}`, feature, "TrafficPolicy/shop/p", `linkerd@${version}`],
      ]);
      expect(errs[0].message).toContain(text);
      expect(errs[0].message).toContain(`Linkerd ${version}`);
      expect(r.resources).toEqual([]);
    });
  }

  test("a setting shared by several routes is reported once, at the field that sets it", () => {
    const r = run(
      tp("  destination: {service: api, port: 8080}\n  mirror: {service: audit}\n  routes:\n    - match: {method: GET}\n    - match: {method: POST}"),
    );
    expect(codes(r)).toEqual(["/spec/mirror adapter/unsupported-feature/mirror"]);
  });

  test("mTLS disabled (namespace or port) is an error", () => {
    const r = run(
      `${H}kind: MTLSPolicy\nmetadata: {name: m, namespace: shop}\nspec: {mode: permissive, destination: {service: web}, ports: {"80": disabled}}\n---\n` +
        ms("web", "  ports: [{port: 80, targetPort: 8080}, {port: 81}]"),
    );
    expect(codes(r)).toEqual(["/spec/ports/80 adapter/unsupported-value/mtls.disabled"]);
  });
});

describe("linkerd failure accrual: a minimal Service patch", () => {
  test("annotations with the model's defaults made explicit; metadata only, marked for server-side apply", () => {
    const r = run(tp("  destination: {service: reviews, port: 9080}\n  outlierDetection: {maxEjectionPercent: 100}"));
    expect(r.ok).toBe(true);
    expect(r.resources).toEqual([
      {
        apiVersion: "v1",
        kind: "Service",
        metadata: {
          name: "reviews",
          namespace: "shop",
          annotations: {
            "balancer.linkerd.io/failure-accrual": "consecutive",
            "balancer.linkerd.io/failure-accrual-consecutive-max-failures": "5",
            "balancer.linkerd.io/failure-accrual-consecutive-max-penalty": "300s",
            "balancer.linkerd.io/failure-accrual-consecutive-min-penalty": "30s",
            "unimesh.io/patch": "server-side-apply",
            "unimesh.io/policies": "TrafficPolicy/shop/p",
          },
        },
      },
    ]);
    // No spec, no selector, no ports: applied server-side, nothing the user owns is overwritten.
    expect(r.resources[0]).not.toHaveProperty("spec");
  });

  test("a long base ejection time raises the max penalty; a gateway-error limit implied by the 5xx limit is a note", () => {
    const r = run(
      tp(
        "  destination: {service: reviews, port: 9080}\n  outlierDetection: {consecutive5xxErrors: 3, consecutiveGatewayErrors: 3, baseEjectionTime: 10m, interval: 5s, maxEjectionPercent: 100}",
      ),
    );
    expect(r.ok).toBe(true);
    const a = find(r.resources, "Service", "reviews").metadata.annotations;
    expect(a["balancer.linkerd.io/failure-accrual-consecutive-max-failures"]).toBe("3");
    expect(a["balancer.linkerd.io/failure-accrual-consecutive-min-penalty"]).toBe("600s");
    expect(a["balancer.linkerd.io/failure-accrual-consecutive-max-penalty"]).toBe("600s");
    expect(codes(r, "info")).toEqual([
      "/spec/outlierDetection/consecutiveGatewayErrors adapter/note/outlierDetection.consecutiveGatewayErrors",
      "/spec/outlierDetection/interval adapter/note/outlierDetection.interval",
    ]);
  });

  test("no ejection cap: the default 10% is an error unless the approximation unbounded-ejection is allowed", () => {
    const yaml = tp("  destination: {service: reviews, port: 9080}\n  outlierDetection: {consecutive5xxErrors: 7}");
    expect(codes(run(yaml))).toEqual(["/spec/outlierDetection adapter/unsupported-value/outlierDetection.maxEjectionPercent"]);
    const r = run(yaml, { approximations: ["unbounded-ejection"] });
    expect(r.ok).toBe(true);
    expect(codes(r, "warning")).toEqual(["/spec/outlierDetection adapter/approximation/outlierDetection.maxEjectionPercent"]);
    expect(ok(yaml, { approximations: ["unbounded-ejection"], version: "2.14" }).map((o) => o.kind)).toEqual(["Service"]);
  });

  test("gateway errors counted alone cannot be expressed", () => {
    expect(
      codes(
        run(
          tp(
            "  destination: {service: reviews, port: 9080}\n  outlierDetection: {consecutive5xxErrors: 0, consecutiveGatewayErrors: 2, maxEjectionPercent: 100}",
          ),
        ),
      ),
    ).toEqual(["/spec/outlierDetection/consecutiveGatewayErrors adapter/unsupported-value/outlierDetection.consecutiveGatewayErrors"]);
  });
});

describe("linkerd adapter value", () => {
  test("versions 2.14-2.20, default the newest, two profiles, patch versions resolve to their minor", () => {
    expect(linkerd.versions).toEqual(["2.14", "2.15", "2.16", "2.17", "2.18", "2.19", "2.20"]);
    expect(linkerd.defaultVersion).toBe("2.20");
    expect(linkerd.profiles!.map((p) => [p.label, p.versions])).toEqual([
      ["2.16-2.20 (edge)", ["2.16", "2.17", "2.18", "2.19", "2.20"]],
      ["2.14-2.15 (legacy)", ["2.14", "2.15"]],
    ]);
    expect(resolveVersion(linkerd, "2.14.10")).toBe("2.14");
    expect(resolveVersion(linkerd, undefined)).toBe("2.20");
    expect(Object.keys(linkerd.approximations!)).toEqual(["unbounded-ejection", "header-lines", "retry-budget"]);
  });

  test("capabilities declare every feature, per version", () => {
    for (const v of linkerd.versions) {
      const caps = linkerd.capabilities(v);
      expect(Object.keys(caps).sort()).toEqual([...FEATURES].sort());
    }
    expect(linkerd.capabilities("2.16").rateLimit.support).toBe("none");
    expect(linkerd.capabilities("2.17").rateLimit.support).toBe("partial");
    expect(linkerd.capabilities("2.20").faultInjection.support).toBe("none");
    expect(linkerd.capabilities("2.14").retries.via).toContain("ServiceProfile");
    expect(linkerd.capabilities("2.20").retries.via).toContain("retry.linkerd.io");
  });

  test("output is deterministic and every object is placed in the destination's namespace", () => {
    const yaml =
      ms("web", "  ports: [{port: 80}]", "front") +
      tp("  destination: {service: web, namespace: front}\n  timeout: 1s") +
      ap("  destination: {service: web, namespace: front}\n  allow:\n    - {}");
    const a = ok(yaml);
    expect(ok(yaml)).toEqual(a);
    expect(new Set(a.map((o) => o.metadata.namespace))).toEqual(new Set(["front"]));
  });
});
