/**
 * "Say each thing once" for adapter diagnostics: an adapter may reach the same conclusion about the same
 * field several times (once per port, per caller, per route), and the user must read it once.
 */

/**
 * Remembers reported (policy id, pointer, code, message) tuples. Looked up by policy id, then pointer,
 * then compared by code and message: large translations report tens of thousands of diagnostics, and a
 * key joining the four would build and hash a copy of every message. The lists per pointer stay short
 * (a few codes and messages about one field).
 */
export class ReportOnce {
  /** Policy id → pointer → `[code, message, code, message, ...]`. */
  private readonly seen = new Map<string, Map<string, string[]>>();

  /** True the first time this (policy id, pointer, code, message) is seen; false afterwards. */
  first(id: string, pointer: string, code: string, message: string): boolean {
    let byPointer = this.seen.get(id);
    if (!byPointer) this.seen.set(id, (byPointer = new Map()));
    const earlier = byPointer.get(pointer);
    if (!earlier) {
      byPointer.set(pointer, [code, message]);
      return true;
    }
    for (let i = 0; i < earlier.length; i += 2) if (earlier[i] === code && earlier[i + 1] === message) return false;
    earlier.push(code, message);
    return true;
  }
}
