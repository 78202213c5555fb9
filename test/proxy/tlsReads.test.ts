/**
 * The hop protocol's TLS reads through one reused buffer (src/proxy/net/tlsReads.ts): installed on the
 * Node running the tests (a Node that moved its internals would otherwise silently fall back to
 * `'data'` events and its 64 KiB-per-read buffers), every byte delivered once and in order — also the
 * bytes a client sends right after the handshake, before the server's code runs — in chunks that own no
 * 64 KiB ArrayBuffer, and pausing the socket stops reading as with `'data'` events.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import tls from "node:tls";
import type { AddressInfo } from "node:net";
import { CertificateAuthority, type IssuedCert } from "../../src/proxy/identity/ca.js";
import { clientOnRead, readThroughBuffer } from "../../src/proxy/net/tlsReads.js";

let ca: CertificateAuthority;
let srv: IssuedCert;
beforeAll(async () => {
  ca = await CertificateAuthority.create("cluster.local");
  srv = await ca.issue("spiffe://cluster.local/ns/shop/sa/orders", 3600_000);
});

/** A TLS server whose accepted sockets read through the buffer; `onSocket` gets each with its chunks. */
async function server(onSocket: (s: tls.TLSSocket, chunks: Buffer[], installed: boolean) => void): Promise<{ port: number; close: () => void }> {
  const s = tls.createServer({ key: srv.keyPem, cert: srv.certPem }, (sock) => {
    const chunks: Buffer[] = [];
    const installed = readThroughBuffer(sock, (c) => chunks.push(c));
    onSocket(sock, chunks, installed);
  });
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  return { port: (s.address() as AddressInfo).port, close: () => s.close() };
}

