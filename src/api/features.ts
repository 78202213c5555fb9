/**
 * The features of the model. Each name is the schema property that asks for it, and is also the
 * feature module name in adapters, the golden case name and the README matrix row.
 */
export const FEATURES = [
  "match",
  "split",
  "timeout",
  "retries",
  "faultInjection",
  "mirror",
  "headers",
  "cors",
  "rewrite",
  "redirect",
  "directResponse",
  "outlierDetection",
  "connectionPool",
  "loadBalancer",
  "rateLimit",
  "mtls",
  "access",
  "accessL7",
  "accessNegation",
  "scope",
  "requestAuthentication",
  "trafficSource",
  "subsetSettings",
  "crossCluster",
  "wasmExtension",
] as const;

/**
 * A model feature. `accessL7` is access by methods/paths/headers; `accessNegation` the negative
 * conditions of access rules (`notServiceAccounts`, `notNamespaces`, `notIpBlocks`, `notMethods`,
 * `notPaths`, `notPorts`, `notHeaders`); `scope` namespace- and mesh-wide AccessPolicies and
 * MTLSPolicies (no destination, `scope: mesh`); `requestAuthentication` the RequestAuthentication kind
 * (end-user tokens, JWT) and the access rule conditions on them (`requestPrincipals`,
 * `notRequestPrincipals`, `claims`, `notClaims`); `trafficSource` is a source-scoped TrafficPolicy; `crossCluster` the references to other member clusters
 * of a VirtualMesh (`split[].cluster`, `source.clusters`).
 * `wasmExtension` the WasmExtension kind (a proxy-wasm module run by the destination's proxies).
 */
export type Feature = (typeof FEATURES)[number];

/** One-line descriptions, for `unimesh meshes` and the README matrix. */
export const FEATURE_TITLES: Record<Feature, string> = {
  match: "Request matching (path, method, headers, query)",
  split: "Weighted split across subsets and other Services",
  timeout: "Request timeout",
  retries: "Retries (attempts, per-try timeout, retry-on)",
  faultInjection: "Fault injection (delay, abort)",
  mirror: "Mirroring",
  headers: "Request/response header changes",
  cors: "CORS",
  rewrite: "URL rewrite",
  redirect: "Redirect",
  directResponse: "Direct response",
  outlierDetection: "Outlier detection (circuit breaking)",
  connectionPool: "Connection-pool limits",
  loadBalancer: "Load-balancing algorithm",
  rateLimit: "Local rate limiting",
  mtls: "mTLS mode (strict/permissive/disabled)",
  access: "Access control by identity/namespace",
  accessL7: "Access control by method/path/header/port",
  accessNegation: "Negative access conditions (notServiceAccounts/Namespaces/IpBlocks, notMethods/Paths/Ports/Headers)",
  scope: "Namespace- and mesh-wide AccessPolicy and MTLSPolicy",
  requestAuthentication: "Request authentication (JWT): issuers, JWKS, token locations; access rules on requestPrincipals and claims",
  trafficSource: "Source-specific traffic rules",
  subsetSettings: "Per-subset outlier detection, connection pool, load balancer",
  crossCluster: "Virtual mesh: split targets and access sources in other member clusters",
  wasmExtension: "WebAssembly extensions (proxy-wasm modules: phase, priority, configuration, ports)",
};
