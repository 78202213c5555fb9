/**
 * Request authentication (JWT) semantics shared by validation, the adapters and the built-in proxy:
 * how a `requestPrincipals` entry and a `claims` value match, where tokens are looked for by default,
 * which claims are space-delimited, and the checks of an inline JWKS. Istio is the reference:
 * `pilot/pkg/security/authz/model/generator.go` (`requestPrincipalGenerator`, `requestClaimGenerator`),
 * `pilot/pkg/security/authz/matcher/string.go` (`StringMatcherWithPrefix`),
 * `pilot/pkg/security/authn/policy_applier.go` (`convertToEnvoyJwtConfig`) and Envoy's jwt_authn filter
 * (`source/extensions/filters/http/jwt_authn/extractor.cc`).
 */
/** Claims by name: a list of values, or the claims nested in it (schema `ClaimMatch`). */
export interface ClaimMatchTree {
  [name: string]: readonly string[] | ClaimMatchTree;
}

/** One flattened claim condition: the claim's path (top-level name first) and its accepted values. */
export interface ClaimCondition {
  /** e.g. `["realm_access", "roles"]`. */
  path: string[];
  values: string[];
  /** JSON pointer of the values within the `claims` mapping, e.g. `/realm_access/roles`. */
  pointer: string;
}

/** Where a token is looked for when an issuer names no location: `Authorization: Bearer ` (Envoy's default). */
export const DEFAULT_TOKEN_HEADER = { name: "authorization", prefix: "Bearer " } as const;
/** The query parameter looked at when an issuer names no location (RFC 6750 §2.3; Envoy's default). */
export const DEFAULT_TOKEN_PARAM = "access_token";
/** Claims Istio always reads as space-separated lists (`buildSpaceDelimitedClaims`). */
export const DEFAULT_SPACE_DELIMITED_CLAIMS: readonly string[] = ["permission", "scope"];
/** Clock skew allowed on `exp` and `nbf`, in seconds (Envoy `JwtProvider.clock_skew_seconds` default). */
export const CLOCK_SKEW_SECONDS = 60;

/**
 * A string matcher as Istio builds them from a value (`StringMatcherWithPrefix`): `*` → any non-empty
 * string (regex `.+`), `*x` → suffix, `x*` → prefix, else exact.
 */
export type StringMatcher = { kind: "any" } | { kind: "exact"; value: string } | { kind: "prefix"; value: string } | { kind: "suffix"; value: string };

/** The matcher of one `claims` value or `requestPrincipals` part (see {@link StringMatcher}). */
export function stringMatcher(v: string): StringMatcher {
  if (v === "*") return { kind: "any" };
  if (v.startsWith("*")) return { kind: "suffix", value: v.slice(1) };
  if (v.endsWith("*")) return { kind: "prefix", value: v.slice(0, -1) };
  return { kind: "exact", value: v };
}

/** True when `s` is a string the matcher accepts (a non-string never matches, as Envoy's `string_match`). */
export function matchString(m: StringMatcher, s: unknown): boolean {
  if (typeof s !== "string") return false;
  switch (m.kind) {
    case "any":
      return s.length > 0;
    case "exact":
      return s === m.value;
    case "prefix":
      return s.startsWith(m.value);
    case "suffix":
      return s.endsWith(m.value);
  }
}

/**
 * A `requestPrincipals` entry as issuer and subject matchers, exactly as Istio's
 * `requestPrincipalGenerator.extendedPrincipal`: split at the LAST `/` (issuers may be URLs); `*` → any
 * issuer and any subject; a leading `*` with a `/` → issuer `*` (any) or suffix, subject exact; without a
 * `/` → any issuer, subject suffix; a trailing `*` with a `/` → issuer exact, subject `*` (any) or prefix;
 * without a `/` → issuer prefix, any subject; otherwise both exact. "Any" means a non-empty string: a
 * token without `sub` matches no entry.
 */
