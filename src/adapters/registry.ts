/**
 * The shipped adapters by name, each loaded on demand. An adapter is dozens of modules: the CLI
 * imports only the one it translates with, so `unimesh translate --mesh istio` does not pay for the
 * others. Library users who want the values up front use `BUILTIN_ADAPTERS` (./index.ts), the same
 * adapters in the same order.
 */
import type { Adapter } from "../api/adapter.js";

/** Names of the shipped adapters, in `BUILTIN_ADAPTERS` order. */
export const ADAPTER_NAMES: readonly string[] = ["builtin", "istio", "linkerd", "appmesh"];

/**
 * Imports the shipped adapter called `name` (and only its modules).
 * @returns undefined when no shipped adapter has that name.
 */
export async function loadAdapter(name: string): Promise<Adapter | undefined> {
  // One literal import() per adapter, so that bundlers keep each adapter in its own chunk.
  switch (name) {
    case "builtin": return (await import("./builtin/index.js")).builtin;
    case "istio": return (await import("./istio/index.js")).istio;
    case "linkerd": return (await import("./linkerd/index.js")).linkerd;
    case "appmesh": return (await import("./appmesh/index.js")).appmesh;
    default: return undefined;
  }
}
