/** `--mesh auto`: installed versions → adapter versions, and the one-mesh rule. */
import { describe, expect, test } from "vitest";
import { adapterVersionOf, pickMesh } from "../../src/cli/mesh-auto.js";
import { BUILTIN_ADAPTERS as M } from "../../src/adapters/index.js";

describe("adapterVersionOf", () => {
  test.each([
    ["istio", "1.30.3", "1.30"],
    ["istio", "v1.30.3", "1.30"],
    ["istio", "1.30", "1.30"],
    ["istio", "1.22.0-distroless", "1.22"],
    ["istio", "1.29.0+build.7", "1.29"],
    ["appmesh", "v1.13.3", "1.13"],
    ["linkerd", "2.20", "2.20"],
    ["linkerd", "2.20.1", "2.20"],
    ["linkerd", "stable-2.14.10", "2.14"],
    ["linkerd", "enterprise-2.16.2", "2.16"],
    ["linkerd", "version-2.18", "2.18"],
    // edge releases, by the version-2.X tags of MESHES.md §3.2
    ["linkerd", "edge-24.2.4", "2.15"],
    ["linkerd", "edge-24.7.5", "2.15"],
    ["linkerd", "edge-24.8.2", "2.16"],
    ["linkerd", "edge-24.11.8", "2.17"],
    ["linkerd", "edge-25.3.1", "2.17"],
    ["linkerd", "edge-25.4.4", "2.18"],
    ["linkerd", "edge-25.9.9", "2.18"],
    ["linkerd", "edge-25.10.7", "2.19"],
    ["linkerd", "edge-26.5.1", "2.19"],
    ["linkerd", "edge-26.6.3", "2.20"],
    ["linkerd", "edge-26.8.3", "2.20"],
    ["linkerd", "edge-27.1.1", "2.20"],
  ])("%s %s → %s", (mesh, installed, expected) => {
    expect(adapterVersionOf(mesh, installed, M)).toBe(expected);
  });

  test.each([
    ["linkerd", "edge-23.12.1"],
    ["istio", "edge-26.8.3"],
    ["istio", "nightly"],
    ["istio", "1"],
    ["istio", ""],
  ])("%s %j → undefined (cannot tell)", (mesh, installed) => {
    expect(adapterVersionOf(mesh, installed, M)).toBeUndefined();
  });
});

describe("pickMesh", () => {
  const m = (name: string, version: string, source = "ClusterInfo/default/a in a.yaml") => ({ name, version, source });

  test("one mesh", () => {
    expect(pickMesh([m("linkerd", "edge-26.8.3")], 1, M)).toEqual({
      ok: true,
      name: "linkerd",
      version: "2.20",
      installed: "edge-26.8.3",
      source: "ClusterInfo/default/a in a.yaml",
    });
  });

  test("the same mesh and adapter version in several clusters", () => {
    expect(pickMesh([m("istio", "1.30.1"), m("istio", "1.30.3", "b")], 2, M)).toMatchObject({ ok: true, name: "istio", version: "1.30", installed: "1.30.1" });
  });

  test.each([
    [[], 0, "needs a ClusterInfo document"],
    [[], 1, "the ClusterInfo document lists no installed mesh"],
    [[], 2, "the ClusterInfo documents list no installed mesh"],
    [[m("istio", "1.30.3"), m("linkerd", "2.18", "b")], 2, "several meshes: istio 1.30.3 (ClusterInfo/default/a in a.yaml), linkerd 2.18 (b)"],
    [[m("istio", "1.29.3"), m("istio", "1.30.3", "b")], 2, "several istio versions"],
    [[m("linkerd", "edge-23.1.1")], 1, 'cannot tell which linkerd version "edge-23.1.1" is (ClusterInfo/default/a in a.yaml); name it: --mesh linkerd@VERSION'],
  ] as const)("%j in %i ClusterInfos → an explanation", (meshes, count, message) => {
    const r = pickMesh(meshes, count, M);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message).toContain(message);
  });
});
