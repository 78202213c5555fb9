/**
 * An ORACLE of Kuma's inbound access decision, written from Kuma's documentation and control-plane code and
 * NOT from unimesh's code, for the differential test test/adapters/kuma/access-differential.test.ts: it takes
 * Kuma objects (MeshTrafficPermission and MeshTLS of `kuma.io/v1alpha1`; other kinds are ignored) as plain
 * objects, one request as the destination's sidecar sees it, and the mesh's settings (MeshIdentity, the Mesh's
 * mTLS, legacy TrafficPermissions), and says allow or deny. A pure function, {@link kumaAuthorize}.
 *
 * Sources: kumahq/kuma at tag v2.14.3 (the version the adapter targets, src/adapters/kuma/versions.ts) and the
 * docs of kumahq/kuma-website at a92a32a (app/_src/...):
 * - policies/meshtrafficpermission_experimental.md ("the rules page": MeshTrafficPermission with `rules` and
 *   SPIFFE ID matches), policies/meshtrafficpermission.md ("the from page"), policies/meshtls.md,
 *   policies/meshidentity.md, guides/meshidentity-guide.md, policies/introduction.md ("the introduction");
 * - where they leave a point open, the control plane: pkg/plugins/policies/meshtrafficpermission/
 *   {plugin/v1alpha1/plugin.go, xds/rbac_configurer.go, xds/legacy_rbac_configurer.go},
 *   pkg/plugins/policies/meshtls/plugin/v1alpha1/plugin.go, pkg/plugins/policies/core/matchers/dataplane.go,
 *   pkg/plugins/policies/core/rules/{rules.go, inbound/inboundrules.go, sort/sort.go, merge/merge.go},
 *   pkg/core/resources/labels/compute.go, pkg/envoy/builders/xds/matchers/matchers.go, cited where used.
 *
 * What they say, and how it is implemented here:
 * 1. Which policies apply to an inbound (matchers/dataplane.go DppSelectedByPolicy). A policy applies only in
 *    its mesh (label `kuma.io/mesh`, `default` when absent: labels/compute.go). "A policy applied to a namespace
 *    will only apply to proxies inside this namespace" (the introduction, "Global, zonal, producer and consumer
 *    policies"): a policy outside the system namespace that has no `to` (only `rules` or `from`) has the
 *    policy role `workload-owner` (compute.go ComputePolicyRole) and selects Dataplanes of its namespace only
 *    (dataplane.go dppSelectedByNamespace); one in the system namespace (`system`) selects every namespace.
 *    The top-level targetRef (absent: `Mesh`, "Omitting targetRef" in the introduction): `Mesh` every inbound;
 *    `Dataplane` without name and labels every inbound, with `labels` the Dataplanes carrying all of them (on
 *    Kubernetes a Dataplane carries its pod's labels: runtime/k8s/controllers/pod_converter.go mergeLabels),
 *    with `name` the one of that name (and namespace), and `sectionName` narrowing to the inbound of that name,
 *    or of that port number when the inbound has no name (api/mesh/v1alpha1/dataplane_helpers.go
 *    GetSectionName); `MeshSubset` the inbounds whose tags carry `tags`; `MeshService` those tagged
 *    `kuma.io/service: <name>`; `MeshServiceSubset` both.
 * 2. mTLS and the mode of an inbound. MeshTrafficPermission and MeshTLS apply only when the Mesh has mTLS or the
 *    proxy a workload identity (a MeshIdentity selects it): "Mutual TLS has to be enabled" (the from page),
 *    "MeshIdentity has to be enabled" (the rules page); plugin.go: `!ctx.Mesh.Resource.MTLSEnabled() &&
 *    proxy.WorkloadIdentity == nil` skips both. Without either every request passes (no RBAC filter). The mode:
 *    the MeshTLS policies selecting the inbound, sorted as in rule 3 and their `default`s merged (JSON merge
 *    patch, the later wins: "We then build configuration by merging each level", the introduction,
 *    "Merging configuration"; MeshTLS `from` entries count as rules, `is_from_as_rules=true`), give `mode`;
 *    without one, Strict for a workload with identity, else the Mesh's CA backend mode (PERMISSIVE or the
 *    default STRICT) (meshtls plugin.go getMeshTLSMode). "Permissive mode encrypts outbound connections the
 *    same way as Strict mode, but inbound connections on the server-side accept both TLS and plaintext" (the
 *    MeshTLS page): a Strict inbound has only Kuma's mutual-TLS filter chain (a plaintext client's connection
 *    fails), a Permissive one also plaintext and non-Kuma-TLS chains (configureListener).
 * 3. Order of policies (the introduction, "Merging configuration": targetRef kind `Mesh` < `Dataplane` <
 *    `Dataplane` with labels < with labels/sectionName < with name < with name/sectionName; then origin global <
 *    zone; then policy role system < producer < consumer < workload-owner; then display name in inverted
 *    lexicographical order; rules/sort/sort.go CompareByPolicyAttributes, CompareByDisplayName; target kinds
 *    ordered Mesh < Dataplane < MeshSubset < MeshService < MeshServiceSubset, api/common/v1alpha1/targetref.go).
 *    Objects here carry no origin label (the local zone's: all equal).
 * 4. Access, MeshTrafficPermission with `rules` (the rules page): "1. If a request matches at least one `deny`
 *    matcher -- DENY. 2. Else, if it matches at least one `allow` or `allowWithShadowDeny` matcher -- ALLOW. 3.
 *    If no matchers apply -- DENY (default)." The rules of EVERY policy selecting the inbound are evaluated
 *    together ("For `to` and `rules` policies we concatenate the array for each matching policies", the
 *    introduction; rbac_configurer.go createMatcher: all deny matchers of every rule first, then all allow
 *    matchers, on no match DENY). A match `spiffeID` {type Exact | Prefix, value} compares the peer
 *    certificate's URI SAN as a string (matchers.go SpiffeIDPredicate: Envoy `uri_san` input with a StringMatcher
 *    exact or prefix: a Prefix is a string prefix, not a path-segment one). `sni` matches are for zone proxies
 *    (throws here).
 * 5. Which rule set an inbound gets (plugin.go Apply): with a workload identity, always the `rules` of rule 4:
 *    "By default, if no policy is present, all requests are denied" (the rules page; "Zero trust is default
 *    behavior in this situation", the MeshIdentity guide), and `from` MeshTrafficPermissions and legacy
 *    TrafficPermissions are ignored (plugin test "should ignore legacy 'from' MTP and default-deny under
 *    WorkloadIdentity"; RBACConfigurer removes the legacy RBAC filter). Without one: the `rules` when some
 *    policy selecting the inbound has them; else the `from` entries (rule 6); without any, deny when the mesh has
 *    no TrafficPermission, else the legacy TrafficPermissions decide (plugin.go configureLegacyRules; this
 *    oracle models them as the default mesh's `allow-all-<mesh>` only).
 * 6. Access, MeshTrafficPermission with `from` (the from page, legacy): each entry's targetRef selects clients
 *    by their tags (`Mesh` all, `MeshSubset` tags, `MeshService` `kuma.io/service`, `MeshServiceSubset` both;
 *    rules.go asSubset); a client gets the merge of the `default`s of every entry selecting it, in the order of
 *    rule 3 and then of the `from` array, so the LAST wins: "Order of rules inside the `from` array matters ...
 *    the rule with `Deny` is later in the `from` array than any `Allow` rules" (the from page; rules.go
 *    createRule merges the confs of every item whose subset contains the client's). Allowed when the action is
 *    `Allow` or `AllowWithShadowDeny`; a client no entry selects is denied (legacy_rbac_configurer.go: an ALLOW
 *    RBAC of the allowed principals).
 * 7. RBAC is configured on Kuma's mutual-TLS filter chains only (plugin.go: "we only want to configure RBAC on
 *    listeners protected by Kuma's TLS"): a plaintext request a Permissive inbound accepts passes every
 *    MeshTrafficPermission. A meshed client always sends mutual TLS inside the mesh and presents its
 *    certificate's SPIFFE ID (a MeshIdentity's `spiffeID` trustDomain + path, e.g. the Kubernetes template
 *    `/ns/{{ .Namespace }}/sa/{{ .ServiceAccount }}`, policies/meshidentity.md); with a workload identity the
 *    inbound's TLS accepts only clients of the trust domains the mesh trusts (meshtls plugin.go
 *    downstreamTLSContext: URI SAN prefix `spiffe://<trust domain>/`).
 * Out of scope: gateways and zone proxies, MeshHTTPRoute (outbound: it routes at the caller and is no part of
 * the inbound's decision), shadow logging (AllowWithShadowDeny decides as Allow), TrafficPermission contents.
 */

