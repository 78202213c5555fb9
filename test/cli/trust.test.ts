/**
 * `unimesh trust init` / `rotate`: one root and an intermediate per member, private keys only in 0600
 * files of a 0700 directory, never on stdout or stderr; the chain verifies (openssl when installed, and
 * @peculiar/x509); rotating re-issues one member's intermediate under the same root.
 */
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { webcrypto } from "node:crypto";
import { describe, expect, test } from "vitest";
import { cli, scratch } from "./helpers.js";
import { fingerprint } from "../../src/cli/trust.js";

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const VM = `apiVersion: unimesh.io/v1alpha1
kind: VirtualMesh
metadata: {name: shop}
spec:
  members:
    - {name: west, context: kind-west, mesh: istio@1.30, trustDomain: west.shop.example}
    - {name: east, context: kind-east, mesh: linkerd, trustDomain: east.shop.example}
`;
/** Any PEM private key (PKCS#8, EC, RSA, encrypted). */
const PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;
const mode = (p: string) => statSync(p).mode & 0o777;
const hasOpenssl = (() => {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

describe("unimesh trust", () => {
  test("init: a root and an intermediate per member; keys 0600 in a 0700 directory, never printed", async () => {
    const dir = scratch({ "vm.yaml": VM });
    const r = await cli(["trust", "init", `${dir}/vm.yaml`, "--dir", join(dir, "trust")]);
    expect(r.code).toBe(0);
    expect(r.stdout + r.stderr).not.toMatch(PRIVATE_KEY);
    expect(r.stdout + r.stderr).not.toContain("-----BEGIN");
    const t = join(dir, "trust");
    expect(mode(t)).toBe(0o700);
    expect(mode(join(t, "root-key.pem"))).toBe(0o600);
    for (const m of ["west", "east"]) {
      expect(mode(join(t, m, "ca-key.pem"))).toBe(0o600);
      expect(readFileSync(join(t, m, "ca-key.pem"), "utf8")).toMatch(PRIVATE_KEY);
      for (const f of ["ca-cert.pem", "cert-chain.pem", "root-cert.pem"]) expect(readFileSync(join(t, m, f), "utf8")).not.toMatch(PRIVATE_KEY);
    }
    const root = new x509.X509Certificate(readFileSync(join(t, "root-cert.pem"), "utf8"));
    const west = new x509.X509Certificate(readFileSync(join(t, "west/ca-cert.pem"), "utf8"));
    const east = new x509.X509Certificate(readFileSync(join(t, "east/ca-cert.pem"), "utf8"));
    // Each intermediate is a CA (pathLen 0) signed by the one root, with the member's trust domain.
    for (const [c, td] of [
      [west, "west.shop.example"],
      [east, "east.shop.example"],
    ] as const) {
      expect(await c.verify({ publicKey: root.publicKey, signatureOnly: true })).toBe(true);
      expect(c.issuer).toBe(root.subject);
      expect(c.subject).toContain(`CN=identity.linkerd.${td}`);
      const bc = c.getExtension(x509.BasicConstraintsExtension)!;
      expect([bc.ca, bc.pathLength]).toEqual([true, 0]);
      expect((c.publicKey.algorithm as EcKeyAlgorithm).namedCurve).toBe("P-256");
    }
    expect(readFileSync(join(t, "west/cert-chain.pem"), "utf8")).toBe(west.toString("pem") + root.toString("pem"));
    // stdout names each certificate by its fingerprint.
    expect(r.stdout).toContain(`SHA256 ${fingerprint(west.toString("pem"))}`);
    expect(r.stdout).toContain(`SHA256 ${fingerprint(root.toString("pem"))}`);
    if (hasOpenssl) {
      for (const m of ["west", "east"]) {
        expect(execFileSync("openssl", ["verify", "-CAfile", join(t, "root-cert.pem"), join(t, m, "ca-cert.pem")], { encoding: "utf8" })).toContain(": OK");
      }
    }
  });

  test("rotate: a new intermediate for one member, same root, the other member untouched; nothing secret printed", async () => {
    const dir = scratch({ "vm.yaml": VM });
    const t = join(dir, "trust");
    expect((await cli(["trust", "init", `${dir}/vm.yaml`, "--dir", t])).code).toBe(0);
    const before = (f: string) => readFileSync(join(t, f), "utf8");
    const [root, west, westKey, east] = ["root-cert.pem", "west/ca-cert.pem", "west/ca-key.pem", "east/ca-cert.pem"].map(before);
    const r = await cli(["trust", "rotate", "west", `${dir}/vm.yaml`, "--dir", t]);
    expect(r.code).toBe(0);
    expect(r.stdout + r.stderr).not.toContain("-----BEGIN");
    expect(before("root-cert.pem")).toBe(root);
    expect(before("east/ca-cert.pem")).toBe(east);
    expect(before("west/ca-cert.pem")).not.toBe(west);
    expect(before("west/ca-key.pem")).not.toBe(westKey);
    expect(mode(join(t, "west/ca-key.pem"))).toBe(0o600);
    const fresh = new x509.X509Certificate(before("west/ca-cert.pem"));
    expect(await fresh.verify({ publicKey: new x509.X509Certificate(root).publicKey, signatureOnly: true })).toBe(true);
    expect(r.stdout).toContain(`SHA256 ${fingerprint(before("west/ca-cert.pem"))}`);
  });

  test("errors: init into a directory that holds files, rotate of an unknown member or outside a trust directory, no VirtualMesh", async () => {
    const dir = scratch({
      "vm.yaml": VM,
      "full/x": "x",
      "plain.yaml": VM.replace(/kind: VirtualMesh[\s\S]*/, "kind: MeshService\nmetadata: {name: a}\nspec: {}\n"),
    });
    const full = await cli(["trust", "init", `${dir}/vm.yaml`, "--dir", join(dir, "full")]);
    expect(full.code).toBe(2);
    expect(full.stderr).toContain("exists and is not empty");
    const unknown = await cli(["trust", "rotate", "north", `${dir}/vm.yaml`, "--dir", join(dir, "full")]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("north: not a member of VirtualMesh/default/shop (members: west, east)");
    const notTrust = await cli(["trust", "rotate", "west", `${dir}/vm.yaml`, "--dir", join(dir, "full")]);
    expect(notTrust.code).toBe(2);
    expect(notTrust.stderr).toContain("not a trust directory");
    expect(existsSync(join(dir, "full/west"))).toBe(false);
    const none = await cli(["trust", "init", `${dir}/plain.yaml`, "--dir", join(dir, "t2")]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("the inputs hold no VirtualMesh");
  });
});
