/**
 * The CLI in-process: every command, flag and exit code, with in-memory streams. The built-in adapter
 * list is the real one plus the fake adapter of fixtures/adapter.mjs (so these tests do not depend on
 * which adapters exist yet); the real adapters are exercised at the end when they are registered.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import yaml from "js-yaml";
import { describe, expect, test, vi } from "vitest";
import { DOCS, ROOT, cli, fixture, scratch } from "./helpers.js";
import { EXIT, EXIT_TABLE } from "../../src/cli/exit-codes.js";
import { FEATURES } from "../../src/api/features.js";
import { VERSION } from "../../src/cli/main.js";
import { OUTPUT_MARKER } from "../../src/cli/output-dir.js";
import type { Adapter } from "../../src/api/adapter.js";
import { codeFamily } from "../../src/api/diagnostics.js";

vi.mock("../../src/adapters/index.js", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../src/adapters/index.js")>();
  const { adapter: fake } = await import("./fixtures/adapter.mjs");
  const all = [...real.BUILTIN_ADAPTERS, fake];
  return { ...real, BUILTIN_ADAPTERS: all, findAdapter: (n: string) => all.find((a) => a.name === n) };
});

const realAdapters: readonly Adapter[] = (await vi.importActual<typeof import("../../src/adapters/index.js")>("../../src/adapters/index.js")).BUILTIN_ADAPTERS;

const STACK = /\n\s+at .+:\d+:\d+/;

/** Every file under `dir`, relative, sorted (hidden ones included). */
function tree(dir: string): string[] {
  const out: string[] = [];
  const visit = (d: string, rel: string) => {
    for (const n of readdirSync(d, { withFileTypes: true })) {
      if (n.isDirectory()) visit(join(d, n.name), rel + n.name + "/");
      else out.push(rel + n.name);
    }
  };
  visit(dir, "");
  return out.sort();
}

describe("program", () => {
  test("--help lists the commands and the exit codes; exit 0", async () => {
    const r = await cli(["--help"]);
    expect(r.code).toBe(EXIT.OK);
    for (const c of ["validate", "translate", "meshes", "schema"]) expect(r.stdout).toContain(c);
    for (const [code, text] of EXIT_TABLE) expect(r.stdout).toContain(`${String(code).padEnd(3)} ${text}`);
  });

  test("--version prints the package version", async () => {
    const r = await cli(["--version"]);
    expect(r.code).toBe(EXIT.OK);
    expect(r.stdout.trim()).toBe(VERSION);
    expect(VERSION).toBe(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version);
  });

  test("translate --help documents every flag", async () => {
    const r = await cli(["translate", "--help"]);
    expect(r.code).toBe(EXIT.OK);
    for (const f of ["--mesh", "--adapter", "--output-dir", "--output", "--diagnostics", "--allow", "--policy-set", "--set", "--strict", "--quiet"])
      expect(r.stdout).toContain(f);
    // The spellings of unimesh 0.1 are not advertised (they are refused with a hint).
    expect(r.stdout).not.toMatch(/--out\b|--format/);
  });

  test.each([
    [["frobnicate"], "unknown command"],
    [["validate", "--frobnicate", "x.yaml"], "unknown option"],
    [["validate"], "missing required argument"],
    [
      ["translate", "x.yaml", "--mesh", "fake", "-o", "toml"],
      '-o/--output selects the manifest format: yaml or json, as kubectl\'s -o (got "toml"); to write one file per object into toml, use --output-dir toml',
    ],
    [["validate", "x.yaml", "--output", "xml"], "Allowed choices are text, json"],
    [[], "Usage: unimesh"],
  ])("usage error %j → exit 2, nothing on stdout", async (argv, message) => {
    const r = await cli(argv);
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(message);
  });
});

