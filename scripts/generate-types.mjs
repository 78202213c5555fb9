#!/usr/bin/env node
// Generates, from schemas/*.schema.json (the single source of truth):
//   src/api/generated/model.ts       TypeScript types of the model (json-schema-to-typescript)
//   src/api/generated/modelValidators.ts
//                                    precompiled ajv validators, one per document kind (ajv standalone
//                                    code: no schema compilation at run time, so the CLI starts fast)
//   src/api/generated/<extra>Validators.ts  the same for each extra schema (proxyConfigValidators.ts),
//                                    in its own module so that loading the model's does not load it
//   src/api/generated/validators.ts  all of them (re-exports)
// and, from src/adapters/registry.ts (the one line per shipped adapter):
//   src/adapters/shipped.ts          BUILTIN_ADAPTERS: every shipped adapter imported, in registry order
// `npm run generate` writes them; `node scripts/generate-types.mjs --check` exits 1 when one is stale
// (a test runs the check).
import { readFileSync, writeFileSync, mkdirSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { compile } from "json-schema-to-typescript";
import Ajv from "ajv";
import standaloneCode from "ajv/dist/standalone/index.js";
import ucs2lengthModule from "ajv/dist/runtime/ucs2length.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const gen = join(root, "src/api/generated");
const KINDS = ["TrafficPolicy", "AccessPolicy", "MTLSPolicy", "RequestAuthentication", "WasmExtension", "MeshService", "ClusterInfo", "VirtualMesh"];
const BANNER = (what) =>
  `/* eslint-disable */\n/**\n * GENERATED from ${what} by scripts/generate-types.mjs: do not edit.\n * Run \`npm run generate\` after changing the schema; a test fails when this file is stale.\n */`;

/** Extra schemas whose validators are generated too (name → [file, definition or "" for the root]). */
const EXTRA = [["ProxyConfig", "schemas/proxy-config.schema.json", ""]];

function readSchema(rel) {
  return JSON.parse(readFileSync(join(root, rel), "utf8"));
}

export async function generate() {
  const schema = readSchema("schemas/unimesh.schema.json");
  const wrapper = {
    title: "UnimeshDocument",
    definitions: schema.definitions,
    oneOf: KINDS.map((k) => ({ $ref: `#/definitions/${k}` })),
  };
  const opts = {
    bannerComment: BANNER("schemas/unimesh.schema.json"),
    unreachableDefinitions: true,
    additionalProperties: false,
    format: true,
    style: { singleQuote: false, printWidth: 110 },
  };
  const files = { "model.ts": await compile(wrapper, "UnimeshDocument", opts) };

  const modules = ["modelValidators"];
  files["modelValidators.ts"] = validatorsModule(
    schema,
    Object.fromEntries(KINDS.map((k) => [k, `${schema.$id}#/definitions/${k}`])),
    "schemas/unimesh.schema.json",
  );
  for (const [name, file, def] of EXTRA) {
    if (!existsSync(join(root, file))) continue;
    const s = readSchema(file);
    const base = `${name.charAt(0).toLowerCase()}${name.slice(1)}`;
    files[`${base}.ts`] = await compile(s, name, { ...opts, bannerComment: BANNER(file) });
    files[`${base}Validators.ts`] = validatorsModule(s, { [name]: def ? `${s.$id}#/definitions/${def}` : s.$id }, file);
    modules.push(`${base}Validators`);
  }
  files["validators.ts"] = `${BANNER("schemas/*.schema.json")}\n` + modules.map((m) => `export * from "./${m}.js";\n`).join("");
  return files;
}

/**
 * ajv standalone code validating against one schema file (its own ajv instance: each module holds only
 * its schema's code). Descriptions are left out of the embedded schema objects: ajv never reads them
 * (errors are not verbose), and they were most of the module's size, i.e. of its load time.
 */
function validatorsModule(schema, exportsMap, file) {
  const ajv = new Ajv({ allErrors: true, strict: true, code: { source: true, esm: true, lines: false } });
  ajv.addSchema(withoutDescriptions(schema));
  let code = (standaloneCode.default ?? standaloneCode)(ajv, exportsMap).replace(/^"use strict";/, "");
  // ajv's run-time helpers are CommonJS modules the code `require`s; the one these schemas use is inlined
  // (one module fewer to resolve and load at start-up). Any other keeps the require.
  for (const [call, fn] of RUNTIME_INLINE) code = code.replaceAll(call, `(${fn})`);
  const preamble = code.includes("require(") ? `import { createRequire } from "node:module";\nconst require = createRequire(import.meta.url);\n` : "";
  return `// @ts-nocheck\n${BANNER(file)}\n` + preamble + code + "\n";
}

/**
 * `src/adapters/shipped.ts` from the loader lines of `src/adapters/registry.ts`
 * (`name: async () => (await import("./<folder>/index.js")).<export>,`): static imports of the same
 * adapters in the same order, for library users who want every adapter value up front. The registry's
 * line is the only place a new mesh is registered.
 */
export function shippedAdapters() {
  const registry = readFileSync(join(root, "src/adapters/registry.ts"), "utf8");
  const re = /^\s*"?([a-z0-9-]+)"?: async \(\) => \(await import\("\.\/([a-z0-9-]+)\/index\.js"\)\)\.([A-Za-z_$][\w$]*),$/gm;
  const rows = [...registry.matchAll(re)].map((m) => ({ name: m[1], folder: m[2], exported: m[3] }));
  if (!rows.length) throw new Error('src/adapters/registry.ts: no loader lines found (name: async () => (await import("./<folder>/index.js")).<export>,)');
  return (
    `/**\n * GENERATED from src/adapters/registry.ts by scripts/generate-types.mjs: do not edit.\n` +
    ` * Register a mesh with its one line in registry.ts and run \`npm run generate\`; a test fails when this file is stale.\n */\n` +
    `import type { Adapter } from "../api/adapter.js";\n` +
    rows.map((r) => `import { ${r.exported} } from "./${r.folder}/index.js";\n`).join("") +
    `\n/** The shipped adapters, in registry order (\`ADAPTER_NAMES\`). */\n` +
    `export const BUILTIN_ADAPTERS: readonly Adapter[] = [${rows.map((r) => r.exported).join(", ")}];\n`
  );
}

/** ajv run-time helpers inlined into the standalone code: [the expression ajv writes, the function's source]. */
const RUNTIME_INLINE = [[(ucs2lengthModule.default ?? ucs2lengthModule).code, String(ucs2lengthModule.default ?? ucs2lengthModule)]];

/** Keywords whose value maps names to subschemas (the names themselves are not keywords). */
const SCHEMA_MAPS = new Set(["properties", "patternProperties", "definitions", "$defs", "dependentSchemas"]);
/** Keywords whose value is a value, not a schema: copied as is. */
const VALUES = new Set(["enum", "const", "default", "examples", "required"]);

/** A copy of a JSON schema without its `description` annotations (property names are kept, even `description`). */
function withoutDescriptions(node) {
  if (Array.isArray(node)) return node.map(withoutDescriptions);
  if (node === null || typeof node !== "object") return node;
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === "description" && typeof v === "string") continue;
    if (VALUES.has(k)) out[k] = v;
    else if (SCHEMA_MAPS.has(k) && v && typeof v === "object" && !Array.isArray(v)) {
      out[k] = Object.fromEntries(Object.entries(v).map(([name, sub]) => [name, withoutDescriptions(sub)]));
    } else out[k] = withoutDescriptions(v);
  }
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const files = await generate();
  const check = process.argv.includes("--check");
  let stale = 0;
  mkdirSync(gen, { recursive: true });
  const outputs = [...Object.entries(files).map(([name, text]) => [`src/api/generated/${name}`, text]), ["src/adapters/shipped.ts", shippedAdapters()]];
  for (const [rel, text] of outputs) {
    const path = join(root, rel);
    if (check) {
      if (!existsSync(path) || readFileSync(path, "utf8") !== text) {
        console.error(`${rel} is stale: run \`npm run generate\``);
        stale++;
      }
    } else writeFileSync(path, text);
  }
  process.exit(stale ? 1 : 0);
}
