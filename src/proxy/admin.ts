/**
 * The admin listener: GET /metrics (Prometheus), /healthz (live), /ready (503 until every listener is
 * bound and every certificate issued, and while draining), /config (the running ProxyConfig as JSON),
 * /listeners (bound ports by listener key), /clusters (per calling listener: admission and outlier
 * state), /certs (identities, serials, expiry); POST /reload (re-reads the configuration), POST
 * /quitquitquit (drains and stops).
 *
 * It is an attack surface for every web page the operator's browser opens, so:
 * - it answers only a loopback `Host` (`localhost`, `127.0.0.1`, `[::1]`, or the admin address when it
 *   is an IP literal), with no port or the admin port: a DNS-rebinding page (`Host: evil.example`) gets
 *   421 and reads neither configuration nor certificates;
 * - a state change (POST) must not look like a browser's cross-origin "simple" request: requests with
 *   an `Origin` header, a `Sec-Fetch-Site` other than `none`, or a form-like `Content-Type`
 *   (`text/plain`, `application/x-www-form-urlencoded`, `multipart/form-data`) get 403. `curl -X POST`
 *   (no body) or a JSON body (`-H 'content-type: application/json'`) are fine.
 */
import type { Req, Res } from "./net/listener.js";
import { writeHead } from "./net/http.js";

/** What the admin pages read. */
export interface AdminSource {
  metrics(): string;
  ready(): boolean;
  config(): unknown;
  listeners(): Record<string, { address: string; port: number; kind: string }>;
  clusters(): unknown;
  certs(): unknown;
  reload(): Promise<{ ok: boolean; diagnostics: unknown[] }>;
  quit(): void;
  /** The admin listener's configured address and bound port (the `Host` values it answers). */
  bound(): { address: string; port: number };
}

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);
const SIMPLE_TYPES = ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"];

/** True when `Host` names this admin listener by a name no DNS rebinding can point elsewhere. */
export function adminHostAllowed(host: string | undefined, bound: { address: string; port: number }): boolean {
  if (!host) return false;
  const m = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(host.toLowerCase());
  if (!m) return false;
  if (m[2] !== undefined && Number(m[2]) !== bound.port) return false;
  const name = m[1];
  if (LOOPBACK.has(name)) return true;
  // The configured address itself, when it is an IP literal (no name to rebind).
  const addr = bound.address.includes(":") ? `[${bound.address}]` : bound.address;
  return name === addr && /^(\d+\.\d+\.\d+\.\d+|\[[0-9a-f:.]+\])$/.test(name) && name !== "0.0.0.0" && name !== "[::]";
}

/** Why a state-changing request looks like a browser's cross-origin request (undefined: it does not). */
export function crossOriginMutation(h: import("node:http").IncomingHttpHeaders): string | undefined {
  if (h.origin !== undefined) return "a request with an Origin header (sent by browsers)";
  const site = h["sec-fetch-site"];
  if (site !== undefined && site !== "none") return `Sec-Fetch-Site: ${String(site)}`;
  const ct = String(h["content-type"] ?? "")
    .split(";")[0]
    .trim()
    .toLowerCase();
  if (SIMPLE_TYPES.includes(ct)) return `Content-Type: ${ct} (a form or a simple cross-origin request); send no body or application/json`;
  return undefined;
}

function send(res: Res, status: number, body: string, type = "application/json"): void {
  const b = Buffer.from(body);
  writeHead(res, status, { "content-type": type, "content-length": String(b.length) });
  (res as unknown as import("node:http").ServerResponse).end(b);
}

/** The admin request handler. */
export function adminHandler(src: AdminSource): (req: Req, res: Res) => void {
  return (req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const json = (v: unknown, status = 200) => send(res, status, JSON.stringify(v, null, 2) + "\n");
    const host = (req.headers[":authority"] as string | undefined) ?? req.headers.host;
    const b = src.bound();
    if (!adminHostAllowed(host, { address: b.address, port: req.socket?.localPort ?? b.port })) {
      send(res, 421, `the admin port answers only loopback Host names (localhost, 127.0.0.1, [::1]), not ${JSON.stringify(host ?? "")}\n`, "text/plain");
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      const why = crossOriginMutation(req.headers);
      if (why) {
        send(res, 403, `state changes on the admin port are refused from ${why}\n`, "text/plain");
        return;
      }
    }
    if (req.method === "POST" && path === "/reload") {
      src.reload().then(
        (r) => json(r, r.ok ? 200 : 400),
        (e) => json({ ok: false, error: String(e) }, 500),
      );
      return;
    }
    if (req.method === "POST" && path === "/quitquitquit") {
      send(res, 200, "shutting down\n", "text/plain");
      res.once("finish", () => src.quit());
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      send(res, 405, "method not allowed\n", "text/plain");
      return;
    }
    switch (path) {
      case "/metrics":
        send(res, 200, src.metrics(), "text/plain; version=0.0.4; charset=utf-8");
        return;
      case "/healthz":
        send(res, 200, "ok\n", "text/plain");
        return;
      case "/ready": {
        const ok = src.ready();
        send(res, ok ? 200 : 503, ok ? "ready\n" : "not ready\n", "text/plain");
        return;
      }
      case "/config":
        json(src.config());
        return;
      case "/listeners":
        json(src.listeners());
        return;
      case "/clusters":
        json(src.clusters());
        return;
      case "/certs":
        json(src.certs());
        return;
      default:
        send(res, 404, "GET /metrics /healthz /ready /config /listeners /clusters /certs, POST /reload /quitquitquit\n", "text/plain");
    }
  };
}
