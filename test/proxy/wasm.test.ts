/**
 * `wasmExtension` on the built-in proxy, through real sockets: proxy-wasm modules built HERE from
 * AssemblyScript sources with @solo-io/proxy-runtime (the `unimesh wasm init` template, and a fixture
 * driven by the request path: test/proxy/wasm-fixture/assembly/index.ts) run on a destination's inbound
 * listener. A filter adds a header and denies a request with its local response; a module that traps,
 * loops, pauses a stream or calls a host function unimesh does not implement fails that request closed
 * (500) and the proxy keeps serving; a module whose file does not match its sha256 never runs.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { cpSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { call, closeAgents, meshConfig, registry, startApp, startMesh, type App } from "./support.js";
import type { ProxyRuntime, ProxyEvent } from "../../src/proxy/runtime.js";
import { buildFilter, initFilter } from "../../src/cli/commands/wasm.js";
import { WASM_LIMITS } from "../../src/proxy/wasm/plugin.js";

const dir = mkdtempSync(join(tmpdir(), "unimesh-wasm-"));
const wx = (name: string, service: string, file: string, sha256: string, extra = "") => `
apiVersion: unimesh.io/v1alpha1
kind: WasmExtension
metadata: {name: ${name}, namespace: shop}
spec:
  destination: {service: ${service}}
  module: {file: ${file}, sha256: ${sha256}}
${extra}
---`;

describe("wasmExtension (built-in proxy)", () => {
  let api: App, fix: App, bad: App, web: App, proxy: ProxyRuntime;
  const events: ProxyEvent[] = [];
  let template: { file: string; sha256: string };
  let fixture: { file: string; sha256: string };
  beforeAll(async () => {
    // The template of `unimesh wasm init`, and the fixture, compiled from source.
    await initFilter(join(dir, "filter"), { service: "api", namespace: "shop", name: "filter" });
    cpSync(join(import.meta.dirname, "wasm-fixture"), join(dir, "fixture"), { recursive: true });
    [template, fixture] = await Promise.all([buildFilter(join(dir, "filter")), buildFilter(join(dir, "fixture"))]);
    // A module whose bytes differ from the digest configured for it.
    const tampered = join(dir, "tampered.wasm");
    writeFileSync(tampered, Buffer.concat([readFileSync(fixture.file), Buffer.from([0])]));
    api = await startApp("api");
    fix = await startApp("fix", (req, res, body) => {
      res.setHeader("content-type", "text/plain");
      res.end(`app got ${req.url} ${body}`);
    });
    bad = await startApp("bad");
    web = await startApp("web");
    const policies = [
      wx(
        "filter",
        "api",
        template.file,
        template.sha256,
        "  pluginName: unimesh_filter\n  config: {header: x-wasm-filter, value: built-here, denyPath: /deny}",
      ),
      wx("fixture", "fix", fixture.file, fixture.sha256, "  pluginName: fixture\n  config: {answer: 42}"),
      wx("tampered", "bad", tampered, fixture.sha256, "  pluginName: fixture"),
    ].join("\n");
    proxy = await startMesh(
      meshConfig(
        policies,
        registry([
          { service: "api", namespace: "shop", port: api.port },
          { service: "fix", namespace: "shop", port: fix.port },
          { service: "bad", namespace: "shop", port: bad.port },
          { service: "web", namespace: "shop", port: web.port, outbound: true },
        ]),
      ),
      { onEvent: (e) => events.push(e) },
    );
  }, 180_000);
  afterAll(async () => {
    await proxy?.stop();
    await closeAgents();
    await Promise.all([api, fix, bad, web].map((a) => a?.close()));
    rmSync(dir, { recursive: true, force: true });
  });
  const out = () => proxy.outboundPort("web", "shop");

  test("the template filter adds its header to the request the app sees and to the response", async () => {
    const a = await call(out(), "api", "/hello");
    expect(a.status).toBe(200);
    expect(api.seen.at(-1)!.headers["x-wasm-filter"]).toBe("built-here");
    expect(a.headers["x-wasm-filter"]).toBe("built-here");
  });

  test("the template filter denies a request with its local response; the app never sees it", async () => {
    const before = api.seen.length;
    const a = await call(out(), "api", "/deny/this");
    expect(a.status).toBe(403);
    expect(a.body).toBe("denied by the Wasm filter\n");
    expect(a.headers["x-unimesh-flag"]).toBe("WASM");
    expect(api.seen.length).toBe(before);
    expect(events.some((e) => e.msg === "wasm log" && e.log === "denied /deny/this")).toBe(true);
  });

  test("properties and configuration: the caller's SPIFFE ID, the path, the root id, the plugin configuration", async () => {
    await call(out(), "fix", "/props?x=1");
    const h = fix.seen.at(-1)!.headers;
    expect(h["x-principal"]).toBe("spiffe://cluster.local/ns/shop/sa/web");
    expect(h["x-path"]).toBe("/props?x=1");
    expect(h["x-root"]).toBe("fixture");
    expect(h["x-config"]).toBe('{"answer":42}');
  });

  test("a changed :path and a removed header are what the app sees", async () => {
    await call(out(), "fix", "/redirect", { headers: { "x-remove-me": "1", "x-keep": "2" } });
    const seen = fix.seen.at(-1)!;
    expect(seen.url).toBe("/rewritten");
    expect(seen.headers["x-remove-me"]).toBeUndefined();
    expect(seen.headers["x-keep"]).toBe("2");
  });

  test("bodies: the module rewrites the request body the app gets and the response body the caller gets", async () => {
    const a = await call(out(), "fix", "/body", { method: "POST", body: "hello wasm" });
    expect(fix.seen.at(-1)!.body).toBe("HELLO WASM");
    const appSaid = "app got /body HELLO WASM";
    expect(a.body).toBe(`wasm saw ${appSaid.length} bytes`);
    expect(a.headers["content-length"]).toBe(String(a.body.length));
    expect(a.headers["x-fixture"]).toBe("1");
  });

  test("a local response from the response callback replaces the app's answer", async () => {
    const a = await call(out(), "fix", "/respond");
    expect(a.status).toBe(418);
    expect(a.body).toBe("short and stout\n");
  });

  test.each([
    ["/trap", "trap: unreachable"],
    ["/tick", "host call env.proxy_set_tick_period_milliseconds is not implemented"],
    ["/pause", "StopIteration"],
  ])("%s fails the request closed (500, logged) and the proxy keeps serving", async (path, why) => {
    const before = fix.seen.length;
    const a = await call(out(), "fix", path);
    expect(a.status).toBe(500);
    expect(a.headers["x-unimesh-flag"]).toBe("WASM");
    expect(fix.seen.length).toBe(before);
    expect(events.some((e) => e.level === "error" && JSON.stringify(e).includes(why))).toBe(true);
    const ok = await call(out(), "fix", "/after");
    expect(ok.status).toBe(200);
    expect(ok.headers["x-fixture"]).toBe("1");
  });

  test("a module that never returns is stopped at its time limit; the request fails closed and the event loop never froze", async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 20);
    const started = performance.now();
    const [looping, other] = await Promise.all([call(out(), "fix", "/loop"), call(out(), "api", "/meanwhile")]);
    clearInterval(timer);
    expect(looping.status).toBe(500);
    expect(other.status).toBe(200);
    // The proxy's event loop kept running while the module looped in its worker.
    expect(ticks).toBeGreaterThan(5);
    expect(performance.now() - started).toBeGreaterThanOrEqual(WASM_LIMITS.callMs - 50);
    expect(events.some((e) => e.level === "error" && JSON.stringify(e).includes(`ran longer than ${WASM_LIMITS.callMs} ms`))).toBe(true);
    expect((await call(out(), "fix", "/after-loop")).status).toBe(200);
  });

  test("a module whose bytes do not match its sha256 is never loaded: every request fails closed", async () => {
    const a = await call(out(), "bad", "/");
    expect(a.status).toBe(500);
    expect(bad.seen.length).toBe(0);
    expect(events.some((e) => e.msg === "wasm plugin failed to start" && String(e.reason).includes("not the configured"))).toBe(true);
  });
});
