/**
 * `requestAuthentication`: end-user token (JWT) validation on an instance's inbound listener, before
 * access control, with the semantics of Istio's RequestAuthentication (Envoy's `jwt_authn` filter as
 * Istio configures it, `pilot/pkg/security/authn/policy_applier.go`):
 *
 * - Tokens are looked for in every location some issuer reads (`fromHeaders` name + prefix,
 *   `fromParams`; default `Authorization: Bearer ` and `access_token`), as Envoy's extractor does: a
 *   header value without the prefix holds no token; the token starts at the first base64url character
 *   after the prefix; a parameter's first value counts.
 * - No token: the request passes with no principal. A CORS preflight passes unchecked.
 * - A token must be valid, else 401: its `iss` must be an issuer that reads every location it was found
 *   in; signature by a key of that issuer's JWKS (`jose`: the algorithm must suit the key type, so
 *   `alg: none` and HS256 over an RSA public key fail), `exp`/`nbf` with 60 s of clock skew, an accepted
 *   audience when `audiences` is set. Two different tokens in one request: 401 (Istio leaves the
 *   principal of such requests undefined).
 * - A valid token gives the request its principal (`iss`, `sub`) and its claims (space-delimited ones
 *   split into lists, `normalizeClaims`) for the access rules; unless `forwardToken`, the header or query
 *   parameter that carried it is removed before the request reaches the app.
 *
 * JWKS from a URI are fetched with `jose.createRemoteJWKSet`: on first use, at most 5 s, kept 5 minutes,
 * fetched again (at most every 30 s) for a key id it does not hold; after a failed fetch, tokens of that
 * issuer fail for 1 s before the next try, so an unreachable JWKS server is not hammered by every request.
 */
import type { IncomingHttpHeaders } from "node:http";
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  errors,
  jwtVerify,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
  type JWTPayload,
} from "jose";
import type { RequestAuthentication } from "../../api/generated/proxyConfig.js";
import { CLOCK_SKEW_SECONDS, normalizeClaims, tokenLocations } from "../../api/request-auth.js";

/** The end user of a request with a valid token. */
export interface RequestUser {
  iss: string;
  /** `sub` when it is a string (a token without one matches no `requestPrincipals` entry). */
  sub?: string;
  /** Normalized claims (space-delimited claims as lists). */
  claims: Record<string, unknown>;
}

/** What authentication decided: pass (with the user when a valid token came) or 401. */
export type AuthOutcome = { ok: true; user?: RequestUser; removeHeaders: string[]; removeParams: string[] } | { ok: false; status: 401; body: string };

/** A compiled authenticator of one destination. */
export interface Authenticator {
  /** The issuers (informational). */
  readonly issuers: readonly string[];
  authenticate(method: string, headers: IncomingHttpHeaders, query: string): Promise<AuthOutcome>;
}

/** Signature algorithms accepted (Envoy jwt_authn's list; `none` is never accepted by `jwtVerify`). */
const ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519", "HS256", "HS384", "HS512"];

/** JWKS fetch timeout, cache lifetime, refetch cooldown and back-off after a failure (ms). */
export const JWKS_FETCH = { timeoutMs: 5_000, cacheMaxAgeMs: 300_000, cooldownMs: 30_000, failureBackoffMs: 1_000 } as const;

interface IssuerRt {
  issuer: string;
  keys: JWTVerifyGetKey;
  options: JWTVerifyOptions;
  forward: boolean;
  spaceDelimited: readonly string[];
}

interface Location {
  kind: "header" | "param";
  name: string;
  prefix: string;
  issuers: Set<string>;
}

const OK_EMPTY: AuthOutcome = { ok: true, removeHeaders: [], removeParams: [] };
const BASE64URL_OR_DOT = /[A-Za-z0-9\-_.]/;

