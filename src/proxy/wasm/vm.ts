/**
 * The proxy-wasm host (ABI 0.2.x, HTTP filters) that runs INSIDE a worker thread: it instantiates one
 * module (one VM, one root context), answers the module's host calls and runs its callbacks on the
 * messages of the proxy's thread (./plugin.ts). This function is sent to the worker as source text
 * (`new Worker(VM_SOURCE, { eval: true })`), so it must not use anything from outside its own body:
 * no imports, no module-level names. Everything the module can reach goes through the host calls below,
 * each of which reads and writes only the module's own memory, bounds-checked, and only the header maps
 * and buffers of the stream whose callback is running.
 *
 * Implemented host calls (spec: github.com/proxy-wasm/spec abi-versions/v0.2.1; semantics as Envoy's
 * `source/extensions/common/wasm/context.cc` and proxy-wasm-cpp-host `src/exports.cc`):
 * proxy_log, proxy_get_log_level, proxy_get_current_time_nanoseconds, proxy_get_property (the
 * properties the proxy passes: see plugin.ts), proxy_get_header_map_value, proxy_get_header_map_pairs,
 * proxy_get_header_map_size, proxy_add_header_map_value, proxy_replace_header_map_value,
 * proxy_remove_header_map_value, proxy_set_header_map_pairs, proxy_get_buffer_bytes,
 * proxy_get_buffer_status, proxy_set_buffer_bytes, proxy_send_local_response,
 * proxy_continue_stream / proxy_continue_request / proxy_continue_response (no-op: nothing is paused
 * across calls), proxy_clear_route_cache (no-op: the route is chosen before the inbound listener),
 * proxy_set_effective_context, proxy_get_status (no status), proxy_done, and WASI/AssemblyScript exits
 * (proc_exit, abort: a trap). Every other import (timers, shared data and queues, metrics, HTTP and
 * gRPC callouts, foreign functions, set_property, close_stream, the rest of WASI) is a stub that
 * TRAPS with "host call X is not implemented": the call fails the request closed, never silently.
 */
