/**
 * `unimesh import --context` on a real kube-apiserver (the `main` server, with the meshes' CRDs): the objects
 * of the importer's kinds, the Services and the Pods (for service accounts) are read from the cluster, and
 * the documents say what the native objects say.
 */
import { beforeAll, describe, expect, inject, test } from "vitest";
import { loadModel } from "../../src/api/validate.js";
import type { KubeClient } from "../../src/kube/client.js";
import { unimesh } from "../kube/support/harness.js";
import { type ServerInfo, adminClient, applyAs, combinedKubeconfig, server } from "./support/servers.js";

const run = inject("unimeshCluster");
const NS = `um-import-${process.pid}`;

describe.skipIf(!!run.skip)("import --context on a real kube-apiserver", () => {
  let main: ServerInfo;
  let client: KubeClient;
  beforeAll(async () => {
    main = await server(run, "main");
    client = await adminClient(main.kubeconfig);
    await applyAs(client, "unimesh-test", { apiVersion: "v1", kind: "Namespace", metadata: { name: NS } });
    await applyAs(client, "unimesh-test", { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "web-sa", namespace: NS } });
    const objects = [
      {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "reviews", namespace: NS },
        spec: { selector: { app: "reviews" }, ports: [{ name: "http", port: 9080 }] },
      },
      {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "web", namespace: NS },
        spec: { selector: { app: "web" }, ports: [{ name: "http", port: 80, targetPort: 8080 }] },
      },
      {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "web-1", namespace: NS, labels: { app: "web" } },
        spec: { serviceAccountName: "web-sa", containers: [{ name: "web", image: "example.com/web:1" }] },
      },
      {
        apiVersion: "networking.istio.io/v1",
        kind: "DestinationRule",
        metadata: { name: "reviews", namespace: NS },
        spec: {
          host: "reviews",
          subsets: [
            { name: "v1", labels: { version: "v1" } },
            { name: "v2", labels: { version: "v2" } },
          ],
        },
      },
      {
        apiVersion: "networking.istio.io/v1",
        kind: "VirtualService",
        metadata: { name: "reviews", namespace: NS },
        spec: {
          hosts: ["reviews"],
          http: [
            {
              route: [
                { destination: { host: "reviews", subset: "v1" }, weight: 90 },
                { destination: { host: "reviews", subset: "v2" }, weight: 10 },
              ],
              retries: { attempts: 0 },
              timeout: "2s",
            },
          ],
        },
      },
      {
        apiVersion: "security.istio.io/v1",
        kind: "AuthorizationPolicy",
        metadata: { name: "reviews-readers", namespace: NS },
        spec: {
          selector: { matchLabels: { app: "reviews" } },
          rules: [{ from: [{ source: { principals: [`cluster.local/ns/${NS}/sa/web-sa`] } }], to: [{ operation: { methods: ["GET"] } }] }],
        },
      },
    ];
    for (const o of objects) await applyAs(client, "unimesh-test", o);
  });

  test("the objects, Services and Pods of one namespace become the documents that say the same", async () => {
    const r = await unimesh(["import", "--from", "istio", "--context", "kube-local", "-n", NS], { kubeconfig: main.kubeconfig });
    expect(r.stderr).toContain(`unimesh import: kube-local: 3 istio objects, 2 Services`);
    expect(r.code).toBe(0);
    const loaded = loadModel([{ file: "-", text: r.stdout }]);
    expect(loaded.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const tp = loaded.model.trafficPolicies.find((e) => e.name === "reviews")!;
    expect(tp.doc.spec).toEqual({
      destination: { service: "reviews" },
      routes: [
        {
          split: [
            { subset: { version: "v1" }, weight: 90 },
            { subset: { version: "v2" }, weight: 10 },
          ],
          timeout: "2s",
        },
      ],
    });
    const ap = loaded.model.accessPolicies.find((e) => e.name === "reviews-readers")!;
    expect(ap.doc.spec).toEqual({ destination: { service: "reviews" }, allow: [{ source: { serviceAccounts: ["web-sa"] }, methods: ["GET"] }] });
    // Facts from the cluster: web runs as web-sa, its port 80 reaches 8080.
    expect(loaded.model.services.find((e) => e.name === "web")!.doc.spec).toMatchObject({
      selector: { app: "web" },
      serviceAccount: "web-sa",
      ports: [{ port: 80, targetPort: 8080 }],
    });
  });

  test("Linkerd objects from two contexts (both the main server): read once, one model", async () => {
    const linkerd = [
      {
        apiVersion: "policy.linkerd.io/v1beta3",
        kind: "Server",
        metadata: { name: "web-http", namespace: NS },
        spec: { podSelector: { matchLabels: { app: "web" } }, port: 8080 },
      },
      {
        apiVersion: "policy.linkerd.io/v1alpha1",
        kind: "MeshTLSAuthentication",
        metadata: { name: "web-callers", namespace: NS },
        spec: { identities: [`web-sa.${NS}.serviceaccount.identity.linkerd.cluster.local`] },
      },
      {
        apiVersion: "policy.linkerd.io/v1alpha1",
        kind: "AuthorizationPolicy",
        metadata: { name: "web-callers", namespace: NS },
        spec: {
          targetRef: { group: "policy.linkerd.io", kind: "Server", name: "web-http" },
          requiredAuthenticationRefs: [{ group: "policy.linkerd.io", kind: "MeshTLSAuthentication", name: "web-callers" }],
        },
      },
      {
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "HTTPRoute",
        metadata: { name: "reviews", namespace: NS, annotations: { "timeout.linkerd.io/request": "3s" } },
        spec: { parentRefs: [{ group: "core", kind: "Service", name: "reviews", port: 9080 }], rules: [{ backendRefs: [{ name: "reviews", port: 9080 }] }] },
      },
    ];
    for (const o of linkerd) await applyAs(client, "unimesh-test", o);
    const kubeconfig = combinedKubeconfig(run, "import-two-contexts.yaml", { east: main, west: main });
    const r = await unimesh(["import", "--from", "linkerd", "--context", "east,west", "-n", NS], { kubeconfig });
    // Namespaces (cluster-scoped, for their default-inbound-policy annotation) are listed whole.
    expect(r.stderr).toMatch(/unimesh import: east: \d+ linkerd objects, 2 Services/);
    expect(r.stderr).toMatch(/unimesh import: west: \d+ linkerd objects, 2 Services/);
    expect(r.code).toBe(0);
    const loaded = loadModel([{ file: "-", text: r.stdout }]);
    expect(loaded.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    // Each object once, though both contexts hold it.
    expect(loaded.model.accessPolicies.map((e) => [e.name, e.doc.spec])).toEqual([
      ["web-http", { destination: { service: "web" }, allow: [{ source: { serviceAccounts: ["web-sa"] } }] }],
    ]);
    expect(loaded.model.trafficPolicies.map((e) => [e.name, e.doc.spec])).toEqual([
      ["reviews", { destination: { service: "reviews", port: 9080 }, routes: [{ timeout: "3s" }] }],
    ]);
  });

  test("an unknown context: exit 2", async () => {
    const r = await unimesh(["import", "--from", "istio", "--context", "nope"], { kubeconfig: main.kubeconfig });
    expect(r.code).toBe(2);
  });
});
