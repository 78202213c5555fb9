/**
 * Feature `wasmExtension`: refused. App Mesh manages its Envoy sidecars itself: its CRDs
 * (VirtualNode, VirtualRouter, VirtualService, appmesh.k8s.aws/v1beta2) have no field for an HTTP
 * filter, Wasm or other, so every WasmExtension is an error (src/adapters/shared/wasm.ts).
 */
import type { TranslateContext } from "../../../api/adapter.js";
import type { Model } from "../../../api/model.js";
import { refusedWasmExtension, refuseWasmExtensions } from "../../shared/wasm.js";

/** What App Mesh can do of `wasmExtension`: nothing. */
export const wasmExtensionFeature = refusedWasmExtension("No extension API: the VirtualNode has no field for an Envoy HTTP filter (Wasm or other).");

/** Reports every WasmExtension (errors). */
export function refuseWasm(model: Model, ctx: TranslateContext): void {
  refuseWasmExtensions(model, ctx, "AWS App Mesh", "App Mesh configures its Envoy sidecars itself and its VirtualNode has no field for an HTTP filter");
}