describe("validate", () => {
  test("a valid example: exit 0, nothing on stdout, a summary on stderr", async () => {
    const r = await cli(["validate", "examples/bookinfo"]);
    expect(r).toMatchObject({ code: EXIT.OK, stdout: "" });
    expect(r.stderr).toMatch(/^unimesh validate: 4 files, \d+ policies, \d+ MeshServices: valid\n$/);
  });

  test("an invalid document: exit 1, the diagnostic with the path as given, nothing on stdout", async () => {
    const dir = scratch({ "bad.yaml": DOCS.invalid });
    const r = await cli(["validate", "bad.yaml"], { cwd: dir });
    expect(r.code).toBe(EXIT.INVALID);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("bad.yaml:6:");
    expect(r.stderr).toMatch(/^bad\.yaml:6:\d+ \[0\]#\/spec\/retries\/attempts: error schema\/maximum: .* \[TrafficPolicy\/shop\/bad\]$/m);
    expect(r.stderr).toContain("invalid (1 error)");
    expect(r.stderr).not.toMatch(STACK);
  });

  test("directories are read recursively (hidden entries skipped); paths shown as given", async () => {
    const dir = scratch({
      "tree/a/one.yaml": DOCS.policy("one"),
      "tree/a/b/two.yml": DOCS.policy("two"),
      "tree/.hidden/bad.yaml": DOCS.invalid,
      "tree/notes.txt": "not yaml",
      "tree/c/bad.json": JSON.stringify({ apiVersion: "unimesh.io/v1alpha1", kind: "TrafficPolicy", metadata: { name: "x" }, spec: {} }),
    });
    const r = await cli(["validate", "./tree", "--output", "json"], { cwd: dir });
    expect(r.code).toBe(EXIT.INVALID);
    const rep = JSON.parse(r.stdout);
    expect(rep.status.map((s: any) => [s.policy, s.state])).toEqual([
      ["TrafficPolicy/default/x", "rejected"],
      ["TrafficPolicy/shop/one", "accepted"],
      ["TrafficPolicy/shop/two", "accepted"],
    ]);
    expect(new Set(rep.diagnostics.map((d: any) => d.file))).toEqual(new Set(["tree/c/bad.json"]));
  });

  test("- reads standard input (once), named - in diagnostics", async () => {
    const ok = await cli(["validate", "-", "-"], { stdin: DOCS.policy() });
    expect(ok.code).toBe(EXIT.OK);
    expect(ok.stderr).toContain("1 file, 1 policy");
    const bad = await cli(["validate", "-"], { stdin: DOCS.invalid });
    expect(bad.code).toBe(EXIT.INVALID);
    expect(bad.stderr).toMatch(/^-:6:\d+ \[0\]#\/spec\/retries\/attempts: error/m);
  });

  test("a missing path: exit 1 input/unreadable, path as given", async () => {
    const r = await cli(["validate", "nope/x.yaml"], { cwd: scratch() });
    expect(r.code).toBe(EXIT.INVALID);
    expect(r.stderr).toContain("nope/x.yaml: error input/unreadable: cannot read: no such file or directory");
    expect(r.stderr).not.toContain("no-documents");
  });

  test("warnings are printed but exit 0; --strict makes them errors", async () => {
    const dir = scratch({ "p.yaml": DOCS.policy() + "---\n" + DOCS.foreign });
    const r = await cli(["validate", "p.yaml"], { cwd: dir });
    expect(r.code).toBe(EXIT.OK);
    expect(r.stderr).toMatch(/p\.yaml:\d+:\d+ \[1\]#\/apiVersion: warning input\/foreign-document/);
    const s = await cli(["validate", "p.yaml", "--strict"], { cwd: dir });
    expect(s.code).toBe(EXIT.INVALID);
    expect(s.stderr).toMatch(/error input\/foreign-document/);
  });

  test("--output json: one JSON object on stdout {ok, diagnostics, status}, nothing on stderr", async () => {
    const dir = scratch({ "p.yaml": DOCS.invalid + "---\n" + DOCS.policy() });
    const r = await cli(["validate", "p.yaml", "--output", "json"], { cwd: dir });
    expect(r.code).toBe(EXIT.INVALID);
    expect(r.stderr).toBe("");
    expect(r.stdout.trimEnd().split("\n")).toHaveLength(1);
    const rep = JSON.parse(r.stdout);
    expect(Object.keys(rep)).toEqual(["ok", "diagnostics", "status"]);
    expect(rep.ok).toBe(false);
    expect(rep.diagnostics).toEqual([
      expect.objectContaining({
        code: "schema/maximum",
        severity: "error",
        file: "p.yaml",
        documentIndex: 0,
        pointer: "/spec/retries/attempts",
        line: 6,
        policy: "TrafficPolicy/shop/bad",
      }),
    ]);
    expect(rep.status).toEqual([
      { policy: "TrafficPolicy/shop/bad", state: "rejected", reasons: ["schema/maximum"] },
      { policy: "TrafficPolicy/shop/reviews", state: "accepted", reasons: [] },
    ]);
  });
});

describe("translate", () => {
  const input = () => scratch({ "in/reviews.yaml": DOCS.policy() + "---\n" + DOCS.policy("cart") });

  test("YAML on stdout, exit 0, nothing on stderr", async () => {
    const r = await cli(["translate", "in", "--mesh", "fake"], { cwd: input() });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(EXIT.OK);
    const docs = yaml.loadAll(r.stdout) as any[];
    expect(docs).toHaveLength(3);
    expect(docs.find((d) => d.kind === "ConfigMap").data.version).toBe("1.1");
    expect(docs.every((d) => d.metadata.labels["unimesh.io/policy-set"] === "default")).toBe(true);
  });

  test("output is deterministic and sorted (apiVersion, kind, namespace, name)", async () => {
    const dir = input();
    const a = await cli(["translate", "in", "--mesh", "fake"], { cwd: dir });
    const b = await cli(["translate", "in/reviews.yaml", "--mesh", "fake"], { cwd: dir });
    expect(a.stdout).toBe(b.stdout);
    const ids = (yaml.loadAll(a.stdout) as any[]).map((d) => `${d.apiVersion} ${d.kind} ${d.metadata.name}`);
    expect(ids).toEqual(["fake.example.com/v1 FakeMesh fake", "v1 ConfigMap cart-routes", "v1 ConfigMap reviews-routes"]);
  });

  test("--format json prints a v1 List", async () => {
    const r = await cli(["translate", "in", "--mesh", "fake", "-o", "json"], { cwd: input() });
    expect(r.code).toBe(EXIT.OK);
    const list = JSON.parse(r.stdout);
    expect(list).toMatchObject({ apiVersion: "v1", kind: "List" });
    expect(list.items).toHaveLength(3);
  });

  test("-o yaml is the default; -o json as kubectl", async () => {
    const dir = input();
    const a = await cli(["translate", "in", "--mesh", "fake", "-o", "yaml"], { cwd: dir });
    expect(a.code).toBe(EXIT.OK);
    expect(a.stdout).toBe((await cli(["translate", "in", "--mesh", "fake"], { cwd: dir })).stdout);
    expect(JSON.parse((await cli(["translate", "in", "--mesh", "fake", "--output", "json"], { cwd: dir })).stdout).kind).toBe("List");
  });

  test.each([
    [
      ["-o", "json-out"],
      '-o/--output selects the manifest format: yaml or json, as kubectl\'s -o (got "json-out"); to write one file per object into json-out, use --output-dir json-out',
    ],
    [["-o", "out/"], "to write one file per object into out/, use --output-dir out/"],
    [["-o", "-"], "manifests go to stdout unless --output-dir DIR"],
    [["-o", "text"], "diagnostics are text unless --diagnostics json"],
    [["--out", "out"], "--out was renamed: --output-dir out (-o/--output now selects the manifest format, as in kubectl: -o yaml|json)"],
    [["--format", "json"], "-f/--format was renamed -o/--output, as in kubectl: -o json"],
    [["-f", "yaml"], "-f/--format was renamed -o/--output, as in kubectl: -o yaml"],
  ])("the flags of unimesh 0.1 %j: exit 2 saying what to write now, no directory created", async (flags, message) => {
    const dir = input();
    const r = await cli(["translate", "in", "--mesh", "fake", ...flags], { cwd: dir });
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.stderr).toMatch(/^unimesh: [^\n]+\n$/);
    expect(r.stderr).toContain(message);
    expect(r.stdout).toBe("");
    expect(tree(dir).filter((f) => !f.startsWith("in/"))).toEqual([]);
  });

  test("stdin -", async () => {
    const r = await cli(["translate", "-", "--mesh", "fake"], { stdin: DOCS.policy() });
    expect(r.code).toBe(EXIT.OK);
    expect(r.stdout).toContain("reviews-routes");
  });

  test("--mesh NAME@VERSION, patch versions and latest", async () => {
    const dir = input();
    for (const [mesh, version] of [
      ["fake@1.0", "1.0"],
      ["fake@1.0.7", "1.0"],
      ["fake@v1.0", "1.0"],
      ["fake@latest", "1.1"],
      ["FAKE", "1.1"],
    ]) {
      const r = await cli(["translate", "in", "--mesh", mesh, "-o", "json"], { cwd: dir });
      expect(r.code, mesh).toBe(EXIT.OK);
      expect(JSON.parse(r.stdout).items[1].data.version).toBe(version);
    }
  });

  test("unknown mesh → exit 2 listing the known ones; input not even read", async () => {
    const r = await cli(["translate", "does-not-exist.yaml", "--mesh", "consul"]);
    expect(r).toMatchObject({ code: EXIT.USAGE, stdout: "" });
    expect(r.stderr).toMatch(/^unimesh: --mesh consul: unknown mesh "consul"; known meshes: .*fake/);
  });

  test("unsupported version → exit 2 listing the supported versions", async () => {
    const r = await cli(["translate", "in", "--mesh", "fake@2.0"], { cwd: input() });
    expect(r).toMatchObject({ code: EXIT.USAGE, stdout: "" });
    expect(r.stderr).toBe("unimesh: fake 2.0 is not supported; supported versions: 1.0, 1.1\n");
  });

  test.each([
    [[], "missing --mesh NAME[@VERSION]"],
    [["--mesh", "fake@"], "expected NAME, NAME@VERSION or auto"],
    [["--mesh", "@1.0"], "a version alone needs --adapter"],
    [["--mesh", "fake", "--set", "novalue"], "--set novalue: expected key=value"],
    [["--mesh", "fake", "--allow", "nonsense"], 'fake has no approximation "nonsense"; it has: loose-mirror'],
    [["--mesh", "fake", "--policy-set", "Not_A_Label"], 'policy set "Not_A_Label" must be a DNS-1123 label'],
  ])("usage error %j → exit 2, one line, no stdout", async (flags, message) => {
    const r = await cli(["translate", "in", ...flags], { cwd: input() });
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(message);
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
  });

  test("a validation error → exit 1, nothing on stdout", async () => {
    const dir = scratch({ "p.yaml": DOCS.policy() + "---\n" + DOCS.invalid });
    const r = await cli(["translate", "p.yaml", "--mesh", "fake"], { cwd: dir });
    expect(r.code).toBe(EXIT.INVALID);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^p\.yaml:\d+:\d+ \[1\]#\/spec\/retries\/attempts: error schema\/maximum/);
  });

  test("untranslatable policy → exit 1, nothing on stdout, the adapter's diagnostic", async () => {
    const dir = scratch({ "p.yaml": DOCS.policy() + "---\n" + DOCS.faulty });
    const r = await cli(["translate", "p.yaml", "--mesh", "fake@1.0"], { cwd: dir });
    expect(r.code).toBe(EXIT.INVALID);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      "p.yaml:11:1 [1]#/spec: error adapter/unsupported-feature: fake cannot inject faults [TrafficPolicy/shop/chaos] (fake@1.0)\n" +
        "unimesh translate: fake@1.0: cannot translate: nothing written (1 error)\n",
    );
  });

  test("adapter warnings: printed, exit 0; --strict → exit 1 and no output; --allow accepts the approximation", async () => {
    const dir = scratch({ "p.yaml": DOCS.mirrored });
    const w = await cli(["translate", "p.yaml", "--mesh", "fake"], { cwd: dir });
    expect(w.code).toBe(EXIT.OK);
    expect(w.stdout).toContain("cart-routes");
    expect(w.stderr).toMatch(/warning adapter\/approximation: fake mirrors every request/);
    const s = await cli(["translate", "p.yaml", "--mesh", "fake", "--strict"], { cwd: dir });
    expect(s).toMatchObject({ code: EXIT.INVALID, stdout: "" });
    expect(s.stderr).toMatch(/error adapter\/approximation/);
    const a = await cli(["translate", "p.yaml", "--mesh", "fake", "--strict", "--allow", "loose-mirror"], { cwd: dir });
    expect(a).toMatchObject({ code: EXIT.OK, stderr: "" });
  });

  test("--strict also promotes validation warnings", async () => {
    const dir = scratch({ "p.yaml": DOCS.policy() + "---\n" + DOCS.foreign });
    expect((await cli(["translate", "p.yaml", "--mesh", "fake"], { cwd: dir })).code).toBe(EXIT.OK);
    const s = await cli(["translate", "p.yaml", "--mesh", "fake", "--strict"], { cwd: dir });
    expect(s).toMatchObject({ code: EXIT.INVALID, stdout: "" });
  });

  test("--set and --policy-set reach the adapter and the labels", async () => {
    const r = await cli(["translate", "in", "--mesh", "fake", "--set", "meshName=bookinfo", "--policy-set", "team-a", "-o", "json"], { cwd: input() });
    expect(r.code).toBe(EXIT.OK);
    const items = JSON.parse(r.stdout).items;
    expect(items[0]).toMatchObject({ kind: "FakeMesh", metadata: { name: "bookinfo", labels: { "unimesh.io/policy-set": "team-a" } } });
  });

  test("--set of a key the adapter does not declare → exit 2 naming the known ones, for shipped and third-party adapters", async () => {
    for (const mesh of [
      ["--mesh", "fake"],
      ["--adapter", fixture("adapter.mjs")],
      ["--mesh", "istio"],
      ["--mesh", "linkerd"],
      ["--mesh", "appmesh"],
      ["--mesh", "builtin"],
    ]) {
      const r = await cli(["translate", "in", ...mesh, "--set", "meshname=x"], { cwd: input() });
      expect(r).toMatchObject({ code: EXIT.USAGE, stdout: "" });
      expect(r.stderr).toMatch(/has no setting "meshname"; its settings are: trustDomain/);
    }
  });

  test("--set trustDomain: every adapter; a value that is not a SPIFFE trust domain → exit 2", async () => {
    const r = await cli(["translate", "in", "--mesh", "fake", "--set", "trustDomain=prod.example.com"], { cwd: input() });
    expect(r.code).toBe(EXIT.OK);
    const bad = await cli(["translate", "in", "--mesh", "fake", "--set", "trustDomain=Prod/Example"], { cwd: input() });
    expect(bad).toMatchObject({ code: EXIT.USAGE, stdout: "" });
    expect(bad.stderr).toContain('trustDomain "Prod/Example" is not a SPIFFE trust domain');
  });

  test("an adapter that throws → exit 70 with a please-report message, nothing on stdout", async () => {
    const r = await cli(["translate", "in", "--mesh", "fake", "--set", "explode=1"], { cwd: input() });
    expect(r.code).toBe(EXIT.INTERNAL);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("unimesh: internal error: adapter fake@1.1 failed: Error: boom");
    expect(r.stderr).toContain("please report");
  });

  test("output that cannot be serialized → exit 70, nothing on stdout", async () => {
    const r = await cli(["translate", "in", "--mesh", "fake", "--set", "bigint=1"], { cwd: input() });
    expect(r).toMatchObject({ code: EXIT.INTERNAL, stdout: "" });
    expect(r.stderr).toContain("cannot serialize");
  });

  test("--output json: {ok, mesh, diagnostics, status} on stderr, on success and failure", async () => {
    const dir = scratch({ "p.yaml": DOCS.mirrored + "---\n" + DOCS.faulty });
    const bad = await cli(["translate", "p.yaml", "--mesh", "fake", "--diagnostics", "json"], { cwd: dir });
    expect(bad).toMatchObject({ code: EXIT.INVALID, stdout: "" });
    const rep = JSON.parse(bad.stderr);
    expect(rep).toMatchObject({ ok: false, mesh: "fake@1.1" });
    expect(rep.diagnostics.map((d: any) => [codeFamily(d.code), d.severity, d.adapter, d.feature])).toEqual([
      ["adapter/approximation", "warning", "fake@1.1", "mirror"],
      ["adapter/unsupported-feature", "error", "fake@1.1", "faultInjection"],
    ]);
    expect(rep.status).toEqual([
      { policy: "TrafficPolicy/shop/chaos", state: "rejected", reasons: ["adapter/unsupported-feature"] },
      { policy: "TrafficPolicy/shop/shadow", state: "accepted-with-warnings", reasons: ["adapter/approximation"] },
    ]);
    const ok = await cli(["translate", "in", "--mesh", "fake", "--diagnostics", "json"], { cwd: input() });
    expect(ok.code).toBe(EXIT.OK);
    expect(JSON.parse(ok.stderr)).toEqual({
      ok: true,
      mesh: "fake@1.1",
      diagnostics: [],
      status: [
        { policy: "TrafficPolicy/shop/cart", state: "accepted", reasons: [] },
        { policy: "TrafficPolicy/shop/reviews", state: "accepted", reasons: [] },
      ],
    });
  });
});

describe("translate --adapter", () => {
  const input = () => scratch({ "p.yaml": DOCS.policy() });

  test("a file path relative to the working directory (default export or `adapter`)", async () => {
    const r = await cli(["translate", "-", "--adapter", "./test/cli/fixtures/adapter.mjs"], { stdin: DOCS.policy() });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(EXIT.OK);
    expect(r.stdout).toContain("reviews-routes");
    const abs = await cli(["translate", "p.yaml", "--adapter", fixture("adapter.mjs"), "--mesh", "@1.0", "-o", "json"], { cwd: input() });
    expect(abs.code).toBe(EXIT.OK);
    expect(JSON.parse(abs.stdout).items[1].data.version).toBe("1.0");
  });

  test.each([
    [["--adapter", "./missing.mjs"], /^unimesh: --adapter \.\/missing\.mjs: no such file \(.*missing\.mjs\)$/],
    [["--adapter", fixture("not-an-adapter.mjs")], /the module exports no adapter; expected a default export or a named export `adapter`/],
    [["--adapter", fixture("throws-on-import.mjs")], /cannot load it: cannot initialise this adapter$/],
    [["--adapter", "unimesh-adapter-that-does-not-exist"], /cannot load it: package not found/],
    [["--adapter", fixture("adapter.mjs"), "--mesh", "istio@1.30"], /does not match the adapter loaded with --adapter .* \(its name is "fake"\)/],
    [["--adapter", fixture("adapter.mjs"), "--mesh", "@9"], /fake 9 is not supported; supported versions: 1\.0, 1\.1/],
  ])("%j → exit 2", async (flags, message) => {
    const r = await cli(["translate", "p.yaml", ...flags], { cwd: input() });
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.stdout).toBe("");
    expect(r.stderr.trimEnd()).toMatch(message);
    expect(r.stderr).not.toMatch(STACK);
  });

  test("a third-party adapter that throws → exit 70 blaming that adapter", async () => {
    const r = await cli(["translate", "p.yaml", "--adapter", fixture("adapter.mjs"), "--set", "explode=1"], { cwd: input() });
    expect(r.code).toBe(EXIT.INTERNAL);
    expect(r.stderr).toMatch(
      /^unimesh: the adapter loaded with --adapter .*adapter\.mjs failed \(a bug in that adapter\): adapter fake@1\.1 failed: Error: boom/,
    );
    expect(r.stderr).not.toContain("bug in unimesh");
  });
});

