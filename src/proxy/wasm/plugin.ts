/**
 * Proxy-wasm modules on the proxy's side: each plugin (module file + root id + configuration) runs in
 * its own worker thread (./vm.ts), so a module that loops cannot freeze the proxy's event loop and one
 * that traps cannot take the proxy down. Every call has a time limit ({@link WASM_LIMITS}): past it the
 * worker is terminated, the calls waiting on it fail, and the next request starts a fresh VM. A failure
 * of any kind (the file's sha256 differs, the module does not start, traps, runs too long, calls a host
 * function unimesh does not implement) fails the request closed: the caller gets 500 and the proxy logs
 * one line saying which plugin, which request callback and why.
 *
 * The module's bytes are read and their SHA-256 checked against the configuration BEFORE the module is
 * compiled; a module can only see the request and response of the stream it is called for (its
 * callbacks get the headers and bodies of that stream, nothing else: no other request, no proxy state).
 */
import { Worker } from "node:worker_threads";
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { VM_SOURCE } from "./vm.js";
import { IdTable } from "../idTable.js";

/** Time and size limits of the Wasm runtime. */
export const WASM_LIMITS = {
  /** Milliseconds one callback (headers, body, done) may run. */
  callMs: 1000,
  /** Milliseconds a VM may take to compile, instantiate and start (vm_start, configure). */
  startMs: 10_000,
  /** Bytes of a request or response body given to a module (larger: the request fails, 413 / 502). */
  maxBodyBytes: 1024 * 1024,
  /** Milliseconds before a failed VM (bad digest, failed start) is tried again. */
  retryMs: 5000,
};

/** The configuration of one plugin (`Destination.wasm[]` of the ProxyConfig, resolved). */
export interface WasmPluginConfig {
  /** The WasmExtension (`Kind/namespace/name`), for logs. */
  policy: string;
  /** Path of the `.wasm` file (relative: to the proxy's working directory). */
  file: string;
  sha256: string;
  /** The root id (`pluginName`); "" by default. */
  rootId: string;
  /** The plugin configuration, JSON text. */
  config: string;
}

/** A header list as proxy-wasm passes it: lower-case names, pseudo-headers first. */
export type Pairs = [string, string][];

/** A local response a module sent (`proxy_send_local_response`). */
export interface LocalResponse {
  status: number;
  details: string;
  body: Uint8Array;
  headers: Pairs;
  grpcStatus: number;
}

/** What one callback returned. */
export interface CallResult {
  /** The callback's return value: 0 Continue, 1 StopIteration (headers) / StopIterationAndBuffer (body), ... */
  status: number;
  headers?: Pairs;
  body?: Uint8Array;
  local?: LocalResponse;
}

/** One stream (HTTP context) of a VM: the request it is for sees it through every callback. */
export interface WasmStream {
  vm: WasmVm;
  ctx: number;
  policy: string;
}

/** A failure that fails the request closed. */
export class WasmFailure extends Error {}

/** Log levels of proxy_log: trace 0 ... critical 5. */
const LEVELS = ["trace", "debug", "info", "warn", "error", "critical"] as const;

type Event = (e: { level: "info" | "warn" | "error"; msg: string; [k: string]: unknown }) => void;

interface Pending {
  resolve(r: CallResult): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
  op: string;
}

/** One VM of one plugin, in a worker thread; restarted after a failure. */
export class WasmVm {
  private worker?: Worker;
  private starting?: Promise<Worker>;
  private failedUntil = 0;
  private failure = "";
  private readonly pending = new IdTable<Pending>();
  private nextId = 1;
  private nextCtx = 2;
  private closed = false;

  constructor(
    readonly config: WasmPluginConfig,
    private readonly event: Event,
  ) {}

  /** A new stream (HTTP context) id. */
  newContext(): number {
    return this.nextCtx++;
  }

