/**
 * src/proxy/upstream/pools.ts: which requests share a pool. A pool's connections were verified the way
 * its first request asked (the server's SPIFFE ID, and in a virtual mesh its issuer): a request asking
 * for another check must get another pool, never one whose connections skipped it.
 */
import { afterAll, describe, expect, it } from "vitest";
import { CertificateAuthority } from "../../src/proxy/identity/ca.js";
import { CertStore } from "../../src/proxy/identity/certs.js";
import { Pools } from "../../src/proxy/upstream/pools.js";

describe("Pools", () => {
  const pools = new Pools();
  afterAll(() => pools.close());

  it("gives a request that asks for the issuer check its own pool, not one made without it", async () => {
    const store = new CertStore(await CertificateAuthority.create("cluster.local"), 3_600_000);
    const cert = await store.get("spiffe://cluster.local/ns/shop/sa/web");
    const base = { address: "127.0.0.1", port: 1, h2: false };
    const loose = pools.get({ ...base, tls: { cert, expectServer: "spiffe://cluster.local/ns/shop/sa/app" } });
    const strict = pools.get({ ...base, tls: { cert, expectServer: "spiffe://cluster.local/ns/shop/sa/app", checkIssuer: true } });
    expect(strict).not.toBe(loose);
    // The same asks share one.
    expect(pools.get({ ...base, tls: { cert, expectServer: "spiffe://cluster.local/ns/shop/sa/app", checkIssuer: true } })).toBe(strict);
    expect(pools.get({ ...base, tls: { cert, expectServer: "spiffe://cluster.local/ns/shop/sa/other" } })).not.toBe(loose);
    expect(pools.get(base)).not.toBe(loose);
    store.close();
  });

  it("finds an owner's pool again only while it asks for the same thing", async () => {
    const store = new CertStore(await CertificateAuthority.create("cluster.local"), 3_600_000);
    const cert = await store.get("spiffe://cluster.local/ns/shop/sa/web");
    const owner = {};
    const spec = (o: object = {}) => ({ address: "127.0.0.1", port: 2, h2: false, tls: { cert, expectServer: "spiffe://cluster.local/ns/shop/sa/app" }, ...o });
    const first = pools.hop(spec(), owner);
    expect(pools.hop(spec(), owner)).toBe(first);
    // What the key decides, the owner's memo must decide too: the issuer check, the server's identity,
    // the port, the pool settings, the certificate (a renewed one is another object).
    const strict = pools.hop(spec({ tls: { cert, expectServer: "spiffe://cluster.local/ns/shop/sa/app", checkIssuer: true } }), owner);
    expect(strict).not.toBe(first);
    expect(pools.hop(spec(), owner)).toBe(first);
    expect(pools.hop(spec({ tls: { cert, expectServer: "spiffe://cluster.local/ns/shop/sa/other" } }), owner)).not.toBe(first);
    // The hop client is per identity pair, not per address: another listener of the proxy shares it
    // (its streams name their instance); an HTTP pool is per address.
    expect(pools.hop(spec({ port: 3 }), owner)).toBe(first);
    expect(pools.get(spec({ port: 3 }), owner)).not.toBe(pools.get(spec(), owner));
    expect(pools.hop(spec({ pool: { idleTimeoutMs: 5000 } }), owner)).not.toBe(first);
    const renewed = { ...cert, generation: cert.generation + 1 };
    expect(pools.hop(spec({ tls: { cert: renewed, expectServer: "spiffe://cluster.local/ns/shop/sa/app" } }), owner)).not.toBe(first);
    // Another owner asking the same gets the same pool (the key), and get() keeps its own memo.
    expect(pools.hop(spec(), {})).toBe(first);
    expect(pools.get(spec(), owner)).not.toBe(first);
    expect(pools.hop(spec(), owner)).toBe(first);
    // A pool that left the cache (retired: its listener moved) is never handed out again through a memo.
    await pools.retire("127.0.0.1", 2);
    const again = pools.hop(spec(), owner);
    expect(again).not.toBe(first);
    expect(pools.hop(spec(), {})).toBe(again);
    store.close();
  });

  it("retiring a listener also retires it in the hop clients that share connections to it", async () => {
    const store = new CertStore(await CertificateAuthority.create("cluster.local"), 3_600_000);
    const cert = await store.get("spiffe://cluster.local/ns/shop/sa/web");
    const client = pools.hop({ address: "127.0.0.1", port: 7, h2: false, tls: { cert, expectServer: "spiffe://cluster.local/ns/shop/sa/app" } });
    const retired: string[] = [];
    const original = client.retire.bind(client);
    client.retire = async (address: string, port: number) => {
      retired.push(`${address}:${port}`);
      return original(address, port);
    };
    // Another listener of the identity (the client's connections may go there): retired in the client, which stays.
    await pools.retire("127.0.0.1", 8);
    expect(retired).toEqual(["127.0.0.1:8"]);
    expect(pools.hop({ address: "127.0.0.1", port: 7, h2: false, tls: { cert, expectServer: "spiffe://cluster.local/ns/shop/sa/app" } })).toBe(client);
    store.close();
  });
});

describe("Pools: which HTTP client a pool is", () => {
  it("a plaintext HTTP/1.1 upstream gets the pool on Node's parser, with the pool settings; TLS, h2 and UNIMESH_UPSTREAM_CLIENT=undici get undici's", async () => {
    const { H1Pool } = await import("../../src/proxy/upstream/h1pool.js");
    const { Pool } = await import("undici");
    const pools = new Pools();
    try {
      const plain = pools.get({ address: "127.0.0.1", port: 3, h2: false, pool: { maxConnections: 7, maxRequestsPerConnection: 5, idleTimeoutMs: 1500 } });
      expect(plain).toBeInstanceOf(H1Pool);
      const h1 = plain as InstanceType<typeof H1Pool>;
      expect([h1.maxRequests, h1.idleMs, h1.maxIdleMs]).toEqual([5, 1500, 1500]);
      expect(pools.get({ address: "127.0.0.1", port: 3, h2: true })).toBeInstanceOf(Pool);
      process.env.UNIMESH_UPSTREAM_CLIENT = "undici";
      try {
        expect(pools.get({ address: "127.0.0.1", port: 4, h2: false })).toBeInstanceOf(Pool);
      } finally {
        delete process.env.UNIMESH_UPSTREAM_CLIENT;
      }
      expect(pools.get({ address: "127.0.0.1", port: 5, h2: false })).toBeInstanceOf(H1Pool);
    } finally {
      await pools.close();
    }
  });
});
