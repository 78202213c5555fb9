/**
 * `unimesh discover [--context a,b | --all-contexts] [-n NS] [--include-system-namespaces] [--output-dir DIR]`:
 * reads each cluster's meshes and Services and writes unimesh documents (one ClusterInfo per cluster,
 * one MeshService per Service) for `translate`/`apply`, so that workload labels, ports, identities and
 * subsets come from the cluster instead of conventions, and `--mesh auto` picks the mesh it runs.
 *
 * Output: a YAML stream on stdout, or `--output-dir DIR`: one `<cluster>.yaml` per cluster (a directory
 * unimesh wrote before is replaced whole; see `translate --output-dir`). With several clusters on stdout, a Service present
 * in several clusters is written once (see `renderClusters`). A cluster that cannot be read is reported on
 * stderr and the others are still written; the exit code is then 3.
 */
import type { Command, Option as CommanderOption } from "commander";
import type { CliIO } from "../io.js";
import type { CliCommand } from "../command.js";
import { type ClusterFlags, addClusterOptions } from "../cluster-command.js";
import { Option } from "../commander.js";
import { collect } from "../options.js";

interface DiscoverFlags extends ClusterFlags {
  namespace?: string[];
  includeSystemNamespaces?: boolean;
  outputDir?: string;
  /** `-o, --output yaml` (kubectl's `-o`): the one format; anything else is refused with a hint. */
  output?: string;
  /** unimesh 0.1's `--out DIR`: refused with a hint. */
  out?: string;
}

/**
 * `-o, --output yaml`. Its choices are set for help and shell completion but not enforced by commander,
 * so that `-o json` and unimesh 0.1's `-o DIR` get a message saying what to write instead.
 */
function outputFormatOption(): CommanderOption {
  const o = new Option(
    "-o, --output <format>",
    "yaml: the documents as a YAML stream on stdout (the default and only format: what translate, diff and apply read)",
  );
  o.argChoices = ["yaml"];
  return o;
}

export const discoverCommand: CliCommand = {
  register(program: Command, io: CliIO, done) {
    const cmd = program
      .command("discover")
      .summary("describe clusters' meshes and Services as unimesh documents")
      .description(
        "For each cluster: which meshes are installed and at which version (a ClusterInfo document), and every Service with its " +
          "selector, ports and protocols, service account and version subsets (a MeshService document). Give the output to " +
          "translate, diff or apply (with --mesh auto to use the mesh each cluster runs).\n\n" +
          "System namespaces (kube-*, those of each mesh such as istio-*, linkerd*, appmesh-system, and mesh control-plane namespaces) are skipped unless " +
          "--include-system-namespaces or named with -n.",
      );
    addClusterOptions(cmd);
    cmd
      .option("-n, --namespace <names>", "only these namespaces, comma-separated or repeated (default: every namespace)", collect)
      .option("--include-system-namespaces", "also describe the Services of system namespaces")
      .option("--output-dir <dir>", "write one <cluster>.yaml per cluster into DIR (replacing a directory unimesh wrote before) instead of stdout")
      .addOption(outputFormatOption())
      .addOption(new Option("--out <dir>").hideHelp())
      .action(async (flags: DiscoverFlags) => done(await discoverAction(flags, io)));
  },
};

