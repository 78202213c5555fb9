/**
 * `unimesh translate <inputs...> --mesh NAME[@VERSION]`: validates the inputs and prints (or writes
 * with `--output-dir DIR`) the target mesh's manifests. Output appears only when everything translated:
 * any error means exit 1, nothing on stdout and no output directory.
 *
 * `--mesh istio,linkerd,appmesh` (or `--mesh all`) translates for each mesh and prints, instead of
 * manifests, a verdict per mesh and per policy: which meshes can run this model (exit 0 only when all can).
 *
 * Flags follow kubectl: `-o/--output yaml|json` is the manifest format. The spellings of unimesh 0.1
 * (`-o/--out DIR`, `-f/--format`, `--output text|json` for diagnostics) are errors that say what to
 * write instead: `--output-dir DIR`, `-o yaml|json`, `--diagnostics text|json`.
 */
import type { Command } from "commander";
import { Option } from "../commander.js";
import { EXIT } from "../exit-codes.js";
import type { CliIO } from "../io.js";
import type { CliCommand } from "../command.js";
import { collect } from "../options.js";

interface TranslateFlags {
  mesh?: string;
  adapter?: string;
  output: string;
  outputDir?: string;
  diagnostics: "text" | "json";
  allow?: string[];
  policySet?: string;
  set?: string[];
  strict?: boolean;
  quiet?: boolean;
  /** A VirtualMesh member: print its manifests only. */
  member?: string;
  /** Old spellings, refused with a hint. */
  out?: string;
  format?: string;
}

export const translateCommand: CliCommand = {
  register(program: Command, io: CliIO, done) {
    program
      .command("translate")
      .summary("translate policies into a mesh's manifests")
      .description(
        "Validate the inputs and translate them into the native resources of one mesh (see `unimesh meshes`). " +
          "Manifests go to stdout (or --output-dir DIR), diagnostics to stderr. Nothing is output when anything is an error.\n\n" +
          "With several meshes (--mesh istio,linkerd,appmesh or --mesh all), nothing is translated to stdout: a verdict per mesh " +
          "and per policy says which meshes can run these policies (exit 0 only when every one can).",
      )
      .argument("<inputs...>", "files, directories (read recursively for *.yaml, *.yml, *.json) or - for stdin")
      .option(
        "-m, --mesh <name[@version]|auto|all|a,b,...>",
        "target mesh and version, e.g. istio, istio@1.30, linkerd@2.18; auto: from the ClusterInfo documents in the inputs (see `unimesh discover`); several, comma-separated, or all: a verdict per mesh",
      )
      .option(
        "--member <name>",
        "with a VirtualMesh among the inputs: translate for this member only and print its manifests (without it, --output-dir DIR writes DIR/<member>/... for every member)",
      )
      .option(
        "--adapter <package|path>",
        "use a third-party adapter: an npm package or a file (./adapter.js); its default export or export `adapter`. With --mesh NAME@VERSION or @VERSION to choose its version",
      )
      .option(
        "-o, --output <yaml|json>",
        "manifest format, as kubectl's -o: a YAML stream, or a JSON v1 List (with several meshes: the verdict report as text or JSON)",
        "yaml",
      )
      .option(
        "--output-dir <dir>",
        "write one file per object into DIR (<namespace|_cluster>/<kind>-<name>.yaml), replacing a directory unimesh wrote before, whole or not at all",
      )
      .addOption(new Option("--diagnostics <format>", "diagnostics on stderr: text lines, or one JSON object").choices(["text", "json"]).default("text"))
      .option("--allow <approximation>", "accept a looser translation the adapter offers (repeatable; see `unimesh meshes`)", collect)
      .option("--policy-set <name>", "value of the unimesh.io/policy-set label on every object (default: default)")
      .option("--set <key=value>", "adapter setting (repeatable), e.g. --set meshName=bookinfo", collect)
      .option("--strict", "treat warnings as errors")
      .option("-q, --quiet", "do not print info notes (errors and warnings only)")
      .addOption(new Option("--out <dir>").hideHelp())
      .addOption(new Option("-f, --format <format>").hideHelp())
      .action(async (paths: string[], flags: TranslateFlags) => done(await translateAction(paths, flags, io)));
  },
};

