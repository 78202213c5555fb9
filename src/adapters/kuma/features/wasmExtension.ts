/**
 * Feature `wasmExtension`: refused. Kuma 2.14's policies (test/crds/kuma/v2.14.3) have no Wasm kind;
 * the only way to add an Envoy HTTP filter is MeshProxyPatch, a raw Envoy config patch
 * (`envoy.filters.http.wasm` with a `vm_config`), which unimesh does not generate: its shape is the
 * Envoy build's, not an API Kuma documents for Wasm. So every WasmExtension is an error
 * (src/adapters/shared/wasm.ts).
 */
import type { TranslateContext } from "../../../api/adapter.js";
import type { Model } from "../../../api/model.js";
import { refusedWasmExtension, refuseWasmExtensions } from "../../shared/wasm.js";

export const wasmExtension = refusedWasmExtension("No Wasm policy in Kuma 2.14 (only MeshProxyPatch, a raw Envoy config patch unimesh does not generate).");

/** Reports every WasmExtension (errors). */
export function refuseWasm(model: Model, ctx: TranslateContext): void {
  refuseWasmExtensions(
    model,
    ctx,
    `Kuma ${ctx.version}`,
    "Kuma has no Wasm policy; a MeshProxyPatch adding envoy.filters.http.wasm is raw Envoy configuration unimesh does not generate",
  );
}
