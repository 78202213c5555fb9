/**
 * `unimesh import --from istio|linkerd|appmesh <inputs...>` and `unimesh import --from ... --context CTX`:
 * a mesh's native objects (files, directories, `-`, or read from a cluster) back into unimesh documents,
 * the reverse of `translate` (see src/api/import.ts and each adapter's `importer` hook).
 *
 * The inputs may also hold the facts about services: MeshService documents (`unimesh discover` output), or
 * native Services with the Deployments/Pods that run their pods (read as `discover` reads a cluster); with
 * `--context` they are read from the cluster. Every native field the model cannot carry is a diagnostic
 * (file, object, JSON pointer, why); `--strict` makes warnings errors. Output only when nothing is an error:
 * a YAML stream on stdout (`-o json`: a JSON List), or `--output-dir DIR` with one `<namespace>.yaml` per
 * namespace, written whole or not at all.
 */
import type { Command } from "commander";
import { Option } from "../commander.js";
import { EXIT } from "../exit-codes.js";
import type { CliIO } from "../io.js";
import type { CliCommand } from "../command.js";
import { collect } from "../options.js";

interface ImportFlags {
  from?: string;
  adapter?: string;
  context?: string[];
  allContexts?: boolean;
  kubeconfig?: string;
  requestTimeout: string;
  namespace?: string;
  output: string;
  outputDir?: string;
  diagnostics: "text" | "json";
  set?: string[];
  strict?: boolean;
  quiet?: boolean;
  meshDefaults: "explicit" | "omit";
}

export const importCommand: CliCommand = {
  register(program: Command, io: CliIO, done) {
    program
      .command("import")
      .summary("read a mesh's native objects back into unimesh documents")
      .description(
        "Read Istio, Linkerd or App Mesh objects (files, directories, - for stdin, or a cluster with --context) and write the " +
          "unimesh documents that say the same: TrafficPolicy, AccessPolicy, MTLSPolicy, MeshService. Every native field the model " +
          "cannot carry is a diagnostic with file, object, JSON pointer and why; a native rule the model could only state more " +
          "loosely is an error, never a wider rule. Objects unimesh generated are mapped back to the policies they came from.\n\n" +
          "Give the facts about services with the inputs: MeshService documents (unimesh discover), or the Services and " +
          "Deployments of the application. Nothing is written when anything is an error.",
      )
      .argument("[inputs...]", "files, directories (read recursively for *.yaml, *.yml, *.json) or - for stdin")
      .option("--from <mesh>", "the mesh whose objects these are: istio, linkerd, appmesh (see `unimesh meshes`)")
      .option(
        "--adapter <package|path>",
        "import with a third-party adapter's importer: an npm package or a file (./adapter.js); its default export or export `adapter`",
      )
      .option(
        "--context <names>",
        "read the objects (and the Services and Pods) from these kubeconfig contexts, comma-separated or repeated: one model of every cluster, an object two clusters hold differently is an error",
        collect,
      )
      .option("--all-contexts", "read every context of the kubeconfig")
      .option("--kubeconfig <path>", "kubeconfig file (default: the files in $KUBECONFIG, else ~/.kube/config)")
      .option("--request-timeout <duration>", "timeout of each API request (e.g. 10s, 1m)", "30s")
      .option("-n, --namespace <name>", "namespace of objects that name none (as kubectl -n); with --context, the only namespace read")
      .option("-o, --output <yaml|json>", "document format: a YAML stream, or a JSON v1 List", "yaml")
      .option("--output-dir <dir>", "write one <namespace>.yaml per namespace into DIR (replacing a directory unimesh wrote before), whole or not at all")
      .addOption(new Option("--diagnostics <format>", "diagnostics on stderr: text lines, or one JSON object").choices(["text", "json"]).default("text"))
      .option("--set <key=value>", "setting (repeatable): trustDomain, and the mesh's own (e.g. Istio rootNamespace, clusterDomain)", collect)
      .addOption(
        new Option(
          "--mesh-defaults <how>",
          "what the mesh does where its objects say nothing (e.g. Istio's two retries of a route without retries): explicit writes it into the documents, omit leaves it out (a warning each)",
        )
          .choices(["explicit", "omit"])
          .default("explicit"),
      )
      .option("--strict", "treat warnings as errors")
      .option("-q, --quiet", "do not print info notes (errors and warnings only)")
      .action(async (paths: string[], flags: ImportFlags) => done(await importAction(paths, flags, io)));
  },
};

