/**
 * A hostile HTTP/1.1 client against the proxy's listeners, in both HTTP/1.1 server modes: node:http
 * (`UNIMESH_H1_SERVER=node`) and the server on Node's parser (src/proxy/net/h1server.ts, the default, read by
 * the Listener's constructor: set around the start of that mesh only). Every case runs against both; a case
 * that passes in both guards the new server, one that fails in llhttp mode only is where it is weaker than
 * node:http (independent review of the llhttp listener, docs/design/h1-listener.md §5 "Exposure").
 * Raw bytes to the outbound listener (an app's) and an inbound listener (a plaintext caller, permissive).
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { closeAgents, inFlight, meshConfig, rawClient, registry, startMesh, statusLines, until } from "./support.js";
import type { ProxyRuntime } from "../../src/proxy/runtime.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const LIMITS = { headersTimeoutMs: 600, requestTimeoutMs: 1500, keepAliveTimeoutMs: 400, idleTimeoutMs: 8000 };

/** `api` allows anything; `locked` allows GET only (AccessPolicy methods), from any caller. */
const POLICIES = `
apiVersion: unimesh.io/v1alpha1
kind: AccessPolicy
metadata: {name: locked-get-only, namespace: shop}
spec:
  destination: {service: locked}
  allow:
    - methods: [GET]
`;

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  trailers: Record<string, string | undefined>;
  body: string;
}

/** An app that records what it is sent and answers `<method> <url>`; /big/<n>: n bytes; /slow/<ms>/...: after ms; /bad-value: an invalid header value. */
async function startRecordingApp(name: string): Promise<{ port: number; seen: Seen[]; flood: { now: number; peak: number }; close(): Promise<void> }> {
  const seen: Seen[] = [];
  // /flood/...: how many are at the app at once (from their head until their answer is done), and the most.
  const flood = { now: 0, peak: 0 };
  const server = http.createServer((req, res) => {
    if (req.url!.startsWith("/flood/")) {
      flood.peak = Math.max(flood.peak, ++flood.now);
      res.once("close", () => flood.now--);
    }
    const chunks: Buffer[] = [];
    const hold = req.url!.match(/^\/hold\/(\d+)/);
    if (hold) {
      // Reads nothing of the body for that long, then counts it (no copy kept).
      let n = 0;
      setTimeout(() => {
        req.on("data", (c: Buffer) => (n += c.length));
        req.on("end", () => res.end(`read ${n}`));
      }, Number(hold[1]));
      req.on("error", () => {});
      return;
    }
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("error", () => {});
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("latin1");
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, trailers: { ...req.trailers }, body });
      const url = req.url!;
      const big = url.match(/^\/big\/(\d+)/);
      if (big) {
        const n = Number(big[1]);
        res.writeHead(200, { "content-type": "text/plain", "content-length": String(n) });
        const piece = Buffer.alloc(16 * 1024, "x");
        let sent = 0;
        const more = () => {
          while (sent < n) {
            const b = piece.subarray(0, Math.min(piece.length, n - sent));
            sent += b.length;
            if (!res.write(b)) {
              res.once("drain", more);
              return;
            }
          }
          res.end();
        };
        more();
        return;
      }
      if (url === "/bad-value") {
        // A header value with a bare LF (writeHead downstream throws): raw bytes, as appDesync.test.ts.
        res.socket!.write("HTTP/1.1 200 OK\r\nx-bad: a\x01b\r\ncontent-length: 2\r\n\r\nok");
        return;
      }
      if (req.method === "HEAD") res.setHeader("x-head", "1");
      const slow = url.match(/^\/slow\/(\d+)/);
      setTimeout(
        () => {
          res.setHeader("content-type", "text/plain");
          res.end(`${name}: ${req.method} ${url} ${body.length}`);
        },
        slow ? Number(slow[1]) : 0,
      );
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    flood,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Starts a mesh with the listeners' HTTP/1.1 server in `mode` (the variable set around the start only). */
async function startInMode(mode: "node" | "llhttp", config: Parameters<typeof startMesh>[0]): Promise<ProxyRuntime> {
  const before = process.env.UNIMESH_H1_SERVER;
  if (mode === "llhttp") process.env.UNIMESH_H1_SERVER = "llhttp";
  else process.env.UNIMESH_H1_SERVER = "node";
  try {
    return await startMesh(config);
  } finally {
    if (before === undefined) delete process.env.UNIMESH_H1_SERVER;
    else process.env.UNIMESH_H1_SERVER = before;
  }
}

/**
 * Writes `parts` to a new connection (`gap` ms apart), then reads until the proxy closes it or `ms` pass: what
 * was read, whether the proxy closed it, and after how long (from the first write).
 */
async function exchange(
  port: number,
  parts: string | string[],
  { gap = 50, ms = 3000, end = false } = {},
): Promise<{ text: string; closed: boolean; ms: number }> {
  const c = await rawClient(port);
  const t0 = Date.now();
  let closedAt = 0;
  c.s.once("close", () => (closedAt = Date.now()));
  for (const [i, p] of [parts].flat().entries()) {
    if (i > 0) await sleep(gap);
    if (c.closed()) break;
    c.s.write(p, "latin1");
  }
  if (end && !c.closed()) c.s.end();
  await until(c.closed, ms);
  const closed = c.closed();
  c.s.destroy();
  return { text: c.got(), closed, ms: closed ? closedAt - t0 : Date.now() - t0 };
}

const GET = (path: string, host: string, extra = "") => `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n${extra}\r\n`;

/** The bodies of the answers in `text` (Content-Length framed or chunked), in order. */
function bodies(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    const he = text.indexOf("\r\n\r\n", i);
    if (he < 0) break;
    const head = text.slice(i, he);
    const cl = head.match(/\r\ncontent-length: *(\d+)/i);
    if (/\r\nx-head: *1/i.test(head)) {
      out.push("");
      i = he + 4;
    } else if (cl) {
      out.push(text.slice(he + 4, he + 4 + Number(cl[1])));
      i = he + 4 + Number(cl[1]);
    } else if (/\r\ntransfer-encoding: *chunked/i.test(head)) {
      let j = he + 4;
      let b = "";
      for (;;) {
        const e = text.indexOf("\r\n", j);
        if (e < 0) break;
        const n = parseInt(text.slice(j, e), 16);
        if (!n) {
          j = text.indexOf("\r\n\r\n", e - 2) + 4;
          break;
        }
        b += text.slice(e + 2, e + 2 + n);
        j = e + 2 + n + 2;
      }
      out.push(b);
      i = j;
    } else {
      out.push("");
      i = he + 4;
    }
  }
  return out;
}

