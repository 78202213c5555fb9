/**
 * Kuma's feature modules follow the shared contract (`src/api/feature-module.ts`): each module owns one
 * model feature, declares what Kuma (per version) can do with it, and holds the code that translates or
 * refuses it; the adapter's `capabilities()` is derived from them (features/index.ts).
 */
import type { Capability } from "../../../api/adapter.js";
import type { Feature } from "../../../api/features.js";
import type { FeatureModule } from "../../../api/feature-module.js";

export { full, none, partial, refusedFeature, type FeatureModule } from "../../../api/feature-module.js";

/** The module owning one feature, with its capability per Kuma version. */
export function featureModule(feature: Feature, capability: (version: string) => Capability): FeatureModule {
  return { features: [feature], capabilities: (v) => ({ [feature]: capability(v) }) };
}
