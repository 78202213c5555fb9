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

/**
 * No private key reaches stdout or stderr (issue 13): trust init/rotate, apply --trust-dir in every
 * mode (text, JSON, dry runs), diff --trust-dir of a rotated CA (Secret values masked as `kubectl diff`
 * masks them), a server that quotes the Secret it was sent in its error, and damaged key files.
 */
describe("private keys are never printed", () => {
  /** Every form a key of the trust directory could leak in: PEM header, base64 of the PEM (as in a Secret), body lines. */
  const keyForms = (trust: string) =>
    ["root-key.pem", "west/ca-key.pem", "east/ca-key.pem"].flatMap((f) => {
      const pem = readFileSync(`${trust}/${f}`, "utf8");
      return [
        Buffer.from(pem).toString("base64"),
        Buffer.from(pem).toString("base64").slice(0, 40),
        ...pem.split("\n").filter((l) => l && !l.startsWith("-----")),
      ];
    });
  const clean = (text: string, forms: string[]) => {
    expect(text).not.toMatch(/PRIVATE KEY/);
    for (const f of forms) expect(text).not.toContain(f);
  };

  test("trust init, apply (text, JSON, dry runs), rotate, diff --trust-dir (masked), apply again", async () => {
    const dir = scratch({ "vm.yaml": vm(), "base.yaml": policies("bookinfo") });
    const trust = `${dir}/trust`;
    const out: string[] = [];
    const run = async (argv: string[]) => {
      const r = await unimesh(argv, { kubeconfig });
      out.push(r.stdout, r.stderr);
      return r;
    };
    expect((await run(["trust", "init", `${dir}/vm.yaml`, "--dir", trust])).code).toBe(0);
    const before = keyForms(trust);
    for (const extra of [["--dry-run=client"], ["--dry-run=server"], ["-o", "json", "--dry-run=server"], ["-o", "json"], []])
      expect((await run(["apply", `${dir}/vm.yaml`, `${dir}/base.yaml`, "--trust-dir", trust, ...extra])).code).toBe(0);
    // A created Secret in a diff: its values masked.
    const fresh = await run(["diff", `${dir}/vm.yaml`, `${dir}/base.yaml`, "--trust-dir", trust]);
    expect(fresh.code).toBe(0);
    expect((await run(["trust", "rotate", "east", `${dir}/vm.yaml`, "--dir", trust])).code).toBe(0);
    const d = await run(["diff", `${dir}/vm.yaml`, `${dir}/base.yaml`, "--trust-dir", trust]);
    expect(d.code).toBe(5);
    expect(d.stdout).toContain("~ Secret linkerd/linkerd-identity-issuer\n");
    expect(d.stdout).toContain('    ~ .data["tls.key"]: "*** (before)" -> "*** (after)"\n');
    expect(d.stdout).toContain('    ~ .data["tls.crt"]: "*** (before)" -> "*** (after)"\n');
    expect(d.stdout).not.toContain("cacerts");
    const j = await run(["diff", `${dir}/vm.yaml`, `${dir}/base.yaml`, "--trust-dir", trust, "-o", "json"]);
    const issuer = JSON.parse(j.stdout)
      .clusters.flatMap((c: any) => c.objects)
      .find((o: any) => o.object === "Secret linkerd/linkerd-identity-issuer");
    expect(issuer.change).toBe("update");
    expect(issuer.fields.map((f: any) => [f.path, f.before, f.after])).toEqual([
      ['.data["tls.crt"]', "*** (before)", "*** (after)"],
      ['.data["tls.key"]', "*** (before)", "*** (after)"],
    ]);
    expect((await run(["apply", `${dir}/vm.yaml`, `${dir}/base.yaml`, "--trust-dir", trust])).code).toBe(0);
    const all = out.join("\n");
    clean(all, [...before, ...keyForms(trust)]);
  });

  test("a diff of a Secret to create shows its keys, not its values", async () => {
    const dir = scratch({ "vm.yaml": vm(), "base.yaml": policies("bookinfo") });
    const trust = `${dir}/trust`;
    expect((await unimesh(["trust", "init", `${dir}/vm.yaml`, "--dir", trust], { kubeconfig })).code).toBe(0);
    // A fresh west cluster: the Secret does not exist there yet.
    const fresh = await fakeCluster({ mesh: "istio" });
    try {
      await fresh.setupNamespace("bookinfo");
      await fresh.setupNamespace("istio-system");
      const r = await unimesh(["diff", `${dir}/vm.yaml`, `${dir}/base.yaml`, "--trust-dir", trust, "--context", "kind-istio"], {
        kubeconfig: fresh.kubeconfig,
      });
      expect(r.stdout).toContain("+ Secret istio-system/cacerts (created)");
      expect(r.stdout).toMatch(/^ {6}ca-key\.pem: "\*\*\*"$/m);
      clean(r.stdout + r.stderr, keyForms(trust));
    } finally {
      await fresh.server.stop();
    }
  });

  test("a server whose error quotes the Secret it was sent: the key is redacted from apply's and diff's messages", async () => {
    const dir = scratch({ "vm.yaml": vm(), "base.yaml": policies("bookinfo") });
    const trust = `${dir}/trust`;
    expect((await unimesh(["trust", "init", `${dir}/vm.yaml`, "--dir", trust], { kubeconfig })).code).toBe(0);
    const server = east.server as any;
    const handle = server.handle;
    server.handle = async (req: any, res: any) => {
      if (req.method !== "PATCH" || !req.url.includes("/secrets/")) return handle.call(server, req, res);
      let body = "";
      for await (const chunk of req) body += chunk;
      const sent = JSON.parse(body);
      const decoded = Object.values(sent.data ?? {})
        .map((v) => Buffer.from(String(v), "base64").toString("utf8"))
        .join(" ");
      res.writeHead(422, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          kind: "Status",
          apiVersion: "v1",
          status: "Failure",
          reason: "Invalid",
          code: 422,
          message: `Secret "${sent.metadata.name}" is invalid: data: Invalid value: ${JSON.stringify(sent.data)} (${decoded})`,
        }),
      );
    };
    try {
      const r = await unimesh(["apply", `${dir}/vm.yaml`, `${dir}/base.yaml`, "--trust-dir", trust, "--context", "kind-linkerd"], { kubeconfig });
      expect(r.code).toBe(3);
      expect(r.stdout).toMatch(/^kind-linkerd: Secret linkerd\/linkerd-identity-issuer failed: .*is invalid: data: Invalid value: .*<redacted>/m);
      const j = await unimesh(["apply", `${dir}/vm.yaml`, `${dir}/base.yaml`, "--trust-dir", trust, "--context", "kind-linkerd", "-o", "json"], { kubeconfig });
      const d = await unimesh(["diff", `${dir}/vm.yaml`, `${dir}/base.yaml`, "--trust-dir", trust, "--context", "kind-linkerd"], { kubeconfig });
      expect(d.stdout).toMatch(/^! Secret linkerd\/linkerd-identity-issuer error: .*<redacted>/m);
      clean([r, j, d].map((x) => x.stdout + x.stderr).join("\n"), keyForms(trust));
    } finally {
      server.handle = handle;
    }
  });

  test("damaged key files: a clear error naming the file, never its content", async () => {
    const dir = scratch({ "vm.yaml": vm(), "base.yaml": policies("bookinfo") });
    const trust = `${dir}/trust`;
    expect((await unimesh(["trust", "init", `${dir}/vm.yaml`, "--dir", trust], { kubeconfig })).code).toBe(0);
    const forms = keyForms(trust);
    const { writeFileSync } = await import("node:fs");
    const key = readFileSync(`${trust}/east/ca-key.pem`, "utf8");
    // A key cut short: apply refuses the member (exit 3), naming the file.
    writeFileSync(`${trust}/east/ca-key.pem`, key.slice(0, 120));
    const r = await unimesh(["apply", `${dir}/vm.yaml`, `${dir}/base.yaml`, "--trust-dir", trust, "--context", "kind-linkerd"], { kubeconfig });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("--trust-dir");
    expect(r.stderr).toContain("east/ca-key.pem is not a PKCS#8 private key PEM (as unimesh trust init writes it); its content is not shown");
    // A root key cut short, then another root's key: rotate refuses (exit 2), naming the file.
    const root = readFileSync(`${trust}/root-key.pem`, "utf8");
    writeFileSync(`${trust}/root-key.pem`, root.slice(0, 100) + "\n-----END PRIVATE KEY-----\n");
    const x = await unimesh(["trust", "rotate", "west", `${dir}/vm.yaml`, "--dir", trust], { kubeconfig });
    expect(x.code).toBe(2);
    expect(x.stderr).toContain("root-key.pem is not an ECDSA P-256 private key in PKCS#8 PEM (as unimesh trust init writes it); its content is not shown");
    expect(x.stderr).not.toContain("internal error");
    const other = scratch({ "vm.yaml": vm() });
    expect((await unimesh(["trust", "init", `${other}/vm.yaml`, "--dir", `${other}/trust`], { kubeconfig })).code).toBe(0);
    writeFileSync(`${trust}/root-key.pem`, readFileSync(`${other}/trust/root-key.pem`, "utf8"));
    const y = await unimesh(["trust", "rotate", "west", `${dir}/vm.yaml`, "--dir", trust], { kubeconfig });
    expect(y.code).toBe(2);
    expect(y.stderr).toMatch(/root-key\.pem is not the key of root-cert\.pem \(SHA256 [0-9A-F:]+\); nothing issued/);
    clean([r, x, y].map((o) => o.stdout + o.stderr).join("\n"), [...forms, ...keyForms(`${other}/trust`).slice(0, 3)]);
  });
});