/** A Kubernetes object as parsed YAML (only what the oracle reads). */
export interface KumaObject {
  apiVersion?: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: any;
}

/** One request as the destination's sidecar sees it. */
export interface KumaRequest {
  /** The destination's Dataplane: namespace, labels (its pod's, on Kubernetes) and name (for targetRef name). */
  workload: { namespace: string; labels: Record<string, string>; name?: string };
  /** The inbound: its port (the pod port), name (sectionName) and tags (MeshSubset, MeshService; default: the labels). */
  inbound: { port: number; name?: string; tags?: Record<string, string> };
  /**
   * The client: `spiffeId` (the URI SAN of its certificate) when it is meshed (it then always sends mutual TLS),
   * none for a plaintext client; `tags` its Dataplane's tags (legacy `from` matching).
   */
  client: { spiffeId?: string; tags?: Record<string, string> };
}

export interface KumaOptions {
  /** The control plane's system namespace. @default "kuma-system" */
  systemNamespace?: string;
  /** The Dataplanes' mesh. @default "default" */
  mesh?: string;
  /** A MeshIdentity selects the destination's Dataplane. @default true */
  workloadIdentity?: boolean;
  /** Trust domains the mesh trusts (MeshTrust / MeshIdentity): other clients fail the TLS handshake. Default: any. */
  trustDomains?: string[];
  /** The Mesh's `spec.mtls`: an enabled backend and its mode (used without a workload identity). @default disabled */
  meshMtls?: { enabled: boolean; mode?: "STRICT" | "PERMISSIVE" };
  /** Legacy TrafficPermissions in the mesh: none, or the default mesh's `allow-all-<mesh>`. @default "allow-all" */
  trafficPermissions?: "none" | "allow-all";
}

