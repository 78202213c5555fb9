// unimesh's built-in proxy for the benchmark, from dist/: Bookinfo's policies (examples/bookinfo,
// translated by the builtin adapter) with reviews v1, v2, v3 on the benchmark upstream's ports and
// productpage's outbound listener as the entry point. A request goes: load generator → productpage's
// outbound listener (route table: header match, 90/10 canary, timeout, retries, outlier detection)
// → mutual TLS → the chosen reviews instance's inbound listener (strict mTLS, access control) → upstream.
// With --inline, the hop between the two co-located listeners is in-process (colocatedHops: inline).
// With --h1-server=<name>, UNIMESH_H1_SERVER=<name> for the listeners (node: node:http; the default is
// src/proxy/net/h1server.ts).
// Usage: node bench/proxy-unimesh.mjs <outbound port> <upstream port v1> <v2> <v3> [--inline] [--access-log] [--dist=<dir>] [--h1-server=<name>]
import { readdirSync, readFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
// --dist=<dir>: another build's dist/ (an A/B run against a baseline; the policies stay this checkout's).
const distArg = process.argv.find((a) => a.startsWith("--dist="))?.slice(7);
const { loadModel, translate, builtin, mergeProxyDocuments, startProxy } = await import(join(distArg ?? join(root, "dist"), "index.js"));
const [outbound, v1, v2, v3] = process.argv.slice(2, 6).map(Number);
const accessLog = process.argv.includes("--access-log");
const h1Server = process.argv.find((a) => a.startsWith("--h1-server="))?.slice(12);
if (h1Server) process.env.UNIMESH_H1_SERVER = h1Server;

const dir = join(root, "examples/bookinfo");
const inputs = readdirSync(dir)
  .filter((f) => f.endsWith(".yaml"))
  .map((f) => ({ file: f, text: readFileSync(join(dir, f), "utf8") }));
const loaded = loadModel(inputs);
const result = translate(loaded.model, { adapter: builtin });
if (!result.ok) throw new Error(JSON.stringify(result.diagnostics));
const registry = {
  apiVersion: "unimesh.io/v1alpha1",
  kind: "ServiceRegistry",
  metadata: { name: "bench" },
  spec: {
    admin: { port: 0 },
    services: [
      {
        name: "reviews",
        namespace: "bookinfo",
        instances: [
          { port: v1, labels: { version: "v1" }, inbound: { port: 0 } },
          { port: v2, labels: { version: "v2" }, inbound: { port: 0 } },
          { port: v3, labels: { version: "v3" }, inbound: { port: 0 } },
        ],
      },
      { name: "productpage", namespace: "bookinfo", instances: [{ port: 1, inbound: { port: 0 }, outbound: { port: outbound } }] },
    ],
  },
};
const { config } = mergeProxyDocuments(
  [{ doc: result.resources[0], file: "bookinfo", documentIndex: 0 }],
  [{ doc: registry, file: "registry", documentIndex: 0 }],
);
config.spec.accessLog = accessLog ? { enabled: true, path: "/dev/null" } : { enabled: false };
if (process.argv.includes("--inline")) config.spec.colocatedHops = "inline";
const proxy = await startProxy(config, { onEvent: () => {} });
console.log(`ready admin=${proxy.port("admin")}`);
process.on("SIGTERM", () => void proxy.stop().then(() => process.exit(0)));
