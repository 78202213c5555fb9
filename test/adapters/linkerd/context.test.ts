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
import { adapterCode, codeFamily, isCodeIn } from "../../../src/api/diagnostics.js";

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
    lc.report(a, "/spec", { feature: "match", kind: "note", severity: "info", message: "m1" });
    lc.report(a, "/spec", { feature: "match", kind: "note", severity: "info", message: "m1" });
    lc.report(a, "/spec", { feature: "match", kind: "note", severity: "info", message: "m2" });
    lc.report(a, "/spec", { feature: "match", kind: "conflict", severity: "error", message: "m1" });
    lc.report(a, "/spec/routes/0", { feature: "match", kind: "note", severity: "info", message: "m1" });
    lc.report(b, "/spec", { feature: "match", kind: "note", severity: "info", message: "m1" });
    // Another object with the same id is the same policy.
    lc.report(entry("TrafficPolicy/ns/a"), "/spec", { feature: "match", kind: "note", severity: "info", message: "m2" });
    expect(seen).toEqual([
      "TrafficPolicy/ns/a /spec adapter/note/match m1",
      "TrafficPolicy/ns/a /spec adapter/note/match m2",
      "TrafficPolicy/ns/a /spec adapter/conflict/match m1",
      "TrafficPolicy/ns/a /spec/routes/0 adapter/note/match m1",
      "TrafficPolicy/ns/b /spec adapter/note/match m1",
    ]);
  });

  test("a policy with many diagnostics", () => {
    const { ctx, seen } = context();
    const lc = createContext(new Model([]), ctx);
    const a = entry("AccessPolicy/ns/a");
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 100; i++) {
        lc.report(a, `/spec/allow/${i}`, { feature: "access", kind: "unsupported-value", severity: "error", message: `rule ${i}` });
        lc.report(a, "/spec", { feature: "access", kind: "unsupported-value", severity: "error", message: `rule ${i}` });
        // Pointer and message split differently: a different report.
        lc.report(a, `/spec/allow/${i}`, { feature: "access", kind: "unsupported-value", severity: "error", message: "x" });
        lc.report(a, `/spec/allow/${i}x`, { feature: "access", kind: "unsupported-value", severity: "error", message: "" });
      }
    }
    expect(seen.length).toBe(400);
    expect(new Set(seen).size).toBe(400);
  });

  test("the code is adapter/<kind>/<feature>[.<what>]; its family is its first two segments", () => {
    const { ctx, seen } = context();
    const lc = createContext(new Model([]), ctx);
    const a = entry("TrafficPolicy/ns/a");
    lc.report(a, "/spec/retries/backoff", { feature: "retries", kind: "unsupported-value", what: "backoff", severity: "error", message: "no backoff" });
    lc.report(a, "/spec/faultInjection", { feature: "faultInjection", kind: "unsupported-feature", severity: "error", message: "no faults" });
    expect(seen).toEqual([
      "TrafficPolicy/ns/a /spec/retries/backoff adapter/unsupported-value/retries.backoff no backoff",
      "TrafficPolicy/ns/a /spec/faultInjection adapter/unsupported-feature/faultInjection no faults",
    ]);
    expect(adapterCode("conflict", undefined, "selector")).toBe("adapter/conflict/selector");
    expect(codeFamily("adapter/unsupported-value/retries.backoff")).toBe("adapter/unsupported-value");
    expect(codeFamily("adapter/deprecated-mesh")).toBe("adapter/deprecated-mesh");
    expect(isCodeIn("adapter/unsupported-value/retries.backoff", "adapter/unsupported-value")).toBe(true);
    expect(isCodeIn("adapter/unsupported-value/retries.backoff", "adapter/unsupported-value/retries")).toBe(true);
    expect(isCodeIn("adapter/unsupported-value/retriesx", "adapter/unsupported-value/retries")).toBe(false);
    expect(isCodeIn("adapter/unsupported-feature/retries", "adapter/unsupported-value")).toBe(false);
  });
});
