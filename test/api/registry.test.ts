/**
 * The lazy adapter registry (used by the CLI for fast start-up) lists exactly the shipped adapters of
 * `BUILTIN_ADAPTERS`, in order, and every adapter folder is registered.
 */
import { readdirSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import { BUILTIN_ADAPTERS } from "../../src/index.js";
import { ADAPTER_NAMES, loadAdapter } from "../../src/adapters/registry.js";

const ADAPTERS_DIR = join(import.meta.dirname, "../../src/adapters");

test("ADAPTER_NAMES and loadAdapter() agree with BUILTIN_ADAPTERS, in order", async () => {
  expect([...ADAPTER_NAMES]).toEqual(BUILTIN_ADAPTERS.map((a) => a.name));
  for (const a of BUILTIN_ADAPTERS) expect(await loadAdapter(a.name)).toBe(a);
  for (const name of ["nope", "shared", "toString", "constructor", "", "Istio"]) expect(await loadAdapter(name), name).toBeUndefined();
});

test("every adapter folder is registered (one line in registry.ts) and declares its golden targets in its folder", () => {
  const folders = readdirSync(ADAPTERS_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name !== "shared" && existsSync(join(ADAPTERS_DIR, d.name, "index.ts")))
    .map((d) => d.name)
    .sort();
  expect(folders).toEqual(BUILTIN_ADAPTERS.map((a) => a.name).sort());
  for (const f of folders) expect(existsSync(join(ADAPTERS_DIR, f, "testdata", "golden-targets.json")), f).toBe(true);
});

test("src/adapters/shipped.ts imports the registry's adapters in its order (test/api/schema.test.ts checks it is freshly generated)", () => {
  const text = readFileSync(join(ADAPTERS_DIR, "shipped.ts"), "utf8");
  const imported = [...text.matchAll(/from "\.\/([a-z0-9-]+)\/index\.js";/g)].map((m) => m[1]);
  expect(imported).toEqual([...ADAPTER_NAMES]);
});

test("the model's default retry conditions are the ones the schema documents", async () => {
  const { DEFAULT_RETRY_ON } = await import("../../src/api/model.js");
  const { readFileSync } = await import("node:fs");
  const schema = JSON.parse(readFileSync(new URL("../../schemas/unimesh.schema.json", import.meta.url), "utf8"));
  expect(schema.definitions.Retries.properties.retryOn.description).toContain(`Default: [${DEFAULT_RETRY_ON.join(", ")}]`);
});
