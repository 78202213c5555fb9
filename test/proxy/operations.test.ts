/**
 * Operating the proxy: Prometheus metrics (counts and latency histograms by source, destination and
 * code), health and readiness, structured access logs, certificate renewal without interruption,
 * limits against slow or abusive clients, and graceful shutdown.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import net from "node:net";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "undici";
import { call, closeAgents, meshConfig, rawCall, registry, startApp, startMesh, type App } from "./support.js";
import type { ProxyRuntime } from "../../src/proxy/runtime.js";

const POLICIES = `
apiVersion: unimesh.io/v1alpha1
kind: TrafficPolicy
metadata: {name: ratings, namespace: bookinfo}
spec:
  destination: {service: ratings}
  timeout: 2s
  routes:
    - name: logged
      match: {path: {prefix: /logged}}
    - name: everything-else
`;

/** Opens a raw connection, writes `data`, resolves with what comes back and how long until close. */
function raw(port: number, data: string, keepWriting?: { every: number; chunk: string }): Promise<{ text: string; ms: number }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const s = net.connect(port, "127.0.0.1");
    let text = "";
    let timer: NodeJS.Timeout | undefined;
    s.on("connect", () => {
      s.write(data);
      if (keepWriting)
        timer = setInterval(() => {
          if (!s.destroyed) s.write(keepWriting.chunk);
        }, keepWriting.every);
    });
    s.on("data", (d) => (text += d));
    s.on("error", () => {});
    s.on("close", () => {
      clearInterval(timer);
      resolve({ text, ms: performance.now() - t0 });
    });
  });
}

