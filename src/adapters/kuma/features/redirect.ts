/**
 * Feature `redirect` → `MeshHTTPRoute` filter `RequestRedirect` {scheme, hostname, port, path
 * (ReplaceFullPath), statusCode} (status 301 unless given, as in the model).
 */
import type { Redirect } from "../../../api/generated/model.js";
import type { HttpRouteFilter } from "../resources.js";
import { type FeatureModule, featureModule, full } from "./types.js";

export const redirect: FeatureModule = featureModule("redirect", () =>
  full("MeshHTTPRoute filter RequestRedirect {scheme, hostname, port, path.replaceFullPath, statusCode}"),
);

/** The RequestRedirect filter of a redirect route. */
export function redirectFilter(rd: Redirect): HttpRouteFilter {
  return {
    type: "RequestRedirect",
    requestRedirect: {
      ...(rd.scheme ? { scheme: rd.scheme } : {}),
      ...(rd.authority ? { hostname: rd.authority } : {}),
      ...(rd.port ? { port: rd.port } : {}),
      ...(rd.path ? { path: { type: "ReplaceFullPath", replaceFullPath: rd.path } } : {}),
      statusCode: rd.statusCode ?? 301,
    },
  };
}