describe("translate --mesh auto", () => {
  const run = (files: Record<string, string>, extra: string[] = []) =>
    cli(["translate", ".", "--mesh", "auto", "-o", "json", ...extra], { cwd: scratch(files) });

  test("picks the adapter and version from the ClusterInfo", async () => {
    const r = await run({ "p.yaml": DOCS.policy(), "cluster.yaml": DOCS.cluster([{ name: "fake", version: "1.0.3" }]) });
    expect(r.code).toBe(EXIT.OK);
    expect(JSON.parse(r.stdout).items[1].data.version).toBe("1.0");
    expect(r.stderr).toBe("unimesh translate: --mesh auto: fake@1.0 (fake 1.0.3, ClusterInfo/default/prod in cluster.yaml)\n");
  });

  test("several ClusterInfos agreeing is fine", async () => {
    const r = await run(
      {
        "p.yaml": DOCS.policy(),
        "a.yaml": DOCS.cluster([{ name: "fake", version: "1.1.0" }], "a"),
        "b.yaml": DOCS.cluster([{ name: "fake", version: "v1.1.4" }], "b"),
      },
      ["--diagnostics", "json"],
    );
    expect(r.code).toBe(EXIT.OK);
    expect(JSON.parse(r.stderr).mesh).toBe("fake@1.1");
  });

  test.each([
    [{ "p.yaml": DOCS.policy() }, "--mesh auto needs a ClusterInfo document in the inputs"],
    [{ "p.yaml": DOCS.policy(), "c.yaml": DOCS.cluster([]) }, "lists no installed mesh"],
    [
      {
        "p.yaml": DOCS.policy(),
        "c.yaml": DOCS.cluster([
          { name: "fake", version: "1.1.0" },
          { name: "linkerd", version: "edge-26.8.3" },
        ]),
      },
      "the inputs describe several meshes: fake 1.1.0 (ClusterInfo/default/prod in c.yaml), linkerd edge-26.8.3",
    ],
    [
      {
        "p.yaml": DOCS.policy(),
        "a.yaml": DOCS.cluster([{ name: "fake", version: "1.0.1" }], "a"),
        "b.yaml": DOCS.cluster([{ name: "fake", version: "1.1.0" }], "b"),
      },
      "several fake versions",
    ],
    [
      { "p.yaml": DOCS.policy(), "c.yaml": DOCS.cluster([{ name: "fake", version: "3.0.0" }]) },
      "the cluster runs fake 3.0.0 (ClusterInfo/default/prod in c.yaml), which unimesh cannot target: fake 3.0 is not supported; supported versions: 1.0, 1.1",
    ],
    [{ "p.yaml": DOCS.policy(), "c.yaml": DOCS.cluster([{ name: "consul", version: "1.20.0" }]) }, 'unknown mesh "consul"'],
    [{ "p.yaml": DOCS.policy(), "c.yaml": DOCS.cluster([{ name: "fake", version: "nightly" }]) }, 'cannot tell which fake version "nightly" is'],
  ])("%# → exit 2 explaining", async (files, message) => {
    const r = await run(files);
    expect(r).toMatchObject({ code: EXIT.USAGE, stdout: "" });
    expect(r.stderr).toContain(message);
  });

  test("with --adapter: the ClusterInfo must name that adapter's mesh", async () => {
    const files = { "p.yaml": DOCS.policy(), "c.yaml": DOCS.cluster([{ name: "fake", version: "1.0.0" }]) };
    expect((await run(files, ["--adapter", fixture("adapter.mjs")])).code).toBe(EXIT.OK);
    const other = await run({ ...files, "c.yaml": DOCS.cluster([{ name: "istio", version: "1.30.0" }]) }, ["--adapter", fixture("adapter.mjs")]);
    expect(other.code).toBe(EXIT.USAGE);
    expect(other.stderr).toContain('translates for "fake"');
  });
});

