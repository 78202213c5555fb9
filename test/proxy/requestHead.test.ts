/**
 * HTTP/1.1 request heads every listener of the proxy refuses before anything is forwarded (RFC 9112):
 * more than one Host line or an invalid Host (400, §3.2; Node's parser keeps the first Host line, so the
 * proxy and a proxy in front of it could act on different hosts), and a transfer coding other than
 * `chunked` (501, §6.1: Node's parser decodes the chunks of `gzip, chunked` and the app would get the
 * gzip bytes as the body, without the coding), and an HTTP/1.0 request with Transfer-Encoding (400 and
 * closed, §6.1: its framing is faulty). Sent as raw bytes to an inbound
 * listener (a plaintext caller, permissive mode) and to an outbound listener (an app); the app must see
 * none of them, and each is counted and logged with the flag DPE, as the chains' refusals are.
 * With `Expect: 100-continue` (RFC 9110 §10.1.1), a refused head gets its final status alone; every other
 * request its interim 100 at once (as Envoy), so that a later refusal never closes a connection whose
 * pipelined requests were already handed on.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import net from "node:net";
import http2 from "node:http2";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "undici";
import { closeAgents, meshConfig, registry, startApp, startMesh, type App } from "./support.js";
import type { ProxyRuntime } from "../../src/proxy/runtime.js";

/** Raw bytes to `port`, and everything read until the connection closes (or 3 s pass: then `[open]` is appended). */
async function rawText(port: number, bytes: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = net.connect(port, "127.0.0.1", () => s.write(bytes));
    s.on("data", (c) => chunks.push(c));
    s.on("error", reject);
    s.setTimeout(3000, () => {
      chunks.push(Buffer.from("[open]"));
      s.destroy();
    });
    s.on("close", () => resolve(Buffer.concat(chunks).toString("latin1")));
  });
}

/** One HTTP/1.1 request as raw bytes to `port`: its status line and body (the connection is read until it closes). */
async function raw(port: number, bytes: string): Promise<{ status: string; body: string }> {
  const text = await rawText(port, bytes);
  const [head, ...rest] = text.split("\r\n\r\n");
  return { status: head.split("\r\n")[0], body: rest.join("\r\n\r\n") };
}

/**
 * Sends a request head with `Expect: 100-continue`, and `body` (then `next`) only once a `100 Continue`
 * came, as curl does; reads until the connection closes or 3 s pass. The status lines read, in order,
 * everything read, and whether the connection was closed by the proxy.
 */
async function expectContinue(port: number, head: string, body: string, next = ""): Promise<{ statuses: string[]; text: string; closed: boolean }> {
  return new Promise((resolve) => {
    let text = "";
    let sent = false;
    let closed = true;
    const s = net.connect(port, "127.0.0.1", () => s.write(head));
    s.on("data", (c: Buffer) => {
      text += c.toString("latin1");
      if (!sent && text.includes("HTTP/1.1 100 Continue\r\n\r\n")) {
        sent = true;
        s.write(body + next);
      }
    });
    s.on("error", () => {});
    s.setTimeout(3000, () => {
      closed = false;
      s.destroy();
    });
    s.on("close", () => resolve({ statuses: text.match(/HTTP\/1\.1 \d{3}/g) ?? [], text, closed }));
  });
}

const TOKEN = "batch-secret-token";

const POLICY = `
apiVersion: unimesh.io/v1alpha1
kind: AccessPolicy
metadata: {name: api-nothing-denied, namespace: shop}
spec:
  destination: {service: api}
  allow: [{}]
  deny:
    - paths: ["/denied/*"]
`;

