/**
 * The pure parts of the cluster layer: mesh detection from CRDs and Deployments, MeshService facts
 * from Services and pods, field diffs, apply order, redaction, the kubeconfig, and the rendering of
 * discover's output (which must load as a valid model).
 */
import { readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import yaml from "js-yaml";
import { afterAll, describe, expect, test } from "vitest";
import { loadModel } from "../../src/api/validate.js";
import {
  type CrdObject,
  type DiscoveredCluster,
  compareVersionsDesc,
  detectMeshes,
  imageTag,
  meshServiceOf,
  protocolOf,
  renderClusters,
  isSystemNamespace,
} from "../../src/kube/discover.js";
import { fieldDiff, normalize } from "../../src/kube/diff.js";
import { redact } from "../../src/kube/errors.js";
import {
  appliedPatch,
  applyRank,
  guessPlural,
  hasContent,
  inApplyOrder,
  installerOf,
  isAuthorizationStage,
  isPatch,
  isPatchOnly,
  markPatches,
  ownsContent,
} from "../../src/kube/kinds.js";
import { Kubeconfig, safeServer } from "../../src/kube/kubeconfig.js";
import { conflictsOf, contains } from "../../src/kube/apply.js";
import { KubeApiError } from "../../src/kube/errors.js";
import { adapterVersionOf } from "../../src/cli/mesh-auto.js";
import { BUILTIN_ADAPTERS as M } from "../../src/adapters/index.js";
import { CRD_ROOT, controlPlane, removeScratch, scratch, workloads } from "./support/harness.js";
import { compareKubeVersions, kubeconfigYaml, parseLabelSelector } from "./support/fake-apiserver.js";

afterAll(removeScratch);

function crdsOf(dir: string): CrdObject[] {
  const out: CrdObject[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(e))
        for (const doc of yaml.loadAll(readFileSync(p, "utf8"))) if ((doc as any)?.kind === "CustomResourceDefinition") out.push(doc as CrdObject);
    }
  };
  walk(dir);
  return out;
}