/** Refuses the flags of unimesh 0.1 with what to write instead. @throws UsageError */
function checkFlags(flags: TranslateFlags, UsageError: new (m: string) => Error): "yaml" | "json" {
  if (flags.out !== undefined) {
    throw new UsageError(`--out was renamed: --output-dir ${flags.out} (-o/--output now selects the manifest format, as in kubectl: -o yaml|json)`);
  }
  if (flags.format !== undefined) {
    throw new UsageError(`-f/--format was renamed -o/--output, as in kubectl: -o ${flags.format}`);
  }
  const o = flags.output;
  if (o === "yaml" || o === "json") return o;
  if (o === "text")
    throw new UsageError("-o/--output selects the manifest format (yaml or json, as kubectl's -o); diagnostics are text unless --diagnostics json");
  if (o === "-")
    throw new UsageError("-o/--output selects the manifest format (yaml or json, as kubectl's -o); manifests go to stdout unless --output-dir DIR");
  throw new UsageError(
    `-o/--output selects the manifest format: yaml or json, as kubectl's -o (got "${o}"); to write one file per object into ${o}, use --output-dir ${o}`,
  );
}

async function translateAction(paths: string[], flags: TranslateFlags, io: CliIO) {
  // Everything but the adapter, in one import; only the adapter asked for is imported, by
  // requestMesh (see src/adapters/registry.ts), not all of them.
  const { UsageError, InternalError, requestMesh, chooseMesh, SHIPPED_ADAPTERS, loadInputs, policyStatus, report, countSummary, translate, serialize } =
    await import("../translate-deps.js");
  const { resolve } = await import("node:path");

  const format = checkFlags(flags, UsageError);
  let settings = parseSettings(flags.set ?? [], UsageError);
  const allowApproximations = (flags.allow ?? [])
    .flatMap((a) => a.split(","))
    .map((a) => a.trim())
    .filter(Boolean);
  if (flags.mesh !== undefined && (flags.mesh === "all" || flags.mesh.includes(","))) {
    const { translateForEach } = await import("../translate-many.js");
    return translateForEach(paths, { ...flags, format, settings, allowApproximations }, io);
  }
  // Without --mesh/--adapter the inputs may hold a VirtualMesh, whose members name their meshes.
  let early: ReturnType<typeof loadInputs> | undefined;
  if (flags.mesh === undefined && flags.adapter === undefined) early = loadInputs(paths, io, flags.strict);
  if (early?.ok && early.model.virtualMesh) {
    const { translateVirtual } = await import("../translate-virtual.js");
    return translateVirtual(early, { ...flags, format, settings, allowApproximations }, io);
  }
  if (early && !early.ok && early.inputs.some((i) => /^kind:\s*VirtualMesh\s*$/m.test(i.text))) {
    // A VirtualMesh that does not validate: its diagnostics, not "missing --mesh".
    report(
      io,
      flags.diagnostics,
      { ok: false, diagnostics: early.diagnostics, status: policyStatus(early.model, early.diagnostics) },
      { quiet: !!flags.quiet },
    );
    if (flags.diagnostics === "text")
      io.stderr.write(`unimesh translate: invalid input: nothing translated (${countSummary(early.diagnostics, { quiet: !!flags.quiet })})\n`);
    return EXIT.INVALID;
  }
  if (flags.member !== undefined && early?.ok) throw new UsageError(`--member ${flags.member}: the inputs hold no VirtualMesh`);
  const request = await requestMesh(flags.mesh, flags.adapter, SHIPPED_ADAPTERS, io.cwd);
  const out = flags.outputDir;
  const outDir = out === undefined ? undefined : resolve(io.cwd, out);
  const outputDir = outDir ? await import("../output-dir.js") : undefined;
  const writeFailed = (e: unknown) => {
    if (!(outputDir && e instanceof outputDir.OutputError)) throw e;
    io.stderr.write(`unimesh: ${e.message}\n`);
    return EXIT.OUTPUT;
  };
  if (outDir && outputDir) {
    try {
      outputDir.checkOutputDir(outDir, out!, io.cwd);
    } catch (e) {
      return writeFailed(e);
    }
  }
  const text = flags.diagnostics === "text";
  const quiet = { quiet: !!flags.quiet };
  /** The closing line of a text report: what happened, with the counts. */
  const summary = (what: string, diags: Parameters<typeof countSummary>[0]) => {
    if (!text) return;
    const counts = countSummary(diags, quiet);
    io.stderr.write(`unimesh translate: ${what}${counts ? ` (${counts})` : ""}\n`);
  };

  const loaded = early ?? loadInputs(paths, io, flags.strict);
  if (loaded.ok && loaded.model.virtualMesh) {
    const { translateVirtual } = await import("../translate-virtual.js");
    return translateVirtual(loaded, { ...flags, format, settings, allowApproximations }, io);
  }
  if (!loaded.ok) {
    report(io, flags.diagnostics, { ok: false, diagnostics: loaded.diagnostics, status: policyStatus(loaded.model, loaded.diagnostics) }, quiet);
    summary("invalid input: nothing translated", loaded.diagnostics);
    return EXIT.INVALID;
  }
  const choice = await chooseMesh(request, loaded.model, SHIPPED_ADAPTERS, settings ?? {});
  if (choice.auto && text) {
    io.stderr.write(
      `unimesh translate: --mesh auto: ${choice.adapter.name}@${choice.version} (${choice.adapter.name} ${choice.auto.installed}, ${choice.auto.source})\n`,
    );
  }
  if (choice.settings) {
    if (text)
      io.stderr.write(
        `unimesh translate: --mesh auto: --set ${Object.entries(choice.settings.values)
          .map(([k, v]) => `${k}=${v}`)
          .join(" ")} for ${choice.settings.reason}\n`,
      );
    settings = { ...choice.settings.values, ...settings };
  }

  let result;
  try {
    result = translate(loaded.model, {
      adapter: choice.adapter,
      version: choice.version,
      allowApproximations,
      settings,
      strict: flags.strict,
      ...(flags.policySet !== undefined ? { policySet: flags.policySet } : {}),
    });
  } catch (e) {
    if (choice.external && e instanceof InternalError) {
      io.stderr.write(
        `unimesh: the adapter loaded with --adapter ${choice.external} failed (a bug in that adapter): ${e.message.replace(/ \(this is a bug in unimesh[^)]*\)$/, "")}\n`,
      );
      return EXIT.INTERNAL;
    }
    throw e;
  }
  const diagnostics = [...loaded.diagnostics, ...result.diagnostics];
  const status = policyStatus(loaded.model, diagnostics);
  if (!result.ok) {
    report(io, flags.diagnostics, { ok: false, mesh: result.mesh, diagnostics, status }, quiet);
    summary(`${result.mesh}: cannot translate: nothing written`, diagnostics);
    return EXIT.INVALID;
  }

  const objects = `${result.resources.length} object${result.resources.length === 1 ? "" : "s"}`;
  if (outDir && outputDir) {
    const files = outputDir.outputFiles(result.resources, format);
    try {
      outputDir.writeOutputDir(outDir, out!, files, io.cwd);
    } catch (e) {
      return writeFailed(e);
    }
    report(io, flags.diagnostics, { ok: true, mesh: result.mesh, diagnostics, status }, quiet);
    summary(`wrote ${objects} for ${result.mesh} to ${out}`, diagnostics);
  } else {
    let serialized: string;
    try {
      serialized = serialize(result.resources, format);
    } catch (e) {
      throw new InternalError(`cannot serialize the output of ${result.mesh}: ${(e as Error).message}`);
    }
    io.stdout.write(serialized);
    report(io, flags.diagnostics, { ok: true, mesh: result.mesh, diagnostics, status }, quiet);
    // A clean run prints nothing on stderr; otherwise the counts close the list.
    if (diagnostics.length) summary(`${result.mesh}: ${objects}`, diagnostics);
  }
  return EXIT.OK;
}

/** `--set k=v` values → settings. @throws UsageError for a value without `=` or an empty key. */
export function parseSettings(values: string[], UsageError: new (m: string) => Error): Record<string, string> {
  const settings: Record<string, string> = {};
  for (const kv of values) {
    const i = kv.indexOf("=");
    if (i <= 0) throw new UsageError(`--set ${kv}: expected key=value`);
    settings[kv.slice(0, i).trim()] = kv.slice(i + 1);
  }
  return settings;
}
