/** src/proxy/features/requestId.ts: `x-request-id` values are random version-4 UUIDs (RFC 9562 §5.4), never repeated. */
import { describe, expect, test } from "vitest";
import { newRequestId } from "../../src/proxy/features/requestId.js";

describe("newRequestId", () => {
  test("version 4, variant 10, lower-case hex with dashes; distinct across 3,000", () => {
    const seen = new Set<string>();
    const nibbles = new Array<number>(32).fill(0);
    const N = 3000;
    for (let i = 0; i < N; i++) {
      const id = newRequestId();
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      seen.add(id);
      const hex = id.replaceAll("-", "");
      for (let k = 0; k < 32; k++) nibbles[k] += parseInt(hex[k], 16);
    }
    expect(seen.size).toBe(N);
    // Random digits average 7.5 (0-15); the version digit is always 4, the variant digit 8-b (mean 9.5).
    for (let k = 0; k < 32; k++) {
      const mean = nibbles[k] / N;
      if (k === 12) expect(mean).toBe(4);
      else if (k === 16) expect(mean).toBeCloseTo(9.5, 0);
      else expect(Math.abs(mean - 7.5)).toBeLessThan(0.5);
    }
  });
});
