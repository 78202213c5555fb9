/**
 * `unimesh explain --from <ns>/<sa>|unauthenticated --to <ns>/<service>[:port] METHOD PATH [-H k:v]... <inputs...>`:
 * the decision for one request, made by the built-in proxy's own decision code (src/inspect/explain.ts),
 * and per mesh (`--mesh`) whether that mesh would decide the same. Exit 0 when the request would pass,
 * 6 (`EXIT.DENIED`) when a proxy would refuse it, so CI can assert that a path is closed.
 *
 * Live mode: `--context NAME` with files adds that cluster's facts; `--applied [MESH]` (the default with
 * `--context` and no files) decides with what unimesh applied there, read back (src/cli/applied.ts); with
 * files too, the destination's drift is listed (the exit code stays the decision's).
 */
import type { Command } from "commander";
import { EXIT } from "../exit-codes.js";
import type { CliIO } from "../io.js";
import type { CliCommand } from "../command.js";
import { type ClusterFlags, addClusterOptions } from "../cluster-command.js";
import { collect, outputOption } from "../options.js";

interface ExplainFlags extends ClusterFlags {
  applied?: boolean | string;
  policySet?: string;
  from: string;
  to: string;
  header?: string[];
  mesh?: string;
  output: "text" | "json";
}

export const explainCommand: CliCommand = {
  register(program: Command, io: CliIO, done) {
    const cmd = program
      .command("explain")
      .summary("the decision for one request: allowed or denied, by which rule, which route")
      .description(
        "Explain what happens to one request: allowed or denied and by which rule (or by the default deny), the route chosen, " +
          "backends with weights, timeout, retries, fault injection, mirror, header changes; decided by the built-in proxy's own " +
          "code, so `unimesh up` decides the same. With --mesh, whether each mesh would decide the same (from its adapter's diagnostics). " +
          "Exit 0 when the request would pass, 6 when it would be denied.",
      )
      .argument("<method>", "HTTP method, e.g. GET")
      .argument("<path>", "request path, with an optional ?query")
      .argument("[inputs...]", "policy files or directories (default: the current directory)")
      .requiredOption("--from <ns/serviceAccount|unauthenticated>", "the caller: a workload's identity, or unauthenticated (plaintext, no mesh identity)")
      .requiredOption("--to <ns/service[:port]>", "the destination service and Service port")
      .option("-H, --header <name:value>", "a request header (repeatable)", collect)
      .option("-m, --mesh <a,b,...|all>", "compare with these meshes (NAME[@VERSION], comma-separated, or all)")
      .option(
        "--applied [mesh]",
        "live mode: decide with what unimesh applied to the cluster of --context (read back with the mesh's importer; MESH when the cluster holds several meshes' objects) instead of the files; with input files too, also list where the cluster differs from them for the destination (the exit code stays the decision's). The default with --context and no input files",
      )
      .option(
        "--policy-set <name>",
        "with --applied: only the objects apply wrote for this policy set (label unimesh.io/policy-set, as apply --policy-set set it)",
      )
      .addOption(outputOption("text: the explanation; json: the same as one JSON object on stdout"))
      .action(async (method: string, path: string, paths: string[], flags: ExplainFlags) => {
        const { UsageError } = await import("../../api/diagnostics.js");
        const { explain } = await import("../../inspect/explain.js");
        const { parseRef } = await import("../../inspect/describe.js");
        const { formatExplanation } = await import("../../inspect/text.js");
        const { modelsFor, meshTargets, appliedJson, formatApplied, driftFor } = await import("../inspect-support.js");
        if (!/^[A-Za-z]+$/.test(method)) throw new UsageError(`method "${method}": expected an HTTP method such as GET`);
        if (!path.startsWith("/")) throw new UsageError(`path "${path}": expected a path starting with / (e.g. /reviews/1)`);
        let from: { namespace: string; serviceAccount: string } | "unauthenticated";
        if (flags.from === "unauthenticated") from = "unauthenticated";
        else {
          if (!flags.from.includes("/"))
            throw new UsageError(`--from "${flags.from}": expected <namespace>/<serviceAccount> or unauthenticated (e.g. bookinfo/bookinfo-productpage)`);
          const r = parseRef(flags.from, "--from");
          from = { namespace: r.namespace, serviceAccount: r.name };
        }
        const tm = /^([^:]+)(?::(\d{1,5}))?$/.exec(flags.to);
        if (!tm || !tm[1].includes("/")) throw new UsageError(`--to "${flags.to}": expected <namespace>/<service>[:port] (e.g. bookinfo/reviews:9080)`);
        const to = parseRef(tm[1], "--to");
        const port = tm[2] !== undefined ? Number(tm[2]) : undefined;
        if (port !== undefined && (port < 1 || port > 65535)) throw new UsageError(`--to "${flags.to}": port must be 1-65535`);
        const headers: Record<string, string> = {};
        for (const h of flags.header ?? []) {
          const i = h.indexOf(":");
          const name = i > 0 ? h.slice(0, i).trim().toLowerCase() : "";
          if (!/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) throw new UsageError(`-H "${h}": expected name:value (e.g. -H end-user:jason)`);
          const value = h.slice(i + 1).trim();
          headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
        }
        const meshes = await meshTargets(flags.mesh);
        const live = await modelsFor(paths, io, flags, "explain");
        if (typeof live === "number") return done(live);
        const e = await explain(
          live.model,
          { from, to: { namespace: to.namespace, service: to.name, ...(port !== undefined ? { port } : {}) }, method, path, headers },
          { meshes },
        );
        const code = e.decision === "allowed" ? EXIT.OK : EXIT.DENIED;
        if (!live.applied) {
          io.stdout.write(flags.output === "json" ? JSON.stringify(e, null, 2) + "\n" : formatExplanation(e));
          return done(code);
        }
        // Live mode --applied (origins name the cluster objects): with files, the destination's drift.
        const { inspect } = await import("../../inspect/inspect.js");
        const { formatDrift } = await import("../../inspect/drift.js");
        const drift = live.files
          ? await driftFor(live, { namespace: to.namespace, service: to.name }, inspect(live.model, { namespace: to.namespace, service: to.name }))
          : undefined;
        if (flags.output === "json") io.stdout.write(JSON.stringify({ ...e, applied: appliedJson(live.applied), ...(drift ? { drift } : {}) }, null, 2) + "\n");
        else io.stdout.write(formatExplanation(e) + formatApplied(live.applied) + (drift ? formatDrift(drift, live.applied.context) : ""));
        done(code);
      });
    // Live mode: --context NAME adds that cluster's discovered facts (see inspect-support.ts).
    addClusterOptions(cmd);
  },
};
