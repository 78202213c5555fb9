#!/usr/bin/env node
// Entry point of the `unimesh` CLI (runs the compiled code in dist/; `npm install` builds it).
import { run } from "../dist/cli/main.js";
import { readFileSync } from "node:fs";

// A reader that stops reading (`unimesh meshes -o json | head -1`) closes the pipe: the rest of the
// output has nobody to go to. End quietly, as Unix tools do, with exit 0 (the reader got what it wanted),
// never with an EPIPE stack trace. The write may fail at once (`write` throws) or later (an 'error' event).
const closed = (e) => e && (e.code === "EPIPE" || e.code === "ERR_STREAM_DESTROYED");
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (e) => {
    if (closed(e)) process.exit(0);
    throw e;
  });
}
const writer = (stream) => ({
  write(s) {
    try {
      return stream.write(s);
    } catch (e) {
      if (closed(e)) process.exit(0);
      throw e;
    }
  },
});

const code = await run(process.argv.slice(2), {
  stdout: writer(process.stdout),
  stderr: writer(process.stderr),
  readStdin: () => readFileSync(0, "utf8"),
  env: process.env,
  cwd: process.cwd(),
  terminal: () => (process.stdout.isTTY ? { columns: process.stdout.columns ?? 80, rows: process.stdout.rows ?? 24 } : undefined),
});
// Let pending writes to pipes drain before exiting.
if (process.stdout.writableNeedDrain) await new Promise((r) => process.stdout.once("drain", r));
process.exit(code);
