/**
 * `unimesh up` with a VirtualMesh among the inputs: every member runs locally as its own built-in proxy,
 * whatever mesh it names (`spec.members[].mesh` is what `translate`/`apply` use for the real cluster).
 * Per member: the policies translated for that member (its trust domain, `split[].cluster`, `failover`,
 * `source.clusters`: src/adapters/builtin/features/crossCluster.ts), its own registries
 * (`-s MEMBER=FILE`), its own intermediate CA under the virtual mesh's one root (`--trust-dir DIR` from
 * `unimesh trust init`, else made in memory, never written), and an east-west listener through which the
 * other members reach its services (mutual TLS passed through by SNI: src/proxy/net/eastwest.ts). The
 * east-west listener binds the member's `gateway` when it is a loopback address, else 127.0.0.1 on a
 * free port (the member's gateway is a cluster's address, not this machine's); a registry's own
 * `eastWest` wins. Members whose registries set no admin port get a free one. Nothing here prints key
 * material: the summary names each member's intermediate by its SHA-256 fingerprint.
 */
import { dirname, resolve } from "node:path";
import { type Diagnostic, hasErrors, UsageError } from "../api/diagnostics.js";
import type { VirtualMeshMember } from "../api/generated/model.js";
import type { ProxyConfig } from "../api/generated/proxyConfig.js";
import type { MemberTrust } from "../api/cluster.js";
import { builtin } from "../adapters/builtin/index.js";
import { configFromFiles, printDiagnostics, summary } from "../proxy/cli-support.js";
import { startProxy, ProxyConfigError, type ProxyRuntime } from "../proxy/runtime.js";
import { CertificateAuthority } from "../proxy/identity/ca.js";
import { serveUntilStopped } from "../proxy/serve.js";
import { startApps, stopApps, waitForApps, type RunningApp } from "../proxy/apps.js";
import { EXIT, type ExitCode } from "./exit-codes.js";
import { loadInputs, type LoadedInputs } from "./inputs.js";
import type { CliIO } from "./io.js";
import { translateMember } from "./virtual-mesh.js";
import { applyAccessLog } from "./commands/proxy.js";
import { fingerprint, memoryTrust, readMemberTrust } from "./trust.js";

/** The `up` flags a virtual mesh reads. */
export interface VirtualUpFlags {
  services: string[];
  run: boolean;
  watch: boolean;
  accessLog?: string | false;
  strict?: boolean;
  trustDir?: string;
}

/** True for an address of this machine's loopback interface (where `up` may bind a member's gateway as written). */
function loopback(address: string | undefined): boolean {
  return address !== undefined && (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address) || address === "::1");
}

/**
 * `-s MEMBER=FILE` (repeatable) → the registry files of each member, resolved.
 * @throws UsageError for a registry without a member, or a member the VirtualMesh does not have.
 */
export function memberRegistries(services: readonly string[], members: readonly VirtualMeshMember[], vm: string, cwd: string): Map<string, string[]> {
  const names = members.map((m) => m.name);
  const out = new Map<string, string[]>(names.map((n) => [n, []]));
  for (const s of services) {
    const eq = s.indexOf("=");
    const name = eq < 0 ? undefined : s.slice(0, eq);
    if (name === undefined || !out.has(name))
      throw new UsageError(
        `-s ${s}: the inputs hold VirtualMesh ${vm}, whose members each run their own registry: say whose it is, -s MEMBER=FILE (members: ${names.join(", ")})`,
      );
    out.get(name)!.push(resolve(cwd, s.slice(eq + 1)));
  }
  return out;
}