async function importAction(paths: string[], flags: ImportFlags, io: CliIO) {
  const { UsageError, hasErrors, promoteWarnings, sortDiagnostics } = await import("../../api/diagnostics.js");
  const { findBuiltin, SHIPPED_ADAPTERS } = await import("../adapters.js");
  const { parseSettings } = await import("./translate.js");
  const { checkSettings } = await import("../../api/translate.js");
  const { resolve } = await import("node:path");
  const format = flags.output;
  if (format !== "yaml" && format !== "json") throw new UsageError(`-o/--output selects the document format: yaml or json (got "${format}")`);
  const fromCluster = !!(flags.context?.length || flags.allContexts);
  if (!paths.length && !fromCluster)
    throw new UsageError("give the objects to import: files, directories or - (stdin), or --context <name> to read them from a cluster");
  if (flags.from === undefined && flags.adapter === undefined)
    throw new UsageError("missing --from <mesh> (istio, linkerd, appmesh) or --adapter <package|path>");
  let adapter;
  if (flags.adapter !== undefined) {
    const { importAdapter } = await import("../adapters.js");
    adapter = await importAdapter(flags.adapter, io.cwd);
    if (flags.from !== undefined && flags.from.toLowerCase() !== adapter.name) {
      throw new UsageError(
        `--from ${flags.from} does not match the adapter loaded with --adapter ${flags.adapter} (its name is "${adapter.name}"); leave --from out or use --from ${adapter.name}`,
      );
    }
    if (!adapter.importer)
      throw new UsageError(
        `--adapter ${flags.adapter}: the adapter "${adapter.name}" has no importer (Adapter.importer), so it cannot import ${adapter.name} objects`,
      );
  } else adapter = await findBuiltin(flags.from!.toLowerCase(), SHIPPED_ADAPTERS, `--from ${flags.from}`);
  if (!adapter.importer) {
    const all = (await SHIPPED_ADAPTERS.all()).filter((a) => a.importer).map((a) => a.name);
    throw new UsageError(`--from ${adapter.name}: unimesh cannot import ${adapter.name} objects; it imports from ${all.join(", ")}`);
  }
  const settings = checkSettings(adapter, parseSettings(flags.set ?? [], UsageError));
  const namespace = flags.namespace ?? "default";

  const out = flags.outputDir;
  const outDir = out === undefined ? undefined : resolve(io.cwd, out);
  const outputDir = outDir ? await import("../output-dir.js") : undefined;
  if (outDir && outputDir) {
    try {
      outputDir.checkOutputDir(outDir, out!, io.cwd);
    } catch (e) {
      if (!(e instanceof outputDir.OutputError)) throw e;
      io.stderr.write(`unimesh: ${e.message}\n`);
      return EXIT.OUTPUT;
    }
  }

  const { readPaths } = await import("../inputs.js");
  const { readNative, importFacts, importObjects, nativeObject, documentsByNamespace, documentsYaml } = await import("../../api/import.js");
  const { podsOf, servicesOf } = await import("../import-facts.js");
  const { countSummary, report } = await import("../report.js");
  const read = paths.length ? readPaths(paths, io) : { inputs: [], diagnostics: [] };
  const native = readNative(read.inputs, namespace);
  const given = importFacts(native.unimesh);
  let objects = native.objects;
  let pods = podsOf(objects);
  const importer = await adapter.importer();
  const clusterDiagnostics: import("../../api/diagnostics.js").Diagnostic[] = [];

  const contextNames: string[] = [];
  if (fromCluster) {
    const { openClusters, stderrLine } = await import("../cluster-command.js");
    const opened = await openClusters(
      { context: flags.context, allContexts: flags.allContexts, kubeconfig: flags.kubeconfig, requestTimeout: flags.requestTimeout },
      io,
      "import",
    );
    if (typeof opened === "number") return opened;
    const { forEachCluster } = await import("../../kube/clusters.js");
    const { listNative } = await import("../../kube/native.js");
    const outcomes = await forEachCluster(
      opened.kubeconfig,
      opened.contexts,
      (client) => listNative(client, importer.kinds, flags.namespace ? [flags.namespace] : []),
      { timeoutMs: opened.timeoutMs },
    );
    let failed = false;
    for (const outcome of outcomes) {
      if (outcome.ok) continue;
      failed = true;
      stderrLine(io, "import", outcome.context.name, `error: ${outcome.error.message}`);
      for (const d of outcome.error.details) io.stderr.write(`  - ${d}\n`);
    }
    // One model of every cluster: nothing is imported unless every cluster could be read.
    if (failed) return EXIT.CLUSTER;
    const merged = mergeClusters(
      outcomes.map((o) => ({ context: o.context.name, listed: (o as { value: Awaited<ReturnType<typeof listNative>> }).value })),
      namespace,
      nativeObject,
    );
    objects = [...objects, ...merged.objects];
    pods = [...pods, ...merged.pods];
    clusterDiagnostics.push(...merged.diagnostics);
    for (const o of outcomes) {
      contextNames.push(o.context.name);
      const listed = (o as { value: Awaited<ReturnType<typeof listNative>> }).value;
      if (flags.diagnostics === "text") {
        stderrLine(
          io,
          "import",
          o.context.name,
          `${listed.objects.length} ${adapter.name} object${listed.objects.length === 1 ? "" : "s"}, ${listed.services.length} Service${listed.services.length === 1 ? "" : "s"}${listed.notServed.length ? `; not served (CRDs not installed): ${listed.notServed.join(", ")}` : ""}`,
        );
      }
    }
  }
  const facts = servicesOf(objects, given.services, pods, contextNames.join(","));
  const result = importObjects(objects, {
    importer,
    mesh: adapter.name,
    services: facts.services,
    settings,
    defaultNamespace: namespace,
    strict: flags.strict,
    meshDefaults: flags.meshDefaults,
  });
  let diagnostics = sortDiagnostics([
    ...read.diagnostics,
    ...native.diagnostics,
    ...given.diagnostics,
    ...clusterDiagnostics,
    ...facts.diagnostics,
    ...result.diagnostics,
  ]);
  if (flags.strict) diagnostics = promoteWarnings(diagnostics);
  const ok = !hasErrors(diagnostics);
  const text = flags.diagnostics === "text";
  const quiet = { quiet: !!flags.quiet };
  const summary = (what: string) => {
    if (!text) return;
    const counts = countSummary(diagnostics, quiet);
    io.stderr.write(`unimesh import: ${adapter.name}: ${what}${counts ? ` (${counts})` : ""}\n`);
  };
  report(io, flags.diagnostics, { ok, mesh: adapter.name, diagnostics, status: [] }, quiet);
  if (!ok) {
    summary("cannot import: nothing written");
    return EXIT.INVALID;
  }
  const docs = result.documents;
  const count = `${docs.length} document${docs.length === 1 ? "" : "s"}`;
  const serialize = (d: typeof docs) => (format === "json" ? JSON.stringify({ apiVersion: "v1", kind: "List", items: d }, null, 2) + "\n" : documentsYaml(d));
  if (outDir && outputDir) {
    const files = documentsByNamespace(docs).map((g) => ({ path: `${g.namespace}.${format}`, content: serialize(g.documents) }));
    try {
      outputDir.writeOutputDir(outDir, out!, files, io.cwd, undefined, "import");
    } catch (e) {
      if (!(e instanceof outputDir.OutputError)) throw e;
      io.stderr.write(`unimesh: ${e.message}\n`);
      return EXIT.OUTPUT;
    }
    summary(`wrote ${count} to ${out} (${files.map((f) => f.path).join(", ")})`);
  } else {
    io.stdout.write(serialize(docs));
    if (diagnostics.length) summary(count);
  }
  return EXIT.OK;
}

