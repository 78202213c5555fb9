// Node's own floor, for the proxy benchmark: the least a reverse proxy built on the same parts as
// unimesh's built-in proxy (node:http to accept, undici to forward, node:tls) does per request, with no
// policy at all: no route table, access control, metrics, logs, retries or timeouts. What unimesh costs
// above it is its own; what it costs above nginx and below this is Node's.
// Usage: node bench/proxy-floor.mjs <listen port> <upstream port>
//   one plaintext hop (the floor of `colocatedHops: inline`);
//   node bench/proxy-floor.mjs <listen port> <upstream port> --two-hop <certs dir>
//   two hops in this one process (the floor of the default mode's two listeners): hop 1 (plaintext, on
//   the listen port) forwards over TLS with a client certificate to hop 2 (a free port), which requires
//   and verifies it and forwards to the upstream. Keep-alive pools on both sides.
//   node bench/proxy-floor.mjs <listen port> <upstream port> --hop-protocol <certs dir>
//   the same two hops, but between them unimesh's hop protocol (dist/proxy/net/hop.ts: many requests on
//   one mutual-TLS connection, the frames of a run of busy event-loop turns in one TLS write), exactly the classes
//   the default mode uses (HopClient, HopServerConnection), with no policy on either side: the floor of
//   the default mode's architecture, and what its policy work costs above it.
//   ... --h1pool (with any of the above): the app is reached through unimesh's own HTTP/1.1 client on
//   Node's parser (dist/proxy/upstream/h1pool.js, what the proxy uses for a plaintext app) instead of
//   undici's Pool: the floor of today's parts.
// Streaming both ways (undici's dispatch handler, no buffering), hop-by-hop headers dropped.
import http from "node:http";
import https from "node:https";
import tls from "node:tls";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Pool } from "undici";

const [listen, upstream] = process.argv.slice(2).map(Number);
const twoHop = process.argv.indexOf("--two-hop");
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer"]);

function hop(pool) {
  return (req, res) => {
    const headers = {};
    for (const k in req.headers) if (!HOP_BY_HOP.has(k)) headers[k] = req.headers[k];
    const hasBody = req.headers["content-length"] !== undefined || req.headers["transfer-encoding"] !== undefined;
    pool.dispatch(
      { path: req.url, method: req.method, headers, body: hasBody ? req : null },
      {
        onRequestStart() {},
        onResponseStart(_c, status, h) {
          const out = {};
          for (const k in h) if (!HOP_BY_HOP.has(k)) out[k] = h[k];
          res.writeHead(status, out);
        },
        onResponseData(c, chunk) {
          // Back-pressure: a client that does not read pauses the upstream response.
          if (!res.write(chunk)) {
            c.pause();
            res.once("drain", () => c.resume());
          }
        },
        onResponseEnd() {
          res.end();
        },
        onResponseError(_c, err) {
          if (process.env.DEBUG) console.error(err);
          if (!res.headersSent) res.writeHead(502);
          res.end();
        },
      },
    );
  };
}

const appPool = process.argv.includes("--h1pool")
  ? new (await import(join(dirname(fileURLToPath(import.meta.url)), "../dist/proxy/upstream/h1pool.js"))).H1Pool("127.0.0.1", upstream)
  : new Pool(`http://127.0.0.1:${upstream}`, { connections: 256 });
const toApp = hop(appPool);
const hopProtocol = process.argv.indexOf("--hop-protocol");
if (hopProtocol >= 0) {
  const dir = process.argv[hopProtocol + 1];
  const f = (n) => readFileSync(join(dir, n));
  const dist = join(dirname(fileURLToPath(import.meta.url)), "../dist/proxy");
  const { HOP_ALPN } = await import(join(dist, "net/hop.js"));
  const { HopServerConnection } = await import(join(dist, "net/hopServer.js"));
  const { HopClient } = await import(join(dist, "upstream/hopClient.js"));
  // Hop 2: the hop server's streams go straight to the app's pool (no access control, no metrics).
  const limits = { maxStreams: 128, maxHeaderBytes: 16384, keepAliveMs: 60_000, requestTimeoutMs: 30_000, frameTimeoutMs: 10_000 };
  const hop2 = tls.createServer(
    { key: f("server.key"), cert: f("server.crt"), ca: f("ca.crt"), requestCert: true, rejectUnauthorized: true, ALPNProtocols: [HOP_ALPN] },
    (s) => {
      s.setNoDelay(true);
      new HopServerConnection(s, { ...limits, dispatcher: appPool, streamStarted: () => () => {} }, () => [502, "upstream failed", "UF"]);
    },
  );
  hop2.listen(0, "127.0.0.1", () => {
    const client = new HopClient(
      {
        address: "127.0.0.1",
        port: hop2.address().port,
        cert: { secureContext: tls.createSecureContext({ key: f("client.key"), cert: f("client.crt"), ca: f("ca.crt") }) },
        expectServer: "spiffe://cluster.local/ns/bookinfo/sa/bookinfo-reviews",
      },
      () => {
        throw new Error("hop 2 did not choose the hop protocol");
      },
    );
    http.createServer(hop(client)).listen(listen, "127.0.0.1", () => console.log("ready"));
  });
} else if (twoHop < 0) {
  http.createServer(toApp).listen(listen, "127.0.0.1", () => console.log("ready"));
} else {
  const dir = process.argv[twoHop + 1];
  const f = (n) => readFileSync(join(dir, n));
  const hop2 = https.createServer({ key: f("server.key"), cert: f("server.crt"), ca: f("ca.crt"), requestCert: true, rejectUnauthorized: true }, toApp);
  hop2.listen(0, "127.0.0.1", () => {
    const pool = new Pool(`https://127.0.0.1:${hop2.address().port}`, {
      connections: 256,
      connect: {
        key: f("client.key"),
        cert: f("client.crt"),
        ca: f("ca.crt"),
        // The server's name, as nginx's proxy_ssl_name (the Host header names the service, not hop 2).
        servername: "reviews.bookinfo",
        checkServerIdentity: (_host, cert) => tls.checkServerIdentity("reviews.bookinfo", cert),
      },
    });
    http.createServer(hop(pool)).listen(listen, "127.0.0.1", () => console.log("ready"));
  });
}