/** What node:http mode did, by case (node's describe runs first): llhttp mode must do the same. */
const nodeDid = new Map<string, unknown>();

for (const mode of ["node", "llhttp"] as const) {
  /** Records `value` in node mode; in llhttp mode expects what node mode recorded. */
  const parity = (key: string, value: unknown) => {
    if (mode === "node") nodeDid.set(key, value);
    else if (nodeDid.has(key)) expect(value, `${key}: as node:http`).toEqual(nodeDid.get(key));
  };
  describe(`a hostile HTTP/1.1 client (listeners on ${mode})`, () => {
    let api: Awaited<ReturnType<typeof startRecordingApp>>;
    let locked: Awaited<ReturnType<typeof startRecordingApp>>;
    let web: Awaited<ReturnType<typeof startRecordingApp>>;
    let proxy: ProxyRuntime;
    beforeAll(async () => {
      [api, locked, web] = await Promise.all([startRecordingApp("api"), startRecordingApp("locked"), startRecordingApp("web")]);
      proxy = await startInMode(
        mode,
        meshConfig(
          POLICIES,
          registry([
            { service: "api", namespace: "shop", port: api.port, servicePort: 8080 },
            { service: "locked", namespace: "shop", port: locked.port, servicePort: 8080 },
            { service: "web", namespace: "shop", port: web.port, outbound: true },
          ]),
          { colocatedHops: "inline", limits: LIMITS },
        ),
      );
    });
    afterAll(async () => {
      await proxy?.stop();
      await closeAgents();
      await Promise.all([api, locked, web].map((a) => a?.close()));
    });

    const out = () => proxy.outboundPort("web", "shop");
    const inb = () => proxy.inboundPort("api", "shop", api.port);
    const noneInFlight = async () => {
      expect(await until(async () => (await inFlight(proxy, "outbound|")) === 0 && (await inFlight(proxy, "inbound|shop/api/")) === 0, 4000)).toBe(true);
    };

    // ---------------------------------------------------------------------------------------------------
    // Back-pressure and large answers

    test("an answer of 2 MB reaches a client that reads it, whole, through the outbound and the inbound listener", async () => {
      for (const [port, host] of [
        [out(), "api:8080"],
        [inb(), "api"],
      ] as const) {
        const r = await exchange(port, GET("/big/2000000", host, "Connection: close\r\n"), { ms: 8000 });
        expect(r.closed, `${port}: closed after the whole answer`).toBe(true);
        expect(statusLines(r.text)).toEqual(["HTTP/1.1 200 "]);
        expect(r.text.length - r.text.indexOf("\r\n\r\n") - 4, `${port}: body bytes`).toBe(2_000_000);
      }
      await noneInFlight();
    });

    test("an answer with a 40 KB head and a body written in pieces (write() false on the first) completes", async () => {
      const r = await exchange(out(), GET("/big/100000", "api:8080", "Connection: close\r\n"), { ms: 5000 });
      expect(r.closed).toBe(true);
      expect(r.text.length - r.text.indexOf("\r\n\r\n") - 4).toBe(100_000);
    });

    // ---------------------------------------------------------------------------------------------------
    // Slow clients and timeouts

    test("a connection that sends an empty line and then nothing is closed within headersTimeout, not left to the idle timeout", async () => {
      const r = await exchange(out(), "\r\n", { ms: 4000 });
      expect(r.closed, `still open after ${r.ms} ms (headersTimeoutMs ${LIMITS.headersTimeoutMs})`).toBe(true);
      expect(r.ms).toBeLessThan(LIMITS.headersTimeoutMs + 2000);
    });

    test("a connection that trickles empty lines (CRLF every 200 ms) is closed within headersTimeout", async () => {
      const r = await exchange(
        out(),
        Array.from({ length: 20 }, () => "\r\n"),
        { gap: 200, ms: 500 },
      );
      expect(r.closed, `still open after ${r.ms} ms`).toBe(true);
      expect(r.ms).toBeLessThan(LIMITS.headersTimeoutMs + 2000);
    });

    test("a head trickled byte by byte gets 408 within headersTimeout", async () => {
      const head = "GET /trickle HTTP/1.1\r\nHost: api:8080\r\nX-Pad: " + "a".repeat(200);
      const r = await exchange(out(), head.split(""), { gap: 20, ms: 4000 });
      expect(r.closed).toBe(true);
      expect(r.text === "" || r.text.startsWith("HTTP/1.1 408 "), r.text).toBe(true);
      expect(r.ms).toBeLessThan(LIMITS.headersTimeoutMs + 2000);
      expect(api.seen.some((s) => s.url === "/trickle")).toBe(false);
    });

    test("a body trickled slower than requestTimeout is cut off (408 or close), the app never gets a complete request", async () => {
      const head = `POST /slow-body HTTP/1.1\r\nHost: api:8080\r\nContent-Length: 100\r\n\r\n`;
      const r = await exchange(out(), [head, ...Array.from({ length: 40 }, () => "a")], { gap: 100, ms: 6000 });
      expect(r.closed).toBe(true);
      expect(r.ms).toBeLessThan(LIMITS.requestTimeoutMs + 2500);
      expect(api.seen.some((s) => s.url === "/slow-body")).toBe(false);
      await noneInFlight();
    });

    // Known gap of node:http (kept as the fallback): its keep-alive timer is the socket's inactivity timer, which
    // every byte resets; the llhttp server's sweep closes an idle connection whatever it reads. `fails` flips
    // to a failure the day node:http closes it.
    (mode === "node" ? test.fails : test)(
      "a keep-alive connection that trickles empty lines after its answer is still closed (keepAliveTimeout or headersTimeout)",
      async () => {
        const r = await exchange(out(), [GET("/ka-crlf", "api:8080"), ...Array.from({ length: 25 }, () => "\r\n")], { gap: 200, ms: 500 });
        expect(statusLines(r.text)).toEqual(["HTTP/1.1 200 "]);
        expect(r.closed, `still open after ${r.ms} ms of empty lines`).toBe(true);
        expect(r.ms).toBeLessThan(LIMITS.keepAliveTimeoutMs + 1000 + LIMITS.headersTimeoutMs + 1500);
      },
    );

    test("an HTTP/1.1 request whose first read is one byte (`P`, as the HTTP/2 preface begins) is still served as HTTP/1.1", async () => {
      const r = await exchange(out(), ["P", `OST /first-byte HTTP/1.1\r\nHost: api:8080\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`], { gap: 100 });
      expect(statusLines(r.text)).toEqual(["HTTP/1.1 200 "]);
    });

    test("a keep-alive connection is closed after keepAliveTimeout (+1 s) once its answer is sent", async () => {
      const r = await exchange(out(), GET("/ka", "api:8080"), { ms: 5000 });
      expect(statusLines(r.text)).toEqual(["HTTP/1.1 200 "]);
      expect(r.closed).toBe(true);
      expect(r.ms).toBeLessThan(LIMITS.keepAliveTimeoutMs + 1000 + 1500);
    });

    test("a partial head pipelined behind a slow answer is not timed out by the server's own pause (all three served)", async () => {
      // /slow answers after 1,500 ms (> headersTimeoutMs 600); the third head is completed 100 ms after.
      const c = await rawClient(out());
      c.s.write(GET("/slow/1500/p1", "api:8080") + GET("/p2", "api:8080") + "GET /p3 HTTP/1.1\r\nHost: ap");
      await sleep(100);
      c.s.write("i:8080\r\n\r\n");
      await until(() => statusLines(c.got()).length >= 3 || c.closed(), 5000);
      c.s.destroy();
      expect(statusLines(c.got())).toEqual(["HTTP/1.1 200 ", "HTTP/1.1 200 ", "HTTP/1.1 200 "]);
      expect(bodies(c.got())).toEqual(["api: GET /slow/1500/p1 0", "api: GET /p2 0", "api: GET /p3 0"]);
    });

    test("a body pipelined behind a slow answer is not timed out by the server's own pause (both served)", async () => {
      // /slow answers after 2,600 ms (> requestTimeoutMs 1,500); the second request's body is completed 100 ms after its head.
      const c = await rawClient(out());
      c.s.write(GET("/slow/2600/b1", "api:8080") + `POST /b2 HTTP/1.1\r\nHost: api:8080\r\nContent-Length: 10\r\n\r\n01234`);
      await sleep(100);
      c.s.write("56789");
      await until(() => statusLines(c.got()).length >= 2 || c.closed(), 5000);
      c.s.destroy();
      expect(statusLines(c.got())).toEqual(["HTTP/1.1 200 ", "HTTP/1.1 200 "]);
      expect(bodies(c.got())).toEqual(["api: GET /slow/2600/b1 0", "api: POST /b2 10"]);
    });

    test("HTTP/2.0 and HTTP/0.9 request lines (llhttp reads both) are answered as node:http answers them", async () => {
      const out2 = await exchange(out(), `GET /v20 HTTP/2.0\r\nHost: api:8080\r\n\r\n`);
      const out09 = await exchange(out(), `GET /v09 HTTP/0.9\r\nHost: api:8080\r\n\r\n`);
      parity("versions", { v20: [statusLines(out2.text), out2.closed], v09: [statusLines(out09.text), out09.closed] });
    });

    // ---------------------------------------------------------------------------------------------------
    // Pipelining: every answer to its own request, in order

    test("60 pipelined requests in one write (mixed methods, bodies, HEAD) get their own answers, in order", async () => {
      let bytes = "";
      const expected: string[] = [];
      for (let i = 0; i < 60; i++) {
        const kind = i % 4;
        if (kind === 0) {
          bytes += GET(`/pipe/${i}`, "api:8080");
          expected.push(`api: GET /pipe/${i} 0`);
        } else if (kind === 1) {
          const body = "b".repeat(i);
          bytes += `POST /pipe/${i} HTTP/1.1\r\nHost: api:8080\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
          expected.push(`api: POST /pipe/${i} ${i}`);
        } else if (kind === 2) {
          bytes += `PUT /pipe/${i} HTTP/1.1\r\nHost: api:8080\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n`;
          expected.push(`api: PUT /pipe/${i} 3`);
        } else if (i % 8 === 7) {
          bytes += `HEAD /pipe/${i} HTTP/1.1\r\nHost: api:8080\r\n\r\n`;
          expected.push("");
        } else {
          bytes += GET(`/slow/${(i * 7) % 30}/pipe/${i}`, "api:8080");
          expected.push(`api: GET /slow/${(i * 7) % 30}/pipe/${i} 0`);
        }
      }
      const c = await rawClient(out());
      c.s.write(bytes);
      await until(() => statusLines(c.got()).length >= 60, 10000);
      c.s.destroy();
      expect(bodies(c.got())).toEqual(expected);
      await noneInFlight();
    });

    // Known gap of the llhttp server (as of Envoy and nginx once their buffers are full): while a request waits
    // its turn (D3) the server reads no more (bounded memory: a few requests parsed ahead, not a read's worth),
    // so a reset behind 100 KB of pipelined requests is seen only when the answer before them is written; the
    // request in flight then runs to its answer (bounded by its timeouts and maxConnections). node:http reads
    // on and sees the reset at once. `fails` flips to a failure the day it is seen at once.
    (mode === "llhttp" ? test.fails : test)(
      "a client that pipelines 100 KB behind a slow request and resets: its request stops at once (leaves the in-flight count)",
      async () => {
        const c = await rawClient(out());
        // The slow answer comes 6 s after the request: a reset request that waited for it would take ~5.8 s to
        // leave. 2.5 s of margin for a loaded machine (node:http dispatches all 4,000 at once; 2.07 s seen once in a
        // full-suite run with a 2.5 s answer and a 1 s bound).
        c.s.write(GET("/slow/6000/abandoned", "api:8080") + GET("/x", "api:8080").repeat(4000));
        expect(await until(() => api.seen.some((s) => s.url === "/slow/6000/abandoned"))).toBe(true);
        await sleep(200);
        c.s.resetAndDestroy();
        const t0 = Date.now();
        const zero = await until(async () => (await inFlight(proxy, "outbound|")) === 0, 8000);
        expect(zero).toBe(true);
        expect(Date.now() - t0, "ms until the reset request left the in-flight count").toBeLessThan(2500);
      },
    );

    test("2,000 tiny pipelined requests in one write and a client that never reads: one at a time at the app (node:http: the whole read at once), and all leave the in-flight count", async () => {
      const before = api.seen.length;
      api.flood.peak = 0;
      const c = await rawClient(out());
      c.s.pause();
      c.s.write(Array.from({ length: 2000 }, (_, i) => GET(`/flood/${i}`, "api:8080")).join(""));
      await sleep(1500);
      const served = api.seen.length - before;
      console.log(`[${mode}] pipelined requests served while the client read nothing: ${served} of 2000`);
      c.s.destroy();
      // Requests dispatched while nothing is read: bounded by the socket buffers, not by the requests sent.
      expect(served).toBeGreaterThan(0);
      // At the app at once: one (handed on one at a time, D3); node:http dispatches the whole read at once (the
      // known gap of the fallback, as the parse-ahead case below).
      if (mode === "llhttp") expect(api.flood.peak).toBe(1);
      else expect(api.flood.peak).toBeGreaterThan(1);
      await noneInFlight();
    });

    // ---------------------------------------------------------------------------------------------------
    // Methods and the access decision

    test("methods reach the app as sent: QUERY, SOURCE, PROPFIND, M-SEARCH, PATCH", async () => {
      for (const m of ["QUERY", "SOURCE", "PROPFIND", "M-SEARCH", "PATCH"]) {
        const r = await exchange(out(), `${m} /method/${m} HTTP/1.1\r\nHost: api:8080\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
        expect(statusLines(r.text), m).toEqual(["HTTP/1.1 200 "]);
        expect(api.seen.find((s) => s.url === `/method/${m}`)?.method, m).toBe(m);
      }
    });

    test("an AccessPolicy that allows GET only refuses every other method, QUERY and SOURCE included (outbound and inbound)", async () => {
      const lockedIn = proxy.inboundPort("locked", "shop", locked.port);
      for (const [port, host] of [
        [out(), "locked:8080"],
        [lockedIn, "locked"],
      ] as const) {
        for (const m of ["QUERY", "SOURCE", "PROPFIND", "POST", "DELETE", "HEAD", "OPTIONS", "TRACE", "PURGE"]) {
          const r = await exchange(port, `${m} /lk/${m} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
          expect(statusLines(r.text)[0] ?? r.text, `${port} ${m}`).toBe("HTTP/1.1 403 ");
        }
        const ok = await exchange(port, `GET /lk/GET HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
        expect(statusLines(ok.text)).toEqual(["HTTP/1.1 200 "]);
      }
      expect(locked.seen.filter((s) => s.method !== "GET")).toEqual([]);
    });

    test("methods llhttp reads outside HTTP (lower-case, unknown tokens, RTSP methods) never reach the app as GET", async () => {
      for (const line of ["get /m1 HTTP/1.1", "FOO /m2 HTTP/1.1", "GETS /m3 HTTP/1.1", "DESCRIBE /m4 RTSP/1.0", "G\x00ET /m5 HTTP/1.1", "PRI /m6 HTTP/1.1"]) {
        const r = await exchange(out(), `${line}\r\nHost: locked:8080\r\nConnection: close\r\n\r\n`);
        expect(statusLines(r.text)[0] ?? "closed", line).not.toBe("HTTP/1.1 200 ");
      }
      expect(locked.seen.filter((s) => /^\/m\d/.test(s.url))).toEqual([]);
    });

    test("an RTSP method (which llhttp parses, outside http.METHODS) pipelined behind a request: that request's answer first, whole", async () => {
      for (const split of [false, true]) {
        const first = GET(`/slow/300/before-rtsp-${split}`, "api:8080");
        const rtsp = `DESCRIBE /rtsp-method RTSP/1.0\r\nCSeq: 1\r\n\r\n`;
        const r = await exchange(out(), split ? [first, rtsp] : first + rtsp, { gap: 100 });
        expect(statusLines(r.text)[0], `split ${split}`).toBe("HTTP/1.1 200 ");
        expect(bodies(r.text)[0], `split ${split}`).toBe(`api: GET /slow/300/before-rtsp-${split} 0`);
      }
      expect(api.seen.some((s) => s.url === "/rtsp-method")).toBe(false);
    });

    test("an RTSP-version request (`GET / RTSP/1.0`, which llhttp parses as 1.0) is answered as node:http answers it", async () => {
      const r = await exchange(out(), `GET /rtsp HTTP/1.1\r\nHost: api:8080\r\n\r\nGET /rtsp2 RTSP/1.0\r\nHost: api:8080\r\n\r\n`);
      expect(statusLines(r.text)[0]).toBe("HTTP/1.1 200 ");
      parity("rtsp", { answers: statusLines(r.text), served: api.seen.some((s) => s.url === "/rtsp2") });
    });

    // ---------------------------------------------------------------------------------------------------
    // Smuggling and desync: refused, and the probe behind never served

    const AMBIGUOUS: Record<string, string> = {
      "CL+TE": "Content-Length: 4\r\nTransfer-Encoding: chunked",
      "TE+CL": "Transfer-Encoding: chunked\r\nContent-Length: 4",
      "two CL": "Content-Length: 4\r\nContent-Length: 5",
      "CL list": "Content-Length: 4, 4",
      "CL signed": "Content-Length: +4",
      "CL hex": "Content-Length: 0x4",
      "CL spaces inside": "Content-Length: 4 4",
      "TE chunked twice": "Transfer-Encoding: chunked, chunked",
      "TE vtab": "Transfer-Encoding: \x0bchunked",
      "TE identity": "Transfer-Encoding: identity",
      "TE line twice": "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked",
      "obs-fold": "X-A: a\r\n b",
      "obs-fold TE": "Transfer-Encoding:\r\n chunked",
      "space before colon": "Content-Length : 4",
      "bare LF in header": "X-A: a\nContent-Length: 4",
      "bare CR in header": "X-A: a\rContent-Length: 4",
      "NUL in value": "X-A: a\x00b",
      "NUL in name": "X\x00A: b",
    };
    test("ambiguous framing is refused and the request behind it never served", async () => {
      for (const [what, lines] of Object.entries(AMBIGUOUS)) {
        const probe = `/probe-${what.replace(/\W+/g, "-")}`;
        const r = await exchange(out(), `POST /amb HTTP/1.1\r\nHost: api:8080\r\n${lines}\r\n\r\n0\r\n\r\n` + GET(probe, "api:8080"));
        const first = statusLines(r.text)[0];
        expect(first === "HTTP/1.1 400 " || first === "HTTP/1.1 501 " || first === undefined, `${what}: ${first}`).toBe(true);
        expect(
          api.seen.some((s) => s.url === probe),
          what,
        ).toBe(false);
      }
    });

    const CHUNKED: Record<string, string> = {
      "size overflow": "fffffffffffffffff1\r\na\r\n0\r\n\r\n",
      "size with sign": "+3\r\nabc\r\n0\r\n\r\n",
      "size 0x prefix": "0x3\r\nabc\r\n0\r\n\r\n",
      "size space": "3 \r\nabc\r\n0\r\n\r\n",
      "size bare LF": "3\nabc\r\n0\r\n\r\n",
      "data longer": "3\r\nabcd\r\n0\r\n\r\n",
      "ext unterminated quote": '3;a="b\r\nabc\r\n0\r\n\r\n',
      "ext bare LF in quote": '3;a="b\nc"\r\nabc\r\n0\r\n\r\n',
    };
    test("malformed chunked bodies are refused and the request behind never served", async () => {
      for (const [what, body] of Object.entries(CHUNKED)) {
        const probe = `/probe-${what.replace(/\W+/g, "-")}`;
        const r = await exchange(out(), `POST /chunk HTTP/1.1\r\nHost: api:8080\r\nTransfer-Encoding: chunked\r\n\r\n${body}` + GET(probe, "api:8080"));
        expect(statusLines(r.text)[0] === "HTTP/1.1 200 " ? "served" : "refused", what).toBe("refused");
        expect(
          api.seen.some((s) => s.url === probe),
          what,
        ).toBe(false);
      }
    });

    test("a quoted chunk extension is read as an extension: the body and the request behind are framed right", async () => {
      const r = await exchange(
        out(),
        `POST /ext HTTP/1.1\r\nHost: api:8080\r\nTransfer-Encoding: chunked\r\n\r\n3;a="x;y\\"0\r\n"\r\nabc\r\n0\r\n\r\n` +
          GET("/after-ext", "api:8080", "Connection: close\r\n"),
      );
      // Either refused whole, or both served with the right bodies; never a request made of the extension.
      if (statusLines(r.text)[0] === "HTTP/1.1 200 ") expect(bodies(r.text)).toEqual(["api: POST /ext 3", "api: GET /after-ext 0"]);
      expect(api.seen.filter((s) => s.url === "/ext").every((s) => s.body === "abc")).toBe(true);
    });

    test("trailers stay trailers: Host, X-Forwarded-For in trailers never become request headers; Content-Length / Transfer-Encoding in trailers are refused", async () => {
      for (const t of ["Content-Length: 5", "Transfer-Encoding: gzip"]) {
        const bad = await exchange(
          out(),
          `POST /trailers-bad HTTP/1.1\r\nHost: api:8080\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n${t}\r\n\r\n` +
            GET("/after-trailers-bad", "api:8080"),
        );
        expect(statusLines(bad.text), t).toEqual(["HTTP/1.1 400 "]);
      }
      expect(api.seen.some((s) => s.url === "/after-trailers-bad" || s.url === "/trailers-bad")).toBe(false);
      const r = await exchange(
        out(),
        `POST /trailers HTTP/1.1\r\nHost: api:8080\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n0\r\nHost: evil\r\nX-Trailer: t\r\nX-Forwarded-For: 6.6.6.6\r\n\r\n`,
      );
      expect(statusLines(r.text)).toEqual(["HTTP/1.1 200 "]);
      const s = api.seen.find((x) => x.url === "/trailers")!;
      expect(s.body).toBe("abc");
      expect(s.headers.host).not.toBe("evil");
      expect(s.headers["content-length"]).toBeUndefined();
      expect(s.headers["x-trailer"]).toBeUndefined();
      expect(s.headers["x-forwarded-for"] ?? "").not.toContain("6.6.6.6");
    });

    test("40 trailer lines (the parser flushes them by 32) stay trailers too", async () => {
      const trailers = Array.from({ length: 40 }, (_, i) => `X-T${i}: v${i}\r\n`).join("") + "Host: evil\r\n";
      const r = await exchange(
        out(),
        `POST /trailers40 HTTP/1.1\r\nHost: api:8080\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n0\r\n${trailers}\r\n`,
      );
      expect(statusLines(r.text)).toEqual(["HTTP/1.1 200 "]);
      const s = api.seen.find((x) => x.url === "/trailers40")!;
      expect(s.headers.host).not.toBe("evil");
      expect(Object.keys(s.headers).filter((k) => k.startsWith("x-t"))).toEqual([]);
    });

    test("a body on GET is framed by its Content-Length: the request behind is its own", async () => {
      const r = await exchange(
        out(),
        `GET /get-body HTTP/1.1\r\nHost: api:8080\r\nContent-Length: 5\r\n\r\nhello` + GET("/after-get-body", "api:8080", "Connection: close\r\n"),
      );
      expect(bodies(r.text)).toEqual(["api: GET /get-body 5", "api: GET /after-get-body 0"]);
    });

    test("a Content-Length longer than the body swallows what follows as body, never as a request", async () => {
      const smuggled = GET("/lying-cl-smuggled", "api:8080");
      const r = await exchange(
        out(),
        `POST /lying HTTP/1.1\r\nHost: api:8080\r\nContent-Length: ${5 + smuggled.length}\r\nConnection: close\r\n\r\nhello${smuggled}`,
      );
      expect(bodies(r.text)).toEqual([`api: POST /lying ${5 + smuggled.length}`]);
      expect(api.seen.some((s) => s.url === "/lying-cl-smuggled")).toBe(false);
    });

    test("a POST refused by access control before its body is read: the body is skipped, the request behind it is its own", async () => {
      const smuggled = GET("/denied-smuggled", "api:8080");
      const r = await exchange(
        out(),
        `POST /denied HTTP/1.1\r\nHost: locked:8080\r\nContent-Length: ${smuggled.length}\r\n\r\n${smuggled}` +
          GET("/after-denied", "api:8080", "Connection: close\r\n"),
      );
      expect(statusLines(r.text)).toEqual(["HTTP/1.1 403 ", "HTTP/1.1 200 "]);
      expect(bodies(r.text)[1]).toBe("api: GET /after-denied 0");
      expect(api.seen.some((s) => s.url === "/denied-smuggled")).toBe(false);
    });

    test("request-line oddities are refused or kept as they are, never split into two requests", async () => {
      for (const [what, line] of Object.entries({
        "tab in target": "GET /a\tb HTTP/1.1",
        "two spaces": "GET  /a HTTP/1.1",
        "space in target": "GET /a b HTTP/1.1",
        "HTTP/1.2": "GET /a HTTP/1.2",
        "HTTP/3.0": "GET /a HTTP/3.0",
        "no version": "GET /a",
        "lower version": "GET /a http/1.1",
      })) {
        const r = await exchange(
          out(),
          `${line}\r\nHost: api:8080\r\n\r\n` + GET(`/probe-line-${what.replace(/\W+/g, "-")}`, "api:8080", "Connection: close\r\n"),
        );
        const served = api.seen.some((s) => s.url === `/probe-line-${what.replace(/\W+/g, "-")}`);
        // A refused line closes the connection: the probe is never served after a refusal.
        if (statusLines(r.text)[0] !== "HTTP/1.1 200 ") expect(served, what).toBe(false);
      }
      const long = await exchange(out(), `GET /${"a".repeat(20000)} HTTP/1.1\r\nHost: api:8080\r\n\r\n`);
      expect(statusLines(long.text)[0]).toBe("HTTP/1.1 431 ");
    });

    test("absolute-form and asterisk targets go through the listener's checks in both modes", async () => {
      const abs = await exchange(out(), `GET http://api:8080/abs HTTP/1.1\r\nHost: api:8080\r\nConnection: close\r\n\r\n`);
      expect(statusLines(abs.text)[0]).toBe("HTTP/1.1 200 ");
      const userinfo = await exchange(out(), `GET http://u@api:8080/abs HTTP/1.1\r\nHost: api:8080\r\nConnection: close\r\n\r\n`);
      expect(statusLines(userinfo.text)[0]).toBe("HTTP/1.1 400 ");
      const mismatch = await exchange(out(), `GET http://locked:8080/abs2 HTTP/1.1\r\nHost: api:8080\r\nConnection: close\r\n\r\n`);
      // Whatever it is routed to, the two modes agree and the app at the authority is the one asked.
      expect(api.seen.some((s) => s.url.endsWith("/abs2"))).toBe(false);
      void mismatch;
    });

    // ---------------------------------------------------------------------------------------------------
    // Header assembly across the parser's 32-line flushes

    test("a second Host line past the 32nd header line is refused (400), the first is not silently kept", async () => {
      const pad = Array.from({ length: 40 }, (_, i) => `X-P${i}: ${i}\r\n`).join("");
      const r = await exchange(out(), `GET /hosts HTTP/1.1\r\nHost: api:8080\r\n${pad}Host: locked:8080\r\nConnection: close\r\n\r\n`);
      expect(statusLines(r.text)[0]).toBe("HTTP/1.1 400 ");
      expect(api.seen.some((s) => s.url === "/hosts") || locked.seen.some((s) => s.url === "/hosts")).toBe(false);
    });

    test("70 header lines and a URL, each split across reads, arrive whole; Host after line 64 counts", async () => {
      const pad = Array.from({ length: 70 }, (_, i) => `X-P${i}: v${i}\r\n`).join("");
      const full = `GET /split/${"u".repeat(300)}?q=1 HTTP/1.1\r\n${pad}Host: api:8080\r\nConnection: close\r\n\r\n`;
      const parts: string[] = [];
      for (let i = 0; i < full.length; i += 97) parts.push(full.slice(i, i + 97));
      const r = await exchange(out(), parts, { gap: 5, ms: 5000 });
      expect(statusLines(r.text)).toEqual(["HTTP/1.1 200 "]);
      const s = api.seen.find((x) => x.url.startsWith("/split/"))!;
      expect(s.url).toBe(`/split/${"u".repeat(300)}?q=1`);
      for (let i = 0; i < 70; i++) expect(s.headers[`x-p${i}`], `x-p${i}`).toBe(`v${i}`);
    });

    test("headers named __proto__, constructor, hasOwnProperty do not break the request or the process", async () => {
      const r = await exchange(
        out(),
        `GET /proto HTTP/1.1\r\nHost: api:8080\r\n__proto__: x\r\nconstructor: y\r\nhasOwnProperty: z\r\ntoString: w\r\nConnection: close\r\n\r\n`,
      );
      expect(statusLines(r.text)).toEqual(["HTTP/1.1 200 "]);
      const again = await exchange(out(), GET("/after-proto", "api:8080", "Connection: close\r\n"));
      expect(statusLines(again.text)).toEqual(["HTTP/1.1 200 "]);
    });

    // ---------------------------------------------------------------------------------------------------
    // Connection management

    test("HTTP/1.0 with keep-alive: two requests answered on one connection", async () => {
      const r = await exchange(
        out(),
        [`GET /h10a HTTP/1.0\r\nHost: api:8080\r\nConnection: keep-alive\r\n\r\n`, `GET /h10b HTTP/1.0\r\nHost: api:8080\r\n\r\n`],
        { gap: 200 },
      );
      expect(bodies(r.text)).toEqual(["api: GET /h10a 0", "api: GET /h10b 0"]);
    });

    test("upgrade requests: WebSocket 403 and closed; h2c served and closed; nothing behind either served", async () => {
      const ws = await exchange(
        out(),
        GET("/ws", "api:8080", "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n") +
          GET("/after-ws", "api:8080"),
      );
      expect(statusLines(ws.text)).toEqual(["HTTP/1.1 403 "]);
      expect(ws.closed).toBe(true);
      const h2c = await exchange(
        out(),
        GET("/h2c", "api:8080", "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n") +
          GET("/after-h2c", "api:8080"),
      );
      expect(statusLines(h2c.text)).toEqual(["HTTP/1.1 200 "]);
      expect(h2c.closed).toBe(true);
      const body = await exchange(
        out(),
        `POST /up-body HTTP/1.1\r\nHost: api:8080\r\nConnection: upgrade\r\nUpgrade: h2c\r\nContent-Length: 3\r\n\r\nabc` + GET("/after-up-body", "api:8080"),
      );
      expect(statusLines(body.text)[0]).toBe("HTTP/1.1 200 ");
      expect(api.seen.filter((s) => s.url.startsWith("/after-"))).toEqual(
        api.seen.filter((s) => s.url.startsWith("/after-") && !/after-(ws|h2c|up-body)/.test(s.url)),
      );
    });

    test("llhttp's upgrade flag and the listener's agree: odd Connection lists do not drop the request behind", async () => {
      for (const [what, conn] of Object.entries({ "space-separated": "keep-alive upgrade", tab: "upgrade\t", trailing: "upgrade,", caps: "UPGRADE" })) {
        const probe = `/after-conn-${what}`;
        const r = await exchange(
          out(),
          GET(`/conn-${what}`, "api:8080", `Connection: ${conn}\r\nUpgrade: h2c\r\n`) + GET(probe, "api:8080", "Connection: close\r\n"),
          { ms: 2500 },
        );
        const n = statusLines(r.text).length;
        // Either the first closes the connection (one answer), or both are answered in order: never a silent drop.
        if (n === 2) expect(bodies(r.text)).toEqual([`api: GET /conn-${what} 0`, `api: GET ${probe} 0`]);
        else {
          expect(n, what).toBe(1);
          expect(r.closed, `${what}: one answer, then the connection must close (not hang with the request behind dropped)`).toBe(true);
        }
      }
    });

    test("CONNECT gets 403 and the connection closes; nothing behind it is served", async () => {
      const r = await exchange(out(), `CONNECT api:8080 HTTP/1.1\r\nHost: api:8080\r\n\r\n` + GET("/after-connect", "api:8080"));
      expect(statusLines(r.text)).toEqual(["HTTP/1.1 403 "]);
      expect(r.closed).toBe(true);
      expect(api.seen.some((s) => s.url === "/after-connect")).toBe(false);
    });

    test("the HTTP/2 preface on an HTTP/1.1 port, and a broken one, do not reach the app", async () => {
      const r = await exchange(out(), "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
      expect(r.text.startsWith("HTTP/1.1 200")).toBe(false);
      const broken = await exchange(out(), "PRI * HTTP/2.0\r\nHost: api:8080\r\n\r\n" + GET("/after-pri", "api:8080"));
      expect(broken.text.startsWith("HTTP/1.1 200")).toBe(false);
      expect(api.seen.some((s) => s.url === "/after-pri")).toBe(false);
    });

    test("`Connection: close`, then more bytes: one answer, then the close", async () => {
      const r = await exchange(out(), GET("/close-first", "api:8080", "Connection: close\r\n") + GET("/close-after", "api:8080") + "garbage\r\n\r\n");
      expect(statusLines(r.text)).toEqual(["HTTP/1.1 200 "]);
      expect(r.closed).toBe(true);
      expect(api.seen.some((s) => s.url === "/close-after")).toBe(false);
    });

    test("Expect: 100-continue pipelined behind a slow request: 100 only in its turn, both answered in order", async () => {
      const r = await exchange(
        out(),
        [
          GET("/slow/300/e1", "api:8080") + `POST /e2 HTTP/1.1\r\nHost: api:8080\r\nExpect: 100-continue\r\nContent-Length: 3\r\nConnection: close\r\n\r\n`,
          "abc",
        ],
        { gap: 600, ms: 4000 },
      );
      expect(r.text.indexOf("api: GET /slow/300/e1")).toBeLessThan(r.text.indexOf("HTTP/1.1 100 Continue"));
      expect(bodies(r.text.replace("HTTP/1.1 100 Continue\r\n\r\n", ""))).toEqual(["api: GET /slow/300/e1 0", "api: POST /e2 3"]);
    });

    test("half-close after a request: node:http's behaviour (the answer when it was ready), and nothing stays in flight", async () => {
      const fast = await exchange(out(), GET("/fin-fast", "api:8080"), { end: true, ms: 3000 });
      const slow = await exchange(out(), GET("/slow/300/fin-slow", "api:8080"), { end: true, ms: 3000 });
      expect(fast.closed && slow.closed).toBe(true);
      parity("half-close", { fast: statusLines(fast.text), slow: statusLines(slow.text) });
      await noneInFlight();
    });

    test("a client reset in the middle of a body, and in the middle of an answer: nothing stays in flight, the next connection is served", async () => {
      const c = await rawClient(out());
      c.s.write(`POST /reset-body HTTP/1.1\r\nHost: api:8080\r\nContent-Length: 1000\r\n\r\n${"a".repeat(300)}`);
      await sleep(100);
      c.s.resetAndDestroy();
      const d = await rawClient(out());
      d.s.write(GET("/big/3000000", "api:8080"));
      await until(() => d.got().length > 100_000);
      d.s.resetAndDestroy();
      const e = await exchange(out(), GET("/after-reset", "api:8080", "Connection: close\r\n"));
      expect(statusLines(e.text)).toEqual(["HTTP/1.1 200 "]);
      await noneInFlight();
    });

    test("an invalid header value from the app (writeHead throws) costs that request only: other connections and the process go on", async () => {
      const bad = await exchange(out(), GET("/bad-value", "api:8080", "Connection: close\r\n"));
      expect(statusLines(bad.text)[0] ?? "closed").not.toBe("HTTP/1.1 200 ");
      const ok = await exchange(out(), GET("/after-bad", "api:8080", "Connection: close\r\n"));
      expect(statusLines(ok.text)).toEqual(["HTTP/1.1 200 "]);
      await noneInFlight();
    });

    test("100 connections that open and send a partial head are all closed by headersTimeout (408), not kept", async () => {
      const cs = await Promise.all(Array.from({ length: 100 }, () => rawClient(out())));
      for (const c of cs) c.s.write("GET /idle HTTP/1.1\r\n");
      expect(await until(() => cs.every((c) => c.closed()), LIMITS.headersTimeoutMs + 3000)).toBe(true);
      for (const c of cs) c.s.destroy();
    });

    test("a chunked body that breaks after its head was handed on: node's 400 (or a close), the app never gets it, nothing in flight", async () => {
      const r = await exchange(
        out(),
        [
          `POST /slow/300/body-breaks HTTP/1.1\r\nHost: api:8080\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n`,
          "zz\r\nabc\r\n0\r\n\r\n" + GET("/after-body-breaks", "api:8080"),
        ],
        { gap: 150 },
      );
      expect(r.closed).toBe(true);
      expect(statusLines(r.text).filter((l) => l !== "HTTP/1.1 400 ")).toEqual([]);
      parity("body-breaks", statusLines(r.text));
      expect(api.seen.some((s) => s.url.includes("body-breaks"))).toBe(false);
      await noneInFlight();
    });

    for (const framing of ["content-length", "chunked"] as const)
      test(`a 48 MB request body (${framing}) to an app that does not read for 1.5 s: the proxy stops reading (back-pressure), it does not buffer it`, async () => {
        const c = await rawClient(out());
        const mb = 1024 * 1024;
        c.s.write(
          `POST /hold/1500/sink-${framing} HTTP/1.1\r\nHost: api:8080\r\n${framing === "chunked" ? "Transfer-Encoding: chunked" : `Content-Length: ${48 * mb}`}\r\nConnection: close\r\n\r\n`,
        );
        const data = Buffer.alloc(mb, "s");
        const chunk = framing === "chunked" ? Buffer.concat([Buffer.from(`${mb.toString(16)}\r\n`), data, Buffer.from("\r\n")]) : data;
        let written = 0;
        const pump = () => {
          while (written < 48 && !c.closed()) {
            written++;
            if (!c.s.write(chunk)) {
              c.s.once("drain", pump);
              return;
            }
          }
        };
        pump();
        await sleep(1000);
        // What the client could hand over in a second while the app read nothing: only the socket buffers on the
        // way may hold it when the proxy applies back-pressure.
        const accepted = c.s.bytesWritten - c.s.writableLength;
        c.s.destroy();
        console.log(`[${mode}] request body (${framing}) accepted in 1 s while the app read nothing: ${accepted} bytes`);
        expect(accepted).toBeLessThan(24 * mb);
        await noneInFlight();
      });

    test("after every attack above: nothing in flight, drain has nothing to wait for", async () => {
      await noneInFlight();
    });
  });
}

/**
 * Parse-ahead (D3 of docs/design/h1-listener.md: "parse-ahead bounded by one read and paused reads"): a
 * client pipelines a read's worth of tiny requests (64 KiB: ~2,400 of them) behind one the server has not
 * answered. What the server holds for it (handed on: node:http; parsed and queued: llhttp) should stay at a
 * few requests, as Envoy and nginx (which parse the next request only once an answer is done) keep it: the
 * raw bytes wait in the socket. Each held request is an IncomingMessage (~0.8 KB of heap measured for 50
 * such connections: +95 MB), about 30 times the bytes the client sent.
 */
for (const mode of ["node", "llhttp"] as const) {
  // Known gap of node:http (kept as the fallback): it hands every request of a read to the app at once (some
  // 2,400 per 64 KiB read). `fails` flips to a failure the day it is bounded.
  (mode === "node" ? test.fails : test)(`parse-ahead per connection is bounded, not a read's worth of requests (listener on ${mode})`, async () => {
    const { Listener } = await import("../../src/proxy/net/listener.js");
    const { DEFAULT_LIMITS } = await import("../../src/proxy/config/compile.js");
    const before = process.env.UNIMESH_H1_SERVER;
    if (mode === "llhttp") process.env.UNIMESH_H1_SERVER = "llhttp";
    else process.env.UNIMESH_H1_SERVER = "node";
    let dispatched = 0;
    const held: http.ServerResponse[] = [];
    type Handler = ConstructorParameters<typeof Listener>[2];
    let listener: InstanceType<typeof Listener>;
    try {
      listener = new Listener("parse-ahead", { ...DEFAULT_LIMITS }, ((req: http.IncomingMessage, res: http.ServerResponse) => {
        dispatched++;
        held.push(res);
        req.resume();
      }) as unknown as Handler);
    } finally {
      if (before === undefined) delete process.env.UNIMESH_H1_SERVER;
      else process.env.UNIMESH_H1_SERVER = before;
    }
    const port = await listener.listen("127.0.0.1", 0);
    const one = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    const c = await rawClient(port);
    c.s.write(one.repeat(Math.floor(65536 / one.length)));
    await sleep(500);
    const h1 = (listener as unknown as { h1?: { plain: { conns: Set<{ queue: unknown[] }> } } }).h1;
    const queued = h1 ? [...h1.plain.conns].reduce((n, x) => n + x.queue.length, 0) : 0;
    c.s.destroy();
    for (const r of held) r.destroy();
    await listener.drain(100);
    expect({ handedOn: dispatched, queued, held: dispatched + queued <= 64 }).toEqual({ handedOn: expect.any(Number), queued: expect.any(Number), held: true });
  });
}