describe("operations", () => {
  let ratings: App, reviews: App, slow: App, proxy: ProxyRuntime;
  const dir = mkdtempSync(join(tmpdir(), "unimesh-ops-"));
  const logFile = join(dir, "access.log");
  beforeAll(async () => {
    ratings = await startApp("ratings");
    slow = await startApp("slow", (_req, res) => setTimeout(() => res.end("finished"), 400));
    reviews = await startApp("reviews");
    proxy = await startMesh(
      meshConfig(
        POLICIES,
        registry([
          { service: "ratings", namespace: "bookinfo", port: ratings.port },
          { service: "slow", namespace: "bookinfo", port: slow.port },
          { service: "reviews", namespace: "bookinfo", port: reviews.port, outbound: true },
        ]),
        {
          accessLog: { enabled: true, path: logFile },
          limits: { headersTimeoutMs: 300, requestTimeoutMs: 1000, handshakeTimeoutMs: 300, maxHeaderBytes: 4096, drainTimeoutMs: 2000 },
        },
      ),
    );
  });
  afterAll(async () => {
    await proxy?.stop();
    await closeAgents();
    await Promise.all([ratings, reviews, slow].map((a) => a?.close()));
  });
  const admin = () => `http://127.0.0.1:${proxy.port("admin")}`;
  const get = async (path: string) => {
    const r = await request(admin() + path);
    return { status: r.statusCode, text: await r.body.text() };
  };

  test("metrics count requests and observe latency by source, destination and code", async () => {
    for (let i = 0; i < 3; i++) await call(proxy.outboundPort("reviews", "bookinfo"), "ratings", "/");
    const m = await get("/metrics");
    expect(m.status).toBe(200);
    // At the caller's listener, the route that took the request (its id: the TrafficPolicy and the route).
    expect(m.text).toContain(
      'unimesh_requests_total{direction="outbound",source="bookinfo/reviews",destination="bookinfo/ratings",response_code="200",route="TrafficPolicy/bookinfo/ratings#/spec/routes/1"} 3',
    );
    expect(m.text).toContain('unimesh_requests_total{direction="inbound",source="bookinfo/reviews",destination="bookinfo/ratings",response_code="200"} 3');
    expect(m.text).toMatch(
      /unimesh_request_duration_seconds_bucket\{direction="outbound",source="bookinfo\/reviews",destination="bookinfo\/ratings",response_code="200",route="TrafficPolicy\/bookinfo\/ratings#\/spec\/routes\/1",le="\+Inf"\} 3/,
    );
    expect(m.text).toContain("unimesh_request_duration_seconds_count");
    for (const name of ["unimesh_retries_total", "unimesh_outlier_ejections_total", "unimesh_rate_limited_total", "unimesh_certificate_expiry_seconds"]) {
      expect(m.text).toContain(`# TYPE ${name}`);
    }
  });

  test("health, readiness, listeners, config and certificates on the admin port", async () => {
    expect(await get("/healthz")).toEqual({ status: 200, text: "ok\n" });
    expect((await get("/ready")).status).toBe(200);
    const listeners = JSON.parse((await get("/listeners")).text);
    expect(Object.keys(listeners).some((k) => k.startsWith("outbound|bookinfo/reviews/"))).toBe(true);
    expect(JSON.parse((await get("/config")).text).kind).toBe("ProxyConfig");
    const certs = JSON.parse((await get("/certs")).text);
    expect(certs.map((c: { identity: string }) => c.identity)).toContain("spiffe://cluster.local/ns/bookinfo/sa/ratings");
  });

  test("the admin port answers only loopback Host names (DNS rebinding reads neither config nor certificates)", async () => {
    const port = proxy.port("admin");
    for (const host of ["localhost", `localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, "LOCALHOST"]) {
      expect({ host, status: (await rawCall(port, host, "/config")).status }).toEqual({ host, status: 200 });
    }
    for (const host of [
      "evil.example",
      `evil.example:${port}`,
      `127.0.0.1.evil.example:${port}`,
      `localhost:${port + 1}`,
      `localhost.:${port}`,
      "10.0.0.1",
      "",
    ]) {
      for (const path of ["/config", "/certs", "/metrics"]) {
        const r = await rawCall(port, host, path);
        expect({ host, path, status: r.status, leaked: r.body.includes("ProxyConfig") || r.body.includes("spiffe://") }).toEqual({
          host,
          path,
          status: 421,
          leaked: false,
        });
      }
    }
    // Nor can it stop or reload the proxy.
    expect((await rawCall(port, `evil.example:${port}`, "/quitquitquit", { method: "POST" })).status).toBe(421);
    expect(proxy.metrics.reloads.get({})).toBe(0);
  });

  test("no state change from a cross-origin simple request (a web page POSTing text/plain or a form)", async () => {
    const port = proxy.port("admin");
    const host = `127.0.0.1:${port}`;
    const attempts: Record<string, string>[] = [
      { "content-type": "text/plain" },
      { "content-type": "application/x-www-form-urlencoded" },
      { "content-type": "multipart/form-data; boundary=x" },
      { origin: "https://evil.example" },
      { origin: "null", "content-type": "application/json" },
      { "sec-fetch-site": "cross-site", "content-type": "application/json" },
      { "sec-fetch-site": "same-site" },
    ];
    for (const headers of attempts) {
      for (const path of ["/quitquitquit", "/reload"]) {
        const r = await rawCall(port, host, path, { method: "POST", headers, body: "{}" });
        expect({ headers, path, status: r.status }).toEqual({ headers, path, status: 403 });
      }
    }
    expect(proxy.metrics.reloads.get({})).toBe(0);
    expect((await get("/ready")).status).toBe(200);
    // What a CLI sends is fine (POST /reload has no reload source here: 400 with a diagnostic).
    expect((await rawCall(port, host, "/reload", { method: "POST" })).status).toBe(400);
    expect((await rawCall(port, host, "/reload", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" })).status).toBe(400);
  });

  test("access logs are JSON lines", async () => {
    await call(proxy.outboundPort("reviews", "bookinfo"), "ratings", "/logged?x=1");
    await new Promise((r) => setTimeout(r, 50));
    const lines = readFileSync(logFile, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const out = lines.find((l) => l.path === "/logged" && l.direction === "outbound");
    expect(out).toMatchObject({
      source: "bookinfo/reviews",
      destination: "bookinfo/ratings",
      method: "GET",
      status: 200,
      authority: "ratings",
      routeName: "logged",
    });
    expect(out.route).toMatch(/#\/spec\/routes\/0$/);
    expect(typeof out.durationMs).toBe("number");
    expect(lines.find((l) => l.path === "/logged" && l.direction === "inbound")).toMatchObject({ source: "bookinfo/reviews", status: 200 });
  });

  test("certificates renew without interrupting traffic", async () => {
    const before = JSON.parse((await get("/certs")).text).find((c: { identity: string }) => c.identity.endsWith("/sa/ratings")).serial;
    await proxy.ctx.certs.renewAll();
    const after = JSON.parse((await get("/certs")).text).find((c: { identity: string }) => c.identity.endsWith("/sa/ratings")).serial;
    expect(after).not.toBe(before);
    expect((await call(proxy.outboundPort("reviews", "bookinfo"), "ratings", "/")).status).toBe(200);
  });

  test("a client that trickles its headers is cut off by the headers timeout", async () => {
    const r = await raw(proxy.outboundPort("reviews", "bookinfo"), "GET / HTTP/1.1\r\nHost: ratings\r\n", { every: 50, chunk: "X-A: b\r\n" });
    expect(r.ms).toBeLessThan(3000);
    expect(r.text === "" || r.text.startsWith("HTTP/1.1 408")).toBe(true);
  });

  test("a client that connects and says nothing is disconnected", async () => {
    const r = await raw(proxy.outboundPort("reviews", "bookinfo"), "");
    expect(r.ms).toBeGreaterThanOrEqual(250);
    expect(r.ms).toBeLessThan(3000);
  });

  test("a client that stalls in the TLS handshake is disconnected and counted as a handshake timeout", async () => {
    const inbound = proxy.inboundPort("ratings", "bookinfo", ratings.port);
    // The start of a ClientHello, then nothing.
    const r = await raw(inbound, "\x16\x03\x01\x00\x40\x01");
    expect(r.ms).toBeGreaterThanOrEqual(250);
    expect(r.ms).toBeLessThan(3000);
    expect(proxy.metrics.tlsRefused.get({ reason: "handshake timeout" })).toBe(1);
  });

  test("oversized headers are refused with 431", async () => {
    const r = await raw(proxy.outboundPort("reviews", "bookinfo"), `GET / HTTP/1.1\r\nHost: ratings\r\nX-Big: ${"a".repeat(8000)}\r\n\r\n`);
    expect(r.text).toMatch(/^HTTP\/1.1 431/);
  });
});

/** Opens `n` connections that send nothing; resolves once all are connected. */
async function idleSockets(port: number, n: number): Promise<net.Socket[]> {
  const out: net.Socket[] = [];
  for (let i = 0; i < n; i += 200) {
    out.push(
      ...(await Promise.all(
        Array.from(
          { length: Math.min(200, n - i) },
          () =>
            new Promise<net.Socket>((resolve) => {
              const s = net.connect(port, "127.0.0.1", () => resolve(s));
              s.on("error", () => resolve(s));
            }),
        ),
      )),
    );
  }
  return out;
}

describe("connection limits: idle connections are shed before a client is refused", () => {
  let app: App, slow: App, caller: App, proxy: ProxyRuntime;
  // The slow app holds every request until released (busy connections stay busy, however loaded the machine).
  const held: (() => void)[] = [];
  const releaseAll = () => {
    for (const r of held.splice(0)) r();
  };
  beforeAll(async () => {
    app = await startApp("app");
    slow = await startApp("slow", (_req, res) => held.push(() => res.end("slow done")));
    caller = await startApp("caller");
    proxy = await startMesh(
      meshConfig(
        "",
        registry([
          { service: "app", port: app.port },
          { service: "slow", port: slow.port },
          { service: "caller", port: caller.port, outbound: true },
        ]),
        { limits: { maxConnections: 40 } },
      ),
    );
  });
  afterAll(async () => {
    await proxy?.stop();
    await closeAgents();
    await Promise.all([app, slow, caller].map((a) => a?.close()));
  });
  const key = () => Object.keys(proxy.listeners()).find((k) => k.startsWith("outbound|"))!;

  test("a normal client is served while many more idle connections than the limit are open", async () => {
    const port = proxy.outboundPort("caller");
    const idle = await idleSockets(port, 200);
    try {
      const a = await rawCall(port, "app", "/");
      expect(a.status).toBe(200);
      expect(a.body).toBe("app");
      expect(proxy.connections(key())).toBeLessThanOrEqual(40);
      expect(proxy.metrics.connectionsClosed.get({ reason: "idle-shed" })).toBeGreaterThanOrEqual(161);
    } finally {
      for (const s of idle) s.destroy();
    }
  });

  test("with the default limit (4,096), 4,200 idle connections do not lock a normal client out", { timeout: 60_000 }, async () => {
    const p = await startMesh(
      meshConfig(
        "",
        registry([
          { service: "app", port: app.port },
          { service: "caller", port: caller.port, outbound: true },
        ]),
      ),
    );
    const port = p.outboundPort("caller");
    const idle = await idleSockets(port, 4200);
    try {
      const a = await rawCall(port, "app", "/");
      expect(a.body).toBe("app");
      expect(p.connections(Object.keys(p.listeners()).find((k) => k.startsWith("outbound|"))!)).toBeLessThanOrEqual(4096);
    } finally {
      for (const s of idle) s.destroy();
      await p.stop();
    }
  });

  test("busy connections are kept: requests in flight finish while idle ones are shed", async () => {
    const port = proxy.outboundPort("caller");
    const seen = slow.seen.length;
    const busy = Array.from({ length: 20 }, () => rawCall(port, "slow", "/"));
    while (slow.seen.length < seen + 20) await new Promise((r) => setTimeout(r, 10));
    const idle = await idleSockets(port, 100);
    try {
      const a = await rawCall(port, "app", "/");
      expect(a.status).toBe(200);
      releaseAll();
      expect((await Promise.all(busy)).map((r) => r.body)).toEqual(Array(20).fill("slow done"));
    } finally {
      releaseAll();
      for (const s of idle) s.destroy();
    }
  });

  test("with every connection busy, a new one is refused (and counted), not queued", async () => {
    const port = proxy.outboundPort("caller");
    const seen = slow.seen.length;
    const busy = Array.from({ length: 40 }, () => rawCall(port, "slow", "/"));
    while (slow.seen.length < seen + 40) await new Promise((r) => setTimeout(r, 10));
    const refused = await rawCall(port, "app", "/").catch(() => ({ status: 0 }));
    releaseAll();
    // No HTTP answer at all: the connection is closed (or reset) at once.
    expect(refused.status > 0).toBe(false);
    expect(proxy.metrics.overloaded.get({})).toBeGreaterThanOrEqual(1);
    expect((await Promise.all(busy)).every((r) => r.body === "slow done")).toBe(true);
  });
});

describe("graceful shutdown", () => {
  test("in-flight requests finish, then everything closes", async () => {
    const slow = await startApp("slow", (_req, res) => setTimeout(() => res.end("finished"), 300));
    const caller = await startApp("caller");
    const proxy = await startMesh(
      meshConfig(
        "",
        registry([
          { service: "slow", port: slow.port },
          { service: "caller", port: caller.port, outbound: true },
        ]),
      ),
    );
    const out = proxy.outboundPort("caller");
    const inFlight = call(out, "slow", "/");
    await new Promise((r) => setTimeout(r, 100));
    const stopped = proxy.stop();
    expect((await inFlight).body).toBe("finished");
    await stopped;
    await expect(call(out, "slow", "/")).rejects.toThrow();
    await closeAgents();
    await Promise.all([slow.close(), caller.close()]);
  });
});

describe("keep-alive between proxies: a pause does not cost every connection a new TLS handshake", () => {
  let app: App, caller: App, proxy: ProxyRuntime;
  beforeAll(async () => {
    app = await startApp("app");
    caller = await startApp("caller");
    proxy = await startMesh(
      meshConfig(
        "",
        registry([
          { service: "app", port: app.port },
          { service: "caller", port: caller.port, outbound: true },
        ]),
        // Plaintext clients' idle connections close after 200 ms; other proxies' stay (the default, 60 s).
        { limits: { keepAliveTimeoutMs: 200 } },
      ),
    );
  });
  afterAll(async () => {
    await proxy?.stop();
    await closeAgents();
    await Promise.all([app, caller].map((a) => a?.close()));
  });
  const key = (kind: string) => Object.keys(proxy.listeners()).find((k) => k.startsWith(`${kind}|`))!;

  test("the caller's mutual TLS connection outlives keepAliveTimeoutMs and carries the next request", async () => {
    const port = proxy.outboundPort("caller");
    expect((await call(port, "app", "/first")).status).toBe(200);
    expect(proxy.connections(key("inbound"))).toBe(1);
    await new Promise((r) => setTimeout(r, 700));
    // The app's plaintext connection to the outbound listener was closed (keepAliveTimeoutMs); the proxy-to-proxy one was not.
    expect(proxy.connections(key("outbound"))).toBe(0);
    expect(proxy.connections(key("inbound"))).toBe(1);
    expect((await call(port, "app", "/second")).status).toBe(200);
    expect(proxy.connections(key("inbound"))).toBe(1);
  });
});