/** Fields a cluster sets on every object, which say nothing about what it means. */
const SERVER_FIELDS = ["resourceVersion", "uid", "creationTimestamp", "generation", "managedFields", "selfLink"];

/**
 * The objects, Services and Pods of several clusters as one set of inputs: an object (same kind,
 * namespace and name) that several clusters hold alike is read once; held differently, it is an
 * `import/conflict` error (the model is one for all of them: import the clusters one by one).
 */
export function mergeClusters(
  clusters: {
    context: string;
    listed: { objects: Record<string, unknown>[]; services: { metadata: { name: string; namespace?: string } }[]; pods: unknown[] };
  }[],
  namespace: string,
  nativeObject: typeof import("../../api/import.js").nativeObject,
): { objects: NonNullable<ReturnType<typeof nativeObject>>[]; pods: any[]; diagnostics: import("../../api/diagnostics.js").Diagnostic[] } {
  const seen = new Map<string, { key: string; context: string; canonical: string }>();
  const objects: NonNullable<ReturnType<typeof nativeObject>>[] = [];
  const diagnostics: import("../../api/diagnostics.js").Diagnostic[] = [];
  const meaning = (o: Record<string, unknown>) => {
    const { status: _, ...rest } = o;
    const metadata = { ...(rest.metadata as Record<string, unknown>) };
    for (const f of SERVER_FIELDS) delete metadata[f];
    return JSON.stringify(sortKeys({ ...rest, metadata }));
  };
  for (const { context, listed } of clusters) {
    const file = `context/${context}`;
    const all = [...listed.objects, ...listed.services.map((s) => ({ apiVersion: "v1", kind: "Service", ...s }))];
    all.forEach((item, i) => {
      const o = nativeObject(item, { file, documentIndex: i, pointer: "" }, namespace);
      if (!o) return;
      const key = `${o.group}/${o.id}`;
      const canonical = meaning(item as Record<string, unknown>);
      const prev = seen.get(key);
      if (!prev) {
        seen.set(key, { key, context, canonical });
        objects.push(o);
      } else if (prev.canonical !== canonical) {
        diagnostics.push({
          code: "import/conflict",
          severity: "error",
          file,
          documentIndex: i,
          policy: o.id,
          message: `${o.id} differs between contexts ${prev.context} and ${context}: one model cannot hold both; import the clusters one by one (one --context each)`,
        });
      }
    });
  }
  return { objects, pods: clusters.flatMap((c) => c.listed.pods), diagnostics };
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === "object")
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    );
  return v;
}
