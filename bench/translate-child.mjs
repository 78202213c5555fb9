// One measurement in a fresh process: generate N services (each with a TrafficPolicy and an
// AccessPolicy), then time load + validate + translate + serialize. Prints one JSON line.
//
// The input is the same for every mesh except where a mesh cannot express it, so that every run
// translates (ok: true) instead of measuring an error path:
// - Linkerd never retries on a failed connection (adapter/unsupported-value error for retryOn
//   connect-failure): its services retry on 5xx only; and it authorizes per pod port, so without
//   MeshServices declaring ports its AccessPolicies name the port (8080, the TrafficPolicy's);
// - App Mesh checks callers per whole service: the run accepts the `service-level-access`
//   approximation for the methods/paths of the AccessPolicies (a warning each).
import { loadModel, translate, toYaml, findAdapter } from "../dist/index.js";

const [mesh, nText] = process.argv.slice(2);
const n = Number(nText);
const adapter = findAdapter(mesh);
if (!adapter) { console.log(JSON.stringify({ mesh, n, skipped: `adapter ${mesh} not built` })); process.exit(0); }

/** What each mesh's input differs in (see above). */
const PER_MESH = {
  linkerd: { retryOn: "[5xx]", accessPort: ", port: 8080" },
  appmesh: { allowApproximations: ["service-level-access"] },
};
const { retryOn = "[5xx, connect-failure]", accessPort = "", allowApproximations = [] } = PER_MESH[mesh] ?? {};

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
  retries: {attempts: 2, perTryTimeout: 500ms, retryOn: ${retryOn}}
---
apiVersion: unimesh.io/v1alpha1
kind: AccessPolicy
metadata: {name: ${name}-access, namespace: ${ns}}
spec:
  destination: {service: ${name}${accessPort}}
  allow:
    - source: {serviceAccounts: [${caller}]}
      methods: [GET, POST]
      paths: ["/api/*"]
`);
  }
  return docs.join("---\n");
}

const text = generate(n);
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const loaded = loadModel([{ file: "bench.yaml", text }]);
const t1 = performance.now();
const result = translate(loaded.model, { adapter, allowApproximations });
const t2 = performance.now();
const out = toYaml(result.resources);
const t3 = performance.now();
const cpu = process.cpuUsage(cpu0);
const ms = t3 - t0;
console.log(JSON.stringify({
  mesh: result.mesh, services: n, documents: 2 * n, objects: result.resources.length, ok: result.ok,
  errors: result.diagnostics.filter((d) => d.severity === "error").length,
  ...(result.ok ? {} : { firstError: result.diagnostics.find((d) => d.severity === "error")?.message }),
  ms: { total: +ms.toFixed(1), validate: +(t1 - t0).toFixed(1), translate: +(t2 - t1).toFixed(1), serialize: +(t3 - t2).toFixed(1) },
  // CPU time of the process over the same span (user + system, all threads: includes the GC's helpers).
  cpuMs: +((cpu.user + cpu.system) / 1000).toFixed(1),
  servicesPerSecond: Math.round(n / (ms / 1000)), outputBytes: out.length,
  peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
}));