describe("detectMeshes", () => {
  test("Istio 1.30: version from istiod's image, evidence from the CRDs", () => {
    const m = detectMeshes(crdsOf(join(CRD_ROOT, "istio/1.30.3")), controlPlane("istio", "1.30.3"), M);
    expect(m).toEqual([
      {
        name: "istio",
        version: "1.30.3",
        evidence: [
          "istiod istio-system/istiod runs docker.io/istio/pilot:1.30.3",
          "CRDs: 15 in *.istio.io, e.g. virtualservices.networking.istio.io (served v1, v1alpha3, v1beta1; storage v1)",
          "CRDs match Istio 1.30 or later: trafficextensions.extensions.istio.io exists (Istio 1.30+)",
        ],
      },
    ]);
    expect(adapterVersionOf("istio", m[0].version, M)).toBe("1.30");
  });

  test("Istio CRDs without istiod: the oldest release they match (1.22.8 CRDs → 1.22)", () => {
    const [m] = detectMeshes(crdsOf(join(CRD_ROOT, "istio/1.22.8")), [], M);
    expect(m.name).toBe("istio");
    expect(m.version).toBe("1.22");
    expect(m.evidence!.join("\n")).toContain("no istiod Deployment found");
  });

  test("two istiod revisions (canary upgrade): one entry each, newest first; distroless tags", () => {
    const a = controlPlane("istio", "1.29.2")[0];
    const b = structuredClone(controlPlane("istio", "1.30.3")[0]);
    b.metadata.name = "istiod-1-30-3";
    b.metadata.labels["istio.io/rev"] = "1-30-3";
    b.spec.template.spec.containers[0].image = "gcr.io/istio-release/pilot:1.30.3-distroless";
    const m = detectMeshes(crdsOf(join(CRD_ROOT, "istio/1.30.3")), [a, b], M);
    expect(m.map((x) => x.version)).toEqual(["1.30.3", "1.29.2"]);
    expect(m[0].evidence![0]).toBe("istiod istio-system/istiod-1-30-3 (revision 1-30-3) runs gcr.io/istio-release/pilot:1.30.3-distroless");
  });

  test("Linkerd: the controller image tag; CRDs alone give the release that installed them", () => {
    const crds = crdsOf(join(CRD_ROOT, "linkerd/edge-26.8.3"));
    const [withCp] = detectMeshes(crds, controlPlane("linkerd", "edge-26.8.3"), M);
    expect(withCp).toMatchObject({ name: "linkerd", version: "edge-26.8.3" });
    expect(withCp.evidence![0]).toBe(
      "control plane linkerd/linkerd-destination, linkerd/linkerd-identity, linkerd/linkerd-proxy-injector; linkerd-destination runs cr.l5d.io/linkerd/controller:edge-26.8.3",
    );
    expect(adapterVersionOf("linkerd", withCp.version, M)).toBe("2.20");
    const [crdOnly] = detectMeshes(crdsOf(join(CRD_ROOT, "linkerd/stable-2.14.10")), [], M);
    expect(crdOnly.version).toBe("stable-2.14.10");
    expect(adapterVersionOf("linkerd", crdOnly.version, M)).toBe("2.14");
  });

  test("Linkerd CRDs without any release annotation: the oldest release they match", () => {
    const crds = crdsOf(join(CRD_ROOT, "linkerd/edge-26.8.3")).map((c) => ({ ...c, metadata: { ...c.metadata, annotations: {} } }));
    const [m] = detectMeshes(crds, [], M);
    expect(m.version).toBe("2.17");
  });

  test("App Mesh: the controller image; CRDs alone cannot tell the version", () => {
    const crds = crdsOf(join(CRD_ROOT, "aws-app-mesh/v1.13.3"));
    const controller = {
      metadata: { name: "appmesh-controller", namespace: "appmesh-system", labels: { "app.kubernetes.io/name": "appmesh-controller" } },
      spec: {
        template: { spec: { containers: [{ name: "controller", image: "602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon/appmesh-controller:v1.13.3" }] } },
      },
    };
    expect(detectMeshes(crds, [controller], M)[0]).toMatchObject({ name: "appmesh", version: "1.13.3" });
    expect(detectMeshes(crds, [], M)[0]).toMatchObject({ name: "appmesh", version: "unknown" });
    expect(adapterVersionOf("appmesh", "unknown", M)).toBeUndefined();
  });

  test("nothing installed: no mesh; Gateway API CRDs alone are not a mesh", () => {
    expect(detectMeshes([], [], M)).toEqual([]);
    expect(detectMeshes(crdsOf(join(CRD_ROOT, "gateway-api/v1.6.1/standard")), [], M)).toEqual([]);
  });

  test("image tags and version order", () => {
    expect(imageTag("registry:5000/istio/pilot:1.30.3@sha256:abc")).toBe("1.30.3");
    expect(imageTag("registry:5000/istio/pilot")).toBeUndefined();
    expect(["1.9.0", "1.30.3", "1.30.10"].sort(compareVersionsDesc)).toEqual(["1.30.10", "1.30.3", "1.9.0"]);
  });
});

