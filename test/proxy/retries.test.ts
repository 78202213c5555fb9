/**
 * `retries`: a flaky upstream is made to succeed by retries, and the retries are counted; per-try
 * timeouts are retried; retryOn is respected (a status it does not name is not retried); without
 * `retries`, nothing is retried; with `attempts: 0`, a `perTryTimeout` still bounds the single try
 * (route and policy level).
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { backoffMs, compileRetries } from "../../src/proxy/features/retries.js";
import { call, closeAgents, many, meshConfig, registry, startApp, startMesh, type App } from "./support.js";
import type { ProxyRuntime } from "../../src/proxy/runtime.js";

const POLICIES = `
apiVersion: unimesh.io/v1alpha1
kind: TrafficPolicy
metadata: {name: ratings-retries, namespace: bookinfo}
spec:
  destination: {service: ratings, port: 9080}
  routes:
    - name: flaky
      match: {path: {prefix: /flaky}}
      retries: {attempts: 3, retryOn: [5xx], backoff: 1ms}
    - name: slow-first
      match: {path: {prefix: /slow}}
      timeout: 10s
      retries: {attempts: 2, perTryTimeout: 500ms, retryOn: [reset], backoff: 1ms}
    - name: gateway-only
      match: {path: {prefix: /internal}}
      retries: {attempts: 3, retryOn: [gateway-error], backoff: 1ms}
    - name: conflict
      match: {path: {prefix: /conflict}}
      retries: {attempts: 2, retryOn: [retriable-4xx, "418"], backoff: 1ms}
    - name: single-try
      match: {path: {prefix: /single}}
      timeout: 5s
      retries: {attempts: 0, perTryTimeout: 100ms}
---
apiVersion: unimesh.io/v1alpha1
kind: TrafficPolicy
metadata: {name: details-no-retries, namespace: bookinfo}
spec:
  destination: {service: details, port: 9080}
  retries: {attempts: 0, perTryTimeout: 1s}
`;

describe("retries", () => {
  let ratings: App, details: App, caller: App, proxy: ProxyRuntime;
  const seenBy = (prefix: string) => ratings.seen.filter((s) => s.url.startsWith(prefix)).length;
  beforeAll(async () => {
    ratings = await startApp("ratings", (req, res, _b, n) => {
      const url = req.url!;
      // /flaky/<id>: the first two tries of each id fail with 503.
      if (url.startsWith("/flaky")) {
        const tries = ratings.seen.filter((s) => s.url === url).length;
        res.writeHead(tries <= 2 ? 503 : 200).end(tries <= 2 ? "down" : "ok");
      } else if (url.startsWith("/slow")) {
        // /slow/<id>: the first try never answers; later ones answer at once with their number.
        const tries = ratings.seen.filter((s) => s.url === url).length;
        if (tries > 1) res.end(`try ${tries}`);
      } else if (url.startsWith("/single"))
        setTimeout(() => {
          if (!res.destroyed) res.end("late");
        }, 3000);
      else if (url.startsWith("/internal")) res.writeHead(500).end("boom");
      else if (url.startsWith("/conflict")) {
        const t = ratings.seen.filter((s) => s.url === url).length;
        res.writeHead(t === 1 ? 409 : t === 2 ? 418 : 200).end();
      } else res.end(String(n));
    });
    details = await startApp("details", (req, res) => {
      if (req.url!.startsWith("/slow"))
        setTimeout(() => {
          if (!res.destroyed) res.end("late");
        }, 5000);
      else res.writeHead(503).end("down");
    });
    caller = await startApp("reviews");
    proxy = await startMesh(
      meshConfig(
        POLICIES,
        registry([
          { service: "ratings", namespace: "bookinfo", port: ratings.port, servicePort: 9080 },
          { service: "details", namespace: "bookinfo", port: details.port, servicePort: 9080 },
          { service: "reviews", namespace: "bookinfo", port: caller.port, servicePort: 9080, outbound: true },
        ]),
      ),
    );
  });
  afterAll(async () => {
    await proxy?.stop();
    await closeAgents();
    await Promise.all([ratings?.close(), details?.close(), caller?.close()]);
  });

  test("a flaky upstream succeeds through retries, and every retry is counted", async () => {
    const out = proxy.outboundPort("reviews", "bookinfo");
    const answers = await many(50, 10, (i) => call(out, "ratings:9080", `/flaky/${i}`));
    expect(answers.map((a) => a.status)).toEqual(new Array(50).fill(200));
    expect(seenBy("/flaky")).toBe(150);
    expect(proxy.metrics.retries.get({ source: "bookinfo/reviews", destination: "bookinfo/ratings" })).toBe(100);
  });

  // Timing bounds below come from the configuration, not from how fast this machine is: a loaded
  // machine may make a retry slow too (then a third try answers), never make a try end early.
  test("a try that exceeds perTryTimeout is abandoned and retried", async () => {
    const out = proxy.outboundPort("reviews", "bookinfo");
    const t0 = performance.now();
    const a = await call(out, "ratings:9080", "/slow/1");
    const took = performance.now() - t0;
    expect(a.status).toBe(200);
    // A later try answered (attempts: 2, so the second or the third), and no try was made after it.
    expect(a.body).toMatch(/^try [23]$/);
    expect(seenBy("/slow/1")).toBe(Number(a.body.slice(4)));
    // The first try was given its perTryTimeout (500 ms), and abandoned long before the route timeout (10 s).
    expect(took).toBeGreaterThanOrEqual(490);
    expect(took).toBeLessThan(10_000);
  });

  test("retryOn is respected: gateway-error does not retry a 500", async () => {
    const out = proxy.outboundPort("reviews", "bookinfo");
    const a = await call(out, "ratings:9080", "/internal");
    expect(a.status).toBe(500);
    expect(seenBy("/internal")).toBe(1);
  });

  test("retriable-4xx retries 409 and a listed status code retries it too", async () => {
    const out = proxy.outboundPort("reviews", "bookinfo");
    const a = await call(out, "ratings:9080", "/conflict");
    expect(a.status).toBe(200);
    expect(seenBy("/conflict")).toBe(3);
  });

  test("attempts: 0 means no retry", async () => {
    const out = proxy.outboundPort("reviews", "bookinfo");
    const a = await call(out, "details:9080", "/details/1");
    expect(a.status).toBe(503);
    expect(details.seen.filter((s) => s.url === "/details/1").length).toBe(1);
  });

  test("attempts: 0 with perTryTimeout (route): the single try is bounded by it, not by the route timeout", async () => {
    const out = proxy.outboundPort("reviews", "bookinfo");
    const t0 = performance.now();
    const a = await call(out, "ratings:9080", "/single/1");
    const took = performance.now() - t0;
    expect(a.status).toBe(504);
    // Cut at perTryTimeout (100 ms): before the app answers (3 s), and the route timeout (5 s) is not what ended it.
    expect(took).toBeGreaterThanOrEqual(90);
    expect(took).toBeLessThan(3000);
    expect(seenBy("/single/1")).toBe(1);
  });

  test("attempts: 0 with perTryTimeout (policy level): the single try is bounded by it", async () => {
    const out = proxy.outboundPort("reviews", "bookinfo");
    const t0 = performance.now();
    const a = await call(out, "details:9080", "/slow/1");
    const took = performance.now() - t0;
    expect(a.status).toBe(504);
    // Cut at perTryTimeout (1 s: long enough for the 503s above on a loaded machine), before the app answers (5 s).
    expect(took).toBeGreaterThanOrEqual(990);
    expect(took).toBeLessThan(5000);
    expect(details.seen.filter((s) => s.url === "/slow/1").length).toBe(1);
  });

  test("back-off is fully jittered exponential, capped at 10 x base", () => {
    expect(backoffMs(1, 25, () => 0.999)).toBe(24);
    expect(backoffMs(3, 25, () => 0.999)).toBe(174);
    expect(backoffMs(9, 25, () => 0.999)).toBe(249);
    const p = compileRetries({ attempts: 1, retryOn: ["connect-failure"], backoffBaseMs: 25 })!;
    expect(p.retriable({ kind: "connect-failure" })).toBe(true);
    expect(p.retriable({ kind: "reset" })).toBe(false);
    expect(p.retriable({ kind: "response", status: 503 })).toBe(false);
    const g = compileRetries({ attempts: 1, retryOn: ["unavailable"], backoffBaseMs: 25 })!;
    expect(g.retriable({ kind: "response", status: 200, grpcStatus: 14 })).toBe(true);
  });
});
