/** Every Kuma feature module, one per model feature (FEATURES order): `capabilities()` is derived from them. */
import { crossClusterFeature } from "./crossCluster.js";
import type { FeatureModule } from "../../../api/feature-module.js";
import { access } from "./access.js";
import { accessL7 } from "./accessL7.js";
import { accessNegation } from "./accessNegation.js";
import { connectionPool } from "./connectionPool.js";
import { cors } from "./cors.js";
import { directResponse } from "./directResponse.js";
import { faultInjection } from "./faultInjection.js";
import { headers } from "./headers.js";
import { loadBalancer } from "./loadBalancer.js";
import { match } from "./match.js";
import { mirror } from "./mirror.js";
import { mtls } from "./mtls.js";
import { outlierDetection } from "./outlierDetection.js";
import { rateLimit } from "./rateLimit.js";
import { redirect } from "./redirect.js";
import { requestAuthentication } from "./requestAuthentication.js";
import { retries } from "./retries.js";
import { rewrite } from "./rewrite.js";
import { scope } from "./scope.js";
import { split } from "./split.js";
import { subsetSettings } from "./subsetSettings.js";
import { timeout } from "./timeout.js";
import { trafficSource } from "./trafficSource.js";
import { wasmExtension } from "./wasmExtension.js";

export const KUMA_FEATURES: readonly FeatureModule[] = [
  match,
  split,
  timeout,
  retries,
  faultInjection,
  mirror,
  headers,
  cors,
  rewrite,
  redirect,
  directResponse,
  outlierDetection,
  connectionPool,
  loadBalancer,
  rateLimit,
  mtls,
  access,
  accessL7,
  accessNegation,
  scope,
  requestAuthentication,
  trafficSource,
  subsetSettings,
  crossClusterFeature,
  wasmExtension,
];
