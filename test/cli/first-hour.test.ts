/**
 * The first hour of a new user, as issue 11 found it on a fresh clone, one test per stumble (the CLI
 * in-process, with the real adapters): a ServiceRegistry among the inputs, a summary line and --quiet,
 * HTTP settings on a TCP port, a subset written by name, a destination nobody declares (a typo), several
 * meshes in one run, `unimesh version`, shell completion.
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import yaml from "js-yaml";
import { describe, expect, test } from "vitest";
import { BUILTIN_ADAPTERS } from "../../src/adapters/index.js";
import { EXIT } from "../../src/cli/exit-codes.js";
import { VERSION } from "../../src/cli/main.js";
import { cli, scratch } from "./helpers.js";

const H = "apiVersion: unimesh.io/v1alpha1\n";
const doc = (kind: string, name: string, spec: string, ns = "shop") => `${H}kind: ${kind}\nmetadata: {name: ${name}, namespace: ${ns}}\nspec:\n${spec}\n---\n`;

describe("validate examples (a ServiceRegistry among the policies)", () => {
  test("the built-in proxy's registry is not a policy: a note, exit 0, and the registry is still checked", async () => {
    // The Bookinfo examples (examples/multicluster is another scenario: a virtual mesh of its own).
    const r = await cli(["validate", "examples/bookinfo", "examples/bookinfo-local"]);
    expect(r.stderr).toContain(
      "examples/bookinfo-local/registry.yaml:7:1 [0]#/kind: info input/proxy-document: a ServiceRegistry is a document of the built-in proxy (`unimesh up --services`, `unimesh proxy --config`), not a policy: it is not translated",
    );
    expect(r.stderr).toMatch(/\nunimesh validate: \d+ files, \d+ policies, \d+ MeshServices: valid \(1 note\)\n$/);
    expect(r.code).toBe(EXIT.OK);
    const bad = scratch({
      "registry.yaml": `${H}kind: ServiceRegistry\nmetadata: {name: local}\nspec:\n  services: [{name: a, instances: [{port: eighty}]}]\n`,
      "p.yaml": doc("TrafficPolicy", "a", "  destination: {service: a}\n  timeout: 1s"),
    });
    const r2 = await cli(["validate", "."], { cwd: bad });
    expect(r2.code).toBe(EXIT.INVALID);
    expect(r2.stderr).toMatch(/registry\.yaml:\d+:\d+ \[0\]#\/spec\/services\/0\/instances\/0\/port: error schema\/type: must be integer/);
  });

  test("translate of a folder with a registry translates the policies", async () => {
    const r = await cli(["translate", "examples/bookinfo", "examples/bookinfo-local", "--mesh", "istio", "--quiet"]);
    expect(r.code).toBe(EXIT.OK);
    expect(r.stdout).toContain("kind: VirtualService");
  });
});

describe("summary line and --quiet", () => {
  const dir = () =>
    scratch({
      "p.yaml":
        doc("TrafficPolicy", "cart", "  destination: {service: cart}\n  retries: {attempts: 99}") +
        doc("AccessPolicy", "cart", "  destination: {service: cart}\n  allow: [{source: {serviceAccounts: [web]}}]"),
    });

  test("a failing translate ends with the counts; --quiet hides the notes and says so", async () => {
    const loud = await cli(["translate", "examples/bookinfo", "--mesh", "linkerd"]);
    expect(loud.code).toBe(EXIT.INVALID);
    const last = loud.stderr.trimEnd().split("\n").at(-1);
    expect(last).toMatch(/^unimesh translate: linkerd@2\.20: cannot translate: nothing written \(\d+ errors, \d+ warnings, (\d+) notes\)$/);
    const notes = Number(/(\d+) notes\)$/.exec(last!)![1]);
    expect(loud.stderr.split("\n").filter((l) => / info /.test(l))).toHaveLength(notes);
    const quiet = await cli(["translate", "examples/bookinfo", "--mesh", "linkerd", "-q"]);
    expect(quiet.stderr).not.toMatch(/ info /);
    expect(quiet.stderr.trimEnd().split("\n").at(-1)).toBe(last!.replace(`${notes} notes)`, `${notes} notes hidden by --quiet)`));
  });

  test("invalid input: the summary says nothing was translated; validate counts every severity", async () => {
    const r = await cli(["translate", ".", "--mesh", "istio"], { cwd: dir() });
    expect(r.stderr.trimEnd().split("\n").at(-1)).toBe("unimesh translate: invalid input: nothing translated (1 error)");
    const v = await cli(["validate", "."], { cwd: dir() });
    // (The invalid policy is not in the model: one policy.)
    expect(v.stderr.trimEnd().split("\n").at(-1)).toBe("unimesh validate: 1 file, 1 policy, 0 MeshServices: invalid (1 error)");
  });

  test.each([
    ["apply", "nothing applied"],
    ["diff", "nothing compared"],
  ])("%s ends like translate: the counts, and -q hides the notes (no cluster contacted)", async (cmd, nothing) => {
    const loud = await cli([cmd, "examples/bookinfo", "--mesh", "linkerd"]);
    expect(loud.code).toBe(EXIT.INVALID);
    const last = loud.stderr.trimEnd().split("\n").at(-1)!;
    expect(last).toMatch(new RegExp(`^unimesh ${cmd}: linkerd@2\\.20: cannot translate: ${nothing} \\(\\d+ errors, \\d+ warnings, (\\d+) notes\\)$`));
    const notes = Number(/(\d+) notes\)$/.exec(last)![1]);
    expect(loud.stderr.split("\n").filter((l) => / info /.test(l))).toHaveLength(notes);
    const quiet = await cli([cmd, "examples/bookinfo", "--mesh", "linkerd", "-q"]);
    expect(quiet.stderr).not.toMatch(/ info /);
    expect(quiet.stderr.trimEnd().split("\n").at(-1)).toBe(last.replace(`${notes} notes)`, `${notes} notes hidden by --quiet)`));
    const bad = await cli([cmd, ".", "--mesh", "istio"], { cwd: dir() });
    expect(bad.code).toBe(EXIT.INVALID);
    expect(bad.stderr.trimEnd().split("\n").at(-1)).toBe(`unimesh ${cmd}: invalid input: ${nothing} (1 error)`);
    // A translation that succeeds: -q leaves its notes out before the clusters are opened (none here: exit 3).
    const ok = await cli([cmd, "examples/bookinfo", "--mesh", "istio"]);
    expect(ok.code).toBe(EXIT.CLUSTER);
    expect(ok.stderr).toMatch(/ info adapter\/note(\/\S+)?: /);
    const okQuiet = await cli([cmd, "examples/bookinfo", "--mesh", "istio", "--quiet"]);
    expect(okQuiet.code).toBe(EXIT.CLUSTER);
    expect(okQuiet.stderr).not.toMatch(/ info /);
    expect(okQuiet.stderr).toContain("no kubeconfig found");
  });

  test("validate -o json: the report on stdout (as kubectl's -o), nothing on stderr", async () => {
    const r = await cli(["validate", "."], { cwd: dir() });
    const j = await cli(["validate", ".", "-o", "json"], { cwd: dir() });
    expect(j.code).toBe(r.code);
    expect(j.stderr).toBe("");
    const rep = JSON.parse(j.stdout);
    expect(rep.ok).toBe(false);
    expect(rep.diagnostics.map((d: { code: string }) => d.code)).toEqual(["schema/maximum"]);
  });

  test("a clean translate prints nothing on stderr", async () => {
    // (On Istio's default path normalization Bookinfo's deny for /admin/* gets a warning: `//admin/x`
    // keeps its double slash. A mesh set to DECODE_AND_MERGE_SLASHES leaves nothing to say.)
    const r = await cli(["translate", "examples/bookinfo", "--mesh", "istio", "--set", "pathNormalization=DECODE_AND_MERGE_SLASHES"]);
    expect(r.code).toBe(EXIT.OK);
    expect(r.stderr).toBe("");
  });
});

describe("HTTP settings on a TCP port", () => {
  const db = doc("MeshService", "db", "  ports: [{port: 5432, protocol: tcp}, {port: 8080, protocol: http}]");

  test("validate rejects a timeout and retries on a declared tcp port, as every mesh does at translate time", async () => {
    const d = scratch({ "p.yaml": db + doc("TrafficPolicy", "db", "  destination: {service: db, port: 5432}\n  timeout: 1s\n  retries: {attempts: 2}") });
    const r = await cli(["validate", "."], { cwd: d });
    expect(r.code).toBe(EXIT.INVALID);
    expect(r.stderr).toContain(
      "p.yaml:12:3 [1]#/spec/timeout: error rule/http-on-tcp: port 5432 of shop/db is declared tcp (MeshService shop/db): timeout is an HTTP setting, which no mesh applies to TCP connections; remove it, or declare the port's protocol http, http2 or grpc [TrafficPolicy/shop/db]",
    );
    expect(r.stderr).toContain("#/spec/retries: error rule/http-on-tcp");
    for (const mesh of ["istio", "linkerd", "appmesh"]) expect((await cli(["translate", ".", "--mesh", mesh], { cwd: d })).code, mesh).toBe(EXIT.INVALID);
  });

  test("fine: the same on the http port, a split on the tcp port, attempts: 0, a policy for every port when one is http", async () => {
    const d = scratch({
      "p.yaml":
        db +
        doc("TrafficPolicy", "web", "  destination: {service: db, port: 8080}\n  timeout: 1s") +
        doc(
          "TrafficPolicy",
          "tcp",
          "  destination: {service: db, port: 5432}\n  retries: {attempts: 0}\n  routes:\n    - split: [{subset: {v: a}, weight: 50}, {subset: {v: b}, weight: 50}]",
        ),
    });
    const r = await cli(["validate", "."], { cwd: d });
    expect(r.stderr).not.toContain("http-on-tcp");
    expect(r.code).toBe(EXIT.OK);
    const all = scratch({
      "p.yaml":
        doc("MeshService", "db", "  ports: [{port: 5432, protocol: tcp}]") +
        doc("TrafficPolicy", "db", "  destination: {service: db}\n  routes:\n    - match: {path: {prefix: /x}}"),
    });
    expect((await cli(["validate", "."], { cwd: all })).stderr).toContain(
      "#/spec/routes/0/match: error rule/http-on-tcp: every port of shop/db (5432) is declared tcp",
    );
  });
});

describe("a subset written by name", () => {
  const cart = doc("MeshService", "cart", "  subsets: [{name: stable, labels: {track: stable}}, {name: canary, labels: {track: canary}}]");

  test("accepted when the MeshService declares it: the same output as its labels", async () => {
    const byName = scratch({
      "p.yaml":
        cart +
        doc("TrafficPolicy", "cart", "  destination: {service: cart}\n  routes:\n    - split: [{subset: stable, weight: 90}, {subset: canary, weight: 10}]"),
    });
    const byLabels = scratch({
      "p.yaml":
        cart +
        doc(
          "TrafficPolicy",
          "cart",
          "  destination: {service: cart}\n  routes:\n    - split: [{subset: {track: stable}, weight: 90}, {subset: {track: canary}, weight: 10}]",
        ),
    });
    for (const mesh of ["istio", "linkerd", "appmesh", "builtin"]) {
      const a = await cli(["translate", ".", "--mesh", mesh, "-q"], { cwd: byName });
      const b = await cli(["translate", ".", "--mesh", mesh, "-q"], { cwd: byLabels });
      expect(a.code, `${mesh}: ${a.stderr}`).toBe(b.code);
      expect(a.stdout, mesh).toBe(b.stdout);
    }
    expect((await cli(["translate", ".", "--mesh", "istio"], { cwd: byName })).stdout).toMatch(/subset: stable[\s\S]*subset: canary/);
  });

  test("a name the MeshService does not declare, or with no MeshService: an error saying what is declared", async () => {
    const typo = scratch({ "p.yaml": cart + doc("TrafficPolicy", "cart", "  destination: {service: cart}\n  routes:\n    - split: [{subset: stabel}]") });
    const r = await cli(["validate", "."], { cwd: typo });
    expect(r.code).toBe(EXIT.INVALID);
    expect(r.stderr).toContain(
      '#/spec/routes/0/split/0/subset: error rule/unknown-subset: subset "stabel" is not declared by MeshService shop/cart; declared: stable {"track":"stable"}, canary {"track":"canary"}',
    );
    const none = scratch({ "p.yaml": doc("TrafficPolicy", "cart", "  destination: {service: cart}\n  routes:\n    - split: [{subset: stable}]") });
    const r2 = await cli(["validate", "."], { cwd: none });
    expect(r2.code).toBe(EXIT.INVALID);
    expect(r2.stderr).toContain(
      'error rule/unknown-subset: subset "stable" is a name, but no MeshService declares the subsets of shop/cart; declare it (MeshService cart: spec.subsets: [{name: stable, labels: {...}}]) or write its pod labels instead (e.g. subset: {version: stable})',
    );
  });

  test("a mirror to another service's subset by name", async () => {
    const d = scratch({
      "p.yaml":
        cart +
        doc("MeshService", "shadow", "  subsets: [{name: blue, labels: {color: blue}}]") +
        doc("TrafficPolicy", "cart", "  destination: {service: cart}\n  mirror: {service: shadow, subset: blue, percent: 5}"),
    });
    const r = await cli(["translate", ".", "--mesh", "istio", "-q"], { cwd: d });
    expect(r.code).toBe(EXIT.OK);
    expect(r.stdout).toMatch(/mirror:\n\s+host: shadow\.shop\.svc\.cluster\.local\n\s+subset: blue/);
  });
});

describe("a destination nobody declares", () => {
  test("a typo (crat for cart) is a warning naming the likely service", async () => {
    const d = scratch({
      "p.yaml":
        doc("TrafficPolicy", "cart", "  destination: {service: cart}\n  timeout: 2s") +
        doc("TrafficPolicy", "cart-retries", "  destination: {service: cart}\n  retries: {attempts: 2}\n  routes:\n    - match: {path: {prefix: /api}}") +
        doc("AccessPolicy", "cart", "  destination: {service: crat}\n  allow: [{source: {serviceAccounts: [web]}}]"),
    });
    const r = await cli(["validate", "."], { cwd: d });
    expect(r.code).toBe(EXIT.OK);
    expect(r.stderr).toContain(
      "#/spec/destination/service: warning rule/unknown-destination: no MeshService declares service crat in namespace shop and no other policy names it: did you mean cart?; if it exists, declare it with a MeshService (or `unimesh discover` it) to silence this [AccessPolicy/shop/cart]",
    );
    expect(r.stderr.match(/unknown-destination/g)).toHaveLength(1);
    expect((await cli(["validate", ".", "--strict"], { cwd: d })).code).toBe(EXIT.INVALID);
  });

  test("in a namespace whose services are described by MeshServices, any undescribed destination", async () => {
    const d = scratch({
      "p.yaml":
        doc("MeshService", "cart", "  ports: [{port: 80}]") +
        doc("AccessPolicy", "payments", "  destination: {service: payments}\n  allow: [{source: {serviceAccounts: [web]}}]"),
    });
    const r = await cli(["validate", "."], { cwd: d });
    expect(r.stderr).toContain(
      "warning rule/unknown-destination: no MeshService declares service payments in namespace shop and no other policy names it; if it exists",
    );
  });

  test("not for numbered services, services named by two policies, or examples/bookinfo", async () => {
    const numbered = scratch({
      "p.yaml": [1, 2, 10].map((i) => doc("TrafficPolicy", `svc-${i}`, `  destination: {service: svc-${i}}\n  timeout: 1s`)).join(""),
    });
    expect((await cli(["validate", "."], { cwd: numbered })).stderr).not.toContain("unknown-destination");
    expect((await cli(["validate", "examples/bookinfo"])).stderr).not.toContain("unknown-destination");
  });
});

describe("translate --mesh a,b,c / all: which meshes can run these policies", () => {
  test("a verdict per mesh and per policy on stdout, the diagnostics on stderr, exit 1 when one mesh cannot", async () => {
    const r = await cli(["translate", "examples/bookinfo", "--mesh", "istio,linkerd,appmesh@1.13", "-q"]);
    expect(r.code).toBe(EXIT.INVALID);
    const [meshes, policies] = r.stdout.split("\n\n");
    expect(meshes.split("\n")[0]).toMatch(/^mesh\s+verdict\s+objects\s+errors\s+warnings\s+notes$/);
    // istio: one warning, about its default path normalization (productpage's deny for /admin/*).
    expect(meshes).toMatch(/^istio@1\.30\s+ok\s+11\s+0\s+1\s+\d+$/m);
    expect(meshes).toMatch(/^linkerd@2\.20\s+fails\s+-\s+[1-9]\d*\s+\d+\s+\d+$/m);
    expect(meshes).toMatch(/^appmesh@1\.13\s+fails\s+-\s+[1-9]\d*/m);
    expect(policies.split("\n")[0]).toMatch(/^policy\s+istio@1\.30\s+linkerd@2\.20\s+appmesh@1\.13$/);
    expect(policies).toMatch(/^TrafficPolicy\/bookinfo\/ratings-fault-test\s+ok\s+fails\s+fails$/m);
    expect(policies).toMatch(/^MTLSPolicy\/bookinfo\/bookinfo-strict\s+ok\s+ok\s+ok$/m);
    expect(r.stderr).toContain("(linkerd@2.20)");
    expect(r.stderr.trimEnd().split("\n").at(-1)).toBe("unimesh translate: 1/3 meshes can run these policies (istio@1.30)");
  });

  test("--mesh all, -o json; exit 0 when every mesh can", async () => {
    const all = await cli(["translate", "examples/bookinfo", "--mesh", "all", "-o", "json", "-q"]);
    const j = JSON.parse(all.stdout);
    // Every shipped adapter at its default version, in registry order (a new mesh needs no line here).
    expect(j.meshes.map((m: { mesh: string }) => m.mesh)).toEqual(BUILTIN_ADAPTERS.map((a) => `${a.name}@${a.defaultVersion}`));
    expect(j.meshes.map((m: { mesh: string }) => m.mesh)).toEqual(expect.arrayContaining(["builtin@1", "istio@1.30", "linkerd@2.20", "appmesh@1.13"]));
    expect(j.ok).toBe(false);
    expect(j.policies.find((p: { policy: string }) => p.policy === "TrafficPolicy/bookinfo/reviews-canary").verdicts).toMatchObject({
      "istio@1.30": "accepted",
      "linkerd@2.20": "rejected",
    });
    const d = scratch({ "p.yaml": doc("TrafficPolicy", "cart", "  destination: {service: cart, port: 80}\n  timeout: 2s") });
    const ok = await cli(["translate", ".", "--mesh", "istio,linkerd", "-q"], { cwd: d });
    expect(ok.code).toBe(EXIT.OK);
    expect(ok.stdout).toMatch(/^TrafficPolicy\/shop\/cart\s+ok\s+ok$/m);
  });

  test.each([
    [["--mesh", "istio,consul"], 'unknown mesh "consul"'],
    [["--mesh", "istio,auto"], "auto cannot be part of a list"],
    [["--mesh", "istio,linkerd", "--output-dir", "out"], "--output-dir writes the manifests of one mesh"],
    [["--mesh", "istio,linkerd", "--set", "nosuch=1"], "--set nosuch: none of istio, linkerd has this setting"],
  ])("usage errors %j: exit 2", async (flags, message) => {
    const r = await cli(["translate", "examples/bookinfo", ...flags]);
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.stderr).toContain(message);
    expect(r.stdout).toBe("");
  });
});

