/**
 * Namespace- and mesh-wide scope against Istio's own examples, taken from upstream (not from memory):
 * - istio/api `security/v1beta1/authorization_policy.proto` (commit b8f8791d9653b2edc77a071d48887e582cfe84bf),
 *   the reference page https://istio.io/latest/docs/reference/config/security/authorization-policy/:
 *   `allow-nothing` and `allow-all` for namespace `foo`;
 * - istio/istio.io `content/en/docs/tasks/security/authentication/authn-policy/snips.sh` (commit
 *   00f76de374d1afae9b03753271c20d32456f5e7c), the task "Globally enabling Istio mutual TLS in STRICT mode":
 *   PeerAuthentication `default` in the root namespace `istio-system`, and the namespace-wide one for `foo`.
 * The unimesh policy that says the same must translate to an object Istio reads the same way: same kind,
 * namespace, no selector, same spec (an omitted `action` is ALLOW); a PeerAuthentication also keeps Istio's
 * name `default`.
 */
import yaml from "js-yaml";
import { describe, expect, test } from "vitest";
import { find, H, ok } from "./helpers.js";

/** The upstream samples, verbatim (indentation as in the source). */
const ALLOW_NOTHING = `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
 name: allow-nothing
 namespace: foo
spec:
  {}
`;
const ALLOW_ALL = `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
 name: allow-all
 namespace: foo
spec:
 rules:
 - {}
`;
const MESH_STRICT = `
apiVersion: security.istio.io/v1beta1
kind: PeerAuthentication
metadata:
  name: "default"
  namespace: "istio-system"
spec:
  mtls:
    mode: STRICT
`;
const FOO_STRICT = `
apiVersion: security.istio.io/v1beta1
kind: PeerAuthentication
metadata:
  name: "default"
  namespace: "foo"
spec:
  mtls:
    mode: STRICT
`;

const upstream = (text: string): any => yaml.load(text);
/** An AuthorizationPolicy spec as Istio reads it: `action` defaults to ALLOW. */
const asRead = (spec: Record<string, unknown>) => ({ action: "ALLOW", ...spec });

describe("scope: Istio's own examples", () => {
  test("allow-nothing for namespace foo: an AccessPolicy without destination and without rules", () => {
    const want = upstream(ALLOW_NOTHING);
    const objs = ok(`${H}kind: AccessPolicy\nmetadata: {name: allow-nothing, namespace: foo}\nspec: {}\n`);
    expect(objs.map((o) => o.kind)).toEqual(["AuthorizationPolicy"]);
    const got = find(objs, "AuthorizationPolicy", "unimesh.namespace-allow", want.metadata.namespace);
    expect(got.apiVersion).toBe(want.apiVersion);
    expect(got.spec).toEqual(asRead(want.spec));
    expect(got.spec).not.toHaveProperty("selector");
  });

  test("allow-all for namespace foo: an AccessPolicy without destination allowing every request", () => {
    const want = upstream(ALLOW_ALL);
    const objs = ok(`${H}kind: AccessPolicy\nmetadata: {name: allow-all, namespace: foo}\nspec: {allow: [{}]}\n`);
    expect(find(objs, "AuthorizationPolicy", "unimesh.namespace-allow", want.metadata.namespace).spec).toEqual(asRead(want.spec));
  });

  test("mesh-wide STRICT: PeerAuthentication default in the root namespace, exactly the task's object", () => {
    const want = upstream(MESH_STRICT);
    const objs = ok(`${H}kind: MTLSPolicy\nmetadata: {name: mesh-strict, namespace: platform}\nspec: {scope: mesh, mode: strict}\n`);
    expect(objs).toHaveLength(1);
    const got = find(objs, "PeerAuthentication", want.metadata.name, want.metadata.namespace);
    expect(got.kind).toBe(want.kind);
    expect(got.spec).toEqual(want.spec);
    // Another root namespace (istioctl install --set values.global.istioNamespace / meshConfig.rootNamespace).
    const other = ok(`${H}kind: MTLSPolicy\nmetadata: {name: mesh-strict, namespace: platform}\nspec: {scope: mesh, mode: strict}\n`, {
      settings: { rootNamespace: "mesh-root" },
    });
    expect(find(other, "PeerAuthentication", "default", "mesh-root").spec).toEqual(want.spec);
  });

  test("namespace-wide STRICT for foo next to the mesh-wide one: both, as the task applies them", () => {
    const objs = ok(
      `${H}kind: MTLSPolicy\nmetadata: {name: mesh-strict, namespace: platform}\nspec: {scope: mesh, mode: strict}\n---\n` +
        `${H}kind: MTLSPolicy\nmetadata: {name: foo-strict, namespace: foo}\nspec: {mode: strict}\n`,
    );
    for (const sample of [MESH_STRICT, FOO_STRICT]) {
      const want = upstream(sample);
      expect(find(objs, "PeerAuthentication", want.metadata.name, want.metadata.namespace).spec).toEqual(want.spec);
    }
  });
});
