/**
 * Linkerd versions the adapter targets, and what each one reads. Linkerd's configuration API changed a
 * lot between releases; every emitted apiVersion and feature is chosen per version here, nowhere else.
 *
 * Sources (see `/work/shared/MESHES.md` §3.2 and the per-version docs trees of linkerd/website):
 * - 2.14–2.15 (legacy): retries and timeouts in `ServiceProfile` (linkerd.io/v1alpha2); routing and
 *   splits with `policy.linkerd.io/v1beta3 HTTPRoute` (Service parent, `rules[].timeouts`, GEP-1742);
 *   `Server` policy.linkerd.io/v1beta1 (the only Server version the stable-2.14.10 CRD serves besides
 *   the deprecated v1alpha1). No GRPCRoute, no HTTPLocalRateLimitPolicy.
 * - 2.16: `retry.linkerd.io/*` and `timeout.linkerd.io/*` annotations on HTTPRoute/GRPCRoute/Service
 *   (`2.16/reference/retries.md`, `timeouts.md`); GRPCRoute; `Server` v1beta3 with `accessPolicy`.
 * - 2.17: `HTTPLocalRateLimitPolicy` (policy.linkerd.io/v1alpha1, targetRef Server).
 * - Gateway API versions read (linkerd `features/gateway-api.md` compatibility table): 2.15–2.17 read
 *   HTTPRoute `gateway.networking.k8s.io/v1beta1` and GRPCRoute `v1alpha2`; 2.18+ read `v1` for both.
 * - 2.20 accepts Gateway API 1.2.1–1.5.1 CRDs but IGNORES a whole Gateway API resource that uses a field
 *   newer than Gateway API 1.2.1. The adapter only emits fields of Gateway API 1.1.1 (the CRDs Linkerd
 *   bundles, `test/crds/linkerd/edge-26.8.3`), which every emitted route is validated against.
 */

/** Supported Linkerd minors, oldest first. */
export const LINKERD_VERSIONS = ["2.14", "2.15", "2.16", "2.17", "2.18", "2.19", "2.20"] as const;

/** A supported Linkerd minor. */
export type LinkerdVersion = (typeof LINKERD_VERSIONS)[number];

/** The version used when none is given: the newest. */
export const DEFAULT_LINKERD_VERSION: LinkerdVersion = "2.20";

/** Numeric comparison of `major.minor` versions. */
export function compareVersions(a: string, b: string): number {
  const [am, an] = a.split(".").map(Number);
  const [bm, bn] = b.split(".").map(Number);
  return am - bm || an - bn;
}

/** True when `version` is `since` or newer. */
export function atLeast(version: string, since: string): boolean {
  return compareVersions(version, since) >= 0;
}

/** 2.14–2.15: ServiceProfile-based retries and timeouts, policy.linkerd.io HTTPRoutes. */
export function isLegacy(version: string): boolean {
  return !atLeast(version, "2.16");
}

/** What one Linkerd version reads, as the adapter uses it. */
export interface VersionFacts {
  version: string;
  /** 2.14–2.15. */
  legacy: boolean;
  /**
   * apiVersion of outbound HTTPRoutes (parent Service): `policy.linkerd.io/v1beta3` (legacy; it has
   * `rules[].timeouts`, which the bundled Gateway API v1beta1 HTTPRoute of 2.14 lacks),
   * `gateway.networking.k8s.io/v1beta1` (2.16–2.17), `gateway.networking.k8s.io/v1` (2.18+).
   */
  outboundHttpRoute: string;
  /** apiVersion of GRPCRoute, or undefined before 2.16. */
  grpcRoute?: string;
  /** apiVersion of Server: v1beta1 (legacy), v1beta3 (2.16+, has `accessPolicy`). */
  server: string;
  /** `Server.spec.accessPolicy` exists (2.16+). */
  serverAccessPolicy: boolean;
  /** Retries and timeouts are read from route annotations (2.16+); else from ServiceProfile. */
  routeAnnotations: boolean;
  /** HTTPLocalRateLimitPolicy exists (2.17+). */
  rateLimit: boolean;
}

/** The facts of a version. */
export function versionFacts(version: string): VersionFacts {
  const legacy = isLegacy(version);
  return {
    version,
    legacy,
    outboundHttpRoute: legacy ? POLICY_HTTPROUTE : atLeast(version, "2.18") ? "gateway.networking.k8s.io/v1" : "gateway.networking.k8s.io/v1beta1",
    ...(legacy ? {} : { grpcRoute: atLeast(version, "2.18") ? "gateway.networking.k8s.io/v1" : "gateway.networking.k8s.io/v1alpha2" }),
    server: legacy ? "policy.linkerd.io/v1beta1" : "policy.linkerd.io/v1beta3",
    serverAccessPolicy: !legacy,
    routeAnnotations: !legacy,
    rateLimit: atLeast(version, "2.17"),
  };
}

/** `policy.linkerd.io/v1beta3` HTTPRoute: inbound (parent Server) in every version, outbound in 2.14–2.15. */
export const POLICY_HTTPROUTE = "policy.linkerd.io/v1beta3";
