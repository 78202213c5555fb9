/**
 * Prints one plain closing line, `N passed, N failed, N skipped`, after vitest's own summary, so any
 * CI can read the result without knowing vitest's format.
 */
import type { Reporter } from "vitest/reporters";

type AnyTask = { type: string; mode?: string; result?: { state?: string }; tasks?: AnyTask[] };

export default class SummaryReporter implements Reporter {
  onFinished(files: AnyTask[] = [], errors: unknown[] = []): void {
    let passed = 0,
      failed = 0,
      skipped = 0;
    const visit = (t: AnyTask) => {
      if (t.type === "test") {
        const s = t.result?.state;
        if (s === "pass") passed++;
        else if (s === "fail") failed++;
        else skipped++;
      }
      for (const c of t.tasks ?? []) visit(c);
    };
    for (const f of files) {
      const before = passed + failed + skipped;
      visit(f);
      // A test file that failed to load has no tests: count it as one failure.
      if (f.result?.state === "fail" && passed + failed + skipped === before) failed++;
    }
    if (errors.length && failed === 0) failed += errors.length;
    process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