export function requestPrincipalMatchers(value: string): { iss: StringMatcher; sub: StringMatcher } {
  const idx = value.lastIndexOf("/");
  const found = idx >= 0;
  const iss = found ? value.slice(0, idx) : value;
  const sub = found ? value.slice(idx + 1) : "";
  const any: StringMatcher = { kind: "any" };
  if (value === "*") return { iss: any, sub: any };
  if (value.startsWith("*")) {
    if (found) return { iss: iss === "*" ? any : { kind: "suffix", value: iss.slice(1) }, sub: { kind: "exact", value: sub } };
    return { iss: any, sub: { kind: "suffix", value: value.slice(1) } };
  }
  if (value.endsWith("*")) {
    if (found) return { iss: { kind: "exact", value: iss }, sub: sub === "*" ? any : { kind: "prefix", value: sub.slice(0, -1) } };
    return { iss: { kind: "prefix", value: value.slice(0, -1) }, sub: any };
  }
  return { iss: { kind: "exact", value: iss }, sub: { kind: "exact", value: sub } };
}

/** A compiled `requestPrincipals` list: true when the token's `iss`/`sub` match any entry. */
export function compileRequestPrincipals(values: readonly string[]): (iss: unknown, sub: unknown) => boolean {
  const ms = values.map(requestPrincipalMatchers);
  return (iss, sub) => ms.some((m) => matchString(m.iss, iss) && matchString(m.sub, sub));
}

/**
 * True when some token of one of `issuers` could match the entry's issuer part (validation:
 * rule/unknown-issuer). The subject part is not checked (any subject may exist).
 */
export function principalIssuerKnown(value: string, issuers: readonly string[]): boolean {
  const { iss } = requestPrincipalMatchers(value);
  return issuers.some((i) => matchString(iss, i));
}

/** The `claims` mapping as one condition per claim path, in written order (nested mappings flattened). */
export function claimConditions(tree: ClaimMatchTree): ClaimCondition[] {
  const out: ClaimCondition[] = [];
  const walk = (t: ClaimMatchTree, path: string[], ptr: string) => {
    for (const [name, v] of Object.entries(t)) {
      const p = `${ptr}/${name.replace(/~/g, "~0").replace(/\//g, "~1")}`;
      if (Array.isArray(v)) out.push({ path: [...path, name], values: [...(v as string[])], pointer: p });
      else walk(v as ClaimMatchTree, [...path, name], p);
    }
  };
  walk(tree, [], "");
  return out;
}

/**
 * The claims of a validated token as the access rules see them: the payload with the space-delimited
 * claims (`scope`, `permission` and the issuer's `spaceDelimitedClaims`, top level) split into lists at
 * whitespace, as Envoy's `normalize_payload_in_metadata` does for Istio.
 */
export function normalizeClaims(payload: Record<string, unknown>, spaceDelimited: readonly string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = { ...payload };
  for (const name of new Set([...DEFAULT_SPACE_DELIMITED_CLAIMS, ...spaceDelimited])) {
    const v = out[name];
    if (typeof v === "string") out[name] = v.split(/\s+/).filter((x) => x.length > 0);
  }
  return out;
}

/**
 * True when the claim at `path` of (normalized) `claims` matches one of `values`: a string that matches,
 * or a list with an element that matches (Istio's `MetadataListValueMatcherForJWTClaims`: a list match
 * ORed with a value match). A missing claim, or a number, boolean or object, matches nothing.
 */
export function matchClaim(claims: Record<string, unknown> | undefined, path: readonly string[], values: readonly StringMatcher[]): boolean {
  let v: unknown = claims;
  for (const name of path) {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return false;
    v = Object.hasOwn(v, name) ? (v as Record<string, unknown>)[name] : undefined;
  }
  if (Array.isArray(v)) return v.some((e) => values.some((m) => matchString(m, e)));
  return values.some((m) => matchString(m, v));
}

/** The Istio condition key of a claim path: `request.auth.claims[a][b]`. */
export function istioClaimKey(path: readonly string[]): string {
  return `request.auth.claims${path.map((p) => `[${p}]`).join("")}`;
}

/** A problem with an inline JWKS (validation reports it as rule/jwks). */
export interface JwksProblem {
  severity: "error" | "warning";
  message: string;
}

const KEY_MEMBERS: Record<string, { pub: string[]; priv: string[] }> = {
  RSA: { pub: ["n", "e"], priv: ["d", "p", "q", "dp", "dq", "qi", "oth"] },
  EC: { pub: ["crv", "x", "y"], priv: ["d"] },
  OKP: { pub: ["crv", "x"], priv: ["d"] },
  oct: { pub: ["k"], priv: [] },
};

