/**
 * What an npm install of unimesh gets (`npm pack --dry-run`, the files of `package.json`): the licence
 * `package.json` names, in full; the examples, so that the README's quick start runs from an install;
 * `@kubernetes/client-node` as an optional dependency (only the cluster commands load it).
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { ROOT } from "./helpers.js";

const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));

/** The files `npm pack` would put in the package (no build: scripts are not run). */
function packed(): string[] {
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const r = spawnSync(npm, ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`npm pack failed: ${r.stderr}`);
  return (JSON.parse(r.stdout)[0].files as { path: string }[]).map((f) => f.path);
}

describe("the npm package", () => {
  test("LICENSE is the full Apache License 2.0 text, as package.json says", () => {
    expect(pkg.license).toBe("Apache-2.0");
    const text = readFileSync(join(ROOT, "LICENSE"), "utf8");
    expect(text).toMatch(/^\s*Apache License\s+Version 2\.0, January 2004\s+http:\/\/www\.apache\.org\/licenses\//);
    expect(text).toContain("TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION");
    for (let i = 1; i <= 9; i++) expect(text).toMatch(new RegExp(`^\\s+${i}\\. [A-Z]`, "m"));
    expect(text).toContain("END OF TERMS AND CONDITIONS");
  });

  test("holds the examples the README's quick start uses, the licence, the CLI and the schemas", () => {
    const files = new Set(packed());
    for (const f of [
      "LICENSE",
      "README.md",
      "bin/unimesh.js",
      "schemas/unimesh.schema.json",
      "schemas/proxy-config.schema.json",
      "examples/bookinfo-local/registry.yaml",
      "examples/bookinfo-local/productpage.mjs",
    ]) {
      expect(files.has(f), f).toBe(true);
    }
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    // Every examples/ path of the README's shell blocks (the commands a new user copies).
    const shell = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]).join("\n");
    const used = [...new Set([...shell.matchAll(/\b(examples\/[\w./-]+)/g)].map((m) => m[1].replace(/[/.]+$/, "")))];
    expect(used).toEqual(expect.arrayContaining(["examples/bookinfo", "examples/bookinfo-local/registry.yaml"]));
    for (const path of used)
      expect(
        [...files].some((f) => f === path || f.startsWith(`${path}/`)),
        path,
      ).toBe(true);
    expect([...files].filter((f) => f.startsWith("test/") || f.startsWith("src/"))).toEqual([]);
  });

  test("npm install warns about no install script: each one is decided in allowScripts (npm 11's install-script approvals)", () => {
    // A new user's first command is `npm install`: npm lists the dependencies whose install scripts
    // package.json does not decide. esbuild's postinstall only checks the platform binary that npm already
    // installs as an optional dependency (the build does not need it), so it is declined.
    const scripted = installedPackages(join(ROOT, "node_modules"))
      .filter((p) => ["preinstall", "install", "postinstall"].some((s) => p.scripts?.[s]))
      .map((p) => p.name);
    expect(scripted).toContain("esbuild");
    const decided = Object.keys(pkg.allowScripts ?? {}).map((k) => k.replace(/(.)@.*$/, "$1"));
    expect(scripted.filter((n) => !decided.includes(n))).toEqual([]);
  });

  test("@kubernetes/client-node is optional: library users and translate never need it", () => {
    expect(pkg.optionalDependencies?.["@kubernetes/client-node"]).toBeDefined();
    expect(pkg.dependencies?.["@kubernetes/client-node"]).toBeUndefined();
  });
});

/** Every package installed under `dir` (node_modules), nested ones included: name and scripts. */
function installedPackages(dir: string): { name: string; scripts?: Record<string, string> }[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((e) => !e.startsWith("."))
    .flatMap((e) => {
      if (e.startsWith("@")) return readdirSync(join(dir, e)).map((n) => join(dir, e, n));
      return [join(dir, e)];
    })
    .flatMap((p) => {
      const file = join(p, "package.json");
      if (!existsSync(file)) return [];
      const m = JSON.parse(readFileSync(file, "utf8"));
      return [{ name: m.name as string, scripts: m.scripts }, ...installedPackages(join(p, "node_modules"))];
    });
}
