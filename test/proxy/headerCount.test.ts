/**
 * Many header lines: a request within `limits.maxHeaderBytes` reaches the app with every header line,
 * whether the hops between the proxies speak the hop protocol or HTTP/1.1 — never a silently shorter
 * list (Node's HTTP server keeps only the first 1,000 lines unless told otherwise; undici's parser
 * and the app's server have their own counts).
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import http from "node:http";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { closeAgents, meshConfig, rawCall, registry, startApp, startMesh, type App } from "./support.js";
import type { ProxyRuntime } from "../../src/proxy/runtime.js";

for (const hopProtocol of ["multiplexed", "http"] as const) {
  describe(`header lines (hopProtocol: ${hopProtocol})`, () => {
    let web: App, proxy: ProxyRuntime;
    let lines = 0;
    // The app counts every line it gets (no count limit of its own, a large enough size limit).
    const app = http.createServer({ maxHeaderSize: 1 << 20 }, (req, res) => {
      lines = req.rawHeaders.length / 2;
      // ?answer=N: N header lines in the answer.
      const answer = Number(new URL(req.url!, "http://x").searchParams.get("answer") ?? 0);
      for (let i = 0; i < answer; i++) res.setHeader(`a${i}`, "1");
      // ?big=N: N header lines of 10,000 bytes each (large cookies, tokens).
      const big = Number(new URL(req.url!, "http://x").searchParams.get("big") ?? 0);
      for (let i = 0; i < big; i++) res.setHeader(`x-big${i}`, String(i).repeat(10_000).slice(0, 10_000));
      res.end(String(lines));
    });
    app.maxHeadersCount = 0;
    beforeAll(async () => {
      await new Promise<void>((r) => app.listen(0, "127.0.0.1", r));
      web = await startApp("web");
      const config = meshConfig(
        "",
        registry([
          { service: "app", namespace: "shop", port: (app.address() as AddressInfo).port },
          { service: "web", namespace: "shop", port: web.port, outbound: true },
        ]),
        { limits: { maxHeaderBytes: 65_536 } },
      );
      config.spec.hopProtocol = hopProtocol;
      proxy = await startMesh(config);
    });
    afterAll(async () => {
      await proxy?.stop();
      await closeAgents();
      await web?.close();
      app.closeAllConnections();
      await new Promise((r) => app.close(r));
    });

    test.each([1_500, 2_500, 4_000])("%i header lines reach the app, all of them", async (n) => {
      const headers: Record<string, string> = {};
      for (let i = 0; i < n; i++) headers[`x-h${i}`] = "1";
      const a = await rawCall(proxy.outboundPort("web", "shop"), "app", "/", { headers });
      expect(a.status).toBe(200);
      // The caller's lines, plus host and connection from rawCall, plus what the mesh adds (x-request-id,
      // x-forwarded-*), less connection (hop-by-hop): at least the caller's n.
      expect(lines).toBeGreaterThanOrEqual(n + 1);
      expect(Number(a.body)).toBe(lines);
    });

    test.each([1_001, 1_200])("an answer with %i header lines reaches the caller, all of them", async (n) => {
      const a = await rawCall(proxy.outboundPort("web", "shop"), "app", `/?answer=${n}`);
      expect(a.status).toBe(200);
      expect(Object.keys(a.headers).filter((k) => /^a\d+$/.test(k))).toHaveLength(n);
    });

    test("an answer head of 40 KB (four 10,000-byte lines) reaches the caller whole: the upstream limit is Envoy's 60 KiB, not Node's 16 KiB", async () => {
      const a = await rawCall(proxy.outboundPort("web", "shop"), "app", "/?big=4");
      expect(a.status).toBe(200);
      for (let i = 0; i < 4; i++) expect(a.headers[`x-big${i}`], `x-big${i}`).toBe(String(i).repeat(10_000));
    });

    test("an answer head larger than the proxy takes (seven 10,000-byte lines, over 60 KiB) is refused with a 5xx, never cut", async () => {
      const a = await rawCall(proxy.outboundPort("web", "shop"), "app", "/?big=7");
      expect(a.status).toBeGreaterThanOrEqual(500);
      expect(Object.keys(a.headers).filter((k) => /^x-big\d+$/.test(k))).toHaveLength(0);
    });

    const h2 = async (n: number, value = "1") => {
      const session = http2.connect(`http://127.0.0.1:${proxy.outboundPort("web", "shop")}`);
      session.on("error", () => {});
      const headers: http2.OutgoingHttpHeaders = { ":path": "/", ":authority": "app" };
      for (let i = 0; i < n; i++) headers[`x-h${i}`] = value;
      lines = 0;
      const outcome = await new Promise<string>((resolve) => {
        const req = session.request(headers);
        req.on("response", (h) => resolve(`status ${h[":status"]}`));
        req.on("error", (e) => resolve(`error ${(e as NodeJS.ErrnoException).code}`));
        req.on("close", () => resolve(`closed ${req.rstCode}`));
        req.end();
      });
      session.destroy();
      return outcome;
    };

    test("HTTP/2: 1,200 header lines within the size limit reach the app, all of them", async () => {
      expect(await h2(1_200)).toBe("status 200");
      expect(lines).toBeGreaterThanOrEqual(1_200);
    });

    test("HTTP/2: header lines over the size limit are refused, never cut", async () => {
      // 1,000 lines of 32 + 5 + 40 bytes each (RFC 9113 §6.5.2): over 65,536, under the count cap (2,052).
      const outcome = await h2(1_000, "v".repeat(40));
      expect(outcome).toMatch(/^(status 431|error|closed)/);
      expect(lines).toBe(0);
    });
  });
}

describe("HTTP/2 header size on the first request of a connection (default limits: 16,384 bytes)", () => {
  let web: App, proxy: ProxyRuntime;
  let reached = 0;
  const app = http.createServer({ maxHeaderSize: 1 << 20 }, (_req, res) => {
    reached++;
    res.end("ok");
  });
  beforeAll(async () => {
    await new Promise<void>((r) => app.listen(0, "127.0.0.1", r));
    web = await startApp("web");
    proxy = await startMesh(
      meshConfig(
        "",
        registry([
          { service: "app", namespace: "shop", port: (app.address() as AddressInfo).port },
          { service: "web", namespace: "shop", port: web.port, outbound: true },
        ]),
      ),
    );
  });
  afterAll(async () => {
    await proxy?.stop();
    await closeAgents();
    await web?.close();
    app.closeAllConnections();
    await new Promise((r) => app.close(r));
  });

  test("20 KB of headers sent at once on a new connection get 431, before the client has the server's SETTINGS", async () => {
    // nghttp2 applies maxHeaderListSize only once the client acknowledged it; the listener checks itself.
    const session = http2.connect(`http://127.0.0.1:${proxy.outboundPort("web", "shop")}`);
    session.on("error", () => {});
    const headers: http2.OutgoingHttpHeaders = { ":path": "/", ":authority": "app" };
    for (let i = 0; i < 20; i++) headers[`x-h${i}`] = "v".repeat(1000);
    const status = await new Promise<string>((resolve) => {
      const req = session.request(headers);
      req.on("response", (h) => resolve(String(h[":status"])));
      req.on("error", (e) => resolve(`error ${(e as NodeJS.ErrnoException).code}`));
      req.end();
    });
    session.destroy();
    expect(status).toBe("431");
    expect(reached).toBe(0);
  });
});
