/**
 * The real `unimesh` executable (`node bin/unimesh.js`, running dist/): exit codes and streams as a
 * shell sees them, no stack traces for user errors, and `translate` never loading
 * @kubernetes/client-node. Builds dist/ first when any src/ file is newer than it.
 */
import { execFile, spawnSync } from "node:child_process";
import { promisify } from "node:util";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { BUILTIN_ADAPTERS } from "../../src/adapters/index.js";
import { DOCS, ROOT, fixture, scratch } from "./helpers.js";

const BIN = join(ROOT, "bin/unimesh.js");
const STACK = /\n\s+at .+:\d+:\d+/;

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

// Asynchronously: a worker blocked in a synchronous child process (tsc takes a minute on a loaded machine)
// cannot answer vitest's RPC, which then fails the run with "Timeout calling onTaskUpdate".
beforeAll(async () => {
  const built = join(ROOT, "dist/cli/main.js");
  if (existsSync(built) && statSync(built).mtimeMs >= newestMtime(join(ROOT, "src"))) return;
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  const r = await promisify(execFile)(process.execPath, [tsc, "-p", "tsconfig.build.json"], { cwd: ROOT, encoding: "utf8", maxBuffer: 64 << 20 }).catch(
    (e: { stdout?: string; stderr?: string }) => ({ stdout: e.stdout ?? "", stderr: e.stderr ?? "" }),
  );
  // tsc emits even with type errors elsewhere in the tree (the type-check test reports those).
  if (!existsSync(built)) throw new Error(`npm run build failed:\n${r.stdout}${r.stderr}`);
}, 240_000);

