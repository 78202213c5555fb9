/**
 * The adapters shipped with unimesh. Adapters are plain values: pass one to `translate()`. This list
 * is what `--mesh NAME` resolves against and what `unimesh meshes` prints; third-party adapters are
 * loaded with `--adapter <package-or-path>` instead. Importing it loads every adapter: `./registry.ts`
 * loads one by name (what `unimesh translate` does). Add a new adapter to both.
 */
import type { Adapter } from "../api/adapter.js";
import { builtin } from "./builtin/index.js";
import { istio } from "./istio/index.js";
import { appmesh } from "./appmesh/index.js";
import { linkerd } from "./linkerd/index.js";

export const BUILTIN_ADAPTERS: readonly Adapter[] = [builtin, istio, linkerd, appmesh];

/** Finds a shipped adapter by name. */
export function findAdapter(name: string): Adapter | undefined {
  return BUILTIN_ADAPTERS.find((a) => a.name === name);
}
