/**
 * The east-west listener's ClientHello reader (src/proxy/net/eastwest.ts) on real ClientHellos (Node's
 * TLS client) and on hostile bytes, and the SNI naming of cross-member hops.
 */
import { describe, expect, test } from "vitest";
import net, { type AddressInfo } from "node:net";
import tls from "node:tls";
import { randomBytes } from "node:crypto";
import { clientHelloServerName } from "../../src/proxy/net/eastwest.js";
import { compileConfig, eastWestServerName, parseEastWestServerName } from "../../src/proxy/config/compile.js";
import { mergeProxyDocuments } from "../../src/proxy/config/merge.js";
import type { ServiceRegistry } from "../../src/api/generated/proxyConfig.js";

/** The first bytes Node's TLS client sends (its ClientHello), with `servername` (none: no SNI). */
async function clientHello(servername?: string): Promise<Buffer> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  const got = new Promise<Buffer>((resolve) =>
    server.once("connection", (s) => {
      s.once("data", (d: Buffer) => {
        resolve(d);
        s.destroy();
      });
    }),
  );
  const c = tls.connect({ host: "127.0.0.1", port, ...(servername ? { servername } : {}), rejectUnauthorized: false });
  c.on("error", () => undefined);
  const hello = await got;
  c.destroy();
  server.close();
  return hello;
}

describe("clientHelloServerName", () => {
  test("reads the SNI of a real ClientHello, and waits while the record is incomplete", async () => {
    const name = eastWestServerName("bookinfo", "reviews", 9080);
    expect(name).toBe("outbound_.9080_._.reviews.bookinfo.svc.cluster.local");
    const hello = await clientHello(name);
    expect(clientHelloServerName(hello)).toBe(name);
    for (const n of [0, 1, 4, 5, 40, hello.length - 1]) expect(clientHelloServerName(hello.subarray(0, n))).toBeUndefined();
    // Bytes after the record (a client may send more) do not matter.
    expect(clientHelloServerName(Buffer.concat([hello, Buffer.from("more")]))).toBe(name);
  });

  test("no SNI, plaintext, other records and malformed lengths are refused (null), never thrown", async () => {
    expect(clientHelloServerName(await clientHello())).toBeNull();
    expect(clientHelloServerName(Buffer.from("GET / HTTP/1.1\r\n"))).toBeNull();
    expect(clientHelloServerName(Buffer.from([0x17, 0x03, 0x03, 0x00, 0x05, 1, 2, 3, 4, 5]))).toBeNull(); // application data
    expect(clientHelloServerName(Buffer.from([0x16, 0x03, 0x01, 0xff, 0xff]))).toBeNull(); // longer than a record may be
    const hello = await clientHello("outbound_.9080_._.reviews.bookinfo.svc.cluster.local");
    // Every byte of the handshake changed in turn: an answer or null, never an exception.
    for (let i = 5; i < hello.length; i++) {
      const bad = Buffer.from(hello);
      bad[i] ^= 0xff;
      expect(() => clientHelloServerName(bad)).not.toThrow();
    }
    for (let i = 0; i < 200; i++) {
      const junk = Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x01, 0x00]), randomBytes(256)]);
      expect(() => clientHelloServerName(junk)).not.toThrow();
    }
  });
});

describe("east-west server names", () => {
  test("name a service port and subset; anything else is no name", () => {
    expect(parseEastWestServerName(eastWestServerName("bookinfo", "reviews", 9080, "v2"))).toEqual({
      namespace: "bookinfo",
      service: "reviews",
      port: 9080,
      subset: "v2",
    });
    expect(parseEastWestServerName("outbound_.9080_._.reviews.bookinfo.svc.cluster.local")).toEqual({ namespace: "bookinfo", service: "reviews", port: 9080 });
    for (const bad of [
      "reviews.bookinfo",
      "outbound_.9080_._.reviews.svc.cluster.local",
      "outbound_.x_._.reviews.bookinfo.svc.cluster.local",
      "outbound_.9080_._.a.b.c.svc.cluster.local",
    ])
      expect(parseEastWestServerName(bad)).toBeUndefined();
  });
});

describe("a registry's east-west listener", () => {
  test("is merged into the configuration, and compiled into the listener plan", () => {
    const registry = { apiVersion: "unimesh.io/v1alpha1", kind: "ServiceRegistry", metadata: { name: "r" }, spec: { eastWest: { port: 15444 } } } as const;
    const { config, diagnostics } = mergeProxyDocuments([], [{ doc: registry as unknown as ServiceRegistry, file: "r.yaml", documentIndex: 0 }]);
    expect(diagnostics).toEqual([]);
    expect(config.spec.eastWest).toEqual({ port: 15444 });
    const { compiled } = compileConfig(config);
    expect(compiled!.listeners.find((l) => l.kind === "eastwest")).toEqual({ key: "eastwest", kind: "eastwest", address: "127.0.0.1", port: 15444 });
  });
});
