/**
 * Linkerd cross-cluster routing in a virtual mesh: built from linkerd.io `2-edge/tasks/multicluster.md`
 * ("Traffic Splitting": backends `podinfo` 50 and `podinfo-east` 50 in namespace `test`, `podinfo-east`
 * being the Service the service mirror creates for `podinfo` exported by the Link `east`).
 */
import { describe, expect, test } from "vitest";
import { type KubeObject, linkerd, loadModel, translate } from "../../../src/index.js";
import { APPLY_RANK } from "../../../src/api/cluster.js";
import { validateAll } from "../../support/crd-validator.js";

const yaml = (eastMesh = "linkerd@2.20", eastGateway = "", westMesh = "linkerd@2.20") => `apiVersion: unimesh.io/v1alpha1
kind: VirtualMesh
metadata: {name: demo}
spec:
  members:
    - {name: west, context: west, mesh: ${westMesh}, trustDomain: west.example}
    - {name: east, context: east, mesh: ${eastMesh}, trustDomain: east.example${eastGateway}}
---
apiVersion: unimesh.io/v1alpha1
kind: MeshService
metadata: {name: podinfo, namespace: test}
spec:
  ports: [{port: 9898, name: http, protocol: http}]
---
apiVersion: unimesh.io/v1alpha1
kind: TrafficPolicy
metadata: {name: podinfo, namespace: test}
spec:
  destination: {service: podinfo, port: 9898}
  routes:
    - split: [{weight: 50}, {cluster: east, weight: 50}]
`;

