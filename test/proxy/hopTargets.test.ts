/**
 * One hop connection per identity pair (src/proxy/net/hop.ts `t`, upstream/hopClient.ts `to`): the
 * streams of a caller to every instance of a service that share one server identity go over one
 * mutual-TLS connection, each naming its instance, as ztunnel pools HBONE connections per source
 * identity, destination identity and node. What must hold:
 *
 * - routing is unchanged: a split among the instances reaches each instance in its share, and a header
 *   route reaches only its subset;
 * - one connection, not one per instance (counted at the inbound listeners);
 * - the server routes a stream to another instance only when that instance has the identity the
 *   connection's certificate names (the caller verified that identity, not the target's), and only an
 *   instance this proxy serves: raw frames naming another identity's instance, or an unknown one, get a
 *   503 and never reach an app; the target's own access control decides (a refused caller gets 403).
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import tls from "node:tls";
import { call, closeAgents, countAccepted, many, meshConfig, registry, startApp, startMesh, type App } from "./support.js";
import type { ProxyRuntime } from "../../src/proxy/runtime.js";

const POLICIES = `
apiVersion: unimesh.io/v1alpha1
kind: MTLSPolicy
metadata: {name: shop-strict, namespace: shop}
spec:
  mode: strict
---
apiVersion: unimesh.io/v1alpha1
kind: MeshService
metadata: {name: api, namespace: shop}
spec:
  serviceAccount: api
  ports: [{port: 80, protocol: http}]
  subsets:
    - {name: v1, labels: {version: v1}}
    - {name: v2, labels: {version: v2}}
---
apiVersion: unimesh.io/v1alpha1
kind: TrafficPolicy
metadata: {name: api-split, namespace: shop}
spec:
  destination: {service: api, port: 80}
  routes:
    - match: {headers: {x-v2: {exact: "yes"}}}
      split: [{subset: {version: v2}, weight: 100}]
    - split: [{subset: {version: v1}, weight: 50}, {subset: {version: v2}, weight: 50}]
---
apiVersion: unimesh.io/v1alpha1
kind: AccessPolicy
metadata: {name: api-callers, namespace: shop}
spec:
  destination: {service: api}
  allow:
    - source: {serviceAccounts: [web]}
`;

// The frame table of the hop protocol: type u8, flags u8, stream u32 BE, length u32 BE, payload.
const REQUEST = 1;
const RESPONSE = 3;
const RESET = 5;
const END_STREAM = 1;

/** Sends one REQUEST (JSON head) on a new hop connection to `port` as `id`; the RESPONSE status and what followed it. */
async function rawHop(
  port: number,
  ca: string,
  id: { certPem: string; keyPem: string },
  head: object,
): Promise<{ status: number | "reset" | "closed"; text: string }> {
  const s = await new Promise<tls.TLSSocket>((resolve, reject) => {
    const c = tls.connect(
      { host: "127.0.0.1", port, ca, cert: id.certPem, key: id.keyPem, ALPNProtocols: ["unimesh-hop/1"], checkServerIdentity: () => undefined },
      () => resolve(c),
    );
    c.once("error", reject);
  });
  const p = Buffer.from(JSON.stringify(head));
  const h = Buffer.alloc(10);
  h[0] = REQUEST;
  h[1] = END_STREAM;
  h.writeUInt32BE(1, 2);
  h.writeUInt32BE(p.length, 6);
  s.write(Buffer.concat([h, p]));
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    let status: number | "reset" | undefined;
    let text = "";
    const done = () => {
      s.destroy();
      resolve({ status: status ?? "closed", text });
    };
    const timer = setTimeout(done, 5000);
    s.on("data", (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      while (buf.length >= 10 && buf.length >= 10 + buf.readUInt32BE(6)) {
        const [type, , stream] = [buf[0], buf[1], buf.readUInt32BE(2)];
        const payload = buf.subarray(10, 10 + buf.readUInt32BE(6));
        buf = buf.subarray(10 + payload.length);
        if (stream !== 1) continue;
        if (type === RESPONSE) status = JSON.parse(payload.toString()).s;
        else if (type === RESET) status = "reset";
        else text += payload.toString();
        if (type === RESET || type === 4 /* END */) {
          clearTimeout(timer);
          done();
        }
      }
    });
    s.on("error", () => {});
    s.on("close", () => {
      clearTimeout(timer);
      done();
    });
  });
}

