/* eslint-disable */
/**
 * GENERATED from schemas/*.schema.json by scripts/generate-types.mjs: do not edit.
 * Run `npm run generate` after changing the schema; a test fails when this file is stale.
 */
export * from "./modelValidators.js";
export * from "./proxyConfigValidators.js";
