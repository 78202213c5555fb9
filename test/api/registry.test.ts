/** The lazy adapter registry (used by the CLI for fast start-up) must list exactly the shipped adapters. */
import { expect, test } from "vitest";
import { BUILTIN_ADAPTERS } from "../../src/index.js";
import { ADAPTER_NAMES, loadAdapter } from "../../src/adapters/registry.js";

test("ADAPTER_NAMES and loadAdapter() agree with BUILTIN_ADAPTERS, in order", async () => {
  expect([...ADAPTER_NAMES]).toEqual(BUILTIN_ADAPTERS.map((a) => a.name));
  for (const a of BUILTIN_ADAPTERS) expect(await loadAdapter(a.name)).toBe(a);
  expect(await loadAdapter("nope")).toBeUndefined();
});

test("the model's default retry conditions are the ones the schema documents", async () => {
  const { DEFAULT_RETRY_ON } = await import("../../src/api/model.js");
  const { readFileSync } = await import("node:fs");
  const schema = JSON.parse(readFileSync(new URL("../../schemas/unimesh.schema.json", import.meta.url), "utf8"));
  expect(schema.definitions.Retries.properties.retryOn.description).toContain(`Default: [${DEFAULT_RETRY_ON.join(", ")}]`);
});
