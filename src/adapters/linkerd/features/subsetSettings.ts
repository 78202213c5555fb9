/**
 * Feature `subsetSettings`: refused in every Linkerd version. Linkerd configures failure accrual per
 * Service a client calls (the parent Service's annotations, sent with its routes as `failure_accrual` and
 * applied to every backend of them: policy controller `outbound/index.rs`, proxy
 * `http/logical/policy/router.rs`), so it cannot differ for the requests a route sends to the subset's
 * Service `<service>-<subset>`; connection pools and balancer choice do not exist at all.
 */
import type { DestinationView } from "../../../api/model.js";
import { type FeatureModule, refusedFeature } from "../../../api/feature-module.js";
import type { LinkerdContext } from "../context.js";
import { subsetServiceName } from "./split.js";

/** What Linkerd can do of `subsetSettings`: nothing, in every version. */
export const subsetSettingsFeature: FeatureModule = refusedFeature(
  "subsetSettings",
  "Failure accrual is set per Service clients call, for every backend of its routes; no connection pools or balancer choice.",
);

/** Reports every subset's own settings (errors). */
export function refuseSubsetSettings(lc: LinkerdContext, v: DestinationView): void {
  for (const s of v.subsetSettings) {
    for (const k of ["outlierDetection", "connectionPool", "loadBalancer"] as const) {
      const x = s[k];
      if (!x) continue;
      // At the entry (`/spec/subsetSettings/<i>`): the subset and the setting together cannot be expressed.
      lc.report(x.policy, x.pointer.slice(0, x.pointer.lastIndexOf("/")), {
        feature: k,
        kind: "unsupported-feature",
        severity: "error",
        message:
          k === "outlierDetection"
            ? `subsetSettings: Linkerd ${lc.version} sets failure accrual per Service that clients call (annotations of ${v.service}, applied to every backend of its routes), so the requests routed to subset ${s.subset.name} (Service ${subsetServiceName(v.service, s.subset)}) cannot get an outlier detection of their own; set it for the whole destination (spec.outlierDetection)`
            : `subsetSettings: Linkerd ${lc.version} has no ${k === "connectionPool" ? "connection-pool limits" : "choice of load-balancing algorithm"} (${k}), for a destination or for one of its subsets; remove it`,
      });
    }
  }
}
