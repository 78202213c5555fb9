/**
 * For meshes whose proxies cannot run proxy-wasm modules (or whose API has no way to attach one): every
 * WasmExtension is an error naming the field and the mesh. Translating the rest without it would drop
 * the extension silently, and an extension that denies requests (an authorization filter) dropped is an
 * access rule dropped, so the error stops the translation.
 */
import type { TranslateContext } from "../../api/adapter.js";
import { type FeatureModule, refusedFeature } from "../../api/feature-module.js";
import type { Model } from "../../api/model.js";
import { Reporter } from "./report.js";

/** The feature module of a mesh that cannot run proxy-wasm modules in any version: `none`, with why. */
export function refusedWasmExtension(why: string): FeatureModule {
  return refusedFeature("wasmExtension", why);
}

/**
 * Reports each WasmExtension (`/spec`: all of it) as an error,
 * `adapter/unsupported-feature/wasmExtension`.
 * @param mesh the mesh and version, for the message (`Linkerd 2.18`).
 * @param why the upstream limit, in a few words.
 */
export function refuseWasmExtensions(model: Model, ctx: TranslateContext, mesh: string, why: string): void {
  if (!model.wasmExtensions.length) return;
  const reporter = new Reporter(ctx);
  for (const e of model.wasmExtensions) {
    const d = e.doc.spec.destination;
    reporter.report(e, "/spec", {
      feature: "wasmExtension",
      kind: "unsupported-feature",
      severity: "error",
      message: `WasmExtension: ${mesh} cannot run proxy-wasm modules (${why}), so this extension would not run on the requests of ${d.namespace ?? e.namespace}/${d.service}; use --mesh istio or the built-in proxy (unimesh up), or do the work in the application`,
    });
  }
}
