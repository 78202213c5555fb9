/**
 * `@kubernetes/client-node` is loaded only when a command talks to a cluster: registering the
 * commands, `--help`, usage errors and invalid input never load it, and only src/kube/kubeconfig.ts
 * imports it at run time (with `await import()`); other modules import its types only. (`translate`
 * itself is covered by the CLI's process test.)
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, test, vi } from "vitest";
import { run } from "../../src/cli/main.js";
import type { CliIO } from "../../src/cli/io.js";
import { policies, scratch } from "./support/harness.js";

const loads = vi.hoisted(() => ({ count: 0 }));
vi.mock("@kubernetes/client-node", async (importOriginal) => {
  loads.count++;
  return importOriginal();
});

const SRC = join(import.meta.dirname, "../../src");

async function unimesh(argv: string[], env: Record<string, string> = {}) {
  let out = "";
  const io: CliIO = {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (out += s) },
    readStdin: () => "",
    env,
    cwd: process.cwd(),
  };
  return { code: await run(argv, io), out };
}

describe("lazy loading of @kubernetes/client-node", () => {
  test("help, usage errors and invalid input of discover/diff/apply do not load it; talking to a cluster does", async () => {
    const dir = scratch({ "bad.yaml": policies("shop").replace("weight: 10", "weight: 11") });
    expect((await unimesh(["--help"])).code).toBe(0);
    for (const cmd of ["discover", "diff", "apply"]) expect((await unimesh([cmd, "--help"])).code).toBe(0);
    expect((await unimesh(["discover", "--bogus"])).code).toBe(2);
    expect((await unimesh(["apply", `${dir}/bad.yaml`])).code).toBe(2); // no --mesh
    expect((await unimesh(["diff", `${dir}/bad.yaml`, "--mesh", "auto"])).code).toBe(1);
    expect(loads.count).toBe(0);
    await unimesh(["discover"], { KUBECONFIG: join(dir, "missing") });
    expect(loads.count).toBe(1);
  });

  test("only src/kube/kubeconfig.ts imports it, dynamically; elsewhere only `import type`", () => {
    const files: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d)) {
        const p = join(d, e);
        if (statSync(p).isDirectory()) walk(p);
        else if (p.endsWith(".ts")) files.push(p);
      }
    };
    walk(SRC);
    const runtime: string[] = [];
    for (const f of files) {
      const text = readFileSync(f, "utf8");
      for (const line of text.split("\n")) {
        // Type positions (`import type ... from`, `typeof import(...)`) are erased at compile time.
        const code = line.replace(/typeof import\("@kubernetes\/client-node"\)/g, "");
        if (!code.includes('"@kubernetes/client-node"') || /^\s*(\*|\/\/)/.test(code) || /^\s*import type /.test(code)) continue;
        runtime.push(`${relative(SRC, f)}: ${line.trim()}`);
      }
    }
    expect(runtime).toEqual(['kube/kubeconfig.ts: clientModule ??= import("@kubernetes/client-node").catch((e: NodeJS.ErrnoException) => {']);
  });
});