/** Runs every member of the inputs' VirtualMesh (see the module comment). */
export async function upVirtual(paths: string[], flags: VirtualUpFlags, io: CliIO, loaded: LoadedInputs, appTimeoutMs: number): Promise<ExitCode> {
  const write = (s: string) => io.stderr.write(s);
  const vm = loaded.model.virtualMesh!;
  const members = vm.doc.spec.members;
  const registries = memberRegistries(flags.services, members, vm.id, io.cwd);

  // Trust: every member's intermediate under one root.
  let trust: MemberTrust[];
  if (flags.trustDir !== undefined) {
    const dir = resolve(io.cwd, flags.trustDir);
    trust = members.map((m) => readMemberTrust(dir, flags.trustDir!, m));
    const roots = new Set(trust.map((t) => t.rootCertPem.trim()));
    if (roots.size > 1)
      throw new UsageError(`--trust-dir ${flags.trustDir}: the members' root-cert.pem differ; one virtual mesh has one root (unimesh trust init)`);
  } else trust = await memoryTrust(vm.name, members);
  const cas = new Map<string, CertificateAuthority>();
  for (const t of trust) cas.set(t.member, await CertificateAuthority.fromPem(t.caCertPem, t.caKeyPem, t.trustDomain, t.rootCertPem));

  /** One member's configuration: its translation, its registries, its east-west listener. */
  const build = (m: VirtualMeshMember, withModelDiagnostics: boolean): { config?: ProxyConfig; diagnostics: Diagnostic[] } => {
    const again = withModelDiagnostics ? loadInputs(paths, io, flags.strict) : loaded;
    const modelDiagnostics = withModelDiagnostics ? again.diagnostics : [];
    if (!again.ok || !again.model.memberNamed(m.name)) return { diagnostics: modelDiagnostics };
    const t = translateMember(
      again.model,
      { member: m, adapter: builtin, version: "1", chosenBy: "unimesh up" },
      { allowApproximations: [], settings: {}, strict: !!flags.strict },
    );
    const diagnostics = [...modelDiagnostics, ...t.result.diagnostics];
    if (!t.result.ok) return { diagnostics };
    const doc = t.result.resources[0] as unknown as ProxyConfig;
    const r = configFromFiles(registries.get(m.name)!, [{ doc, file: paths.join(","), documentIndex: 0 }]);
    if (r.config) {
      applyAccessLog(r.config, flags.accessLog);
      const spec = r.config.spec;
      spec.eastWest ??= loopback(m.gateway?.address) ? { address: m.gateway!.address, port: m.gateway!.port ?? 15443 } : { address: "127.0.0.1", port: 0 };
      spec.admin = { address: "127.0.0.1", port: 0, ...spec.admin };
    }
    return { ...r, diagnostics: [...diagnostics, ...r.diagnostics] };
  };

  printDiagnostics(write, loaded.diagnostics);
  const firsts = members.map((m) => ({ m, ...build(m, false) }));
  for (const f of firsts) printDiagnostics(write, f.diagnostics);
  if (firsts.some((f) => !f.config || hasErrors(f.diagnostics))) return EXIT.INVALID;

  // Where each member's east-west listener is, filled as the members start (the others read it per request).
  const gateways = new Map<string, { address: string; port: number }>();
  let quitAll = (_reason: string) => {};
  const proxies: { m: VirtualMeshMember; proxy: ProxyRuntime; config: ProxyConfig }[] = [];
  const stopStarted = () => Promise.all(proxies.map((p) => p.proxy.stop()));
  for (const { m, config } of firsts) {
    try {
      const proxy = await startProxy(config!, {
        ca: cas.get(m.name)!,
        gateways,
        reload: () => build(m, true),
        onEvent: (e) => {
          if (e.msg === "proxy started" || e.msg === "proxy stopped") return;
          write(`unimesh up: ${m.name}: ${e.msg}\n`);
          if (Array.isArray(e.diagnostics)) printDiagnostics(write, e.diagnostics);
        },
        onQuit: () => quitAll("POST /quitquitquit"),
      });
      const ew = proxy.listeners().eastwest;
      gateways.set(m.name, { address: ew.address, port: ew.port });
      proxies.push({ m, proxy, config: config! });
    } catch (e) {
      await stopStarted();
      if (e instanceof ProxyConfigError) {
        printDiagnostics(write, e.diagnostics);
        return EXIT.INVALID;
      }
      if ((e as NodeJS.ErrnoException).code === "EADDRINUSE") {
        write(`unimesh up: member ${m.name}: ${(e as Error).message}: a port of its registry (or its gateway) is taken\n`);
        return EXIT.INVALID;
      }
      throw e;
    }
  }

  let stopping = false;
  const apps: RunningApp[] = [];
  if (flags.run) {
    for (const { m, proxy, config } of proxies) {
      const files = registries.get(m.name)!;
      apps.push(
        ...startApps(config, proxy, {
          baseDir: files.length ? dirname(files[0]) : io.cwd,
          write: (line) => write(`[${m.name}] ${line}`),
          env: { UNIMESH_MEMBER: m.name },
          onExit: (name, code, signal) => {
            if (!stopping) write(`unimesh up: ${m.name}: ${name} exited (${signal ?? `code ${code}`})\n`);
          },
        }),
      );
    }
  }
  if (apps.length) {
    write(`unimesh up: waiting for ${apps.length} app${apps.length === 1 ? "" : "s"} to listen\n`);
    for (const { app, reason } of await waitForApps(apps, appTimeoutMs))
      write(`unimesh up: warning: ${app.name} ${reason}; its calls will fail until it listens\n`);
  }
  const destinations = proxies.reduce((n, p) => n + (p.config.spec.destinations?.length ?? 0), 0);
  write(
    `unimesh up: virtual mesh ${vm.name} running: members ${proxies.map((p) => p.m.name).join(", ")} (${destinations} destinations with policies, ${apps.length} apps started)\n`,
  );
  for (const { m, proxy } of proxies) {
    const t = trust.find((x) => x.member === m.name)!;
    const ew = gateways.get(m.name)!;
    const stands =
      m.gateway && !loopback(m.gateway.address) ? ` (stands in for its gateway ${m.gateway.address}${m.gateway.port ? `:${m.gateway.port}` : ""})` : "";
    write(
      `member ${m.name}: trust domain ${m.trustDomain}, intermediate CA SHA256 ${fingerprint(t.caCertPem)}${flags.trustDir !== undefined ? ` (from ${flags.trustDir})` : " (in memory)"}, east-west ${ew.address}:${ew.port}${stands}\n${summary(proxy)}`,
    );
  }
  const watch = (m: VirtualMeshMember) => (flags.watch ? { watch: [...paths.map((p) => resolve(io.cwd, p)), ...registries.get(m.name)!] } : {});
  const served = proxies.map(({ m, proxy }) =>
    serveUntilStopped(proxy, {
      ...watch(m),
      onStopping: (why) => {
        if (!stopping) write(`unimesh up: ${why}: stopping\n`);
        stopping = true;
        quitAll(why);
      },
    }),
  );
  quitAll = (reason) => {
    for (const s of served) s.quit(reason);
  };
  await Promise.all(served.map((s) => s.done));
  await stopApps(apps);
  return EXIT.OK;
}