describe("meshServiceOf", () => {
  const w = workloads("shop");
  const reviews = w.services[0];

  test("selector, ports, service account and version subsets from the pods", () => {
    const d = meshServiceOf(reviews, w.pods, "ctx")!;
    expect(d.doc).toEqual({
      apiVersion: "unimesh.io/v1alpha1",
      kind: "MeshService",
      metadata: { name: "reviews", namespace: "shop", annotations: { "unimesh.io/contexts": "ctx" } },
      spec: {
        selector: { app: "reviews" },
        serviceAccount: "bookinfo-reviews",
        ports: [{ port: 9080, name: "http", protocol: "http" }],
        subsets: [
          { name: "v1", labels: { version: "v1" } },
          { name: "v2", labels: { version: "v2" } },
        ],
      },
    });
    expect(d.notes).toEqual([]);
  });

  test("several service accounts: the most common one, said in a note", () => {
    const pods = [
      ...w.pods,
      { ...w.pods[0], metadata: { ...w.pods[0].metadata, name: "x" }, spec: { ...w.pods[0].spec, serviceAccountName: "legacy" } },
      { ...w.pods[0], metadata: { ...w.pods[0].metadata, name: "y" }, spec: { ...w.pods[0].spec, serviceAccountName: "legacy" } },
    ];
    const d = meshServiceOf(reviews, pods, "ctx")!;
    expect(d.doc.spec.serviceAccount).toBe("bookinfo-reviews"); // 2 vs 2: the first by name
    expect(d.notes[0]).toContain("its pods run as 2 service accounts (bookinfo-reviews: 2 pods, legacy: 2 pods); serviceAccount is bookinfo-reviews");
  });

  test("named targetPort resolved from the pods; UDP left out; protocol from appProtocol, then the name prefix", () => {
    const svc = {
      metadata: { name: "api", namespace: "shop" },
      spec: {
        selector: { app: "reviews" },
        ports: [
          { name: "web", port: 80, targetPort: "http", appProtocol: "kubernetes.io/h2c" },
          { name: "grpc-api", port: 9090, targetPort: 9091 },
          { name: "metrics", port: 9100 },
          { name: "dns", port: 53, protocol: "UDP" },
          { name: "tls-db", port: 5432 },
        ],
      },
    };
    const d = meshServiceOf(svc, w.pods, "ctx")!;
    expect(d.doc.spec.ports).toEqual([
      { port: 80, name: "web", targetPort: 9080, protocol: "http2" },
      { port: 9090, name: "grpc-api", targetPort: 9091, protocol: "grpc" },
      { port: 9100, name: "metrics" },
      { port: 5432, name: "tls-db", protocol: "tcp" },
    ]);
    expect(d.notes).toEqual(["port 53 (dns) is UDP, which meshes do not route: left out"]);
  });

  test("no selector or ExternalName: no MeshService; no pods: a note and no serviceAccount", () => {
    expect(meshServiceOf({ metadata: { name: "kubernetes", namespace: "default" }, spec: { ports: [{ port: 443 }] } }, [], "c")).toBeUndefined();
    expect(meshServiceOf(w.services[2], w.pods, "c")).toBeUndefined();
    const d = meshServiceOf(reviews, [], "c")!;
    expect(d.doc.spec.serviceAccount).toBeUndefined();
    expect(d.notes[0]).toMatch(/^no running pod matches its selector/);
  });

  test("protocol selection table", () => {
    expect(protocolOf("HTTP", "tcp-x")).toBe("http");
    expect(protocolOf(undefined, "http2-web")).toBe("http2");
    expect(protocolOf(undefined, "grpc-web")).toBe("http");
    expect(protocolOf(undefined, "https")).toBe("tcp");
    expect(protocolOf(undefined, "httpbin")).toBeUndefined();
    expect(protocolOf("custom.io/x", "mongo")).toBe("tcp");
  });

  test("system namespaces", () => {
    for (const ns of ["kube-system", "istio-system", "istio-ingress", "linkerd", "linkerd-viz", "appmesh-system", "local-path-storage"])
      expect(isSystemNamespace(ns, new Set(), M), ns).toBe(true);
    for (const ns of ["default", "bookinfo", "linkerdemo", "istiofoo"]) expect(isSystemNamespace(ns, new Set(), M), ns).toBe(false);
    expect(isSystemNamespace("mesh-cp", new Set(["mesh-cp"]))).toBe(true);
    expect(isSystemNamespace("istio-system")).toBe(false); // no adapter given: only Kubernetes' own
  });
});

describe("renderClusters", () => {
  const cluster = (context: string, sa: string): DiscoveredCluster => {
    const w = workloads("shop");
    const pods = w.pods.map((p) => ({ ...p, spec: { ...p.spec, serviceAccountName: p.metadata.labels.app === "reviews" ? sa : p.spec.serviceAccountName } }));
    return {
      info: {
        apiVersion: "unimesh.io/v1alpha1",
        kind: "ClusterInfo",
        metadata: { name: context },
        spec: { context, server: "https://x", kubernetesVersion: "v1.31.2", meshes: [{ name: "istio", version: "1.30.3" }] },
      },
      services: w.services.map((s) => meshServiceOf(s, pods, context)).filter((x) => !!x),
      warnings: [],
      skipped: 0,
    };
  };

  test("several clusters in one stream: identical Services once (contexts listed), differing ones kept from the first, with a warning; loads as a valid model", () => {
    const { text, warnings } = renderClusters([cluster("east", "bookinfo-reviews"), cluster("west", "reviews-west")]);
    expect(warnings).toEqual(["MeshService shop/reviews differs between contexts east and west: kept the facts of east; use -o DIR for one file per cluster"]);
    const loaded = loadModel([{ file: "all.yaml", text }]);
    expect(loaded.diagnostics).toEqual([]);
    expect(loaded.model.clusters.map((c) => c.name)).toEqual(["east", "west"]);
    const byName = Object.fromEntries(loaded.model.services.map((s) => [s.name, s.doc]));
    expect(byName.ratings.metadata.annotations).toEqual({ "unimesh.io/contexts": "east,west" });
    expect(byName.reviews.metadata.annotations).toEqual({ "unimesh.io/contexts": "east" });
    expect(byName.reviews.spec.serviceAccount).toBe("bookinfo-reviews");
  });
});

