/** Durations of the model: `<number><unit>` terms, units ms, s, m, h (`500ms`, `2s`, `1m30s`). */

const TERM = /([0-9]+(?:\.[0-9]+)?)(ms|h|m|s)/y;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses a model duration into milliseconds.
 * @returns milliseconds (may be fractional), or `undefined` when the text is not a duration.
 */
export function parseDuration(text: string): number | undefined {
  if (typeof text !== "string" || text.length === 0) return undefined;
  let total = 0;
  TERM.lastIndex = 0;
  let pos = 0;
  while (pos < text.length) {
    TERM.lastIndex = pos;
    const m = TERM.exec(text);
    if (!m) return undefined;
    total += Number(m[1]) * UNIT_MS[m[2]];
    pos = TERM.lastIndex;
  }
  return total;
}

/**
 * Formats milliseconds as a Go/protobuf-style duration accepted by Kubernetes CEL `duration()` and by
 * Istio: whole seconds as `2s`, otherwise milliseconds `1500ms`, sub-millisecond values rounded up to `1ms`.
 */
export function formatDuration(ms: number): string {
  const whole = Math.max(1, Math.ceil(ms));
  return whole % 1000 === 0 ? `${whole / 1000}s` : `${whole}ms`;
}

/** Milliseconds → `{unit, value}` as App Mesh wants it (`ms` unless a whole number of seconds). */
export function durationUnitValue(ms: number): { unit: "s" | "ms"; value: number } {
  const whole = Math.max(1, Math.ceil(ms));
  return whole % 1000 === 0 ? { unit: "s", value: whole / 1000 } : { unit: "ms", value: whole };
}
