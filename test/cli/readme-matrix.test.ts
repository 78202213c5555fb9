/** README.md's feature × mesh matrix is generated: it must equal renderMatrix(BUILTIN_ADAPTERS). */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import { BUILTIN_ADAPTERS } from "../../src/adapters/index.js";
import { MATRIX_END, MATRIX_START, readmeWithMatrix } from "../../src/cli/matrix.js";
import { ROOT } from "./helpers.js";

const readmePath = join(ROOT, "README.md");
const readme = existsSync(readmePath) ? readFileSync(readmePath, "utf8") : "";
const hasMarkers = readmeWithMatrix(readme, []) !== undefined;

test.skipIf(!hasMarkers)(
  hasMarkers
    ? "README.md's matrix is up to date (fix: npm run build && node scripts/update-readme-matrix.mjs)"
    : `README.md's matrix: SKIPPED because README.md has no ${MATRIX_START} ... ${MATRIX_END} markers yet`,
  () => {
    // Compare only the generated section, so the failure shows the matrix diff.
    const section = (s: string) => s.slice(s.indexOf(MATRIX_START), s.indexOf(MATRIX_END));
    expect(section(readme)).toBe(section(readmeWithMatrix(readme, BUILTIN_ADAPTERS)!));
  },
);

test("readmeWithMatrix replaces only the marked section, and is idempotent", () => {
  const doc = `# x\n\nintro\n\n${MATRIX_START}\nold stuff\n${MATRIX_END}\n\nafter\n`;
  const once = readmeWithMatrix(doc, BUILTIN_ADAPTERS)!;
  expect(once.startsWith(`# x\n\nintro\n\n${MATRIX_START}\n`)).toBe(true);
  expect(once.endsWith(`${MATRIX_END}\n\nafter\n`)).toBe(true);
  expect(once).toContain("| Feature |");
  expect(once).not.toContain("old stuff");
  expect(readmeWithMatrix(once, BUILTIN_ADAPTERS)).toBe(once);
  expect(readmeWithMatrix("# no markers\n", BUILTIN_ADAPTERS)).toBeUndefined();
  expect(readmeWithMatrix(`${MATRIX_END}\n${MATRIX_START}\n`, BUILTIN_ADAPTERS)).toBeUndefined();
});
