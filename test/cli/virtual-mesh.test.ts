/**
 * `translate` with a VirtualMesh among the inputs: one output per member, each by its own mesh's adapter
 * and in its own trust domain; cross-cluster references a member's mesh cannot express are refused per
 * member, with nothing written; bad flags are usage errors.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { cli, scratch } from "./helpers.js";

const VM = (west = "istio@1.30", east = "istio@1.22") => `apiVersion: unimesh.io/v1alpha1
kind: VirtualMesh
metadata: {name: shop}
spec:
  members:
    - {name: west, context: kind-west, mesh: ${west}, trustDomain: west.shop.example}
    - {name: east, context: kind-east, mesh: ${east}, trustDomain: east.shop.example}
`;
const ACCESS = `apiVersion: unimesh.io/v1alpha1
kind: AccessPolicy
metadata: {name: reviews-readers, namespace: bookinfo}
spec:
  destination: {service: reviews}
  allow:
    - source: {serviceAccounts: [productpage], clusters: [west, east]}
`;
const SPLIT = `apiVersion: unimesh.io/v1alpha1
kind: TrafficPolicy
metadata: {name: reviews-spread, namespace: bookinfo}
spec:
  destination: {service: reviews, port: 9080}
  routes:
    - split: [{weight: 80}, {cluster: east, weight: 20}]
`;

describe("translate with a VirtualMesh", () => {
  test("--output-dir writes DIR/<member>/ for every member, each with its mesh and its trust domain", async () => {
    const dir = scratch({ "vm.yaml": VM(), "access.yaml": ACCESS });
    const r = await cli(["translate", dir, "--output-dir", join(dir, "out")]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(`unimesh translate: wrote ${join(dir, "out")}/west/ (istio@1.30, 1 object), ${join(dir, "out")}/east/ (istio@1.22, 1 object)\n`);
    expect(readdirSync(join(dir, "out")).sort()).toEqual([".unimesh-output", "east", "west"]);
    const west = readFileSync(join(dir, "out/west/bookinfo/authorizationpolicy-reviews-allow.yaml"), "utf8");
    const east = readFileSync(join(dir, "out/east/bookinfo/authorizationpolicy-reviews-allow.yaml"), "utf8");
    // Each member admits productpage of both members, named in each trust domain.
    for (const y of [west, east]) {
      expect(y).toContain("- west.shop.example/ns/bookinfo/sa/productpage\n");
      expect(y).toContain("- east.shop.example/ns/bookinfo/sa/productpage\n");
    }
    expect(west).toContain("apiVersion: security.istio.io/v1\n");
  });

  test("an identity of another member is admitted only where a source names that member", async () => {
    const local = ACCESS.replace(", clusters: [west, east]", "");
    const dir = scratch({ "vm.yaml": VM(), "access.yaml": local });
    const r = await cli(["translate", dir, "--member", "east"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("- east.shop.example/ns/bookinfo/sa/productpage\n");
    expect(r.stdout).not.toContain("west.shop.example");
  });

  test("a member whose mesh cannot express a cross-cluster reference: exit 1, that member named, nothing written", async () => {
    const dir = scratch({ "vm.yaml": VM("istio@1.30", "appmesh"), "access.yaml": ACCESS, "split.yaml": SPLIT });
    const r = await cli(["translate", dir, "--output-dir", join(dir, "out")]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(existsSync(join(dir, "out"))).toBe(false);
    expect(r.stderr).toContain(
      "split.yaml:7:7 [0]#/spec/routes/0/split/1/cluster: error adapter/unsupported-value/crossCluster.other-mesh: member west: member east runs appmesh, and Istio multi-primary routes only to clusters of the same Istio mesh",
    );
    expect(r.stderr).toContain("[TrafficPolicy/bookinfo/reviews-spread] (istio@1.30 (member west))");
    expect(r.stderr).toMatch(
      /#\/spec\/allow\/0\/source\/clusters: error adapter\/unsupported-feature\/crossCluster: member east: App Mesh 1\.13 cannot admit or deny identities of another member cluster here: App Mesh has no multi-cluster federation/,
    );
    expect(r.stderr).toContain("unimesh translate: west: istio@1.30, east: appmesh@1.13: cannot translate: nothing written");
  });

  test("usage errors: several members without --output-dir or --member, --mesh, an unknown member, mesh auto without ClusterInfo", async () => {
    const dir = scratch({ "vm.yaml": VM(), "access.yaml": ACCESS });
    const several = await cli(["translate", dir]);
    expect(several.code).toBe(2);
    expect(several.stderr).toContain(
      "the inputs hold VirtualMesh/default/shop with 2 members: write one output per member with --output-dir DIR (DIR/<member>/...), or print one member's manifests with --member NAME",
    );
    const mesh = await cli(["translate", dir, "--mesh", "istio"]);
    expect(mesh.code).toBe(2);
    expect(mesh.stderr).toContain("whose members name their meshes (spec.members[].mesh): remove --mesh istio");
    const unknown = await cli(["translate", dir, "--member", "north"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("--member north: not a member of VirtualMesh/default/shop (members: west, east)");
    const auto = scratch({ "vm.yaml": VM("auto"), "access.yaml": ACCESS });
    const a = await cli(["translate", auto, "--member", "west"]);
    expect(a.code).toBe(2);
    expect(a.stderr).toContain(
      "VirtualMesh member west has mesh: auto, and the inputs hold no ClusterInfo document for its context kind-west; run `unimesh discover --context kind-west -o yaml > west-cluster.yaml`",
    );
  });

  test("mesh: auto reads the ClusterInfo of the member's context", async () => {
    const info = `apiVersion: unimesh.io/v1alpha1
kind: ClusterInfo
metadata: {name: west}
spec: {context: kind-west, meshes: [{name: istio, version: 1.24.2}]}
`;
    const dir = scratch({ "vm.yaml": VM("auto"), "access.yaml": ACCESS, "west.yaml": info });
    const r = await cli(["translate", dir, "--member", "west", "-o", "json"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).items.map((o: { apiVersion: string; kind: string }) => `${o.apiVersion} ${o.kind}`)).toEqual([
      "security.istio.io/v1 AuthorizationPolicy",
    ]);
  });

  test("mesh: auto members resolved by ClusterInfo: a share to the other one (same mesh) is routed, not refused as mesh: auto", async () => {
    const info = (member: string, mesh: string, version: string) => `apiVersion: unimesh.io/v1alpha1
kind: ClusterInfo
metadata: {name: ${member}}
spec: {context: kind-${member}, meshes: [{name: ${mesh}, version: ${version}}]}
`;
    const vm = VM("auto", "auto").replace("trustDomain: east.shop.example}", "trustDomain: east.shop.example, gateway: {address: 203.0.113.7}}");
    const svc = `apiVersion: unimesh.io/v1alpha1
kind: MeshService
metadata: {name: reviews, namespace: bookinfo}
spec:
  ports: [{port: 9080, name: http, protocol: http}]
`;
    // Both Linkerd (edge-26.8.3 is 2.20): west routes 20% to reviews-east, east exports reviews.
    const dir = scratch({
      "vm.yaml": vm,
      "split.yaml": SPLIT,
      "svc.yaml": svc,
      "west.yaml": info("west", "linkerd", "edge-26.8.3"),
      "east.yaml": info("east", "linkerd", "edge-26.8.3"),
    });
    const r = await cli(["translate", dir, "--output-dir", join(dir, "out"), "-o", "json"]);
    expect(r.stderr).not.toContain("mesh-auto");
    expect(r.code).toBe(0);
    const objects = (member: string) =>
      readdirSync(join(dir, "out", member), { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => JSON.parse(readFileSync(join(e.parentPath, e.name), "utf8")));
    const route = objects("west").find((o) => o.kind === "HTTPRoute");
    expect(route.spec.rules[0].backendRefs.map((b: { name: string }) => b.name)).toEqual(["reviews", "reviews-east"]);
    expect(objects("east").find((o) => o.kind === "Service").metadata.labels).toEqual({ "mirror.linkerd.io/exported": "true" });
    // One member alone (--member west) still sees east's mesh from east's ClusterInfo.
    const w = await cli(["translate", dir, "--member", "west", "-o", "json"]);
    expect(w.code).toBe(0);
    expect(w.stdout).toMatch(/"name": "reviews-east"/);
    // Istio in west, Linkerd in east: the share crosses meshes and is refused as other-mesh (not mesh-auto).
    const mixed = scratch({
      "vm.yaml": vm,
      "split.yaml": SPLIT,
      "svc.yaml": svc,
      "west.yaml": info("west", "istio", "1.30.3"),
      "east.yaml": info("east", "linkerd", "edge-26.8.3"),
    });
    const x = await cli(["translate", mixed, "--member", "west"]);
    expect(x.code).toBe(1);
    expect(x.stderr).toContain("error adapter/unsupported-value/crossCluster.other-mesh: member west: member east runs linkerd@2.20");
  });

  test("an invalid VirtualMesh is reported as such (not as a missing --mesh)", async () => {
    const dir = scratch({ "vm.yaml": VM().replace("trustDomain: east.shop.example", "trustDomain: west.shop.example"), "access.yaml": ACCESS });
    const r = await cli(["translate", dir, "--output-dir", join(dir, "out")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('#/spec/members/1/trustDomain: error rule/virtual-mesh: member 1 has the trustDomain "west.shop.example" of member 0');
  });
});

describe("examples/multicluster", () => {
  test("translates for both members (Istio and Linkerd), and every object passes the upstream CRDs", async () => {
    const dir = scratch();
    const r = await cli(["translate", "examples/multicluster", "--output-dir", join(dir, "out"), "-o", "json"]);
    expect(r.code).toBe(0);
    const read = (member: string) =>
      readdirSync(join(dir, "out", member), { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => JSON.parse(readFileSync(join(e.parentPath, e.name), "utf8")));
    const west = read("west");
    const east = read("east");
    expect(west.map((o) => o.kind).sort()).toEqual(["AuthorizationPolicy", "AuthorizationPolicy", "PeerAuthentication", "VirtualService"]);
    expect(
      east.some(
        (o) =>
          o.kind === "MeshTLSAuthentication" &&
          o.spec.identities.includes("bookinfo-productpage.bookinfo.serviceaccount.identity.linkerd.east.bookinfo.example"),
      ),
    ).toBe(true);
    expect(JSON.stringify(west)).toContain("west.bookinfo.example/ns/bookinfo/sa/bookinfo-productpage");
    expect(JSON.stringify(west)).not.toContain("east.bookinfo.example");
    const { loadCrds } = await import("../support/crd-validator.js");
    expect(west.flatMap((o) => loadCrds("istio/1.30.3").validate(o))).toEqual([]);
    expect(east.filter((o) => o.apiVersion !== "v1").flatMap((o) => loadCrds("linkerd/edge-26.8.3").validate(o))).toEqual([]);
  });
});
