/**
 * `mtls`: in strict mode a caller without a valid certificate (none, or one from another CA) is
 * refused at the handshake and plaintext is refused; a certificate of the mesh CA is accepted; in
 * permissive mode plaintext passes (without an identity); in disabled mode callers' proxies use
 * plaintext and TLS is refused; a per-port override wins over the service's mode, which wins over the
 * namespace's. Certificates carry the SPIFFE ID as their only URI SAN and are short-lived.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import tls from "node:tls";
import net from "node:net";
import { Agent, request } from "undici";
import { X509Certificate } from "node:crypto";
import { CertificateAuthority, spiffeFromSan } from "../../src/proxy/identity/ca.js";
import { call, closeAgents, meshConfig, registry, startApp, startMesh, type App } from "./support.js";
import type { ProxyRuntime } from "../../src/proxy/runtime.js";

const POLICIES = `
apiVersion: unimesh.io/v1alpha1
kind: MTLSPolicy
metadata: {name: shop-strict, namespace: shop}
spec:
  mode: strict
---
apiVersion: unimesh.io/v1alpha1
kind: MTLSPolicy
metadata: {name: legacy-permissive, namespace: shop}
spec:
  destination: {service: legacy}
  mode: permissive
  ports: {"9102": disabled}
`;

/** Sends one request to an inbound listener directly, with the given TLS client options (or plaintext). */
async function direct(port: number, tlsOpts?: tls.ConnectionOptions): Promise<{ status: number; body: string }> {
  const dispatcher = new Agent({ connect: tlsOpts ? { ...tlsOpts, checkServerIdentity: () => undefined } : {} });
  try {
    const r = await request(`${tlsOpts ? "https" : "http"}://127.0.0.1:${port}/`, { dispatcher, headers: { host: "orders" } });
    return { status: r.statusCode, body: await r.body.text() };
  } finally {
    await dispatcher.destroy();
  }
}

/** Writes raw bytes to a TLS port; closes after 50 ms (`close`), or waits for the listener to close. */
function rawTls(port: number, bytes: Buffer, close: boolean): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1", () => {
      s.write(bytes);
      if (close) setTimeout(() => s.end(), 50);
    });
    s.on("error", () => {});
    s.on("close", () => resolve());
    s.resume();
  });
}

