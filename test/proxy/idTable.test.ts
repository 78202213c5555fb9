/**
 * src/proxy/idTable.ts: the table of hop streams and Wasm calls. Its semantics (the subset of Map the
 * tables use), and why it exists: under one set and one delete per request, a Map's obsolete hash tables
 * chain each other's entries through minor GCs, so every request's objects get promoted; the table's
 * must not be.
 */
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { IdTable } from "../../src/proxy/idTable.js";
import { prng } from "../support/prng.js";

describe("IdTable", () => {
  it("gets, sets, replaces and deletes like a Map, and counts its entries", () => {
    const t = new IdTable<string>();
    expect(t.size).toBe(0);
    expect(t.get(1)).toBeUndefined();
    t.set(1, "a").set(3, "c");
    t.set(1, "A"); // replaced, not counted twice
    expect(t.size).toBe(2);
    expect(t.get(1)).toBe("A");
    expect(t.has(3)).toBe(true);
    expect(t.has(2)).toBe(false);
    expect(t.delete(2)).toBe(false);
    expect(t.delete(1)).toBe(true);
    expect(t.delete(1)).toBe(false);
    expect(t.size).toBe(1);
    expect(t.get(1)).toBeUndefined();
    t.clear();
    expect(t.size).toBe(0);
    expect(t.get(3)).toBeUndefined();
  });

  it("takes ids from 0 past 2^32, and refuses what is not an integer >= 0", () => {
    const t = new IdTable<number>();
    const ids = [0, 2 ** 31 - 1, 2 ** 31 + 1, 2 ** 32 - 2, 2 ** 32 - 1, 2 ** 40 + 3];
    for (const id of ids) t.set(id, id);
    expect(t.size).toBe(ids.length);
    expect([...t].map(([k]) => k)).toEqual(ids);
    for (const id of ids) expect(t.get(id)).toBe(id);
    for (const bad of [-1, -2, 1.5, NaN, Infinity]) expect(() => t.set(bad, 0)).toThrow(RangeError);
    expect(t.size).toBe(ids.length);
    expect(t.get(-1)).toBeUndefined();
  });

  it("walks in ascending id order over a snapshot: entries may be deleted while walking", () => {
    const t = new IdTable<string>();
    for (const id of [9, 1, 5, 3]) t.set(id, `s${id}`);
    const seen: number[] = [];
    for (const [id] of t) {
      seen.push(id);
      t.delete(id);
    }
    expect(seen).toEqual([1, 3, 5, 9]);
    expect(t.size).toBe(0);
    for (const id of [7, 2]) t.set(id, `s${id}`);
    expect(t.values()).toEqual(["s2", "s7"]);
  });

  it("agrees with a Map over 20,000 random sets, deletes and lookups (sequential, clustered and large ids)", () => {
    const rand = prng(17);
    for (const pick of [
      () => 1 + 2 * Math.floor(rand() * 400), // hop stream ids: odd, a few hundred live
      () => Math.floor(rand() * 64), // dense: long probe runs, deletions shifting entries back
      () => 2 ** 32 - 2 - Math.floor(rand() * 1000), // the top of the range
    ]) {
      const t = new IdTable<number>();
      const m = new Map<number, number>();
      for (let i = 0; i < 20_000; i++) {
        const id = pick();
        const op = rand();
        if (op < 0.45) {
          t.set(id, i);
          m.set(id, i);
        } else if (op < 0.9) expect(t.delete(id)).toBe(m.delete(id));
        else expect(t.get(id)).toBe(m.get(id));
        expect(t.size).toBe(m.size);
      }
      for (const [id, v] of m) expect(t.get(id)).toBe(v);
      expect([...t]).toEqual([...m].sort((x, y) => x[0] - y[0]));
    }
  });

  it("does not get the objects of later entries promoted once one of its stores is old (a Map does)", () => {
    // In a fresh process (nothing else allocating, no GC but the ones asked for): 10,000 entries of
    // ~600 bytes go through the table, 8 live at a time, with a scavenge every 200. Prints how much the
    // old generation grew meanwhile.
    const churn = (table: string) => {
      const script = `
        const v8 = require("node:v8");
        const IdTable = (${IdTable.toString()});
        const t = ${table};
        const oldSpace = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === "old_space").space_used_size;
        let id = 1;
        const step = () => {
          t.set(id, { payload: new Array(64).fill(id), id });
          if (id > 8) t.delete(id - 8);
          id++;
        };
        for (let i = 0; i < 100; i++) step();
        gc({ type: "minor" }); gc({ type: "minor" }); // the current store is promoted
        for (let i = 0; i < 20; i++) step();
        gc({ type: "minor" }); gc({ type: "minor" });
        const before = oldSpace();
        for (let r = 0; r < 50; r++) { for (let i = 0; i < 200; i++) step(); gc({ type: "minor" }); }
        console.log(oldSpace() - before);`;
      const r = spawnSync(process.execPath, ["--expose-gc", "-e", script], { encoding: "utf8" });
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/^-?\d+\s*$/);
      return Number(r.stdout.trim());
    };
    // The Map promotes most of them (~6 MB on Node 20): the control, which shows the measurement sees
    // the chain. The IdTable next to nothing.
    expect(churn("new Map()")).toBeGreaterThan(2_000_000);
    expect(churn("new IdTable()")).toBeLessThan(300_000);
  });
});
