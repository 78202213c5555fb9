/**
 * Istio versions the adapter targets and the fields that exist only from some version on.
 *
 * Every minor from 1.22 (the first release serving `networking.istio.io/v1` and `security.istio.io/v1`)
 * to 1.30. A field is listed in {@link FIELD_SINCE} when the CRDs of the oldest and newest supported
 * releases differ (`test/crds/istio/{1.22.8,1.30.3}/crd-all.gen.yaml`). Of the fields the adapter
 * emits, only `HTTPRetry.backoff` differs; everything else (uriRegexRewrite, directResponse,
 * corsPolicy.allowOrigins, sourceNamespace, withoutHeaders, mirrorPercentage, PeerAuthentication
 * portLevelMtls, AuthorizationPolicy notPorts/ipBlocks/when, EnvoyFilter HTTP_FILTER patches) is in
 * both CRDs.
 */

/** Supported minors, oldest first. */
export const ISTIO_VERSIONS = ["1.22", "1.23", "1.24", "1.25", "1.26", "1.27", "1.28", "1.29", "1.30"] as const;

/** The version used when none is given. */
export const DEFAULT_ISTIO_VERSION = "1.30";

/** A field whose availability depends on the Istio version. */
export type VersionedField = "VirtualService.http[].retries.backoff" | "RequestAuthentication.jwtRules[].spaceDelimitedClaims";

/**
 * The first supported minor whose CRD has the field.
 *
 * `HTTPRetry.backoff`: added to istio/api by PR #3461 (merged 2025-03; implemented in pilot by
 * istio/istio#55639, `retry.go` sets `RetryBackOff.BaseInterval`). It is absent from the 1.22.8 CRD and
 * present in the 1.30.3 CRD. The releases in between could not be checked against a CRD here, so the
 * adapter only claims the version it could verify: emitting the field to a release whose CRD lacks it
 * would be pruned by the API server, a silent drop. Lower this once a 1.26-1.29 CRD is in test/crds.
 *
 * `JWTRule.spaceDelimitedClaims`: added by istio/istio#57781 (2025-09-25, `policy_applier.go`
 * `buildSpaceDelimitedClaims(jwtRule.SpaceDelimitedClaims)`); checked in the CRD at the release tags
 * (`manifests/charts/base/files/crd-all.gen.yaml`): absent at 1.27.0, present at 1.28.0, 1.29.0 and in
 * the 1.30.3 CRD of test/crds. Earlier releases still read `scope` and `permission` as space-delimited.
 */
export const FIELD_SINCE: Record<VersionedField, string> = {
  "VirtualService.http[].retries.backoff": "1.30",
  "RequestAuthentication.jwtRules[].spaceDelimitedClaims": "1.28",
};

/** Numeric comparison of `major.minor` versions. */
export function compareVersions(a: string, b: string): number {
  const [am, an] = a.split(".").map(Number);
  const [bm, bn] = b.split(".").map(Number);
  return am - bm || an - bn;
}

/** True when `version` has `field`. */
export function hasField(version: string, field: VersionedField): boolean {
  return compareVersions(version, FIELD_SINCE[field]) >= 0;
}
