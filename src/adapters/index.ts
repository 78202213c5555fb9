/**
 * The adapters shipped with unimesh. Adapters are plain values: pass one to `translate()`. This list
 * is what `--mesh NAME` resolves against, what `unimesh meshes` prints, and whose cluster hooks
 * (`Adapter.cluster`) `discover`, `diff` and `apply` use; third-party adapters are loaded with
 * `--adapter <package-or-path>` instead. Importing it loads every adapter: `./registry.ts` loads one by
 * name (what `unimesh translate` does). A new mesh: its folder, its import and entry here, its line in
 * `./registry.ts` (a test checks that the two agree).
 */
import type { Adapter } from "../api/adapter.js";
import { builtin } from "./builtin/index.js";
import { istio } from "./istio/index.js";
import { appmesh } from "./appmesh/index.js";
import { linkerd } from "./linkerd/index.js";
import { gatewayApi } from "./gateway-api/index.js";
import { kuma } from "./kuma/index.js";

export const BUILTIN_ADAPTERS: readonly Adapter[] = [builtin, istio, linkerd, appmesh, gatewayApi, kuma];

/** Finds a shipped adapter by name. */
export function findAdapter(name: string): Adapter | undefined {
  return BUILTIN_ADAPTERS.find((a) => a.name === name);
}
