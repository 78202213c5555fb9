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
});
