/**
 * Tiny adapters for the cluster tests, named like the real ones so `--mesh istio` / `--mesh auto`
 * resolve to them (the tests mock `src/adapters/index.js`). They emit a few objects of the real kinds
 * (valid against the real CRDs the fake API server validates with), not real translations.
 */
// Not from src/index.js: it re-exports src/adapters/index.js, which the tests mock with these adapters.
import { FEATURES } from "../../../src/api/features.js";
import type { Adapter, Capabilities, KubeObject, TranslateContext } from "../../../src/api/adapter.js";
import type { Model } from "../../../src/api/model.js";
import { PATCH_ANNOTATION, objectMeta } from "../../../src/api/ownership.js";
import { serviceHost } from "../../../src/api/names.js";
// The real adapters' cluster knowledge (install hints, apply order, detection, versions): the doubles stand in for them.
import { istioCluster } from "../../../src/adapters/istio/cluster.js";
import { linkerdCluster } from "../../../src/adapters/linkerd/cluster.js";
import { appmeshCluster } from "../../../src/adapters/appmesh/cluster.js";

const capabilities = (): Capabilities => Object.fromEntries(FEATURES.map((f) => [f, { support: "full" as const }])) as Capabilities;
const seconds = (ms: number) => `${ms / 1000}s`;

/** Istio-like: a DestinationRule (subsets), a VirtualService (split, timeout, retries), an AuthorizationPolicy (access). */
export const fakeIstio: Adapter = {
  name: "istio",
  cluster: istioCluster,
  description: "test double of the Istio adapter",
  versions: ["1.22", "1.30"],
  defaultVersion: "1.30",
  capabilities,
  translate(model: Model): KubeObject[] {
    const out: KubeObject[] = [];
    for (const v of model.destinations()) {
      const host = serviceHost(v.service, v.namespace);
      if (v.subsets.length) {
        out.push({
          apiVersion: "networking.istio.io/v1",
          kind: "DestinationRule",
          metadata: objectMeta(v.service, v.namespace, v.trafficPolicies),
          spec: { host, subsets: v.subsets.map((s) => ({ name: s.name, labels: s.labels })) },
        });
      }
      if (v.routes.length) {
        out.push({
          apiVersion: "networking.istio.io/v1",
          kind: "VirtualService",
          metadata: objectMeta(v.service, v.namespace, v.trafficPolicies),
          spec: {
            hosts: [host],
            http: v.routes.map((r) => ({
              ...(r.name ? { name: r.name } : {}),
              route:
                r.action.kind === "split"
                  ? r.action.targets.map((t) => ({ destination: { host, ...(t.subset ? { subset: t.subset.name } : {}) }, weight: t.weight }))
                  : [{ destination: { host } }],
              ...(r.timeout ? { timeout: seconds(r.timeout.value) } : {}),
              retries: { attempts: r.retries?.value.attempts ?? 0 },
            })),
          },
        });
      }
      if (v.accessPolicies.length) {
        out.push({
          apiVersion: "security.istio.io/v1",
          kind: "AuthorizationPolicy",
          metadata: objectMeta(v.service, v.namespace, v.accessPolicies),
          spec: {
            selector: { matchLabels: v.facts.selector },
            action: "ALLOW",
            rules: [
              {
                from: [
                  {
                    source: {
                      principals: v.allow
                        .flatMap((a) => a.source?.identities ?? [])
                        .map((i) => ("any" in i ? "*" : `cluster.local/ns/${i.namespace}/sa/${i.serviceAccount}`)),
                    },
                  },
                ],
              },
            ],
          },
        });
      }
    }
    return out;
  },
};

