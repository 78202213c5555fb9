/**
 * promtool (Debian's `prometheus` package: `apt-get install -y prometheus`; .ci/run installs it) for the
 * golden-metrics tests. Locally a machine without it skips those tests with the reason printed; in CI
 * (CI=true) a missing promtool fails them.
 */
import { execFileSync, spawnSync } from "node:child_process";

/** The promtool binary, or undefined when it is not installed. */
export const PROMTOOL: string | undefined = (() => {
  const r = spawnSync("promtool", ["--version"], { encoding: "utf8" });
  return r.status === 0 ? "promtool" : undefined;
})();

/** The prometheus server binary, or undefined. */
export const PROMETHEUS: string | undefined = (() => {
  const r = spawnSync("prometheus", ["--version"], { encoding: "utf8" });
  return r.status === 0 ? "prometheus" : undefined;
})();

/** Why the promtool tests cannot run here (printed), or undefined when they can. */
export function missing(tool: "promtool" | "prometheus"): string | undefined {
  const present = tool === "promtool" ? PROMTOOL : PROMETHEUS;
  if (present) return undefined;
  const why = `${tool} is not installed (apt-get install -y prometheus)`;
  if (process.env.CI) throw new Error(`${why}: CI installs it in .ci/run`);
  console.warn(`skipped: ${why}`);
  return why;
}

/** Runs promtool; returns its exit status and output (stdout + stderr). */
export function promtool(args: string[], cwd?: string): { status: number; output: string } {
  const r = spawnSync(PROMTOOL!, args, { encoding: "utf8", cwd });
  return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}

/** promtool's version line (for messages). */
export function promtoolVersion(): string {
  return execFileSync(PROMTOOL!, ["--version"], { encoding: "utf8" }).split("\n")[0];
}
