/**
 * The shipped adapters by name, each loaded on demand. An adapter is dozens of modules: the CLI
 * imports only the one it translates with, so `unimesh translate --mesh istio` does not pay for the
 * others. Library users who want the values up front use `BUILTIN_ADAPTERS` (./index.ts), the same
 * adapters in the same order, which `npm run generate` writes into `./shipped.ts` from the lines below
 * (`test/api/registry.test.ts` checks that they agree and that every adapter folder has its line).
 * This is the one place a shipped mesh is registered; everything else about a mesh comes from its
 * folder (`Adapter.cluster` hooks, `features/`, `testdata/golden-targets.json`).
 */
import type { Adapter } from "../api/adapter.js";

/**
 * One line per shipped adapter, in the order `unimesh meshes` lists them. One literal `import()` each,
 * so that bundlers keep each adapter in its own chunk; keep the line's shape
 * (`name: async () => (await import("./<folder>/index.js")).<export>,`): the generator reads it.
 */
const LOADERS: Readonly<Record<string, () => Promise<Adapter>>> = {
  builtin: async () => (await import("./builtin/index.js")).builtin,
  istio: async () => (await import("./istio/index.js")).istio,
  linkerd: async () => (await import("./linkerd/index.js")).linkerd,
  appmesh: async () => (await import("./appmesh/index.js")).appmesh,
  "gateway-api": async () => (await import("./gateway-api/index.js")).gatewayApi,
  kuma: async () => (await import("./kuma/index.js")).kuma,
};

/** Names of the shipped adapters, in `BUILTIN_ADAPTERS` order. */
export const ADAPTER_NAMES: readonly string[] = Object.keys(LOADERS);

/**
 * Imports the shipped adapter called `name` (and only its modules).
 * @returns undefined when no shipped adapter has that name.
 */
export async function loadAdapter(name: string): Promise<Adapter | undefined> {
  return Object.hasOwn(LOADERS, name) ? LOADERS[name]() : undefined;
}
