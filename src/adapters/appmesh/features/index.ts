/**
 * The App Mesh feature modules: each owns one model feature (its file is named after it), declares what
 * App Mesh 1.13 can do of it, and holds the code that translates or refuses it. The adapter's
 * `capabilities(version)` is derived from this list (`deriveCapabilities`), which must name every
 * feature of `src/api/features.ts` exactly once. mesh.ts (the Mesh, its egress filter, the
 * end-of-support notice) owns no feature.
 */
import { crossClusterFeature } from "./crossCluster.js";
import type { FeatureModule } from "../../../api/feature-module.js";
import { accessFeature } from "./access.js";
import { accessL7Feature } from "./accessL7.js";
import { accessNegationFeature } from "./accessNegation.js";
import { connectionPoolFeature } from "./connectionPool.js";
import { corsFeature } from "./cors.js";
import { directResponseFeature } from "./directResponse.js";
import { faultInjectionFeature } from "./faultInjection.js";
import { headersFeature } from "./headers.js";
import { loadBalancerFeature } from "./loadBalancer.js";
import { matchFeature } from "./match.js";
import { mirrorFeature } from "./mirror.js";
import { mtlsFeature } from "./mtls.js";
import { outlierDetectionFeature } from "./outlierDetection.js";
import { rateLimitFeature } from "./rateLimit.js";
import { redirectFeature } from "./redirect.js";
import { requestAuthenticationFeature } from "./requestAuthentication.js";
import { retriesFeature } from "./retries.js";
import { rewriteFeature } from "./rewrite.js";
import { scopeFeature } from "./scope.js";
import { splitFeature } from "./split.js";
import { subsetSettingsFeature } from "./subsetSettings.js";
import { timeoutFeature } from "./timeout.js";
import { trafficSourceFeature } from "./trafficSource.js";
import { wasmExtensionFeature } from "./wasmExtension.js";

/** Every App Mesh feature module. */
export const APPMESH_FEATURES: readonly FeatureModule[] = [
  matchFeature,
  splitFeature,
  timeoutFeature,
  retriesFeature,
  faultInjectionFeature,
  mirrorFeature,
  headersFeature,
  corsFeature,
  rewriteFeature,
  redirectFeature,
  directResponseFeature,
  outlierDetectionFeature,
  connectionPoolFeature,
  loadBalancerFeature,
  rateLimitFeature,
  mtlsFeature,
  accessFeature,
  accessL7Feature,
  accessNegationFeature,
  scopeFeature,
  requestAuthenticationFeature,
  trafficSourceFeature,
  subsetSettingsFeature,
  crossClusterFeature,
  wasmExtensionFeature,
];
