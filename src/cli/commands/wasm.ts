/**
 * `unimesh wasm init <dir>` and `unimesh wasm build [dir]`: from nothing to a proxy-wasm filter running in
 * `unimesh up` in two commands. `init` writes a filter project from the template in
 * `templates/wasm-filter/` (AssemblyScript with Solo.io's SDK `@solo-io/proxy-runtime`) plus a
 * WasmExtension (`extension.yaml`) that runs it for one service; `build` compiles `assembly/index.ts`
 * to `build/filter.wasm` with AssemblyScript's compiler (`asc`, in a child process), prints the
 * module's sha256 and writes it into `extension.yaml`.
 *
 * Offline: `assemblyscript` and `@solo-io/proxy-runtime` are taken from the project's own
 * node_modules when it has them (`npm install` in the project), else from unimesh's installation (they
 * are unimesh devDependencies: a source checkout has them; an installation from npm without dev
 * dependencies needs `npm install` in the project).
 */
import type { Command } from "commander";
import { EXIT } from "../exit-codes.js";
import type { CliIO } from "../io.js";
import type { CliCommand } from "../command.js";

/** The template directory, relative to this module (same path from src/cli/commands and dist/cli/commands). */
const TEMPLATE = "../../../templates/wasm-filter/";
/** The versions the template pins (compatible with each other: the SDK is built for asc 0.14). */
export const WASM_SDK = { assemblyscript: "0.14.13", "@solo-io/proxy-runtime": "0.1.8" } as const;
/** A sha256 placeholder until the first build. */
const NO_DIGEST = "0".repeat(64);

/** Options of {@link initFilter}. */
export interface InitOptions {
  service: string;
  namespace: string;
  name: string;
}

/**
 * Writes a filter project into `dir` (created; it must not exist or be empty).
 * @returns the files written, relative to `dir`.
 * @throws UsageError when `dir` is not empty or a name is not a DNS-1123 label.
 */
export async function initFilter(dir: string, o: InitOptions): Promise<string[]> {
  const { mkdirSync, readdirSync, readFileSync, writeFileSync, existsSync } = await import("node:fs");
  const { join } = await import("node:path");
  const { UsageError } = await import("../../api/diagnostics.js");
  for (const [flag, v] of [
    ["--service", o.service],
    ["--namespace", o.namespace],
    ["--name", o.name],
  ] as const) {
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(v) || v.length > 63)
      throw new UsageError(`${flag} ${v}: must be a DNS-1123 label (lower-case letters, digits and '-')`);
  }
  if (existsSync(dir) && readdirSync(dir).length) throw new UsageError(`${dir} is not empty: give a new directory`);
  const tpl = new URL(TEMPLATE, import.meta.url);
  const files: Record<string, string> = {
    "assembly/index.ts": readFileSync(new URL("assembly/index.ts", tpl), "utf8"),
    "assembly/tsconfig.json": readFileSync(new URL("assembly/tsconfig.json", tpl), "utf8"),
    "package.json":
      JSON.stringify(
        {
          name: o.name,
          version: "0.1.0",
          private: true,
          description: "A proxy-wasm HTTP filter for unimesh (AssemblyScript, @solo-io/proxy-runtime)",
          scripts: { build: "unimesh wasm build ." },
          devDependencies: { ...WASM_SDK },
        },
        null,
        2,
      ) + "\n",
    ".gitignore": "node_modules/\nbuild/\n",
    "extension.yaml": [
      "# yaml-language-server: $schema=https://unimesh.io/schemas/v1alpha1/unimesh.schema.json",
      "# Runs build/filter.wasm on every request to the service. `unimesh wasm build` writes the module's sha256 here.",
      "apiVersion: unimesh.io/v1alpha1",
      "kind: WasmExtension",
      `metadata: {name: ${o.name}, namespace: ${o.namespace}}`,
      "spec:",
      `  destination: {service: ${o.service}}`,
      "  module:",
      "    file: build/filter.wasm",
      `    sha256: ${NO_DIGEST}`,
      `    # url: oci://registry.example.com/${o.name}:v1   # the same module, where a cluster's proxies fetch it (Istio WasmPlugin)`,
      "  pluginName: unimesh_filter",
      `  config: {header: x-wasm-filter, value: ${o.name}, denyPath: /deny}`,
      "",
    ].join("\n"),
    "README.md": readFileSync(new URL("README.md", tpl), "utf8"),
  };
  for (const [rel, text] of Object.entries(files)) {
    const p = join(dir, rel);
    mkdirSync(join(p, ".."), { recursive: true });
    writeFileSync(p, text);
  }
  return Object.keys(files);
}

/** What {@link buildFilter} produced. */
export interface BuildResult {
  file: string;
  sha256: string;
  bytes: number;
  extensionUpdated: boolean;
}

/**
 * Compiles `<dir>/assembly/index.ts` to `<dir>/build/filter.wasm` (optimized; `abort` exits through
 * WASI proc_exit, as the SDK expects) and writes its sha256 into `<dir>/extension.yaml` when there is one.
 * @throws UsageError when there is no `assembly/index.ts` or the compiler is missing; Error with the
 *   compiler's messages when the source does not compile.
 */
