// A proxy-wasm module for the built-in proxy's tests (test/proxy/wasm.test.ts), driven by the request path:
//   /trap      traps (unreachable) in proxy_on_request_headers
//   /loop      never returns from proxy_on_request_headers
//   /tick      calls proxy_set_tick_period_milliseconds, a host call unimesh does not implement
//   /pause     returns StopIteration without a local response (nothing could resume it)
//   /props     adds request headers with properties: x-principal (source.principal), x-path (request.path),
//              x-root (plugin_root_id), x-config (the plugin configuration)
//   /body      uppercases the request body (proxy_on_request_body) and replaces the response body with
//              "wasm saw <n> bytes" (proxy_on_response_body)
//   /redirect  rewrites :path to /rewritten and removes the header x-remove-me
//   /respond   answers 418 from the response callback (a local response instead of the app's)
// Every response gets x-fixture: 1.
export * from "@solo-io/proxy-runtime/proxy";
import {
  RootContext, Context, registerRootContext, FilterHeadersStatusValues, FilterDataStatusValues, stream_context, send_local_response,
  GrpcStatusValues, HeaderPair,
} from "@solo-io/proxy-runtime";
import { get_buffer_bytes, get_property, set_tick_period_milliseconds, BufferTypeValues } from "@solo-io/proxy-runtime/runtime";

// The SDK (0.1.8) declares its buffer setter under the name proxy_get_buffer_status (a copy-paste slip in
// its imports.ts), so the ABI's proxy_set_buffer_bytes is declared here.
// @ts-ignore: decorator
@external("env", "proxy_set_buffer_bytes")
declare function proxy_set_buffer_bytes(typ: i32, start: u32, length: u32, data: usize, size: usize): u32;

class Root extends RootContext {
  config: string = "";
  onConfigure(size: u32): bool {
    this.config = String.UTF8.decode(get_buffer_bytes(BufferTypeValues.PluginConfiguration, 0, size));
    return true;
  }
  createContext(id: u32): Context { return new Fixture(id, this); }
}

function setBuffer(typ: BufferTypeValues, data: ArrayBuffer, replace: u32): void {
  proxy_set_buffer_bytes(typ, 0, replace, changetype<usize>(data), data.byteLength);
}

class Fixture extends Context {
  path: string = "";
  constructor(id: u32, root: Root) { super(id, root); }

  onRequestHeaders(n: u32, eos: bool): FilterHeadersStatusValues {
    this.path = stream_context.headers.request.get(":path");
    const p = this.path;
    if (p.startsWith("/trap")) unreachable();
    if (p.startsWith("/loop")) { let i: i32 = 0; while (i >= 0) { i = (i + 1) & 0xffff; } }
    if (p.startsWith("/tick")) set_tick_period_milliseconds(1000);
    if (p.startsWith("/pause")) return FilterHeadersStatusValues.StopIteration;
    if (p.startsWith("/props")) {
      stream_context.headers.request.add("x-principal", String.UTF8.decode(get_property("source.principal")));
      stream_context.headers.request.add("x-path", String.UTF8.decode(get_property("request.path")));
      stream_context.headers.request.add("x-root", String.UTF8.decode(get_property("plugin_root_id")));
      stream_context.headers.request.add("x-config", (this.root_context as Root).config);
    }
    if (p.startsWith("/redirect")) {
      stream_context.headers.request.replace(":path", "/rewritten");
      stream_context.headers.request.remove("x-remove-me");
    }
    return FilterHeadersStatusValues.Continue;
  }

  onRequestBody(size: usize, eos: bool): FilterDataStatusValues {
    if (this.path.startsWith("/body")) {
      const body = String.UTF8.decode(get_buffer_bytes(BufferTypeValues.HttpRequestBody, 0, size as u32));
      setBuffer(BufferTypeValues.HttpRequestBody, String.UTF8.encode(body.toUpperCase()), size as u32);
    }
    return FilterDataStatusValues.Continue;
  }

  onResponseHeaders(n: u32, eos: bool): FilterHeadersStatusValues {
    if (this.path.startsWith("/respond")) {
      const extra: HeaderPair[] = [];
      send_local_response(418, "teapot", String.UTF8.encode("short and stout\n"), extra, GrpcStatusValues.Unknown);
      return FilterHeadersStatusValues.StopIteration;
    }
    stream_context.headers.response.add("x-fixture", "1");
    return FilterHeadersStatusValues.Continue;
  }

  onResponseBody(size: usize, eos: bool): FilterDataStatusValues {
    if (this.path.startsWith("/body")) {
      setBuffer(BufferTypeValues.HttpResponseBody, String.UTF8.encode("wasm saw " + size.toString() + " bytes"), size as u32);
    }
    return FilterDataStatusValues.Continue;
  }
}

registerRootContext((id: u32) => { return new Root(id); }, "fixture");
