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
// Streaming both ways (undici's dispatch handler, no buffering), hop-by-hop headers dropped.
import http from "node:http";
import https from "node:https";
import tls from "node:tls";
import { readFileSync } from "node:fs";
import { join } from "node:path";
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

const toApp = hop(new Pool(`http://127.0.0.1:${upstream}`, { connections: 256 }));
if (twoHop < 0) {
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
