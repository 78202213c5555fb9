/**
 * The built-in proxy's feature modules: each owns one model feature (its file is named after it),
 * declares what the proxy can do of it, and holds the code that compiles it into the ProxyConfig (the
 * runtime that enforces it is `src/proxy/features/`). The adapter's `capabilities()` is derived from this
 * list (`deriveCapabilities`), which must name every feature of `src/api/features.ts` exactly once.
 * Helpers owning no feature: common.ts, podOnlyPorts.ts, types.ts.
 */
import type { FeatureModule } from "../../../api/feature-module.js";
import { accessFeature } from "./access.js";
import { accessL7Feature } from "./accessL7.js";
import { accessNegationFeature } from "./accessNegation.js";
import { connectionPoolFeature } from "./connectionPool.js";
import { corsFeature } from "./cors.js";
import { crossClusterFeature } from "./crossCluster.js";
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

/** Every feature module of the built-in proxy. */
export const BUILTIN_FEATURES: readonly FeatureModule[] = [
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
  scopeFeature,
  accessNegationFeature,
  requestAuthenticationFeature,
  trafficSourceFeature,
  subsetSettingsFeature,
  crossClusterFeature,
  wasmExtensionFeature,
];
