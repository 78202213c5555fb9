/**
 * The adapters shipped with unimesh. Adapters are plain values: pass one to `translate()`. This list
 * is what `--mesh NAME` resolves against, what `unimesh meshes` prints, and whose cluster hooks
 * (`Adapter.cluster`) `discover`, `diff` and `apply` use; third-party adapters are loaded with
 * `--adapter <package-or-path>` instead. Importing it loads every adapter: `./registry.ts` loads one by
 * name (what `unimesh translate` does). A new mesh: its folder and its one line in `./registry.ts`;
 * `npm run generate` writes `./shipped.ts` (the static list) from that line.
 */
import type { Adapter } from "../api/adapter.js";
import { BUILTIN_ADAPTERS } from "./shipped.js";

export { BUILTIN_ADAPTERS };

/** Finds a shipped adapter by name. */
export function findAdapter(name: string): Adapter | undefined {
  return BUILTIN_ADAPTERS.find((a) => a.name === name);
}
