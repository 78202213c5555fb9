/**
 * `unimesh translate <inputs...> --mesh NAME[@VERSION]`: validates the inputs and prints (or writes
 * with `-o DIR`) the target mesh's manifests. Output appears only when everything translated: any
 * error means exit 1, nothing on stdout and no output directory.
 */
import type { Command } from "commander";
import { Option } from "../commander.js";
import { EXIT } from "../exit-codes.js";
import type { CliIO } from "../io.js";
import type { CliCommand } from "../main.js";
import { collect, outputOption } from "../options.js";

interface TranslateFlags {
  mesh?: string;
  adapter?: string;
  out?: string;
  format: "yaml" | "json";
  allow?: string[];
  policySet?: string;
  set?: string[];
  strict?: boolean;
  output: "text" | "json";
}

export const translateCommand: CliCommand = {
  register(program: Command, io: CliIO, done) {
    program
      .command("translate")
      .summary("translate policies into a mesh's manifests")
      .description(
        "Validate the inputs and translate them into the native resources of one mesh (see `unimesh meshes`). " +
        "Manifests go to stdout (or -o DIR), diagnostics to stderr. Nothing is output when anything is an error.",
      )
      .argument("<inputs...>", "files, directories (read recursively for *.yaml, *.yml, *.json) or - for stdin")
      .option("-m, --mesh <name[@version]|auto>", "target mesh and version, e.g. istio, istio@1.30, linkerd@2.18; auto: from the ClusterInfo documents in the inputs (see `unimesh discover`)")
      .option("--adapter <package|path>", "use a third-party adapter: an npm package or a file (./adapter.js); its default export or export `adapter`. With --mesh NAME@VERSION or @VERSION to choose its version")
      .option("-o, --out <dir|->", "write one file per object into DIR (<namespace|_cluster>/<kind>-<name>.yaml), replacing a directory unimesh wrote before, whole or not at all (default: - = stdout)")
      .addOption(new Option("-f, --format <format>", "manifest format: a YAML stream, or a JSON v1 List").choices(["yaml", "json"]).default("yaml"))
      .option("--allow <approximation>", "accept a looser translation the adapter offers (repeatable; see `unimesh meshes`)", collect)
      .option("--policy-set <name>", "value of the unimesh.io/policy-set label on every object (default: default)")
      .option("--set <key=value>", "adapter setting (repeatable), e.g. --set meshName=bookinfo", collect)
      .option("--strict", "treat warnings as errors")
      .addOption(outputOption())
      .action(async (paths: string[], flags: TranslateFlags) => done(await translateAction(paths, flags, io)));
  },
};

async function translateAction(paths: string[], flags: TranslateFlags, io: CliIO) {
  // Everything but the adapter, in one import; only the adapter asked for is imported, by
  // requestMesh (see src/adapters/registry.ts), not all of them.
  const {
    UsageError, InternalError, requestMesh, chooseMesh, SHIPPED_ADAPTERS, loadInputs, policyStatus, report, translate, serialize,
  } = await import("../translate-deps.js");
  const { resolve } = await import("node:path");

  const settings = parseSettings(flags.set ?? [], UsageError);
  const allowApproximations = (flags.allow ?? []).flatMap((a) => a.split(",")).map((a) => a.trim()).filter(Boolean);
  const request = await requestMesh(flags.mesh, flags.adapter, SHIPPED_ADAPTERS, io.cwd);
  const out = flags.out ?? "-";
  const outDir = out === "-" ? undefined : resolve(io.cwd, out);
  const outputDir = outDir ? await import("../output-dir.js") : undefined;
  const writeFailed = (e: unknown) => {
    if (!(outputDir && e instanceof outputDir.OutputError)) throw e;
    io.stderr.write(`unimesh: ${e.message}\n`);
    return EXIT.OUTPUT;
  };
  if (outDir && outputDir) {
    try {
      outputDir.checkOutputDir(outDir, out, io.cwd);
    } catch (e) {
      return writeFailed(e);
    }
  }

  const loaded = loadInputs(paths, io, flags.strict);
  if (!loaded.ok) {
    report(io, flags.output, { ok: false, diagnostics: loaded.diagnostics, status: policyStatus(loaded.model, loaded.diagnostics) });
    return EXIT.INVALID;
  }
  const choice = await chooseMesh(request, loaded.model, SHIPPED_ADAPTERS);
  if (choice.auto && flags.output === "text") {
    io.stderr.write(`unimesh translate: --mesh auto: ${choice.adapter.name}@${choice.version} (${choice.adapter.name} ${choice.auto.installed}, ${choice.auto.source})\n`);
  }

  let result;
  try {
    result = translate(loaded.model, {
      adapter: choice.adapter, version: choice.version, allowApproximations, settings, strict: flags.strict,
      ...(flags.policySet !== undefined ? { policySet: flags.policySet } : {}),
    });
  } catch (e) {
    if (choice.external && e instanceof InternalError) {
      io.stderr.write(`unimesh: the adapter loaded with --adapter ${choice.external} failed (a bug in that adapter): ${e.message.replace(/ \(this is a bug in unimesh[^)]*\)$/, "")}\n`);
      return EXIT.INTERNAL;
    }
    throw e;
  }
  const diagnostics = [...loaded.diagnostics, ...result.diagnostics];
  const status = policyStatus(loaded.model, diagnostics);
  if (!result.ok) {
    report(io, flags.output, { ok: false, mesh: result.mesh, diagnostics, status });
    return EXIT.INVALID;
  }

  if (outDir && outputDir) {
    const files = outputDir.outputFiles(result.resources, flags.format);
    try {
      outputDir.writeOutputDir(outDir, out, files, io.cwd);
    } catch (e) {
      return writeFailed(e);
    }
    report(io, flags.output, { ok: true, mesh: result.mesh, diagnostics, status });
    if (flags.output === "text") io.stderr.write(`unimesh translate: wrote ${files.length} object${files.length === 1 ? "" : "s"} for ${result.mesh} to ${out}\n`);
  } else {
    let text: string;
    try {
      text = serialize(result.resources, flags.format);
    } catch (e) {
      throw new InternalError(`cannot serialize the output of ${result.mesh}: ${(e as Error).message}`);
    }
    io.stdout.write(text);
    report(io, flags.output, { ok: true, mesh: result.mesh, diagnostics, status });
  }
  return EXIT.OK;
}

/** `--set k=v` values → settings. @throws UsageError for a value without `=` or an empty key. */
function parseSettings(values: string[], UsageError: new (m: string) => Error): Record<string, string> {
  const settings: Record<string, string> = {};
  for (const kv of values) {
    const i = kv.indexOf("=");
    if (i <= 0) throw new UsageError(`--set ${kv}: expected key=value`);
    settings[kv.slice(0, i).trim()] = kv.slice(i + 1);
  }
  return settings;
}
