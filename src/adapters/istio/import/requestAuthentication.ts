/**
 * RequestAuthentication (`security.istio.io`, istio/api `security/v1beta1/request_authentication.proto`) →
 * the model's RequestAuthentication, the reverse of the adapter's features/requestAuthentication.ts (the
 * model's semantics are Istio's own, so the mapping is one to one):
 *
 * - `selector.matchLabels` → `destination` (the service whose pods they are). Without selector (the whole
 *   namespace, or the mesh in the root namespace) or with `targetRef(s)`: the model's RequestAuthentication is
 *   per service, so it cannot be imported; leaving it out would let invalid tokens through (`import/looser`).
 * - `jwtRules[]` → `issuers[]`: `issuer`, `audiences`, `jwksUri`, `jwks`, `fromHeaders` {name, prefix},
 *   `fromParams`, `forwardOriginalToken` → `forwardToken`, `spaceDelimitedClaims`. `outputPayloadToHeader`,
 *   `outputClaimToHeaders` and `timeout` are not in the model (warnings).
 */
import type { RequestAuthentication } from "../../../api/generated/model.js";
import { type ImportedDocument, type NativeObject, isObject } from "../../../api/import-contract.js";
import { type IstioImport, labelsAt, report, sourcePolicies, strings } from "./context.js";

/** Reads every RequestAuthentication that can be imported (the others are reported). */
export function requestAuthentications(ii: IstioImport, objects: readonly NativeObject[]): ImportedDocument[] {
  const out: ImportedDocument[] = [];
  for (const o of objects) {
    const f = ii.ctx.fields(o);
    for (const k of ["targetRef", "targetRefs"]) {
      if (f.get(`/spec/${k}`) === undefined) continue;
      f.use(`/spec/${k}`);
      report(
        ii,
        o,
        `/spec/${k}`,
        "error",
        "import/looser",
        `${k} attaches the token checks to a gateway or waypoint, which the model has no equivalent for: without them, invalid tokens would get through`,
      );
    }
    const labels = labelsAt(f, "/spec/selector/matchLabels");
    f.use("/spec/selector");
    const service = labels && Object.keys(labels).length && o.namespace !== ii.rootNamespace ? ii.ctx.facts.serviceBySelector(o.namespace, labels) : undefined;
    if (!service) {
      ii.ctx.ignore(o);
      report(
        ii,
        o,
        labels ? "/spec/selector" : "",
        "error",
        "import/looser",
        labels
          ? `selector ${JSON.stringify(labels)} picks no service the import knows (a MeshService with exactly this selector, or {app: <service>}): the model's RequestAuthentication is per service; without it, invalid tokens would get through`
          : `a RequestAuthentication without selector checks the tokens of every workload of ${o.namespace === ii.rootNamespace ? "the mesh" : `namespace ${o.namespace}`}, and the model's is per service: give each service its own (selector), or write them by hand; without it, invalid tokens would get through`,
      );
      continue;
    }
    const rules = f.get("/spec/jwtRules");
    if (!Array.isArray(rules) || !rules.length) {
      f.use("/spec/jwtRules");
      report(ii, o, "/spec/jwtRules", "info", "import/unsupported-value", "a RequestAuthentication without jwtRules checks nothing: not imported");
      continue;
    }
    const issuers: RequestAuthentication["spec"]["issuers"][number][] = [];
    let ok = true;
    rules.forEach((r, i) => {
      const p = `/spec/jwtRules/${i}`;
      if (!isObject(r) || typeof r.issuer !== "string") {
        report(ii, o, p, "error", "import/invalid", "a jwtRule needs an issuer");
        ok = false;
        return;
      }
      f.use(
        `${p}/issuer`,
        `${p}/audiences`,
        `${p}/jwksUri`,
        `${p}/jwks`,
        `${p}/fromHeaders`,
        `${p}/fromParams`,
        `${p}/forwardOriginalToken`,
        `${p}/spaceDelimitedClaims`,
      );
      const audiences = strings(r.audiences);
      const fromParams = strings(r.fromParams);
      const spaceDelimited = strings(r.spaceDelimitedClaims);
      const headers = Array.isArray(r.fromHeaders)
        ? r.fromHeaders.filter(isObject).map((h) => ({ name: String(h.name), ...(typeof h.prefix === "string" ? { prefix: h.prefix } : {}) }))
        : undefined;
      issuers.push({
        issuer: r.issuer,
        ...(typeof r.jwksUri === "string" ? { jwksUri: r.jwksUri } : {}),
        ...(typeof r.jwks === "string" ? { jwks: r.jwks } : {}),
        ...(audiences?.length ? { audiences: audiences as [string, ...string[]] } : {}),
        ...(headers?.length ? { fromHeaders: headers as never } : {}),
        ...(fromParams?.length ? { fromParams: fromParams as [string, ...string[]] } : {}),
        ...(r.forwardOriginalToken === true ? { forwardToken: true } : {}),
        ...(spaceDelimited?.length ? { spaceDelimitedClaims: spaceDelimited as [string, ...string[]] } : {}),
      } as RequestAuthentication["spec"]["issuers"][number]);
    });
    if (!ok) continue;
    const ref = sourcePolicies(o, "RequestAuthentication")?.[0];
    const doc: RequestAuthentication = {
      apiVersion: "unimesh.io/v1alpha1",
      kind: "RequestAuthentication",
      metadata: { name: ref?.name ?? o.name, namespace: ref?.namespace ?? o.namespace },
      spec: {
        destination: { service, ...((ref?.namespace ?? o.namespace) !== o.namespace ? { namespace: o.namespace } : {}) },
        issuers: issuers as RequestAuthentication["spec"]["issuers"],
      },
    };
    out.push({ doc, from: [o] });
  }
  return out;
}
