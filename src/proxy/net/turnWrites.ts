/**
 * Writes of one event-loop turn go out together, at the turn's end (issue 17; bench/proxy-results.md,
 * "Writes held to the turn's end").
 *
 * Why: a write to a loopback (or any local) socket whose reader sleeps wakes that reader from inside the
 * writing syscall (`sock_def_readable` → `try_to_wake_up`, an inter-processor interrupt when the reader's
 * core is another). One request answered at a time, each write of the turn wakes the peer again: the
 * upstream app's worker went back to sleep between two of them. Measured on the benchmark's 2-core VM
 * (Node 26, inline mode, 8 connections, `perf record -g`): the wake-ups were 21 % of the proxy's CPU, and
 * the upstream worker was woken 0.9–1.0 times per request. With the turn's writes made back to back after
 * its I/O callbacks, 0.26 (8 connections) and 0.035 (64) times per request, and 13–28 % less CPU per
 * request in direct A/Bs. The default mode's hop protocol already sends its frames this way (./hop.ts).
 *
 * How: the socket is corked (`writable.cork()`, Node's streams: writes are buffered, then handed to
 * `_writev` as one batch) and uncorked in one `setImmediate` for all such sockets: the "check" phase, right
 * after the poll phase has run every I/O callback of the turn (libuv's loop; an Immediate pending makes the
 * poll not block, so the turn's end is never delayed by waiting). A write is held at most for the rest of the
 * turn's callbacks. `'finish'` and write callbacks come after the flush, as with any corked socket.
 *
 * Used for an upstream request's head and body (./../upstream/h1pool.ts; a streamed body's `write` still
 * returns false at the high-water mark, and one turn reads a bounded amount) and a listener's ended response
 * (./h1response.ts `end`). `socket.end()` uncorks at once (Node's `Writable.end`), and an uncork of a socket
 * that was uncorked or destroyed meanwhile does nothing. A socket destroyed while held loses the held bytes,
 * which without the hold had been handed to the kernel: whoever destroys such a socket calls {@link flushHeld}
 * first (h1pool's Conn.close, H1Response.destroy, ./h1server.ts).
 *
 * `UNIMESH_TURN_WRITES=0` (read at load): every write goes out at once, as before (for comparisons).
 */
import type { Writable } from "node:stream";

/** False when `UNIMESH_TURN_WRITES=0`: nothing is held. */
export const turnWrites = process.env.UNIMESH_TURN_WRITES !== "0";

/** The sockets corked until the end of this turn (each holds one cork level of this module's). */
let held = new Set<Writable>();
let scheduled = false;

/** The turn's end: each held socket's cork level released (its buffered writes as one `_writev`). */
function flush(): void {
  scheduled = false;
  const list = held;
  held = new Set();
  for (const s of list) if (!s.destroyed) s.uncork();
}

function hold(socket: Writable): void {
  held.add(socket);
  // A net.Socket's write refreshes its inactivity timer (`_unrefTimer`); a held one would only at the turn's end,
  // after the timers phase, where the idle timer could expire first and destroy the held answer.
  (socket as Writable & { _unrefTimer?: () => void })._unrefTimer?.();
  if (!scheduled) {
    scheduled = true;
    setImmediate(flush);
  }
}

/**
 * Corks `socket` until the end of this event-loop turn, unless already held for it; then write to it as
 * usual. Nothing happens when `UNIMESH_TURN_WRITES=0`.
 * @throws nothing.
 */
export function corkForTurn(socket: Writable): void {
  if (!turnWrites || held.has(socket)) return;
  socket.cork();
  hold(socket);
}

/**
 * Releases a cork level the caller took with `socket.cork()` at the end of this turn instead of now (at
 * once when already held for this turn, or when `UNIMESH_TURN_WRITES=0`).
 * @throws nothing.
 */
export function uncorkAtTurnEnd(socket: Writable): void {
  if (!turnWrites || held.has(socket)) {
    socket.uncork();
    return;
  }
  hold(socket);
}

/**
 * Sends what `socket` holds for this turn now (before a `destroy`, which would drop it). Nothing happens when
 * it holds nothing.
 * @throws nothing.
 */
export function flushHeld(socket: Writable): void {
  if (held.delete(socket) && !socket.destroyed) socket.uncork();
}
