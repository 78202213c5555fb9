/**
 * The Gateway API adapter's feature modules: each declares, per release, what it can express of the
 * features it owns (the standard channel; notes say what the experimental one adds), and holds the code
 * that translates or refuses them (one file per feature; retries.ts owns timeout and retries).
 * `capabilities(version)` is derived from this list. refusals.ts (what the refusals share) owns no feature.
 */
import type { FeatureModule } from "../../../api/feature-module.js";
import { corsFeature } from "../../shared/gamma/features/cors.js";
import { crossClusterFeature } from "./crossCluster.js";
import { headersFeature } from "../../shared/gamma/features/headers.js";
import { matchFeature } from "../../shared/gamma/features/match.js";
import { mirrorFeature } from "../../shared/gamma/features/mirror.js";
import { redirectFeature } from "../../shared/gamma/features/redirect.js";
import { resilienceFeature } from "../../shared/gamma/features/retries.js";
import { rewriteFeature } from "../../shared/gamma/features/rewrite.js";
import { splitFeature } from "../../shared/gamma/features/split.js";
import { accessFeature } from "./access.js";
import { accessL7Feature } from "./accessL7.js";
import { accessNegationFeature } from "./accessNegation.js";
import { connectionPoolFeature } from "./connectionPool.js";
import { directResponseFeature } from "./directResponse.js";
import { faultInjectionFeature } from "./faultInjection.js";
import { loadBalancerFeature } from "./loadBalancer.js";
import { mtlsFeature } from "./mtls.js";
import { outlierDetectionFeature } from "./outlierDetection.js";
import { rateLimitFeature } from "./rateLimit.js";
import { requestAuthenticationFeature } from "./requestAuthentication.js";
import { scopeFeature } from "./scope.js";
import { subsetSettingsFeature } from "./subsetSettings.js";
import { trafficSourceFeature } from "./trafficSource.js";
import { wasmExtensionFeature } from "./wasmExtension.js";

export const GATEWAY_API_FEATURES: readonly FeatureModule[] = [
  matchFeature,
  splitFeature,
  resilienceFeature,
  mirrorFeature,
  headersFeature,
  corsFeature,
  rewriteFeature,
  redirectFeature,
  faultInjectionFeature,
  directResponseFeature,
  outlierDetectionFeature,
  connectionPoolFeature,
  loadBalancerFeature,
  rateLimitFeature,
  subsetSettingsFeature,
  trafficSourceFeature,
  mtlsFeature,
  accessFeature,
  accessL7Feature,
  accessNegationFeature,
  scopeFeature,
  requestAuthenticationFeature,
  crossClusterFeature,
  wasmExtensionFeature,
];