describe("fieldDiff", () => {
  test("maps by key, named lists by name, other lists by index; paths with special keys quoted", () => {
    const before = {
      metadata: { annotations: { "a.io/x": "1" } },
      spec: {
        ports: [
          { name: "http", port: 80 },
          { name: "grpc", port: 90 },
        ],
        hosts: ["a", "b"],
        gone: true,
      },
    };
    const after = {
      metadata: { annotations: { "a.io/x": "2", y: "new" } },
      spec: {
        ports: [
          { name: "grpc", port: 91 },
          { name: "http", port: 80 },
        ],
        hosts: ["a"],
        added: { k: 1 },
      },
    };
    expect(fieldDiff(before, after)).toEqual([
      { path: '.metadata.annotations["a.io/x"]', op: "change", before: "1", after: "2" },
      { path: ".metadata.annotations.y", op: "add", after: "new" },
      { path: ".spec.added", op: "add", after: { k: 1 } },
      { path: ".spec.gone", op: "remove", before: true },
      { path: ".spec.hosts[1]", op: "remove", before: "b" },
      { path: ".spec.ports[name=grpc].port", op: "change", before: 90, after: 91 },
    ]);
    expect(fieldDiff(before, structuredClone(before))).toEqual([]);
  });

  test("normalize drops what always differs", () => {
    const o = normalize({
      apiVersion: "v1",
      kind: "X",
      metadata: { name: "a", uid: "u", resourceVersion: "1", generation: 2, creationTimestamp: "t", managedFields: [], labels: { a: "b" } },
      spec: {},
      status: { x: 1 },
    });
    expect(o).toEqual({ apiVersion: "v1", kind: "X", metadata: { name: "a", labels: { a: "b" } }, spec: {} });
  });

  test("contains (client dry run)", () => {
    expect(contains({ a: 1, b: { c: [1, 2], d: 3 } }, { b: { c: [1, 2] } })).toBe(true);
    expect(contains({ a: 1, b: { c: [1, 2] } }, { b: { c: [1] } })).toBe(false);
  });
});

describe("a mesh the cluster layer does not know: everything comes from its adapter's hooks", () => {
  // What a new mesh (or a third-party adapter) brings in its own folder: no change to src/kube or src/cli.
  const consul = {
    name: "consul",
    cluster: {
      title: "Consul",
      installHints: { "consul.hashicorp.com": "Consul (consul-k8s install)" },
      applyRank: (o: { apiVersion: string; kind: string }) =>
        o.apiVersion.startsWith("consul.hashicorp.com/") ? (o.kind === "ServiceIntentions" ? 55 : 40) : undefined,
      controlPlane: [{ labelSelector: "app=consul-server", what: "Consul control planes" }],
      detect: (crds: readonly CrdObject[]) =>
        crds.some((c) => c.spec.group === "consul.hashicorp.com") ? [{ name: "consul", version: "1.20.1", evidence: ["consul.hashicorp.com CRDs"] }] : [],
      isSystemNamespace: (ns: string) => ns === "consul",
      versionOf: (v: string) => (v.startsWith("1.") ? v.split(".").slice(0, 2).join(".") : undefined),
    },
  };
  const crd = { metadata: { name: "meshes.consul.hashicorp.com" }, spec: { group: "consul.hashicorp.com", names: { kind: "Mesh" } } };
  test("detection, system namespaces, version mapping, install hint, apply order", () => {
    expect(detectMeshes([crd], [], [...M, consul])).toEqual([{ name: "consul", version: "1.20.1", evidence: ["consul.hashicorp.com CRDs"] }]);
    expect(detectMeshes([crd], [], M)).toEqual([]);
    expect(isSystemNamespace("consul", new Set(), [consul])).toBe(true);
    expect(adapterVersionOf("consul", "1.20.1", [consul])).toBe("1.20");
    expect(installerOf("consul.hashicorp.com", [consul])).toBe("Consul (consul-k8s install)");
    expect(installerOf("consul.hashicorp.com", M)).toBe("the CRDs of the API group consul.hashicorp.com");
    const mtp = { apiVersion: "consul.hashicorp.com/v1alpha1", kind: "ServiceIntentions" };
    expect(isAuthorizationStage(mtp, [consul])).toBe(true);
    expect(inApplyOrder([mtp, { apiVersion: "consul.hashicorp.com/v1alpha1", kind: "ServiceRouter" }], undefined, [consul]).map((o) => o.kind)).toEqual([
      "ServiceRouter",
      "ServiceIntentions",
    ]);
  });
});

