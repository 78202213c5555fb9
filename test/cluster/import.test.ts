/**
 * `unimesh import --context` on a real kube-apiserver (the `main` server, with the meshes' CRDs): the objects
 * of the importer's kinds, the Services and the Pods (for service accounts) are read from the cluster, and
 * the documents say what the native objects say.
 */
import { beforeAll, describe, expect, inject, test } from "vitest";
import { loadModel } from "../../src/api/validate.js";
import type { KubeClient } from "../../src/kube/client.js";
import { unimesh } from "../kube/support/harness.js";
import { type ServerInfo, adminClient, applyAs, server } from "./support/servers.js";

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
      { apiVersion: "v1", kind: "Service", metadata: { name: "reviews", namespace: NS }, spec: { selector: { app: "reviews" }, ports: [{ name: "http", port: 9080 }] } },
      { apiVersion: "v1", kind: "Service", metadata: { name: "web", namespace: NS }, spec: { selector: { app: "web" }, ports: [{ name: "http", port: 80, targetPort: 8080 }] } },
      { apiVersion: "v1", kind: "Pod", metadata: { name: "web-1", namespace: NS, labels: { app: "web" } }, spec: { serviceAccountName: "web-sa", containers: [{ name: "web", image: "example.com/web:1" }] } },
      {
        apiVersion: "networking.istio.io/v1", kind: "DestinationRule", metadata: { name: "reviews", namespace: NS },
        spec: { host: "reviews", subsets: [{ name: "v1", labels: { version: "v1" } }, { name: "v2", labels: { version: "v2" } }] },
      },
      {
        apiVersion: "networking.istio.io/v1", kind: "VirtualService", metadata: { name: "reviews", namespace: NS },
        spec: { hosts: ["reviews"], http: [{ route: [{ destination: { host: "reviews", subset: "v1" }, weight: 90 }, { destination: { host: "reviews", subset: "v2" }, weight: 10 }], retries: { attempts: 0 }, timeout: "2s" }] },
      },
      {
        apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", metadata: { name: "reviews-readers", namespace: NS },
        spec: { selector: { matchLabels: { app: "reviews" } }, rules: [{ from: [{ source: { principals: [`cluster.local/ns/${NS}/sa/web-sa`] } }], to: [{ operation: { methods: ["GET"] } }] }] },
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
    expect(tp.doc.spec).toEqual({ destination: { service: "reviews" }, routes: [{ split: [{ subset: { version: "v1" }, weight: 90 }, { subset: { version: "v2" }, weight: 10 }], timeout: "2s" }] });
    const ap = loaded.model.accessPolicies.find((e) => e.name === "reviews-readers")!;
    expect(ap.doc.spec).toEqual({ destination: { service: "reviews" }, allow: [{ source: { serviceAccounts: ["web-sa"] }, methods: ["GET"] }] });
    // Facts from the cluster: web runs as web-sa, its port 80 reaches 8080.
    expect(loaded.model.services.find((e) => e.name === "web")!.doc.spec).toMatchObject({ selector: { app: "web" }, serviceAccount: "web-sa", ports: [{ port: 80, targetPort: 8080 }] });
  });

  test("an unknown context: exit 2", async () => {
    const r = await unimesh(["import", "--from", "istio", "--context", "nope"], { kubeconfig: main.kubeconfig });
    expect(r.code).toBe(2);
  });
});
