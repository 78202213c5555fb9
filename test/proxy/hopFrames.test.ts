/**
 * The hop protocol's frame reader (src/proxy/net/hop.ts FrameReader) against a peer that splits frames
 * across many reads: frames come out whole and in order, and the bytes of an incomplete frame are joined
 * once when it is complete, not on every read (a large frame sent a byte per TLS record made the reader
 * copy everything held on each read: CPU quadratic in the frame's size).
 */
import { afterEach, describe, expect, test, vi } from "vitest";
import { FrameReader } from "../../src/proxy/net/hop.js";

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
