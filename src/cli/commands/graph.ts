/**
 * `unimesh graph <inputs...> [-o dot|mermaid|svg|json]` (`--format` is the same): the service graph of the policies
 * (src/inspect/graph.ts): allowed edges by identity, denied-by-default edges, routes with weights.
 */
import type { Command } from "commander";
import { Option } from "../commander.js";
import { EXIT } from "../exit-codes.js";
import type { CliIO } from "../io.js";
import type { CliCommand } from "../command.js";

type Format = "dot" | "mermaid" | "svg" | "json";

interface GraphFlags {
  output: Format;
  /** `--format`: the same as `-o` (the spelling of issue 14), kept out of help and completion. */
  format?: Format;
}

const FORMATS: Format[] = ["dot", "mermaid", "svg", "json"];

export const graphCommand: CliCommand = {
  register(program: Command, io: CliIO, done) {
    program
      .command("graph")
      .summary("the service graph: who may call whom, what is denied by default, routes with weights")
      .description(
        "Draw the service graph of the policies: services (and their subsets) as nodes; allowed edges by identity, labelled with " +
          "the methods and paths allowed; denied-by-default edges (dashed, red) from every known workload a deny-by-default " +
          "destination does not admit; routes to subsets with their weights; mirrors. As Graphviz DOT, Mermaid, SVG (Graphviz in " +
          "WebAssembly) or JSON, deterministic.",
      )
      .argument("[inputs...]", "policy files or directories (default: the current directory)")
      .addOption(new Option("-o, --output <format>", "dot (Graphviz), mermaid, svg (laid out by Graphviz) or json").choices(FORMATS).default("dot"))
      .addOption(new Option("--format <format>").choices(FORMATS).hideHelp())
      .action(async (paths: string[], flags: GraphFlags) => {
        const format = flags.format ?? flags.output;
        const { serviceGraph, toDot, toMermaid, toSvg } = await import("../../inspect/graph.js");
        const { modelOf } = await import("../inspect-support.js");
        const g = serviceGraph(modelOf(paths.length ? paths : ["."], io));
        const text = format === "json" ? JSON.stringify(g, null, 2) + "\n" : format === "mermaid" ? toMermaid(g) : format === "svg" ? await toSvg(g) : toDot(g);
        io.stdout.write(text);
        done(EXIT.OK);
      });
  },
};
