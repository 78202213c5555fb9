/**
 * `unimesh top [--prometheus URL] [--window W] [--interval S] [--once] [-o table|json]`: the golden metrics
 * per service pair (requests per second, success ratio, p50/p99 latency; src/metrics/top.ts) from any
 * Prometheus that evaluates unimesh's recording rules (`unimesh metrics rules`). On a terminal the table
 * refreshes every `--interval` seconds until Ctrl-C; `--once`, `-o json` or an output that is not a terminal
 * print one snapshot. Exit 3 (`EXIT.CLUSTER`) when Prometheus cannot be reached, refuses or garbles a query,
 * or lacks the rules (the first read; later failures are shown in the refreshing display and retried).
 */
import type { Command } from "commander";
import { Option } from "../commander.js";
import { EXIT, type ExitCode } from "../exit-codes.js";
import type { CliIO } from "../io.js";
import type { CliCommand } from "../command.js";

interface TopFlags {
  prometheus: string;
  window: string;
  interval: string;
  once?: boolean;
  output: "table" | "json";
}

/** Clears a terminal and moves the cursor home (ANSI ED 2 + CUP). */
const CLEAR = "\x1b[H\x1b[2J";

export const topCommand: CliCommand = {
  register(program: Command, io: CliIO, done) {
    program
      .command("top")
      .summary("golden metrics per service pair from Prometheus, refreshing (requests/s, success, p50/p99)")
      .description(
        "Show requests per second, success ratio and p50/p99 latency per mesh, source, destination and route, read from a Prometheus " +
          "that evaluates unimesh's recording rules (unimesh metrics rules --mesh ... --window W) through its HTTP API. On a terminal the " +
          "table refreshes every --interval seconds until Ctrl-C; with --once, -o json or when stdout is not a terminal it prints once. " +
          "Exit 3 when Prometheus cannot be reached or lacks the rules (the message names the missing series).",
      )
      .option("--prometheus <url>", "Prometheus base URL (http or https, may hold a path prefix and user:password@)", "http://127.0.0.1:9090")
      .option("--window <duration>", "the rate window of the recording rules (their series names: unimesh:requests:rate<W>)", "5m")
      .option("--interval <seconds>", "seconds between refreshes on a terminal", "5")
      .option("--once", "print one snapshot and exit")
      .addOption(new Option("-o, --output <format>", "table: a text table; json: one JSON object (prints once)").choices(["table", "json"]).default("table"))
      .action(async (flags: TopFlags) => done(await top(flags, io)));
  },
};

async function top(flags: TopFlags, io: CliIO): Promise<ExitCode> {
  const { UsageError } = await import("../../api/diagnostics.js");
  const { readTop, prometheusEndpoint, renderTopTable, topJson } = await import("../../metrics/top.js");
  const seconds = Number(flags.interval);
  if (!/^\d+(\.\d+)?$/.test(flags.interval) || !(seconds >= 0.5) || seconds > 3600)
    throw new UsageError(`--interval ${JSON.stringify(flags.interval)}: expected seconds between 0.5 and 3600 (e.g. 5)`);
  prometheusEndpoint(flags.prometheus); // a bad URL is a usage error before anything is read
  const options = { prometheus: flags.prometheus, window: flags.window };
  const terminal = io.terminal?.();
  const first = await snapshotOrExit(() => readTop(options), io);
  if (typeof first === "number") return first;
  for (const w of first.warnings) io.stderr.write(`unimesh: warning: ${w}\n`);
  if (flags.output === "json") {
    io.stdout.write(topJson(first));
    return EXIT.OK;
  }
  if (flags.once || !terminal) {
    io.stdout.write(renderTopTable(first));
    return EXIT.OK;
  }
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  try {
    await refreshTop({ ...options, intervalMs: seconds * 1000, first }, io, controller.signal);
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
  }
  return EXIT.OK;
}

/** The first snapshot, or the exit code after printing why there is none. */
async function snapshotOrExit<T>(read: () => Promise<T>, io: CliIO): Promise<T | ExitCode> {
  const { MissingRulesError, PrometheusError } = await import("../../metrics/top.js");
  try {
    return await read();
  } catch (e) {
    if (!(e instanceof PrometheusError) && !(e instanceof MissingRulesError)) throw e;
    io.stderr.write(`unimesh: ${e.message}\n`);
    return EXIT.CLUSTER;
  }
}

/** Options of {@link refreshTop}. */
export interface RefreshOptions {
  prometheus: string;
  window: string;
  /** Time between the end of one read and the next, in milliseconds. */
  intervalMs: number;
  /** The snapshot drawn first (already read). */
  first: import("../../metrics/top.js").TopSnapshot;
}

/**
 * The refreshing display: draws `first`, then every `intervalMs` reads and redraws (clearing the terminal;
 * the table fits its size: ROUTE shortened, rows cut), until `signal` aborts. A failed read keeps the last
 * table with the error above it and tries again at the next refresh. Resolves when aborted.
 */
export async function refreshTop(opts: RefreshOptions, io: CliIO, signal: AbortSignal): Promise<void> {
  const { MissingRulesError, PrometheusError, readTop, renderTopTable } = await import("../../metrics/top.js");
  let snap = opts.first;
  let error: string | undefined;
  const every = `every ${opts.intervalMs / 1000} s`;
  for (;;) {
    const size = io.terminal?.() ?? { columns: 120, rows: 40 };
    const header = `unimesh top — ${snap.prometheus} — window ${snap.window} — ${snap.time} (${every}, Ctrl-C to quit)\n`;
    const problems = [...(error ? [error] : []), ...snap.warnings];
    const problem = problems.map((p) => `! ${p}\n`).join("");
    const reserved = 3 + problems.length;
    io.stdout.write(CLEAR + header + problem + "\n" + renderTopTable(snap, { columns: size.columns, maxRows: Math.max(1, size.rows - reserved - 1) }));
    if (!(await sleep(opts.intervalMs, signal))) return;
    try {
      snap = await readTop({ prometheus: opts.prometheus, window: opts.window, signal });
      error = undefined;
    } catch (e) {
      if (signal.aborted) return;
      if (!(e instanceof PrometheusError) && !(e instanceof MissingRulesError)) throw e;
      error = `${new Date().toISOString()}: ${e.message}`;
    }
  }
}

/** Waits `ms`; false when aborted first. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      resolve(false);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
