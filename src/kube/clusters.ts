/**
 * Working on several clusters in one call: each context runs independently (concurrently), a cluster
 * that cannot be reached or fails is reported and does not stop the others, and the caller decides
 * the exit code from every outcome.
 */
import { KubeClient, type KubeClientOptions } from "./client.js";
import { ClusterError, KubeApiError } from "./errors.js";
import type { ContextRef, Kubeconfig } from "./kubeconfig.js";
import { mapLimit } from "./preflight.js";

/** The outcome of one cluster. */
export type ClusterOutcome<T> = { context: ContextRef; ok: true; value: T } | { context: ContextRef; ok: false; error: ClusterError };

/** Options of {@link forEachCluster}. */
export interface ForEachClusterOptions extends KubeClientOptions {
  /** Clusters worked on at the same time. @default 8 */
  concurrency?: number;
}

/** Turns what a cluster operation threw into a ClusterError (redacted); anything else is a bug and is rethrown. */
export function toClusterError(e: unknown, client: KubeClient): ClusterError {
  if (e instanceof ClusterError)
    return new ClusterError(
      e.code,
      client.redact(e.message),
      e.details.map((d) => client.redact(d)),
    );
  if (e instanceof KubeApiError) return new ClusterError(e.status === 403 ? "forbidden" : "api", client.redact(e.message));
  throw e;
}

/**
 * Runs `fn` for every context (in parallel, at most `concurrency` at once) and returns one outcome per
 * context, in the order given. Errors that are not about the cluster (bugs) are rethrown once every
 * cluster has finished.
 */
export async function forEachCluster<T>(
  kubeconfig: Kubeconfig,
  contexts: readonly ContextRef[],
  fn: (client: KubeClient) => Promise<T>,
  opts: ForEachClusterOptions = {},
): Promise<ClusterOutcome<T>[]> {
  let bug: unknown;
  const outcomes = await mapLimit(contexts, opts.concurrency ?? 8, async (context): Promise<ClusterOutcome<T>> => {
    const client = KubeClient.forContext(kubeconfig, context, opts);
    try {
      return { context, ok: true, value: await fn(client) };
    } catch (e) {
      try {
        return { context, ok: false, error: toClusterError(e, client) };
      } catch (b) {
        bug ??= b;
        return { context, ok: false, error: new ClusterError("api", "internal error (see below)") };
      }
    }
  });
  if (bug !== undefined) throw bug;
  return outcomes;
}