/** Compiles a destination's `requestAuthentication`. Throws on a JWKS that is not JSON (validation reports it first). */
export function compileRequestAuthentication(cfg: RequestAuthentication): Authenticator {
  const issuers = new Map<string, IssuerRt>();
  const headerLocs = new Map<string, Location>();
  const paramLocs = new Map<string, Location>();
  for (const i of cfg.issuers) {
    issuers.set(i.issuer, {
      issuer: i.issuer,
      keys: i.jwks !== undefined ? createLocalJWKSet(JSON.parse(i.jwks)) : remoteKeys(i.jwksUri!),
      options: {
        issuer: i.issuer,
        algorithms: ALGORITHMS,
        clockTolerance: CLOCK_SKEW_SECONDS,
        ...(i.audiences?.length ? { audience: i.audiences } : {}),
      },
      forward: i.forwardToken === true,
      spaceDelimited: i.spaceDelimitedClaims ?? [],
    });
    const locs = tokenLocations(i);
    for (const h of locs.headers) {
      const key = `${h.name}\n${h.prefix}`;
      const l = headerLocs.get(key) ?? { kind: "header" as const, name: h.name, prefix: h.prefix, issuers: new Set<string>() };
      l.issuers.add(i.issuer);
      headerLocs.set(key, l);
    }
    for (const p of locs.params) {
      const l = paramLocs.get(p) ?? { kind: "param" as const, name: p, prefix: "", issuers: new Set<string>() };
      l.issuers.add(i.issuer);
      paramLocs.set(p, l);
    }
  }
  const headerList = [...headerLocs.values()];
  const paramList = [...paramLocs.values()];

  return {
    issuers: [...issuers.keys()],
    async authenticate(method, headers, query) {
      // Istio sets bypass_cors_preflight: a CORS preflight is not checked (and carries no principal).
      if (method === "OPTIONS" && headers.origin !== undefined && headers["access-control-request-method"] !== undefined) return OK_EMPTY;
      const found = new Map<string, Location[]>();
      const add = (token: string, l: Location) => {
        const a = found.get(token);
        if (a) a.push(l);
        else found.set(token, [l]);
      };
      for (const l of headerList) {
        const raw = headers[l.name];
        for (const value of raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]) {
          const token = extractFromHeader(value, l.prefix);
          if (token !== undefined) add(token, l);
        }
      }
      if (paramList.length && query) {
        const params = new URLSearchParams(query);
        for (const l of paramList) {
          const v = params.get(l.name);
          if (v !== null) add(v, l);
        }
      }
      if (!found.size) return OK_EMPTY;
      if (found.size > 1) return fail("Jwt verification fails: the request carries more than one token");
      const [[token, locs]] = [...found];
      let payload: JWTPayload;
      try {
        decodeProtectedHeader(token);
        payload = decodeJwt(token);
      } catch {
        return fail("Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections");
      }
      const iss = payload.iss;
      const rt = typeof iss === "string" ? issuers.get(iss) : undefined;
      // The token's issuer must read every location the token was found in (Envoy isIssuerAllowed).
      if (!rt || !locs.every((l) => l.issuers.has(rt.issuer))) return fail("Jwt issuer is not configured");
      let verified: JWTPayload;
      try {
        verified = await verify(token, rt);
      } catch (e) {
        return fail(reason(e));
      }
      const user: RequestUser = {
        iss: rt.issuer,
        ...(typeof verified.sub === "string" ? { sub: verified.sub } : {}),
        claims: normalizeClaims(verified as Record<string, unknown>, rt.spaceDelimited),
      };
      if (rt.forward) return { ok: true, user, removeHeaders: [], removeParams: [] };
      return {
        ok: true,
        user,
        removeHeaders: [...new Set(locs.filter((l) => l.kind === "header").map((l) => l.name))],
        removeParams: [...new Set(locs.filter((l) => l.kind === "param").map((l) => l.name))],
      };
    },
  };
}

/** The token in one header value (Envoy `ExtractorImpl::extract` + `extractJWT`), or undefined. */
export function extractFromHeader(value: string, prefix: string): string | undefined {
  if (!prefix) return value;
  const pos = value.indexOf(prefix);
  if (pos < 0) return undefined;
  let start = pos + prefix.length;
  while (start < value.length && !BASE64URL_OR_DOT.test(value[start])) start++;
  return start < value.length ? value.slice(start) : value;
}

/** Verifies with the issuer's keys; a key set with several candidate keys (no `kid`) tries each (as Envoy). */
async function verify(token: string, rt: IssuerRt): Promise<JWTPayload> {
  try {
    return (await jwtVerify(token, rt.keys, rt.options)).payload;
  } catch (e) {
    if (!(e instanceof errors.JWKSMultipleMatchingKeys)) throw e;
    let last: unknown = e;
    for await (const key of e as unknown as AsyncIterable<CryptoKey>) {
      try {
        return (await jwtVerify(token, key, rt.options)).payload;
      } catch (err) {
        last = err;
        if (!(err instanceof errors.JWSSignatureVerificationFailed)) throw err;
      }
    }
    throw last;
  }
}

/** A remote key set with a short back-off after a failed fetch. */
function remoteKeys(uri: string): JWTVerifyGetKey {
  const set = createRemoteJWKSet(new URL(uri), {
    timeoutDuration: JWKS_FETCH.timeoutMs,
    cacheMaxAge: JWKS_FETCH.cacheMaxAgeMs,
    cooldownDuration: JWKS_FETCH.cooldownMs,
  });
  let failedAt = -Infinity;
  return async (header, token) => {
    if (Date.now() - failedAt < JWKS_FETCH.failureBackoffMs && !set.fresh) throw new JwksUnavailable();
    try {
      return await set(header, token);
    } catch (e) {
      if (!(e instanceof errors.JOSEError) || e instanceof errors.JWKSTimeout || (e as errors.JOSEError).code === "ERR_JOSE_GENERIC") {
        failedAt = Date.now();
        throw new JwksUnavailable();
      }
      throw e;
    }
  };
}

class JwksUnavailable extends Error {
  constructor() {
    super("Jwks remote fetch is failed");
  }
}

/** Envoy's wording for each failure (`jwt_verify_lib` status strings). */
function reason(e: unknown): string {
  if (e instanceof JwksUnavailable) return "Jwks remote fetch is failed";
  if (e instanceof errors.JWTExpired) return "Jwt is expired";
  if (e instanceof errors.JWTClaimValidationFailed) {
    if (e.claim === "nbf") return "Jwt not yet valid";
    if (e.claim === "aud") return "Audiences in Jwt are not allowed";
    if (e.claim === "iat") return "Jwt verification fails";
  }
  return "Jwt verification fails";
}

function fail(body: string): AuthOutcome {
  return { ok: false, status: 401, body };
}

/** The query string without the given parameters (every occurrence), or the same string when none is there. */
export function withoutParams(query: string, names: readonly string[]): string {
  if (!names.length || !query) return query;
  const parts = query.split("&");
  const kept = parts.filter((p) => {
    const eq = p.indexOf("=");
    let k = eq < 0 ? p : p.slice(0, eq);
    try {
      k = decodeURIComponent(k.replace(/\+/g, " "));
    } catch {
      /* keep the raw name */
    }
    return !names.includes(k);
  });
  return kept.length === parts.length ? query : kept.join("&");
}
