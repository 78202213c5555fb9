/**
 * The shapes the builtin adapter emits: the ProxyConfig document of unimesh's own proxy, typed by the
 * types generated from `schemas/proxy-config.schema.json`.
 */
export type {
  ProxyConfig,
  ProxyConfigSpec,
  Destination,
  Route,
  Service,
  ServicePort,
  SourceMatch,
  Match,
  Target,
  Retries,
  FaultInjection,
  Mirror,
  HeaderOps,
  Cors,
  Rewrite,
  Redirect,
  DirectResponse,
  OutlierDetection,
  ConnectionPool,
  LoadBalancer,
  RateLimit,
  Access,
  AccessRule,
  Mtls,
  MtlsNamespace,
  Mode,
  WasmPlugin,
} from "../../api/generated/proxyConfig.js";

/** apiVersion of every proxy document. */
export const PROXY_API_VERSION = "unimesh.io/v1alpha1";
/** metadata.name of the emitted ProxyConfig. */
export const PROXY_CONFIG_NAME = "unimesh-proxy";
