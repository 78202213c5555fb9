/**
 * The hop protocol's frame reader (src/proxy/net/hop.ts FrameReader) against a peer that splits frames
 * across many reads: frames come out whole and in order, and the bytes of an incomplete frame are joined
 * once when it is complete, not on every read (a large frame sent a byte per TLS record made the reader
 * copy everything held on each read: CPU quadratic in the frame's size).
 */
import { afterEach, describe, expect, test, vi } from "vitest";
import { FLUSH_BYTES, FrameReader, FrameWriter, MAX_WAIT_TURNS } from "../../src/proxy/net/hop.js";

function frame(type: number, id: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(10);
  h[0] = type;
  h.writeUInt32BE(id, 2);
  h.writeUInt32BE(payload.length, 6);
  return Buffer.concat([h, payload]);
}

describe("hop frame reader", () => {
  afterEach(() => vi.restoreAllMocks());

  test("frames split into tiny reads come out whole, in order, each joined once", () => {
    const big = Buffer.alloc(200_000, "b");
    const wire = Buffer.concat([frame(1, 1, Buffer.from("head")), frame(2, 1, big), frame(4, 1, Buffer.alloc(0)), frame(2, 3, Buffer.from("x"))]);
    const got: [number, number, string][] = [];
    const reader = new FrameReader(
      1 << 20,
      (type, _flags, id, payload) => {
        got.push([type, id, payload.length > 16 ? `${payload.length}:${payload.every((c) => c === 98)}` : payload.toString()]);
        return true;
      },
      (why) => {
        throw new Error(why);
      },
    );
    const concat = vi.spyOn(Buffer, "concat");
    // The first 30 bytes one by one (the small frames and the big one's header), then 1,000-byte reads.
    for (let i = 0; i < 30; i++) reader.push(wire.subarray(i, i + 1));
    for (let off = 30; off < wire.length; off += 1000) reader.push(wire.subarray(off, Math.min(off + 1000, wire.length)));
    expect(got).toEqual([
      [1, 1, "head"],
      [2, 1, "200000:true"],
      [4, 1, ""],
      [2, 3, "x"],
    ]);
    expect(reader.partial).toBe(false);
    // Joined when a frame (or a header) is complete: a handful of times, not once per read (230 reads).
    expect(concat.mock.calls.length).toBeLessThanOrEqual(12);
  });

  test("a frame over the limit is refused from its header alone, even split across reads", () => {
    const errors: string[] = [];
    const reader = new FrameReader(
      1024,
      () => true,
      (why) => errors.push(why),
    );
    const hdr = frame(2, 1, Buffer.alloc(0));
    hdr.writeUInt32BE(5000, 6);
    for (let i = 0; i < hdr.length; i++) reader.push(hdr.subarray(i, i + 1));
    expect(errors).toEqual(["a frame of 5000 bytes is over the limit of 1024"]);
  });
});

describe("hop frame writer", () => {
  /** A socket that records its writes. */
  const fakeSocket = () => {
    const writes: Buffer[] = [];
    return { writes, socket: { destroyed: false, writable: true, writableLength: 0, write: (b: Buffer) => writes.push(b) } };
  };
  const turn = () => new Promise<void>((r) => setImmediate(r));

  test("frames queued during a run of busy turns leave in one write; a quiet turn ends the run", async () => {
    const { writes, socket } = fakeSocket();
    const w = new FrameWriter(socket as never);
    w.frame(1, 0, 1, Buffer.from("a"));
    for (let i = 0; i < 3; i++) {
      await turn();
      w.frame(1, 0, 2 * i + 3, Buffer.from("b"));
    }
    expect(writes).toHaveLength(0);
    // A turn with nothing new: written at its end.
    await turn();
    await turn();
    expect(writes).toHaveLength(1);
    expect(writes[0].length).toBe(4 * 11);
  });

  test("at most MAX_WAIT_TURNS more turns, however busy; a lone frame waits one turn; flush() writes at once", async () => {
    const { writes, socket } = fakeSocket();
    const w = new FrameWriter(socket as never);
    w.frame(1, 0, 1, Buffer.from("a"));
    let turns = 0;
    while (!writes.length && turns < 20) {
      await turn();
      turns++;
      if (!writes.length) w.frame(2, 0, 1, Buffer.from("b"));
    }
    expect(writes).toHaveLength(1);
    expect(turns).toBe(MAX_WAIT_TURNS + 1);
    w.frame(1, 0, 3, Buffer.from("c"));
    w.flush();
    expect(writes).toHaveLength(2);
    await turn();
    await turn();
    expect(writes).toHaveLength(2);
  });

  test("a queue of FLUSH_BYTES leaves without waiting for more turns", async () => {
    const { writes, socket } = fakeSocket();
    const w = new FrameWriter(socket as never);
    w.frame(2, 0, 1, Buffer.alloc(FLUSH_BYTES));
    await turn();
    expect(writes).toHaveLength(1);
  });
});