function run(text: string, version = "2.20", member = "west") {
  const loaded = loadModel([{ file: "test.yaml", text }]);
  expect(loaded.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return translate(loaded.model, { adapter: linkerd, version, member });
}

describe("Linkerd: a share in another member", () => {
  for (const [version, crds, apiVersion] of [
    ["2.20", "linkerd/edge-26.8.3", "gateway.networking.k8s.io/v1"],
    ["2.14", "linkerd/stable-2.14.10", "policy.linkerd.io/v1beta3"],
  ] as const) {
    test(`${version}: HTTPRoute backendRefs podinfo 50 / podinfo-east 50 (the mirrored Service), valid against the CRDs`, () => {
      const r = run(yaml(), version);
      expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
      const route = r.resources.find((o) => o.kind === "HTTPRoute") as KubeObject & { spec: any };
      expect(route.apiVersion).toBe(apiVersion);
      expect(route.spec.parentRefs).toEqual([{ group: "core", kind: "Service", name: "podinfo", port: 9898 }]);
      expect(route.spec.rules[0].backendRefs).toEqual([
        { name: "podinfo", port: 9898, weight: 50 },
        { name: "podinfo-east", port: 9898, weight: 50 },
      ]);
      expect(
        validateAll(
          r.resources.filter((o) => o.apiVersion !== "v1"),
          version === "2.20" ? [crds, "gateway-api/v1.2.1/standard"] : [crds],
        ),
      ).toEqual([]);
      // The export the other member needs, said once.
      const notes = r.diagnostics.filter((d) => d.code === "adapter/note/crossCluster.mirrored-service");
      expect(notes).toHaveLength(1);
      // east has no gateway: pod-to-pod (a Link without gateway; east exports with remote-discovery).
      expect(notes[0].message).toContain("linkerd multicluster link --cluster-name east --gateway=false");
      expect(notes[0].message).toContain("member east's own output exports podinfo (label mirror.linkerd.io/exported=remote-discovery)");
      // West receives no share: it exports nothing.
      expect(r.resources.filter((o) => o.kind === "Service")).toEqual([]);
    });
  }

  test("translated for east, the share is local: no mirrored Service", () => {
    const r = run(yaml(), "2.20", "east");
    const names = r.resources
      .filter((o) => o.kind === "HTTPRoute")
      .flatMap((o: any) => o.spec.rules.flatMap((x: any) => (x.backendRefs ?? []).map((b: any) => b.name)));
    expect(names).not.toContain("podinfo-east");
    expect(names).not.toContain("podinfo-west");
  });

  /**
   * The receiving side: linkerd.io `2-edge/tasks/multicluster.md` "Exporting the services"
   * (`kubectl label svc -n test podinfo mirror.linkerd.io/exported=true`) and `tasks/pod-to-pod-multicluster.md`
   * (`mirror.linkerd.io/exported=remote-discovery`), the selectors `linkerd multicluster link` writes into
   * the Link (linkerd2 multicluster/cmd/link-gen.go).
   */
  test.each([
    ["with a gateway: gateway mode", ", gateway: {address: 203.0.113.7}", "true"],
    ["without a gateway: pod-to-pod mode", "", "remote-discovery"],
  ])("translated for east %s, east exports podinfo: a patch of the Service with only the label", (_what, gateway, value) => {
    const r = run(yaml("linkerd@2.20", gateway), "2.20", "east");
    expect(r.ok).toBe(true);
    expect(r.resources.filter((o) => o.kind === "Service")).toEqual([
      {
        apiVersion: "v1",
        kind: "Service",
        metadata: {
          name: "podinfo",
          namespace: "test",
          labels: { "mirror.linkerd.io/exported": value },
          annotations: { "unimesh.io/patch": "server-side-apply", "unimesh.io/policies": "TrafficPolicy/test/podinfo" },
        },
      },
    ]);
    const notes = r.diagnostics.filter((d) => d.code === "adapter/note/crossCluster.exported-service");
    expect(notes.map((d) => d.pointer)).toEqual(["/spec/routes/0/split/1/cluster"]);
    expect(notes[0].message).toContain(`west sends this share to test/podinfo through podinfo-east`);
    expect(notes[0].message).toContain(`label mirror.linkerd.io/exported=${value}`);
  });

  test("no Linkerd member sends the share (west runs Istio): east exports nothing", () => {
    const r = run(yaml("linkerd@2.20", "", "istio@1.30"), "2.20", "east");
    expect(r.resources.filter((o) => o.kind === "Service")).toEqual([]);
    expect(r.diagnostics.some((d) => d.code === "adapter/note/crossCluster.exported-service")).toBe(false);
  });

  test("the export label patch is applied last and released first (it opens the Service to the other members)", () => {
    const rank = linkerd.cluster!.applyRank!;
    const patch = { apiVersion: "v1", kind: "Service", metadata: { name: "podinfo", labels: { "mirror.linkerd.io/exported": "true" } } };
    expect(rank(patch)).toBe(APPLY_RANK.late);
    expect(rank({ apiVersion: "v1", kind: "Service", metadata: { name: "podinfo" } })).toBeUndefined();
  });

  test("a member running Istio is refused at the target (no Link can mirror it)", () => {
    const r = run(yaml("istio@1.30"));
    expect(r.ok).toBe(false);
    expect(r.diagnostics.filter((d) => d.severity === "error").map((d) => `${d.pointer} ${d.code}`)).toEqual([
      "/spec/routes/0/split/1/cluster adapter/unsupported-value/crossCluster.other-mesh",
    ]);
    expect(r.diagnostics.some((d) => d.code === "adapter/note/crossCluster.mirrored-service")).toBe(false);
  });
});

/**
 * Identities of other members (linkerd.io 2-edge `reference/authorization-policy.md`: the
 * MeshTLSAuthentication `authors-get-authn` lists `books.booksapp.serviceaccount.identity.linkerd.cluster.local`
 * and `webapp...`; a caller of another member carries its own trust domain in that name).
 */
describe("Linkerd: identities of another member", () => {
  const authors = (rules: string) => `apiVersion: unimesh.io/v1alpha1
kind: VirtualMesh
metadata: {name: books}
spec:
  members:
    - {name: west, context: west, mesh: linkerd@2.20, trustDomain: cluster.local}
    - {name: east, context: east, mesh: linkerd@2.20, trustDomain: east.example}
---
apiVersion: unimesh.io/v1alpha1
kind: MeshService
metadata: {name: authors, namespace: booksapp}
spec:
  ports: [{port: 7001, name: service, protocol: http}]
---
apiVersion: unimesh.io/v1alpha1
kind: AccessPolicy
metadata: {name: authors, namespace: booksapp}
spec:
  destination: {service: authors}
${rules}`;
  const identities = (text: string) => {
    const r = run(text);
    expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(
      validateAll(
        r.resources.filter((o) => o.apiVersion !== "v1"),
        ["linkerd/edge-26.8.3", "gateway-api/v1.2.1/standard"],
      ),
    ).toEqual([]);
    return r.resources.filter((o) => o.kind === "MeshTLSAuthentication").map((o: any) => o.spec.identities);
  };

  test("books and webapp of both members: each in its own trust domain, the local one as the docs' sample", () => {
    expect(
      identities(
        authors(`  allow:
    - source: {serviceAccounts: [books, webapp], clusters: [west, east]}
`),
      ),
    ).toEqual([
      [
        "books.booksapp.serviceaccount.identity.linkerd.cluster.local",
        "webapp.booksapp.serviceaccount.identity.linkerd.cluster.local",
        "books.booksapp.serviceaccount.identity.linkerd.east.example",
        "webapp.booksapp.serviceaccount.identity.linkerd.east.example",
      ],
    ]);
    // Without clusters: the local member's identities only (never east's).
    expect(
      identities(
        authors(`  allow:
    - source: {serviceAccounts: [books, webapp]}
`),
      ),
    ).toEqual([["books.booksapp.serviceaccount.identity.linkerd.cluster.local", "webapp.booksapp.serviceaccount.identity.linkerd.cluster.local"]]);
  });

  test("deny wins across members: east's webapp is removed, west's stays; a namespace of one member only", () => {
    expect(
      identities(
        authors(`  allow:
    - source: {serviceAccounts: [books, webapp], clusters: ["*"]}
  deny:
    - source: {serviceAccounts: [webapp], clusters: [east]}
`),
      ),
    ).toEqual([
      [
        "books.booksapp.serviceaccount.identity.linkerd.cluster.local",
        "webapp.booksapp.serviceaccount.identity.linkerd.cluster.local",
        "books.booksapp.serviceaccount.identity.linkerd.east.example",
      ],
    ]);
    expect(
      identities(
        authors(`  allow:
    - source: {namespaces: [booksapp], clusters: ["*"]}
  deny:
    - source: {namespaces: [booksapp], clusters: [east]}
`),
      ),
    ).toEqual([["*.booksapp.serviceaccount.identity.linkerd.cluster.local"]]);
  });

  test("a deny inside another member's namespace wildcard cannot be subtracted: an error, never a wider rule", () => {
    const r = run(
      authors(`  allow:
    - source: {namespaces: [booksapp], clusters: ["*"]}
  deny:
    - source: {serviceAccounts: [webapp], clusters: [east]}
`),
    );
    expect(r.ok).toBe(false);
    expect(r.diagnostics.filter((d) => d.severity === "error").map((d) => `${d.pointer} ${d.code}`)).toEqual([
      "/spec/deny/0 adapter/unsupported-value/access.deny-subtraction",
    ]);
    expect(r.diagnostics.find((d) => d.severity === "error")!.message).toContain("namespace booksapp of trust domain east.example");
  });

  test("each source naming another member gets a note: only pod-to-pod links keep the caller's identity", () => {
    const r = run(
      authors(`  allow:
    - source: {serviceAccounts: [books], clusters: [east]}
`),
    );
    expect(r.diagnostics.filter((d) => d.code === "adapter/note/crossCluster.pod-to-pod").map((d) => d.pointer)).toEqual(["/spec/allow/0/source/clusters"]);
  });
});

test("Linkerd: a share to another Service in another member goes to that Service's mirror, <service>-<member>", () => {
  const r = run(
    yaml().replace("split: [{weight: 50}, {cluster: east, weight: 50}]", "split: [{weight: 50}, {service: podinfo-canary, cluster: east, weight: 50}]"),
  );
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  const route = r.resources.find((o) => o.kind === "HTTPRoute") as any;
  expect(route.spec.rules[0].backendRefs).toEqual([
    { name: "podinfo", port: 9898, weight: 50 },
    { name: "podinfo-canary-east", port: 9898, weight: 50 },
  ]);
});
