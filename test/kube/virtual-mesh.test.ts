/**
 * `diff` and `apply [--prune]` with a VirtualMesh among the inputs, against two fake API servers (one
 * running Istio, one Linkerd): each member is reached through its own context and gets the translation of
 * its own mesh (`mesh: auto`: detected in its cluster), independently; a context that is no member's is
 * refused. The same against two real API servers: test/cluster/ (the example's apply).
 */
import { readFileSync } from "node:fs";
import { delimiter } from "node:path";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { fakeCluster, policies, removeScratch, scratch, unimesh } from "./support/harness.js";

vi.mock("../../src/adapters/index.js", async () => {
  const { FAKE_ADAPTERS } = await import("./support/fake-adapters.js");
  return { BUILTIN_ADAPTERS: FAKE_ADAPTERS, findAdapter: (n: string) => FAKE_ADAPTERS.find((a) => a.name === n) };
});

type Cluster = Awaited<ReturnType<typeof fakeCluster>>;
let west: Cluster;
let east: Cluster;
let kubeconfig: string;

const vm = (eastMesh = "auto") => `apiVersion: unimesh.io/v1alpha1
kind: VirtualMesh
metadata: {name: shop}
spec:
  members:
    - {name: west, context: kind-istio, mesh: auto, trustDomain: west.shop.example}
    - {name: east, context: kind-linkerd, mesh: ${eastMesh}, trustDomain: east.shop.example}
`;

beforeAll(async () => {
  [west, east] = [await fakeCluster({ mesh: "istio" }), await fakeCluster({ mesh: "linkerd" })];
  await west.setupNamespace("bookinfo");
  await east.setupNamespace("bookinfo");
  kubeconfig = `${west.kubeconfig}${delimiter}${east.kubeconfig}`;
});
afterAll(async () => {
  await west.server.stop();
  await east.server.stop();
  removeScratch();
});

