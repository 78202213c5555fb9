/**
 * examples/multicluster against a real kube-apiserver, with the real adapters: `apply --dry-run=server`
 * of both members (Istio for west, Linkerd for east), trust objects included, through two kubeconfig
 * contexts. Both contexts point at the `main` server (it has Istio's and Linkerd's CRDs and their
 * namespaces): every generated object, Secrets included, is checked by the API server (schemas, CEL,
 * strict field validation) and nothing is persisted. No private key reaches stdout or stderr.
 */
import { execFileSync } from "node:child_process";
import { cpSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, inject, test } from "vitest";
import { ROOT } from "../cli/helpers.js";
import { scratch, unimesh } from "../kube/support/harness.js";
import { type ServerInfo, adminClient, combinedKubeconfig, ensureNamespace, server } from "./support/servers.js";

const run = inject("unimeshCluster");

describe.skipIf(!!run.skip)("examples/multicluster on a real API server", () => {
  let main: ServerInfo;
  let kubeconfig: string;
  beforeAll(async () => {
    main = await server(run, "main");
    kubeconfig = combinedKubeconfig(run, "vmesh-kubeconfig", { "kind-west": main, "kind-east": main });
    const client = await adminClient(main.kubeconfig);
    for (const ns of ["bookinfo", "istio-system", "linkerd"]) await ensureNamespace(client, ns);
  }, 300_000);

  test("apply --dry-run=server --trust-dir: both members, every object accepted, no key printed", async () => {
    const dir = scratch();
    cpSync(join(ROOT, "examples/multicluster"), join(dir, "mc"), { recursive: true });
    const init = await unimesh(["trust", "init", join(dir, "mc/vmesh.yaml"), "--dir", join(dir, "trust")], { kubeconfig });
    expect(init.code).toBe(0);
    const r = await unimesh(["apply", join(dir, "mc"), "--dry-run=server", "--trust-dir", join(dir, "trust")], { kubeconfig });
    expect(r.stdout + r.stderr).not.toContain("-----BEGIN");
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    // (created, or configured where another test of this server left an object of the same name)
    expect(r.stdout).toMatch(/kind-west: AuthorizationPolicy\.security\.istio\.io bookinfo\/reviews-allow (created|configured) \(dry run: server\)/);
    expect(r.stdout).toMatch(/kind-west: Secret istio-system\/cacerts (created|configured) \(dry run: server\)/);
    expect(r.stdout).toMatch(/kind-east: MeshTLSAuthentication\.policy\.linkerd\.io bookinfo\/\S+ (created|configured) \(dry run: server\)/);
    expect(r.stdout).toMatch(/kind-east: Secret linkerd\/linkerd-identity-issuer (created|configured) \(dry run: server\)/);
    expect(r.stdout).not.toMatch(/ (failed|conflict)/);
    // The openssl check of the issued chain, as Linkerd's and Istio's docs do it.
    expect(
      execFileSync("openssl", ["verify", "-CAfile", join(dir, "trust/root-cert.pem"), join(dir, "trust/east/ca-cert.pem")], { encoding: "utf8" }),
    ).toContain("OK");
  }, 120_000);
});