describe("apply order and kinds", () => {
  const o = (apiVersion: string, kind: string) => ({ apiVersion, kind, metadata: { name: kind } });
  test("mesh-wide first, then workloads, Service annotations, routes, authorization", () => {
    const input = [
      o("security.istio.io/v1", "AuthorizationPolicy"),
      o("networking.istio.io/v1", "VirtualService"),
      o("v1", "Service"),
      o("appmesh.k8s.aws/v1beta2", "VirtualNode"),
      o("appmesh.k8s.aws/v1beta2", "Mesh"),
      o("networking.istio.io/v1", "DestinationRule"),
      o("policy.linkerd.io/v1alpha1", "MeshTLSAuthentication"),
      o("policy.linkerd.io/v1alpha1", "AuthorizationPolicy"),
      o("example.com/v1", "Unknown"),
    ];
    expect(inApplyOrder(input, undefined, M).map((x) => x.kind)).toEqual([
      "Mesh",
      "VirtualNode",
      "DestinationRule",
      "Service",
      "VirtualService",
      "Unknown",
      "MeshTLSAuthentication",
      "AuthorizationPolicy",
      "AuthorizationPolicy",
    ]);
    expect(applyRank(o("appmesh.k8s.aws/v1beta2", "VirtualService"), M)).toBeGreaterThan(applyRank(o("appmesh.k8s.aws/v1beta2", "VirtualRouter"), M));
    // Without the adapters' hooks, a mesh kind is ranked with the routes; an adapter ranks its own kinds.
    expect(applyRank(o("appmesh.k8s.aws/v1beta2", "Mesh"))).toBe(45);
    expect(applyRank(o("v1", "Namespace"))).toBe(15);
    const thirdParty = { cluster: { applyRank: (x: { kind: string }) => (x.kind === "Grant" ? 55 : undefined) } };
    expect(isAuthorizationStage(o("example.com/v1", "Grant"), [thirdParty])).toBe(true);
    expect(isAuthorizationStage(o("example.com/v1", "Grant"))).toBe(false);
  });
  test("authorization: what only restricts (Istio DENY, CUSTOM) before what grants (ALLOW, the default)", () => {
    const ap = (name: string, action?: string) => ({
      apiVersion: "security.istio.io/v1",
      kind: "AuthorizationPolicy",
      metadata: { name },
      spec: action ? { action } : {},
    });
    const input = [
      ap("allow", "ALLOW"),
      ap("default"),
      ap("deny", "DENY"),
      ap("custom", "CUSTOM"),
      o("security.istio.io/v1", "RequestAuthentication"),
      o("policy.linkerd.io/v1alpha1", "HTTPLocalRateLimitPolicy"),
    ];
    expect(inApplyOrder(input, undefined, M).map((x) => x.metadata.name)).toEqual([
      "RequestAuthentication",
      "deny",
      "custom",
      "allow",
      "default",
      "HTTPLocalRateLimitPolicy",
    ]);
    expect(input.filter((x) => isAuthorizationStage(x, M)).map((x) => x.metadata.name)).toEqual([
      "allow",
      "default",
      "deny",
      "custom",
      "RequestAuthentication",
    ]);
    expect(isAuthorizationStage(o("policy.linkerd.io/v1alpha1", "AuthorizationPolicy"), M)).toBe(true);
    expect(isAuthorizationStage(o("networking.istio.io/v1", "VirtualService"), M)).toBe(false);
  });
  test("patches (metadata only) versus unimesh's own objects; plural guesses", () => {
    expect(isPatchOnly("v1", "Service")).toBe(true);
    expect(isPatchOnly("apps/v1", "Deployment")).toBe(true);
    expect(isPatchOnly("networking.istio.io/v1", "VirtualService")).toBe(false);
    expect(isPatchOnly("v1", "ConfigMap")).toBe(false);
    // A patch is what the adapter marked with unimesh.io/patch, not a shape.
    const patch = {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "a", namespace: "n", annotations: { "unimesh.io/patch": "server-side-apply", x: "y" } },
    };
    expect(isPatch(patch)).toBe(true);
    expect(isPatch({ apiVersion: "v1", kind: "Service", metadata: { name: "a", annotations: { x: "y" } } })).toBe(false);
    expect(isPatch({ apiVersion: "v1", kind: "Service", metadata: { name: "a" }, spec: { clusterIP: "None" } })).toBe(false);
    expect(hasContent(patch)).toBe(false);
    expect(hasContent({ ...patch, spec: {} })).toBe(true);
    // Apply records the policy set on patches only.
    const own = { apiVersion: "v1", kind: "Service", metadata: { name: "b", labels: { "unimesh.io/policy-set": "s" } }, spec: {} };
    const marked = markPatches([patch, own], "s");
    expect(marked[0].metadata.annotations).toEqual({ ...patch.metadata.annotations, "unimesh.io/policy-set": "s" });
    expect(patch.metadata.annotations).not.toHaveProperty("unimesh.io/policy-set");
    expect(marked[1]).toBe(own);
    const patchedBy = (manager: string, annotations: object) => ({
      metadata: { managedFields: [{ manager, operation: "Apply", fieldsV1: { "f:metadata": { "f:annotations": annotations } } }] },
    });
    expect(appliedPatch(patchedBy("unimesh", { "f:unimesh.io/patch": {}, "f:x": {} }), "unimesh")).toBe(true);
    expect(appliedPatch(patchedBy("kubectl", { "f:unimesh.io/patch": {} }), "unimesh")).toBe(false);
    expect(appliedPatch(patchedBy("unimesh", { "f:x": {} }), "unimesh")).toBe(false);
    expect(appliedPatch({ metadata: {} }, "unimesh")).toBe(false);
    const managed = (manager: string, fieldsV1: object) => ({
      metadata: {
        managedFields: [
          { manager: "kubectl", operation: "Update", fieldsV1: { "f:spec": {} } },
          { manager, operation: "Apply", fieldsV1 },
        ],
      },
    });
    expect(ownsContent(managed("unimesh", { "f:metadata": { "f:labels": {} } }), "unimesh")).toBe(false);
    expect(ownsContent(managed("unimesh", { "f:metadata": {}, "f:spec": { "f:ports": {} } }), "unimesh")).toBe(true);
    expect(ownsContent(managed("helm", { "f:spec": {} }), "unimesh")).toBe(false);
    expect(ownsContent({ metadata: {} }, "unimesh")).toBeUndefined();
    expect(["AuthorizationPolicy", "Mesh", "Gateway", "GatewayClass"].map(guessPlural)).toEqual([
      "authorizationpolicies",
      "meshes",
      "gateways",
      "gatewayclasses",
    ]);
  });
});

