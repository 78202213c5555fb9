/** `unimesh import`: output, output directory, exit codes, usage errors (in-process CLI). */
import { describe, expect, test } from "vitest";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { cli, scratch } from "../cli/helpers.js";

const VS = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ratings, namespace: shop}
spec:
  hosts: [ratings]
  http: [{route: [{destination: {host: ratings}}], timeout: 2s, retries: {attempts: 0}}]
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: web}
spec: {mtls: {mode: STRICT}}
`;

describe("unimesh import", () => {
  test("translate then import gives the policies back on stdout", async () => {
    const t = await cli(["translate", "test/golden/merged/input.yaml", "--mesh", "istio"]);
    const r = await cli(["import", "--from", "istio", "-"], { stdin: t.stdout });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("name: a-catalog-item");
    expect(r.stdout).toContain("name: b-catalog-search");
    const json = await cli(["import", "--from", "istio", "-", "-o", "json"], { stdin: t.stdout });
    expect(JSON.parse(json.stdout)).toMatchObject({ apiVersion: "v1", kind: "List", items: [{ kind: "TrafficPolicy" }, { kind: "TrafficPolicy" }] });
  });

  test("--output-dir: one file per namespace, and the marker", async () => {
    const dir = scratch({ "in.yaml": VS });
    const r = await cli(["import", "--from", "istio", "in.yaml", "--output-dir", "out"], { cwd: dir });
    expect(r.code).toBe(0);
    expect(readdirSync(join(dir, "out")).sort()).toEqual([".unimesh-output", "shop.yaml", "web.yaml"]);
    expect(readFileSync(join(dir, "out/shop.yaml"), "utf8")).toContain("timeout: 2s");
    expect(readFileSync(join(dir, "out/web.yaml"), "utf8")).toContain("kind: MTLSPolicy");
    expect(r.stderr).toMatch(/wrote 2 documents to out \(shop\.yaml, web\.yaml\)/);
  });

  test("an error: exit 1, nothing on stdout, no output directory", async () => {
    const dir = scratch({ "in.yaml": VS.replace("host: ratings}}]", "host: details.other}}]") });
    const r = await cli(["import", "--from", "istio", "in.yaml", "--output-dir", "out"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(existsSync(join(dir, "out"))).toBe(false);
    expect(r.stderr).toMatch(/^in\.yaml:6:\d+ \[0\]#\/spec\/http\/0\/route\/0\/destination\/host: error import\/unsupported-value: /m);
    expect(r.stderr).toMatch(/cannot import: nothing written \(1 error/);
  });

  test("--strict: warnings are errors", async () => {
    const dir = scratch({ "in.yaml": VS.replace("retries: {attempts: 0}", "retries: {attempts: 1, retryRemoteLocalities: true}") });
    expect((await cli(["import", "--from", "istio", "in.yaml"], { cwd: dir })).code).toBe(0);
    const r = await cli(["import", "--from", "istio", "in.yaml", "--strict"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/#\/spec\/http\/0\/retries\/retryRemoteLocalities: error import\/unsupported-field/);
  });

  test("facts from the Services and Deployments among the inputs", async () => {
    const r = await cli([
      "import",
      "--from",
      "istio",
      "test/import/fixtures/istio-bookinfo/security/authz-http.yaml",
      "test/import/fixtures/istio-bookinfo/platform/bookinfo.yaml",
      "-q",
    ]);
    expect(r.code).toBe(0);
    // details-viewer's principal is the service account of productpage's pods (bookinfo.yaml).
    expect(r.stdout).toMatch(/name: details-viewer[\s\S]*?serviceAccounts:\n\s+- bookinfo-productpage/);
    expect(r.stdout).toMatch(
      /kind: MeshService\nmetadata:\n {2}name: productpage\n {2}namespace: default\nspec:\n {2}selector:\n {4}app: productpage\n {2}serviceAccount: bookinfo-productpage/,
    );
  });

  test("--adapter: a third-party adapter's importer; --from must name it; an adapter without importer is a usage error", async () => {
    const text = "apiVersion: fake.example.com/v1\nkind: FakeRoute\nmetadata: {name: r, namespace: shop}\nspec: {service: search, timeout: 2s, extra: 1}\n";
    const r = await cli(["import", "--adapter", "./test/cli/fixtures/importer-adapter.mjs", "-"], { stdin: text });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("kind: TrafficPolicy\nmetadata:\n  name: r\n  namespace: shop\nspec:\n  destination:\n    service: search\n  timeout: 2s");
    // What the importer left unread is reported by the core, whoever wrote the importer.
    expect(r.stderr).toMatch(/#\/spec\/extra: warning import\/unsupported-field: spec.extra has no equivalent/);
    const both = await cli(["import", "--from", "fakeimport", "--adapter", "./test/cli/fixtures/importer-adapter.mjs", "-"], { stdin: text });
    expect(both.code).toBe(0);
    const mismatch = await cli(["import", "--from", "istio", "--adapter", "./test/cli/fixtures/importer-adapter.mjs", "-"], { stdin: text });
    expect(mismatch.code).toBe(2);
    expect(mismatch.stderr).toMatch(/--from istio does not match the adapter loaded with --adapter .*its name is "fakeimport"/);
    const none = await cli(["import", "--adapter", "./test/cli/fixtures/adapter.mjs", "-"], { stdin: text });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/the adapter "fake" has no importer/);
  });

  test("usage errors: exit 2", async () => {
    expect((await cli(["import", "--from", "nosuch", "x.yaml"])).code).toBe(2);
    const b = await cli(["import", "--from", "builtin", "x.yaml"]);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/cannot import builtin objects; it imports from istio/);
    expect((await cli(["import", "--from", "istio"])).code).toBe(2);
    expect((await cli(["import", "--from", "istio", "x.yaml", "--set", "nosuch=1"])).code).toBe(2);
    expect((await cli(["import", "x.yaml"])).code).toBe(2);
    expect((await cli(["import", "x.yaml"])).stderr).toMatch(/missing --from <mesh> \(istio, linkerd, appmesh\) or --adapter/);
  });
});
