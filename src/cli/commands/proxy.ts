/**
 * `unimesh proxy --config <files...>`: runs unimesh's built-in proxy with a ProxyConfig (from
 * `unimesh translate --mesh builtin`) and ServiceRegistry documents (where the local services run).
 * Runs until SIGINT/SIGTERM or POST /quitquitquit (graceful drain); SIGHUP, POST /reload and saving an
 * input file reload it (an invalid change is refused and the running configuration stays).
 */
import type { Command } from "commander";
import { EXIT } from "../exit-codes.js";
import type { CliIO } from "../io.js";
import type { CliCommand } from "../command.js";
import { collect } from "../options.js";

interface ProxyFlags {
  config: string[];
  services?: string[];
  watch: boolean;
  accessLog?: string | false;
}

export const proxyCommand: CliCommand = {
  register(program: Command, io: CliIO, done) {
    program
      .command("proxy")
      .summary("run the built-in proxy with a ProxyConfig and a ServiceRegistry")
      .description(
        "Run unimesh's own data plane on 127.0.0.1: an inbound listener (mutual TLS, access control, rate limits) in front of every " +
          "local service instance and an outbound listener for each app that calls others (route tables, retries, timeouts, faults...). " +
          "Inputs: ProxyConfig documents from `unimesh translate --mesh builtin` and ServiceRegistry documents. " +
          "SIGHUP, POST /reload on the admin port, or saving an input reloads; SIGINT/SIGTERM drains and stops.",
      )
      .requiredOption("-c, --config <file>", "ProxyConfig or ServiceRegistry file (repeatable)", collect)
      .option("-s, --services <file>", "ServiceRegistry file (repeatable; same as --config)", collect)
      .option("--no-watch", "do not reload when an input file changes")
      .option("--access-log <path|->", "write access logs (JSON lines) to a file, or - for stdout (default: the configuration's, stdout)")
      .option("--no-access-log", "no access logs")
      .action(async (flags: ProxyFlags) => done(await proxyAction(flags, io)));
  },
};

async function proxyAction(flags: ProxyFlags, io: CliIO) {
  const { resolve } = await import("node:path");
  const { configFromFiles, printDiagnostics, summary } = await import("../../proxy/cli-support.js");
  const { startProxy, ProxyConfigError } = await import("../../proxy/runtime.js");
  const { serveUntilStopped } = await import("../../proxy/serve.js");
  const { hasErrors } = await import("../../api/diagnostics.js");
  const files = [...flags.config, ...(flags.services ?? [])].map((f) => resolve(io.cwd, f));
  const write = (s: string) => io.stderr.write(s);
  const load = () => {
    const r = configFromFiles(files);
    if (r.config) applyAccessLog(r.config, flags.accessLog);
    return r;
  };
  const first = load();
  printDiagnostics(write, first.diagnostics);
  if (!first.config || hasErrors(first.diagnostics)) return EXIT.INVALID;
  let quit = (_reason: string) => {};
  let proxy;
  try {
    proxy = await startProxy(first.config, {
      reload: load,
      onEvent: (e) => write(JSON.stringify({ time: new Date().toISOString(), ...e }) + "\n"),
      onQuit: () => quit("POST /quitquitquit"),
    });
  } catch (e) {
    if (e instanceof ProxyConfigError) {
      printDiagnostics(write, e.diagnostics);
      return EXIT.INVALID;
    }
    if ((e as NodeJS.ErrnoException).code === "EADDRINUSE") {
      write(`unimesh proxy: ${(e as Error).message}: a port of the configuration is taken\n`);
      return EXIT.INVALID;
    }
    throw e;
  }
  write(`unimesh proxy: running\n${summary(proxy)}`);
  const served = serveUntilStopped(proxy, {
    ...(flags.watch ? { watch: files } : {}),
    onStopping: (why) => write(`unimesh proxy: ${why}: draining\n`),
  });
  quit = served.quit;
  await served.done;
  return EXIT.OK;
}

/** `--access-log` / `--no-access-log` override the configuration's. */
export function applyAccessLog(config: import("../../api/generated/proxyConfig.js").ProxyConfig, flag: string | false | undefined): void {
  if (flag === undefined) return;
  config.spec.accessLog = flag === false ? { enabled: false } : { enabled: true, path: flag };
}
