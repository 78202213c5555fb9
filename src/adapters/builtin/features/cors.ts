/** `cors` → `Route.cors` (maxAge in whole seconds, rounded up). */
import { parseDuration } from "../../../api/duration.js";
import { nonEmpty } from "./common.js";
import type { RouteFeature } from "./types.js";
import { type FeatureModule, full } from "../../../api/feature-module.js";

/** What the built-in proxy can do of `cors` (format version 1). */
export const corsFeature: FeatureModule = {
  features: ["cors"],
  capabilities: () => ({ cors: full("Route.cors") }),
};

export const cors: RouteFeature = (r, out) => {
  const c = r.cors?.value;
  if (!c) return;
  out.cors = {
    allowOrigins: nonEmpty(c.allowOrigins.map((o) => ({ ...o }))),
    ...(c.allowMethods ? { allowMethods: [...c.allowMethods] } : {}),
    ...(c.allowHeaders ? { allowHeaders: [...c.allowHeaders] } : {}),
    ...(c.exposeHeaders ? { exposeHeaders: [...c.exposeHeaders] } : {}),
    ...(c.maxAge ? { maxAgeSeconds: Math.ceil((parseDuration(c.maxAge) ?? 0) / 1000) } : {}),
    ...(c.allowCredentials !== undefined ? { allowCredentials: c.allowCredentials } : {}),
  };
};