function unimesh(args: string[], opts: { cwd?: string; input?: string; env?: Record<string, string>; nodeArgs?: string[] } = {}) {
  const r = spawnSync(process.execPath, [...(opts.nodeArgs ?? []), BIN, ...args], {
    cwd: opts.cwd ?? ROOT,
    input: opts.input ?? "",
    encoding: "utf8",
    env: { ...process.env, ...opts.env },
    maxBuffer: 64 << 20,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs with the module-recording preload; returns the result and every module specifier/URL loaded. */
function recording(args: string[], nodeArgs: string[] = [], bin = true) {
  const log = join(scratch(), "loads.log");
  const env = { UNIMESH_LOAD_LOG: log };
  const pre = ["--import", fixture("record-loads.mjs")];
  const r = bin
    ? unimesh(args, { env, nodeArgs: [...pre, ...nodeArgs] })
    : (() => {
        const x = spawnSync(process.execPath, [...pre, ...nodeArgs, ...args], { cwd: ROOT, encoding: "utf8", env: { ...process.env, ...env } });
        return { code: x.status, stdout: x.stdout, stderr: x.stderr };
      })();
  return { ...r, loads: existsSync(log) ? readFileSync(log, "utf8") : "" };
}

const mesh = ["istio", "linkerd", "appmesh", "builtin"].find((n) => BUILTIN_ADAPTERS.some((a) => a.name === n));
const meshArgs = mesh ? ["--mesh", mesh] : ["--adapter", fixture("adapter.mjs")];

describe("bin/unimesh.js", () => {
  test("--help: exit 0, usage on stdout", () => {
    const r = unimesh(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Usage: unimesh");
  });

  test.each([
    ["invalid input", ["validate", "bad.yaml"], 1, /^bad\.yaml:6:\d+ \[0\]#\/spec\/retries\/attempts: error schema\/maximum/],
    ["broken YAML", ["validate", "broken.yaml"], 1, /^broken\.yaml:\d+(:\d+)? \[0\]: error yaml\/syntax/],
    ["a missing file", ["translate", "missing.yaml", ...meshArgs], 1, /^missing\.yaml: error input\/unreadable/],
    ["an unknown mesh", ["translate", "bad.yaml", "--mesh", "nope"], 2, /^unimesh: --mesh nope: unknown mesh "nope"/],
    ["an unknown option", ["translate", "bad.yaml", "--frobnicate"], 2, /^error: unknown option '--frobnicate'/],
    [
      "a bad --adapter",
      ["translate", "bad.yaml", "--adapter", fixture("throws-on-import.mjs")],
      2,
      /^unimesh: --adapter .*: cannot load it: cannot initialise this adapter/,
    ],
    [
      "a refused --output-dir",
      ["translate", "bad.yaml", ...meshArgs, "--output-dir", "."],
      2,
      /^unimesh: --output-dir \.: the output directory cannot be the current directory/,
    ],
    [
      "-o DIR of unimesh 0.1",
      ["translate", "bad.yaml", ...meshArgs, "-o", "json"],
      1,
      /^bad\.yaml:6:\d+ \[0\]#\/spec\/retries\/attempts: error schema\/maximum/,
    ],
  ])("%s: exit %#, one clear message, no stack trace, nothing on stdout", (_what, args, code, message) => {
    const cwd = scratch({ "bad.yaml": DOCS.invalid, "broken.yaml": "apiVersion: [\n" });
    const r = unimesh(args as string[], { cwd });
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(code);
    expect(r.stdout).toBe("");
    expect(r.stderr).not.toMatch(STACK);
  });

  test("stdin and a pipe on stdout", () => {
    const r = unimesh(["translate", "-", "--adapter", fixture("adapter.mjs"), "-o", "json"], { input: DOCS.policy() });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).items).toHaveLength(2);
  });

  // `head -1` reads one line and closes the pipe while unimesh is still writing: the rest has no reader.
  test.each([
    ["meshes -o json", ["meshes", "-o", "json"], "{"],
    ["translate of a big input", ["translate", "big.yaml", ...meshArgs], undefined],
  ])("%s | head -1: ends quietly (exit 0, no EPIPE, no stack trace)", (_what, args, first) => {
    // Enough documents for far more output than a pipe buffers (64 KiB).
    const big = Array.from({ length: 400 }, (_, i) => DOCS.policy(`svc-${i}`)).join("---\n");
    const cwd = scratch({ "big.yaml": big });
    const cmd = `"${process.execPath}" "${BIN}" ${args.map((a) => `'${a}'`).join(" ")} | head -1; echo "unimesh exit: \${PIPESTATUS[0]}" >&2`;
    const r = spawnSync("bash", ["-c", cmd], { cwd, encoding: "utf8" });
    expect(r.stderr).not.toMatch(/EPIPE|Error|\n\s+at /);
    expect(r.stderr).toBe("unimesh exit: 0\n");
    expect(r.stdout.split("\n")).toHaveLength(2);
    if (first) expect(r.stdout).toBe(`${first}\n`);
  });

  test("an adapter bug: exit 70 (a stack is fine here: it is for the bug report)", () => {
    const r = unimesh(["translate", "-", "--adapter", fixture("adapter.mjs"), "--set", "explode=1"], { input: DOCS.policy() });
    expect(r.code).toBe(70);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("a bug in that adapter");
  });
});

describe("module loading", () => {
  test("the recorder sees @kubernetes/client-node when it is loaded (control)", () => {
    const r = recording(["--input-type=module", "-e", "await import('@kubernetes/client-node')"], [], false);
    expect(r.code).toBe(0);
    expect(r.loads).toMatch(/@kubernetes\/client-node/);
  });

  test(`translate examples/bookinfo ${meshArgs.join(" ")} does not load @kubernetes/client-node`, () => {
    const r = recording(["translate", "examples/bookinfo", ...meshArgs]);
    expect(r.stderr).not.toMatch(STACK);
    expect([0, 1]).toContain(r.code);
    expect(r.loads).toContain("dist/cli/main.js");
    expect(r.loads).toContain("dist/cli/commands/translate.js");
    expect(r.loads).not.toMatch(/kubernetes|client-node/);
  });

  test('the library (import "unimesh") loads no Kubernetes client', () => {
    const r = recording(["--input-type=module", "-e", "const m = await import('./dist/index.js'); if (!m.translate) process.exit(3);"], [], false);
    expect(r.code).toBe(0);
    expect(r.loads).toContain("dist/index.js");
    expect(r.loads).not.toMatch(/@kubernetes\/client-node|node_modules\/@kubernetes/);
  });

  test("without the optional @kubernetes/client-node: translate works, cluster commands say how to install it (exit 3)", () => {
    const hide = ["--import", fixture("hide-client-node.mjs")];
    const t = unimesh(["translate", "examples/bookinfo", ...meshArgs], { nodeArgs: hide });
    expect(t.stderr).not.toMatch(STACK);
    expect([0, 1]).toContain(t.code);
    const kubeconfig = join(scratch({ kc: "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n" }), "kc");
    const d = unimesh(["discover", "--kubeconfig", kubeconfig], { nodeArgs: hide });
    expect(d.stderr).toBe(
      "unimesh discover: error: the cluster commands need @kubernetes/client-node, an optional dependency of unimesh that is not installed (npm install --omit=optional leaves it out): install it with npm install @kubernetes/client-node\n",
    );
    expect(d.code).toBe(3);
  });

  test("--help loads no command implementation, validator or adapter", () => {
    const r = recording(["--help"]);
    expect(r.code).toBe(0);
    expect(r.loads).toContain("dist/cli/main.js");
    expect(r.loads).not.toMatch(/dist\/api\/generated|dist\/adapters\/|dist\/cli\/inputs|js-yaml|ajv|kubernetes/);
  });
});
