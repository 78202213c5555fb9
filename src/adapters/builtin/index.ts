/**
 * The `builtin` adapter: unimesh's own data plane. `unimesh translate --mesh builtin` emits one
 * ProxyConfig document (schema: `schemas/proxy-config.schema.json`), the compiled route tables and
 * policies; `unimesh proxy` runs it with a ServiceRegistry of local instances, and `unimesh up` does
 * both in one command. The proxy is the reference implementation of the model's semantics: every
 * feature (one module each, `features/index.ts`, from which `capabilities()` is derived) is enforced on the wire and proven by a behaviour test in `test/proxy/`.
 */
import type { Adapter } from "../../api/adapter.js";
import { deriveCapabilities } from "../../api/feature-module.js";
import { BUILTIN_FEATURES } from "./features/index.js";
import { translateBuiltin } from "./translator.js";

/**
 * unimesh's built-in proxy. Versions: the ProxyConfig format `1`. No settings of its own; the core
 * `trustDomain` becomes `ProxyConfig.spec.trustDomain` (the trust domain of its CA and identities).
 */
export const builtin: Adapter = {
  name: "builtin",
  description: "unimesh's own proxy on 127.0.0.1 (`unimesh up` / `unimesh proxy`): a local mesh with no cluster",
  versions: ["1"],
  defaultVersion: "1",
  capabilities: (version) => deriveCapabilities(BUILTIN_FEATURES, version),
  translate: translateBuiltin,
};

export default builtin;