export function proxyWasmVm(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the worker is a CommonJS eval script
  const { parentPort, workerData } = require("node:worker_threads") as typeof import("node:worker_threads");
  const port = parentPort!;
  const data = workerData as { bytes: Uint8Array<ArrayBuffer>; rootId: string; name: string; config: Uint8Array; logLevel: number };
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  const OK = 0,
    NOT_FOUND = 1,
    BAD_ARGUMENT = 2,
    INVALID_MEMORY_ACCESS = 6,
    EMPTY = 7;
  const ROOT = 1;
  type Pairs = [string, string][];
  interface Stream {
    requestHeaders: Pairs;
    responseHeaders: Pairs;
    requestBody: Uint8Array;
    responseBody: Uint8Array;
    props: Record<string, string | number | boolean>;
    /** The maps/buffers the running callback may change. */
    phase: "request" | "response" | "none";
    local?: { status: number; details: string; body: Uint8Array; headers: Pairs; grpcStatus: number };
  }
  class Trap extends Error {}
  let logs: { level: number; msg: string }[] = [];
  let current: Stream | undefined;
  let effective = ROOT;
  const streams = new Map<number, Stream>();
  const pluginProps: Record<string, string> = { plugin_root_id: data.rootId, plugin_name: data.name, plugin_vm_id: "" };

  const view = () => new DataView(memory.buffer);
  const bytes = (ptr: number, len: number): Uint8Array => {
    ptr >>>= 0;
    len >>>= 0;
    if (ptr + len > memory.buffer.byteLength) throw new Trap(`out-of-bounds memory read (${ptr}+${len})`);
    return new Uint8Array(memory.buffer, ptr, len).slice();
  };
  const str = (ptr: number, len: number) => dec.decode(bytes(ptr, len));
  const inBounds = (ptr: number, len: number) => (ptr >>> 0) + (len >>> 0) <= memory.buffer.byteLength;
  const writeU32 = (ptr: number, v: number): boolean => {
    if (!inBounds(ptr, 4)) return false;
    view().setUint32(ptr >>> 0, v >>> 0, true);
    return true;
  };
  /** Copies `b` into memory the module allocates, and writes its address and size at the two pointers. */
  const give = (b: Uint8Array, ptrPtr: number, sizePtr: number): number => {
    const exp = instance.exports as any;
    const alloc = exp.proxy_on_memory_allocate ?? exp.malloc;
    if (typeof alloc !== "function") throw new Trap("the module exports neither proxy_on_memory_allocate nor malloc");
    const at = b.length ? (alloc(b.length) as number) >>> 0 : 0;
    if (b.length) {
      if (!at || !inBounds(at, b.length)) throw new Trap("the module's allocator returned an invalid address");
      new Uint8Array(memory.buffer, at, b.length).set(b);
    }
    if (!inBounds(ptrPtr, 4) || !inBounds(sizePtr, 4)) return INVALID_MEMORY_ACCESS;
    writeU32(ptrPtr, at);
    writeU32(sizePtr, b.length);
    return OK;
  };
  const serializePairs = (pairs: Pairs): Uint8Array => {
    const encoded = pairs.map(([k, v]) => [enc.encode(k), enc.encode(v)] as const);
    let size = 4 + encoded.length * 8;
    for (const [k, v] of encoded) size += k.length + v.length + 2;
    const out = new Uint8Array(size);
    const dv = new DataView(out.buffer);
    dv.setUint32(0, encoded.length, true);
    let off = 4;
    for (const [k, v] of encoded) {
      dv.setUint32(off, k.length, true);
      dv.setUint32(off + 4, v.length, true);
      off += 8;
    }
    for (const [k, v] of encoded) {
      out.set(k, off);
      off += k.length + 1;
      out.set(v, off);
      off += v.length + 1;
    }
    return out;
  };
  const parsePairs = (b: Uint8Array): Pairs | undefined => {
    if (b.length < 4) return b.length === 0 ? [] : undefined;
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const n = dv.getUint32(0, true);
    if (n > 100_000 || 4 + n * 8 > b.length) return undefined;
    const sizes: [number, number][] = [];
    for (let i = 0; i < n; i++) sizes.push([dv.getUint32(4 + i * 8, true), dv.getUint32(8 + i * 8, true)]);
    let off = 4 + n * 8;
    const out: Pairs = [];
    for (const [ks, vs] of sizes) {
      if (off + ks + vs + 2 > b.length) return undefined;
      const k = dec.decode(b.subarray(off, off + ks));
      off += ks + 1;
      const v = dec.decode(b.subarray(off, off + vs));
      off += vs + 1;
      out.push([k, v]);
    }
    return out;
  };
  /** The header map of `type` of the current stream: 0 request headers, 2 response headers; writable in its own phase. */
  const headerMap = (type: number, write: boolean): Pairs | undefined => {
    const s = current;
    if (!s) return undefined;
    if (type === 0) return write && s.phase !== "request" ? undefined : s.requestHeaders;
    if (type === 2) return write && s.phase !== "response" ? undefined : s.phase === "request" ? undefined : s.responseHeaders;
    return undefined;
  };
  const setPairs = (type: number, pairs: Pairs) => {
    if (type === 0) current!.requestHeaders = pairs;
    else current!.responseHeaders = pairs;
  };
  /** Buffers: 0 request body, 1 response body (of the current stream, in their phase), 7 plugin configuration, 6 VM configuration. */
  const buffer = (type: number): Uint8Array | undefined => {
    if (type === 7) return data.config;
    if (type === 6) return new Uint8Array(0);
    const s = current;
    if (!s) return undefined;
    if (type === 0 && s.phase === "request") return s.requestBody;
    if (type === 1 && s.phase === "response") return s.responseBody;
    return undefined;
  };
  const log = (level: number, msg: string) => {
    if (level >= data.logLevel) logs.push({ level, msg: msg.length > 4096 ? msg.slice(0, 4096) + "…" : msg });
  };

  const host: Record<string, (...a: number[]) => number | bigint | void> = {
    proxy_log(level, ptr, len) {
      log(level, str(ptr, len));
      return OK;
    },
    proxy_get_log_level(ptr) {
      return writeU32(ptr, data.logLevel) ? OK : INVALID_MEMORY_ACCESS;
    },
    proxy_get_current_time_nanoseconds(ptr) {
      if (!inBounds(ptr, 8)) return INVALID_MEMORY_ACCESS;
      view().setBigUint64(ptr >>> 0, BigInt(Date.now()) * 1_000_000n, true);
      return OK;
    },
    proxy_set_effective_context(id) {
      effective = id;
      return OK;
    },
    proxy_get_status(codePtr, msgPtrPtr, msgSizePtr) {
      if (!writeU32(codePtr, 0)) return INVALID_MEMORY_ACCESS;
      return give(new Uint8Array(0), msgPtrPtr, msgSizePtr);
    },
    proxy_done() {
      return OK;
    },
    proxy_continue_stream() {
      return OK;
    },
    proxy_continue_request() {
      return OK;
    },
    proxy_continue_response() {
      return OK;
    },
    proxy_clear_route_cache() {
      return OK;
    },
    proxy_get_property(pathPtr, pathLen, valuePtrPtr, valueSizePtr) {
      const path = str(pathPtr, pathLen)
        .split("\0")
        .filter((x) => x !== "")
        .join(".");
      let v: string | number | boolean | undefined = pluginProps[path];
      if (v === undefined && current) v = current.props[path];
      if (v === undefined) return NOT_FOUND;
      let out: Uint8Array;
      if (typeof v === "string") out = enc.encode(v);
      else if (typeof v === "boolean") out = new Uint8Array([v ? 1 : 0]);
      else {
        out = new Uint8Array(8);
        new DataView(out.buffer).setBigInt64(0, BigInt(v), true);
      }
      return give(out, valuePtrPtr, valueSizePtr);
    },
    proxy_get_header_map_value(type, keyPtr, keyLen, valuePtrPtr, valueSizePtr) {
      const map = headerMap(type, false);
      if (!map) return BAD_ARGUMENT;
      const key = str(keyPtr, keyLen).toLowerCase();
      const values = map.filter(([k]) => k === key).map(([, v]) => v);
      if (!values.length) return NOT_FOUND;
      return give(enc.encode(values.join(",")), valuePtrPtr, valueSizePtr);
    },
    proxy_get_header_map_pairs(type, ptrPtr, sizePtr) {
      const map = headerMap(type, false);
      if (!map) return BAD_ARGUMENT;
      return give(serializePairs(map), ptrPtr, sizePtr);
    },
    proxy_get_header_map_size(type, sizePtr) {
      const map = headerMap(type, false);
      if (!map) return BAD_ARGUMENT;
      return writeU32(sizePtr, serializePairs(map).length) ? OK : INVALID_MEMORY_ACCESS;
    },
    proxy_add_header_map_value(type, keyPtr, keyLen, valuePtr, valueLen) {
      const map = headerMap(type, true);
      if (!map) return BAD_ARGUMENT;
      map.push([str(keyPtr, keyLen).toLowerCase(), str(valuePtr, valueLen)]);
      return OK;
    },
    proxy_replace_header_map_value(type, keyPtr, keyLen, valuePtr, valueLen) {
      const map = headerMap(type, true);
      if (!map) return BAD_ARGUMENT;
      const key = str(keyPtr, keyLen).toLowerCase();
      const value = str(valuePtr, valueLen);
      const i = map.findIndex(([k]) => k === key);
      const rest = map.filter(([k], j) => k !== key || j === i);
      if (i < 0) rest.push([key, value]);
      else rest[rest.findIndex(([k]) => k === key)] = [key, value];
      setPairs(type, rest);
      return OK;
    },
    proxy_remove_header_map_value(type, keyPtr, keyLen) {
      const map = headerMap(type, true);
      if (!map) return BAD_ARGUMENT;
      const key = str(keyPtr, keyLen).toLowerCase();
      setPairs(
        type,
        map.filter(([k]) => k !== key),
      );
      return OK;
    },
    proxy_set_header_map_pairs(type, ptr, len) {
      const map = headerMap(type, true);
      if (!map) return BAD_ARGUMENT;
      const pairs = parsePairs(bytes(ptr, len));
      if (!pairs) return BAD_ARGUMENT;
      setPairs(
        type,
        pairs.map(([k, v]) => [k.toLowerCase(), v]),
      );
      return OK;
    },
    proxy_get_buffer_bytes(type, start, maxSize, ptrPtr, sizePtr) {
      const b = buffer(type);
      if (!b) return type === 0 || type === 1 ? EMPTY : BAD_ARGUMENT;
      start >>>= 0;
      maxSize >>>= 0;
      if (start > b.length) return BAD_ARGUMENT;
      return give(b.subarray(start, Math.min(b.length, start + maxSize)), ptrPtr, sizePtr);
    },
    proxy_get_buffer_status(type, lengthPtr, flagsPtr) {
      const b = buffer(type);
      if (!b) return type === 0 || type === 1 ? EMPTY : BAD_ARGUMENT;
      return writeU32(lengthPtr, b.length) && writeU32(flagsPtr, 0) ? OK : INVALID_MEMORY_ACCESS;
    },
    proxy_set_buffer_bytes(type, start, size, ptr, len) {
      const s = current;
      if (!s || !((type === 0 && s.phase === "request") || (type === 1 && s.phase === "response"))) return BAD_ARGUMENT;
      const b = type === 0 ? s.requestBody : s.responseBody;
      start >>>= 0;
      size >>>= 0;
      if (start > b.length) return BAD_ARGUMENT;
      const insert = bytes(ptr, len);
      const end = Math.min(b.length, start + size);
      const out = new Uint8Array(start + insert.length + (b.length - end));
      out.set(b.subarray(0, start), 0);
      out.set(insert, start);
      out.set(b.subarray(end), start + insert.length);
      if (type === 0) s.requestBody = out;
      else s.responseBody = out;
      return OK;
    },
    proxy_send_local_response(status, detailsPtr, detailsLen, bodyPtr, bodyLen, headersPtr, headersLen, grpcStatus) {
      const s = current;
      if (!s || s.phase === "none") return BAD_ARGUMENT;
      const headers = parsePairs(bytes(headersPtr, headersLen));
      if (!headers) return BAD_ARGUMENT;
      if (!(status >= 200 && status <= 599)) return BAD_ARGUMENT;
      s.local = {
        status,
        details: str(detailsPtr, detailsLen),
        body: bytes(bodyPtr, bodyLen),
        headers: headers.map(([k, v]) => [k.toLowerCase(), v]),
        grpcStatus: grpcStatus | 0,
      };
      return OK;
    },
  };
  const exit = (what: string) => () => {
    throw new Trap(what);
  };
  const imports: Record<string, Record<string, any>> = {};
  const unimplemented = (mod: string, name: string) => () => {
    throw new Trap(`host call ${mod}.${name} is not implemented by unimesh's proxy-wasm host`);
  };

  const module = new WebAssembly.Module(data.bytes);
  for (const imp of WebAssembly.Module.imports(module)) {
    const m = (imports[imp.module] ??= {});
    if (imp.kind !== "function") continue; // memories/tables/globals: instantiation fails with a clear error
    if (imp.module === "env" && host[imp.name]) m[imp.name] = host[imp.name];
    else if (imp.name === "proc_exit") m[imp.name] = (code: number) => exit(`the module exited (proc_exit ${code})`)();
    else if (imp.module === "env" && imp.name === "abort") {
      m[imp.name] = (msgPtr: number, filePtr: number, line: number, col: number) => {
        // AssemblyScript's abort(message, fileName, line, column): UTF-16 strings with their byte length before them.
        const as = (p: number) => {
          try {
            if (!p || !inBounds(p - 4, 4)) return "";
            const n = view().getUint32(p - 4, true);
            return inBounds(p, n) ? String.fromCharCode(...new Uint16Array(memory.buffer.slice(p, p + Math.min(n, 2048)))) : "";
          } catch {
            return "";
          }
        };
        throw new Trap(`abort: ${as(msgPtr)} at ${as(filePtr)}:${line}:${col}`);
      };
    } else m[imp.name] = unimplemented(imp.module, imp.name);
  }
  const instance = new WebAssembly.Instance(module, imports);
  const exp = instance.exports as any;
  if (!(exp.memory instanceof WebAssembly.Memory)) throw new Error("the module exports no memory");
  const memory: WebAssembly.Memory = exp.memory;
  const abi = Object.keys(exp).find((k) => k.startsWith("proxy_abi_version_"));
  if (abi && !/^proxy_abi_version_0_(1|2)_/.test(abi)) throw new Error(`unsupported ABI ${abi} (unimesh implements proxy-wasm 0.2.x)`);
  const call = (name: string, ...args: number[]): number => {
    const f = exp[name];
    if (typeof f !== "function") return 0;
    const r = f(...args);
    return typeof r === "number" ? r : 0;
  };
  const stream = (id: number): Stream => {
    let s = streams.get(id);
    if (!s) {
      s = { requestHeaders: [], responseHeaders: [], requestBody: new Uint8Array(0), responseBody: new Uint8Array(0), props: {}, phase: "none" };
      streams.set(id, s);
      current = s;
      call("proxy_on_context_create", id, ROOT);
    }
    return s;
  };

  // Start: WASI reactor/command initialisation, then the root context, the VM and the plugin.
  const started = (() => {
    try {
      if (typeof exp._initialize === "function") exp._initialize();
      else if (typeof exp._start === "function") exp._start();
      call("proxy_on_context_create", ROOT, 0);
      if (typeof exp.proxy_on_vm_start === "function" && !call("proxy_on_vm_start", ROOT, 0)) return "proxy_on_vm_start returned false";
      if (typeof exp.proxy_on_configure === "function" && !call("proxy_on_configure", ROOT, data.config.length))
        return "proxy_on_configure returned false (the plugin rejected its configuration)";
      return undefined;
    } catch (e) {
      return `trapped while starting: ${(e as Error).message}`;
    }
  })();
  port.postMessage({ type: started ? "failed" : "ready", error: started, logs });
  logs = [];
  if (started) return;

  port.on("message", (m: any) => {
    const reply: any = { id: m.id };
    try {
      const s = stream(m.ctx);
      current = s;
      effective = m.ctx;
      if (m.props) Object.assign(s.props, m.props);
      switch (m.op) {
        case "request_headers":
          s.phase = "request";
          s.requestHeaders = m.headers;
          reply.status = call("proxy_on_request_headers", m.ctx, s.requestHeaders.length, m.eos ? 1 : 0);
          reply.headers = s.requestHeaders;
          break;
        case "request_body":
          s.phase = "request";
          s.requestBody = m.body;
          reply.status = call("proxy_on_request_body", m.ctx, s.requestBody.length, 1);
          reply.body = s.requestBody;
          break;
        case "response_headers":
          s.phase = "response";
          s.responseHeaders = m.headers;
          reply.status = call("proxy_on_response_headers", m.ctx, s.responseHeaders.length, m.eos ? 1 : 0);
          reply.headers = s.responseHeaders;
          break;
        case "response_body":
          s.phase = "response";
          s.responseBody = m.body;
          reply.status = call("proxy_on_response_body", m.ctx, s.responseBody.length, 1);
          reply.body = s.responseBody;
          break;
        case "done":
          s.phase = "none";
          call("proxy_on_done", m.ctx);
          call("proxy_on_log", m.ctx);
          call("proxy_on_delete", m.ctx);
          streams.delete(m.ctx);
          break;
      }
      if (s.local) {
        reply.local = s.local;
        s.local = undefined;
      }
    } catch (e) {
      reply.error = e instanceof Trap || e instanceof WebAssembly.RuntimeError ? `trap: ${(e as Error).message}` : `host error: ${(e as Error).message}`;
    } finally {
      current = undefined;
      void effective;
    }
    reply.logs = logs;
    logs = [];
    port.postMessage(reply);
  });
}

/** The worker's source: {@link proxyWasmVm} called. */
export const VM_SOURCE = `(${proxyWasmVm.toString()})();`;
