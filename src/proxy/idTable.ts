/**
 * A table of live entries keyed by a small non-negative integer id (hop protocol streams, Wasm stream
 * contexts, Wasm worker calls): the subset of `Map` those tables use.
 *
 * Why not a `Map`: these tables see one `set` and one `delete` per request, thousands a second. V8
 * stores a `Map` in an OrderedHashTable that it replaces with a new, resized one as entries come and go,
 * and it keeps a pointer from every obsolete table to its successor (for live iterators). When one
 * obsolete table has been promoted to the old generation, that pointer keeps the next table alive
 * through every minor GC (scavenge), and that one the next, with the entries each still holds: every
 * request's objects since the last full GC survive the scavenges and get promoted. Measured on the
 * default mode's proxy (bench/proxy-unimesh.mjs, 8 connections, `node --trace-gc`): with the hop
 * streams in `Map`s, 3.4 MB promoted per scavenge and 10 ms scavenges whenever the young generation
 * was large (`--max-semi-space-size=32`, and at times with the defaults), 8,200 against 9,450 req/s,
 * p99 12 ms against 3 ms; with this table nothing is promoted and scavenges take 1 ms. A dictionary
 * object is resized by copying into a new store with no link from the old one, so none of that.
 *
 * Iteration is in ascending id order. Ids must be integers in 0..2^32-2 (array indices).
 */
export class IdTable<V> {
  private entries: Record<number, V> = Object.create(null) as Record<number, V>;
  private count = 0;

  /** Entries in the table. */
  get size(): number {
    return this.count;
  }

  get(id: number): V | undefined {
    return this.entries[id];
  }

  has(id: number): boolean {
    return this.entries[id] !== undefined;
  }

  /** Adds or replaces the entry of `id` (`value` must not be `undefined`). */
  set(id: number, value: V): this {
    if (this.entries[id] === undefined) this.count++;
    this.entries[id] = value;
    return this;
  }

  /** Removes the entry of `id`: true if there was one. */
  delete(id: number): boolean {
    if (this.entries[id] === undefined) return false;
    delete this.entries[id];
    this.count--;
    return true;
  }

  clear(): void {
    this.entries = Object.create(null) as Record<number, V>;
    this.count = 0;
  }

  /** The values, in ascending id order (a snapshot: the table may change while the caller walks it). */
  values(): V[] {
    const out: V[] = [];
    for (const k in this.entries) out.push(this.entries[k as unknown as number]);
    return out;
  }

  /** The `[id, value]` pairs, in ascending id order (a snapshot). */
  [Symbol.iterator](): IterableIterator<[number, V]> {
    const out: [number, V][] = [];
    for (const k in this.entries) out.push([Number(k), this.entries[k as unknown as number]]);
    return out[Symbol.iterator]();
  }
}
