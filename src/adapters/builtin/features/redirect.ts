/** `redirect` → `Route.redirect` (status code defaulted to 301). */
import type { RouteFeature } from "./types.js";
import { type FeatureModule, full } from "../../../api/feature-module.js";

/** What the built-in proxy can do of `redirect` (format version 1). */
export const redirectFeature: FeatureModule = {
  features: ["redirect"],
  capabilities: () => ({ redirect: full("Route.redirect") }),
};

export const redirect: RouteFeature = (r, out) => {
  if (r.action.kind !== "redirect") return;
  const x = r.action.redirect;
  out.redirect = {
    ...(x.scheme ? { scheme: x.scheme } : {}),
    ...(x.authority ? { authority: x.authority } : {}),
    ...(x.port ? { port: x.port } : {}),
    ...(x.path ? { path: x.path } : {}),
    statusCode: x.statusCode ?? 301,
  };
};
