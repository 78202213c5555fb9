/**
 * `unimesh discover` on a real kube-apiserver (the `main` server) running realistic control planes:
 * istiod 1.30.3 in istio-system, Linkerd edge-26.8.3's destination/identity/proxy-injector in linkerd, the
 * App Mesh controller v1.13.3 in appmesh-system, kuma-control-plane 2.14.3 in kuma-system (test/kube/support/harness.ts `controlPlane`, created by
 * the global setup), with their CRDs. The test creates a namespace of Services (named ports, appProtocol,
 * named target ports, a UDP port, ExternalName, no selector) and the Pods a kubelet-less cluster never
 * runs: sidecar containers (istio-proxy, linkerd-proxy), service accounts, version labels. Then the
 * discovered documents drive `translate --mesh auto` and a real `apply`.
 */
import yaml from "js-yaml";
import { beforeAll, describe, expect, inject, test } from "vitest";
import { loadModel } from "../../src/api/validate.js";
import type { KubeClient } from "../../src/kube/client.js";
import { scratch, unimesh } from "../kube/support/harness.js";
import { type ServerInfo, adminClient, applyAs, server } from "./support/servers.js";

const run = inject("unimeshCluster");
type Obj = any;
const NS = `um-shop-${process.pid}`;

/** A Pod as a Deployment's ReplicaSet would have created it, with a mesh sidecar. */
function pod(name: string, labels: Record<string, string>, sa: string, ports: { name?: string; containerPort: number }[], sidecar: "istio" | "linkerd"): Obj {
  const proxy =
    sidecar === "istio"
      ? { name: "istio-proxy", image: "docker.io/istio/proxyv2:1.30.3", ports: [{ name: "http-envoy-prom", containerPort: 15090 }] }
      : {
          name: "linkerd-proxy",
          image: "cr.l5d.io/linkerd/proxy:edge-26.8.3",
          ports: [
            { name: "linkerd-proxy", containerPort: 4143 },
            { name: "linkerd-admin", containerPort: 4191 },
          ],
        };
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: NS,
      labels: {
        ...labels,
        ...(sidecar === "istio"
          ? { "security.istio.io/tlsMode": "istio", "service.istio.io/canonical-name": labels.app }
          : { "linkerd.io/control-plane-ns": "linkerd", "linkerd.io/proxy-deployment": labels.app }),
      },
      annotations: sidecar === "istio" ? { "sidecar.istio.io/status": '{"containers":["istio-proxy"]}' } : { "linkerd.io/inject": "enabled" },
    },
    spec: {
      serviceAccountName: sa,
      containers: [{ name: labels.app, image: `example.com/shop/${labels.app}:1.0`, ports }, proxy],
      initContainers: sidecar === "istio" ? [{ name: "istio-init", image: "docker.io/istio/proxyv2:1.30.3" }] : [],
    },
  };
}

function service(name: string, spec: Obj): Obj {
  return { apiVersion: "v1", kind: "Service", metadata: { name, namespace: NS, labels: { app: name } }, spec };
}