describe("mtls", () => {
  let orders: App, legacy: App, legacyMetrics: App, web: App, proxy: ProxyRuntime;
  beforeAll(async () => {
    [orders, legacy, legacyMetrics, web] = await Promise.all(["orders", "legacy", "legacy-metrics", "web"].map((n) => startApp(n)));
    proxy = await startMesh(
      meshConfig(
        POLICIES,
        registry([
          { service: "orders", namespace: "shop", port: orders.port },
          { service: "legacy", namespace: "shop", port: legacy.port, servicePort: 9101 },
          { service: "legacy", namespace: "shop", port: legacyMetrics.port, servicePort: 9102 },
          { service: "web", namespace: "shop", port: web.port, outbound: true },
        ]),
      ),
    );
  });
  afterAll(async () => {
    await proxy?.stop();
    await closeAgents();
    await Promise.all([orders, legacy, legacyMetrics, web].map((a) => a?.close()));
  });

  test("proxies of the mesh talk mutual TLS under strict mode", async () => {
    expect((await call(proxy.outboundPort("web", "shop"), "orders", "/")).status).toBe(200);
    expect(orders.seen.at(-1)!.headers["x-forwarded-client-cert"]).toContain("URI=spiffe://cluster.local/ns/shop/sa/web");
  });

  test("strict: a caller with a certificate of another CA is refused at the handshake", async () => {
    const rogue = await CertificateAuthority.create("cluster.local");
    const cert = await rogue.issue("spiffe://cluster.local/ns/shop/sa/web", 60_000);
    const before = orders.seen.length;
    await expect(direct(proxy.inboundPort("orders", "shop", orders.port), { cert: cert.certPem, key: cert.keyPem, ca: proxy.ca.certPem })).rejects.toThrow();
    expect(orders.seen.length).toBe(before);
    expect(proxy.metrics.tlsRefused.get({ reason: "untrusted client certificate" })).toBe(1);
  });

  test("strict: a TLS caller without a certificate is refused", async () => {
    await expect(direct(proxy.inboundPort("orders", "shop", orders.port), { ca: proxy.ca.certPem })).rejects.toThrow();
    expect(proxy.metrics.tlsRefused.get({ reason: "no client certificate" })).toBe(1);
  });

  test("a handshake the client abandons or garbles is counted as such, not as a refused certificate", async () => {
    const port = proxy.inboundPort("orders", "shop", orders.port);
    const before = orders.seen.length;
    // The start of a ClientHello, then the client closes (a caller giving up); then a handshake record that is not a ClientHello.
    await rawTls(port, Buffer.from([0x16, 3, 1, 0, 200, 1]), true);
    await rawTls(port, Buffer.from([0x16, 3, 1, 0, 5, 9, 9, 9, 9, 9]), false);
    for (let i = 0; i < 50 && proxy.metrics.tlsRefused.get({ reason: "handshake failed" }) === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(proxy.metrics.tlsRefused.get({ reason: "closed by the client during the handshake" })).toBe(1);
    expect(proxy.metrics.tlsRefused.get({ reason: "handshake failed" })).toBe(1);
    expect(orders.seen.length).toBe(before);
  });

  test("strict: plaintext is refused", async () => {
    const before = orders.seen.length;
    await expect(direct(proxy.inboundPort("orders", "shop", orders.port))).rejects.toThrow();
    expect(orders.seen.length).toBe(before);
    expect(proxy.metrics.tlsRefused.get({ reason: "plaintext on a strict port" })).toBeGreaterThanOrEqual(1);
  });

  test("strict: a certificate of the mesh CA is accepted and its identity is passed on", async () => {
    const cert = await proxy.ca.issue("spiffe://cluster.local/ns/ops/sa/debugger", 60_000);
    const a = await direct(proxy.inboundPort("orders", "shop", orders.port), { cert: cert.certPem, key: cert.keyPem, ca: proxy.ca.certPem });
    expect(a.status).toBe(200);
    expect(orders.seen.at(-1)!.headers["x-forwarded-client-cert"]).toBe(
      "By=spiffe://cluster.local/ns/shop/sa/orders;URI=spiffe://cluster.local/ns/ops/sa/debugger",
    );
  });

  test("permissive (service policy over namespace policy): plaintext passes without an identity", async () => {
    const a = await direct(proxy.inboundPort("legacy", "shop", legacy.port));
    expect(a.status).toBe(200);
    expect(legacy.seen.at(-1)!.headers["x-forwarded-client-cert"]).toBeUndefined();
    expect((await call(proxy.outboundPort("web", "shop"), "legacy:9101", "/")).status).toBe(200);
    expect(legacy.seen.at(-1)!.headers["x-forwarded-client-cert"]).toContain("URI=spiffe://cluster.local/ns/shop/sa/web");
  });

  test("disabled on one port: callers use plaintext and TLS is refused", async () => {
    expect((await call(proxy.outboundPort("web", "shop"), "legacy:9102", "/")).status).toBe(200);
    expect(legacyMetrics.seen.at(-1)!.headers["x-forwarded-client-cert"]).toBeUndefined();
    const cert = await proxy.ca.issue("spiffe://cluster.local/ns/shop/sa/web", 60_000);
    await expect(
      direct(proxy.inboundPort("legacy", "shop", legacyMetrics.port), { cert: cert.certPem, key: cert.keyPem, ca: proxy.ca.certPem }),
    ).rejects.toThrow();
  });

  test("workload certificates are short-lived and name exactly the SPIFFE ID", async () => {
    const s = await new Promise<tls.TLSSocket>((resolve, reject) => {
      const c = tls.connect(
        {
          host: "127.0.0.1",
          port: proxy.inboundPort("orders", "shop", orders.port),
          ca: proxy.ca.certPem,
          checkServerIdentity: () => undefined,
          rejectUnauthorized: false,
        },
        () => resolve(c),
      );
      c.on("error", reject);
    });
    const peer = s.getPeerX509Certificate()!;
    s.destroy();
    expect(spiffeFromSan(peer.subjectAltName)).toBe("spiffe://cluster.local/ns/shop/sa/orders");
    const life = new Date(peer.validTo).getTime() - new Date(peer.validFrom).getTime();
    expect(life).toBeLessThanOrEqual(3600_000 + 60_000 + 1000);
    expect(peer.verify(new X509Certificate(proxy.ca.certPem).publicKey)).toBe(true);
  });
});
