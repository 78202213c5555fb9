// The few lines a demo service needs to call other services through its unimesh outbound listener:
// the listener's URL is in HTTP_PROXY (set by `unimesh up`); the destination goes in the request line
// (`GET http://reviews:9080/reviews/0`), as any HTTP client using a proxy does. No TLS, no retries,
// no service discovery in the app: the mesh does those.
import http from "node:http";

const proxy = new URL(process.env.HTTP_PROXY ?? "http://127.0.0.1:15001");
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
// An outbound listener with a token (registry `outbound.token`) wants it as proxy credentials, which
// `unimesh up` puts in HTTP_PROXY (`http://unimesh:<token>@127.0.0.1:<port>`), as curl or Go would send them.
const auth = proxy.password
  ? { "proxy-authorization": `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString("base64")}` }
  : {};

/** Headers a Bookinfo service passes on (the test user, and the request id for tracing). */
export const PROPAGATE = ["end-user", "x-request-id"];

/** GET http://<service><path> through the mesh; resolves with {status, body}. */
export function get(url, incoming = {}) {
  const headers = { ...auth, ...Object.fromEntries(PROPAGATE.filter((h) => incoming[h]).map((h) => [h, incoming[h]])) };
  return new Promise((resolve) => {
    const req = http.get({ host: proxy.hostname, port: proxy.port, path: url, headers, agent }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode, body }));
    });
    req.on("error", (e) => resolve({ status: 503, body: `unreachable: ${e.message}` }));
  });
}

/** Starts a JSON service on $PORT; `handler(req, url)` returns a value or a promise of one. */
export function serve(name, handler) {
  const port = Number(process.env.PORT ?? 9080);
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, "http://local");
    try {
      const { status = 200, body } = await handler(req, url);
      const text = typeof body === "string" ? body : JSON.stringify(body, null, 2) + "\n";
      res.writeHead(status, { "content-type": typeof body === "string" ? "text/plain; charset=utf-8" : "application/json" });
      res.end(text);
    } catch (e) {
      res.writeHead(500, { "content-type": "text/plain" }).end(`${name}: ${e.message}\n`);
    }
  });
  server.listen(port, "127.0.0.1", () => console.log(`${name} listening on 127.0.0.1:${port}`));
  process.on("SIGTERM", () => server.close(() => process.exit(0)));
}