async function discoverAction(flags: DiscoverFlags, io: CliIO) {
  const { EXIT } = await import("../exit-codes.js");
  const { openClusters, stderrLine } = await import("../cluster-command.js");
  const { resolve } = await import("node:path");
  checkOutputFlags(flags, (await import("../../api/diagnostics.js")).UsageError);
  const outputDir = await import("../output-dir.js");
  const out = flags.outputDir;
  const outDir = out === undefined ? undefined : resolve(io.cwd, out);
  if (outDir) outputDir.checkOutputDir(outDir, out!, io.cwd);

  const opened = await openClusters(flags, io, "discover");
  if (typeof opened === "number") return opened;
  const { kubeconfig, contexts, timeoutMs } = opened;
  const { forEachCluster } = await import("../../kube/clusters.js");
  const { discoverCluster, renderCluster, renderClusters } = await import("../../kube/discover.js");
  const namespaces = (flags.namespace ?? [])
    .flatMap((n) => n.split(","))
    .map((n) => n.trim())
    .filter(Boolean);

  const { BUILTIN_ADAPTERS: meshes } = await import("../../adapters/index.js");
  const outcomes = await forEachCluster(
    kubeconfig,
    contexts,
    (client) => discoverCluster(client, { namespaces, includeSystemNamespaces: flags.includeSystemNamespaces, meshes }),
    { timeoutMs },
  );

  let failed = false;
  const found = [];
  for (const o of outcomes) {
    const ctx = o.context.name;
    if (!o.ok) {
      failed = true;
      stderrLine(io, "discover", ctx, `error: ${o.error.message}`);
      for (const d of o.error.details) io.stderr.write(`  - ${d}\n`);
      continue;
    }
    const c = o.value;
    found.push(c);
    const meshes = (c.info.spec.meshes ?? []).map((m) => `${m.name} ${m.version}`).join(", ") || "no mesh";
    stderrLine(
      io,
      "discover",
      ctx,
      `Kubernetes ${c.info.spec.kubernetesVersion}; ${meshes}; ${c.services.length} Service${c.services.length === 1 ? "" : "s"}${c.skipped ? ` (${c.skipped} skipped: system namespaces or no selector)` : ""}`,
    );
    for (const w of c.warnings) stderrLine(io, "discover", ctx, `warning: ${w}`);
    for (const n of c.info.spec.namespaces ?? []) {
      stderrLine(
        io,
        "discover",
        ctx,
        `namespace ${n.name}: ${n.mesh} ${Object.entries(n.settings)
          .map(([k, v]) => `${k}=${v}`)
          .join(" ")} (${(n.evidence ?? []).join("; ")})`,
      );
    }
    for (const s of c.services) for (const n of s.notes) stderrLine(io, "discover", ctx, `note: ${s.doc.metadata.namespace}/${s.doc.metadata.name}: ${n}`);
  }

  if (found.length) {
    if (outDir) {
      const { clusterInfoName } = await import("../../kube/discover.js");
      const files = found.map((c) => ({ path: `${clusterInfoName(c.info.spec.context!)}.yaml`, content: renderCluster(c) }));
      try {
        outputDir.writeOutputDir(outDir, out!, files, io.cwd, undefined, "discover");
      } catch (e) {
        if (!(e instanceof outputDir.OutputError)) throw e;
        io.stderr.write(`unimesh: ${e.message}\n`);
        return EXIT.OUTPUT;
      }
      stderrLine(io, "discover", undefined, `wrote ${files.map((f) => f.path).join(", ")} to ${out}`);
    } else {
      const { text, warnings } = renderClusters(found);
      for (const w of warnings) stderrLine(io, "discover", undefined, `warning: ${w}`);
      io.stdout.write(text);
    }
  }
  return failed ? EXIT.CLUSTER : EXIT.OK;
}

/**
 * `-o yaml` only; unimesh 0.1's `-o/--out DIR` and `-o json` are refused with what to write instead.
 * @throws UsageError
 */
function checkOutputFlags(flags: DiscoverFlags, UsageError: new (m: string) => Error): void {
  const dir = flags.out ?? flags.output;
  const flag = flags.out !== undefined ? "--out" : "-o/--output";
  if (flags.out === undefined && (flags.output === undefined || flags.output === "yaml")) return;
  if (dir === "-") throw new UsageError(`${flag} -: discover writes to stdout unless --output-dir DIR`);
  if (flags.out === undefined && flags.output === "json") {
    throw new UsageError(
      "-o json: discover writes its documents (a ClusterInfo per cluster, a MeshService per Service) as YAML only, the form translate, diff and apply read back; -o yaml is the default",
    );
  }
  throw new UsageError(
    `${flag} ${dir}: -o/--output selects the format (yaml, as kubectl's -o); to write one file per cluster into ${dir}, use --output-dir ${dir}`,
  );
}