describe("conflicts from a 409 Status", () => {
  test("managers and fields from the causes", () => {
    const e = new KubeApiError(
      409,
      "PATCH",
      "/x",
      {
        kind: "Status",
        reason: "Conflict",
        message: 'Apply failed with 2 conflicts: conflicts with "kubectl" using networking.istio.io/v1:\n- .spec.http\n- .spec.hosts',
        details: {
          causes: [
            { reason: "FieldManagerConflict", message: 'conflict with "kubectl" using networking.istio.io/v1', field: ".spec.http" },
            { reason: "FieldManagerConflict", message: 'conflict with "helm" using networking.istio.io/v1', field: ".spec.hosts" },
          ],
        },
      },
      "x",
    );
    expect(conflictsOf(e)).toEqual([
      { manager: "kubectl", field: ".spec.http" },
      { manager: "helm", field: ".spec.hosts" },
    ]);
  });
});

describe("redaction", () => {
  test("known secrets, JWTs, bearer headers and key=value credentials", () => {
    const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
    expect(redact(`failed with token abcdefghij: ${jwt} Authorization: Bearer s3cr3t-value-123 password=hunter22`, ["abcdefghij"])).toBe(
      "failed with token <redacted>: <redacted> Authorization: Bearer <redacted> password=<redacted>",
    );
  });
  test("server URLs lose their credentials", () => {
    expect(safeServer("https://admin:pw@example.com:6443/k8s/clusters/c-1?token=x#f")).toBe("https://example.com:6443/k8s/clusters/c-1");
  });
});

