/**
 * Feature `wasmExtension`: refused in every Linkerd version. linkerd2-proxy is written in Rust and has
 * no WebAssembly runtime or extension API (no proxy-wasm host; Linkerd's CRDs have no Wasm kind), so
 * every WasmExtension is an error (src/adapters/shared/wasm.ts).
 */
import type { TranslateContext } from "../../../api/adapter.js";
import type { Model } from "../../../api/model.js";
import { refusedWasmExtension, refuseWasmExtensions } from "../../shared/wasm.js";

const WHY = "linkerd2-proxy has no WebAssembly runtime and Linkerd has no extension API";

/** What Linkerd can do of `wasmExtension`: nothing, in every version. */
export const wasmExtensionFeature = refusedWasmExtension("No proxy-wasm runtime: linkerd2-proxy has no extension API.");

/** Reports every WasmExtension (errors). */
export function refuseWasm(model: Model, ctx: TranslateContext): void {
  refuseWasmExtensions(model, ctx, `Linkerd ${ctx.version}`, WHY);
}
