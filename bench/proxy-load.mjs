// A closed-loop HTTP load generator (undici), used by the proxy benchmark when wrk is not installed.
// It runs in its own process so it does not share the proxy's event loop.
// Usage: node bench/proxy-load.mjs <url> <connections> <seconds> <host header>
// Prints {"rps":..,"p50Ms":..,"p99Ms":..,"errors":..,"non2xx":..}.
import { Pool } from "undici";

const [url, conns, secs, host] = process.argv.slice(2);
const connections = Number(conns);
const u = new URL(url);
const pool = new Pool(u.origin, { connections, pipelining: 1, keepAliveTimeout: 60_000 });
const latencies = [];
let errors = 0,
  non2xx = 0,
  done = 0;
const end = performance.now() + Number(secs) * 1000;
const warm = performance.now() + 500;
async function loop() {
  while (performance.now() < end) {
    const t0 = performance.now();
    try {
      const r = await pool.request({ path: u.pathname, method: "GET", headers: { host } });
      await r.body.dump();
      if (r.statusCode < 200 || r.statusCode >= 300) non2xx++;
    } catch {
      errors++;
    }
    const t1 = performance.now();
    if (t0 >= warm) {
      latencies.push(t1 - t0);
      done++;
    }
  }
}
await Promise.all(Array.from({ length: connections }, loop));
latencies.sort((a, b) => a - b);
const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
console.log(JSON.stringify({ rps: Math.round(done / (Number(secs) - 0.5)), p50Ms: +q(0.5).toFixed(3), p99Ms: +q(0.99).toFixed(3), errors, non2xx }));
await pool.close();
