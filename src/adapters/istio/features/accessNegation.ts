/**
 * Feature `accessNegation` (the `not*` conditions of access rules and sources) → the `not*` fields of
 * `AuthorizationPolicy` (istio/api `security/v1beta1/authorization_policy.proto`): `from.source`
 * {notPrincipals, notNamespaces, notIpBlocks} (access.ts `fromEntries`: the negative lists go into every
 * `from[]` entry), `to.operation` {notMethods, notPaths, notPorts} and `when[].notValues` for notHeaders
 * (accessL7.ts `requestConditions`, which also reports a `notPorts` entry whose pod port is guessed, and
 * notHeaders values with a leading or trailing `*`, which Istio reads as wildcards).
 */
import { type FeatureModule, partial } from "../../../api/feature-module.js";

/** What Istio can do of `accessNegation`, per version. */
export const accessNegationFeature: FeatureModule = {
  features: ["accessNegation"],
  capabilities: () => ({
    accessNegation: partial(
      "AuthorizationPolicy from.source {notPrincipals, notNamespaces, notIpBlocks}, to.operation {notMethods, notPaths, notPorts}, when[].notValues",
      "notHeaders values cannot start or end with *",
    ),
  }),
};
