/** `unimesh meshes`: the adapters, their versions, and the feature × mesh matrix. */
import type { Command } from "commander";
import type { Adapter, AdapterSetting } from "../../api/adapter.js";
import { EXIT } from "../exit-codes.js";
import type { CliIO } from "../io.js";
import type { CliCommand } from "../command.js";
import { outputOption } from "../options.js";

interface MeshesFlags {
  adapter?: string;
  output: "text" | "json" | "yaml";
}

export const meshesCommand: CliCommand = {
  register(program: Command, io: CliIO, done) {
    program
      .command("meshes")
      .summary("list the mesh adapters, their versions and what each can express")
      .description(
        "List the mesh adapters (--mesh NAME), their versions, version profiles and approximations (--allow), and the feature × mesh matrix (✅ full, ◐ partial, ❌ none; notes below the table).",
      )
      .option("--adapter <package|path>", "also list a third-party adapter")
      .addOption(outputOption("text, or json or yaml: every adapter with its capabilities per version, and the matrix, on stdout", ["text", "json", "yaml"]))
      .action(async (flags: MeshesFlags) => {
        const { BUILTIN_ADAPTERS } = await import("../../adapters/index.js");
        const adapters: Adapter[] = [...BUILTIN_ADAPTERS];
        if (flags.adapter !== undefined) {
          const { importAdapter } = await import("../adapters.js");
          adapters.push(await importAdapter(flags.adapter, io.cwd));
        }
        const { matrixRows, renderMatrix } = await import("../matrix.js");
        if (flags.output !== "text") {
          const { FEATURES, FEATURE_TITLES } = await import("../../api/features.js");
          const { CORE_SETTINGS } = await import("../../api/adapter.js");
          const data = {
            adapters: adapters.map((a) => ({
              name: a.name,
              description: a.description,
              versions: a.versions,
              defaultVersion: a.defaultVersion,
              profiles: a.profiles ?? [],
              approximations: a.approximations ?? {},
              settings: [...CORE_SETTINGS, ...(a.settings ?? [])],
              capabilities: Object.fromEntries(a.versions.map((v) => [v, a.capabilities(v)])),
            })),
            features: FEATURES.map((name) => ({ name, title: FEATURE_TITLES[name] })),
            matrix: matrixRows(adapters),
          };
          if (flags.output === "json") io.stdout.write(JSON.stringify(data, null, 2) + "\n");
          else io.stdout.write((await import("js-yaml")).default.dump(data, { noRefs: true, lineWidth: -1 }));
          return done(EXIT.OK);
        }
        const { CORE_SETTINGS } = await import("../../api/adapter.js");
        io.stdout.write(listAdapters(adapters, CORE_SETTINGS) + "\n" + renderMatrix(adapters));
        done(EXIT.OK);
      });
  },
};

/** The adapter list of `unimesh meshes`. */
function listAdapters(adapters: readonly Adapter[], core: readonly AdapterSetting[]): string {
  if (!adapters.length) return "No mesh adapters are built in; load one with --adapter <package|path>.\n";
  const width = Math.max(...adapters.map((a) => a.name.length));
  const pad = " ".repeat(width + 4);
  let out = "Meshes (translate --mesh NAME[@VERSION]):\n";
  for (const a of adapters) {
    out += `  ${a.name.padEnd(width)}  ${a.description}\n`;
    out += `${pad}versions: ${a.versions.join(", ")} (default ${a.defaultVersion})\n`;
    for (const p of a.profiles ?? []) out += `${pad}profile ${p.label}: ${p.versions.join(", ")}\n`;
    for (const [name, what] of Object.entries(a.approximations ?? {})) out += `${pad}--allow ${name}: ${what}\n`;
    for (const s of a.settings ?? []) out += `${pad}--set ${s.name}=...: ${s.description}${s.default !== undefined ? ` (default ${s.default})` : ""}\n`;
  }
  out += "Every mesh:\n";
  for (const s of core) out += `  --set ${s.name}=...: ${s.description}${s.default !== undefined ? ` (default ${s.default})` : ""}\n`;
  return out;
}
