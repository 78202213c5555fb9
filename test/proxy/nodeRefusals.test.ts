/**
 * HTTP/1.1 requests node:http used to answer itself, unseen by the listener (src/proxy/net/listener.ts), so
 * that they were neither counted nor logged:
 * - an HTTP/1.1 request without Host (RFC 9112 §3.2: 400): now refused by the listener as its other refused
 *   heads are (DPE, counted in unimesh_requests_total and logged, the connection closed); HTTP/1.0 without
 *   Host is still served;
 * - an `Expect` other than `100-continue` (RFC 9110 §10.1.1: 417): the same, and the connection closes, so
 *   that nothing pipelined behind it is served;
 * - a request that does not parse or breaks a limit (ambiguous framing, obs-fold, a bad chunk size: 400; a
 *   head over maxHeaderBytes: 431; chunk extensions over 16 KiB: 413; a head not received within
 *   headersTimeoutMs: 408): answered with exactly node:http's bytes and closed, as before, and now counted in
 *   unimesh_connections_closed_total by reason. A client that resets its connection is not counted.
 * Raw bytes to the outbound listener (the app's) and an inbound listener (a plaintext caller, permissive
 * mode), in both of the proxy's modes.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import http from "node:http";
import net from "node:net";
import type { AddressInfo } from "node:net";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { closeAgents, meshConfig, registry, startMesh } from "./support.js";
import type { ProxyRuntime } from "../../src/proxy/runtime.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** node:http's own answers to a parse error or limit (lib/_http_server.js socketOnError), byte for byte. */
const NODE_ANSWER = {
  400: "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n",
  408: "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n",
  413: "HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\n\r\n",
  431: "HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n",
};

/** The reasons of unimesh_connections_closed_total for them. */
const REASON = { 400: "http1-protocol-error", 408: "http1-request-timeout", 413: "http1-chunk-extensions-too-large", 431: "http1-headers-too-large" };

/**
 * Writes `bytes` (each string a write, `wait` ms apart; then a FIN with `end`) to `port` and reads until the
 * connection closes or 3 s pass: everything read, and whether the proxy closed the connection.
 */
async function rawText(port: number, bytes: string | string[], { wait = 100, end = false } = {}): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    let text = "";
    let closed = true;
    const send = async () => {
      for (const [i, b] of [bytes].flat().entries()) {
        if (i > 0) await sleep(wait);
        if (!s.destroyed) s.write(b);
      }
      if (end && !s.destroyed) s.end();
    };
    const s = net.connect(port, "127.0.0.1", () => void send());
    s.on("data", (c: Buffer) => (text += c.toString("latin1")));
    s.on("error", () => {});
    s.setTimeout(3000, () => {
      closed = false;
      s.destroy();
    });
    s.on("close", () => resolve({ text, closed }));
  });
}

/** The status lines of the answers in `text`. */
const statuses = (text: string) => text.match(/HTTP\/1\.1 \d{3} [^\r]*/g) ?? [];