/**
 * Checks an inline JWKS (`issuers[].jwks`, JSON text; RFC 7517 §5): valid JSON, an object with a
 * non-empty `keys` list, each key with a known `kty` (RSA, EC, OKP, oct) and its public members as
 * strings, no private members (a policy document is no place for a private key), and a warning for
 * symmetric keys (a shared secret: whoever reads the policy can sign tokens).
 */
export function checkJwks(text: string): JwksProblem[] {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return [
      {
        severity: "error",
        message: `jwks is not valid JSON: ${jsonErrorWhere(text, e as Error)}; expected a JSON Web Key Set such as {"keys": [{"kty": "RSA", "n": "...", "e": "AQAB"}]}`,
      },
    ];
  }
  if (v === null || typeof v !== "object" || Array.isArray(v) || !Array.isArray((v as { keys?: unknown }).keys)) {
    return [
      {
        severity: "error",
        message: `jwks must be a JSON Web Key Set, an object with a "keys" list (RFC 7517 §5), e.g. {"keys": [{"kty": "RSA", "n": "...", "e": "AQAB"}]}`,
      },
    ];
  }
  const keys = (v as { keys: unknown[] }).keys;
  if (!keys.length) return [{ severity: "error", message: `jwks has no keys: no token of this issuer could ever be valid` }];
  const out: JwksProblem[] = [];
  keys.forEach((k, i) => {
    if (k === null || typeof k !== "object" || Array.isArray(k)) {
      out.push({ severity: "error", message: `jwks keys[${i}] must be a JSON Web Key (an object with "kty")` });
      return;
    }
    const key = k as Record<string, unknown>;
    const spec = typeof key.kty === "string" ? KEY_MEMBERS[key.kty] : undefined;
    if (!spec) {
      out.push({
        severity: "error",
        message: `jwks keys[${i}] has ${key.kty === undefined ? "no kty" : `kty ${JSON.stringify(key.kty)}`}; expected one of RSA, EC, OKP, oct`,
      });
      return;
    }
    const missing = spec.pub.filter((m) => typeof key[m] !== "string");
    if (missing.length) out.push({ severity: "error", message: `jwks keys[${i}] (kty ${key.kty}) lacks ${missing.map((m) => `"${m}"`).join(", ")}` });
    const priv = spec.priv.filter((m) => key[m] !== undefined);
    if (priv.length)
      out.push({
        severity: "error",
        message: `jwks keys[${i}] holds private key members (${priv.map((m) => `"${m}"`).join(", ")}): publish only the public key (whoever reads this policy could sign tokens)`,
      });
    if (key.kty === "oct")
      out.push({
        severity: "warning",
        message: `jwks keys[${i}] is a symmetric key (kty oct): it is a shared secret, and whoever reads this policy can sign tokens of this issuer; prefer an asymmetric key (RSA, EC, OKP)`,
      });
  });
  return out;
}

/** A JSON.parse error of `text` without the echoed input, with `line L column C` when Node gives the position. */
function jsonErrorWhere(text: string, e: Error): string {
  const msg = e.message.replace(/, ".*" is not valid JSON$/s, "");
  const m = /^(.*?) in JSON at position (\d+)/s.exec(msg);
  if (!m) return msg;
  const pos = Number(m[2]);
  const before = text.slice(0, pos);
  return `${m[1]} at line ${before.split("\n").length} column ${pos - before.lastIndexOf("\n")} of the JSON`;
}

/** The token locations of an issuer: its own, or the defaults when it names none. */
export function tokenLocations(i: { fromHeaders?: readonly { name: string; prefix?: string }[]; fromParams?: readonly string[] }): {
  headers: { name: string; prefix: string }[];
  params: string[];
} {
  if (!i.fromHeaders && !i.fromParams) return { headers: [{ ...DEFAULT_TOKEN_HEADER }], params: [DEFAULT_TOKEN_PARAM] };
  return {
    headers: (i.fromHeaders ?? []).map((h) => ({ name: h.name.toLowerCase(), prefix: h.prefix ?? "" })),
    params: [...(i.fromParams ?? [])],
  };
}
