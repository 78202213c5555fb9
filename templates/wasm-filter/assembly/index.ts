// A proxy-wasm HTTP filter (ABI 0.2.x) in AssemblyScript, with Solo.io's SDK @solo-io/proxy-runtime.
// Build it with `unimesh wasm build` (prints the module's sha256 and writes it into extension.yaml),
// run it with `unimesh up` (the built-in proxy) or ship it to Istio (a WasmPlugin, from the same file).
//
// What it does, from its configuration (WasmExtension spec.config, handed over as JSON text):
//   {"header": "x-wasm-filter", "value": "hello", "denyPath": "/deny"}
// - requests whose path starts with denyPath are answered 403 by the filter itself (a local response);
// - every other request gets the header (the app sees it), and so does every response.
export * from "@solo-io/proxy-runtime/proxy"; // the callbacks the proxy calls (proxy_on_request_headers, ...)
import {
  RootContext, Context, registerRootContext, FilterHeadersStatusValues, stream_context, send_local_response,
  GrpcStatusValues, HeaderPair, log, LogLevelValues,
} from "@solo-io/proxy-runtime";
import { get_buffer_bytes, BufferTypeValues } from "@solo-io/proxy-runtime/runtime";

/** The string value of a top-level field of a flat JSON object ("" when absent). Enough for this config. */
function field(json: string, name: string): string {
  const key = '"' + name + '"';
  const at = json.indexOf(key);
  if (at < 0) return "";
  const colon = json.indexOf(":", at + key.length);
  const open = json.indexOf('"', colon + 1);
  const close = json.indexOf('"', open + 1);
  if (colon < 0 || open < 0 || close < 0) return "";
  return json.substring(open + 1, close);
}

class FilterRoot extends RootContext {
  header: string = "x-wasm-filter";
  value: string = "hello";
  denyPath: string = "";

  // Reads the configuration with get_buffer_bytes (the SDK's default onConfigure passes the size where
  // the ABI expects a pointer).
  onConfigure(configuration_size: u32): bool {
    const json = String.UTF8.decode(get_buffer_bytes(BufferTypeValues.PluginConfiguration, 0, configuration_size));
    const h = field(json, "header");
    if (h != "") this.header = h;
    const v = field(json, "value");
    if (v != "") this.value = v;
    this.denyPath = field(json, "denyPath");
    return true;
  }

  createContext(context_id: u32): Context {
    return new Filter(context_id, this);
  }
}

class Filter extends Context {
  constructor(context_id: u32, root_context: FilterRoot) {
    super(context_id, root_context);
  }

  onRequestHeaders(headers: u32, end_of_stream: bool): FilterHeadersStatusValues {
    const root = this.root_context as FilterRoot;
    const path = stream_context.headers.request.get(":path");
    if (root.denyPath != "" && path.startsWith(root.denyPath)) {
      log(LogLevelValues.info, "denied " + path);
      const extra: HeaderPair[] = [];
      send_local_response(403, "denied by the wasm filter", String.UTF8.encode("denied by the Wasm filter\n"), extra, GrpcStatusValues.PermissionDenied);
      return FilterHeadersStatusValues.StopIteration;
    }
    stream_context.headers.request.add(root.header, root.value);
    return FilterHeadersStatusValues.Continue;
  }

  onResponseHeaders(headers: u32, end_of_stream: bool): FilterHeadersStatusValues {
    const root = this.root_context as FilterRoot;
    stream_context.headers.response.add(root.header, root.value);
    return FilterHeadersStatusValues.Continue;
  }
}

// The root id: WasmExtension spec.pluginName (Istio WasmPlugin pluginName) must say the same.
registerRootContext((context_id: u32) => { return new FilterRoot(context_id); }, "unimesh_filter");
