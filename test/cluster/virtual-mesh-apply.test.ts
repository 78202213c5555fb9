/**
 * examples/multicluster applied FOR REAL to two real kube-apiservers (issue 13: "two real API servers ...
 * for `apply` of a two-cluster virtual mesh"): `west` serves only Istio's CRDs (and runs istiod), `east`
 * only Linkerd's (with the Gateway API CRDs it bundles, and its control plane). One kubeconfig holds both
 * as the contexts the example's members name (kind-west, kind-east). In order:
 * - `trust init`, then `apply examples/multicluster --trust-dir DIR`: each server holds exactly the objects
 *   `translate --output-dir` writes for its member (ownership labels, same specs) plus that member's trust
 *   objects, whose intermediate is THAT member's (from DIR/<member>, its chain verifying to the root with
 *   openssl, its key matching it) and no other unimesh object (nothing of the other mesh);
 * - `diff` shows no drift on either;
 * - `--prune` after removing one TrafficPolicy deletes exactly that policy's objects, on each server its
 *   own member's, and nothing else (the trust objects stay);
 * - `trust rotate east` + apply changes only east's issuer Secret (west's cacerts and east's trust roots
 *   unchanged; the new issuer verifies to the same root).
 * No private key (PEM, its base64, or its body) reaches stdout or stderr of any of these commands.
 * The servers are stopped by the global teardown (test/cluster/global-setup.ts).
 */
import { execFileSync } from "node:child_process";
import { cpSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import yaml from "js-yaml";
import { beforeAll, describe, expect, inject, test } from "vitest";
import type { KubeClient } from "../../src/kube/client.js";
import { ROOT } from "../cli/helpers.js";
import { scratch, unimesh } from "../kube/support/harness.js";
import { type ServerInfo, adminClient, applyAs, combinedKubeconfig, ensureNamespace, getObject, server } from "./support/servers.js";

const run = inject("unimeshCluster");
type Obj = any;

const MANAGED = "app.kubernetes.io/managed-by=unimesh";
/** A cluster error or warning line (`unimesh apply: kind-west: error: ...`), or an error diagnostic. */
const PROBLEM = /^unimesh \w+: (\S+: )?(error|warning)\b|: error /m;
const idOf = (o: Obj) =>
  `${o.apiVersion.includes("/") ? o.apiVersion.slice(0, o.apiVersion.lastIndexOf("/")) : ""}/${o.kind} ${o.metadata.namespace ?? ""}/${o.metadata.name}`;

/**
 * Every object labelled as unimesh's on a server, over every served kind of every group version (a kind
 * may be served in one version only, e.g. Linkerd's v1alpha1 AuthorizationPolicy), as `group/Kind ns/name`.
 */
async function unimeshObjects(client: KubeClient): Promise<Map<string, Obj>> {
  const out = new Map<string, Obj>();
  for (const g of await client.apiGroups()) {
    for (const v of g.versions) {
      const gv = g.name ? `${g.name}/${v}` : v;
      for (const r of (await client.resources(gv)) ?? []) {
        if (!r.verbs.includes("list")) continue;
        const base = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
        for (const item of await client.list(`${base}/${r.name}`, { labelSelector: MANAGED })) out.set(idOf({ ...item, apiVersion: gv, kind: r.kind }), item);
      }
    }
  }
  return out;
}

/** The manifests translate wrote for a member (`OUT/<member>/**`). */
function translated(dir: string): Obj[] {
  const walk = (d: string): string[] =>
    readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : /\.ya?ml$/.test(e.name) ? [join(d, e.name)] : []));
  return walk(dir).flatMap((f) => (yaml.loadAll(readFileSync(f, "utf8")) as Obj[]).filter(Boolean));
}

/** The private keys of a trust directory as they could leak: PEM header, base64 of the PEM, each PEM body line. */
function keyForms(trustDir: string): string[] {
  const forms = ["PRIVATE KEY"];
  for (const f of ["root-key.pem", "west/ca-key.pem", "east/ca-key.pem"]) {
    const pem = readFileSync(join(trustDir, f), "utf8");
    forms.push(Buffer.from(pem).toString("base64").slice(0, 60));
    forms.push(...pem.split("\n").filter((l) => l && !l.startsWith("-----")));
  }
  return forms;
}

