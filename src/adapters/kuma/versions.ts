/** Kuma versions the adapter targets: the policy CRDs of 2.14 (`test/crds/kuma/v2.14.3`). */
export const KUMA_VERSIONS = ["2.14"] as const;
export const DEFAULT_KUMA_VERSION = "2.14";
