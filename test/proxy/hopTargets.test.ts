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
import type { Dispatcher } from "undici";
import { HopClient } from "../../src/proxy/upstream/hopClient.js";

const STRICT = `
apiVersion: unimesh.io/v1alpha1
kind: MTLSPolicy
metadata: {name: shop-strict, namespace: shop}
spec:
  mode: strict
`;

const POLICIES = `${STRICT}
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
---
apiVersion: unimesh.io/v1alpha1
kind: AccessPolicy
metadata: {name: api2-callers, namespace: shop}
spec:
  destination: {service: api2}
  allow:
    - source: {serviceAccounts: [batch]}
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

const noFallback = (): Pick<Dispatcher, "dispatch"> => {
  throw new Error("the server did not choose the hop protocol");
};

/** One request through a dispatcher: status and body. */
function hopCall(d: Pick<Dispatcher, "dispatch">, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    let status = 0;
    const chunks: Buffer[] = [];
    d.dispatch(
      { method: "GET", path, headers: { host: "api" } },
      {
        onRequestStart() {},
        onResponseStart(_c, s) {
          status = s;
        },
        onResponseData(_c, b) {
          chunks.push(b);
        },
        onResponseEnd() {
          resolve({ status, body: Buffer.concat(chunks).toString() });
        },
        onResponseError(_c, e) {
          reject(e);
        },
      },
    );
  });
}

/**
 * A hop client in this process (so, to the mesh, one of its own), with a certificate of `caller` from the
 * mesh's CA, expecting `server`; its own listener `at`.
 */
async function hopClient(
  mesh: ProxyRuntime,
  caller: string,
  server: string,
  at: { address: string; port: number },
  fallback: () => Pick<Dispatcher, "dispatch">,
): Promise<HopClient> {
  const id = await mesh.ca.issue(caller, 60_000);
  const secureContext = tls.createSecureContext({ cert: id.certPem, key: id.keyPem, ca: mesh.ca.certPem });
  const cert = { ...id, spiffeId: caller, generation: 1, secureContext } as unknown as ConstructorParameters<typeof HopClient>[0]["cert"];
  return new HopClient({ ...at, cert, expectServer: server }, fallback);
}

describe("hop protocol: one connection per identity pair, streams naming their instance", () => {
  let v1: App, v2: App, other: App, web: App, api2: App;
  let mesh: ProxyRuntime;
  let ids: { v1: string; v2: string; other: string; api2: string };
  beforeAll(async () => {
    [v1, v2, other, web, api2] = await Promise.all([startApp("api-v1"), startApp("api-v2"), startApp("other"), startApp("web"), startApp("api2")]);
    mesh = await startMesh(
      meshConfig(
        POLICIES,
        registry([
          { service: "api", namespace: "shop", serviceAccount: "api", port: v1.port, labels: { version: "v1" } },
          { service: "api", namespace: "shop", serviceAccount: "api", port: v2.port, labels: { version: "v2" } },
          { service: "other", namespace: "shop", serviceAccount: "other", port: other.port },
          { service: "api2", namespace: "shop", serviceAccount: "api", port: api2.port },
          { service: "web", namespace: "shop", serviceAccount: "web", port: web.port, outbound: true },
        ]),
        { hopProtocol: "multiplexed", colocatedHops: "mtls" },
      ),
    );
    const inbound = Object.keys(mesh.listeners()).filter((k) => k.startsWith("inbound|"));
    const idOf = (port: number) => inbound.find((k) => k.endsWith(`:${port}`))!.slice("inbound|".length);
    ids = { v1: idOf(v1.port), v2: idOf(v2.port), other: idOf(other.port), api2: idOf(api2.port) };
  });
  const ownClient = (caller: string, server: string) => hopClient(mesh, caller, server, { address: "127.0.0.1", port: 1 }, noFallback);
  afterAll(async () => {
    await mesh?.stop();
    await closeAgents();
    await Promise.all([v1, v2, other, web, api2].map((a) => a?.close()));
  });

  test("a split among two instances: both reached, over one connection; a header route reaches its subset only", async () => {
    const p1 = mesh.inboundPort("api", "shop", v1.port);
    const p2 = mesh.inboundPort("api", "shop", v2.port);
    const out = mesh.outboundPort("web", "shop");
    // One request first: the caller's hop connection to api's identity is open (to v1's or v2's listener).
    expect((await call(out, "api", "/first")).status).toBe(200);
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
    // Both instances served over that one connection: no new one (one per instance would open the other's).
    expect(a1 + a2).toBe(0);
    // The header route: v2 only.
    const v1Before = v1.seen.length;
    const routed = await many(20, 4, (i) => call(out, "api", `/v2/${i}`, { headers: { "x-v2": "yes" } }));
    expect(routed.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(v1.seen.length).toBe(v1Before);
    expect(v2.seen.filter((s) => s.url.startsWith("/v2/")).length).toBe(20);
  });

  test("a peer from outside this process reaches the listener's own instance only, and learns nothing of the others", async () => {
    const p1 = mesh.inboundPort("api", "shop", v1.port);
    const ca = mesh.ca.certPem;
    const webId = await mesh.ca.issue("spiffe://cluster.local/ns/shop/sa/web", 60_000);
    const head = (path: string, t?: unknown) => ({ m: "GET", p: path, h: { host: "api" }, ...(t !== undefined ? { t } : {}) });
    // Without a target, or naming the listener's own instance: served there.
    expect((await rawHop(p1, ca, webId, head("/raw/own"))).status).toBe(200);
    expect((await rawHop(p1, ca, webId, head("/raw/own-t", ids.v1))).status).toBe(200);
    expect(v1.seen.filter((s) => s.url.startsWith("/raw/own")).length).toBe(2);
    // Any other target, of the same identity, another one or none at all: one refusal, the same words.
    const refusals = new Set<string>();
    for (const t of [ids.v2, ids.other, "shop/api/127.0.0.1:1", "", "x".repeat(300)]) {
      const r = await rawHop(p1, ca, webId, head("/raw/elsewhere", t));
      expect(r.status, t.slice(0, 40)).toBe(503);
      refusals.add(r.text);
    }
    expect([...refusals]).toEqual(["unimesh: this connection carries streams for this listener's instance only"]);
    expect([...v1.seen, ...v2.seen, ...other.seen].some((s) => s.url === "/raw/elsewhere")).toBe(false);
    // A target that is not a string is a malformed head: the connection is closed.
    expect((await rawHop(p1, ca, webId, head("/raw/bad", 7))).status).toBe("closed");
  });

  test("this proxy's own hop client: another instance of the connection's identity is served by its own rules; another identity's is refused", async () => {
    const p1 = mesh.inboundPort("api", "shop", v1.port);
    const at1 = { address: "127.0.0.1", port: p1 };
    const at2 = { address: "127.0.0.1", port: mesh.inboundPort("api", "shop", v2.port) };
    const atOther = { address: "127.0.0.1", port: mesh.inboundPort("other", "shop", other.port) };
    const atApi2 = { address: "127.0.0.1", port: mesh.inboundPort("api2", "shop", api2.port) };
    const client = await ownClient("spiffe://cluster.local/ns/shop/sa/web", "spiffe://cluster.local/ns/shop/sa/api");
    try {
      const { accepted, result } = await countAccepted(at2.port, async () => {
        // The first stream opens the connection to v1's listener; the others ride it.
        expect((await hopCall(client.to(ids.v1, at1, noFallback), "/own/v1")).status).toBe(200);
        return Promise.all([
          hopCall(client.to(ids.v2, at2, noFallback), "/own/v2"),
          hopCall(client.to(ids.api2, atApi2, noFallback), "/own/api2"),
          hopCall(client.to(ids.other, atOther, noFallback), "/own/other"),
        ]);
      });
      // v2's stream went over v1's listener's connection to v2's app.
      expect(accepted).toBe(0);
      expect(result[0].status).toBe(200);
      expect(v2.seen.some((s) => s.url === "/own/v2")).toBe(true);
      expect(v1.seen.some((s) => s.url === "/own/v2")).toBe(false);
      // api2 has api's identity but its own access policy, which refuses web: the target's rules decide.
      expect(result[1].status).toBe(403);
      expect(api2.seen.some((s) => s.url === "/own/api2")).toBe(false);
      // other's identity is not the connection's: refused, never at the app.
      expect(result[2].status).toBe(503);
      expect(result[2].body).toBe("unimesh: no instance of this connection's identity by that id here");
      expect(other.seen.some((s) => s.url === "/own/other")).toBe(false);
    } finally {
      await client.destroy();
    }
  });

  test("a stream that names no instance rides only connections to the client's own listener (another listener would serve it as its own)", async () => {
    const at1 = { address: "127.0.0.1", port: mesh.inboundPort("api", "shop", v1.port) };
    const at2 = { address: "127.0.0.1", port: mesh.inboundPort("api", "shop", v2.port) };
    const client = await hopClient(mesh, "spiffe://cluster.local/ns/shop/sa/web", "spiffe://cluster.local/ns/shop/sa/api", at2, noFallback);
    try {
      expect((await hopCall(client.to(ids.v1, at1, noFallback), "/untargeted/v1")).status).toBe(200);
      const { accepted, result } = await countAccepted(at2.port, () => hopCall(client, "/untargeted/own"));
      expect(result.status).toBe(200);
      expect(accepted).toBe(1);
      expect(v2.seen.some((s) => s.url === "/untargeted/own")).toBe(true);
      expect(v1.seen.some((s) => s.url === "/untargeted/own")).toBe(false);
    } finally {
      await client.destroy();
    }
  });

  test("a retired listener's connections take no new stream: the next goes over a new connection to its own listener", async () => {
    const at1 = { address: "127.0.0.1", port: mesh.inboundPort("api", "shop", v1.port) };
    const at2 = { address: "127.0.0.1", port: mesh.inboundPort("api", "shop", v2.port) };
    const client = await ownClient("spiffe://cluster.local/ns/shop/sa/web", "spiffe://cluster.local/ns/shop/sa/api");
    try {
      expect((await hopCall(client.to(ids.v1, at1, noFallback), "/retire/v1")).status).toBe(200);
      // Before the retirement, v2's streams ride the connection to v1's listener.
      expect((await countAccepted(at2.port, () => hopCall(client.to(ids.v2, at2, noFallback), "/retire/v2a"))).accepted).toBe(0);
      await client.retire(at1.address, at1.port);
      const { accepted, result } = await countAccepted(at2.port, () => hopCall(client.to(ids.v2, at2, noFallback), "/retire/v2b"));
      expect(result.status).toBe(200);
      expect(accepted).toBe(1);
      expect(v2.seen.some((s) => s.url === "/retire/v2b")).toBe(true);
    } finally {
      await client.destroy();
    }
  });
});

describe("hop protocol: shared connections across reloads and fallbacks", () => {
  const BASE = STRICT;
  const A1_PLAINTEXT = `${BASE}
