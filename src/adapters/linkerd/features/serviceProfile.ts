/**
 * Linkerd 2.14–2.15 retries (and then timeouts) → `ServiceProfile` (linkerd.io/v1alpha2):
 * `spec.routes[]` {name, condition, timeout, isRetryable} + `spec.retryBudget`
 * (`2.14/reference/service-profiles.md`; destination controller `profile_translator.go`; proxy
 * `service-profiles/src/proto.rs`).
 *
 * - The name MUST be the Service's FQDN `<svc>.<ns>.svc.<clusterDomain>` (in the Service's namespace),
 *   or Linkerd never finds it.
 * - Routes are matched in order, first match wins (as the model's route table); conditions can match
 *   the path (`pathRegex`, which Linkerd anchors; unimesh writes anchored regexes) and the method, nothing
 *   else. Trailing routes without timeout or retries are left out (they behave like no route).
 * - THE TRAP: a ServiceProfile makes Linkerd ignore every HTTPRoute of the Service, the retry/timeout
 *   annotations, and failure accrual ("If a ServiceProfile is defined for the parent Service of an
 *   HTTPRoute, proxies will use the ServiceProfile configuration", `reference/httproute.md`). So unimesh
 *   emits one only when retries require it, and then reports every route feature that would be lost
 *   (splits, redirects, header changes, header or query matches) and any outlier detection as errors.
 *   Timeouts alone go to `policy.linkerd.io/v1beta3 HTTPRoute` `rules[].timeouts.request` instead (as
 *   the Linkerd 2.15 docs recommend).
 */
import type { DestinationView, EffectiveRoute } from "../../../api/model.js";
import { isNotFoundForTheRest } from "../../../api/model.js";
import { formatDuration } from "../../../api/duration.js";
import { objectMeta } from "../../../api/ownership.js";
import { serviceHost } from "../../../api/names.js";
import type { LinkerdContext } from "../context.js";
import { SERVICE_PROFILE_V1ALPHA2, type ServiceProfileRoute } from "../resources.js";
import { type MatchSpec, pathRegex } from "../matching.js";
import { hasRetries, legacyRetryable } from "./retries.js";
import { effectiveTimeoutMs } from "./timeout.js";

/** The retry budget written with retries: Linkerd's defaults, explicitly. */
export const DEFAULT_RETRY_BUDGET = { minRetriesPerSecond: 10, retryRatio: 0.2, ttl: "10s" } as const;

/** The ServiceProfile condition of a match (path and method only). */
function condition(spec: MatchSpec): Record<string, unknown> {
  const parts: Record<string, unknown>[] = [];
  if (spec.path) parts.push({ pathRegex: pathRegex(spec.path) });
  if (spec.method) parts.push({ method: spec.method });
  if (!parts.length) return { pathRegex: "^.*$" };
  return parts.length === 1 ? parts[0] : { all: parts };
}

/**
 * Emits the ServiceProfile of a destination whose routes retry (Linkerd 2.14–2.15); reports what a
 * ServiceProfile would silently lose. `specs[i]` is the match of `routes[i]`; `ports` the known ports.
 */
export function serviceProfile(lc: LinkerdContext, v: DestinationView, routes: EffectiveRoute[], specs: MatchSpec[], portCount: number): void {
  const ver = `Linkerd ${lc.version}`;
  const lost = (r: EffectiveRoute, pointer: string, what: string) =>
    lc.report(r.policy, pointer, {
      feature: "retries",
      kind: "conflict",
      severity: "error",
      message: `${ver} retries only through a ServiceProfile (needed here by the retries of this destination), and a ServiceProfile makes Linkerd ignore every HTTPRoute of ${v.namespace}/${v.service}, so ${what} would be dropped silently; target Linkerd 2.16+ (retries as HTTPRoute annotations), or remove the retries`,
    });
  routes.forEach((r, i) => {
    const port = r.port;
    if (r.action.kind === "redirect") lost(r, r.action.pointer, "this redirect");
    else if (isNotFoundForTheRest(r))
      lost(r, r.action.pointer, "this 404 for the requests no other route matches (a ServiceProfile sends them to the service)");
    else if (r.action.kind === "split") {
      const t = r.action.targets;
      if (t.length !== 1 || t[0].subset || t[0].service || t[0].cluster || (t[0].port !== undefined && t[0].port !== port))
        lost(r, r.action.pointer, "this split");
      for (const x of t) if (x.headers) lost(r, x.headers.pointer, "these header changes");
    }
    if (r.headers) lost(r, r.headers.pointer, "these header changes");
    if (specs[i].headers.length || specs[i].query.length)
      lost(r, r.match!.pointer, "this route's header or query-parameter match (a ServiceProfile matches paths and methods only)");
    if (port !== undefined && portCount > 1) {
      lc.report(r.policy, "/spec/destination/port", {
        feature: "retries",
        kind: "unsupported-value",
        what: "port-scoped",
        severity: "error",
        message: `a ${ver} ServiceProfile applies to every port of ${v.namespace}/${v.service}, so routes for port ${port} alone cannot be expressed; remove destination.port or target Linkerd 2.16+`,
      });
    }
  });
  const spRoutes: ServiceProfileRoute[] = [];
  const names = new Set<string>();
  let retryable = false;
  routes.forEach((r, i) => {
    let name = r.name ?? `${r.policy.name}-${r.index ?? 0}`;
    for (let k = 2; names.has(name); k++) name = `${r.name ?? r.policy.name}-${k}`;
    names.add(name);
    const t = effectiveTimeoutMs(r);
    const retry = legacyRetryable(lc, r);
    retryable ||= retry;
    // Keys in sorted order (here and in the spec), as translate() writes them: it then keeps the objects as they are.
    spRoutes.push({
      condition: condition(specs[i]),
      ...(retry ? { isRetryable: true } : {}),
      name,
      ...(t !== undefined ? { timeout: formatDuration(t) } : {}),
    });
  });
  while (spRoutes.length && spRoutes[spRoutes.length - 1].timeout === undefined && !spRoutes[spRoutes.length - 1].isRetryable) spRoutes.pop();
  lc.emit({
    apiVersion: SERVICE_PROFILE_V1ALPHA2,
    kind: "ServiceProfile",
    metadata: objectMeta(
      serviceHost(v.service, v.namespace, lc.clusterDomain),
      v.namespace,
      routes.map((r) => r.policy),
    ),
    spec: { ...(retryable ? { retryBudget: { ...DEFAULT_RETRY_BUDGET } } : {}), routes: spRoutes },
  });
  lc.report(routes.find(hasRetries)!.policy, routes.find(hasRetries)!.retries!.pointer, {
    feature: "retries",
    kind: "note",
    what: "service-profile",
    severity: "info",
    message: `${ver} reads retries from the ServiceProfile ${v.namespace}/${serviceHost(v.service, v.namespace, lc.clusterDomain)} (named after the Service's FQDN); while it exists, Linkerd ignores every HTTPRoute, retry/timeout annotation and failure-accrual annotation of ${v.service}`,
  });
}