export async function buildFilter(dir: string): Promise<BuildResult> {
  const { existsSync, mkdirSync, readFileSync, writeFileSync } = await import("node:fs");
  const { join, dirname, resolve } = await import("node:path");
  const { createRequire } = await import("node:module");
  const { createHash } = await import("node:crypto");
  const { spawn } = await import("node:child_process");
  const { UsageError } = await import("../../api/diagnostics.js");
  const entry = join(dir, "assembly", "index.ts");
  if (!existsSync(entry)) throw new UsageError(`${entry} not found: run \`unimesh wasm init ${dir}\` first, or give the filter project's directory`);
  const locate = (pkg: string): string | undefined => {
    for (const from of [join(resolve(dir), "package.json"), import.meta.url]) {
      try {
        return dirname(createRequire(from).resolve(`${pkg}/package.json`));
      } catch {
        /* next */
      }
    }
    return undefined;
  };
  const asc = locate("assemblyscript");
  const sdk = locate("@solo-io/proxy-runtime");
  if (!asc || !sdk) {
    throw new UsageError(
      `${!asc ? "assemblyscript" : "@solo-io/proxy-runtime"} not found: run \`npm install\` in ${dir} (it needs ${Object.entries(WASM_SDK)
        .map(([k, v]) => `${k}@${v}`)
        .join(" and ")})`,
    );
  }
  const out = join(dir, "build", "filter.wasm");
  mkdirSync(dirname(out), { recursive: true });
  // The SDK's package: asc looks for it in node_modules folders above the source, then in --path.
  const args = [join(asc, "bin", "asc"), entry, "-b", out, "--use", "abort=abort_proc_exit", "--optimize", "--path", dirname(dirname(sdk))];
  const stderr = await new Promise<{ code: number | null; text: string }>((resolveRun) => {
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
    let text = "";
    child.stdout.on("data", (b: Buffer) => {
      text += b.toString();
    });
    child.stderr.on("data", (b: Buffer) => {
      text += b.toString();
    });
    child.on("close", (code) => resolveRun({ code, text }));
    child.on("error", (e) => resolveRun({ code: -1, text: e.message }));
  });
  if (stderr.code !== 0 || !existsSync(out)) {
    const errors = stderr.text
      .split("\n")
      .filter((l) => !/^\s*$/.test(l))
      .join("\n");
    throw new Error(`asc could not compile ${entry}:\n${errors}`);
  }
  const bytes = readFileSync(out);
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  const ext = join(dir, "extension.yaml");
  let extensionUpdated = false;
  if (existsSync(ext)) {
    const text = readFileSync(ext, "utf8");
    const next = text.replace(/^(\s+sha256:\s*)"?[0-9a-fA-F]{0,64}"?(\s*(#.*)?)$/m, `$1${sha256}$2`);
    if (next !== text) {
      writeFileSync(ext, next);
      extensionUpdated = true;
    }
  }
  return { file: out, sha256, bytes: bytes.length, extensionUpdated };
}

export const wasmCommand: CliCommand = {
  register(program: Command, io: CliIO, done) {
    const wasm = program
      .command("wasm")
      .summary("write and build proxy-wasm filters (AssemblyScript)")
      .description(
        "Proxy-wasm HTTP filters for WasmExtensions: `wasm init DIR` writes a filter project (AssemblyScript with @solo-io/proxy-runtime) and a WasmExtension running it; `wasm build [DIR]` compiles it to build/filter.wasm, prints its sha256 and writes it into the project's extension.yaml. Then `unimesh up POLICIES DIR/extension.yaml -s REGISTRY` runs it, and `unimesh translate --mesh istio` emits its WasmPlugin.",
      );
    wasm
      .command("init")
      .summary("write a filter project from the template")
      .argument("<dir>", "the project directory (new or empty)")
      .option("--service <name>", "the service whose requests the filter sees", "productpage")
      .option("--namespace <ns>", "the service's namespace", "bookinfo")
      .option("--name <name>", "the WasmExtension's name (default: the directory's name)")
      .action(async (dir: string, flags: { service: string; namespace: string; name?: string }) => {
        const { basename, resolve } = await import("node:path");
        const name =
          flags.name ??
          basename(resolve(dir))
            .toLowerCase()
            .replace(/[^a-z0-9-]+/g, "-")
            .replace(/^-+|-+$/g, "");
        const files = await initFilter(dir, { service: flags.service, namespace: flags.namespace, name: name || "wasm-filter" });
        io.stdout.write(`wrote ${files.map((f) => `${dir}/${f}`).join(", ")}\nnext: unimesh wasm build ${dir}\n`);
        done(EXIT.OK);
      });
    wasm
      .command("build")
      .summary("compile a filter project to build/filter.wasm and print its sha256")
      .argument("[dir]", "the project directory", ".")
      .action(async (dir: string) => {
        let r: BuildResult;
        try {
          r = await buildFilter(dir);
        } catch (e) {
          if ((e as Error).name === "UsageError" || (e as { exitCode?: number }).exitCode !== undefined) throw e;
          io.stderr.write(`${(e as Error).message}\n`);
          done(EXIT.INVALID);
          return;
        }
        io.stdout.write(
          `built ${r.file} (${r.bytes} bytes)\nsha256 ${r.sha256}\n${r.extensionUpdated ? `updated ${dir}/extension.yaml (module.sha256)\n` : ""}`,
        );
        done(EXIT.OK);
      });
  },
};
