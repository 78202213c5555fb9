/**
 * The App Mesh adapter builds every spec with its keys already in sorted order and shares no object
 * between two generated objects (translator.ts): translate() then keeps the specs as they are instead
 * of copying them (src/api/translate.ts `isCanonical`), and a caller may change one object without
 * changing another. Output is the same either way; these tests keep the fast path from silently
 * going away.
 */
import { describe, expect, test } from "vitest";
import { appmesh, loadModel, type KubeObject, type TranslateContext } from "../../../src/index.js";
import { ap, mp, svc, tp } from "./helpers.js";

/** Every feature with a spec field: ports of every protocol, subsets, matches, retries, timeouts, pools, mTLS, access. */
const INPUT =
  svc(
    "api",
    "{selector: {zone: a, app: api}, ports: [{port: 8080, name: http}, {port: 8081, targetPort: 9000, protocol: http2}, {port: 9090, protocol: grpc}, {port: 7000, protocol: tcp}], subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]}",
  ) +
  svc("web", "{ports: [{port: 80}]}") +
  svc("db", "{ports: [{port: 5432, protocol: tcp}]}", "data") +
  tp(
    "api-routes",
    `  destination: {service: api, port: 8080}
  routes:
    - name: canary
      match: {path: {prefix: /v2/}, method: GET, headers: {X-Canary: {exact: "true"}, x-debug: {present: false}, x-trace: {present: true}}, queryParams: {q: {exact: "1"}}}
      split: [{subset: {version: v2}}]
      timeout: 20s
    - match: {path: {regex: "/re.*"}}
      split: [{subset: {version: v1}, weight: 90}, {subset: {version: v2}, weight: 10}]
  retries: {attempts: 2, perTryTimeout: 500ms, retryOn: [5xx, gateway-error, connect-failure]}
  outlierDetection: {consecutive5xxErrors: 3, interval: 5s, baseEjectionTime: 1m, maxEjectionPercent: 50}
  connectionPool: {maxConnections: 10, maxPendingRequests: 5}`,
  ) +
  tp(
    "api-grpc",
    `  destination: {service: api, port: 9090}
  routes:
    - match: {path: {exact: /pkg.Svc/Get}, headers: {x-user: {prefix: bob}}}
      retries: {attempts: 1, retryOn: [unavailable, cancelled]}
      timeout: 3s`,
  ) +
  tp("db-tcp", "  destination: {service: db}\n  routes:\n    - split: [{port: 5432}]", "data") +
  ap("api-access", "  destination: {service: api}\n  allow:\n    - source: {serviceAccounts: [web, data/db]}") +
  mp("api-mtls", '  destination: {service: api}\n  mode: strict\n  ports: {"8081": permissive, "7000": disabled}') +
  mp("data-mtls", "  mode: permissive", "data");

/** The adapter's own objects, before translate() finishes them. */
function adapterObjects(): KubeObject[] {
  const loaded = loadModel([{ file: "test.yaml", text: INPUT }]);
  expect(loaded.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  const allow = ["connection-pool-per-instance", "service-level-access"];
  const ctx: TranslateContext = {
    version: "1.13",
    options: { allowApproximations: allow, policySet: "default" },
    report: () => {},
    reportGlobal: () => {},
    allows: (a) => allow.includes(a),
  };
  return appmesh.translate(loaded.model, ctx);
}

/** Paths of the objects in `v` whose keys are not in sorted order (or that hold undefined). */
function unsorted(v: unknown, path: string, out: string[]): string[] {
  if (Array.isArray(v)) v.forEach((x, i) => unsorted(x, `${path}[${i}]`, out));
  else if (v && typeof v === "object") {
    const keys = Object.keys(v);
    if (keys.some((k, i) => i > 0 && keys[i - 1] > k) || keys.some((k) => (v as Record<string, unknown>)[k] === undefined))
      out.push(`${path} {${keys.join(", ")}}`);
    for (const k of keys) unsorted((v as Record<string, unknown>)[k], `${path}.${k}`, out);
  }
  return out;
}

describe("appmesh output shape", () => {
  test("every spec has its keys in sorted order, all the way down", () => {
    const objs = adapterObjects();
    expect(new Set(objs.map((o) => o.kind))).toEqual(new Set(["Mesh", "VirtualNode", "VirtualRouter", "VirtualService", "Service"]));
    // The features above are all in the specs.
    const text = JSON.stringify(objs);
    for (const field of [
      "grpcRoute",
      "http2Route",
      "tcpRoute",
      "httpRoute",
      "queryParameters",
      "invert",
      "retryPolicy",
      "connectionPool",
      "outlierDetection",
      "clientPolicy",
      "tls",
      "timeout",
    ]) {
      expect(text).toContain(`"${field}"`);
    }
    expect(objs.flatMap((o) => unsorted(o.spec, `${o.kind}/${o.metadata.name}.spec`, []))).toEqual([]);
  });

  test("no two generated objects share an object or array", () => {
    const objs = adapterObjects();
    const owner = new Map<object, string>();
    const shared: string[] = [];
    const walk = (v: unknown, who: string, path: string) => {
      if (!v || typeof v !== "object") return;
      const first = owner.get(v);
      if (first !== undefined && first !== who) shared.push(`${path} (also in ${first})`);
      owner.set(v, who);
      for (const [k, x] of Object.entries(v)) walk(x, who, `${path}.${k}`);
    };
    for (const o of objs) walk(o, `${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`, `${o.kind}/${o.metadata.name}`);
    expect(shared).toEqual([]);
  });
});
