/**
 * RequestAuthentications → `Destination.requestAuthentication` (the issuers of all of them, sorted by
 * issuer: `DestinationView.jwtIssuers`), enforced on the destination's inbound listeners before access
 * control (src/proxy/features/requestAuthentication.ts, with `jose`). Header names are lower-cased (the
 * proxy compares them so); everything else is the model's as written.
 */
import type { DestinationFeature } from "./types.js";
import { nonEmpty } from "./common.js";
import { type FeatureModule, full } from "../../../api/feature-module.js";

/** What the built-in proxy can do of `requestAuthentication` (format version 1). */
export const requestAuthenticationFeature: FeatureModule = {
  features: ["requestAuthentication"],
  capabilities: () => ({
    requestAuthentication: full(
      "Destination.requestAuthentication (jose) + AccessRule.requestPrincipals/claims",
      "JWKS from a URI: fetched on first use (5 s timeout), kept 5 minutes",
    ),
  }),
};

export const requestAuthentication: DestinationFeature = (out, { dest }) => {
  if (!dest.jwtIssuers.length) return;
  out.requestAuthentication = {
    policies: dest.requestAuthentications.map((p) => p.id),
    issuers: nonEmpty(
      dest.jwtIssuers.map(({ issuer: i }) => ({
        issuer: i.issuer,
        ...(i.jwksUri !== undefined ? { jwksUri: i.jwksUri } : {}),
        ...(i.jwks !== undefined ? { jwks: i.jwks } : {}),
        ...(i.audiences ? { audiences: [...i.audiences] } : {}),
        ...(i.fromHeaders
          ? { fromHeaders: i.fromHeaders.map((h) => ({ name: h.name.toLowerCase(), ...(h.prefix !== undefined ? { prefix: h.prefix } : {}) })) }
          : {}),
        ...(i.fromParams ? { fromParams: [...i.fromParams] } : {}),
        ...(i.forwardToken ? { forwardToken: true } : {}),
        ...(i.spaceDelimitedClaims ? { spaceDelimitedClaims: [...i.spaceDelimitedClaims] } : {}),
      })),
    ),
  };
};