describe("translate --output-dir DIR", () => {
  const input = (extra = "") => scratch({ "in/p.yaml": DOCS.policy() + "---\n" + DOCS.policy("cart") + extra });

  test("one file per object under <namespace|_cluster>/<kind>-<name>.yaml, plus the marker", async () => {
    const dir = input();
    const r = await cli(["translate", "in", "--mesh", "fake", "--output-dir", "out/fake"], { cwd: dir });
    expect(r.code).toBe(EXIT.OK);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe("unimesh translate: wrote 3 objects for fake@1.1 to out/fake\n");
    expect(tree(join(dir, "out/fake"))).toEqual([
      OUTPUT_MARKER,
      "_cluster/fakemesh-fake.yaml",
      "shop/configmap-cart-routes.yaml",
      "shop/configmap-reviews-routes.yaml",
    ]);
    const cm = yaml.load(readFileSync(join(dir, "out/fake/shop/configmap-cart-routes.yaml"), "utf8")) as any;
    expect(cm).toMatchObject({ kind: "ConfigMap", metadata: { name: "cart-routes", namespace: "shop" } });
    // The files hold exactly what stdout would.
    const stdout = (await cli(["translate", "in", "--mesh", "fake"], { cwd: dir })).stdout;
    const files = tree(join(dir, "out/fake"))
      .filter((f) => f !== OUTPUT_MARKER)
      .map((f) => readFileSync(join(dir, "out/fake", f), "utf8"));
    expect(new Set(files.map((f) => "---\n" + f))).toEqual(new Set(stdout.split(/(?=^---$)/m)));
  });

  test("--format json writes .json files", async () => {
    const dir = input();
    expect((await cli(["translate", "in", "--mesh", "fake", "--output-dir", "out", "-o", "json"], { cwd: dir })).code).toBe(EXIT.OK);
    expect(tree(join(dir, "out"))).toEqual([
      OUTPUT_MARKER,
      "_cluster/fakemesh-fake.json",
      "shop/configmap-cart-routes.json",
      "shop/configmap-reviews-routes.json",
    ]);
    expect(JSON.parse(readFileSync(join(dir, "out/shop/configmap-cart-routes.json"), "utf8")).kind).toBe("ConfigMap");
  });

  test("the same kind and name in two API groups get group-qualified names", async () => {
    const dir = scratch({ "p.yaml": DOCS.policy() });
    expect((await cli(["translate", "p.yaml", "--mesh", "fake", "--output-dir", "out", "--set", "dupKind=1"], { cwd: dir })).code).toBe(EXIT.OK);
    expect(tree(join(dir, "out"))).toEqual([
      OUTPUT_MARKER,
      "_cluster/fakemesh-fake.yaml",
      "shop/configmap.core-reviews-routes.yaml",
      "shop/configmap.other.example.com-reviews-routes.yaml",
    ]);
  });

  test("a directory written by unimesh is replaced as a whole (no stale files)", async () => {
    const dir = input();
    expect((await cli(["translate", "in", "--mesh", "fake", "--output-dir", "out"], { cwd: dir })).code).toBe(EXIT.OK);
    writeFileSync(join(dir, "in/p.yaml"), DOCS.policy("solo"));
    expect((await cli(["translate", "in", "--mesh", "fake", "--output-dir", "out"], { cwd: dir })).code).toBe(EXIT.OK);
    expect(tree(join(dir, "out"))).toEqual([OUTPUT_MARKER, "_cluster/fakemesh-fake.yaml", "shop/configmap-solo-routes.yaml"]);
    expect(readdirSync(dir).sort()).toEqual(["in", "out"]);
  });

  test("an empty directory is used", async () => {
    const dir = input();
    mkdirSync(join(dir, "out"));
    expect((await cli(["translate", "in", "--mesh", "fake", "--output-dir", "out"], { cwd: dir })).code).toBe(EXIT.OK);
    expect(tree(join(dir, "out"))).toContain(OUTPUT_MARKER);
  });

  test("refuses a directory unimesh did not write (exit 2, files untouched)", async () => {
    const dir = input();
    mkdirSync(join(dir, "mine"));
    writeFileSync(join(dir, "mine/precious.txt"), "keep me");
    const r = await cli(["translate", "in", "--mesh", "fake", "--output-dir", "mine"], { cwd: dir });
    expect(r).toMatchObject({ code: EXIT.USAGE, stdout: "" });
    expect(r.stderr).toBe(
      `unimesh: --output-dir mine: the directory exists and was not written by unimesh (it has no ${OUTPUT_MARKER} file); refusing to replace it (remove it or choose another directory)\n`,
    );
    expect(tree(join(dir, "mine"))).toEqual(["precious.txt"]);
    expect(readdirSync(dir).sort()).toEqual(["in", "mine"]);
  });

  test.each([
    ["a file", "p.yaml"],
    ["the working directory", "."],
    ["a parent of it", ".."],
  ])("refuses %s as -o (exit 2, nothing touched)", async (_what, out) => {
    const dir = input();
    const before = tree(dir);
    const r = await cli(["translate", ".", "--mesh", "fake", "--output-dir", out], { cwd: join(dir, "in") });
    expect(r).toMatchObject({ code: EXIT.USAGE, stdout: "" });
    expect(tree(dir)).toEqual(before);
    expect(readdirSync(dir)).toEqual(["in"]);
  });

  test("invalid or untranslatable input → exit 1 and no output directory", async () => {
    for (const extra of ["---\n" + DOCS.invalid, "---\n" + DOCS.faulty]) {
      const dir = input(extra);
      const r = await cli(["translate", "in", "--mesh", "fake", "--output-dir", "out/deep"], { cwd: dir });
      expect(r.code).toBe(EXIT.INVALID);
      expect(readdirSync(dir)).toEqual(["in"]);
    }
  });

  test("a previous output survives a failed run untouched", async () => {
    const dir = input();
    expect((await cli(["translate", "in", "--mesh", "fake", "--output-dir", "out"], { cwd: dir })).code).toBe(EXIT.OK);
    const before = tree(join(dir, "out"));
    const content = readFileSync(join(dir, "out/shop/configmap-cart-routes.yaml"), "utf8");
    writeFileSync(join(dir, "in/p.yaml"), DOCS.faulty);
    expect((await cli(["translate", "in", "--mesh", "fake", "--output-dir", "out"], { cwd: dir })).code).toBe(EXIT.INVALID);
    writeFileSync(join(dir, "in/p.yaml"), DOCS.policy("other"));
    expect((await cli(["translate", "in", "--mesh", "fake", "--output-dir", "out", "--set", "bigint=1"], { cwd: dir })).code).toBe(EXIT.INTERNAL);
    expect(readFileSync(join(dir, "out/shop/configmap-cart-routes.yaml"), "utf8")).toBe(content);
    expect(tree(join(dir, "out"))).toEqual(before);
    expect(readdirSync(dir).sort()).toEqual(["in", "out"]);
  });

  test("unserializable output → exit 70, nothing written, no temp dir left", async () => {
    const dir = input();
    const r = await cli(["translate", "in", "--mesh", "fake", "--output-dir", "out/x", "--set", "bigint=1"], { cwd: dir });
    expect(r.code).toBe(EXIT.INTERNAL);
    expect(readdirSync(dir)).toEqual(["in"]);
  });

  test("an unwritable location → exit 73, nothing left behind (created parents removed)", async () => {
    const dir = input();
    writeFileSync(join(dir, "blocker"), "a file where a directory is needed");
    const r = await cli(["translate", "in", "--mesh", "fake", "--output-dir", "blocker/out"], { cwd: dir });
    expect(r).toMatchObject({ code: EXIT.OUTPUT, stdout: "" });
    expect(r.stderr).toMatch(/^unimesh: --output-dir blocker\/out: cannot write the output: .*; nothing was written\n$/);
    expect(readdirSync(dir).sort()).toEqual(["blocker", "in"]);
  });
});

