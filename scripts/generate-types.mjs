#!/usr/bin/env node
// Generates, from schemas/*.schema.json (the single source of truth):
//   src/api/generated/model.ts       TypeScript types of the model (json-schema-to-typescript)
//   src/api/generated/validators.ts  precompiled ajv validators, one per document kind (ajv standalone
//                                    code: no schema compilation at run time, so the CLI starts fast)
// `npm run generate` writes them; `node scripts/generate-types.mjs --check` exits 1 when one is stale
// (a test runs the check).
import { readFileSync, writeFileSync, mkdirSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { compile } from "json-schema-to-typescript";
import Ajv from "ajv";
import standaloneCode from "ajv/dist/standalone/index.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const gen = join(root, "src/api/generated");
const KINDS = ["TrafficPolicy", "AccessPolicy", "MTLSPolicy", "MeshService", "ClusterInfo"];
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

  const ajv = new Ajv({ allErrors: true, strict: true, code: { source: true, esm: true, lines: false } });
  ajv.addSchema(schema);
  const exportsMap = Object.fromEntries(KINDS.map((k) => [k, `${schema.$id}#/definitions/${k}`]));
  for (const [name, file, def] of EXTRA) {
    if (!existsSync(join(root, file))) continue;
    const s = readSchema(file);
    ajv.addSchema(s);
    exportsMap[name] = def ? `${s.$id}#/definitions/${def}` : s.$id;
    files[`${name.charAt(0).toLowerCase()}${name.slice(1)}.ts`] = await compile(s, name, {
      ...opts, bannerComment: BANNER(file),
    });
  }
  const code = standaloneCode.default ? standaloneCode.default(ajv, exportsMap) : standaloneCode(ajv, exportsMap);
  files["validators.ts"] =
    `// @ts-nocheck\n${BANNER("schemas/*.schema.json")}\n` +
    `import { createRequire } from "node:module";\nconst require = createRequire(import.meta.url);\n` +
    code.replace(/^"use strict";/, "") + "\n";
  return files;
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