/** A deterministic pattern of `n` bytes (every byte's position shows in it). */
function pattern(n: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

/** The bytes of the distinct ArrayBuffers behind `chunks` (the memory they hold). */
function backing(chunks: Buffer[]): number {
  return [...new Set(chunks.map((b) => b.buffer))].reduce((n, ab) => n + ab.byteLength, 0);
}

const until = async (cond: () => boolean, ms = 5000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe("TLS reads through one reused buffer", () => {
  const closers: (() => void)[] = [];
  afterAll(() => closers.forEach((c) => c()));

  test("server side: installed on this Node, every byte once and in order, the first ones sent with the handshake too, small reads in Node's Buffer pool", async () => {
    let got: Buffer[] = [];
    let installed = false;
    const s = await server((_sock, chunks, ok) => {
      got = chunks;
      installed = ok;
    });
    closers.push(s.close);
    // Written before the handshake completes (queued by Node, sent with the client's Finished), then
    // many small writes and large ones.
    const parts = [pattern(37, 1), ...Array.from({ length: 50 }, (_, i) => pattern(1 + i * 19, i)), pattern(100_000, 7), pattern(40_000, 9)];
    const c = tls.connect({ port: s.port, host: "127.0.0.1", rejectUnauthorized: false });
    c.write(parts[0]);
    await new Promise<void>((r) => c.once("secureConnect", () => r()));
    // One write per turn and the small ones acknowledged by TCP first, so that they arrive as separate TLS records (separate reads).
    for (const p of parts.slice(1)) {
      c.write(p);
      await new Promise((r) => setTimeout(r, p.length < 1024 ? 2 : 0));
    }
    const all = Buffer.concat(parts);
    await until(() => got.reduce((n, b) => n + b.length, 0) >= all.length);
    c.destroy();
    expect(installed).toBe(true);
    expect(Buffer.concat(got).equals(all)).toBe(true);
    // No small read owns a 64 KiB buffer: small reads share Node's Buffer pool, and the memory behind
    // every chunk is about the bytes read (through 'data' events on Node 24+: 64 KiB per read).
    expect(got.filter((b) => b.length < 1024).length).toBeGreaterThan(20);
    expect(backing(got)).toBeLessThanOrEqual(all.length + 2 * (Buffer.poolSize + 1024));
  });

  test("server side: a paused socket reads nothing more until resumed (back-pressure), then everything arrives", async () => {
    let sock: tls.TLSSocket | undefined;
    let got: Buffer[] = [];
    const s = await server((so, chunks) => {
      sock = so;
      got = chunks;
    });
    closers.push(s.close);
    const c = tls.connect({ port: s.port, host: "127.0.0.1", rejectUnauthorized: false });
    await new Promise<void>((r) => c.once("secureConnect", () => r()));
    c.write("first");
    await until(() => got.length > 0);
    sock!.pause();
    const before = Buffer.concat(got).length;
    const big = pattern(3_000_000, 3);
    c.write(big);
    await new Promise((r) => setTimeout(r, 200));
    // Paused: what arrived stays in the kernel and TLS buffers (a read already under way may finish).
    expect(Buffer.concat(got).length - before).toBeLessThan(big.length);
    sock!.resume();
    await until(() => Buffer.concat(got).length === before + big.length);
    expect(Buffer.concat(got).subarray(before).equals(big)).toBe(true);
    c.destroy();
  });

  test("server side: a socket paused inside a read gets nothing more until resumed, though Node's TLS layer hands over the records it already decrypted", async () => {
    let sock: tls.TLSSocket | undefined;
    let got: Buffer[] = [];
    let pausedAt = -1;
    const s = await server((so, chunks) => {
      sock = so;
      got = chunks;
    });
    closers.push(s.close);
    const c = tls.connect({ port: s.port, host: "127.0.0.1", rejectUnauthorized: false });
    await new Promise<void>((r) => c.once("secureConnect", () => r()));
    await until(() => sock !== undefined);
    // Pause on the first chunk, from inside the callback that delivers it.
    const push = got.push.bind(got);
    got.push = (...items: Buffer[]) => {
      const n = push(...items);
      if (pausedAt < 0) {
        pausedAt = n;
        sock!.pause();
      }
      return n;
    };
    // Many small TLS records in one TCP write (one read at the server, several records decrypted in it).
    const parts = Array.from({ length: 200 }, (_, i) => pattern(100, i));
    c.cork();
    for (const p of parts) c.write(p);
    c.uncork();
    await until(() => pausedAt > 0);
    await new Promise((r) => setTimeout(r, 100));
    expect(got.length).toBe(pausedAt);
    sock!.resume();
    await until(() => Buffer.concat(got).length === 200 * 100);
    expect(Buffer.concat(got).equals(Buffer.concat(parts))).toBe(true);
    c.destroy();
  });

  test("client side (tls.connect onread): every byte once and in order, holding memory about the size of the bytes read", async () => {
    const parts = [pattern(5, 1), pattern(3000, 2), pattern(70_000, 3)];
    const s = tls.createServer({ key: srv.keyPem, cert: srv.certPem }, (sock) => {
      for (const p of parts) sock.write(p);
      sock.end();
    });
    await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
    closers.push(() => s.close());
    const got: Buffer[] = [];
    const c = tls.connect({
      port: (s.address() as AddressInfo).port,
      host: "127.0.0.1",
      rejectUnauthorized: false,
      onread: clientOnRead((b) => got.push(b)),
    } as tls.ConnectionOptions);
    await new Promise<void>((r) => c.once("end", () => r()));
    expect(Buffer.concat(got).equals(Buffer.concat(parts))).toBe(true);
    expect(backing(got)).toBeLessThanOrEqual(Buffer.concat(parts).length + 2 * (Buffer.poolSize + 1024));
    c.destroy();
  });

  test("a socket already read through 'data' events is left alone (false)", async () => {
    let result: boolean | undefined;
    const s = tls.createServer({ key: srv.keyPem, cert: srv.certPem }, (sock) => {
      sock.on("data", () => undefined);
      result = readThroughBuffer(sock, () => undefined);
      sock.destroy();
    });
    await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
    closers.push(() => s.close());
    const c = tls.connect({ port: (s.address() as AddressInfo).port, host: "127.0.0.1", rejectUnauthorized: false });
    c.on("error", () => undefined);
    await until(() => result !== undefined);
    expect(result).toBe(false);
    c.destroy();
  });
});