const openssl = (args: string[], input?: string) => execFileSync("openssl", args, { encoding: "utf8", input, stdio: ["pipe", "pipe", "pipe"] });
const b64 = (s: string) => Buffer.from(s, "base64").toString("utf8");

describe.skipIf(!!run.skip).sequential("examples/multicluster applied to two real API servers (west: Istio, east: Linkerd)", () => {
  let west: ServerInfo;
  let east: ServerInfo;
  let kubeconfig: string;
  let clients: { west: KubeClient; east: KubeClient };
  let dir: string;
  let trust: string;
  const outputs: string[] = [];
  const cli = async (argv: string[]) => {
    const r = await unimesh(argv, { kubeconfig });
    outputs.push(r.stdout, r.stderr);
    return r;
  };

  beforeAll(async () => {
    [west, east] = [await server(run, "west"), await server(run, "east")];
    kubeconfig = combinedKubeconfig(run, "vmesh-two-servers-kubeconfig", { "kind-west": west, "kind-east": east });
    clients = { west: await adminClient(west.kubeconfig), east: await adminClient(east.kubeconfig) };
    for (const ns of ["bookinfo", "istio-system"]) await ensureNamespace(clients.west, ns);
    for (const ns of ["bookinfo", "linkerd"]) await ensureNamespace(clients.east, ns);
    dir = scratch();
    cpSync(join(ROOT, "examples/multicluster"), join(dir, "mc"), { recursive: true });
    trust = join(dir, "trust");
  }, 300_000);

  test("trust init + apply --trust-dir: each server holds its member's objects and trust, nothing of the other mesh", async () => {
    expect((await cli(["trust", "init", join(dir, "mc/vmesh.yaml"), "--dir", trust])).code).toBe(0);
    const r = await cli(["apply", join(dir, "mc"), "--trust-dir", trust]);
    expect(r.stderr).not.toMatch(PROBLEM);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("kind-west: Secret istio-system/cacerts created\n");
    expect(r.stdout).toContain("kind-east: Secret linkerd/linkerd-identity-issuer created\n");
    expect(r.stdout).toContain("kind-east: ConfigMap linkerd/linkerd-identity-trust-roots created\n");
    // Linkerd's MTLSPolicy is an annotation patch of the (user-owned) Namespace: configured, not created.
    expect(r.stdout.split("\n").filter((l) => /^\S+: \S+ \S+ (configured|unchanged|failed|conflict|pruned)$/.test(l))).toEqual([
      "kind-east: Namespace bookinfo configured",
    ]);

    const out = join(dir, "out");
    const t = await cli(["translate", join(dir, "mc"), "--output-dir", out]);
    expect(t.code).toBe(0);
    const trustIds = {
      west: ["/Secret istio-system/cacerts"],
      east: ["/ConfigMap linkerd/linkerd-identity-trust-roots", "/Secret linkerd/linkerd-identity-issuer"],
    };
    for (const member of ["west", "east"] as const) {
      // Patches of user-owned objects (east's Namespace annotation) carry no ownership labels: checked below.
      const expected = translated(join(out, member)).filter((o) => !o.metadata.annotations?.["unimesh.io/patch"]);
      expect(expected.length).toBeGreaterThan(3);
      const live = await unimeshObjects(clients[member]);
      // Exactly the member's translation and its trust objects: no object of the other member's mesh.
      expect([...live.keys()].sort()).toEqual([...expected.map(idOf), ...trustIds[member]].sort());
      for (const o of expected) {
        // Read in the version it was written in (another version's view may lack fields, e.g. Server.accessPolicy).
        const l = await getObject(clients[member], o.apiVersion, o.kind, o.metadata.namespace, o.metadata.name);
        expect(l.metadata.labels).toMatchObject({ "app.kubernetes.io/managed-by": "unimesh", "unimesh.io/policy-set": "default" });
        expect(l.metadata.annotations["unimesh.io/policies"]).toBe(o.metadata.annotations["unimesh.io/policies"]);
        expect(l.spec).toMatchObject(o.spec);
      }
      for (const id of trustIds[member]) {
        expect(live.get(id).metadata.labels).toEqual({ "app.kubernetes.io/managed-by": "unimesh", "unimesh.io/virtual-mesh-member": member });
      }
    }
    // Patches carry no ownership labels: east's Namespace has Linkerd's default inbound policy, west's none.
    const nsAnnotations = async (c: KubeClient) => (await getObject(c, "v1", "Namespace", undefined, "bookinfo")).metadata.annotations ?? {};
    expect(await nsAnnotations(clients.east)).toMatchObject({
      "config.linkerd.io/default-inbound-policy": "all-authenticated",
      "unimesh.io/patch": "server-side-apply",
    });
    expect(Object.keys(await nsAnnotations(clients.west)).filter((k) => /linkerd|unimesh/.test(k))).toEqual([]);
    const groups = async (c: KubeClient) => (await c.apiGroups()).map((g) => g.name);
    expect(await groups(clients.west)).not.toContain("policy.linkerd.io");
    expect(await groups(clients.east)).not.toContain("networking.istio.io");
    expect(await groups(clients.east)).not.toContain("security.istio.io");
  });

  test("the trust objects hold THAT member's intermediate, whose chain verifies to the one root", async () => {
    const root = readFileSync(join(trust, "root-cert.pem"), "utf8");
    const cacerts = await getObject(clients.west, "v1", "Secret", "istio-system", "cacerts");
    const issuer = await getObject(clients.east, "v1", "Secret", "linkerd", "linkerd-identity-issuer");
    const roots = await getObject(clients.east, "v1", "ConfigMap", "linkerd", "linkerd-identity-trust-roots");
    const file = (f: string) => readFileSync(join(trust, f), "utf8");
    expect(cacerts.type).toBe("Opaque");
    expect(b64(cacerts.data["ca-cert.pem"])).toBe(file("west/ca-cert.pem"));
    expect(b64(cacerts.data["ca-key.pem"])).toBe(file("west/ca-key.pem"));
    expect(b64(cacerts.data["cert-chain.pem"])).toBe(file("west/ca-cert.pem") + root);
    expect(b64(cacerts.data["root-cert.pem"])).toBe(root);
    expect(issuer.type).toBe("kubernetes.io/tls");
    expect(b64(issuer.data["tls.crt"])).toBe(file("east/ca-cert.pem"));
    expect(b64(issuer.data["tls.key"])).toBe(file("east/ca-key.pem"));
    expect(b64(issuer.data["ca.crt"])).toBe(root);
    expect(roots.data["ca-bundle.crt"]).toBe(root);
    expect(file("west/ca-cert.pem")).not.toBe(file("east/ca-cert.pem"));

    const check = (member: string, certPem: string, keyPem: string) => {
      const cert = join(dir, `${member}-live.pem`);
      writeFileSync(cert, certPem);
      expect(openssl(["verify", "-CAfile", join(trust, "root-cert.pem"), cert])).toContain(": OK");
      const subject = openssl(["x509", "-in", cert, "-noout", "-subject", "-ext", "subjectAltName"]);
      expect(subject).toContain(`unimesh member ${member}`);
      expect(subject).toContain(`URI:spiffe://${member}.bookinfo.example`);
      // The key in the Secret is the certificate's own.
      expect(openssl(["pkey", "-pubout"], keyPem)).toBe(openssl(["x509", "-in", cert, "-noout", "-pubkey"]));
      rmSync(cert);
    };
    check("west", b64(cacerts.data["ca-cert.pem"]), b64(cacerts.data["ca-key.pem"]));
    check("east", b64(issuer.data["tls.crt"]), b64(issuer.data["tls.key"]));
  });

  test("diff: no drift on either server", async () => {
    const r = await cli(["diff", join(dir, "mc")]);
    expect(r.stderr).not.toMatch(PROBLEM);
    expect(r.stdout).toMatch(/^# kind-west \(https:\/\/127\.0\.0\.1:\d+\): 0 to create, 0 to update, 0 to delete, 4 unchanged$/m);
    expect(r.stdout).toMatch(/^# kind-east \(https:\/\/127\.0\.0\.1:\d+\): 0 to create, 0 to update, 0 to delete, \d+ unchanged$/m);
    expect(r.code).toBe(0);
  });

  test("mesh: auto members: diff detects Istio in west and Linkerd in east (no drift), and each member sees what the other runs", async () => {
    const auto = join(dir, "auto");
    cpSync(join(dir, "mc"), auto, { recursive: true });
    const vm = join(auto, "vmesh.yaml");
    writeFileSync(vm, readFileSync(vm, "utf8").replace("mesh: istio@1.30", "mesh: auto").replace("mesh: linkerd@2.20", "mesh: auto"));
    const r = await cli(["diff", auto]);
    expect(r.stderr).toContain("kind-west: istio@1.30 (member west) (--mesh auto: VirtualMesh member west, mesh: auto, istio 1.30.3 detected)");
    expect(r.stderr).toContain("kind-east: linkerd@2.20 (member east) (--mesh auto: VirtualMesh member east, mesh: auto, linkerd edge-26.8.3 detected)");
    expect(r.stdout).toMatch(/^# kind-west \(\S+\): 0 to create, 0 to update, 0 to delete, 4 unchanged$/m);
    expect(r.code).toBe(0);
    // A share from west to east: east's mesh, detected through kind-east, is Linkerd, so west refuses a
    // share across meshes (never "mesh: auto", which it cannot check).
    writeFileSync(
      join(auto, "split.yaml"),
      "apiVersion: unimesh.io/v1alpha1\nkind: TrafficPolicy\nmetadata: {name: reviews-spread, namespace: bookinfo}\nspec:\n  destination: {service: reviews, port: 9080}\n  routes:\n    - split: [{weight: 80}, {cluster: east, weight: 20}]\n",
    );
    const x = await cli(["diff", auto, "--context", "kind-west"]);
    expect(x.stderr).toContain("error adapter/unsupported-value/crossCluster.other-mesh: member west: member east runs linkerd@2.20");
    expect(x.stderr).not.toContain("mesh-auto");
    expect(x.code).toBe(1);
  });

  test("--prune after removing a policy deletes only that policy's objects, each server its own member's", async () => {
    const file = join(dir, "mc/policies.yaml");
    const docs = readFileSync(file, "utf8").split(/^---$/m);
    expect(docs.at(-1)).toContain("name: ratings-resilience");
    writeFileSync(file, docs.slice(0, -1).join("---"));
    const before = { west: await unimeshObjects(clients.west), east: await unimeshObjects(clients.east) };
    const r = await cli(["apply", join(dir, "mc"), "--trust-dir", trust, "--prune"]);
    expect(r.stderr).not.toMatch(PROBLEM);
    expect(r.code).toBe(0);
    const pruned = r.stdout.split("\n").filter((l) => /^\S+: \S+ \S+\/\S+ pruned$/.test(l));
    expect(pruned).toEqual([
      "kind-west: VirtualService.networking.istio.io bookinfo/ratings pruned",
      "kind-east: HTTPRoute.gateway.networking.k8s.io bookinfo/ratings-9080-timeout-2s-retries-2 pruned",
    ]);
    expect(r.stdout).not.toMatch(/ (created|configured|failed|conflict|released)\b/);
    const after = { west: await unimeshObjects(clients.west), east: await unimeshObjects(clients.east) };
    expect([...before.west.keys()].filter((k) => !after.west.has(k))).toEqual(["networking.istio.io/VirtualService bookinfo/ratings"]);
    expect([...before.east.keys()].filter((k) => !after.east.has(k))).toEqual([
      "gateway.networking.k8s.io/HTTPRoute bookinfo/ratings-9080-timeout-2s-retries-2",
    ]);
    expect([...after.west.keys()].filter((k) => !before.west.has(k))).toEqual([]);
    expect([...after.east.keys()].filter((k) => !before.east.has(k))).toEqual([]);
  });

  test("trust rotate east + apply: only east's issuer changes", async () => {
    const oldEast = readFileSync(join(trust, "east/ca-cert.pem"), "utf8");
    const forms = keyForms(trust); // the keys before the rotation must not leak either
    const rot = await cli(["trust", "rotate", "east", join(dir, "mc/vmesh.yaml"), "--dir", trust]);
    expect(rot.code).toBe(0);
    const newEast = readFileSync(join(trust, "east/ca-cert.pem"), "utf8");
    expect(newEast).not.toBe(oldEast);
    const westSecret = await getObject(clients.west, "v1", "Secret", "istio-system", "cacerts");
    // diff --trust-dir shows the pending rotation, Secret values masked (as kubectl diff does).
    const d = await cli(["diff", join(dir, "mc"), "--trust-dir", trust]);
    expect(d.code).toBe(5);
    expect(d.stdout).toMatch(/^# kind-west \(\S+\): 0 to create, 0 to update, 0 to delete, \d+ unchanged$/m);
    expect(d.stdout).toMatch(/^# kind-east \(\S+\): 0 to create, 1 to update, 0 to delete, \d+ unchanged$/m);
    expect(d.stdout).toContain(
      '~ Secret linkerd/linkerd-identity-issuer\n    ~ .data["tls.crt"]: "*** (before)" -> "*** (after)"\n    ~ .data["tls.key"]: "*** (before)" -> "*** (after)"\n',
    );
    const r = await cli(["apply", join(dir, "mc"), "--trust-dir", trust]);
    expect(r.stderr).not.toMatch(PROBLEM);
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n").filter((l) => /^\S+: \S+ \S+\/\S+ (created|configured|pruned|failed|conflict)$/.test(l))).toEqual([
      "kind-east: Secret linkerd/linkerd-identity-issuer configured",
    ]);
    expect(r.stdout).toContain("kind-west: Secret istio-system/cacerts unchanged\n");
    expect(r.stdout).toContain("kind-east: ConfigMap linkerd/linkerd-identity-trust-roots unchanged\n");
    const issuer = await getObject(clients.east, "v1", "Secret", "linkerd", "linkerd-identity-issuer");
    expect(b64(issuer.data["tls.crt"])).toBe(newEast);
    expect(b64(issuer.data["ca.crt"])).toBe(readFileSync(join(trust, "root-cert.pem"), "utf8"));
    const cert = join(dir, "east-rotated.pem");
    writeFileSync(cert, newEast);
    expect(openssl(["verify", "-CAfile", join(trust, "root-cert.pem"), cert])).toContain(": OK");
    expect((await getObject(clients.west, "v1", "Secret", "istio-system", "cacerts")).data).toEqual(westSecret.data);

    // No private key, old or new, in anything any command of this file printed.
    const all = outputs.join("\n");
    for (const f of [...forms, ...keyForms(trust)]) expect(all).not.toContain(f);
  });
});

/**
 * Linkerd multicluster's receiving side on real API servers: a virtual mesh of two Linkerd members, `lw`
 * (the `main` server) sending a share of podinfo to `le` (the `east` server, which has a gateway). `le`'s
 * output exports podinfo: the label mirror.linkerd.io/exported=true as a server-side-apply patch of the
 * user's Service (field manager unimesh, applied last); `--prune` after the share is gone releases the
 * label and leaves the Service as its owner wrote it.
 */
describe.skipIf(!!run.skip).sequential("Linkerd to Linkerd on two real API servers: the receiving member exports the Service", () => {
  const ns = "um-vmesh-export";
  let kubeconfig: string;
  let clients: { lw: KubeClient; le: KubeClient };
  let dir: string;
  const vmesh = `apiVersion: unimesh.io/v1alpha1
kind: VirtualMesh
metadata: {name: demo}
spec:
  members:
    - {name: lw, context: lk-west, mesh: linkerd@2.20, trustDomain: lw.example}
    - {name: le, context: lk-east, mesh: linkerd@2.20, trustDomain: le.example, gateway: {address: 203.0.113.7}}
---
apiVersion: unimesh.io/v1alpha1
kind: MeshService
metadata: {name: podinfo, namespace: ${ns}}
spec:
  ports: [{port: 9898, name: http, protocol: http}]
`;
  const policy = (split: string) => `apiVersion: unimesh.io/v1alpha1
kind: TrafficPolicy
metadata: {name: podinfo, namespace: ${ns}}
spec:
  destination: {service: podinfo, port: 9898}
  timeout: 5s
  routes:
    - split: ${split}
`;
  const podinfo = {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "podinfo", namespace: ns },
    spec: { selector: { app: "podinfo" }, ports: [{ name: "http", port: 9898 }] },
  };

  beforeAll(async () => {
    const [main, east] = [await server(run, "main"), await server(run, "east")];
    kubeconfig = combinedKubeconfig(run, "vmesh-linkerd-kubeconfig", { "lk-west": main, "lk-east": east });
    clients = { lw: await adminClient(main.kubeconfig), le: await adminClient(east.kubeconfig) };
    for (const c of Object.values(clients)) {
      await ensureNamespace(c, ns);
      await applyAs(c, "user", podinfo);
    }
    dir = scratch({ "vmesh.yaml": vmesh, "policy.yaml": policy("[{weight: 50}, {cluster: le, weight: 50}]") });
  }, 300_000);

  test("apply: lw routes to podinfo-le, le labels its podinfo exported (last, as field manager unimesh); diff: no drift", async () => {
    const r = await unimesh(["apply", dir], { kubeconfig });
    expect(r.stderr).not.toMatch(PROBLEM);
    expect(r.code).toBe(0);
    const le = r.stdout.split("\n").filter((l) => l.startsWith("lk-east: ") && /\//.test(l));
    expect(le.at(-1)).toBe(`lk-east: Service ${ns}/podinfo configured`);
    expect(r.stdout).not.toContain(`lk-west: Service ${ns}/podinfo`);
    const name = new RegExp(`^lk-west: HTTPRoute\\.gateway\\.networking\\.k8s\\.io ${ns}/(\\S+) created$`, "m").exec(r.stdout)![1];
    const route = await getObject(clients.lw, "gateway.networking.k8s.io/v1", "HTTPRoute", ns, name);
    expect(route.spec.rules[0].backendRefs).toEqual([
      { group: "", kind: "Service", name: "podinfo", port: 9898, weight: 50 },
      { group: "", kind: "Service", name: "podinfo-le", port: 9898, weight: 50 },
    ]);
    const svc = await getObject(clients.le, "v1", "Service", ns, "podinfo");
    expect(svc.metadata.labels).toEqual({ "mirror.linkerd.io/exported": "true" });
    const fields = svc.metadata.managedFields.find((f: Obj) => f.manager === "unimesh").fieldsV1;
    expect(Object.keys(fields["f:metadata"]["f:labels"])).toEqual(["f:mirror.linkerd.io/exported"]);
    expect(fields["f:spec"]).toBeUndefined();
    expect((await getObject(clients.lw, "v1", "Service", ns, "podinfo")).metadata.labels).toBeUndefined();
    const d = await unimesh(["diff", dir], { kubeconfig });
    expect(d.stdout).toMatch(/^# lk-east \(\S+\): 0 to create, 0 to update, 0 to delete, \d+ unchanged$/m);
    expect(d.code).toBe(0);
  });

  test("--prune once no share goes to le: the label is released, the Service stays as its owner wrote it", async () => {
    writeFileSync(join(dir, "policy.yaml"), policy("[{weight: 100}]"));
    const r = await unimesh(["apply", dir, "--prune"], { kubeconfig });
    expect(r.stderr).not.toMatch(PROBLEM);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`lk-east: Service ${ns}/podinfo released\n`);
    const svc = await getObject(clients.le, "v1", "Service", ns, "podinfo");
    expect(svc.metadata.labels ?? {}).toEqual({});
    expect(svc.spec.ports).toEqual([expect.objectContaining({ name: "http", port: 9898 })]);
    expect(svc.metadata.managedFields.map((f: Obj) => f.manager)).not.toContain("unimesh");
  });
});
