/**
 * The admin listener: GET /metrics (Prometheus), /healthz (live), /ready (503 until every listener is
 * bound and every certificate issued, and while draining), /config (the running ProxyConfig as JSON),
 * /listeners (bound ports by listener key), /clusters (per calling listener: admission and outlier
 * state), /certs (identities, serials, expiry); POST /reload (re-reads the configuration).
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
    if (req.method === "POST" && path === "/reload") {
      src.reload().then((r) => json(r, r.ok ? 200 : 400), (e) => json({ ok: false, error: String(e) }, 500));
      return;
    }
    if (req.method === "POST" && path === "/quitquitquit") {
      send(res, 200, "shutting down\n", "text/plain");
      res.once("finish", () => src.quit());
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") { send(res, 405, "method not allowed\n", "text/plain"); return; }
    switch (path) {
      case "/metrics": send(res, 200, src.metrics(), "text/plain; version=0.0.4; charset=utf-8"); return;
      case "/healthz": send(res, 200, "ok\n", "text/plain"); return;
      case "/ready": { const ok = src.ready(); send(res, ok ? 200 : 503, ok ? "ready\n" : "not ready\n", "text/plain"); return; }
      case "/config": json(src.config()); return;
      case "/listeners": json(src.listeners()); return;
      case "/clusters": json(src.clusters()); return;
      case "/certs": json(src.certs()); return;
      default: send(res, 404, "GET /metrics /healthz /ready /config /listeners /clusters /certs, POST /reload /quitquitquit\n", "text/plain");
    }
  };
}
