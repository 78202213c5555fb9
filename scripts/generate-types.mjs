#!/usr/bin/env node
// Generates, from schemas/*.schema.json (the single source of truth):
//   src/api/generated/model.ts       TypeScript types of the model (json-schema-to-typescript)
//   src/api/generated/modelValidators.ts
//                                    precompiled ajv validators, one per document kind (ajv standalone
//                                    code: no schema compilation at run time, so the CLI starts fast)
//   src/api/generated/<extra>Validators.ts  the same for each extra schema (proxyConfigValidators.ts),
//                                    in its own module so that loading the model's does not load it
//   src/api/generated/validators.ts  all of them (re-exports)
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
  files["modelValidators.ts"] = validatorsModule(schema, Object.fromEntries(KINDS.map((k) => [k, `${schema.$id}#/definitions/${k}`])), "schemas/unimesh.schema.json");
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
  for (const [name, text] of Object.entries(files)) {
    const path = join(gen, name);
    if (check) {
      if (!existsSync(path) || readFileSync(path, "utf8") !== text) {
        console.error(`src/api/generated/${name} is stale: run \`npm run generate\``);
        stale++;
      }
    } else writeFileSync(path, text);
  }
  process.exit(stale ? 1 : 0);
}
