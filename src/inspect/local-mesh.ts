/**
 * The model as the built-in proxy runs it: translated by the builtin adapter and compiled exactly as
 * `unimesh up` does (without instances: decisions do not depend on them).
 */
import type { Model } from "../api/model.js";
import { InternalError, InvalidInputError, hasErrors } from "../api/diagnostics.js";
import { translate } from "../api/translate.js";
import { builtin } from "../adapters/builtin/index.js";
import type { ProxyConfig } from "../api/generated/proxyConfig.js";
import { mergeProxyDocuments } from "../proxy/config/merge.js";
import { compileConfig, type CompiledConfig } from "../proxy/config/compile.js";

/**
 * Compiles a model for the built-in proxy.
 * @throws InvalidInputError when the builtin adapter cannot translate the model (its diagnostics);
 *   InternalError when the translation does not compile (a bug).
 */
export function compileModel(model: Model): { config: ProxyConfig; compiled: CompiledConfig } {
  const r = translate(model, { adapter: builtin });
  if (!r.ok) throw new InvalidInputError(r.diagnostics.filter((d) => d.severity === "error"));
  const { config, diagnostics } = mergeProxyDocuments([{ doc: r.resources[0] as unknown as ProxyConfig, file: "<builtin translation>", documentIndex: 0 }], []);
  if (hasErrors(diagnostics)) throw new InternalError(`the builtin translation does not merge: ${diagnostics.map((d) => d.message).join("; ")}`);
  const c = compileConfig(config);
  if (!c.compiled) throw new InternalError(`the builtin translation does not compile: ${c.diagnostics.map((d) => `${d.pointer}: ${d.message}`).join("; ")}`);
  return { config, compiled: c.compiled };
}
