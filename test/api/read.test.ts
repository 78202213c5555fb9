/** readInputs: files, directories, stdin; never throws on bad paths. */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readInputs } from "../../src/index.js";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "unimesh-read-"));
  mkdirSync(join(dir, "tree/sub"), { recursive: true });
  mkdirSync(join(dir, "tree/.hidden"));
  mkdirSync(join(dir, "tree/node_modules"));
  mkdirSync(join(dir, "empty"));
  writeFileSync(join(dir, "tree/b.yaml"), "b: 1\n");
  writeFileSync(join(dir, "tree/a.yml"), "a: 1\n");
  writeFileSync(join(dir, "tree/c.json"), "{}\n");
  writeFileSync(join(dir, "tree/notes.txt"), "not yaml\n");
  writeFileSync(join(dir, "tree/sub/d.yaml"), "d: 1\n");
  writeFileSync(join(dir, "tree/.hidden/e.yaml"), "e: 1\n");
  writeFileSync(join(dir, "tree/node_modules/f.yaml"), "f: 1\n");
  symlinkSync(join(dir, "tree"), join(dir, "tree/sub/loop")); // a cycle
  symlinkSync(join(dir, "missing.yaml"), join(dir, "tree/dangling.yaml"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("readInputs", () => {
  test("walks directories recursively, sorted, skipping hidden entries, node_modules and other extensions", () => {
    const r = readInputs([join(dir, "tree")]);
    expect(r.inputs.map((i) => i.file.slice(dir.length + 1))).toEqual(["tree/a.yml", "tree/b.yaml", "tree/c.json", "tree/sub/d.yaml"]);
    expect(r.inputs[0].text).toBe("a: 1\n");
  });

  test("a symbolic-link cycle is walked once; a dangling link is reported, not thrown", () => {
    const r = readInputs([join(dir, "tree")]);
    expect(r.diagnostics).toEqual([
      expect.objectContaining({
        code: "input/unreadable",
        severity: "error",
        file: join(dir, "tree/dangling.yaml"),
        message: "cannot read: no such file or directory",
      }),
    ]);
  });

  test("a file named twice (or also inside a directory) is read once", () => {
    const r = readInputs([join(dir, "tree/b.yaml"), join(dir, "tree"), join(dir, "tree/b.yaml")]);
    expect(r.inputs.filter((i) => i.file.endsWith("b.yaml"))).toHaveLength(1);
  });

  test("missing paths and empty directories are diagnostics", () => {
    const r = readInputs([join(dir, "nope.yaml"), join(dir, "empty")]);
    expect(r.inputs).toEqual([]);
    expect(r.diagnostics).toEqual([
      expect.objectContaining({ code: "input/unreadable", severity: "error", file: join(dir, "nope.yaml"), message: "cannot read: no such file or directory" }),
      expect.objectContaining({ code: "input/empty-dir", severity: "warning", file: join(dir, "empty") }),
    ]);
  });

  test("`-` reads standard input once", () => {
    let reads = 0;
    const r = readInputs(["-", "-"], () => {
      reads++;
      return "x: 1\n";
    });
    expect(reads).toBe(1);
    expect(r.inputs).toEqual([{ file: "-", text: "x: 1\n" }]);
  });
});
