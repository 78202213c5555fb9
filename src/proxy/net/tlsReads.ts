/**
 * TLS reads of the hop protocol (net/hop.ts) through one reused buffer, each read copied out at its exact
 * size (below 4 KiB into Node's shared Buffer pool), instead of Node's `'data'` events.
 *
 * Why: since Node 24 every read of a TLS socket reaches JavaScript in an ArrayBuffer of 64 KiB whatever
 * its length (measured on Node 24.22 and 26.12: `chunk.buffer.byteLength` is 65,536 for reads of 430 and
 * 1,700 bytes; on Node 20.20 it is the read's length; plain TCP sockets get their exact length on every
 * version), and since V8 13.6 (Node 24) short-lived ArrayBuffers are freed by Mark-Compact once their
 * external memory grows, no longer by scavenges (nodejs/node#63863, #61967). The hop protocol's two ends
 * read ~1.1 GB of such buffers in 3 s at 8 connections (`bench/proxy-floor.mjs --hop-protocol`), so
 * Mark-Compacts of 5–16 ms came several times a second and the p99 was 8–25 ms (1.3–3.7 ms on Node 20).
 * Reading through a caller-supplied buffer (`net.Socket` `onread`, which `tls.connect` accepts) never
 * allocates one; the copy costs one `memcpy` of the bytes read.
 *
 * A client socket takes the documented `onread` option ({@link clientOnRead}). An accepted server socket
 * cannot (Node passes `onread` only to sockets it connects itself: `_tls_wrap.js` `TLSSocket`), so
 * {@link readThroughBuffer} installs the same state Node's `onread` sets (the socket's `kBuffer` and
 * `kBufferCb` slots, found by their symbols' descriptions on a probe socket, and the handle's
 * `useUserBuffer`); when this Node lacks any of them it returns false and the caller reads `'data'`
 * events as before (a test pins that it is installed on the Node running it).
 */
import { Socket } from "node:net";
import type { TLSSocket } from "node:tls";

/** The largest plaintext a TLS record carries (RFC 8446 §5.1); Node's TLS layer hands over at most this per read. */
const READ_BUFFER_BYTES = 16 * 1024;

/**
 * One buffer for every socket of the process: Node writes a read into it and calls the callback at once,
 * which copies the bytes out before returning, so no read outlives its callback.
 */
const shared = Buffer.allocUnsafe(READ_BUFFER_BYTES);

/** A copy of `n` bytes of the read buffer, at its exact size (pooled below 4 KiB, as `Buffer.allocUnsafe`). */
function copyRead(n: number, buf: Uint8Array): Buffer {
  const c = Buffer.allocUnsafe(n);
  c.set(n === buf.length ? buf : buf.subarray(0, n));
  return c;
}

/**
 * The `onread` option for `tls.connect`: each read is passed to `onChunk` as its own Buffer (a copy),
 * exactly as a `'data'` event would pass it. Pausing the socket (`socket.pause()`) stops reading, as with
 * `'data'` events (net.js `Socket.prototype.pause`).
 */
export function clientOnRead(onChunk: (chunk: Buffer) => void): { buffer: Buffer; callback: (n: number, buf: Uint8Array) => void } {
  return {
    buffer: shared,
    callback: (n, buf) => {
      onChunk(copyRead(n, buf));
    },
  };
}

/** The symbols of Node's `onread` slots on a socket (net.js `kBuffer`, `kBufferCb`), or null when this Node has none. */
let slots: { buffer: symbol; callback: symbol } | null | undefined;

function onReadSlots(): { buffer: symbol; callback: symbol } | null {
  if (slots !== undefined) return slots;
  // (`onread` is read by net.js's constructor though @types/node declares it for connect() only.)
  const probe = new Socket({ onread: { buffer: Buffer.alloc(1), callback: () => undefined } } as ConstructorParameters<typeof Socket>[0]);
  const by = new Map(Object.getOwnPropertySymbols(probe).map((s) => [s.description, s]));
  const buffer = by.get("kBuffer");
  const callback = by.get("kBufferCb");
  const ok =
    buffer !== undefined &&
    callback !== undefined &&
    by.has("kBufferGen") &&
    (probe as unknown as Record<symbol, unknown>)[callback] !== undefined &&
    typeof (Socket.prototype as unknown as { pause: unknown }).pause === "function";
  probe.destroy();
  slots = ok ? { buffer, callback } : null;
  return slots;
}

/**
 * Reads an accepted TLS socket (a `tls.Server`'s `secureConnection`) through the shared read buffer: every
 * read from now on goes to `onChunk` as its own Buffer (a copy), in order, after whatever Node had
 * already buffered for `'data'` events; `socket.pause()` / `resume()` stop and restart reading and delivery as before.
 * Returns false, installing nothing, when this Node does not have what it needs: the caller then listens
 * to `'data'` events.
 */
export function readThroughBuffer(socket: TLSSocket, onChunk: (chunk: Buffer) => void): boolean {
  const s = onReadSlots();
  const handle = (socket as unknown as { _handle?: { useUserBuffer?: (b: Uint8Array) => void } })._handle;
  if (!s || !handle || typeof handle.useUserBuffer !== "function" || socket.listenerCount("data") > 0) return false;
  const slot = socket as unknown as Record<symbol, unknown>;
  // Pausing stops reading from the network, but Node's TLS layer still hands over every record it has
  // already decrypted from the last read (up to one read, ~64 KiB): held here until the socket resumes,
  // as the readable buffer held them for 'data' events.
  const held: Buffer[] = [];
  slot[s.buffer] = shared;
  slot[s.callback] = (n: number, buf: Uint8Array) => {
    const c = copyRead(n, buf);
    if (held.length || socket.isPaused()) held.push(c);
    else onChunk(c);
  };
  socket.on("resume", () => {
    while (held.length && !socket.isPaused()) onChunk(held.shift()!);
  });
  handle.useUserBuffer(shared);
  // Reads Node made before (the first frames may come with the end of the handshake) wait in the
  // readable buffer: delivered first, in order.
  for (let c = socket.read() as Buffer | null; c !== null; c = socket.read() as Buffer | null) onChunk(c);
  if (!socket.isPaused()) socket.resume();
  return true;
}
