// One measurement in a fresh process: generate N services (each with a TrafficPolicy and an
// AccessPolicy), then time load + validate + translate + serialize. Prints one JSON line.
import { loadModel, translate, toYaml, findAdapter } from "../dist/index.js";

const [mesh, nText] = process.argv.slice(2);
const n = Number(nText);
const adapter = findAdapter(mesh);
if (!adapter) { console.log(JSON.stringify({ mesh, n, skipped: `adapter ${mesh} not built` })); process.exit(0); }

/** Namespaces of 100 services; svc-i may be called by svc-(i-1); reviews-like canary on each. */
function generate(n) {
  const docs = [];
  for (let i = 0; i < n; i++) {
    const ns = `team-${String(Math.floor(i / 100)).padStart(3, "0")}`;
    const name = `svc-${String(i).padStart(5, "0")}`;
    const caller = `svc-${String(i - (i % 100 === 0 ? 0 : 1)).padStart(5, "0")}`;
    docs.push(`apiVersion: unimesh.io/v1alpha1
kind: TrafficPolicy
metadata: {name: ${name}-traffic, namespace: ${ns}}
spec:
  destination: {service: ${name}, port: 8080}
  routes:
    - match: {headers: {x-canary: {exact: "true"}}}
      split: [{subset: {version: v2}}]
    - split: [{subset: {version: v1}, weight: 90}, {subset: {version: v2}, weight: 10}]
  timeout: 2s
  retries: {attempts: 2, perTryTimeout: 500ms, retryOn: [5xx, connect-failure]}
---
apiVersion: unimesh.io/v1alpha1
kind: AccessPolicy
metadata: {name: ${name}-access, namespace: ${ns}}
spec:
  destination: {service: ${name}}
  allow:
    - source: {serviceAccounts: [${caller}]}
      methods: [GET, POST]
      paths: ["/api/*"]
`);
  }
  return docs.join("---\n");
}

const text = generate(n);
const t0 = performance.now();
const loaded = loadModel([{ file: "bench.yaml", text }]);
const t1 = performance.now();
const result = translate(loaded.model, { adapter, allowApproximations: mesh === "appmesh" ? ["service-level-access"] : [] });
const t2 = performance.now();
const out = toYaml(result.resources);
const t3 = performance.now();
const ms = t3 - t0;
console.log(JSON.stringify({
  mesh: result.mesh, services: n, documents: 2 * n, objects: result.resources.length, ok: result.ok,
  errors: result.diagnostics.filter((d) => d.severity === "error").length,
  ms: { total: +ms.toFixed(1), validate: +(t1 - t0).toFixed(1), translate: +(t2 - t1).toFixed(1), serialize: +(t3 - t2).toFixed(1) },
  servicesPerSecond: Math.round(n / (ms / 1000)), outputBytes: out.length,
  peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
}));
