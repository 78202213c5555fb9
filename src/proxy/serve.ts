/**
 * Serving until told to stop, as `unimesh proxy` and `unimesh up` do: SIGINT/SIGTERM (or POST
 * /quitquitquit) drain and stop, SIGHUP and changed input files reload.
 */
import type { ProxyRuntime } from "./runtime.js";
import { watchPaths } from "./watch.js";

/** Options of {@link serveUntilStopped}. */
export interface ServeOptions {
  /** Files and directories whose changes reload the proxy. */
  watch?: string[];
  /** Reports a reload's outcome. */
  onReload?(r: { ok: boolean; diagnostics: unknown[] }): void;
  /** Called once when stopping starts (before draining). */
  onStopping?(signal: string): void;
}

/**
 * Resolves once the proxy has stopped. `quit` is a function that starts stopping (give it to
 * `startProxy({onQuit})` so POST /quitquitquit ends the serve loop too).
 */
export function serveUntilStopped(proxy: ProxyRuntime, opts: ServeOptions = {}): { done: Promise<string>; quit: (reason: string) => void } {
  let quit!: (reason: string) => void;
  const done = new Promise<string>((resolveDone) => {
    let stopping = false;
    const unwatch = opts.watch?.length ? watchPaths(opts.watch, () => void proxy.reload().then((r) => opts.onReload?.(r))) : () => {};
    const onHup = () => void proxy.reload().then((r) => opts.onReload?.(r));
    quit = (reason: string) => {
      if (stopping) return;
      stopping = true;
      opts.onStopping?.(reason);
      unwatch();
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
      process.off("SIGHUP", onHup);
      void proxy.stop().then(() => resolveDone(reason));
    };
    const onInt = () => quit("SIGINT");
    const onTerm = () => quit("SIGTERM");
    process.on("SIGINT", onInt);
    process.on("SIGTERM", onTerm);
    process.on("SIGHUP", onHup);
  });
  return { done, quit };
}