---
apiVersion: unimesh.io/v1alpha1
kind: MTLSPolicy
metadata: {name: a1-plain, namespace: shop}
spec:
  destination: {service: a1}
  mode: disabled
`;
  let a1: App, a2: App, web: App, mesh: ProxyRuntime;
  const reg = () =>
    registry([
      { service: "a1", namespace: "shop", serviceAccount: "api", port: a1.port },
      { service: "a2", namespace: "shop", serviceAccount: "api", port: a2.port },
      { service: "web", namespace: "shop", serviceAccount: "web", port: web.port, outbound: true },
    ]);
  const spec = { hopProtocol: "multiplexed" as const, colocatedHops: "mtls" as const, limits: { peerKeepAliveTimeoutMs: 1500 } };
  beforeAll(async () => {
    [a1, a2, web] = await Promise.all([startApp("a1"), startApp("a2"), startApp("web")]);
    mesh = await startMesh(meshConfig(BASE, reg(), spec));
  });
  afterAll(async () => {
    await mesh?.stop();
    await closeAgents();
    await Promise.all([a1, a2, web].map((a) => a?.close()));
  });

  test("an instance whose listener stops taking mTLS does not cut off the others of its identity (a new connection goes to the listener of the stream that needs it)", async () => {
    const out = mesh.outboundPort("web", "shop");
    expect((await call(out, "a1", "/before")).status).toBe(200);
    expect((await call(out, "a2", "/before")).status).toBe(200);
    const r = await mesh.reload(meshConfig(A1_PLAINTEXT, reg(), spec));
    expect(r.ok).toBe(true);
    // The idle hop connection (to a1's listener, the first) closes after the keep-alive.
    const a1Listener = Object.keys(mesh.listeners()).find((k) => k.startsWith("inbound|") && k.endsWith(`:${a1.port}`))!;
    for (let i = 0; i < 100 && mesh.connections(a1Listener) > 0; i++) await new Promise((res) => setTimeout(res, 100));
    expect(mesh.connections(a1Listener)).toBe(0);
    expect((await call(out, "a2", "/after")).status).toBe(200);
    expect(a2.seen.some((s) => s.url === "/after")).toBe(true);
    expect((await call(out, "a1", "/after")).status).toBe(200);
  }, 20_000);

  test("a server that does not choose the hop protocol: each stream falls back to its own instance's HTTP dispatcher", async () => {
    // A TLS server with api's identity that speaks HTTP/1.1 only (an older proxy, or hopProtocol: http).
    const id = await mesh.ca.issue("spiffe://cluster.local/ns/shop/sa/api", 60_000);
    const server = tls.createServer({ cert: id.certPem, key: id.keyPem, ca: mesh.ca.certPem, requestCert: true, ALPNProtocols: ["http/1.1"] }, (s) => {
      s.on("error", () => {});
      setTimeout(() => s.destroy(), 1000).unref();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const at = { address: "127.0.0.1", port: (server.address() as { port: number }).port };
    const got: string[] = [];
    const fallbackOf = (name: string) => (): Pick<Dispatcher, "dispatch"> => ({
      dispatch(opts, handler) {
        got.push(`${name} ${opts.path}`);
        const c = { abort() {}, pause() {}, resume() {} } as unknown as Dispatcher.DispatchController;
        queueMicrotask(() => {
          handler.onResponseStart?.(c, 200, {}, "");
          handler.onResponseEnd?.(c, {});
        });
        return true;
      },
    });
    const client = await hopClient(mesh, "spiffe://cluster.local/ns/shop/sa/web", "spiffe://cluster.local/ns/shop/sa/api", at, fallbackOf("default"));
    try {
      const answers = await Promise.all([hopCall(client.to("x", at, fallbackOf("x")), "/x"), hopCall(client.to("y", at, fallbackOf("y")), "/y")]);
      expect(answers.map((a) => a.status)).toEqual([200, 200]);
      expect(got.sort()).toEqual(["x /x", "y /y"]);
      // While the fallback lasts, new streams go straight to their own instance's dispatcher.
      await hopCall(client.to("y", at, fallbackOf("y")), "/y2");
      expect(got).toContain("y /y2");
      // A reload binds the listener anew (a new binding object): the instance's handle and fallback are renewed.
      await hopCall(client.to("y", { ...at }, fallbackOf("y-after-reload")), "/y3");
      expect(got).toContain("y-after-reload /y3");
    } finally {
      await client.destroy();
      server.close();
    }
  });
});

describe("hop protocol: shared connections under TLS 1.2 (the server's handshake completes before the client's)", () => {
  let v1: App, v2: App, web: App, mesh: ProxyRuntime;
  const saved = tls.DEFAULT_MAX_VERSION;
  beforeAll(async () => {
    tls.DEFAULT_MAX_VERSION = "TLSv1.2";
    [v1, v2, web] = await Promise.all([startApp("api-v1"), startApp("api-v2"), startApp("web")]);
    mesh = await startMesh(
      meshConfig(
        POLICIES,
        registry([
          { service: "api", namespace: "shop", serviceAccount: "api", port: v1.port, labels: { version: "v1" } },
          { service: "api", namespace: "shop", serviceAccount: "api", port: v2.port, labels: { version: "v2" } },
          { service: "web", namespace: "shop", serviceAccount: "web", port: web.port, outbound: true },
        ]),
        { hopProtocol: "multiplexed", colocatedHops: "mtls" },
      ),
    );
  });
  afterAll(async () => {
    await mesh?.stop();
    await closeAgents();
    await Promise.all([v1, v2, web].map((a) => a?.close()));
    tls.DEFAULT_MAX_VERSION = saved;
  });

  test("both instances served over one connection", async () => {
    const out = mesh.outboundPort("web", "shop");
    expect((await call(out, "api", "/first")).status).toBe(200);
    const answers = await many(40, 6, (i) => call(out, "api", `/tls12/${i}`));
    expect(answers.map((r) => r.status)).toEqual(Array(40).fill(200));
    expect(v1.seen.filter((s) => s.url.startsWith("/tls12/")).length).toBeGreaterThanOrEqual(5);
    expect(v2.seen.filter((s) => s.url.startsWith("/tls12/")).length).toBeGreaterThanOrEqual(5);
  });
});
