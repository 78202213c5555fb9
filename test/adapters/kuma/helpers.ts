/** Helpers for the Kuma adapter tests: YAML in, translation out, every object checked. */
import { expect } from "vitest";
import { type KubeObject, type TranslateResult, kuma, loadModel, translate } from "../../../src/index.js";
import { validateAll } from "../../support/crd-validator.js";

/** Loads unimesh YAML (must be valid) and translates it for Kuma 2.14; every object passes the CRDs and Kuma's admission rules. */
export function run(yaml: string, opts: { settings?: Record<string, string>; trustDomain?: string } = {}): TranslateResult {
  const loaded = loadModel([{ file: "test.yaml", text: yaml }], opts.trustDomain ? { trustDomain: opts.trustDomain } : {});
  expect(loaded.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  const r = translate(loaded.model, { adapter: kuma, version: "2.14", ...(opts.settings ? { settings: opts.settings } : {}) });
  expect(validateAll(r.resources, ["kuma/v2.14.3"])).toEqual([]);
  expect(kumaAdmission(r.resources)).toEqual([]);
  return r;
}

/** The object of a kind and name. */
export function find(objs: readonly KubeObject[], kind: string, name: string): any {
  const o = objs.find((x) => x.kind === kind && x.metadata.name === name);
  expect(o, `${kind}/${name} among ${objs.map((x) => `${x.kind}/${x.metadata.name}`).join(", ")}`).toBeDefined();
  return o;
}

/** `<policy> <pointer> <severity> <code>` of each diagnostic. */
export const brief = (r: TranslateResult) => r.diagnostics.map((d) => `${d.policy ?? "-"} ${d.pointer ?? "-"} ${d.severity} ${d.code}`);

/** A SPIFFE ID as go-spiffe `spiffeid.FromString` accepts it: trust domain, then segments, no trailing `/`. */
const SPIFFE_ID = /^spiffe:\/\/[a-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

/**
 * Kuma's own admission rules (the control plane's validating webhook, which the API server tests do not
 * run) that unimesh's objects could break, from kuma v2.14.3 `pkg/plugins/policies/<policy>/api/v1alpha1/validator.go`
 * and `pkg/core/resources/apis/mesh/validators.go` `ValidateMatch`. One line per violation.
 */
export function kumaAdmission(objs: readonly KubeObject[]): string[] {
  const out: string[] = [];
  for (const o of objs) {
    const id = `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`;
    const spec = o.spec as any;
    if (o.metadata.labels?.["kuma.io/mesh"] === undefined) out.push(`${id}: no kuma.io/mesh label`);
    const top = spec.targetRef?.kind ?? "Mesh";
    const matches = (list: any[] | undefined, where: string) => {
      for (const m of list ?? [])
        if (m.spiffeID && !SPIFFE_ID.test(m.spiffeID.value)) out.push(`${id}: ${where}: ${m.spiffeID.value} is not a valid SPIFFE ID`);
    };
    switch (o.kind) {
      case "MeshTrafficPermission":
        if (spec.from && spec.rules) out.push(`${id}: from and rules`);
        for (const [i, r] of (spec.rules ?? []).entries()) {
          if (!r.default.allow?.length && !r.default.deny?.length && !r.default.allowWithShadowDeny?.length)
            out.push(`${id}: rules[${i}]: at least one of allow, allowWithShadowDeny, deny`);
          matches(r.default.allow, `rules[${i}].allow`);
          matches(r.default.deny, `rules[${i}].deny`);
        }
        break;
      case "MeshFaultInjection":
        if (spec.to) out.push(`${id}: spec.to is for gateways only`);
        break;
      case "MeshRateLimit":
      case "MeshTimeout":
      case "MeshCircuitBreaker":
        if (spec.rules && (spec.to || spec.from)) out.push(`${id}: rules with to/from`);
        break;
      case "MeshRetry":
        for (const t of spec.to ?? []) {
          for (const k of ["http", "grpc"]) if (t.default[k] && Object.keys(t.default[k]).length === 0) out.push(`${id}: empty ${k}`);
        }
        break;
      case "MeshHTTPRoute":
        if (!["Mesh", "MeshSubset", "MeshService", "MeshServiceSubset", "Dataplane"].includes(top)) out.push(`${id}: targetRef ${top}`);
        for (const t of spec.to) {
          if (!["MeshService", "MeshExternalService", "MeshMultiZoneService"].includes(t.targetRef.kind)) out.push(`${id}: to.targetRef ${t.targetRef.kind}`);
          for (const r of t.rules) {
            for (const m of r.matches) {
              const p = m.path;
              if (p?.type === "PathPrefix" && p.value !== "/" && p.value.endsWith("/")) out.push(`${id}: PathPrefix ${p.value} with a trailing slash`);
              if (p && p.type !== "RegularExpression" && !p.value.startsWith("/")) out.push(`${id}: path ${p.value} not absolute`);
              for (const h of m.headers ?? [])
                if ((h.type === "Present" || h.type === "Absent") && h.value !== undefined) out.push(`${id}: header ${h.name} ${h.type} with a value`);
            }
            for (const b of r.default.backendRefs ?? [])
              if (b.kind === "MeshService" && b.port === undefined) out.push(`${id}: backendRef ${b.name} without port`);
          }
        }
        break;
    }
    if (["MeshTimeout", "MeshRetry"].includes(o.kind)) {
      for (const t of spec.to ?? [])
        if (!["Mesh", "MeshService", "MeshExternalService", "MeshMultiZoneService", "MeshHTTPRoute"].includes(t.targetRef.kind))
          out.push(`${id}: to.targetRef ${t.targetRef.kind}`);
    }
  }
  return out;
}
