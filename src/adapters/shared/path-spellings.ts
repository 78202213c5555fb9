/**
 * Examples for path-normalization diagnostics: requests that get past an access rule on a mesh proxy
 * that normalizes request paths less than the model does (README, path normalization; the built-in
 * proxy's `src/proxy/features/pathNormalization.ts`), when the app normalizes them itself.
 */

/** What a mesh proxy leaves as sent that the model's normalization changes or refuses. */
export interface KeptAsSent {
  /** Dot segments, `\`, unreserved %-escapes (no normalization at all: Linkerd, Istio `NONE`). */
  dots: boolean;
  /** `//` (Istio `BASE`). */
  slashes: boolean;
  /** `%2F`, `%5C` (Istio `BASE`, `MERGE_SLASHES`). */
  encodedSlashes: boolean;
}

/**
 * A request path that gets past an access rule with these paths on such a proxy, what the app serves
 * it as, and what the app must do for that; undefined when there is none (e.g. an allow rule with exact
 * paths only: another spelling only misses it, which denies).
 */
export function bypassExample(
  action: "allow" | "deny",
  paths: readonly string[],
  kept: KeptAsSent,
): { sent: string[]; servedAs: string; app: string } | undefined {
  if (action === "deny") {
    // Spellings of a denied path that miss the rule.
    const dir = paths.find((p) => p.endsWith("/*") && p.length > 2);
    const exact = paths.find((p) => p.startsWith("/") && p !== "/*");
    const at = dir ? `${dir.slice(0, -2)}/x` : exact ? exact.replace(/\*$/, "") : undefined;
    if (!at) {
      const suffix = paths.find((p) => p.startsWith("*") && p.length > 1);
      if (!suffix || !kept.dots) return undefined;
      const servedAs = `/x${suffix.slice(1)}`;
      const i = servedAs.search(/[a-zA-Z0-9.](?=[^/]*$)/);
      return {
        sent: [`${servedAs.slice(0, i)}%${servedAs.charCodeAt(i).toString(16).toUpperCase()}${servedAs.slice(i + 1)}`],
        servedAs,
        app: "decodes %-escapes",
      };
    }
    const i = at.lastIndexOf("/");
    const sent: string[] = [];
    const app: string[] = [];
    if (kept.dots) {
      sent.push(`/.${at}`, `/x/..${at}`, i > 0 ? `${at.slice(0, i)}\\${at.slice(i + 1)}` : `/x/..\\${at.slice(1)}`);
      app.push("normalizes paths");
    }
    if (kept.slashes) {
      sent.push(`/${at}`);
      app.push("merges slashes");
    }
    if (kept.encodedSlashes) {
      sent.push(i > 0 ? `${at.slice(0, i)}%2F${at.slice(i + 1)}` : `/x/..%2F${at.slice(1)}`);
      app.push("decodes %2F");
    }
    return sent.length ? { sent, servedAs: at, app: app.join(" or ") } : undefined;
  }
  // An allowed prefix followed by a way out of it.
  const dir = paths.find((p) => p.endsWith("/*") && p.length > 2);
  const prefix = dir ? dir.slice(0, -1) : paths.find((p) => p.startsWith("/") && p.endsWith("*") && p !== "/*")?.slice(0, -1);
  if (!prefix) return undefined;
  const sep = prefix.endsWith("/") ? "" : "/";
  if (kept.dots) return { sent: [`${prefix}${sep}../secret`], servedAs: "/secret", app: "normalizes paths" };
  if (kept.encodedSlashes) return { sent: [`${prefix}${sep ? "%2F" : ""}..%2Fsecret`], servedAs: "/secret", app: "decodes %2F" };
  return undefined;
}
