/** Helpers for the CLI tests: run the CLI in-process with in-memory streams, and scratch directories. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll } from "vitest";
import { run } from "../../src/cli/main.js";
import type { CliIO } from "../../src/cli/io.js";

/** The repository root (commands run with it as their working directory unless told otherwise). */
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `unimesh ...argv` in-process. */
export async function cli(argv: string[], opts: { cwd?: string; stdin?: string } = {}): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const io: CliIO = {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    readStdin: () => {
      if (opts.stdin === undefined) throw new Error("test read stdin unexpectedly");
      return opts.stdin;
    },
    env: {},
    cwd: opts.cwd ?? ROOT,
  };
  const code = await run(argv, io);
  return { code, stdout, stderr };
}

/** A fresh scratch directory holding `files` (relative path → content), removed after the test file. */
export function scratch(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "unimesh-cli-"));
  scratchDirs.push(dir);
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  return dir;
}
const scratchDirs: string[] = [];
afterAll(() => {
  for (const d of scratchDirs) rmSync(d, { recursive: true, force: true });
});

/** Documents used across the tests. */
export const DOCS = {
  policy: (name = "reviews", extra = "") => `apiVersion: unimesh.io/v1alpha1
kind: TrafficPolicy
metadata: {name: ${name}, namespace: shop}
spec:
  destination: {service: ${name}}
  timeout: 2s
${extra}`,
  invalid: `apiVersion: unimesh.io/v1alpha1
kind: TrafficPolicy
metadata: {name: bad, namespace: shop}
spec:
  destination: {service: reviews}
  retries: {attempts: 99}
`,
  faulty: `apiVersion: unimesh.io/v1alpha1
kind: TrafficPolicy
metadata: {name: chaos, namespace: shop}
spec:
  destination: {service: ratings}
  faultInjection:
    abort: {httpStatus: 503, percent: 10}
`,
  mirrored: `apiVersion: unimesh.io/v1alpha1
kind: TrafficPolicy
metadata: {name: shadow, namespace: shop}
spec:
  destination: {service: cart}
  mirror: {service: cart-v2, percent: 10}
`,
  foreign: `apiVersion: v1
kind: ConfigMap
metadata: {name: x}
`,
  cluster: (meshes: { name: string; version: string }[], name = "prod") => `apiVersion: unimesh.io/v1alpha1
kind: ClusterInfo
metadata: {name: ${name}}
spec:
  context: ${name}
  meshes: [${meshes.map((m) => `{name: ${m.name}, version: "${m.version}"}`).join(", ")}]
`,
};

/** Absolute path of a fixture. */
export const fixture = (name: string) => join(ROOT, "test/cli/fixtures", name);