describe("a virtual mesh of an Istio and a Linkerd cluster", () => {
  test("apply: each member through its context, with its own mesh; --prune per member", async () => {
    const dir = scratch({ "vm.yaml": vm(), "base.yaml": policies("bookinfo"), "fewer.yaml": policies("bookinfo", "fewer") });
    const r = await unimesh(["apply", `${dir}/vm.yaml`, `${dir}/base.yaml`], { kubeconfig });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("unimesh apply: kind-istio: ");
    expect(r.stderr).toContain("istio@1.30 (member west) (--mesh auto: VirtualMesh member west, mesh: auto, istio 1.30.3 detected)");
    expect(r.stderr).toContain("(member east) (--mesh auto: VirtualMesh member east, mesh: auto, linkerd edge-26.8.3 detected)");
    expect(r.stdout).toContain("kind-istio: VirtualService.networking.istio.io bookinfo/reviews created");
    expect(r.stdout).not.toMatch(/kind-linkerd: \S+\.networking\.istio\.io/);
    expect(west.server.get("networking.istio.io/v1", "VirtualService", "bookinfo", "reviews")).toBeDefined();
    expect(east.server.get("networking.istio.io/v1", "VirtualService", "bookinfo", "reviews")).toBeUndefined();
    expect(r.stdout).toMatch(/kind-linkerd: \S+ bookinfo\/\S+ created/);

    const pruned = await unimesh(["apply", `${dir}/vm.yaml`, `${dir}/fewer.yaml`, "--prune"], { kubeconfig });
    expect(pruned.code).toBe(0);
    expect(pruned.stdout).toContain("kind-istio: VirtualService.networking.istio.io bookinfo/ratings pruned");
    expect(pruned.stdout).toMatch(/kind-linkerd: \S+ bookinfo\/ratings\S* (pruned|released)/);

    const d = await unimesh(["diff", `${dir}/vm.yaml`, `${dir}/fewer.yaml`, "--prune"], { kubeconfig });
    expect(d.code).toBe(0);
  });

  test("--context narrows the members; a context that is no member's is a cluster error there", async () => {
    const dir = scratch({ "vm.yaml": vm().replace("context: kind-linkerd", "context: kind-elsewhere"), "base.yaml": policies("bookinfo") });
    const one = await unimesh(["diff", `${dir}/vm.yaml`, `${dir}/base.yaml`, "--context", "kind-istio"], { kubeconfig });
    expect(one.stderr).not.toContain("kind-linkerd");
    const r = await unimesh(["diff", `${dir}/vm.yaml`, `${dir}/base.yaml`, "--context", "kind-istio,kind-linkerd"], { kubeconfig });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(
      "unimesh diff: kind-linkerd: error: context kind-linkerd is not the context of a member of VirtualMesh/default/shop (members: west → kind-istio, east → kind-elsewhere); nothing done there",
    );
  });

  test("apply --trust-dir: each member's intermediate in its mesh's form (Istio cacerts, Linkerd issuer and trust roots); no key printed", async () => {
    const dir = scratch({ "vm.yaml": vm(), "base.yaml": policies("bookinfo") });
    expect((await unimesh(["trust", "init", `${dir}/vm.yaml`, "--dir", `${dir}/trust`], { kubeconfig })).code).toBe(0);
    const r = await unimesh(["apply", `${dir}/vm.yaml`, `${dir}/base.yaml`, "--trust-dir", `${dir}/trust`], { kubeconfig });
    expect(r.stderr).not.toContain("error");
    expect(r.code).toBe(0);
    expect(r.stdout + r.stderr).not.toContain("-----BEGIN");
    expect(r.stdout).toContain("kind-istio: Secret istio-system/cacerts created");
    expect(r.stdout).toContain("kind-linkerd: Secret linkerd/linkerd-identity-issuer created");
    expect(r.stdout).toContain("kind-linkerd: ConfigMap linkerd/linkerd-identity-trust-roots created");
    const file = (f: string) => readFileSync(`${dir}/trust/${f}`, "utf8");
    const b64 = (f: string) => Buffer.from(file(f)).toString("base64");
    const cacerts = west.server.get("v1", "Secret", "istio-system", "cacerts") as any;
    expect(cacerts.data).toEqual({
      "ca-cert.pem": b64("west/ca-cert.pem"),
      "ca-key.pem": b64("west/ca-key.pem"),
      "cert-chain.pem": b64("west/cert-chain.pem"),
      "root-cert.pem": b64("west/root-cert.pem"),
    });
    const issuer = east.server.get("v1", "Secret", "linkerd", "linkerd-identity-issuer") as any;
    expect(issuer.type).toBe("kubernetes.io/tls");
    expect(issuer.data).toEqual({ "ca.crt": b64("east/root-cert.pem"), "tls.crt": b64("east/ca-cert.pem"), "tls.key": b64("east/ca-key.pem") });
    expect((east.server.get("v1", "ConfigMap", "linkerd", "linkerd-identity-trust-roots") as any).data).toEqual({ "ca-bundle.crt": file("root-cert.pem") });
    expect(west.server.get("v1", "Secret", "linkerd", "linkerd-identity-issuer")).toBeUndefined();
    // A later --prune without --trust-dir leaves the CAs alone (they are in no policy set).
    const pruned = await unimesh(["apply", `${dir}/vm.yaml`, `${dir}/base.yaml`, "--prune"], { kubeconfig });
    expect(pruned.code).toBe(0);
    expect(west.server.get("v1", "Secret", "istio-system", "cacerts")).toBeDefined();
  });

  test("--mesh with a VirtualMesh is a usage error", async () => {
    const dir = scratch({ "vm.yaml": vm(), "base.yaml": policies("bookinfo") });
    const r = await unimesh(["apply", `${dir}/vm.yaml`, `${dir}/base.yaml`, "--mesh", "istio"], { kubeconfig });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("remove --mesh istio");
  });
});
