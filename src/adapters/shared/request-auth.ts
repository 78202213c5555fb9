/**
 * For meshes without request authentication (end-user tokens, JWT): every RequestAuthentication and every
 * access rule condition on the token is an error naming the field and the mesh. Translating the access
 * rules without those conditions would admit requests without a token (an allow rule with
 * `requestPrincipals` would admit everyone its source allows) or deny requests the model admits, so
 * nothing may be emitted: the error stops the translation.
 */
import type { TranslateContext } from "../../api/adapter.js";
import type { Model } from "../../api/model.js";
import { adapterCode } from "../../api/diagnostics.js";

/** Reports each RequestAuthentication (`/spec`: all of it) and each end-user condition of an access rule as an error. */
export function refuseRequestAuthentication(model: Model, ctx: TranslateContext, mesh: string, why: string): void {
  for (const e of model.requestAuthentications) {
    ctx.report(e, "/spec", {
      code: adapterCode("unsupported-feature", "requestAuthentication"),
      severity: "error",
      feature: "requestAuthentication",
      message: `RequestAuthentication: ${mesh} cannot validate end-user tokens (JWT): ${why}; use --mesh istio or the built-in proxy, or validate tokens in the application (or at an ingress gateway) and drop this policy`,
    });
  }
  for (const p of model.accessPolicies) {
    for (const action of ["allow", "deny"] as const) {
      (p.doc.spec[action] ?? []).forEach((r, i) => {
        for (const field of ["requestPrincipals", "notRequestPrincipals", "claims", "notClaims"] as const) {
          if (r[field] === undefined) continue;
          ctx.report(p, `/spec/${action}/${i}/${field}`, {
            code: adapterCode("unsupported-feature", "requestAuthentication", field),
            severity: "error",
            feature: "requestAuthentication",
            message: `${field}: ${mesh} has no end-user (JWT) identity to match (${why}); translated without it, this ${action} rule would ${action === "allow" ? (field.startsWith("not") ? "still admit the excluded users" : "admit requests without a token") : field.startsWith("not") ? "deny requests that carry a valid token" : "deny requests that carry no such token"}, so it is not translated; use --mesh istio or the built-in proxy`,
          });
        }
      });
    }
  }
}
