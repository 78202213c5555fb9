/**
 * Feature `wasmExtension`: refused in every Gateway API release: no extension API for mesh traffic
 * (ExtensionRef filters are implementation-specific). Every WasmExtension is an error
 * (src/adapters/shared/wasm.ts).
 */
import type { Model } from "../../../api/model.js";
import type { FeatureModule } from "../../../api/feature-module.js";
import type { GatewayContext } from "../../shared/gamma/context.js";
import { refusedWasmExtension, refuseWasmExtensions } from "../../shared/wasm.js";

/** What Gateway API can do of `wasmExtension`: nothing, in every release. */
export const wasmExtensionFeature: FeatureModule = refusedWasmExtension("No Wasm extension API (ExtensionRef filters are implementation-specific).");

/** Reports every WasmExtension (errors). */
export function refuseWasmExtension(gc: GatewayContext, model: Model): void {
  refuseWasmExtensions(model, gc.ctx, gc.release, "Gateway API has no extension-filter API for mesh traffic; ExtensionRef filters are implementation-specific");
}