/** Linkerd-like: a policy.linkerd.io HTTPRoute per destination, and retry annotations on the existing Service. */
export const fakeLinkerd: Adapter = {
  name: "linkerd",
  cluster: linkerdCluster,
  description: "test double of the Linkerd adapter",
  versions: ["2.14", "2.20"],
  defaultVersion: "2.20",
  capabilities,
  translate(model: Model): KubeObject[] {
    const out: KubeObject[] = [];
    for (const v of model.destinations()) {
      const port = v.facts.ports?.[0]?.port ?? 80;
      if (v.routes.length) {
        out.push({
          apiVersion: "policy.linkerd.io/v1beta3",
          kind: "HTTPRoute",
          metadata: objectMeta(v.service, v.namespace, v.trafficPolicies),
          spec: {
            parentRefs: [{ group: "core", kind: "Service", name: v.service, port }],
            rules: v.routes.map((r) => ({
              backendRefs:
                r.action.kind === "split"
                  ? r.action.targets.map((t) => ({ name: t.subset ? `${v.service}-${t.subset.name}` : v.service, port, weight: t.weight }))
                  : [{ name: v.service, port }],
            })),
          },
        });
      }
      const retries = v.routes.find((r) => r.retries)?.retries?.value;
      if (retries) {
        out.push({
          apiVersion: "v1",
          kind: "Service",
          // A patch of the user's Service, marked like the real Linkerd adapter's (so translate() gives it no ownership labels).
          metadata: objectMeta(v.service, v.namespace, v.trafficPolicies, {
            annotations: { "retry.linkerd.io/limit": String(retries.attempts), "retry.linkerd.io/http": "5xx", [PATCH_ANNOTATION]: "server-side-apply" },
          }),
        });
      }
    }
    return out;
  },
};

/** App Mesh-like: a cluster-scoped Mesh and a VirtualNode per destination (for the apply order). */
export const fakeAppMesh: Adapter = {
  name: "appmesh",
  cluster: appmeshCluster,
  description: "test double of the App Mesh adapter",
  versions: ["1.13"],
  defaultVersion: "1.13",
  capabilities,
  translate(model: Model, ctx: TranslateContext): KubeObject[] {
    // Like the real adapter: one info diagnostic in every translation (the JSON reports must carry it).
    ctx.reportGlobal({ code: "adapter/deprecated-mesh", severity: "info", message: "test double: AWS discontinued App Mesh" });
    const out: KubeObject[] = [];
    for (const v of model.destinations()) {
      out.push({
        apiVersion: "appmesh.k8s.aws/v1beta2",
        kind: "VirtualNode",
        metadata: objectMeta(v.service, v.namespace, v.trafficPolicies),
        spec: { podSelector: { matchLabels: v.facts.selector }, serviceDiscovery: { dns: { hostname: serviceHost(`${v.service}-appmesh`, v.namespace) } } },
      });
      // A Service of its own (with content: created by apply, deleted by prune), as the App Mesh adapter emits for DNS.
      out.push({
        apiVersion: "v1",
        kind: "Service",
        metadata: objectMeta(`${v.service}-appmesh`, v.namespace, v.trafficPolicies),
        spec: { clusterIP: "None", selector: v.facts.selector, ports: [{ name: "http", port: v.facts.ports?.[0]?.port ?? 80, protocol: "TCP" }] },
      });
    }
    out.push({
      apiVersion: "appmesh.k8s.aws/v1beta2",
      kind: "Mesh",
      metadata: objectMeta("unimesh", undefined, []),
      spec: { namespaceSelector: { matchLabels: { mesh: "unimesh" } } },
    });
    return out;
  },
};

/** Emits a VirtualService with a field Istio's CRD does not have (the API server answers 422 Invalid). */
export const fakeBroken: Adapter = {
  name: "broken",
  description: "test double that emits an invalid object",
  versions: ["1.0"],
  defaultVersion: "1.0",
  capabilities,
  translate(model: Model): KubeObject[] {
    return model.destinations().map((v) => ({
      apiVersion: "networking.istio.io/v1",
      kind: "VirtualService",
      metadata: objectMeta(v.service, v.namespace, v.trafficPolicies),
      spec: { hosts: [serviceHost(v.service, v.namespace)], retriez: 3 },
    }));
  },
};

export const FAKE_ADAPTERS: readonly Adapter[] = [fakeIstio, fakeLinkerd, fakeAppMesh, fakeBroken];
