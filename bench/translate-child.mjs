// One measurement in a fresh process: generate N services (each with a TrafficPolicy and an
// AccessPolicy), then time load + validate + translate + serialize. Prints one JSON line.
//
// The input is the same for every mesh except where a mesh cannot express it, so that every run
// translates (ok: true) instead of measuring an error path:
// - Linkerd never retries on a failed connection (adapter/unsupported-value error for retryOn
//   connect-failure): its services retry on 5xx only; and it authorizes per pod port, which it must
//   know (a guessed pod port is an error for access), so each service also gets a MeshService
//   declaring its port (8080), as `unimesh discover` would write: 3 documents per service;
// - App Mesh checks callers per whole service: the run accepts the `service-level-access`
//   approximation for the methods/paths of the AccessPolicies (a warning each).
import { loadModel, translate, toYaml, findAdapter } from "../dist/index.js";
import { benchInput } from "./input.mjs";

const [mesh, nText] = process.argv.slice(2);
const n = Number(nText);
const adapter = findAdapter(mesh);
if (!adapter) {
  console.log(JSON.stringify({ mesh, n, skipped: `adapter ${mesh} not built` }));
  process.exit(0);
}

const { text, allowApproximations, documents } = benchInput(mesh, n);
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
console.log(
  JSON.stringify({
    mesh: result.mesh,
    services: n,
    documents,
    objects: result.resources.length,
    ok: result.ok,
    errors: result.diagnostics.filter((d) => d.severity === "error").length,
    ...(result.ok ? {} : { firstError: result.diagnostics.find((d) => d.severity === "error")?.message }),
    ms: { total: +ms.toFixed(1), validate: +(t1 - t0).toFixed(1), translate: +(t2 - t1).toFixed(1), serialize: +(t3 - t2).toFixed(1) },
    // CPU time of the process over the same span (user + system, all threads: includes the GC's helpers).
    cpuMs: +((cpu.user + cpu.system) / 1000).toFixed(1),
    servicesPerSecond: Math.round(n / (ms / 1000)),
    outputBytes: out.length,
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
  }),
);
