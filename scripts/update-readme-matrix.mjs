#!/usr/bin/env node
// Rewrites the feature × mesh matrix of README.md (between `<!-- matrix:start -->` and
// `<!-- matrix:end -->`) from the adapters' declared capabilities, using the BUILT code in dist/:
//
//   npm run build && node scripts/update-readme-matrix.mjs          # rewrite README.md
//   npm run build && node scripts/update-readme-matrix.mjs --check  # exit 1 when README.md is stale
//
// test/cli/readme-matrix.test.ts fails when README.md differs from what this script writes.
import { readFileSync, writeFileSync } from "node:fs";

const readmeUrl = new URL("../README.md", import.meta.url);
let matrix, adapters;
try {
  matrix = await import("../dist/cli/matrix.js");
  ({ BUILTIN_ADAPTERS: adapters } = await import("../dist/adapters/index.js"));
} catch (e) {
  console.error(`update-readme-matrix: cannot load dist/ (run \`npm run build\` first): ${e.message}`);
  process.exit(2);
}
const readme = readFileSync(readmeUrl, "utf8");
const next = matrix.readmeWithMatrix(readme, adapters);
if (next === undefined) {
  console.error(`update-readme-matrix: README.md has no ${matrix.MATRIX_START} ... ${matrix.MATRIX_END} markers`);
  process.exit(2);
}
if (process.argv.includes("--check")) {
  if (next !== readme) {
    console.error("update-readme-matrix: README.md's matrix is stale; run `npm run build && node scripts/update-readme-matrix.mjs`");
    process.exit(1);
  }
  console.log("README.md matrix is up to date");
} else if (next !== readme) {
  writeFileSync(readmeUrl, next);
  console.log(`README.md matrix updated (${adapters.length} adapters)`);
} else {
  console.log("README.md matrix already up to date");
}