describe("HTTP/1.1 request heads refused at every listener", () => {
  let api: App, web: App, batch: App, proxy: ProxyRuntime;
  const dir = mkdtempSync(join(tmpdir(), "unimesh-head-"));
  const logFile = join(dir, "access.log");
  beforeAll(async () => {
    [api, web, batch] = await Promise.all([startApp("api"), startApp("web"), startApp("batch")]);
    const reg = registry([
      { service: "api", namespace: "shop", port: api.port },
      { service: "web", namespace: "shop", port: web.port, outbound: true },
      { service: "batch", namespace: "shop", port: batch.port, outbound: true },
    ]);
    // batch's outbound listener serves only the holder of its token.
    reg.spec.services!.find((s) => s.name === "batch")!.instances![0].outbound!.token = TOKEN;
    proxy = await startMesh(meshConfig(POLICY, reg, { accessLog: { enabled: true, path: logFile } }));
  });
  afterAll(async () => {
    await proxy?.stop();
    await closeAgents();
    await Promise.all([api, web, batch].map((a) => a?.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  /** The listeners under test: [name, port, the Host that reaches api through it]. */
  const listeners = (): [string, number, string][] => [
    ["inbound", proxy.inboundPort("api", "shop", api.port), "api"],
    ["outbound", proxy.outboundPort("web", "shop"), "api.shop"],
  ];

  test("a request with two Host lines (either order, any case) or an invalid Host is answered 400 and not forwarded", async () => {
    for (const [name, port, host] of listeners()) {
      // The well-formed request passes, so that the refusals below are the Host's doing.
      expect(await raw(port, `GET /${name}/ok HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`), name).toEqual({
        status: "HTTP/1.1 200 OK",
        body: "api",
      });
      const bad = {
        two: `Host: ${host}\r\nHost: evil.example`,
        "two-reversed": `Host: evil.example\r\nhost: ${host}`,
        "two-same": `HOST: ${host}\r\nHost: ${host}`,
        slash: `Host: ${host}/x`,
        space: `Host: ${host} x`,
      };
      for (const [what, lines] of Object.entries(bad)) {
        const a = await raw(port, `GET /${name}/${what} HTTP/1.1\r\n${lines}\r\nConnection: close\r\n\r\n`);
        expect(a.status, `${name} ${what}`).toBe("HTTP/1.1 400 Bad Request");
        expect(a.body, `${name} ${what}`).toMatch(/host header/);
      }
    }
    expect(api.seen.map((s) => s.url)).toEqual(["/inbound/ok", "/outbound/ok"]);
  });

  test("a transfer coding other than chunked is answered 501 and not forwarded; chunked alone, in any case and spacing, passes", async () => {
    const body = "3\r\nabc\r\n0\r\n\r\n";
    for (const [name, port, host] of listeners()) {
      const post = (path: string, te: string) => raw(port, `POST /${name}/${path} HTTP/1.1\r\nHost: ${host}\r\n${te}\r\nConnection: close\r\n\r\n${body}`);
      for (const [what, te] of Object.entries({
        "gzip-chunked": "Transfer-Encoding: gzip, chunked",
        // Node's parser refuses a last coding other than chunked only after the request event (the body
        // would be read to the end of the connection): the proxy answers first.
        gzip: "Transfer-Encoding: gzip",
        "upper-spaced": "Transfer-Encoding: GZIP ,Chunked",
        "identity-chunked": "Transfer-Encoding: identity, chunked",
        "two-lines": "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked",
      })) {
        const a = await post(what, te);
        expect(a.status, `${name} ${what}`).toBe("HTTP/1.1 501 Not Implemented");
        expect(a.body, `${name} ${what}`).toMatch(/transfer coding/);
      }
      // Node's parser refuses chunked twice itself, before the head reaches the proxy.
      expect((await post("parser", "Transfer-Encoding: chunked, chunked")).status).toBe("HTTP/1.1 400 Bad Request");
      for (const [what, te] of Object.entries({
        plain: "Transfer-Encoding: chunked",
        spaced: "Transfer-Encoding:  Chunked ",
        empty: "Transfer-Encoding: , chunked",
      })) {
        expect(await post(`ok-${what}`, te), `${name} ${what}`).toEqual({ status: "HTTP/1.1 200 OK", body: "api" });
      }
    }
    const posted = api.seen.filter((s) => s.method === "POST");
    expect(posted.map((s) => s.url).sort()).toEqual([
      "/inbound/ok-empty",
      "/inbound/ok-plain",
      "/inbound/ok-spaced",
      "/outbound/ok-empty",
      "/outbound/ok-plain",
      "/outbound/ok-spaced",
    ]);
    expect(posted.every((s) => s.body === "abc")).toBe(true);
  });

  test("an HTTP/1.0 request with Transfer-Encoding (any coding) is answered 400 and the connection closed: nothing pipelined behind its chunks is served", async () => {
    for (const [name, port, host] of listeners()) {
      for (const [what, te] of Object.entries({
        chunked: "Transfer-Encoding: chunked",
        upper: "Transfer-Encoding: CHUNKED",
        gzip: "Transfer-Encoding: gzip, chunked",
      })) {
        // Keep-alive: Node would read the chunks as HTTP/1.1 framing and serve the next request too.
        const a = await raw(
          port,
          `POST /${name}/v10-${what} HTTP/1.0\r\nHost: ${host}\r\nConnection: keep-alive\r\n${te}\r\n\r\n3\r\nabc\r\n0\r\n\r\n` +
            `GET /${name}/smuggled HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
        );
        expect(a.status, `${name} ${what}`).toBe("HTTP/1.1 400 Bad Request");
        expect(a.body, `${name} ${what}`).toMatch(/^unimesh: transfer-encoding in an HTTP\/1\.0 request/);
        expect(a.body, `${name} ${what}`).not.toContain("HTTP/1.1");
      }
    }
    expect(api.seen.filter((s) => /v10-|smuggled/.test(s.url))).toEqual([]);
    // HTTP/1.0 without Transfer-Encoding is served as before.
    const [, port, host] = listeners()[0];
    expect(await raw(port, `POST /v10-length HTTP/1.0\r\nHost: ${host}\r\nContent-Length: 3\r\n\r\nabc`)).toEqual({ status: "HTTP/1.1 200 OK", body: "api" });
    expect(api.seen.at(-1)).toMatchObject({ url: "/v10-length", body: "abc" });
  });

  test("the refusals are counted in the request metrics and written to the access log, flag DPE, as the chain's refusals are", async () => {
    /** The value of one series of unimesh_requests_total on the admin port (0 when absent). */
    const count = async (labels: string): Promise<number> => {
      const text = await (await request(`http://127.0.0.1:${proxy.port("admin")}/metrics`)).body.text();
      const line = text.split("\n").find((l) => l.startsWith(`unimesh_requests_total{${labels}} `));
      return line ? Number(line.split(" ")[1]) : 0;
    };
    // The plaintext caller of the inbound listener is unknown; the outbound listener's caller is its app,
    // and the destination of a refused head is `-` (its Host may be what was refused).
    const series = {
      inbound: (code: number) => `direction="inbound",source="unknown",destination="shop/api",response_code="${code}"`,
      outbound: (code: number, source = "shop/web") => `direction="outbound",source="${source}",destination="-",response_code="${code}"`,
    };
    for (const [name, port, host] of listeners()) {
      const which = (code: number) => series[name as keyof typeof series](code);
      const before = { 400: await count(which(400)), 501: await count(which(501)) };
      const heads = {
        "two-hosts": `GET /${name}/logged-two-hosts HTTP/1.1\r\nHost: ${host}\r\nHost: evil.example\r\nConnection: close\r\n\r\n`,
        "bad-host": `GET /${name}/logged-bad-host HTTP/1.1\r\nHost: ${host}/x\r\nConnection: close\r\n\r\n`,
        gzip: `POST /${name}/logged-gzip HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: gzip, chunked\r\nConnection: close\r\n\r\n0\r\n\r\n`,
        "http10-te": `POST /${name}/logged-http10-te HTTP/1.0\r\nHost: ${host}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
      };
      for (const [what, head] of Object.entries(heads)) {
        const text = await rawText(port, head);
        expect(text, `${name} ${what}`).toMatch(/^HTTP\/1\.1 (400|501) [^]*\r\nx-unimesh-flag: DPE\r\n/);
      }
      expect({ 400: await count(which(400)), 501: await count(which(501)) }, name).toEqual({ 400: before[400] + 3, 501: before[501] + 1 });
    }
    await new Promise((r) => setTimeout(r, 50));
    const logged = readFileSync(logFile, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))
      .filter((l) => /\/logged-/.test(l.path));
    expect(logged.map((l) => [l.direction, l.path, l.status, l.flags, l.source, l.destination])).toEqual([
      ["inbound", "/inbound/logged-two-hosts", 400, ["DPE"], "unknown", "shop/api"],
      ["inbound", "/inbound/logged-bad-host", 400, ["DPE"], "unknown", "shop/api"],
      ["inbound", "/inbound/logged-gzip", 501, ["DPE"], "unknown", "shop/api"],
      ["inbound", "/inbound/logged-http10-te", 400, ["DPE"], "unknown", "shop/api"],
      ["outbound", "/outbound/logged-two-hosts", 400, ["DPE"], "shop/web", "-"],
      ["outbound", "/outbound/logged-bad-host", 400, ["DPE"], "shop/web", "-"],
      ["outbound", "/outbound/logged-gzip", 501, ["DPE"], "shop/web", "-"],
      ["outbound", "/outbound/logged-http10-te", 400, ["DPE"], "shop/web", "-"],
    ]);
    expect(logged.find((l) => l.path === "/outbound/logged-http10-te")).toMatchObject({ method: "POST", authority: "api.shop", protocol: "HTTP/1.0" });
    // At an outbound listener with a token, a refused head without the token is nobody's (as a 407 is counted).
    const batchPort = proxy.outboundPort("batch", "shop");
    const bearer = `Proxy-Authorization: Bearer ${TOKEN}\r\n`;
    const tokenCounts = async () => ({ unknown: await count(series.outbound(400, "unknown")), batch: await count(series.outbound(400, "shop/batch")) });
    const before = await tokenCounts();
    for (const auth of ["", bearer]) {
      expect((await raw(batchPort, `GET /token HTTP/1.1\r\nHost: api.shop\r\nHost: api.shop\r\n${auth}Connection: close\r\n\r\n`)).status).toBe(
        "HTTP/1.1 400 Bad Request",
      );
    }
    expect(await tokenCounts()).toEqual({ unknown: before.unknown + 1, batch: before.batch + 1 });
  });

  test("with Expect: 100-continue, a refused head gets its final status alone: no 100 Continue before it", async () => {
    for (const [name, port, host] of listeners()) {
      const refusals = {
        "HTTP/1.1 501": `POST /${name}/expect-gzip HTTP/1.1\r\nHost: ${host}\r\nExpect: 100-continue\r\nTransfer-Encoding: gzip, chunked\r\n\r\n`,
        "HTTP/1.1 400": `POST /${name}/expect-hosts HTTP/1.1\r\nHost: ${host}\r\nHost: evil.example\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n`,
      };
      for (const [status, head] of Object.entries(refusals)) {
        const a = await expectContinue(port, head, "hello");
        expect({ statuses: a.statuses, closed: a.closed }, `${name} ${status}`).toEqual({ statuses: [status], closed: true });
      }
    }
    expect(api.seen.filter((s) => s.url.includes("/expect-"))).toEqual([]);
  });

  test("with Expect: 100-continue, a request access control refuses: the 100 at once (as Envoy), then its 403; a request pipelined behind it is answered too, not served and lost", async () => {
    for (const [name, port, host] of listeners()) {
      // The client waits for the 100, as curl does.
      const a = await expectContinue(
        port,
        `POST /denied/${name}-x HTTP/1.1\r\nHost: ${host}\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n`,
        "hello",
        `GET /${name}/continue-after-denied HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
      );
      expect(a.statuses, name).toEqual(["HTTP/1.1 100", "HTTP/1.1 403", "HTTP/1.1 200"]);
      expect(a.text, name).toContain("x-unimesh-flag: RBAC");
      // The client does not wait: the body and the next request right behind the head. Both are answered
      // (the 403 deciding after the head must not close a connection whose next request was handed on).
      const b = await rawText(
        port,
        `POST /denied/${name}-y HTTP/1.1\r\nHost: ${host}\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhelloGET /${name}/continue-after-denied-2 HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
      );
      expect(b.match(/HTTP\/1\.1 \d{3}/g), name).toEqual(["HTTP/1.1 100", "HTTP/1.1 403", "HTTP/1.1 200"]);
    }
    expect(api.seen.some((s) => s.url.startsWith("/denied/"))).toBe(false);
    for (const [name] of listeners())
      expect(
        api.seen.filter((s) => s.url.startsWith(`/${name}/continue-after-denied`)).map((s) => s.url),
        name,
      ).toEqual([`/${name}/continue-after-denied`, `/${name}/continue-after-denied-2`]);
  });

  test("an ordinary request with Expect: 100-continue: the 100, then the body reaches the app whole, and the connection serves the next request", async () => {
    for (const [name, port, host] of listeners()) {
      const a = await expectContinue(
        port,
        `POST /${name}/expect-ok HTTP/1.1\r\nHost: ${host}\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n`,
        "hello",
        `GET /${name}/expect-next HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
      );
      expect({ statuses: a.statuses, closed: a.closed }, name).toEqual({ statuses: ["HTTP/1.1 100", "HTTP/1.1 200", "HTTP/1.1 200"], closed: true });
      expect(
        api.seen.filter((s) => s.url.startsWith(`/${name}/expect-`)).map((s) => [s.method, s.url, s.body, s.headers.expect]),
        name,
      ).toEqual([
        ["POST", `/${name}/expect-ok`, "hello", undefined],
        ["GET", `/${name}/expect-next`, "", undefined],
      ]);
    }
  });

  test("ambiguous framing and malformed lines are refused by Node's strict parser (400, 431 for a request line over the limit) and the connection closed: nothing pipelined behind them is served", async () => {
    for (const [name, port, host] of listeners()) {
      const next = `GET /${name}/parser-smuggled HTTP/1.1\r\nHost: ${host}\r\n\r\n`;
      const post = (lines: string, body = "") => `POST /${name}/parser HTTP/1.1\r\nHost: ${host}\r\n${lines}\r\n\r\n${body}${next}`;
      const cases: Record<string, [string, string]> = {
        // RFC 9112 §6.3: Content-Length with Transfer-Encoding is a smuggling attempt (Envoy refuses it too).
        "content-length and transfer-encoding": ["400", post("Content-Length: 5\r\nTransfer-Encoding: chunked", "0\r\n\r\n")],
        "transfer-encoding and content-length": ["400", post("Transfer-Encoding: chunked\r\nContent-Length: 5", "0\r\n\r\n")],
        // §6.3: several Content-Length values (identical ones too) or a list.
        "two content-lengths": ["400", post("Content-Length: 3\r\nContent-Length: 40", "abc")],
        "the same content-length twice": ["400", post("Content-Length: 3\r\nContent-Length: 3", "abc")],
        "a content-length list": ["400", post("Content-Length: 3, 3", "abc")],
        // RFC 9110 §8.6: 1*DIGIT.
        "a signed content-length": ["400", post("Content-Length: +3", "abc")],
        "a negative content-length": ["400", post("Content-Length: -3", "abc")],
        "a hex content-length": ["400", post("Content-Length: 0x3", "abc")],
        "a content-length with a space inside": ["400", post("Content-Length: 1 2", "abc")],
        // RFC 9112 §5.2: obs-fold is refused (a server MAY reject it with 400); a continuation line could
        // otherwise be read as a header of its own by the app.
        "an obs-fold continuation line": ["400", post("X-A: 1\r\n x-debug: on")],
        "an obs-fold Transfer-Encoding": ["400", post("X-A: 1\r\nTransfer-Encoding:\r\n chunked\r\nContent-Length: 3", "abc")],
        // §2.2: bare LF or CR as a line end.
        "bare LF line ends": ["400", `POST /${name}/parser HTTP/1.1\nHost: ${host}\nContent-Length: 3\n\nabc${next}`],
        "one bare LF line end": ["400", post("X-A: 1\nTransfer-Encoding: chunked\r\nContent-Length: 3", "abc")],
        "a bare CR": ["400", post("X-A: 1\rTransfer-Encoding: chunked\r\nContent-Length: 3", "abc")],
        // §5.1: no whitespace between a field name and the colon.
        "a space before the colon": ["400", post("Transfer-Encoding : chunked\r\nContent-Length: 3", "abc")],
        "a tab before the colon": ["400", post("Content-Length\t: 3", "abc")],
        // RFC 9110 §5.5: NUL and CR in a field value.
        "NUL in a value": ["400", post("X-A: a\u0000b")],
        "CR in a value": ["400", post("X-A: a\rb")],
        // The request line counts towards maxHeaderBytes (16,384 by default).
        "a request line over the limit": ["431", `GET /${name}/parser/${"a".repeat(20_000)} HTTP/1.1\r\nHost: ${host}\r\n\r\n${next}`],
      };
      for (const [what, [status, bytes]] of Object.entries(cases)) {
        const a = await raw(port, bytes);
        expect(a.status.split(" ")[1], `${name}: ${what}`).toBe(status);
        expect(a.body, `${name}: ${what}`).not.toContain("HTTP/1.1");
      }
    }
    expect(api.seen.filter((s) => s.url.includes("/parser"))).toEqual([]);
  });

  test("an absolute-form target's authority, not Host, routes (RFC 9112 §3.2.2), and it is the Host that access control and the app see; an invalid one is refused", async () => {
    const [, port] = listeners()[1];
    const a = await raw(port, `GET http://batch.shop/denied/x HTTP/1.1\r\nHost: api.shop\r\nConnection: close\r\n\r\n`);
    expect(a).toEqual({ status: "HTTP/1.1 200 OK", body: "batch" });
    expect(batch.seen.at(-1)).toMatchObject({ url: "/denied/x", headers: { host: "batch.shop" } });
    // api denies /denied/*: whatever the Host line says, the target's authority names api.
    expect((await raw(port, `GET http://api.shop/denied/x HTTP/1.1\r\nHost: batch.shop\r\nConnection: close\r\n\r\n`)).status).toBe("HTTP/1.1 403 Forbidden");
    expect(api.seen.some((s) => s.url.startsWith("/denied"))).toBe(false);
    // The authority ends at `?` as at `/` (RFC 3986 §3.2).
    expect(await raw(port, `GET http://api.shop?x=1 HTTP/1.1\r\nHost: batch.shop\r\nConnection: close\r\n\r\n`)).toEqual({
      status: "HTTP/1.1 200 OK",
      body: "api",
    });
    expect(api.seen.at(-1)).toMatchObject({ url: "/?x=1", headers: { host: "api.shop" } });
    // An empty authority or a userinfo (RFC 9110 §4.2.1, §4.2.4) is refused as an invalid Host is.
    for (const target of ["http:///x", "http://user@api.shop/absolute-userinfo", "http://api.shop:80@batch.shop/absolute-userinfo"]) {
      const r = await raw(port, `GET ${target} HTTP/1.1\r\nHost: api.shop\r\nConnection: close\r\n\r\n`);
      expect(r.status, target).toBe("HTTP/1.1 400 Bad Request");
      expect(r.body, target).toContain("unimesh: an invalid authority in the request target");
    }
    expect([...api.seen, ...batch.seen].some((s) => s.url.includes("absolute-userinfo"))).toBe(false);
    // An inbound listener takes origin-form targets only: the path check refuses the absolute form.
    const [, inbound] = listeners()[0];
    expect((await raw(inbound, `GET http://api/absolute-inbound HTTP/1.1\r\nHost: api\r\nConnection: close\r\n\r\n`)).status).toBe("HTTP/1.1 400 Bad Request");
    expect(api.seen.some((s) => s.url.includes("absolute-inbound"))).toBe(false);
  });

  test("a protocol upgrade (WebSocket) is refused 403 and the connection closed, as Envoy refuses one on a route without upgrades; Upgrade: h2c is ignored and the connection closed after the answer", async () => {
    for (const [name, port, host] of listeners()) {
      const next = `GET /${name}/upgrade-next HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`;
      for (const [what, lines] of Object.entries({
        websocket: "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13",
        "listed-websocket": "Connection: keep-alive, UPGRADE\r\nUpgrade: WebSocket",
        "h2c-and-websocket": "Connection: Upgrade\r\nUpgrade: h2c, websocket",
      })) {
        const text = await rawText(port, `GET /${name}/upgrade-${what} HTTP/1.1\r\nHost: ${host}\r\n${lines}\r\n\r\n${next}`);
        expect(text, `${name} ${what}`).toMatch(
          /^HTTP\/1\.1 403 Forbidden\r\n[^]*x-unimesh-flag: DPE\r\n[^]*connection: close\r\n[^]*protocol upgrades[^]*[^\]]$/i,
        );
        expect(text.match(/HTTP\/1\.1 \d{3}/g), `${name} ${what}`).toHaveLength(1);
      }
      // h2c (RFC 9113 §3.1 dropped it): an ordinary request without its Upgrade, Connection and
      // HTTP2-Settings; Node's parser reads nothing after it, so the connection closes after the answer.
      const h2c = await rawText(
        port,
        `GET /${name}/upgrade-h2c HTTP/1.1\r\nHost: ${host}\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n${next}`,
      );
      // One answer, which says the connection closes, and then it does (it is not left open, unread).
      expect(h2c, `${name} h2c`).toMatch(/^HTTP\/1\.1 200 OK\r\n[^]*\r\nConnection: close\r\n/);
      expect(h2c, `${name} h2c`).toMatch(/\r\n\r\napi$/);
      const seen = api.seen.find((s) => s.url === `/${name}/upgrade-h2c`)!;
      expect([seen.headers.upgrade, seen.headers["http2-settings"]]).toEqual([undefined, undefined]);
      // Upgrade without Connection: upgrade asks for nothing (a hop-by-hop header, dropped): served, and the connection goes on.
      const plain = await raw(port, `GET /${name}/upgrade-plain HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\n\r\n${next}`);
      expect(plain.status, `${name} plain`).toBe("HTTP/1.1 200 OK");
    }
    expect(api.seen.map((s) => s.url).filter((u) => u.includes("/upgrade-"))).toEqual([
      "/inbound/upgrade-h2c",
      "/inbound/upgrade-plain",
      "/inbound/upgrade-next",
      "/outbound/upgrade-h2c",
      "/outbound/upgrade-plain",
      "/outbound/upgrade-next",
    ]);
  });

  test("CONNECT is refused 403 (DPE) and the connection closed, counted and logged; nothing sent after it reaches the app", async () => {
    for (const [name, port, host] of listeners()) {
      const text = await rawText(
        port,
        `CONNECT api.shop:80 HTTP/1.1\r\nHost: api.shop:80\r\n\r\nGET /${name}/connect-tunneled HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
      );
      expect(text, name).toMatch(/^HTTP\/1\.1 403 Forbidden\r\n[^]*x-unimesh-flag: DPE\r\n[^]*connection: close\r\n[^]*CONNECT is not supported\n[^]*[^\]]$/i);
      expect(text.match(/HTTP\/1\.1 \d{3}/g), name).toHaveLength(1);
    }
    expect(api.seen.some((s) => s.url.includes("connect-tunneled"))).toBe(false);
    await new Promise((r) => setTimeout(r, 50));
    const logged = readFileSync(logFile, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))
      .filter((l) => l.method === "CONNECT");
    expect(logged.map((l) => [l.direction, l.status, l.flags, l.path])).toEqual([
      ["inbound", 403, ["DPE"], "api.shop:80"],
      ["outbound", 403, ["DPE"], "api.shop:80"],
    ]);
  });

  test("CONNECT over HTTP/2 is refused 403 (DPE) as over HTTP/1.1, counted and logged; the session's other streams go on", async () => {
    for (const [name, port, host] of listeners()) {
      const session = http2.connect(`http://127.0.0.1:${port}`);
      session.on("error", () => {});
      const status = await new Promise<number>((resolve, reject) => {
        const st = session.request({ ":method": "CONNECT", ":authority": "api.shop:80" }, { endStream: false });
        st.on("response", (h) => resolve(Number(h[":status"])));
        st.on("error", reject);
      });
      expect(status, name).toBe(403);
      const after = await new Promise<number>((resolve, reject) => {
        const st = session.request({ ":method": "GET", ":path": `/${name}/h2-after-connect`, ":authority": host });
        st.on("response", (h) => resolve(Number(h[":status"])));
        st.on("error", reject);
        st.resume();
      });
      expect(after, name).toBe(200);
      session.close();
    }
    await new Promise((r) => setTimeout(r, 50));
    const logged = readFileSync(logFile, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))
      .filter((l) => l.method === "CONNECT" && l.protocol === "HTTP/2.0");
    expect(logged.map((l) => [l.direction, l.status, l.flags])).toEqual([
      ["inbound", 403, ["DPE"]],
      ["outbound", 403, ["DPE"]],
    ]);
  });

  test("a CONNECT pipelined behind a request still being answered closes the connection and nothing else (the process survives)", async () => {
    for (const [name, port, host] of listeners()) {
      // Node emits "connect" while the GET's response still owns the socket: answering on it threw outside
      // any handler and the process exited.
      const text = await rawText(
        port,
        `GET /${name}/before-connect HTTP/1.1\r\nHost: ${host}\r\n\r\nCONNECT api.shop:80 HTTP/1.1\r\nHost: api.shop:80\r\n\r\n`,
      );
      expect(text, name).not.toContain("[open]");
      expect(await raw(port, `GET /${name}/after-connect HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`), name).toMatchObject({
        status: "HTTP/1.1 200 OK",
      });
    }
  });

  test("after a refused head, the connection is closed: a request pipelined behind it is not served", async () => {
    const [, port, host] = listeners()[0];
    const a = await raw(
      port,
      `GET /first HTTP/1.1\r\nHost: ${host}\r\nHost: ${host}\r\n\r\nGET /second HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
    );
    expect(a.status).toBe("HTTP/1.1 400 Bad Request");
    expect(a.body).not.toContain("HTTP/1.1");
    expect(api.seen.some((s) => s.url === "/first" || s.url === "/second")).toBe(false);
  });
});

describe("the HTTP/1.1 parser is strict whatever the process's flags", () => {
  test("with --insecure-http-parser in NODE_OPTIONS, a listener still refuses Content-Length with Transfer-Encoding", async () => {
    const dir = mkdtempSync(join(tmpdir(), "unimesh-parser-"));
    const src = join(import.meta.dirname, "../../src/proxy");
    const script = join(dir, "probe.ts");
    writeFileSync(
      script,
      `import net from "node:net";
import { Listener } from ${JSON.stringify(join(src, "net/listener.ts"))};
import { DEFAULT_LIMITS } from ${JSON.stringify(join(src, "config/compile.ts"))};
const l = new Listener("probe", DEFAULT_LIMITS, (_req, res) => res.end("served"));
const port = await l.listen("127.0.0.1", 0);
const text = await new Promise<string>((resolve) => {
  let out = "";
  const s = net.connect(port, "127.0.0.1", () =>
    s.write("POST / HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 5\\r\\nTransfer-Encoding: chunked\\r\\nConnection: close\\r\\n\\r\\n0\\r\\n\\r\\n"),
  );
  s.on("data", (c) => (out += c));
  s.on("close", () => resolve(out));
});
console.log(text.split("\\r\\n")[0]);
await l.drain(0);
`,
    );
    try {
      const viteNode = join(import.meta.dirname, "../../node_modules/vite-node/vite-node.mjs");
      const { stdout } = await promisify(execFile)(process.execPath, [viteNode, script], {
        env: { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --insecure-http-parser`.trim() },
      });
      expect(stdout.trim().split("\n").at(-1)).toBe("HTTP/1.1 400 Bad Request");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
