/**
 * `unimesh metrics rules --mesh NAME[,NAME...]|all [-o rules|prometheusrule|json] [--window 5m] [--interval D]
 *  [-n NAMESPACE] [--name NAME] [--label k=v] [--output-dir DIR]` and `unimesh metrics dashboard [--window 5m]`:
 * the golden-metrics recording rules of each mesh (src/metrics/golden.ts) as a Prometheus rules file or a
 * prometheus-operator PrometheusRule, and the one Grafana dashboard that reads the normalized series.
 * With `--output-dir DIR`: `DIR/<mesh>.rules.yaml` and `DIR/<mesh>.prometheusrule.yaml` per mesh plus
 * `DIR/dashboard.json`, whole or not at all (src/cli/output-dir.ts).
 */
import type { Command } from "commander";
import { Option } from "../commander.js";
import { EXIT, type ExitCode } from "../exit-codes.js";
import type { CliIO } from "../io.js";
import type { CliCommand } from "../command.js";
import { collect } from "../options.js";

interface RulesFlags {
  mesh: string;
  output: "rules" | "prometheusrule" | "json";
  window: string;
  interval?: string;
  namespace: string;
  name: string;
  label?: string[];
  outputDir?: string;
}

export const metricsCommand: CliCommand = {
  register(program: Command, io: CliIO, done) {
    const metrics = program
      .command("metrics")
      .summary("golden metrics: Prometheus recording rules per mesh and one Grafana dashboard")
      .description(
        "unimesh's golden metrics — requests, success ratio and latency percentiles by source, destination, route and response class — " +
          "as Prometheus recording rules computing them from each mesh's own metrics, and one Grafana dashboard that reads only them (the same for every mesh).",
      );
    metrics
      .command("rules")
      .summary("recording rules computing the golden metrics from a mesh's native metrics")
      .description(
        "Print the recording rules of one or more meshes (istio, linkerd, appmesh, kuma, builtin; `all`): a Prometheus rules file " +
          "(rule_files:), or with -o prometheusrule a prometheus-operator PrometheusRule (monitoring.coreos.com/v1). " +
          "Series: unimesh:requests:rate<W>, unimesh:request_success_ratio:rate<W>, unimesh:request_duration_seconds:p50_<W>|p90_<W>|p99_<W>.",
      )
      .requiredOption("--mesh <names>", "meshes, comma-separated, or all")
      .addOption(
        new Option("-o, --output <format>", "a Prometheus rules file, a PrometheusRule object, or the rules file as JSON")
          .choices(["rules", "prometheusrule", "json"])
          .default("rules"),
      )
      .option("--window <duration>", "rate window, part of the series names (a Prometheus duration)", "5m")
      .option("--interval <duration>", "evaluation interval of the rule groups (default: Prometheus' global one)")
      .option("-n, --namespace <namespace>", "PrometheusRule namespace", "monitoring")
      .option("--name <name>", "PrometheusRule name", "unimesh-golden-metrics")
      .option("--label <key=value>", "PrometheusRule label, e.g. what the Prometheus ruleSelector selects (repeatable)", collect)
      .option(
        "--output-dir <dir>",
        "write <mesh>.rules.yaml, <mesh>.prometheusrule.yaml and dashboard.json into DIR, replacing a directory unimesh wrote before",
      )
      .action(async (flags: RulesFlags) => done(await rules(flags, io)));
    metrics
      .command("dashboard")
      .summary("the Grafana dashboard (JSON) of the golden metrics, for every mesh")
      .description(
        "Print the Grafana dashboard JSON: request rate, success ratio, p50/p90/p99 latency, response classes and a table of service pairs, from the normalized series only (variables: mesh, destination namespace and service, source workload).",
      )
      .option("--window <duration>", "the rules' rate window (their series names)", "5m")
      .action(async (flags: { window: string }) => {
        const { grafanaDashboard } = await import("../../metrics/dashboard.js");
        const { recordingRules } = await import("../../metrics/golden.js");
        recordingRules("builtin", { window: flags.window }); // checks the window
        io.stdout.write(JSON.stringify(grafanaDashboard({ window: flags.window }), null, 2) + "\n");
        done(EXIT.OK);
      });
  },
};

async function rules(flags: RulesFlags, io: CliIO): Promise<ExitCode> {
  const { UsageError } = await import("../../api/diagnostics.js");
  const { METRICS_MESHES, prometheusRule, rulesFile } = await import("../../metrics/golden.js");
  const { dumpYaml } = await import("../../api/emit.js");
  const meshes =
    flags.mesh === "all"
      ? [...METRICS_MESHES]
      : flags.mesh
          .split(",")
          .map((m) => m.trim())
          .filter(Boolean);
  if (!meshes.length) throw new UsageError("--mesh: name at least one mesh, or all");
  const labels: Record<string, string> = {};
  for (const l of flags.label ?? []) {
    const i = l.indexOf("=");
    if (i <= 0) throw new UsageError(`--label ${JSON.stringify(l)}: expected key=value`);
    labels[l.slice(0, i)] = l.slice(i + 1);
  }
  const options = { window: flags.window, ...(flags.interval !== undefined ? { interval: flags.interval } : {}) };
  const operator = { ...options, name: flags.name, namespace: flags.namespace, ...(flags.label?.length ? { labels } : {}) };
  if (flags.outputDir !== undefined) {
    const { resolve } = await import("node:path");
    const outputDir = await import("../output-dir.js");
    const { grafanaDashboard } = await import("../../metrics/dashboard.js");
    const files = meshes.flatMap((m) => [
      { path: `${m}.rules.yaml`, content: dumpYaml(rulesFile([m], options)) },
      { path: `${m}.prometheusrule.yaml`, content: dumpYaml(prometheusRule([m], { ...operator, name: `${flags.name}-${m}` })) },
    ]);
    files.push({ path: "dashboard.json", content: JSON.stringify(grafanaDashboard({ window: flags.window }), null, 2) + "\n" });
    try {
      outputDir.writeOutputDir(resolve(io.cwd, flags.outputDir), flags.outputDir, files, io.cwd, undefined, "metrics rules");
    } catch (e) {
      if (!(e instanceof outputDir.OutputError)) throw e;
      io.stderr.write(`unimesh: ${e.message}\n`);
      return EXIT.OUTPUT;
    }
    io.stderr.write(`wrote the golden-metrics rules of ${meshes.join(", ")} and the dashboard to ${flags.outputDir}\n`);
    return EXIT.OK;
  }
  if (flags.output === "prometheusrule") io.stdout.write(dumpYaml(prometheusRule(meshes, operator)));
  else if (flags.output === "json") io.stdout.write(JSON.stringify(rulesFile(meshes, options), null, 2) + "\n");
  else io.stdout.write(dumpYaml(rulesFile(meshes, options)));
  return EXIT.OK;
}
