// The http-proxy npm package as a reverse proxy with keep-alive agents, for the proxy benchmark.
// Usage: node bench/proxy-httpproxy.mjs <listen port> <upstream port>
//   one plaintext hop;
//   node bench/proxy-httpproxy.mjs <listen port> <upstream port> --two-hop <certs dir>
//   two hops in this one process, like unimesh's default mode: hop 1 (plaintext, on the listen port)
//   proxies over TLS with a client certificate to hop 2 (a free port), which requires and verifies the
//   client certificate and proxies to the upstream. Keep-alive agents on both sides (TLS sessions are
//   reused by Node's https agent).
import http from "node:http";
import https from "node:https";
import tls from "node:tls";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import httpProxy from "http-proxy";

const [listen, upstream] = process.argv.slice(2).map(Number);
const twoHop = process.argv.indexOf("--two-hop");
const fail = (e, _req, res) => {
  if (process.env.DEBUG) console.error(e);
  res.writeHead?.(502);
  res.end();
};

function hop(target, agent) {
  const proxy = httpProxy.createProxyServer({ target, agent, secure: true });
  proxy.on("error", fail);
  return (req, res) => proxy.web(req, res);
}

const toApp = hop(`http://127.0.0.1:${upstream}`, new http.Agent({ keepAlive: true, maxSockets: 256 }));
if (twoHop < 0) {
  http.createServer(toApp).listen(listen, "127.0.0.1", () => console.log("ready"));
} else {
  const dir = process.argv[twoHop + 1];
  const f = (n) => readFileSync(join(dir, n));
  const hop2 = https.createServer({ key: f("server.key"), cert: f("server.crt"), ca: f("ca.crt"), requestCert: true, rejectUnauthorized: true }, toApp);
  hop2.listen(0, "127.0.0.1", () => {
    const agent = new https.Agent({
      keepAlive: true,
      maxSockets: 256,
      key: f("client.key"),
      cert: f("client.crt"),
      ca: f("ca.crt"),
      // The server's name, as nginx's proxy_ssl_name (the Host header names the service, not hop 2).
      checkServerIdentity: (_host, cert) => tls.checkServerIdentity("reviews.bookinfo", cert),
    });
    const toHop2 = hop(`https://127.0.0.1:${hop2.address().port}`, agent);
    http.createServer(toHop2).listen(listen, "127.0.0.1", () => console.log("ready"));
  });
}
