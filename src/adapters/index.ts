/**
 * The adapters shipped with unimesh. Adapters are plain values: pass one to `translate()`. This list
 * is what `--mesh NAME` resolves against and what `unimesh meshes` prints; third-party adapters are
 * loaded with `--adapter <package-or-path>` instead.
 */
import type { Adapter } from "../api/adapter.js";
import { istio } from "./istio/index.js";
import { appmesh } from "./appmesh/index.js";
import { linkerd } from "./linkerd/index.js";

export const BUILTIN_ADAPTERS: readonly Adapter[] = [istio, linkerd, appmesh];

/** Finds a shipped adapter by name. */
export function findAdapter(name: string): Adapter | undefined {
  return BUILTIN_ADAPTERS.find((a) => a.name === name);
}