/** An app that records every request head it is sent (before its body), and answers once the body is read. */
async function startRecordingApp(): Promise<{ port: number; heads: string[]; close(): Promise<void> }> {
  const heads: string[] = [];
  const server = http.createServer((req, res) => {
    heads.push(req.url!);
    if (req.url!.endsWith("-stream")) {
      // Its head at once, the rest later: the answer's head has gone out while it is still in flight.
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("first part\n");
      setTimeout(() => res.end("last part\n"), 500);
      req.resume();
      return;
    }
    req.resume();
    req.on("end", () => res.end("api"));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: (server.address() as AddressInfo).port,
    heads,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

for (const colocatedHops of ["mtls", "inline"] as const) {
  describe(`requests node:http answered itself are answered by the listener, or counted (colocatedHops: ${colocatedHops})`, () => {
    let api: Awaited<ReturnType<typeof startRecordingApp>>, web: Awaited<ReturnType<typeof startRecordingApp>>, proxy: ProxyRuntime;
    const dir = mkdtempSync(join(tmpdir(), "unimesh-node-refusals-"));
    const logFile = join(dir, "access.log");
    beforeAll(async () => {
      [api, web] = await Promise.all([startRecordingApp(), startRecordingApp()]);
      proxy = await startMesh(
        meshConfig(
          "",
          registry([
            { service: "api", namespace: "shop", port: api.port },
            { service: "web", namespace: "shop", port: web.port, outbound: true },
          ]),
          { colocatedHops, accessLog: { enabled: true, path: logFile }, limits: { headersTimeoutMs: 400 } },
        ),
      );
    });
    afterAll(async () => {
      await proxy?.stop();
      await closeAgents();
      await Promise.all([api, web].map((a) => a?.close()));
      rmSync(dir, { recursive: true, force: true });
    });

    /** The listeners under test: [name, port, the Host that reaches api through it, the start of its metrics key]. */
    const listeners = (): [string, number, string, string][] => [
      ["inbound", proxy.inboundPort("api", "shop", api.port), "api", "inbound|shop/api/"],
      ["outbound", proxy.outboundPort("web", "shop"), "api.shop", "outbound|shop/web/"],
    ];

    const metrics = async () => (await fetch(`http://127.0.0.1:${proxy.port("admin")}/metrics`)).text();
    /** The value of one series of unimesh_requests_total (0 when absent). */
    const requests = async (labels: string): Promise<number> => {
      const line = (await metrics()).split("\n").find((l) => l.startsWith(`unimesh_requests_total{${labels}} `));
      return line ? Number(line.split(" ")[1]) : 0;
    };
    /** unimesh_connections_closed_total of the listener whose key starts with `key`, by reason. */
    const closedBy = async (key: string): Promise<Record<string, number>> => {
      const out: Record<string, number> = {};
      for (const l of (await metrics()).split("\n")) {
        const m = l.match(/^unimesh_connections_closed_total\{listener="([^"]*)",reason="([^"]*)"\} (\d+)$/);
        if (m && m[1].startsWith(key)) out[m[2]] = (out[m[2]] ?? 0) + Number(m[3]);
      }
      return out;
    };
    /** The request series of a refused head at the listener `name` (see requestHead.test.ts). */
    const series = (name: string, code: number) =>
      name === "inbound"
        ? `direction="inbound",source="unknown",destination="shop/api",response_code="${code}"`
        : `direction="outbound",source="shop/web",destination="-",response_code="${code}"`;
    /** Access-log lines whose path contains `marker`. */
    const logged = async (marker: string) => {
      await sleep(50);
      return readFileSync(logFile, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l))
        .filter((l) => String(l.path).includes(marker));
    };

    test("an HTTP/1.1 request without Host is refused 400 by the listener (DPE), counted and logged, and the connection closed: nothing pipelined behind it is served", async () => {
      for (const [name, port, host] of listeners()) {
        const before = await requests(series(name, 400));
        const next = `GET /${name}/no-host-next HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`;
        for (const head of [
          `GET /${name}/no-host HTTP/1.1\r\n\r\n${next}`,
          `POST /${name}/no-host-body HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc${next}`,
          // The absolute form's authority does not stand in for Host in HTTP/1.1 (a client MUST send both).
          `GET http://api.shop/${name}/no-host-absolute HTTP/1.1\r\n\r\n${next}`,
        ]) {
          const a = await rawText(port, head);
          expect(a.closed, `${name} ${head}`).toBe(true);
          expect(statuses(a.text), `${name} ${head}`).toEqual(["HTTP/1.1 400 Bad Request"]);
          expect(a.text, `${name} ${head}`).toMatch(/\r\nx-unimesh-flag: DPE\r\n[^]*\r\n\r\n[^]*unimesh: a request without a host header\n/);
        }
        // With Expect: 100-continue, the 400 alone (no 100 before it).
        const c = await rawText(port, `POST /${name}/no-host-expect HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n`);
        expect({ closed: c.closed, statuses: statuses(c.text) }, name).toEqual({ closed: true, statuses: ["HTTP/1.1 400 Bad Request"] });
        expect(await requests(series(name, 400)), name).toBe(before + 4);
      }
      expect(api.heads.filter((u) => u.includes("no-host"))).toEqual([]);
      expect((await logged("/no-host")).map((l) => [l.direction, l.method, l.path, l.status, l.flags, l.source, l.destination, l.authority])).toEqual([
        ["inbound", "GET", "/inbound/no-host", 400, ["DPE"], "unknown", "shop/api", ""],
        ["inbound", "POST", "/inbound/no-host-body", 400, ["DPE"], "unknown", "shop/api", ""],
        ["inbound", "GET", "http://api.shop/inbound/no-host-absolute", 400, ["DPE"], "unknown", "shop/api", ""],
        ["inbound", "POST", "/inbound/no-host-expect", 400, ["DPE"], "unknown", "shop/api", ""],
        ["outbound", "GET", "/outbound/no-host", 400, ["DPE"], "shop/web", "-", ""],
        ["outbound", "POST", "/outbound/no-host-body", 400, ["DPE"], "shop/web", "-", ""],
        ["outbound", "GET", "/outbound/no-host-absolute", 400, ["DPE"], "shop/web", "-", "api.shop"],
        ["outbound", "POST", "/outbound/no-host-expect", 400, ["DPE"], "shop/web", "-", ""],
      ]);
    });

    test("an HTTP/1.0 request without Host is still served", async () => {
      const [[, inbound], [, outbound]] = listeners();
      expect(statuses((await rawText(inbound, "GET /inbound/v10-no-host HTTP/1.0\r\n\r\n")).text)).toEqual(["HTTP/1.1 200 OK"]);
      expect(statuses((await rawText(outbound, "GET http://api.shop/outbound/v10-no-host HTTP/1.0\r\n\r\n")).text)).toEqual(["HTTP/1.1 200 OK"]);
      expect(api.heads.filter((u) => u.includes("v10-no-host"))).toEqual(["/inbound/v10-no-host", "/outbound/v10-no-host"]);
    });

    test("a request line of another major version than 1 (HTTP/2.0, HTTP/0.9, none: 0.9 to Node) is refused 505 by the listener (DPE), counted and logged, and closed: nothing behind it is served", async () => {
      for (const [name, port, host] of listeners()) {
        const before = await requests(series(name, 505));
        const next = `GET /${name}/version-next HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`;
        for (const head of [
          `GET /${name}/version-20 HTTP/2.0\r\nHost: ${host}\r\n\r\n${next}`,
          `GET /${name}/version-09 HTTP/0.9\r\nHost: ${host}\r\n\r\n${next}`,
          `GET /${name}/version-none\r\n\r\n${next}`,
        ]) {
          const a = await rawText(port, head);
          expect({ closed: a.closed, statuses: statuses(a.text) }, `${name} ${head}`).toEqual({
            closed: true,
            statuses: ["HTTP/1.1 505 HTTP Version Not Supported"],
          });
          expect(a.text, `${name} ${head}`).toMatch(/\r\nx-unimesh-flag: DPE\r\n[^]*unimesh: HTTP\/(2\.0|0\.9) is not supported on an HTTP\/1\.1 connection\n/);
        }
        expect(await requests(series(name, 505)), name).toBe(before + 3);
      }
      // Node's parser served all three as ordinary requests before.
      expect(api.heads.filter((u) => u.includes("/version-"))).toEqual([]);
      expect((await logged("/version-")).map((l) => [l.direction, l.path, l.status, l.flags])).toEqual([
        ["inbound", "/inbound/version-20", 505, ["DPE"]],
        ["inbound", "/inbound/version-09", 505, ["DPE"]],
        ["inbound", "/inbound/version-none", 505, ["DPE"]],
        ["outbound", "/outbound/version-20", 505, ["DPE"]],
        ["outbound", "/outbound/version-09", 505, ["DPE"]],
        ["outbound", "/outbound/version-none", 505, ["DPE"]],
      ]);
    });

    test("an Expect other than 100-continue is refused 417 by the listener (DPE), counted and logged, and the connection closed: nothing pipelined behind it is served", async () => {
      for (const [name, port, host] of listeners()) {
        const before = await requests(series(name, 417));
        const next = `GET /${name}/expect-next HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`;
        for (const [what, lines] of Object.entries({ token: "Expect: foo", "continue-typo": "Expect: 100-continues", "200-ok": "Expect: 200-ok" })) {
          const a = await rawText(port, `POST /${name}/expect-${what} HTTP/1.1\r\nHost: ${host}\r\n${lines}\r\nContent-Length: 3\r\n\r\nabc${next}`);
          expect(a.closed, `${name} ${what}`).toBe(true);
          expect(statuses(a.text), `${name} ${what}`).toEqual(["HTTP/1.1 417 Expectation Failed"]);
          expect(a.text, `${name} ${what}`).toMatch(/\r\nx-unimesh-flag: DPE\r\n[^]*\r\n\r\n[^]*unimesh: an expectation other than 100-continue\n/);
        }
        // Behind a request being served: its answer, then the 417, then the connection closes.
        const b = await rawText(
          port,
          `GET /${name}/expect-before HTTP/1.1\r\nHost: ${host}\r\n\r\nGET /${name}/expect-behind HTTP/1.1\r\nHost: ${host}\r\nExpect: foo\r\n\r\n${next}`,
        );
        expect({ closed: b.closed, statuses: statuses(b.text) }, name).toEqual({
          closed: true,
          statuses: ["HTTP/1.1 200 OK", "HTTP/1.1 417 Expectation Failed"],
        });
        // A head refused for its framing gets that refusal, not 417; an unknown expectation behind a refused head gets nothing.
        const c = await rawText(
          port,
          `GET /${name}/expect-two-hosts HTTP/1.1\r\nHost: ${host}\r\nHost: evil.example\r\nExpect: foo\r\n\r\nGET /${name}/expect-after-refused HTTP/1.1\r\nHost: ${host}\r\nExpect: foo\r\n\r\n`,
        );
        expect({ closed: c.closed, statuses: statuses(c.text) }, name).toEqual({ closed: true, statuses: ["HTTP/1.1 400 Bad Request"] });
        expect(c.text, name).toContain("unimesh: more than one host header\n");
        // HTTP/1.0 ignores Expect (as Node does): served.
        expect(statuses((await rawText(port, `GET /${name}/expect-v10 HTTP/1.0\r\nHost: ${host}\r\nExpect: foo\r\n\r\n`)).text), name).toEqual([
          "HTTP/1.1 200 OK",
        ]);
        expect(await requests(series(name, 417)), name).toBe(before + 4);
      }
      expect(api.heads.filter((u) => u.includes("/expect-"))).toEqual([
        "/inbound/expect-before",
        "/inbound/expect-v10",
        "/outbound/expect-before",
        "/outbound/expect-v10",
      ]);
      expect((await logged("/expect-")).filter((l) => l.status !== 200).map((l) => [l.direction, l.path, l.status, l.flags])).toEqual([
        ["inbound", "/inbound/expect-token", 417, ["DPE"]],
        ["inbound", "/inbound/expect-continue-typo", 417, ["DPE"]],
        ["inbound", "/inbound/expect-200-ok", 417, ["DPE"]],
        ["inbound", "/inbound/expect-behind", 417, ["DPE"]],
        ["inbound", "/inbound/expect-two-hosts", 400, ["DPE"]],
        ["outbound", "/outbound/expect-token", 417, ["DPE"]],
        ["outbound", "/outbound/expect-continue-typo", 417, ["DPE"]],
        ["outbound", "/outbound/expect-200-ok", 417, ["DPE"]],
        ["outbound", "/outbound/expect-behind", 417, ["DPE"]],
        ["outbound", "/outbound/expect-two-hosts", 400, ["DPE"]],
      ]);
    });

    test("a request that does not parse or breaks a limit gets node:http's own answer byte for byte, the connection closes, and it is counted by reason", async () => {
      for (const [name, port, host, key] of listeners()) {
        const next = `GET /${name}/parse-next HTTP/1.1\r\nHost: ${host}\r\n\r\n`;
        const cases: [string, 400 | 408 | 413 | 431, string | string[]][] = [
          [
            "content-length and transfer-encoding",
            400,
            `POST /${name}/parse HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${next}`,
          ],
          ["obs-fold", 400, `GET /${name}/parse HTTP/1.1\r\nHost: ${host}\r\nX-A: 1\r\n x-debug: on\r\n\r\n${next}`],
          ["a lower-case method", 400, `get /${name}/parse HTTP/1.1\r\nHost: ${host}\r\n\r\n`],
          ["HTTP/3.0", 400, `GET /${name}/parse HTTP/3.0\r\nHost: ${host}\r\n\r\n`],
          ["a head over maxHeaderBytes", 431, `GET /${name}/parse HTTP/1.1\r\nHost: ${host}\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n${next}`],
          // Node's limit on a chunk's extensions is 16 KiB, whatever maxHeaderSize (the head is whole: the
          // request was emitted before the error, and its answer had not started).
          [
            "chunk extensions over 16 KiB",
            413,
            `POST /${name}/parse-chunked HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked\r\n\r\n1;a=${"b".repeat(17_000)}\r\nx\r\n0\r\n\r\n`,
          ],
          // headersTimeoutMs is 400 ms: half a head, then nothing.
          ["a head not received within headersTimeoutMs", 408, `GET /${name}/parse HTTP/1.1\r\nHost: ${host}\r\n`],
        ];
        for (const [what, status, bytes] of cases) {
          const before = await closedBy(key);
          const a = await rawText(port, bytes);
          expect(a, `${name}: ${what}`).toEqual({ text: NODE_ANSWER[status], closed: true });
          const after = await closedBy(key);
          expect(after[REASON[status]] ?? 0, `${name}: ${what}`).toBe((before[REASON[status]] ?? 0) + 1);
        }
        // Garbage pipelined behind a request whose answer has not started yet: that answer first, then node's
        // 400, then the close (node:http wrote its 400 at once, read by the client as that request's answer).
        const before = await closedBy(key);
        const p = await rawText(port, `GET /${name}/parse-pending HTTP/1.1\r\nHost: ${host}\r\n\r\nBAD\r\n\r\n`);
        expect(p.closed, name).toBe(true);
        expect(statuses(p.text), name).toEqual(["HTTP/1.1 200 OK", "HTTP/1.1 400 Bad Request"]);
        expect(p.text.endsWith(`\r\n\r\napi${NODE_ANSWER[400]}`), name).toBe(true);
        // Garbage behind an answer whose head has gone out: that answer is finished, then the 400 (node:http
        // destroyed the connection in the middle of it).
        const c = await rawText(port, [`GET /${name}/parse-stream HTTP/1.1\r\nHost: ${host}\r\n\r\n`, "BAD\r\n\r\n"], { wait: 250 });
        expect(c.closed, name).toBe(true);
        expect(c.text, name).toMatch(/^HTTP\/1\.1 200 OK\r\n[^]*first part\n[^]*last part\n/);
        expect(statuses(c.text), name).toEqual(["HTTP/1.1 200 OK", "HTTP/1.1 400 Bad Request"]);
        expect(c.text.endsWith(NODE_ANSWER[400]), name).toBe(true);
        const after = await closedBy(key);
        expect(after[REASON[400]] ?? 0, name).toBe((before[REASON[400]] ?? 0) + 2);
      }
      // Only requests whose head was whole before the error could reach the app (they do not here: the
      // connection is gone before the exchange starts, but that is timing); the others never do.
      expect(api.heads.filter((u) => u.includes("/parse") && !/parse-(chunked|pending)$/.test(u))).toEqual(["/inbound/parse-stream", "/outbound/parse-stream"]);
    });

    test("a client that resets its connection mid-head is not counted as a protocol error", async () => {
      for (const [name, port, host, key] of listeners()) {
        const before = await closedBy(key);
        const s = net.connect(port, "127.0.0.1");
        s.on("error", () => {});
        await new Promise((r) => s.once("connect", r));
        s.write(`GET /${name}/reset HTTP/1.1\r\nHost: ${host}\r\n`);
        await sleep(100);
        s.resetAndDestroy();
        await sleep(100);
        expect(await closedBy(key), name).toEqual(before);
        // A FIN mid-head, though, is a request cut short: node:http answers it 400, and it is counted.
        expect(await rawText(port, `GET /${name}/fin HTTP/1.1\r\nHost: ${host}\r\n`, { end: true }), name).toEqual({ text: NODE_ANSWER[400], closed: true });
        expect(await closedBy(key), name).toEqual({ ...before, [REASON[400]]: (before[REASON[400]] ?? 0) + 1 });
      }
      expect(api.heads.filter((u) => u.endsWith("/reset") || u.endsWith("/fin"))).toEqual([]);
    });
  });
}