export interface KumaDecision {
  allowed: boolean;
  reason: string;
  /** The inbound's mTLS mode, when mTLS is on. */
  mode?: "Strict" | "Permissive";
}

type Match = { spiffeID?: { type: "Exact" | "Prefix"; value: string }; sni?: unknown };

/** Decides one request at the destination's inbound. */
export function kumaAuthorize(objects: readonly KumaObject[], req: KumaRequest, opts: KumaOptions = {}): KumaDecision {
  const wid = opts.workloadIdentity ?? true;
  const meshMtls = opts.meshMtls?.enabled ?? false;
  // Rule 2: without mTLS in the Mesh and without a workload identity neither MeshTLS nor MeshTrafficPermission applies.
  if (!meshMtls && !wid) return { allowed: true, reason: "mTLS is off (no Mesh mTLS backend, no MeshIdentity): no MeshTrafficPermission applies" };
  const tls = selecting(objects, "MeshTLS", req, opts);
  let mode: "Strict" | "Permissive" | undefined;
  let modeFrom = "";
  for (const p of tls) {
    const confs = [...(p.spec?.rules ?? []), ...(p.spec?.rules?.length ? [] : (p.spec?.from ?? []))].map(
      (r: { default?: { mode?: string } }) => r.default ?? {},
    );
    for (const c of confs)
      if (c.mode === "Strict" || c.mode === "Permissive") {
        mode = c.mode;
        modeFrom = `MeshTLS ${p.metadata.namespace}/${p.metadata.name}`;
      }
  }
  if (!mode) {
    mode = wid ? "Strict" : opts.meshMtls?.mode === "PERMISSIVE" ? "Permissive" : "Strict";
    modeFrom = wid ? "no MeshTLS mode: Strict with a workload identity" : `no MeshTLS mode: the Mesh's CA backend (${opts.meshMtls?.mode ?? "STRICT"})`;
  }
  const at = `[mode ${mode}: ${modeFrom}]`;
  // Rule 2 and 7: plaintext.
  if (req.client.spiffeId === undefined) {
    if (mode === "Strict") return { allowed: false, reason: `plaintext connection refused: the inbound accepts Kuma's mutual TLS only ${at}`, mode };
    return { allowed: true, reason: `plaintext on a Permissive inbound: no RBAC on that filter chain ${at}`, mode };
  }
  const id = req.client.spiffeId;
  if (opts.trustDomains && !opts.trustDomains.some((td) => id.startsWith(`spiffe://${td}/`)))
    return { allowed: false, reason: `TLS handshake fails: ${id} is of no trusted trust domain ${at}`, mode };
  const mtps = selecting(objects, "MeshTrafficPermission", req, opts);
  const withRules = mtps.filter((p) => (p.spec?.rules ?? []).length > 0);
  // Rule 5.
  if (wid || withRules.length) {
    if (!withRules.length)
      return { allowed: false, reason: `no MeshTrafficPermission with rules selects the inbound: denied by default (workload identity) ${at}`, mode };
    const confs = withRules.flatMap((p) => (p.spec.rules as { default: Record<string, Match[]> }[]).map((r) => ({ p, d: r.default })));
    const name = (p: KumaObject) => `${p.metadata.namespace}/${p.metadata.name}`;
    for (const { p, d } of confs) {
      const m = (d.deny ?? []).find((x) => matches(x, id));
      if (m) return { allowed: false, reason: `denied by MeshTrafficPermission ${name(p)} deny ${describe(m)} ${at}`, mode };
    }
    for (const { p, d } of confs) {
      const m = [...(d.allow ?? []), ...(d.allowWithShadowDeny ?? [])].find((x) => matches(x, id));
      if (m) return { allowed: true, reason: `allowed by MeshTrafficPermission ${name(p)} allow ${describe(m)} ${at}`, mode };
    }
    return {
      allowed: false,
      reason: `no match in the rules of ${withRules.map(name).join(", ")}: denied by default ${at}`,
      mode,
    };
  }
  // Rule 6 (no workload identity, no rules).
  const from = mtps.flatMap((p) => ((p.spec?.from ?? []) as { targetRef: TargetRef; default?: { action?: string } }[]).map((f) => ({ p, f })));
  if (!from.length) {
    if ((opts.trafficPermissions ?? "allow-all") === "none")
      return { allowed: false, reason: `no MeshTrafficPermission and no TrafficPermission: denied ${at}`, mode };
    return { allowed: true, reason: `no MeshTrafficPermission selects the inbound: the legacy TrafficPermission allow-all decides ${at}`, mode };
  }
  let last: { p: KumaObject; f: { targetRef: TargetRef; default?: { action?: string } } } | undefined;
  for (const x of from) if (clientSelected(x.f.targetRef, req.client.tags ?? {}) && x.f.default?.action) last = x;
  if (!last) return { allowed: false, reason: `no 'from' entry selects the client: denied ${at}`, mode };
  const action = last.f.default!.action!;
  return {
    allowed: action === "Allow" || action === "AllowWithShadowDeny",
    reason: `${action} by the last 'from' entry selecting the client (${last.f.targetRef.kind}) of MeshTrafficPermission ${last.p.metadata.namespace}/${last.p.metadata.name} ${at}`,
    mode,
  };
}

