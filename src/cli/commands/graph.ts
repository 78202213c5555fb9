/**
 * `unimesh graph <inputs...> [--format dot|mermaid|svg|json]`: the service graph of the policies
 * (src/inspect/graph.ts): allowed edges by identity, denied-by-default edges, routes with weights.
 */
import type { Command } from "commander";
import { Option } from "../commander.js";
import { EXIT } from "../exit-codes.js";
import type { CliIO } from "../io.js";
import type { CliCommand } from "../command.js";

interface GraphFlags {
  format: "dot" | "mermaid" | "svg" | "json";
}

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
      .addOption(new Option("-f, --format <format>", "dot, mermaid, svg or json").choices(["dot", "mermaid", "svg", "json"]).default("dot"))
      .action(async (paths: string[], flags: GraphFlags) => {
        const { serviceGraph, toDot, toMermaid, toSvg } = await import("../../inspect/graph.js");
        const { modelOf } = await import("../inspect-support.js");
        const g = serviceGraph(modelOf(paths.length ? paths : ["."], io));
        const text = flags.format === "json" ? JSON.stringify(g, null, 2) + "\n" : flags.format === "mermaid" ? toMermaid(g) : flags.format === "svg" ? await toSvg(g) : toDot(g);
        io.stdout.write(text);
        done(EXIT.OK);
      });
  },
};
