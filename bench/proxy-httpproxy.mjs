// The http-proxy npm package as a reverse proxy with a keep-alive agent, for the proxy benchmark.
// Usage: node bench/proxy-httpproxy.mjs <listen port> <upstream port>
import http from "node:http";
import httpProxy from "http-proxy";

const [listen, upstream] = process.argv.slice(2).map(Number);
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const proxy = httpProxy.createProxyServer({ target: `http://127.0.0.1:${upstream}`, agent });
proxy.on("error", (_e, _req, res) => { res.writeHead?.(502); res.end(); });
http.createServer((req, res) => proxy.web(req, res)).listen(listen, "127.0.0.1", () => console.log("ready"));
