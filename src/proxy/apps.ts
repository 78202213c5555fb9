/**
 * Starting the apps of a local mesh (`unimesh up`): every instance with a `run` gets its process, with
 * PORT, HTTP_PROXY / UNIMESH_OUTBOUND (its outbound listener, with `unimesh:<token>@` when the listener
 * requires its token), UNIMESH_SERVICE, UNIMESH_NAMESPACE and
 * UNIMESH_LABELS in its environment; its output is forwarded line by line with a `[service/labels]`
 * prefix. Stopping sends SIGTERM, then SIGKILL after a grace period.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { connect } from "node:net";
import { resolve } from "node:path";
import type { ProxyConfig } from "../api/generated/proxyConfig.js";
import type { ProxyRuntime } from "./runtime.js";

/** A started app. */
export interface RunningApp {
  name: string;
  process: ChildProcess;
  /** Where the app is to listen (its instance's `address`, default 127.0.0.1, and `port`). */
  address: string;
  port: number;
}

/** Options of {@link startApps}. */
export interface AppOptions {
  /** Directory `run.command` and `run.cwd` are relative to (the registry file's). */
  baseDir: string;
  /** Where app output goes (one prefixed line per call). */
  write(line: string): void;
  /** Called when an app exits. */
  onExit?(name: string, code: number | null, signal: NodeJS.Signals | null): void;
  /** More environment for every app (`unimesh up` with a VirtualMesh: `UNIMESH_MEMBER`); an instance's `run.env` wins. */
  env?: Record<string, string>;
}

/** Starts every instance that has a `run`. */
export function startApps(config: ProxyConfig, proxy: ProxyRuntime, opts: AppOptions): RunningApp[] {
  const apps: RunningApp[] = [];
  for (const s of config.spec.services ?? []) {
    const ns = s.namespace ?? "default";
    for (const inst of s.instances ?? []) {
      if (!inst.run) continue;
      const labels = inst.labels ?? {};
      const name = `${s.name}${Object.keys(labels).length ? `/${Object.values(labels).join(",")}` : ""}`;
      const env: Record<string, string> = {
        ...(process.env as Record<string, string>),
        PORT: String(inst.port),
        UNIMESH_SERVICE: s.name,
        UNIMESH_NAMESPACE: ns,
        UNIMESH_LABELS: JSON.stringify(labels),
        ...(opts.env ?? {}),
        ...(inst.run.env ?? {}),
      };
      if (inst.outbound) {
        const auth = inst.outbound.token ? `unimesh:${inst.outbound.token}@` : "";
        const url = `http://${auth}127.0.0.1:${proxy.outboundPort(s.name, ns, inst.port)}`;
        Object.assign(env, { HTTP_PROXY: url, http_proxy: url, UNIMESH_OUTBOUND: url });
      }
      const [cmd, ...args] = inst.run.command;
      const cwd = resolve(opts.baseDir, inst.run.cwd ?? ".");
      const child = spawn(cmd === "node" ? process.execPath : cmd, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
      const forward = (stream: NodeJS.ReadableStream | null) => {
        let buf = "";
        stream?.setEncoding("utf8");
        stream?.on("data", (d: string) => {
          buf += d;
          let i;
          while ((i = buf.indexOf("\n")) >= 0) {
            opts.write(`[${name}] ${buf.slice(0, i)}\n`);
            buf = buf.slice(i + 1);
          }
        });
      };
      forward(child.stdout);
      forward(child.stderr);
      child.on("error", (e) => opts.write(`[${name}] cannot start ${cmd}: ${e.message}\n`));
      child.on("exit", (code, signal) => opts.onExit?.(name, code, signal));
      apps.push({ name, process: child, address: inst.address ?? "127.0.0.1", port: inst.port });
    }
  }
  return apps;
}

/**
 * Waits until every app accepts TCP connections on its port (tried every 100 ms), so that a mesh said
 * to be running answers its first request. An app that exits first, or is not listening after
 * `timeoutMs`, is returned with the reason; the others are ready.
 */
export async function waitForApps(apps: readonly RunningApp[], timeoutMs = 30_000): Promise<{ app: RunningApp; reason: string }[]> {
  const deadline = Date.now() + timeoutMs;
  const listening = (a: RunningApp) =>
    new Promise<boolean>((resolveTry) => {
      const socket = connect({ host: a.address, port: a.port });
      socket.setTimeout(1000);
      const done = (ok: boolean) => {
        socket.destroy();
        resolveTry(ok);
      };
      socket.once("connect", () => done(true));
      socket.once("error", () => done(false));
      socket.once("timeout", () => done(false));
    });
  const results = await Promise.all(
    apps.map(async (a) => {
      for (;;) {
        if (a.process.exitCode !== null || a.process.signalCode !== null) return { app: a, reason: "exited before it listened" };
        if (await listening(a)) return undefined;
        if (Date.now() > deadline) return { app: a, reason: `not listening on ${a.address}:${a.port} after ${Math.round(timeoutMs / 1000)}s` };
        await new Promise((r) => setTimeout(r, 100));
      }
    }),
  );
  return results.filter((r): r is { app: RunningApp; reason: string } => !!r);
}

/** Stops apps: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopApps(apps: RunningApp[], graceMs = 5000): Promise<void> {
  await Promise.all(
    apps.map(
      ({ process: p }) =>
        new Promise<void>((resolveStop) => {
          if (p.exitCode !== null || p.signalCode !== null) {
            resolveStop();
            return;
          }
          const t = setTimeout(() => p.kill("SIGKILL"), graceMs);
          p.once("exit", () => {
            clearTimeout(t);
            resolveStop();
          });
          p.kill("SIGTERM");
        }),
    ),
  );
}
