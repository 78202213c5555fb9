/**
 * Access control decides on the request headers as the instance's app receives them: never on a header
 * the proxy then drops (one the caller lists in Connection, a hop-by-hop header), never on a caller's own
 * x-forwarded-client-cert, and on Host as the request's authority whether it came as HTTP/1.1 Host or
 * HTTP/2 :authority (the app gets the authority as Host). Otherwise a rule could pass on a header the app
 * never sees, or decide on a Host the app does not get.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import net from "node:net";
import http2 from "node:http2";
import { closeAgents, meshConfig, registry, startApp, startMesh, type App } from "./support.js";
import type { ProxyRuntime } from "../../src/proxy/runtime.js";

const POLICIES = `
apiVersion: unimesh.io/v1alpha1
kind: AccessPolicy
metadata: {name: api-policy, namespace: shop}
spec:
  destination: {service: api}
  allow:
    - headers: {x-api-version: [v2]}
  deny:
    - headers: {host: [admin.internal]}
`;

/** One HTTP/1.1 request as raw bytes to `port`; its status line. */
async function raw(port: number, bytes: string): Promise<string> {
  const text = await new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = net.connect(port, "127.0.0.1", () => s.write(bytes));
    s.on("data", (c) => chunks.push(c));
    s.on("error", reject);
    s.setTimeout(3000, () => s.destroy());
    s.on("close", () => resolve(Buffer.concat(chunks).toString("latin1")));
  });
  return text.split("\r\n")[0];
}

describe("access control decides on the headers the app receives", () => {
  let api: App, proxy: ProxyRuntime;
  beforeAll(async () => {
    api = await startApp("api");
    // Permissive (the default): a plaintext caller reaches the inbound listener directly, as a raw client can.
    proxy = await startMesh(meshConfig(POLICIES, registry([{ service: "api", namespace: "shop", port: api.port }])));
  });
  afterAll(async () => {
    await proxy?.stop();
    await closeAgents();
    await api?.close();
  });

  test("a header the caller lists in Connection (so the app never gets it) does not satisfy an allow rule", async () => {
    const inb = proxy.inboundPort("api", "shop", api.port);
    expect(await raw(inb, "GET /v2 HTTP/1.1\r\nhost: api\r\nx-api-version: v2\r\nconnection: close\r\n\r\n")).toBe("HTTP/1.1 200 OK");
    expect(api.seen.find((s) => s.url === "/v2")?.headers["x-api-version"]).toBe("v2");
    expect(await raw(inb, "GET /listed HTTP/1.1\r\nhost: api\r\nx-api-version: v2\r\nconnection: close, x-api-version\r\n\r\n")).toMatch(/^HTTP\/1.1 403/);
    expect(api.seen.some((s) => s.url === "/listed")).toBe(false);
  });

  test("a rule on host sees the authority over HTTP/1.1 and HTTP/2 alike", async () => {
    const inb = proxy.inboundPort("api", "shop", api.port);
    const h = "x-api-version: v2\r\nconnection: close\r\n";
    expect(await raw(inb, `GET /h1 HTTP/1.1\r\nhost: admin.internal\r\n${h}\r\n`)).toMatch(/^HTTP\/1.1 403/);
    const session = http2.connect(`http://127.0.0.1:${inb}`);
    session.on("error", () => {});
    const h2 = (headers: http2.OutgoingHttpHeaders) =>
      new Promise<string>((resolve) => {
        const s = session.request({ ":method": "GET", "x-api-version": "v2", ...headers }, { endStream: true });
        let status = "";
        s.on("response", (r) => (status = String(r[":status"])));
        s.on("data", () => {});
        s.on("error", () => {});
        s.on("close", () => resolve(status || `reset ${s.rstCode}`));
      });
    try {
      expect(await h2({ ":path": "/h2", ":authority": "admin.internal" })).toBe("403");
      // A host header beside :authority does not hide the authority the app gets as Host.
      expect(await h2({ ":path": "/h2-both", ":authority": "admin.internal", host: "api" })).toMatch(/^(403|400|reset)/);
      expect(await h2({ ":path": "/h2-ok", ":authority": "api" })).toBe("200");
    } finally {
      session.close();
    }
    expect(api.seen.some((s) => s.url.startsWith("/h1") || s.url === "/h2" || s.url === "/h2-both")).toBe(false);
    expect(api.seen.find((s) => s.url === "/h2-ok")?.headers.host).toBe("api");
  });
});
