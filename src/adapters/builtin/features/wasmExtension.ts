/**
 * Feature `wasmExtension`: refused by the built-in proxy until its proxy-wasm runtime lands (every
 * WasmExtension is an error, src/adapters/shared/wasm.ts).
 */
import { refusedWasmExtension } from "../../shared/wasm.js";

/** What the built-in proxy can do of `wasmExtension`: nothing yet. */
export const wasmExtensionFeature = refusedWasmExtension("the built-in proxy does not run proxy-wasm modules yet");
