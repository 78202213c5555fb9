/**
 * A Kuma feature module: the model feature it handles and what Kuma {@link KUMA_VERSIONS version} can do
 * with it. The adapter's `capabilities()` is built from these declarations (index.ts), so the matrix cannot
 * drift from the modules that implement or refuse each feature.
 */
import type { Capability } from "../../../api/adapter.js";
import type { Feature } from "../../../api/features.js";

export interface FeatureModule {
  readonly feature: Feature;
  capability(version: string): Capability;
}

/** Shorthands for declarations. */
export const full = (via: string, note?: string): Capability => ({ support: "full", via, ...(note ? { note } : {}) });
export const partial = (via: string, note: string): Capability => ({ support: "partial", via, note });
export const none = (note: string): Capability => ({ support: "none", note });
