/**
 * Feature `mtls` → `MeshTLS` `rules[].default.mode` (Strict / Permissive) on the destination's pods
 * (`targetRef: Dataplane` with the Service's pod labels); namespace-wide MTLSPolicies → MeshTLS with
 * `targetRef: Mesh` in that namespace (a policy outside the system namespace selects only the proxies of
 * its namespace), mesh-wide ones → in the system namespace. Kuma merges inbound policies by targetRef
 * specificity (Mesh in the system namespace < Mesh in a namespace < Dataplane), the model's service >
 * namespace > mesh. `disabled` cannot be expressed (MeshTLS modes are Strict and Permissive: with mTLS on
 * in the Mesh every inbound presents a certificate), nor per-port modes (Kuma selects an inbound by its
 * name, which unimesh does not know). MeshTLS only acts when the Mesh has mTLS (`spec.mtls`) or the
 * workloads a MeshIdentity (a warning says so).
 * @see https://kuma.io/docs/2.14.x/policies/meshtls/
 */
import type { Entry } from "../../../api/model.js";
import type { MTLSPolicy } from "../../../api/generated/model.js";
import { dnsLabel } from "../../../api/names.js";
import type { KumaContext } from "../context.js";
import { workloadTarget } from "../context.js";
import { KUMA_V1ALPHA1, type KumaObject, type TargetRef } from "../resources.js";
import { type FeatureModule, featureModule, partial } from "./types.js";
import type { DestinationView } from "../../../api/model.js";

export const mtls: FeatureModule = featureModule("mtls", () =>
  partial(
    "MeshTLS rules[].default.mode Strict/Permissive (targetRef Dataplane; Mesh per namespace or in the system namespace)",
    "no disabled mode and no per-port modes; needs mTLS on the Mesh or a MeshIdentity",
  ),
);

const MODES = { strict: "Strict", permissive: "Permissive" } as const;

/** The MeshTLS of one MTLSPolicy: for a destination view (service scope) or its scope. */
export function meshTls(kc: KumaContext, e: Entry<MTLSPolicy>, view?: DestinationView): KumaObject | undefined {
  const s = e.doc.spec;
  let ok = true;
  if (s.mode === "disabled") {
    ok = false;
    kc.report(e, "/spec/mode", {
      feature: "mtls",
      kind: "unsupported-value",
      what: "disabled",
      severity: "error",
      message:
        "Kuma's MeshTLS modes are Strict and Permissive: once the Mesh has mTLS every sidecar presents a certificate, and it cannot be switched off per workload; use permissive, or turn mTLS off in the Mesh",
    });
  }
  if (s.ports && Object.keys(s.ports).length) {
    ok = false;
    kc.report(e, "/spec/ports", {
      feature: "mtls",
      kind: "unsupported-value",
      what: "ports",
      severity: "error",
      message:
        "Kuma selects one inbound of a Dataplane by its name (targetRef sectionName), which unimesh does not know for Kubernetes pods; per-port mTLS modes are not translated: give the whole service one mode",
    });
  }
  if (!ok) return undefined;
  let targetRef: TargetRef, ns: string;
  let mode = s.mode as "strict" | "permissive";
  if (view) {
    targetRef = workloadTarget(view);
    ns = view.namespace;
    // Services sharing these pods (model podGroup): Kuma gives a pod one MeshTLS mode (the most specific
    // policy's), so every MeshTLS of the group states the strictest mode of the group (model groupMtls).
    const top = kc.model.groupMtls(view);
    if (top && top.effective.mode !== mode && top.effective.mode !== "disabled") {
      kc.report(e, "/spec/mode", {
        feature: "mtls",
        kind: "conflict",
        what: "shared-pods",
        severity: "warning",
        message: `${view.namespace}/${view.service} asks for mTLS mode ${mode}, but its pods are shared with ${top.from?.service ?? "another service"} (${top.effective.policy.id}: ${top.effective.mode}), and Kuma gives a pod one MeshTLS mode: ${top.effective.mode} applies`,
      });
      mode = top.effective.mode;
    }
    warnSharersServedStricter(kc, e, view, mode);
  } else {
    targetRef = { kind: "Mesh" };
    ns = s.scope === "mesh" ? kc.systemNamespace : e.namespace;
  }
  return meshTlsObject(kc, e, targetRef, ns, mode);
}

const RANK = { disabled: 0, permissive: 1, strict: 2 } as const;

/**
 * Services sharing the destination's pods without an MTLSPolicy of their own whose namespace- or mesh-wide
 * mode is looser than `mode`: this MeshTLS (Dataplane labels) is more specific than the Mesh-wide ones that
 * give theirs, so on the shared pods Kuma serves their callers `mode` (a warning; a sharer with its own
 * MTLSPolicy gets its own MeshTLS with the group's mode and the warning above, one without any MTLSPolicy
 * the default-strict one of the translator).
 */
function warnSharersServedStricter(kc: KumaContext, e: Entry<MTLSPolicy>, view: DestinationView, mode: "strict" | "permissive"): void {
  for (const o of kc.model.podSharers(view.namespace, view.service)) {
    if (o.view?.mtls) continue;
    const theirs = kc.model.mtlsMode(view.namespace, o.facts.name);
    if (!theirs || RANK[theirs.mode] >= RANK[mode]) continue;
    kc.report(e, "/spec/mode", {
      feature: "mtls",
      kind: "conflict",
      what: "shared-pods",
      severity: "warning",
      message: `${view.namespace}/${o.facts.name} has no MTLSPolicy of its own (${theirs.policy.id}: ${theirs.mode}), but it selects some of the same pods as ${view.namespace}/${view.service}, whose MeshTLS (targetRef Dataplane) is more specific than the Mesh-wide one and sets ${MODES[mode]} there: Kuma gives an inbound one MeshTLS mode, so requests sent to ${o.facts.name} that reach the shared pods get ${mode}${mode === "strict" ? " (plaintext clients are refused)" : ""}; give ${o.facts.name} an MTLSPolicy ${mode} to make it explicit`,
    });
  }
}

function meshTlsObject(kc: KumaContext, e: Entry<MTLSPolicy>, targetRef: TargetRef, ns: string, mode: "strict" | "permissive"): KumaObject {
  return {
    apiVersion: KUMA_V1ALPHA1,
    kind: "MeshTLS",
    metadata: kc.meta(ns === e.namespace ? dnsLabel(e.name) : dnsLabel(e.namespace, e.name), ns, [e]),
    spec: { targetRef, rules: [{ default: { mode: MODES[mode] } }] },
  };
}