describe("meshes", () => {
  test("lists adapters with versions, profiles and approximations, then the matrix", async () => {
    const r = await cli(["meshes"]);
    expect(r.code).toBe(EXIT.OK);
    expect(r.stdout).toContain("versions: 1.0, 1.1 (default 1.1)");
    expect(r.stdout).toContain("--allow loose-mirror: mirrors every request instead of a percentage");
    expect(r.stdout).toMatch(/^\| Feature \|.* fake 1\.0 \| fake 1\.1 \|$/m);
    expect(r.stdout).toMatch(/^\| `faultInjection` Fault injection \(delay, abort\) \|.* ❌ \[\d+\] \| ❌ \[\d+\] \|$/m);
    expect(r.stdout).toContain("- [1] ");
  });

  test("--output json: adapters with capabilities per version, features, matrix", async () => {
    const r = await cli(["meshes", "--output", "json"]);
    expect(r.code).toBe(EXIT.OK);
    const data = JSON.parse(r.stdout);
    const fake = data.adapters.find((a: any) => a.name === "fake");
    expect(fake).toMatchObject({ versions: ["1.0", "1.1"], defaultVersion: "1.1", approximations: { "loose-mirror": expect.any(String) } });
    expect(fake.capabilities["1.0"].cors).toEqual({ support: "partial", note: "no percentage" });
    expect(data.features).toHaveLength(FEATURES.length);
    expect(data.features.map((f: { name: string }) => f.name)).toContain("subsetSettings");
    expect(data.matrix.columns.at(-1)).toEqual({ adapter: "fake", label: "fake 1.1", version: "1.1" });
    expect(data.matrix.rows[0].cells).toHaveLength(data.matrix.columns.length);
  });

  test("--adapter adds a third-party adapter; a bad one is exit 2", async () => {
    expect((await cli(["meshes", "--adapter", "./test/cli/fixtures/adapter.mjs", "--output", "json"])).code).toBe(EXIT.OK);
    expect((await cli(["meshes", "--adapter", "./test/cli/fixtures/not-an-adapter.mjs"])).code).toBe(EXIT.USAGE);
  });
});