interface TargetRef {
  kind: string;
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  tags?: Record<string, string>;
  sectionName?: string;
  proxyTypes?: string[];
}

/** Rule 4: a `rules` match against the client's SPIFFE ID. */
function matches(m: Match, id: string): boolean {
  if (m.sni !== undefined) throw new Error("sni matches (zone proxies) are not modelled");
  if (!m.spiffeID) return false;
  return m.spiffeID.type === "Exact" ? id === m.spiffeID.value : id.startsWith(m.spiffeID.value);
}

const describe = (m: Match) => `${m.spiffeID?.type} ${m.spiffeID?.value}`;

/** Rule 6: a `from` targetRef against the client's tags. */
function clientSelected(ref: TargetRef, tags: Record<string, string>): boolean {
  const has = (t: Record<string, string>) => Object.entries(t).every(([k, v]) => tags[k] === v);
  switch (ref.kind) {
    case "Mesh":
      return true;
    case "MeshSubset":
      return has(ref.tags ?? {});
    case "MeshService":
      return tags["kuma.io/service"] === ref.name;
    case "MeshServiceSubset":
      return tags["kuma.io/service"] === ref.name && has(ref.tags ?? {});
    default:
      throw new Error(`from targetRef kind ${ref.kind} is not modelled`);
  }
}

