#!/usr/bin/env node
// Entry point of the `unimesh` CLI (runs the compiled code in dist/; `npm ci` builds it).
import { run } from "../dist/cli/main.js";
import { readFileSync } from "node:fs";

const code = await run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  readStdin: () => readFileSync(0, "utf8"),
  env: process.env,
  cwd: process.cwd(),
});
// Let pending writes to pipes drain before exiting.
if (process.stdout.writableNeedDrain) await new Promise((r) => process.stdout.once("drain", r));
process.exit(code);
