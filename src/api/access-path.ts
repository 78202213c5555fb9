/**
 * What an access rule path (`AccessRule.paths` in the schema) matches: one definition for every adapter
 * and the built-in proxy, so that a path rule means the same on every mesh.
 *
 * - `*`: every path.
 * - `/a/*` (ends with `/*`): the path `/a` AND every path below it (`/a/`, `/a/b`): a segment prefix.
 *   A deny rule for `/admin/*` therefore also denies `/admin` (it cannot be bypassed by leaving out the
 *   last slash), and an allow rule for `/reviews/*` also admits `/reviews`; `/adminx` matches neither.
 *   `/*` is every path that starts with `/`.
 * - `/a*` (any other path ending with `*`): every path that starts with `/a` (a plain string prefix:
 *   `/a`, `/ab`, `/a/b`).
 * - `*x` (starts with `*`): every path that ends with `x`.
 * - anything else: exactly that path.
 *
 * Matching is case-sensitive and on the request path without its query string (the part before `?`).
 * Istio's `/a/*` is only the string prefix `/a/` (istio/api `security/v1beta1/authorization_policy.proto`
 * `Operation.paths`: "prefix match"), so Istio gets both `/a` and `/a/*`.
 */

/** One elementary path condition of an access rule path (see {@link accessPathMatchers}). */
export type AccessPathMatcher =
  | { readonly kind: "any" }
  | { readonly kind: "exact"; readonly value: string }
  /** A plain string prefix: the path starts with `value`. */
  | { readonly kind: "prefix"; readonly value: string }
  | { readonly kind: "suffix"; readonly value: string };

const ANY: readonly AccessPathMatcher[] = Object.freeze([Object.freeze({ kind: "any" as const })]);

/**
 * The elementary conditions an access rule path stands for; a path matches when ANY of them does:
 * `*` → any; `/a/*` → exact `/a` and prefix `/a/`; `/*` → prefix `/`; `/a*` → prefix `/a`; `*x` →
 * suffix `x`; else exact. Adapters translate each (e.g. Istio `paths: ["/a", "/a/*"]`).
 */
export function accessPathMatchers(p: string): readonly AccessPathMatcher[] {
  if (p === "*") return ANY;
  if (p.startsWith("*")) return [{ kind: "suffix", value: p.slice(1) }];
  if (p.endsWith("/*")) {
    const dir = p.slice(0, -2);
    return dir
      ? [
          { kind: "exact", value: dir },
          { kind: "prefix", value: `${dir}/` },
        ]
      : [{ kind: "prefix", value: "/" }];
  }
  if (p.endsWith("*")) return [{ kind: "prefix", value: p.slice(0, -1) }];
  return [{ kind: "exact", value: p }];
}

/** True when `path` (the request path, without the query string) matches the access rule path `p`. */
export function accessPathMatches(p: string, path: string): boolean {
  return accessPathMatchers(p).some((m) => matchOne(m, path));
}

/** A compiled {@link accessPathMatches} for one access rule path. */
export function compileAccessPath(p: string): (path: string) => boolean {
  const ms = accessPathMatchers(p);
  if (ms.length === 1) {
    const m = ms[0];
    return (path) => matchOne(m, path);
  }
  return (path) => ms.some((m) => matchOne(m, path));
}

function matchOne(m: AccessPathMatcher, path: string): boolean {
  switch (m.kind) {
    case "any":
      return true;
    case "exact":
      return path === m.value;
    case "prefix":
      return path.startsWith(m.value);
    case "suffix":
      return path.endsWith(m.value);
  }
}
