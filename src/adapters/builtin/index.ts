/**
 * The `builtin` adapter: unimesh's own data plane. `unimesh translate --mesh builtin` emits one
 * ProxyConfig document (schema: `schemas/proxy-config.schema.json`), the compiled route tables and
 * policies; `unimesh proxy` runs it with a ServiceRegistry of local instances, and `unimesh up` does
 * both in one command. The proxy is the reference implementation of the model's semantics: every
 * feature below is enforced on the wire and proven by a behaviour test in `test/proxy/`.
 */
import type { Adapter, Capabilities } from "../../api/adapter.js";
import { BUILTIN_CROSS_CLUSTER, translateBuiltin } from "./translator.js";

const CAPABILITIES: Capabilities = {
  match: { support: "full", via: "Route.match", note: "regexes run as JavaScript regular expressions (an RE2-only pattern is reported)" },
  split: { support: "full", via: "Route.forward.targets" },
  timeout: { support: "full", via: "Route.timeoutMs" },
  retries: { support: "full", via: "Route.retries" },
  faultInjection: { support: "full", via: "Route.faultInjection" },
  mirror: { support: "full", via: "Route.mirror" },
  headers: { support: "full", via: "Route.headers" },
  cors: { support: "full", via: "Route.cors" },
  rewrite: { support: "full", via: "Route.rewrite" },
  redirect: { support: "full", via: "Route.redirect" },
  directResponse: { support: "full", via: "Route.directResponse" },
  outlierDetection: { support: "full", via: "Destination.outlierDetection", note: "per calling listener" },
  connectionPool: { support: "full", via: "Destination.connectionPool", note: "per calling listener; maxConnections per instance" },
  loadBalancer: { support: "full", via: "Destination.loadBalancer", note: "consistent-hash is rendezvous hashing" },
  rateLimit: { support: "full", via: "Destination.rateLimit", note: "per instance (inbound listener)" },
  mtls: { support: "full", via: "Destination.mtls, spec.mtlsNamespaces", note: "not on pod-only ports (no pod addresses: a policy naming one is an error)" },
  access: { support: "full", via: "Destination.access", note: "not on pod-only ports (no pod addresses: a policy naming one is an error)" },
  accessL7: { support: "full", via: "Destination.access" },
  accessNegation: { support: "full", via: "Destination.access (SourceMatch and AccessRule not* lists)" },
  requestAuthentication: { support: "full", via: "Destination.requestAuthentication (jose) + AccessRule.requestPrincipals/claims", note: "JWKS from a URI: fetched on first use (5 s timeout), kept 5 minutes" },
  scope: { support: "full", via: "Destination.access (all scopes), spec.scopedAccess, spec.mtlsNamespaces, spec.mtlsMesh", note: "every service of the registry in the namespace (or mesh)" },
  trafficSource: { support: "full", via: "Route.source" },
  subsetSettings: { support: "full", via: "Destination.subsets[]", note: "its own per-caller state per subset" },
  crossCluster: { support: "none", note: BUILTIN_CROSS_CLUSTER },
};

/**
 * unimesh's built-in proxy. Versions: the ProxyConfig format `1`. No settings of its own; the core
 * `trustDomain` becomes `ProxyConfig.spec.trustDomain` (the trust domain of its CA and identities).
 */
export const builtin: Adapter = {
  name: "builtin",
  description: "unimesh's own proxy on 127.0.0.1 (`unimesh up` / `unimesh proxy`): a local mesh with no cluster",
  versions: ["1"],
  defaultVersion: "1",
  capabilities: () => CAPABILITIES,
  translate: translateBuiltin,
};

export default builtin;
