/**
 * `unimesh up <policies...> --services <registry>`: the whole local mesh in one command. It
 * translates the policies for the built-in proxy (`--mesh builtin`), merges the ServiceRegistry, runs
 * the proxy, and starts every instance that has a `run` command with its outbound listener as
 * HTTP_PROXY. Saving a policy or the registry re-translates and reloads (an invalid change is
 * reported and the running configuration stays); SIGINT/SIGTERM drains the proxy and stops the apps.
 * With a VirtualMesh among the inputs, every member runs as its own proxy with its own registries
 * (`-s MEMBER=FILE`) and intermediate CA (`--trust-dir`): see ../up-virtual.ts.
 */
import type { Command } from "commander";
import { EXIT } from "../exit-codes.js";
import type { CliIO } from "../io.js";
import type { CliCommand } from "../command.js";
import { collect } from "../options.js";

interface UpFlags {
  services: string[];
  run: boolean;
  watch: boolean;
  accessLog?: string | false;
  strict?: boolean;
  trustDir?: string;
}

export const upCommand: CliCommand = {
  register(program: Command, io: CliIO, done) {
    program
      .command("up")
      .summary("run policies on a local mesh: the built-in proxy and your services, no cluster")
      .description(
        "Translate the policies for the built-in proxy, start it for the services of the registry (-s), and start every instance " +
          "that has a `run` command (its outbound listener is its HTTP_PROXY). The policies are enforced on real traffic: " +
          "routes, retries, timeouts, faults, mutual TLS, access control, rate limits. Saving an input reloads; Ctrl-C stops everything.",
      )
      .argument("<policies...>", "policy files or directories (as for `unimesh translate`)")
      .requiredOption("-s, --services <file>", "ServiceRegistry file (repeatable); with a VirtualMesh, MEMBER=FILE: the registry of that member", collect)
      .option("--no-run", "do not start the apps (they run elsewhere)")
      .option("--no-watch", "do not reload when an input changes")
      .option("--access-log <path|->", "write access logs (JSON lines) to a file, or - for stdout (default: stdout)")
      .option("--no-access-log", "no access logs")
      .option("--strict", "treat warnings as errors")
      .option(
        "--trust-dir <dir>",
        "with a VirtualMesh: each member's intermediate CA from this directory (unimesh trust init); default: made in memory under one new root",
      )
      .action(async (paths: string[], flags: UpFlags) => done(await upAction(paths, flags, io)));
  },
};

/** How long `up` waits for its apps to listen: `UNIMESH_UP_APP_TIMEOUT` seconds, default 30. */
function appTimeoutMs(env: Record<string, string | undefined>): number {
  const s = Number(env.UNIMESH_UP_APP_TIMEOUT);
  return Number.isFinite(s) && s > 0 ? s * 1000 : 30_000;
}

async function upAction(paths: string[], flags: UpFlags, io: CliIO) {
  const { resolve } = await import("node:path");
  const { loadInputs } = await import("../inputs.js");
  const { translate } = await import("../../api/translate.js");
  const { hasErrors } = await import("../../api/diagnostics.js");
  const { builtin } = await import("../../adapters/builtin/index.js");
  const { configFromFiles, printDiagnostics, registryDir, registryTrustDomain, summary } = await import("../../proxy/cli-support.js");
  const { startProxy, ProxyConfigError } = await import("../../proxy/runtime.js");
  const { serveUntilStopped } = await import("../../proxy/serve.js");
  const { startApps, stopApps, waitForApps } = await import("../../proxy/apps.js");
  const { applyAccessLog } = await import("./proxy.js");
  const write = (s: string) => io.stderr.write(s);
  const probe = loadInputs(paths, io, flags.strict);
  if (probe.ok && probe.model.virtualMesh) {
    const { upVirtual } = await import("../up-virtual.js");
    return upVirtual(paths, flags, io, probe, appTimeoutMs(io.env));
  }
  if (flags.trustDir !== undefined) {
    const { UsageError } = await import("../../api/diagnostics.js");
    throw new UsageError("--trust-dir: the inputs hold no VirtualMesh (each member's intermediate CA is for a virtual mesh's members)");
  }
  const registryFiles = flags.services.map((f) => resolve(io.cwd, f));

  const build = () => {
    const loaded = loadInputs(paths, io, flags.strict);
    if (!loaded.ok) return { diagnostics: loaded.diagnostics, registries: [] };
    // The registries' trust domain is the one the proxy's CA issues identities in: the policies name theirs.
    const trustDomain = registryTrustDomain(registryFiles);
    const t = translate(loaded.model, { adapter: builtin, ...(trustDomain ? { settings: { trustDomain } } : {}), ...(flags.strict ? { strict: true } : {}) });
    const diagnostics = [...loaded.diagnostics, ...t.diagnostics];
    if (!t.ok) return { diagnostics, registries: [] };
    const doc = t.resources[0] as unknown as import("../../api/generated/proxyConfig.js").ProxyConfig;
    const r = configFromFiles(registryFiles, [{ doc, file: paths.join(","), documentIndex: 0 }]);
    if (r.config) applyAccessLog(r.config, flags.accessLog);
    return { ...r, diagnostics: [...diagnostics, ...r.diagnostics] };
  };

  const first = build();
  printDiagnostics(write, first.diagnostics);
  if (!first.config || hasErrors(first.diagnostics)) return EXIT.INVALID;
  let quit = (_reason: string) => {};
  let proxy;
  try {
    proxy = await startProxy(first.config, {
      reload: build,
      onEvent: (e) => {
        if (e.msg === "proxy started" || e.msg === "proxy stopped") return;
        write(`unimesh up: ${e.msg}\n`);
        if (Array.isArray(e.diagnostics)) printDiagnostics(write, e.diagnostics);
      },
      onQuit: () => quit("POST /quitquitquit"),
    });
  } catch (e) {
    if (e instanceof ProxyConfigError) {
      printDiagnostics(write, e.diagnostics);
      return EXIT.INVALID;
    }
    if ((e as NodeJS.ErrnoException).code === "EADDRINUSE") {
      write(`unimesh up: ${(e as Error).message}: a port of the registry is taken\n`);
      return EXIT.INVALID;
    }
    throw e;
  }
  const apps = flags.run
    ? startApps(first.config, proxy, {
        baseDir: registryDir(first.registries, io.cwd),
        write,
        onExit: (name, code, signal) => {
          if (!stopping) write(`unimesh up: ${name} exited (${signal ?? `code ${code}`})\n`);
        },
      })
    : [];
  let stopping = false;
  // "Running" only once every app answers on its port: the first request must not be a 503.
  if (apps.length) {
    write(`unimesh up: waiting for ${apps.length} app${apps.length === 1 ? "" : "s"} to listen\n`);
    for (const { app, reason } of await waitForApps(apps, appTimeoutMs(io.env)))
      write(`unimesh up: warning: ${app.name} ${reason}; its calls will fail until it listens\n`);
  }
  write(
    `unimesh up: local mesh running (${first.config.spec.destinations?.length ?? 0} destinations with policies, ${apps.length} apps started)\n${summary(proxy)}`,
  );
  const served = serveUntilStopped(proxy, {
    ...(flags.watch ? { watch: [...paths.map((p) => resolve(io.cwd, p)), ...registryFiles] } : {}),
    onStopping: (why) => {
      stopping = true;
      write(`unimesh up: ${why}: stopping\n`);
    },
  });
  quit = served.quit;
  await served.done;
  await stopApps(apps);
  return EXIT.OK;
}