describe.skipIf(!!run.skip)("discover on a real kube-apiserver with three control planes", () => {
  let main: ServerInfo;
  let client: KubeClient;
  beforeAll(async () => {
    main = await server(run, "main");
    client = await adminClient(main.kubeconfig);
    await applyAs(client, "unimesh-test", { apiVersion: "v1", kind: "Namespace", metadata: { name: NS } });
    for (const sa of ["cart", "cart-legacy", "checkout", "payments"])
      await applyAs(client, "unimesh-test", { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: sa, namespace: NS } });
    const objects = [
      service("cart", {
        selector: { app: "cart" },
        ports: [
          { name: "http", port: 80, targetPort: "web" },
          { name: "grpc-admin", port: 9090, targetPort: 9090, appProtocol: "grpc" },
          { name: "metrics", port: 9100, protocol: "UDP" },
        ],
      }),
      service("checkout", {
        selector: { app: "checkout" },
        ports: [
          { name: "tcp-db", port: 5432, targetPort: 5432 },
          { name: "api", port: 8080, targetPort: 8081, appProtocol: "kubernetes.io/h2c" },
        ],
      }),
      service("payments", { selector: { app: "payments" }, ports: [{ name: "https", port: 443, targetPort: 8443 }] }),
      service("bank", { type: "ExternalName", externalName: "api.bank.example.com" }),
      service("manual", { ports: [{ port: 80 }] }),
      pod("cart-v1-7d9c-abcde", { app: "cart", version: "v1" }, "cart", [{ name: "web", containerPort: 8080 }, { containerPort: 9090 }], "istio"),
      pod("cart-v1-7d9c-fghij", { app: "cart", version: "v1" }, "cart", [{ name: "web", containerPort: 8080 }, { containerPort: 9090 }], "istio"),
      pod("cart-v2-5f6b-klmno", { app: "cart", version: "v2" }, "cart-legacy", [{ name: "web", containerPort: 8080 }, { containerPort: 9090 }], "istio"),
      pod("checkout-6c8d-pqrst", { app: "checkout", version: "2024.1" }, "checkout", [{ containerPort: 5432 }, { containerPort: 8081 }], "linkerd"),
    ];
    for (const o of objects) await applyAs(client, "unimesh-test", o);
  });

  test("ClusterInfo: every mesh with its version and the evidence it was read from", async () => {
    const r = await unimesh(["discover", "-n", NS], { kubeconfig: main.kubeconfig });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      `unimesh discover: kube-local: Kubernetes v1.32.13; istio 1.30.3, linkerd edge-26.8.3, appmesh 1.13.3, kuma 2.14.3; 3 Services (2 skipped: system namespaces or no selector)`,
    );
    const loaded = loadModel([{ file: "-", text: r.stdout }]);
    expect(loaded.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const info = loaded.model.clusters[0].doc;
    expect(info.spec).toMatchObject({ context: "kube-local", server: main.server, kubernetesVersion: "v1.32.13" });
    const meshes = info.spec.meshes!;
    expect(meshes.map((m) => `${m.name} ${m.version}`)).toEqual(["istio 1.30.3", "linkerd edge-26.8.3", "appmesh 1.13.3", "kuma 2.14.3"]);
    expect(meshes[0].evidence!).toEqual([
      "istiod istio-system/istiod runs docker.io/istio/pilot:1.30.3",
      "CRDs: 15 in *.istio.io, e.g. virtualservices.networking.istio.io (served v1, v1alpha3, v1beta1; storage v1)",
      "CRDs match Istio 1.30 or later: trafficextensions.extensions.istio.io exists (Istio 1.30+)",
    ]);
    expect(meshes[1].evidence![0]).toBe(
      "control plane linkerd/linkerd-destination, linkerd/linkerd-identity, linkerd/linkerd-proxy-injector; linkerd-destination runs cr.l5d.io/linkerd/controller:edge-26.8.3",
    );
    expect(meshes[2].evidence![0]).toBe(
      "controller appmesh-system/appmesh-controller runs 602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon/appmesh-controller:v1.13.3",
    );
    expect(meshes[3].evidence!).toEqual([
      "control plane kuma-system/kuma-control-plane runs docker.io/kumahq/kuma-cp:2.14.3",
      "CRDs: 23 in kuma.io, e.g. meshtrafficpermissions.kuma.io (served v1alpha1; storage v1alpha1)",
    ]);
  });

  test("MeshServices: selectors, ports with protocols and target ports, the pods' service accounts and versions", async () => {
    const r = await unimesh(["discover", "-n", NS], { kubeconfig: main.kubeconfig });
    const docs = (yaml.loadAll(r.stdout) as Obj[]).filter((d) => d?.kind === "MeshService");
    const byName = Object.fromEntries(docs.map((d) => [d.metadata.name, d.spec]));
    expect(Object.keys(byName)).toEqual(["cart", "checkout", "payments"]);
    expect(byName.cart).toEqual({
      selector: { app: "cart" },
      serviceAccount: "cart",
      ports: [
        { port: 80, name: "http", targetPort: 8080, protocol: "http" },
        { port: 9090, name: "grpc-admin", protocol: "grpc" },
      ],
      subsets: [
        { name: "v1", labels: { version: "v1" } },
        { name: "v2", labels: { version: "v2" } },
      ],
    });
    expect(byName.checkout).toEqual({
      selector: { app: "checkout" },
      serviceAccount: "checkout",
      ports: [
        { port: 5432, name: "tcp-db", protocol: "tcp" },
        { port: 8080, name: "api", targetPort: 8081, protocol: "http2" },
      ],
      subsets: [{ name: "2024-1-50186408", labels: { version: "2024.1" } }], // a DNS label, made unique by a hash
    });
    // No pod: no service account, no subsets (the conventions apply).
    expect(byName.payments).toEqual({ selector: { app: "payments" }, ports: [{ port: 443, name: "https", targetPort: 8443, protocol: "tcp" }] });
    expect(r.stderr).toContain(`note: ${NS}/cart: port 9100 (metrics) is UDP, which meshes do not route: left out`);
    expect(r.stderr).toContain(`note: ${NS}/cart: its pods run as 2 service accounts (cart: 2 pods, cart-legacy: 1 pod); serviceAccount is cart`);
    expect(r.stderr).toContain(`note: ${NS}/payments: no running pod matches its selector`);
  });

  test("without -n, the control-plane namespaces are skipped; --include-system-namespaces lists them", async () => {
    const all = await unimesh(["discover"], { kubeconfig: main.kubeconfig });
    expect(all.code).toBe(0);
    const namespaces = (m: string) => new Set((yaml.loadAll(m) as Obj[]).filter((d) => d?.kind === "MeshService").map((d) => d.metadata.namespace));
    expect([...namespaces(all.stdout)].filter((n) => /^(istio-system|linkerd|appmesh-system|kuma-system|kube-system)$/.test(n))).toEqual([]);
    expect(namespaces(all.stdout).has(NS)).toBe(true);
  });

  test("the discovered facts drive translate --mesh auto (one mesh named) and a real apply", async () => {
    const r = await unimesh(["discover", "-n", NS], { kubeconfig: main.kubeconfig });
    const onlyIstio = (yaml.loadAll(r.stdout) as Obj[])
      .filter(Boolean)
      .map((d) => (d.kind === "ClusterInfo" ? { ...d, spec: { ...d.spec, meshes: d.spec.meshes.filter((m: Obj) => m.name === "istio") } } : d));
    const policy = {
      apiVersion: "unimesh.io/v1alpha1",
      kind: "TrafficPolicy",
      metadata: { name: "cart-canary", namespace: NS },
      spec: {
        destination: { service: "cart", port: 80 },
        routes: [
          {
            split: [
              { subset: { version: "v1" }, weight: 90 },
              { subset: { version: "v2" }, weight: 10 },
            ],
          },
        ],
        timeout: "2s",
      },
    };
    const d = scratch({ "cluster.yaml": onlyIstio.map((x) => "---\n" + yaml.dump(x)).join(""), "policy.yaml": yaml.dump(policy) });
    const t = await unimesh(["translate", d, "--mesh", "auto"], { kubeconfig: main.kubeconfig });
    expect(t.stderr).toContain("--mesh auto: istio@1.30 (istio 1.30.3, ClusterInfo/default/kube-local in");
    expect(t.code).toBe(0);
    const vs = (yaml.loadAll(t.stdout) as Obj[]).find((o) => o.kind === "VirtualService");
    expect(vs.spec.hosts).toEqual([`cart.${NS}.svc.cluster.local`]);
    const a = await unimesh(["apply", d, "--mesh", "auto", "--policy-set", NS], { kubeconfig: main.kubeconfig });
    expect(a.stderr).not.toMatch(/error/);
    expect(a.code).toBe(0);
    expect(a.stdout).toContain(`kube-local: VirtualService.networking.istio.io ${NS}/cart-80 created`.replace("/cart-80", `/${vs.metadata.name}`));
  });
});
