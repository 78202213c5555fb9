/**
 * What `unimesh translate` needs once it runs, in one module: the command imports it with one
 * `import()` (its module file stays light for `--help`), and the loader fetches all of it at once. In
 * the bundled CLI (scripts/bundle-cli.mjs) this is one chunk. The adapter itself comes later, by name
 * (src/adapters/registry.ts).
 */
export { UsageError, InternalError } from "../api/diagnostics.js";
export { requestMesh, chooseMesh, SHIPPED_ADAPTERS } from "./adapters.js";
export { loadInputs } from "./inputs.js";
export { countSummary, policyStatus, report } from "./report.js";
export { translate } from "../api/translate.js";
export { serialize } from "../api/emit.js";
