/**
 * Bodies: large request and response bodies stream through both proxies intact (with back-pressure);
 * a body over the retry buffer is streamed once (no retry), one under it is replayed on retry.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createHash } from "node:crypto";
import { request } from "undici";
import { closeAgents, meshConfig, registry, startApp, startMesh, type App } from "./support.js";
import type { ProxyRuntime } from "../../src/proxy/runtime.js";

const POLICIES = `
apiVersion: unimesh.io/v1alpha1
kind: TrafficPolicy
metadata: {name: upload-retries, namespace: shop}
spec:
  destination: {service: files}
  retries: {attempts: 2, retryOn: ["503"], backoff: 1ms}
`;

const big = Buffer.alloc(5 * 1024 * 1024, "unimesh ");
const sha = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");

describe("streaming", () => {
  let files: App, web: App, proxy: ProxyRuntime;
  beforeAll(async () => {
    files = await startApp("files", (req, res, body) => {
      if (req.url === "/download") { res.end(big); return; }
      // The first request to /upload and to /small fails with 503.
      const first = files.seen.filter((s) => s.url === req.url).length === 1;
      if (first && (req.url === "/upload" || req.url === "/small")) { res.writeHead(503).end(); return; }
      res.end(sha(body));
    });
    web = await startApp("web");
    proxy = await startMesh(meshConfig(POLICIES, registry([
      { service: "files", namespace: "shop", port: files.port },
      { service: "web", namespace: "shop", port: web.port, outbound: true },
    ])));
  });
  afterAll(async () => {
    await proxy?.stop();
    await closeAgents();
    await Promise.all([files, web].map((a) => a?.close()));
  });
  const url = (path: string) => `http://127.0.0.1:${proxy.outboundPort("web", "shop")}${path}`;

  test("a 5 MB response arrives intact, read slowly", async () => {
    const r = await request(url("/download"), { headers: { host: "files" } });
    const chunks: Buffer[] = [];
    for await (const c of r.body) { chunks.push(c as Buffer); if (chunks.length % 20 === 0) await new Promise((x) => setTimeout(x, 5)); }
    expect(sha(Buffer.concat(chunks))).toBe(sha(big));
  });

  test("a body over the retry buffer is streamed once: the 503 is not retried", async () => {
    const r = await request(url("/upload"), { method: "POST", headers: { host: "files" }, body: big });
    expect(r.statusCode).toBe(503);
    await r.body.dump();
    expect(files.seen.filter((s) => s.url === "/upload").length).toBe(1);
  });

  test("a body under the buffer is replayed on retry, intact", async () => {
    const small = "x".repeat(100_000);
    const r = await request(url("/small"), { method: "POST", headers: { host: "files" }, body: small });
    expect(r.statusCode).toBe(200);
    expect(await r.body.text()).toBe(sha(small));
    expect(files.seen.filter((s) => s.url === "/small").map((s) => s.body.length)).toEqual([100_000, 100_000]);
  });

  test("a large upload streams through both proxies intact", async () => {
    const r = await request(url("/upload2"), { method: "PUT", headers: { host: "files" }, body: big });
    expect(await r.body.text()).toBe(sha(big));
  });
});