describe("hop protocol: one connection per identity pair, streams naming their instance", () => {
  let v1: App, v2: App, other: App, web: App;
  let mesh: ProxyRuntime;
  let ids: { v1: string; v2: string; other: string };
  beforeAll(async () => {
    [v1, v2, other, web] = await Promise.all([startApp("api-v1"), startApp("api-v2"), startApp("other"), startApp("web")]);
    mesh = await startMesh(
      meshConfig(
        POLICIES,
        registry([
          { service: "api", namespace: "shop", serviceAccount: "api", port: v1.port, labels: { version: "v1" } },
          { service: "api", namespace: "shop", serviceAccount: "api", port: v2.port, labels: { version: "v2" } },
          { service: "other", namespace: "shop", serviceAccount: "other", port: other.port },
          { service: "web", namespace: "shop", serviceAccount: "web", port: web.port, outbound: true },
        ]),
        { hopProtocol: "multiplexed", colocatedHops: "mtls" },
      ),
    );
    const inbound = Object.keys(mesh.listeners()).filter((k) => k.startsWith("inbound|"));
    const idOf = (port: number) => inbound.find((k) => k.endsWith(`:${port}`))!.slice("inbound|".length);
    ids = { v1: idOf(v1.port), v2: idOf(v2.port), other: idOf(other.port) };
  });
  afterAll(async () => {
    await mesh?.stop();
    await closeAgents();
    await Promise.all([v1, v2, other, web].map((a) => a?.close()));
  });

  test("a split among two instances: both reached, over one connection; a header route reaches its subset only", async () => {
    const p1 = mesh.inboundPort("api", "shop", v1.port);
    const p2 = mesh.inboundPort("api", "shop", v2.port);
    const out = mesh.outboundPort("web", "shop");
    const before = { v1: v1.seen.length, v2: v2.seen.length };
    const { accepted: a1, result: inner } = await countAccepted(p1, () => countAccepted(p2, () => many(60, 6, (i) => call(out, "api", `/split/${i}`))));
    const a2 = inner.accepted;
    expect(inner.result.map((r) => r.status)).toEqual(Array(60).fill(200));
    const got1 = v1.seen.length - before.v1;
    const got2 = v2.seen.length - before.v2;
    expect(got1 + got2).toBe(60);
    // 50/50: each instance gets its share (binomial, 60 draws: below 10 has a probability under 1e-7).
    expect(got1).toBeGreaterThanOrEqual(10);
    expect(got2).toBeGreaterThanOrEqual(10);
    // One hop connection for both instances (the caller's connection to api's identity), not one each.
    expect(a1 + a2).toBe(1);
    // The header route: v2 only.
    const v1Before = v1.seen.length;
    const routed = await many(20, 4, (i) => call(out, "api", `/v2/${i}`, { headers: { "x-v2": "yes" } }));
    expect(routed.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(v1.seen.length).toBe(v1Before);
    expect(v2.seen.filter((s) => s.url.startsWith("/v2/")).length).toBe(20);
  });

  test("raw frames: another instance of the connection's identity is served; another identity's instance or an unknown one is refused", async () => {
    const p1 = mesh.inboundPort("api", "shop", v1.port);
    const ca = mesh.ca.certPem;
    const webId = await mesh.ca.issue("spiffe://cluster.local/ns/shop/sa/web", 60_000);
    const intruder = await mesh.ca.issue("spiffe://cluster.local/ns/shop/sa/intruder", 60_000);
    const head = (path: string, t?: string) => ({ m: "GET", p: path, h: { host: "api" }, ...(t !== undefined ? { t } : {}) });

    // To v2 through v1's listener: v2's app answers.
    expect((await rawHop(p1, ca, webId, head("/raw/v2", ids.v2))).status).toBe(200);
    expect(v2.seen.some((s) => s.url === "/raw/v2")).toBe(true);
    expect(v1.seen.some((s) => s.url === "/raw/v2")).toBe(false);
    // Without a target: the listener's own instance.
    expect((await rawHop(p1, ca, webId, head("/raw/own"))).status).toBe(200);
    expect(v1.seen.some((s) => s.url === "/raw/own")).toBe(true);
    // The target's access control decides: a caller api does not allow gets 403 there too.
    const refused = await rawHop(p1, ca, intruder, head("/raw/intruder", ids.v2));
    expect(refused.status).toBe(403);
    expect(v2.seen.some((s) => s.url === "/raw/intruder")).toBe(false);
    // Another identity's instance through api's listener: refused, never reaches the app.
    const cross = await rawHop(p1, ca, webId, head("/raw/other", ids.other));
    expect(cross.status).toBe(503);
    expect(cross.text).toContain("does not have this connection's identity");
    expect(other.seen.some((s) => s.url === "/raw/other")).toBe(false);
    // Unknown instances, and targets that are not strings.
    for (const t of ["shop/api/127.0.0.1:1", "", "../inbound|x", "x".repeat(300)]) {
      const r = await rawHop(p1, ca, webId, head("/raw/unknown", t));
      expect(r.status, t.slice(0, 40)).toBe(503);
    }
    expect([...v1.seen, ...v2.seen, ...other.seen].some((s) => s.url === "/raw/unknown")).toBe(false);
    const bad = await rawHop(p1, ca, webId, { m: "GET", p: "/raw/bad", h: { host: "api" }, t: 7 });
    expect(bad.status).toBe("closed");
  });
});
