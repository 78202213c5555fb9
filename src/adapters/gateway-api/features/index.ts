/**
 * The Gateway API adapter's feature modules: each declares, per release, what it can express of the
 * features it owns (the standard channel; notes say what the experimental one adds), and holds the code
 * that translates or refuses them. `capabilities(version)` is derived from this list.
 */
import { crossClusterFeature } from "./crossCluster.js";
import type { FeatureModule } from "../../../api/feature-module.js";
import { corsFeature } from "./cors.js";
import { headersFeature } from "./headers.js";
import { matchFeature } from "./match.js";
import { mirrorFeature } from "./mirror.js";
import { redirectFeature } from "./redirect.js";
import { resilienceFeature } from "./retries.js";
import { rewriteFeature } from "./rewrite.js";
import { splitFeature } from "./split.js";
import { REFUSED_FEATURES } from "./unsupported.js";

export const GATEWAY_API_FEATURES: readonly FeatureModule[] = [
  matchFeature, splitFeature, resilienceFeature, mirrorFeature, headersFeature, corsFeature, rewriteFeature, redirectFeature,
  ...REFUSED_FEATURES,
  crossClusterFeature,
];