describe("kubeconfig", () => {
  test("KUBECONFIG path lists merge with the first file winning; contexts are selected by name", async () => {
    const dir = scratch();
    const a = join(dir, "a"),
      b = join(dir, "b");
    writeFileSync(a, kubeconfigYaml([{ name: "one", server: "https://u:p@10.0.0.1:6443", token: "token-aaaaaaaaaaaa" }]));
    writeFileSync(
      b,
      kubeconfigYaml(
        [
          { name: "two", server: "https://10.0.0.2:6443", token: "token-bbbbbbbbbbbb" },
          { name: "one", server: "https://shadowed:1", token: "t" },
        ],
        "two",
      ),
    );
    const kc = await Kubeconfig.load({ env: { KUBECONFIG: `${a}:${join(dir, "missing")}:${b}` }, cwd: dir });
    expect(kc.currentContext()).toBe("one");
    expect(kc.contexts().map((c) => `${c.name}=${c.server}`)).toEqual(["one=https://10.0.0.1:6443", "two=https://10.0.0.2:6443"]);
    expect(kc.select({ contexts: ["two", "one", "two"] }).map((c) => c.name)).toEqual(["two", "one"]);
    expect(kc.select({ all: true })).toHaveLength(2);
    expect(() => kc.select({ contexts: ["three"] })).toThrow('no context "three" in the kubeconfig; contexts: one, two');
    expect(kc.secrets()).toEqual(expect.arrayContaining(["token-aaaaaaaaaaaa", "token-bbbbbbbbbbbb"]));
  });

  test("a broken kubeconfig is reported without quoting it", async () => {
    const dir = scratch({ kc: "users:\n- name: x\n  user: {token: super-secret-token-value\n" });
    const err = (await Kubeconfig.load({ kubeconfig: "kc", env: {}, cwd: dir }).catch((e) => e)) as Error;
    expect(err.message).toMatch(/^cannot read kubeconfig .*kc: invalid YAML at line \d+$/);
    expect(err.message).not.toContain("super-secret");
    const none = (await Kubeconfig.load({ env: { HOME: dir }, cwd: dir }).catch((e) => e)) as Error;
    expect(none.message).toBe("no kubeconfig found: set KUBECONFIG, pass --kubeconfig, or create ~/.kube/config");
  });
});

describe("fake API server helpers", () => {
  test("label selectors and version priority", () => {
    const m = parseLabelSelector("app.kubernetes.io/managed-by=unimesh,tier in (a, b),!legacy,env!=prod");
    expect(m({ "app.kubernetes.io/managed-by": "unimesh", tier: "a" })).toBe(true);
    expect(m({ "app.kubernetes.io/managed-by": "unimesh", tier: "c" })).toBe(false);
    expect(m({ "app.kubernetes.io/managed-by": "unimesh", tier: "b", legacy: "" })).toBe(false);
    expect(["v1alpha1", "v1beta1", "v1", "v1beta2", "v2"].sort(compareKubeVersions)).toEqual(["v2", "v1", "v1beta2", "v1beta1", "v1alpha1"]);
  });
});
