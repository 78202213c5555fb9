/**
 * The Linkerd translation context says each thing once: the same (policy, pointer, code, message) is
 * reported to the translation once, however often the adapter reports it, also for a policy with very
 * many diagnostics.
 */
import { describe, expect, test } from "vitest";
import type { TranslateContext } from "../../../src/api/adapter.js";
import type { Entry } from "../../../src/api/model.js";
import { Model } from "../../../src/api/model.js";
import { createContext } from "../../../src/adapters/linkerd/context.js";

function context(): { ctx: TranslateContext; seen: string[] } {
  const seen: string[] = [];
  const ctx: TranslateContext = {
    version: "2.20",
    options: { allowApproximations: [], policySet: "default" },
    report: (entry, pointer, d) => seen.push(`${entry.id} ${pointer} ${d.code} ${d.message}`),
    reportGlobal: () => {},
    allows: () => false,
  };
  return { ctx, seen };
}

const entry = (id: string) => ({ id }) as Entry<any>;

describe("linkerd report", () => {
  test("each (policy, pointer, code, message) once, in first-report order", () => {
    const { ctx, seen } = context();
    const lc = createContext(new Model([]), ctx);
    const a = entry("TrafficPolicy/ns/a");
    const b = entry("TrafficPolicy/ns/b");
    lc.report(a, "/spec", "match", "info", "adapter/note", "m1");
    lc.report(a, "/spec", "match", "info", "adapter/note", "m1");
    lc.report(a, "/spec", "match", "info", "adapter/note", "m2");
    lc.report(a, "/spec", "match", "error", "adapter/conflict", "m1");
    lc.report(a, "/spec/routes/0", "match", "info", "adapter/note", "m1");
    lc.report(b, "/spec", "match", "info", "adapter/note", "m1");
    // Another object with the same id is the same policy.
    lc.report(entry("TrafficPolicy/ns/a"), "/spec", "match", "info", "adapter/note", "m2");
    expect(seen).toEqual([
      "TrafficPolicy/ns/a /spec adapter/note m1",
      "TrafficPolicy/ns/a /spec adapter/note m2",
      "TrafficPolicy/ns/a /spec adapter/conflict m1",
      "TrafficPolicy/ns/a /spec/routes/0 adapter/note m1",
      "TrafficPolicy/ns/b /spec adapter/note m1",
    ]);
  });

  test("a policy with many diagnostics", () => {
    const { ctx, seen } = context();
    const lc = createContext(new Model([]), ctx);
    const a = entry("AccessPolicy/ns/a");
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 100; i++) {
        lc.report(a, `/spec/allow/${i}`, "access", "error", "adapter/unsupported-value", `rule ${i}`);
        lc.report(a, "/spec", "access", "error", "adapter/unsupported-value", `rule ${i}`);
        // Pointer and message split differently: a different report.
        lc.report(a, `/spec/allow/${i}`, "access", "error", "adapter/unsupported-value", "x");
        lc.report(a, `/spec/allow/${i}x`, "access", "error", "adapter/unsupported-value", "");
      }
    }
    expect(seen.length).toBe(400);
    expect(new Set(seen).size).toBe(400);
  });
});
