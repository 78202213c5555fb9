/**
 * HTTP/2 and gRPC: an h2c client (as gRPC clients talk to their sidecar) reaches an h2c gRPC app
 * through both proxies (HTTP/2 over mutual TLS between them); trailers (grpc-status) arrive intact;
 * gRPC status conditions are retried; HTTP/2 clients can call HTTP/1.1 services.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import http2 from "node:http2";
import { closeAgents, meshConfig, registry, startApp, startH2App, startMesh, type App } from "./support.js";
import type { ProxyRuntime } from "../../src/proxy/runtime.js";

const POLICIES = `
apiVersion: unimesh.io/v1alpha1
kind: MeshService
metadata: {name: inventory, namespace: shop}
spec:
  ports: [{port: 50051, protocol: grpc}]
---
apiVersion: unimesh.io/v1alpha1
kind: TrafficPolicy
metadata: {name: inventory-retries, namespace: shop}
spec:
  destination: {service: inventory, port: 50051}
  retries: {attempts: 2, retryOn: [unavailable], backoff: 1ms}
`;

/** A gRPC message frame: 1 byte flag, 4 bytes length, payload. */
function frame(payload: string): Buffer {
  const b = Buffer.from(payload);
  const out = Buffer.alloc(5 + b.length);
  out.writeUInt32BE(b.length, 1);
  b.copy(out, 5);
  return out;
}

/** One unary call over h2c; resolves with the response headers, the body and the trailers. */
function unary(port: number, authority: string, path: string, payload: string) {
  return new Promise<{ headers: http2.IncomingHttpHeaders; body: Buffer; trailers: http2.IncomingHttpHeaders }>((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on("error", reject);
    const req = session.request({ ":method": "POST", ":path": path, ":authority": authority, "content-type": "application/grpc", te: "trailers" });
    let headers: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    req.on("response", (h) => {
      headers = h;
    });
    req.on("trailers", (t) => {
      trailers = t;
    });
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      session.close();
      resolve({ headers, body: Buffer.concat(chunks), trailers });
    });
    req.on("error", reject);
    req.end(frame(payload));
  });
}

describe("gRPC and HTTP/2", () => {
  let inventory: App, books: App, web: App, proxy: ProxyRuntime;
  let calls = 0;
  beforeAll(async () => {
    inventory = await startH2App((stream, headers, body) => {
      calls++;
      if (String(headers[":path"]).endsWith("/Flaky") && calls % 2 === 1) {
        stream.respond({ ":status": 200, "content-type": "application/grpc", "grpc-status": "14", "grpc-message": "try again" }, { endStream: true });
        return;
      }
      stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0", "grpc-message": "OK" }));
      stream.end(frame(`echo:${body.subarray(5).toString()}:${headers["x-forwarded-client-cert"] ? "mtls" : "plain"}`));
    });
    books = await startApp("books");
    web = await startApp("web");
    proxy = await startMesh(
      meshConfig(
        POLICIES,
        registry([
          { service: "inventory", namespace: "shop", port: inventory.port, servicePort: 50051, protocol: "grpc" },
          { service: "books", namespace: "shop", port: books.port },
          { service: "web", namespace: "shop", port: web.port, outbound: true },
        ]),
      ),
    );
  });
  afterAll(async () => {
    await proxy?.stop();
    await closeAgents();
    await Promise.all([inventory, books, web].map((a) => a?.close()));
  });

  test("a unary gRPC call goes through both proxies with its trailers", async () => {
    const r = await unary(proxy.outboundPort("web", "shop"), "inventory:50051", "/shop.Inventory/Get", "sku-1");
    expect(r.headers[":status"]).toBe(200);
    expect(r.body.subarray(5).toString()).toBe("echo:sku-1:mtls");
    expect(r.trailers["grpc-status"]).toBe("0");
    expect(inventory.seen.at(-1)!.headers["te"]).toBe("trailers");
  });

  test("a gRPC UNAVAILABLE answer (trailers-only) is retried", async () => {
    calls = 0;
    const r = await unary(proxy.outboundPort("web", "shop"), "inventory:50051", "/shop.Inventory/Flaky", "x");
    expect(r.trailers["grpc-status"]).toBe("0");
    expect(calls).toBe(2);
    expect(proxy.metrics.retries.get({ destination: "shop/inventory" })).toBe(1);
  });

  test("an HTTP/2 client can call an HTTP/1.1 service", async () => {
    const body = await new Promise<string>((resolve, reject) => {
      const s = http2.connect(`http://127.0.0.1:${proxy.outboundPort("web", "shop")}`);
      const req = s.request({ ":path": "/", ":authority": "books" });
      let b = "";
      req
        .on("data", (c) => (b += c))
        .on("end", () => {
          s.close();
          resolve(b);
        })
        .on("error", reject);
      req.end();
    });
    expect(body).toBe("books");
  });
});