  /** Runs one callback of stream `ctx`. @throws WasmFailure (the request must fail closed). */
  async call(
    op: "request_headers" | "request_body" | "response_headers" | "response_body" | "done",
    ctx: number,
    payload: Record<string, unknown>,
  ): Promise<CallResult> {
    const w = await this.start();
    const id = this.nextId++;
    return new Promise<CallResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(w, `${op} ran longer than ${WASM_LIMITS.callMs} ms (the module is stopped and restarted for the next request)`);
      }, WASM_LIMITS.callMs);
      this.pending.set(id, { resolve, reject, timer, op });
      w.postMessage({ id, op, ctx, ...payload });
    });
  }

  /** Stops the VM (proxy stop, or a configuration without this plugin). */
  close(): void {
    this.closed = true;
    if (this.worker) void this.worker.terminate();
    this.worker = undefined;
  }

  private start(): Promise<Worker> {
    if (this.closed) return Promise.reject(new WasmFailure("the plugin was removed by a reload"));
    if (this.worker) return Promise.resolve(this.worker);
    if (Date.now() < this.failedUntil) return Promise.reject(new WasmFailure(this.failure));
    this.starting ??= this.boot().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  private async boot(): Promise<Worker> {
    const c = this.config;
    let bytes: Buffer;
    try {
      bytes = await readFile(c.file);
    } catch (e) {
      throw this.startFailed(`cannot read the module ${c.file}: ${(e as Error).message}`);
    }
    const digest = createHash("sha256").update(bytes).digest("hex");
    if (digest !== c.sha256) throw this.startFailed(`the module ${c.file} has sha256 ${digest}, not the configured ${c.sha256}: not loaded`);
    const w = new Worker(VM_SOURCE, {
      eval: true,
      workerData: { bytes: new Uint8Array(bytes), rootId: c.rootId, name: c.policy, config: new TextEncoder().encode(c.config), logLevel: 2 },
      resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 16 },
    });
    w.unref();
    return new Promise<Worker>((resolve, reject) => {
      let started = false;
      const timer = setTimeout(() => {
        void w.terminate();
        reject(this.startFailed(`the module did not start within ${WASM_LIMITS.startMs} ms`));
      }, WASM_LIMITS.startMs);
      w.on("message", (m: { type?: string; id?: number; error?: string; logs?: { level: number; msg: string }[] } & CallResult) => {
        this.logs(m.logs);
        if (!started) {
          started = true;
          clearTimeout(timer);
          if (m.type === "ready") {
            this.worker = w;
            this.event({ level: "info", msg: "wasm plugin started", plugin: c.policy, module: c.file });
            resolve(w);
          } else {
            void w.terminate();
            reject(this.startFailed(`the module did not start: ${m.error}`));
          }
          return;
        }
        const p = this.pending.get(m.id!);
        if (!p) return;
        this.pending.delete(m.id!);
        clearTimeout(p.timer);
        if (m.error) {
          // A trap can leave the module's memory in any state: this VM is not used again.
          this.fail(w, `${p.op}: ${m.error}`, p);
          return;
        }
        p.resolve(m);
      });
      w.on("error", (e) => {
        if (!started) {
          started = true;
          clearTimeout(timer);
          reject(this.startFailed(`the module could not be loaded: ${e.message}`));
          return;
        }
        this.fail(w, `the VM failed: ${e.message}`);
      });
      w.on("exit", () => {
        if (!started) {
          started = true;
          clearTimeout(timer);
          reject(this.startFailed("the VM exited while starting"));
          return;
        }
        if (this.worker === w) this.fail(w, "the VM exited");
      });
    });
  }

  private startFailed(why: string): WasmFailure {
    this.failure = `wasm plugin ${this.config.policy}: ${why}`;
    this.failedUntil = Date.now() + WASM_LIMITS.retryMs;
    this.event({ level: "error", msg: "wasm plugin failed to start", plugin: this.config.policy, module: this.config.file, reason: why });
    return new WasmFailure(this.failure);
  }

  /** Ends a VM after a trap, a time-out or an exit: every call waiting on it fails; the next call starts a new one. */
  private fail(w: Worker, why: string, first?: Pending): void {
    if (this.worker === w) this.worker = undefined;
    void w.terminate();
    this.event({ level: "error", msg: "wasm plugin failed", plugin: this.config.policy, reason: why });
    const all = [...(first ? [first] : []), ...this.pending.values()];
    this.pending.clear();
    for (const p of all) {
      clearTimeout(p.timer);
      p.reject(new WasmFailure(`wasm plugin ${this.config.policy}: ${p === first ? why : `${p.op}: the VM was stopped (${why})`}`));
    }
  }

  private logs(logs: { level: number; msg: string }[] | undefined): void {
    for (const l of logs ?? []) {
      this.event({
        level: l.level >= 4 ? "error" : l.level === 3 ? "warn" : "info",
        msg: "wasm log",
        plugin: this.config.policy,
        wasmLevel: LEVELS[l.level] ?? String(l.level),
        log: l.msg,
      });
    }
  }
}

/** The VMs of the running proxy, one per plugin configuration; kept across reloads while configured. */
export class WasmHost {
  private readonly vms = new Map<string, WasmVm>();
  private readonly byConfig = new WeakMap<WasmPluginConfig, [string, WasmVm]>();
  constructor(public event: Event) {}

  /** The VM of a plugin (created on first use; started on its first request). */
  vm(c: WasmPluginConfig): WasmVm {
    const cached = this.byConfig.get(c);
    if (cached && this.vms.get(cached[0]) === cached[1]) return cached[1];
    const key = keyOf(c);
    let vm = this.vms.get(key);
    if (!vm) this.vms.set(key, (vm = new WasmVm(c, (e) => this.event(e))));
    this.byConfig.set(c, [key, vm]);
    return vm;
  }

  /** Stops the VMs of plugins the services' destinations no longer configure (after a reload). */
  retain(services: Iterable<{ destination: { wasm?: readonly WasmPluginConfig[] } }>): void {
    const used = new Set<string>();
    for (const s of services) for (const c of s.destination.wasm ?? []) used.add(keyOf(c));
    for (const [k, vm] of this.vms)
      if (!used.has(k)) {
        vm.close();
        this.vms.delete(k);
      }
  }

  close(): void {
    for (const vm of this.vms.values()) vm.close();
    this.vms.clear();
  }
}

const keyOf = (c: WasmPluginConfig): string => JSON.stringify([c.policy, c.file, c.sha256, c.rootId, c.config]);
