/**
 * A table of live entries keyed by a small non-negative integer id (hop protocol streams, Wasm worker
 * calls): the subset of `Map` those tables use.
 *
 * Why not a `Map`: these tables see one `set` and one `delete` per request, thousands a second. V8
 * stores a `Map` in an OrderedHashTable that it replaces with a new, resized one as entries come and go,
 * and it keeps a pointer from every obsolete table to its successor (for live iterators). When one
 * obsolete table has been promoted to the old generation, that pointer keeps the next table alive
 * through every minor GC (scavenge), and that one the next, with the entries each still holds: every
 * request's objects since the last full GC survive the scavenges and get promoted. Measured on the
 * default mode's proxy (bench/proxy-unimesh.mjs, 8 connections, `node --trace-gc`): with the hop
 * streams in `Map`s, 3.4 MB promoted per scavenge and 10 ms scavenges whenever the young generation
 * was large (`--max-semi-space-size=32`, and at times with the defaults: the first run after boot),
 * 8,200 against 9,450 req/s, p99 12 ms against 3 ms; with this table nothing is promoted and scavenges
 * take 1 ms (bench/proxy-results.md).
 *
 * The table is open addressing with linear probing over two plain arrays (ids, values), at most half
 * full, with backward-shift deletion (no tombstones): its arrays are only replaced when it grows, and
 * nothing links an old array to a new one. Iteration is in ascending id order, over a snapshot.
 * Ids are integers ≥ 0 (-1 marks an empty slot; `set` refuses it). The hop server's table is keyed by
 * the caller's stream ids: each table hashes with its own random odd multiplier, so a peer cannot pick
 * ids that collide, and if it could, an operation walks at most the live entries (at most
 * `maxStreams` on the hop server).
 *
 * The class uses nothing outside its own body (no imports, no module-level names): its GC test runs
 * its source text in a fresh node (test/proxy/idTable.test.ts).
 */
export class IdTable<V> {
  /** Ids by slot; -1 is an empty slot. */
  private ids: number[] = new Array<number>(16).fill(-1);
  private vals: (V | undefined)[] = new Array<V | undefined>(16).fill(undefined);
  private mask = 15;
  /** 32 - log2(capacity): the shift of the multiplicative hash. */
  private shift = 28;
  /** This table's odd hash multiplier, random (Web Crypto, a global since Node 19). */
  private readonly mul = globalThis.crypto.getRandomValues(new Uint32Array(1))[0] | 1;
  private count = 0;

  /** Entries in the table. */
  get size(): number {
    return this.count;
  }

  /** The slot where `id`'s probe starts (multiplicative hashing: the top bits of id × an odd number). */
  private home(id: number): number {
    return Math.imul(id, this.mul) >>> this.shift;
  }

  /** The slot holding `id`, or -1. */
  private find(id: number): number {
    const ids = this.ids;
    for (let i = this.home(id); ; i = (i + 1) & this.mask) {
      const k = ids[i];
      if (k === id) return i;
      if (k === -1) return -1;
    }
  }

  get(id: number): V | undefined {
    const i = this.find(id);
    return i < 0 ? undefined : this.vals[i];
  }

  has(id: number): boolean {
    return this.find(id) >= 0;
  }

  /**
   * Adds or replaces the entry of `id`.
   * @throws RangeError when `id` is not an integer ≥ 0.
   */
  set(id: number, value: V): this {
    if (!Number.isInteger(id) || id < 0) throw new RangeError(`IdTable: id ${id} is not an integer >= 0`);
    const ids = this.ids;
    let i = this.home(id);
    for (; ; i = (i + 1) & this.mask) {
      const k = ids[i];
      if (k === id) {
        this.vals[i] = value;
        return this;
      }
      if (k === -1) break;
    }
    ids[i] = id;
    this.vals[i] = value;
    if (++this.count * 2 > this.mask + 1) this.resize((this.mask + 1) * 2);
    return this;
  }

  /** Removes the entry of `id`: true if there was one. */
  delete(id: number): boolean {
    let i = this.find(id);
    if (i < 0) return false;
    const { ids, vals, mask } = this;
    // Backward shift: move later entries of the same probe run into the hole, so no probe for them
    // stops early at it.
    for (let j = (i + 1) & mask; ids[j] !== -1; j = (j + 1) & mask) {
      const h = this.home(ids[j]);
      // The entry at j may move to i when its home slot is not in the cyclic range (i, j].
      if (i <= j ? h <= i || h > j : h <= i && h > j) {
        ids[i] = ids[j];
        vals[i] = vals[j];
        i = j;
      }
    }
    ids[i] = -1;
    vals[i] = undefined;
    this.count--;
    return true;
  }

  clear(): void {
    this.ids = new Array<number>(16).fill(-1);
    this.vals = new Array<V | undefined>(16).fill(undefined);
    this.mask = 15;
    this.shift = 28;
    this.count = 0;
  }

  /** The values, in ascending id order (a snapshot: the table may change while the caller walks it). */
  values(): V[] {
    return this.entries().map((e) => e[1]);
  }

  /** The `[id, value]` pairs, in ascending id order (a snapshot). */
  [Symbol.iterator](): IterableIterator<[number, V]> {
    return this.entries()[Symbol.iterator]();
  }

  private entries(): [number, V][] {
    const out: [number, V][] = [];
    for (let i = 0; i <= this.mask; i++) if (this.ids[i] !== -1) out.push([this.ids[i], this.vals[i] as V]);
    return out.sort((a, b) => a[0] - b[0]);
  }

  private resize(capacity: number): void {
    const { ids, vals } = this;
    this.ids = new Array<number>(capacity).fill(-1);
    this.vals = new Array<V | undefined>(capacity).fill(undefined);
    this.mask = capacity - 1;
    this.shift = 32 - Math.log2(capacity);
    for (let i = 0; i < ids.length; i++) {
      if (ids[i] === -1) continue;
      let j = this.home(ids[i]);
      while (this.ids[j] !== -1) j = (j + 1) & this.mask;
      this.ids[j] = ids[i];
      this.vals[j] = vals[i];
    }
  }
}
