/** `cors` → `Route.cors` (maxAge in whole seconds, rounded up). */
import { parseDuration } from "../../../api/duration.js";
import { nonEmpty } from "./common.js";
import type { RouteFeature } from "./types.js";
import { regexUnsupported } from "./match.js";
import { type FeatureModule, full } from "../../../api/feature-module.js";

/** What the built-in proxy can do of `cors` (format version 1). */
export const corsFeature: FeatureModule = {
  features: ["cors"],
  capabilities: () => ({ cors: full("Route.cors") }),
};

export const cors: RouteFeature = (r, out, { ctx }) => {
  const c = r.cors?.value;
  if (!c) return;
  // Origins by regex run on the proxy's linear-time engine, as route matches do.
  c.allowOrigins.forEach((o, i) => regexUnsupported(ctx, r.policy, "cors", o.regex, `${r.cors!.pointer}/allowOrigins/${i}/regex`));
  out.cors = {
    allowOrigins: nonEmpty(c.allowOrigins.map((o) => ({ ...o }))),
    ...(c.allowMethods ? { allowMethods: [...c.allowMethods] } : {}),
    ...(c.allowHeaders ? { allowHeaders: [...c.allowHeaders] } : {}),
    ...(c.exposeHeaders ? { exposeHeaders: [...c.exposeHeaders] } : {}),
    ...(c.maxAge ? { maxAgeSeconds: Math.ceil((parseDuration(c.maxAge) ?? 0) / 1000) } : {}),
    ...(c.allowCredentials !== undefined ? { allowCredentials: c.allowCredentials } : {}),
  };
};
