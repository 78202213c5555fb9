/**
 * `cors`: the caller's proxy answers preflight requests (OPTIONS with Origin and
 * Access-Control-Request-Method) from an allowed origin itself, and adds Access-Control-Allow-Origin
 * (and -Credentials, -Expose-Headers) to responses to an allowed origin. Requests from other origins
 * pass unchanged (the browser enforces the missing headers).
 */
import type { Cors } from "../../api/generated/proxyConfig.js";
import { compileString } from "./match.js";
import type { HeaderMap } from "./headers.js";

/** A compiled CORS policy. */
export interface CorsPolicy {
  allows(origin: string): boolean;
  /** Headers of a preflight answer. */
  preflight(origin: string): HeaderMap;
  /** Adds the headers of an actual response. */
  decorate(h: HeaderMap, origin: string): void;
}

/** Compiles `Route.cors`. */
export function compileCors(c: Cors | undefined): CorsPolicy | undefined {
  if (!c) return undefined;
  const origins = c.allowOrigins.map(compileString);
  const common = (origin: string): HeaderMap => ({
    "access-control-allow-origin": origin,
    vary: "Origin",
    ...(c.allowCredentials ? { "access-control-allow-credentials": "true" } : {}),
  });
  return {
    allows: (origin) => origins.some((t) => t(origin)),
    preflight: (origin) => ({
      ...common(origin),
      ...(c.allowMethods ? { "access-control-allow-methods": c.allowMethods.join(",") } : {}),
      ...(c.allowHeaders ? { "access-control-allow-headers": c.allowHeaders.join(",") } : {}),
      ...(c.maxAgeSeconds !== undefined ? { "access-control-max-age": String(c.maxAgeSeconds) } : {}),
    }),
    decorate: (h, origin) => {
      Object.assign(h, common(origin));
      if (c.exposeHeaders) h["access-control-expose-headers"] = c.exposeHeaders.join(",");
    },
  };
}

/** True for a CORS preflight request. */
export function isPreflight(method: string, headers: HeaderMap): boolean {
  return method === "OPTIONS" && headers.origin !== undefined && headers["access-control-request-method"] !== undefined;
}