const KIND_ORDER: Record<string, number> = { Mesh: 1, Dataplane: 2, MeshSubset: 3, MeshGateway: 4, MeshService: 5, MeshServiceSubset: 8 };
const ROLE_ORDER: Record<string, number> = { system: 1, producer: 2, consumer: 3, "workload-owner": 4 };

/** Rule 1: the policies of a kind that select the request's inbound, in the order of rule 3 (least specific first). */
export function selecting(objects: readonly KumaObject[], kind: string, req: KumaRequest, opts: KumaOptions = {}): KumaObject[] {
  const sys = opts.systemNamespace ?? "kuma-system";
  const mesh = opts.mesh ?? "default";
  const role = (p: KumaObject) => ((p.metadata.namespace ?? sys) === sys ? "system" : (p.spec?.to ?? []).length ? "producer" : "workload-owner");
  const out = objects.filter((p) => {
    if (p.kind !== kind || (p.apiVersion ?? "kuma.io/v1alpha1") !== "kuma.io/v1alpha1") return false;
    if ((p.metadata.labels?.["kuma.io/mesh"] ?? "default") !== mesh) return false;
    if (role(p) === "workload-owner" && p.metadata.namespace !== req.workload.namespace) return false;
    if (role(p) !== "system" && role(p) !== "workload-owner") throw new Error(`${kind} ${p.metadata.name} with 'to' is not modelled`);
    return selectsInbound(p.spec?.targetRef ?? { kind: "Mesh" }, p.metadata.namespace ?? sys, req);
  });
  const ref = (p: KumaObject): TargetRef => p.spec?.targetRef ?? { kind: "Mesh" };
  return out.sort(
    (a, b) =>
      KIND_ORDER[ref(a).kind] - KIND_ORDER[ref(b).kind] ||
      compareDataplaneKind(ref(a), ref(b)) ||
      ROLE_ORDER[role(a)] - ROLE_ORDER[role(b)] ||
      // Inverted lexicographical order of display names: the smaller name is the more specific (later).
      (a.metadata.name < b.metadata.name ? 1 : a.metadata.name > b.metadata.name ? -1 : 0),
  );
}

/**
 * Two Dataplane targetRefs (api/common/v1alpha1/targetref.go CompareDataplaneKind): by name over by labels,
 * else with sectionName over without. (The introduction's table also puts labels over a bare Dataplane; the
 * code does not compare those: equal here, as in the code.)
 */
function compareDataplaneKind(a: TargetRef, b: TargetRef): number {
  if (a.kind !== "Dataplane" || b.kind !== "Dataplane") return 0;
  if (a.name && b.labels) return 1;
  if (a.labels && b.name) return -1;
  return (a.sectionName ? 1 : 0) - (b.sectionName ? 1 : 0);
}

function selectsInbound(ref: TargetRef, policyNamespace: string, req: KumaRequest): boolean {
  const labels = req.workload.labels;
  const tags = req.inbound.tags ?? labels;
  const has = (want: Record<string, string> | undefined, of: Record<string, string>) => Object.entries(want ?? {}).every(([k, v]) => of[k] === v);
  const section = req.inbound.name ?? String(req.inbound.port);
  if (ref.proxyTypes?.length && !ref.proxyTypes.includes("Sidecar")) return false;
  switch (ref.kind) {
    case "Mesh":
      return true;
    case "Dataplane": {
      let picked: boolean;
      if (ref.name) picked = ref.name === req.workload.name && (ref.namespace ?? policyNamespace) === req.workload.namespace;
      else if (ref.labels) picked = has(ref.labels, labels);
      else picked = ref.namespace === undefined;
      return picked && (!ref.sectionName || ref.sectionName === section);
    }
    case "MeshSubset":
      return has(ref.tags, tags);
    case "MeshService":
      return tags["kuma.io/service"] === ref.name;
    case "MeshServiceSubset":
      return tags["kuma.io/service"] === ref.name && has(ref.tags, tags);
    default:
      throw new Error(`top-level targetRef kind ${ref.kind} is not modelled`);
  }
}
