#!/usr/bin/env node
// Bundles the start-up path of the CLI (`npm run build` runs it after tsc): `unimesh translate` is the
// command people run most, often in scripts and CI, and resolving, reading and compiling ~70 small ES
// modules one by one cost about 20 ms of its ~115 ms start-up (bare node: ~50 ms). esbuild turns the
// tsc output of
//
//   dist/cli/main.js                the program (commander setup, the lazy command table)
//   dist/cli/commands/translate.js  the translate command
//
// into bundles written over those two files, plus chunks in dist/cli/ (what translate loads once it runs,
// one per adapter, `-o` output). Only these two files change: every other command module stays tsc's
// output and is imported from the bundle as before, so only translate (and --help) run bundled code.
//
// Shared on purpose (imported at run time, not copied into the bundle):
//   dist/api/diagnostics.js  its error classes: `instanceof UsageError` must hold for errors thrown by
//                            third-party adapters (they import unimesh's dist/index.js) and by the
//                            other commands;
//   commander                already required at run time (src/cli/commander.ts), one instance for all;
//   npm packages the bundle does not need on this path (@kubernetes/client-node, undici, ...).
//
// Without esbuild (a production install) this does nothing: tsc's dist/cli works unbundled.
// `node scripts/bundle-cli.mjs --check` verifies the last bundle (every import resolves).
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "dist");
const cli = join(dist, "cli");
/** Marks the files this script wrote (chunks are removed on the next run). */
const CHUNK_PREFIX = "bundle-";
/** Entry points: tsc output files replaced by their bundles (same path, so relative imports keep working). */
const ENTRIES = { "cli/main": "cli/main.js", "cli/commands/translate": "cli/commands/translate.js" };
/** Modules kept as run-time imports (paths relative to dist/): see above. */
const SHARED = ["api/diagnostics.js"];
/** Command modules other than translate: imported from dist/cli/commands as tsc wrote them. */
const OTHER_COMMANDS = /^cli\/commands\/(?!(?:translate|index)\.js$)[^/]+\.js$/;
/** First line of every file this script writes. */
const MARKER = "// Bundled by scripts/bundle-cli.mjs from tsc's output: edit src/, then `npm run build`.";
/** validate.ts reads the model schema with a path relative to dist/api; bundled, the schema is inlined. */
const SCHEMA_REQUIRE = 'createRequire(import.meta.url)("../../schemas/unimesh.schema.json")';

if (process.argv.includes("--check")) {
  const problems = check();
  for (const p of problems) console.error(p);
  process.exit(problems.length ? 1 : 0);
}

let esbuild;
try {
  esbuild = createRequire(join(root, "package.json"))("esbuild");
} catch {
  console.log("bundle-cli: esbuild is not installed; the CLI runs unbundled (tsc output)");
  process.exit(0);
}
for (const out of Object.values(ENTRIES)) {
  if (!existsSync(join(dist, out))) {
    console.error(`bundle-cli: dist/${out} is missing: run tsc first (npm run build)`);
    process.exit(1);
  }
  if (readFileSync(join(dist, out), "utf8").startsWith(MARKER)) {
    console.error(`bundle-cli: dist/${out} is already a bundle: run tsc first (npm run build)`);
    process.exit(1);
  }
}

// Build into a scratch directory laid out like dist/, then move the files into place (esbuild does not
// overwrite its own inputs).
const tmp = join(dist, ".bundle-tmp");
rmSync(tmp, { recursive: true, force: true });
const result = await esbuild.build({
  absWorkingDir: root,
  entryPoints: Object.fromEntries(Object.entries(ENTRIES).map(([name, file]) => [name, join(dist, file)])),
  outdir: tmp,
  outbase: dist,
  chunkNames: `cli/${CHUNK_PREFIX}[name]-[hash]`,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  packages: "bundle",
  external: ["@kubernetes/client-node", "undici", "@peculiar/x509"],
  metafile: true,
  logLevel: "warning",
  legalComments: "none",
  banner: { js: MARKER },
  plugins: [
    {
      name: "unimesh-shared-modules",
      setup(build) {
        // dist/ modules that stay separate: rewritten relative to dist/cli/, where every output but the
        // translate entry lives (check() verifies the translate entry imports none of them).
        build.onResolve({ filter: /^\.\.?\// }, (args) => {
          const target = resolve(args.resolveDir, args.path);
          if (!target.startsWith(dist + sep)) return undefined;
          const rel = relative(dist, target).split(sep).join("/");
          if (!SHARED.includes(rel) && !OTHER_COMMANDS.test(rel)) return undefined;
          let spec = relative(cli, target).split(sep).join("/");
          if (!spec.startsWith(".")) spec = "./" + spec;
          return { path: spec, external: true };
        });
        build.onLoad({ filter: /[\\/]dist[\\/]api[\\/]validate\.js$/ }, (args) => {
          const text = readFileSync(args.path, "utf8");
          if (!text.includes(SCHEMA_REQUIRE)) throw new Error(`${args.path} no longer reads the schema with ${SCHEMA_REQUIRE}: update scripts/bundle-cli.mjs`);
          return {
            contents: `import __unimeshSchema from "../../schemas/unimesh.schema.json";\n` + text.replace(SCHEMA_REQUIRE, "__unimeshSchema"),
            loader: "js",
          };
        });
      },
    },
  ],
});

for (const f of readdirSync(cli)) if (f.startsWith(CHUNK_PREFIX)) rmSync(join(cli, f));
const written = Object.keys(result.metafile.outputs).map((o) => relative(tmp, resolve(root, o)));
for (const rel of written) {
  mkdirSync(dirname(join(dist, rel)), { recursive: true });
  renameSync(join(tmp, rel), join(dist, rel));
}
rmSync(tmp, { recursive: true, force: true });

const problems = check();
if (problems.length) {
  for (const p of problems) console.error(`bundle-cli: ${p}`);
  process.exit(1);
}
const kb = written.reduce((n, f) => n + statSync(join(dist, f)).size, 0) / 1024;
console.log(`bundle-cli: ${written.length} files, ${kb.toFixed(0)} KB (dist/cli/main.js, dist/cli/commands/translate.js, dist/cli/${CHUNK_PREFIX}*.js)`);

/** Every relative import of the bundled files resolves to a file; the translate entry imports only bundled files. */
function check() {
  const out = [];
  const files = [
    ...Object.values(ENTRIES),
    ...readdirSync(cli)
      .filter((f) => f.startsWith(CHUNK_PREFIX))
      .map((f) => `cli/${f}`),
  ];
  for (const rel of files) {
    const file = join(dist, rel);
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)"(\.{1,2}\/[^"]+)"/g)) {
      const target = resolve(dirname(file), m[1]);
      if (!existsSync(target)) out.push(`dist/${rel} imports ${m[1]}, which does not exist`);
      if (rel === ENTRIES["cli/commands/translate"] && !relative(cli, target).startsWith(CHUNK_PREFIX)) {
        out.push(`dist/${rel} imports ${m[1]}: the translate entry may only import bundle chunks`);
      }
    }
  }
  return out;
}
