/** `--output-dir DIR` whole-or-nothing: failures injected at each step of the write leave nothing behind. */
import * as fs from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { InternalError, UsageError } from "../../src/api/diagnostics.js";
import type { KubeObject } from "../../src/api/adapter.js";
import { OUTPUT_MARKER, OutputError, type OutputFs, outputFiles, writeOutputDir } from "../../src/cli/output-dir.js";
import { scratch } from "./helpers.js";
import { readFileSync } from "node:fs";

test("inputs.ts repeats the marker name of output-dir.ts", () => {
  expect(readFileSync(new URL("../../src/cli/inputs.ts", import.meta.url), "utf8")).toContain(`const OUTPUT_MARKER = "${OUTPUT_MARKER}";`);
});

const FILES = [
  { path: "shop/configmap-a.yaml", content: "a: 1\n" },
  { path: "shop/configmap-b.yaml", content: "b: 1\n" },
  { path: "_cluster/fakemesh-x.yaml", content: "x: 1\n" },
];

/** Node's fs, except that the `n`-th call of `op` fails with `code`. */
function failing(op: keyof OutputFs, n: number, code = "ENOSPC"): OutputFs {
  let calls = 0;
  return new Proxy(fs, {
    get(target, prop) {
      const real = (target as any)[prop];
      if (prop !== op) return real;
      return (...args: unknown[]) => {
        if (++calls === n) throw Object.assign(new Error(`${code}: injected`), { code });
        return real(...args);
      };
    },
  }) as OutputFs;
}

function listAll(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).map(String).sort();
}

describe("writeOutputDir", () => {
  test("writes every file and the marker", () => {
    const cwd = scratch();
    writeOutputDir(join(cwd, "out"), "out", FILES, cwd);
    expect(listAll(join(cwd, "out"))).toEqual([
      OUTPUT_MARKER,
      "_cluster",
      "_cluster/fakemesh-x.yaml",
      "shop",
      "shop/configmap-a.yaml",
      "shop/configmap-b.yaml",
    ]);
    expect(fs.readFileSync(join(cwd, "out/shop/configmap-b.yaml"), "utf8")).toBe("b: 1\n");
    expect(fs.readFileSync(join(cwd, "out", OUTPUT_MARKER), "utf8")).toMatch(/^Written by `unimesh translate --output-dir`\./);
  });

  test("the marker names the command that wrote the directory", () => {
    const cwd = scratch();
    writeOutputDir(join(cwd, "out"), "out", FILES, cwd, undefined, "discover");
    expect(fs.readFileSync(join(cwd, "out", OUTPUT_MARKER), "utf8")).toMatch(/^Written by `unimesh discover --output-dir`\./);
  });

  test.each([
    ["the 2nd file write", "writeFileSync", 2],
    ["the marker write", "writeFileSync", 4],
    ["a sub-directory", "mkdirSync", 3],
    ["the final rename", "renameSync", 1],
  ] as const)("failure at %s into a new nested path: nothing left, created parents removed", (_what, op, n) => {
    const cwd = scratch({ "keep.txt": "x" });
    expect(() => writeOutputDir(join(cwd, "new/deeper/out"), "new/deeper/out", FILES, cwd, failing(op, n))).toThrow(OutputError);
    expect(listAll(cwd)).toEqual(["keep.txt"]);
  });

  test.each([
    ["the 3rd file write", "writeFileSync", 3],
    ["moving the old output aside", "renameSync", 1],
    ["moving the new output in", "renameSync", 2],
  ] as const)("failure at %s when replacing: the previous output is intact, no temp dir", (_what, op, n) => {
    const cwd = scratch();
    const out = join(cwd, "out");
    writeOutputDir(out, "out", [{ path: "old/configmap-old.yaml", content: "old\n" }], cwd);
    const before = listAll(out);
    expect(() => writeOutputDir(out, "out", FILES, cwd, failing(op, n))).toThrow(
      /^--output-dir out: cannot write the output: no space left on device; nothing was written$/,
    );
    expect(listAll(out)).toEqual(before);
    expect(fs.readdirSync(cwd)).toEqual(["out"]);
  });

  test("the error message names the reason", () => {
    const cwd = scratch();
    expect(() => writeOutputDir(join(cwd, "out"), "out", FILES, cwd, failing("writeFileSync", 1, "EACCES"))).toThrow("permission denied");
  });

  test("refusals are UsageErrors and touch nothing", () => {
    const cwd = scratch({ "mine/notes.md": "mine", "file.txt": "x" });
    expect(() => writeOutputDir(join(cwd, "mine"), "mine", FILES, cwd)).toThrow(UsageError);
    expect(() => writeOutputDir(join(cwd, "file.txt"), "file.txt", FILES, cwd)).toThrow(/exists and is not a directory/);
    fs.symlinkSync(join(cwd, "mine"), join(cwd, "link"));
    expect(() => writeOutputDir(join(cwd, "link"), "link", FILES, cwd)).toThrow(/exists and is not a directory/);
    expect(listAll(cwd)).toEqual(["file.txt", "link", "link/notes.md", "mine", "mine/notes.md"]);
  });
});

describe("outputFiles", () => {
  const obj = (apiVersion: string, kind: string, name: string, namespace?: string): KubeObject => ({
    apiVersion,
    kind,
    metadata: { name, ...(namespace ? { namespace } : {}) },
    spec: { a: 1 },
  });

  test("<namespace|_cluster>/<kind>-<name>.<ext>", () => {
    const files = outputFiles([obj("v1", "ConfigMap", "a", "shop"), obj("x.io/v1", "MeshConfig", "m")], "yaml");
    expect(files).toEqual([
      { path: "shop/configmap-a.yaml", content: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: shop\nspec:\n  a: 1\n" },
      { path: "_cluster/meshconfig-m.yaml", content: expect.stringContaining("kind: MeshConfig") },
    ]);
    expect(outputFiles([obj("v1", "ConfigMap", "a", "shop")], "json")[0]).toEqual({
      path: "shop/configmap-a.json",
      content: JSON.stringify(obj("v1", "ConfigMap", "a", "shop"), null, 2) + "\n",
    });
  });

  test("kind clashes across API groups are qualified by group", () => {
    const files = outputFiles(
      [
        obj("gateway.networking.k8s.io/v1", "HTTPRoute", "r", "ns"),
        obj("policy.linkerd.io/v1beta3", "HTTPRoute", "r", "ns"),
        obj("policy.linkerd.io/v1beta3", "HTTPRoute", "other", "ns"),
      ],
      "yaml",
    );
    expect(files.map((f) => f.path)).toEqual([
      "ns/httproute.gateway.networking.k8s.io-r.yaml",
      "ns/httproute.policy.linkerd.io-r.yaml",
      "ns/httproute-other.yaml",
    ]);
  });

  test("an object that cannot be serialized is an internal error", () => {
    const bad = { ...obj("v1", "ConfigMap", "a", "shop"), spec: { n: 1n } };
    expect(() => outputFiles([bad], "yaml")).toThrow(InternalError);
    expect(() => outputFiles([bad], "json")).toThrow(/cannot serialize ConfigMap shop\/a/);
  });
});