describe("schema", () => {
  test("prints the model's JSON Schema", async () => {
    const r = await cli(["schema"], { cwd: scratch() });
    expect(r.code).toBe(EXIT.OK);
    const s = JSON.parse(r.stdout);
    expect(s).toEqual(JSON.parse(readFileSync(join(ROOT, "schemas/unimesh.schema.json"), "utf8")));
    expect(Object.keys(s.definitions)).toContain("TrafficPolicy");
  });

  test("--kind proxy prints the proxy schema when this build has one, else exit 2", async () => {
    const r = await cli(["schema", "--kind", "proxy"]);
    if (existsSync(join(ROOT, "schemas/proxy-config.schema.json"))) {
      expect(r.code).toBe(EXIT.OK);
      JSON.parse(r.stdout);
    } else {
      expect(r).toMatchObject({ code: EXIT.USAGE, stdout: "" });
      expect(r.stderr).toContain("no such schema");
    }
  });
});

describe.each(realAdapters.map((a) => [a.name, a] as const))("real adapter %s", (name, adapter) => {
  test("translates examples/bookinfo or reports why not (never a crash)", async () => {
    const r = await cli(["translate", "examples/bookinfo", "--mesh", name, "--diagnostics", "json"]);
    expect([EXIT.OK, EXIT.INVALID]).toContain(r.code);
    const rep = JSON.parse(r.stderr);
    expect(rep.mesh).toBe(`${name}@${adapter.defaultVersion}`);
    if (r.code === EXIT.OK) expect((yaml.loadAll(r.stdout) as any[]).length).toBeGreaterThan(0);
    else expect(r.stdout).toBe("");
  });

  test("appears in `meshes` with every version", async () => {
    const r = await cli(["meshes"]);
    expect(r.stdout).toContain(`versions: ${adapter.versions.join(", ")} (default ${adapter.defaultVersion})`);
  });

  test("its oldest version can be selected; an unknown one is exit 2", async () => {
    const r = await cli(["translate", "examples/bookinfo", "--mesh", `${name}@${adapter.versions[0]}`, "--diagnostics", "json"]);
    expect(JSON.parse(r.stderr).mesh).toBe(`${name}@${adapter.versions[0]}`);
    expect((await cli(["translate", "examples/bookinfo", "--mesh", `${name}@0.0`])).code).toBe(EXIT.USAGE);
  });
});

test.skipIf(realAdapters.length > 0)("no real adapters registered yet: the real-adapter tests above are skipped", () => {
  expect(realAdapters).toEqual([]);
});

test("a -o directory inside the inputs is not read back as input", async () => {
  const dir = scratch({ "p.yaml": DOCS.policy() });
  expect((await cli(["translate", ".", "--mesh", "fake", "--output-dir", "out", "--strict"], { cwd: dir })).code).toBe(EXIT.OK);
  const again = await cli(["translate", ".", "--mesh", "fake", "--output-dir", "out", "--strict"], { cwd: dir });
  expect(again).toMatchObject({ code: EXIT.OK });
  expect(again.stderr).not.toContain("foreign-document");
  // Named explicitly, a generated file is read (and reported as not a unimesh document).
  const named = await cli(["validate", "out/shop/configmap-reviews-routes.yaml"], { cwd: dir });
  expect(named.stderr).toContain("warning input/foreign-document");
});