describe("unimesh version and shell completion", () => {
  test("version: unimesh, Node.js and platform; -o json, -o yaml", async () => {
    const r = await cli(["version"]);
    expect(r.stdout).toBe(`unimesh ${VERSION} (Node.js ${process.version}, ${process.platform}/${process.arch})\n`);
    const info = { unimesh: VERSION, node: process.version, platform: `${process.platform}/${process.arch}` };
    expect(JSON.parse((await cli(["version", "-o", "json"])).stdout)).toEqual(info);
    expect(yaml.load((await cli(["version", "-o", "yaml"])).stdout)).toEqual(info);
  });

  test("meshes -o yaml is the data of -o json; discover takes -o yaml and says why not json", async () => {
    const j = await cli(["meshes", "-o", "json"]);
    const y = await cli(["meshes", "-o", "yaml"]);
    expect(y.code).toBe(EXIT.OK);
    expect(yaml.load(y.stdout)).toEqual(JSON.parse(j.stdout));
    // -o yaml is accepted (then no kubeconfig: exit 3); json and a directory are usage errors saying what to write.
    const d = await cli(["discover", "-o", "yaml"]);
    expect(d.code).toBe(EXIT.CLUSTER);
    expect(d.stderr).toContain("no kubeconfig found");
    const dj = await cli(["discover", "-o", "json"]);
    expect(dj.code).toBe(EXIT.USAGE);
    expect(dj.stderr).toBe(
      "unimesh: -o json: discover writes its documents (a ClusterInfo per cluster, a MeshService per Service) as YAML only, the form translate, diff and apply read back; -o yaml is the default\n",
    );
    const dd = await cli(["discover", "-o", "facts"]);
    expect(dd.code).toBe(EXIT.USAGE);
    expect(dd.stderr).toContain("to write one file per cluster into facts, use --output-dir facts");
    expect((await cli(["discover", "--out", "facts"])).stderr).toContain("use --output-dir facts");
  });

  test("bash completion completes commands, flags and their values", async () => {
    const r = await cli(["completion", "bash"]);
    expect(r.code).toBe(EXIT.OK);
    const file = join(scratch(), "unimesh.bash");
    writeFileSync(file, r.stdout);
    const complete = (...words: string[]) => {
      const script = `source ${file}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}; _unimesh; printf '%s\\n' "\${COMPREPLY[@]}"`;
      const out = spawnSync("bash", ["-c", script], { encoding: "utf8" });
      expect(out.stderr).toBe("");
      return out.stdout.trim().split("\n").filter(Boolean);
    };
    expect(complete("unimesh", "tr")).toEqual(["translate", "trust"]);
    expect(complete("unimesh", "ve")).toEqual(["version"]);
    expect(complete("unimesh", "translate", "--mes")).toEqual(["--mesh"]);
    expect(complete("unimesh", "translate", "--mem")).toEqual(["--member"]);
    expect(complete("unimesh", "translate", "--mesh", "link")).toEqual(expect.arrayContaining(["linkerd", "linkerd@2.14", "linkerd@2.20"]));
    expect(complete("unimesh", "translate", "-o", "")).toEqual(["yaml", "json"]);
    expect(complete("unimesh", "validate", "-o", "")).toEqual(["text", "json"]);
    expect(complete("unimesh", "discover", "-o", "")).toEqual(["yaml"]);
    expect(complete("unimesh", "meshes", "-o", "")).toEqual(["text", "json", "yaml"]);
    expect(complete("unimesh", "apply", "x", "-")).toEqual(expect.arrayContaining(["-q", "--quiet"]));
    expect(complete("unimesh", "apply", "x", "--dry")).toEqual(["--dry-run"]);
    expect(complete("unimesh", "translate", "--fo")).toEqual([]); // --format of unimesh 0.1 is not offered
    expect(complete("unimesh", "completion", "")).toEqual(expect.arrayContaining(["bash", "zsh", "fish"]));
  });

  test("zsh and fish scripts name every command; an unknown shell is exit 2", async () => {
    for (const shell of ["zsh", "fish"]) {
      const r = await cli(["completion", shell]);
      expect(r.code).toBe(EXIT.OK);
      for (const c of ["validate", "translate", "discover", "apply", "up", "version", "completion"]) expect(r.stdout, shell).toContain(c);
    }
    expect((await cli(["completion", "bash"])).stdout).not.toMatch(/--out\b|--format\b/);
    expect((await cli(["completion", "tcsh"])).code).toBe(EXIT.USAGE);
  });
});
