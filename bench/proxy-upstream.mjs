// A minimal keep-alive HTTP upstream for the proxy benchmark when nginx is not installed.
// Usage: node bench/proxy-upstream.mjs <port>...
import http from "node:http";

const body = Buffer.from("reviews: a tiny answer of about sixty-four bytes for the benchmark\n");
for (const port of process.argv.slice(2).map(Number)) {
  const s = http.createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/plain", "content-length": body.length });
    res.end(body);
  });
  s.keepAliveTimeout = 60_000;
  s.listen(port, "127.0.0.1");
}
console.log("ready");
