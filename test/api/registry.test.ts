/** The lazy adapter registry (used by the CLI for fast start-up) must list exactly the shipped adapters. */
import { expect, test } from "vitest";
import { BUILTIN_ADAPTERS } from "../../src/index.js";
import { ADAPTER_NAMES, loadAdapter } from "../../src/adapters/registry.js";

test("ADAPTER_NAMES and loadAdapter() agree with BUILTIN_ADAPTERS, in order", async () => {
  expect([...ADAPTER_NAMES]).toEqual(BUILTIN_ADAPTERS.map((a) => a.name));
  for (const a of BUILTIN_ADAPTERS) expect(await loadAdapter(a.name)).toBe(a);
  expect(await loadAdapter("nope")).toBeUndefined();
});
