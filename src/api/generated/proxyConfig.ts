/* eslint-disable */
/**
 * GENERATED from schemas/proxy-config.schema.json by scripts/generate-types.mjs: do not edit.
 * Run `npm run generate` after changing the schema; a test fails when this file is stale.
 */

/**
 * A document of unimesh's built-in proxy: a ProxyConfig (the compiled policies, written by `unimesh translate --mesh builtin`) or a ServiceRegistry (the local services and their instances, written by a developer). `unimesh proxy` and `unimesh up` merge them. Durations are integers in milliseconds (`...Ms`).
 */
export type ProxyDocument = {
  [k: string]: unknown;
} & {
  apiVersion: "unimesh.io/v1alpha1";
  kind: "ProxyConfig" | "ServiceRegistry";
  metadata: Metadata;
  spec: {};
};
/**
 * A DNS-1123 label: lower-case letters, digits and '-', at most 63 characters.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "Name".
 */
export type Name = string;
/**
 * A TCP port number, 1-65535.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "Port".
 */
export type Port = number;
/**
 * A TCP port to listen on, 0-65535; 0 lets the operating system pick a free port (the chosen port is printed at start and served on the admin port's /listeners).
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "ListenPort".
 */
export type ListenPort = number;
/**
 * An IP address to listen on or connect to. unimesh listens on loopback only by default.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "Address".
 */
export type Address = string;
/**
 * A share of requests in percent, 0-100 (decimals allowed).
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "Percent".
 */
export type Percent = number;
/**
 * mTLS mode of an inbound listener. strict: mutual TLS only (plaintext connections are closed); permissive: mutual TLS and plaintext on the same port (sniffed); disabled: plaintext only (callers do not use TLS).
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "Mode".
 */
export type Mode = "strict" | "permissive" | "disabled";
/**
 * A SPIFFE trust domain (the member's `trustDomain` in a VirtualMesh).
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "TrustDomain".
 */
export type TrustDomain = string;

/**
 * Object metadata (Kubernetes style). `name` identifies the document in logs.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "Metadata".
 */
export interface Metadata {
  /**
   * Name of the document.
   */
  name: string;
  /**
   * Unused by the proxy; accepted for symmetry with other documents.
   */
  namespace?: string;
  /**
   * Labels; `unimesh translate` adds its ownership labels.
   */
  labels?: {
    [k: string]: string;
  };
  /**
   * Annotations; `unimesh.io/policies` lists the policies the document came from.
   */
  annotations?: {
    [k: string]: string;
  };
}
/**
 * Labels (key: value), e.g. `{version: v2}`.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "Labels".
 */
export interface Labels {
  [k: string]: string;
}
/**
 * A port of a service: the port callers put in the Host header (`reviews:9080`).
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "ServicePort".
 */
export interface ServicePort {
  /**
   * A TCP port number, 1-65535.
   */
  port: number;
  /**
   * A TCP port number, 1-65535.
   */
  targetPort?: number;
  /**
   * Application protocol. http: HTTP/1.1 to the app; http2 and grpc: HTTP/2 (h2c) to the app. Default: http.
   */
  protocol?: "http" | "http2" | "grpc";
}
/**
 * One running instance of a service on this machine: its app, the inbound listener in front of it, and optionally the outbound listener its app sends requests to.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "Instance".
 */
export interface Instance {
  /**
   * Address the app listens on. Default: 127.0.0.1.
   */
  address?: string;
  /**
   * A TCP port number, 1-65535.
   */
  port: number;
  /**
   * A TCP port number, 1-65535.
   */
  servicePort?: number;
  labels?: Labels;
  /**
   * The inbound listener in front of the app: terminates mutual TLS, authorizes the verified caller, rate-limits, then forwards to the app. Other proxies send to it.
   */
  inbound?: {
    /**
     * Default: 127.0.0.1.
     */
    address?: string;
    /**
     * Default: 0 (any free port).
     */
    port?: number;
  };
  /**
   * The outbound listener of this instance: its app sends every request there (as HTTP_PROXY, or with the destination in the Host header); requests are routed by the destination service's route table and sent with this instance's identity. Omitted: the instance makes no mesh calls. Trust model (as a sidecar's): any process that can connect to it calls with this instance's identity; `token` narrows that to the processes that know the token.
   */
  outbound?: {
    /**
     * Default: 127.0.0.1.
     */
    address?: string;
    /**
     * Default: 0 (any free port).
     */
    port?: number;
    /**
     * A shared secret binding the listener to its app: every request must carry `Proxy-Authorization: Basic <base64(any-user:token)>` (what HTTP clients send for `HTTP_PROXY=http://unimesh:<token>@127.0.0.1:<port>`, which `unimesh up` gives the app) or `Proxy-Authorization: Bearer <token>`; others get 407. The header is never forwarded. Keep this file readable only by the app's user. Default: none (any local process may use the listener).
     */
    token?: string;
  };
  /**
   * How `unimesh up` starts the app (ignored by `unimesh proxy`). The app gets PORT (its port), HTTP_PROXY and UNIMESH_OUTBOUND (`http://127.0.0.1:<outbound port>`, with `unimesh:<token>@` when the outbound listener has a token), UNIMESH_SERVICE, UNIMESH_NAMESPACE and UNIMESH_LABELS (JSON) in its environment.
   */
  run?: {
    /**
     * Program and arguments, e.g. `[node, reviews.mjs]`. Relative paths are resolved against the registry file's directory.
     *
     * @minItems 1
     */
    command: [string, ...string[]];
    /**
     * Extra environment variables.
     */
    env?: {
      [k: string]: string;
    };
    /**
     * Working directory. Default: the registry file's directory.
     */
    cwd?: string;
  };
}
/**
 * A service of the local mesh: identity, ports, subsets and instances. Facts come from the policies' MeshService documents (or conventions) and instances from a ServiceRegistry; the two are merged by namespace and name.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "Service".
 */
export interface Service {
  /**
   * A DNS-1123 label: lower-case letters, digits and '-', at most 63 characters.
   */
  name: string;
  /**
   * A DNS-1123 label: lower-case letters, digits and '-', at most 63 characters.
   */
  namespace?: string;
  /**
   * Service account its instances run as; their SPIFFE ID is `spiffe://<trustDomain>/ns/<namespace>/sa/<serviceAccount>`. Default: the service name.
   */
  serviceAccount?: string;
  selector?: Labels1;
  /**
   * Ports of the service. Default: the service ports of its instances, else 80.
   *
   * @minItems 1
   */
  ports?: [ServicePort, ...ServicePort[]];
  /**
   * Named subsets: groups of instances selected by labels.
   */
  subsets?: {
    name: Name;
    labels: Labels;
  }[];
  /**
   * Running instances.
   */
  instances?: Instance[];
}
/**
 * Labels (key: value), e.g. `{version: v2}`.
 */
export interface Labels1 {
  [k: string]: string;
}
/**
 * A listener for callers outside the mesh (a browser, curl, a test): it behaves like an outbound listener with its own mesh identity, so the destination's mTLS and access rules apply to it like to any workload.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "Ingress".
 */
export interface Ingress {
  /**
   * A DNS-1123 label: lower-case letters, digits and '-', at most 63 characters.
   */
  name: string;
  /**
   * Default: 127.0.0.1.
   */
  address?: string;
  /**
   * Port to listen on.
   */
  port: number;
  /**
   * A DNS-1123 label: lower-case letters, digits and '-', at most 63 characters.
   */
  namespace?: string;
  /**
   * Service account of its identity. Default: `unimesh-ingress`.
   */
  serviceAccount?: string;
  /**
   * Send every request to this service (its route table still applies). Omitted: route by the Host header like an outbound listener.
   */
  destination?: {
    service: Name;
    /**
     * A DNS-1123 label: lower-case letters, digits and '-', at most 63 characters.
     */
    namespace?: string;
    /**
     * A TCP port number, 1-65535.
     */
    port?: number;
  };
}
/**
 * Exactly one of exact, prefix, regex (JavaScript syntax, whole-string match, run by V8's linear-time engine: no back-references, lookarounds or very large counted repetitions).
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "StringMatch".
 */
export interface StringMatch {
  exact?: string;
  prefix?: string;
  regex?: string;
}
/**
 * A path condition: exactly one of exact, prefix (string prefix), segmentPrefix (whole path segments: `/v2` matches `/v2`, `/v2/`, `/v2/x`, not `/v2x`; Gateway API PathPrefix), regex (whole path).
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "PathMatch".
 */
export interface PathMatch {
  exact?: string;
  prefix?: string;
  segmentPrefix?: string;
  regex?: string;
}
/**
 * Exactly one of exact, prefix, regex (whole value), present (true: header present; false: absent).
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "HeaderMatch".
 */
export interface HeaderMatch {
  exact?: string;
  prefix?: string;
  regex?: string;
  present?: boolean;
}
/**
 * Conditions on the request, all of which must hold. Omitted: every request.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "Match".
 */
export interface Match {
  path?: PathMatch;
  /**
   * HTTP method.
   */
  method?: string;
  /**
   * Request headers by lower-case name.
   */
  headers?: {
    [k: string]: HeaderMatch;
  };
  /**
   * Query parameters by name (first value).
   */
  queryParams?: {
    [k: string]: StringMatch;
  };
}
/**
 * Callers, by verified identity or, for routes, by the calling instance's pod labels. A caller matches when it matches any entry of any positive list (principals, anyIdentity, namespaces, workloads, ipBlocks; none given: every caller) and no entry of a negative list (notPrincipals, notAnyIdentity, notNamespaces, notIpBlocks; a caller without a verified identity is in no principal or namespace). Omitted: any caller, with or without an identity.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "SourceMatch".
 */
export interface SourceMatch {
  /**
   * SPIFFE IDs, `spiffe://<trustDomain>/ns/<ns>/sa/<sa>`.
   */
  principals?: string[];
  /**
   * Any caller with a verified mesh identity.
   */
  anyIdentity?: boolean;
  /**
   * Callers with a verified identity in one of these namespaces.
   */
  namespaces?: Name[];
  /**
   * Calling instances by pod labels (routes only, never access rules): an instance matches when it is of a service in `namespace` and its pod labels (the service's `selector` plus the instance's `labels`) include all of `labels`. Only an instance's outbound listener has pod labels (an ingress has none).
   */
  workloads?: {
    namespace: Name;
    labels: Labels;
  }[];
  /**
   * Callers whose source address is in one of these CIDRs (not an identity).
   */
  ipBlocks?: string[];
  /**
   * Callers that are NOT these SPIFFE IDs (AccessPolicy notServiceAccounts).
   */
  notPrincipals?: string[];
  /**
   * true: callers with a verified mesh identity do not match (notServiceAccounts: ["*"]).
   */
  notAnyIdentity?: boolean;
  /**
   * Callers that are NOT verified identities of these namespaces.
   */
  notNamespaces?: Name[];
  /**
   * Callers whose source address is NOT in any of these CIDRs.
   */
  notIpBlocks?: string[];
  /**
   * Virtual mesh: `namespaces` match only callers whose identity is in one of these trust domains (the members a source's `clusters` names, else the local member's). Omitted: a namespace of any trust domain.
   */
  namespaceTrustDomains?: TrustDomain[];
  /**
   * Virtual mesh: `notNamespaces` exclude only callers whose identity is in one of these trust domains (the local member's). Omitted: a namespace of any trust domain.
   */
  notNamespaceTrustDomains?: TrustDomain[];
}
/**
 * One weighted backend.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "Target".
 */
export interface Target {
  /**
   * A DNS-1123 label: lower-case letters, digits and '-', at most 63 characters.
   */
  subset?: string;
  labels?: Labels;
  /**
   * A DNS-1123 label: lower-case letters, digits and '-', at most 63 characters.
   */
  service?: string;
  /**
   * A DNS-1123 label: lower-case letters, digits and '-', at most 63 characters.
   */
  namespace?: string;
  /**
   * A DNS-1123 label: lower-case letters, digits and '-', at most 63 characters.
   */
  cluster?: string;
  /**
   * Share of the route's requests, integer percent; the weights of a route sum to 100.
   */
  weight: number;
  /**
   * A TCP port number, 1-65535.
   */
  port?: number;
  /**
   * Header changes for the requests sent to this target and its responses, applied after the route's `headers` (never the same header as those).
   */
  headers?: {
    request?: HeaderOps;
    response?: HeaderOps;
  };
}
/**
 * Changes to a set of headers, applied in the order remove, set, add.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "HeaderOps".
 */
export interface HeaderOps {
  /**
   * Set (overwrite) these headers (lower-case names).
   */
  set?: {
    [k: string]: string;
  };
  /**
   * Append these values (lower-case names).
   */
  add?: {
    [k: string]: string;
  };
  /**
   * Remove these headers (lower-case names).
   */
  remove?: string[];
}
/**
 * Retries of failed tries, as Envoy does them.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "Retries".
 */
export interface Retries {
  /**
   * Maximum retries after the first try (0: none).
   */
  attempts: number;
  /**
   * Timeout of each try, including the first (so it applies with attempts 0 too: the single try is bounded by it and answered 504 when it fires); a try that times out is retried when retryOn allows it (5xx, gateway-error, reset). Omitted: none (bounded by the route timeout). In milliseconds.
   */
  perTryTimeoutMs?: number;
  /**
   * Conditions: 5xx, gateway-error (502/503/504), reset, connect-failure, refused-stream, retriable-4xx (409), cancelled, deadline-exceeded, internal, resource-exhausted, unavailable (gRPC status), or a status code (`503`).
   *
   * @minItems 1
   */
  retryOn: [string, ...string[]];
  /**
   * Base interval of the exponential back-off with full jitter: before retry n the proxy waits a random time in [0, (2^n - 1) x base], capped at 10 x base. In milliseconds.
   */
  backoffBaseMs: number;
}
/**
 * Faults injected into matching requests before they are forwarded; percentages apply independently (delay first, then abort).
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "FaultInjection".
 */
export interface FaultInjection {
  /**
   * Delay requests.
   */
  delay?: {
    /**
     * How long. In milliseconds.
     */
    fixedDelayMs: number;
    percent: Percent;
  };
  /**
   * Answer with an error instead of forwarding. Exactly one of httpStatus, grpcStatus.
   */
  abort?: {
    /**
     * HTTP status to answer.
     */
    httpStatus?: number;
    /**
     * gRPC status code to answer (HTTP 200, `grpc-status` header), 1-16 (14 = UNAVAILABLE).
     */
    grpcStatus?: number;
    percent: Percent;
  };
}
/**
 * Copies of requests sent to another backend; their responses are discarded. The copy's Host gets the suffix `-shadow`.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "Mirror".
 */
export interface Mirror {
  service: Name;
  namespace: Name;
  /**
   * A DNS-1123 label: lower-case letters, digits and '-', at most 63 characters.
   */
  subset?: string;
  labels?: Labels;
  /**
   * A TCP port number, 1-65535.
   */
  port?: number;
  percent: Percent;
}
/**
 * CORS answered by the caller's proxy: preflight requests from an allowed origin are answered without forwarding; other responses to an allowed origin get the Access-Control-* headers.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "Cors".
 */
export interface Cors {
  /**
   * Allowed origins.
   *
   * @minItems 1
   */
  allowOrigins: [StringMatch, ...StringMatch[]];
  /**
   * Access-Control-Allow-Methods.
   */
  allowMethods?: string[];
  /**
   * Access-Control-Allow-Headers.
   */
  allowHeaders?: string[];
  /**
   * Access-Control-Expose-Headers.
   */
  exposeHeaders?: string[];
  /**
   * Access-Control-Max-Age, in seconds.
   */
  maxAgeSeconds?: number;
  /**
   * Access-Control-Allow-Credentials.
   */
  allowCredentials?: boolean;
}
/**
 * Changes to the request before it is forwarded.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "Rewrite".
 */
export interface Rewrite {
  /**
   * The matched path prefix replaced by replacePrefixMatch (the route's match.path.prefix).
   */
  prefix?: string;
  /**
   * The route's match.path.segmentPrefix, whose matched segments replacePrefixMatch replaces (Gateway API ReplacePrefixMatch: `/foo` → `/xyz` gives `/xyz/bar` for `/foo/bar`).
   */
  segmentPrefix?: string;
  /**
   * Replacement of `prefix`.
   */
  replacePrefixMatch?: string;
  /**
   * New path (the query string is kept).
   */
  replaceFullPath?: string;
  /**
   * New Host header.
   */
  authority?: string;
}
/**
 * Answer with a redirect. The Location is built from the request with these parts replaced; the query string is kept.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "Redirect".
 */
export interface Redirect {
  /**
   * New scheme.
   */
  scheme?: "http" | "https";
  /**
   * New host (without port).
   */
  authority?: string;
  /**
   * A TCP port number, 1-65535.
   */
  port?: number;
  /**
   * New path.
   */
  path?: string;
  /**
   * Status code.
   */
  statusCode: 301 | 302 | 303 | 307 | 308;
}
/**
 * Answer with a fixed response.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "DirectResponse".
 */
export interface DirectResponse {
  /**
   * HTTP status.
   */
  status: number;
  /**
   * Body (text/plain).
   */
  body?: string;
}
/**
 * One route of a destination's route table (routes are tried in order; the first that matches wins). Exactly one of forward, redirect, directResponse.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "Route".
 */
export interface Route {
  /**
   * Stable id (`<policy>#<pointer>`), used in metrics, access logs and response header `x-unimesh-route` when debugging.
   */
  id: string;
  /**
   * The route's `name` in its TrafficPolicy, when it has one; written to access logs as `routeName` (the id stays the stable key).
   */
  name?: string;
  /**
   * The policy it came from (`TrafficPolicy/<ns>/<name>`); absent for the default route.
   */
  policy?: string;
  source?: SourceMatch;
  /**
   * A TCP port number, 1-65535.
   */
  port?: number;
  match?: Match;
  /**
   * Forward to weighted backends.
   */
  forward?: {
    /**
     * Backends.
     *
     * @minItems 1
     */
    targets: [Target, ...Target[]];
  };
  redirect?: Redirect;
  directResponse?: DirectResponse;
  rewrite?: Rewrite;
  /**
   * Request timeout: from the request being forwarded to the response headers of the last try, retries included; the caller gets 504 when it fires. Omitted: none. In milliseconds.
   */
  timeoutMs?: number;
  retries?: Retries;
  faultInjection?: FaultInjection;
  mirror?: Mirror;
  /**
   * Header changes on the way to the destination (request) and back (response).
   */
  headers?: {
    request?: HeaderOps;
    response?: HeaderOps;
  };
  cors?: Cors;
}
/**
 * Passive health checking by each calling listener: an instance that keeps failing is ejected (gets no traffic) for baseEjectionTimeMs x the number of times it was ejected.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "OutlierDetection".
 */
export interface OutlierDetection {
  /**
   * Eject after this many consecutive 5xx answers or connection failures (0 disables).
   */
  consecutive5xxErrors: number;
  /**
   * Eject after this many consecutive 502/503/504 answers or connection failures (0 disables).
   */
  consecutiveGatewayErrors: number;
  /**
   * How often ejections are re-evaluated (ejected instances come back at the first evaluation after their ejection time). In milliseconds.
   */
  intervalMs: number;
  /**
   * Minimum ejection time. In milliseconds.
   */
  baseEjectionTimeMs: number;
  /**
   * An instance is ejected only when the ejected share, counting it, stays within this percent (Envoy's `100 * (ejected + 1) / hosts <= max_ejection_percent`, without always_eject_one_host): of the destination's instances and of the pool the failing request was picked from (the subset a route sends to, as Istio's per-subset clusters). A lone instance is ejected only at 100.
   */
  maxEjectionPercent: number;
}
/**
 * Limits on each calling listener's traffic to the destination. A request over a limit is answered 503 at once (`x-unimesh-overflow: true`).
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "ConnectionPool".
 */
export interface ConnectionPool {
  /**
   * Maximum connections to each instance; with HTTP/1.1 also the maximum concurrent requests to the destination before requests queue. Default: no limit.
   */
  maxConnections?: number;
  /**
   * Maximum requests waiting for a connection. Default: no limit.
   */
  maxPendingRequests?: number;
  /**
   * Maximum concurrent requests to the destination. Default: no limit.
   */
  maxRequests?: number;
  /**
   * Requests per connection before it is closed (1 disables keep-alive).
   */
  maxRequestsPerConnection?: number;
  /**
   * Maximum concurrent retries to the destination; a retry over it is not made (the failed answer goes back). Default: no limit.
   */
  maxRetries?: number;
  /**
   * TCP/TLS connect timeout. Default: 10000. In milliseconds.
   */
  connectTimeoutMs?: number;
  /**
   * Close upstream connections idle this long. Default: 4000 (or the server's keep-alive hint). In milliseconds.
   */
  idleTimeoutMs?: number;
}
/**
 * How a calling listener picks an instance among the healthy ones of a target.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "LoadBalancer".
 */
export interface LoadBalancer {
  /**
   * round-robin; least-request (the fewer requests in flight of two random instances); random; consistent-hash (rendezvous hashing of `hash`).
   */
  algorithm: "round-robin" | "least-request" | "random" | "consistent-hash";
  /**
   * Hash key for consistent-hash: exactly one of header, cookie, sourceIp, queryParam.
   */
  hash?: {
    /**
     * Request header (lower-case).
     */
    header?: string;
    /**
     * A cookie; when the request has none, one is generated and set on the response.
     */
    cookie?: {
      /**
       * Cookie name.
       */
      name: string;
      /**
       * Max-Age of a generated cookie, in seconds; omitted: a session cookie.
       */
      ttlSeconds?: number;
    };
    /**
     * The caller's address.
     */
    sourceIp?: true;
    /**
     * Query parameter.
     */
    queryParam?: string;
  };
}
/**
 * Local rate limit enforced by each instance's inbound listener (token buckets). A request over any bucket is answered 429.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "RateLimit".
 */
export interface RateLimit {
  /**
   * Refill rate of the bucket shared by all callers, requests per second.
   */
  requestsPerSecond: number;
  /**
   * Size of the shared bucket (requests allowed at once).
   */
  burst: number;
  /**
   * Requests per second for each calling identity (callers without one share one bucket); burst equal to the rate.
   */
  perIdentity?: number;
  /**
   * A different per-identity rate for some callers.
   */
  overrides?: {
    /**
     * SPIFFE IDs of the callers (`*` as the service account part matches any in that namespace is not supported: list them).
     *
     * @minItems 1
     */
    principals?: [string, ...string[]];
    /**
     * Applies to every caller with an identity.
     */
    anyIdentity?: boolean;
    /**
     * Requests per second for each of these callers.
     */
    requestsPerSecond: number;
  }[];
}
/**
 * Claims by name: a list of values, or a mapping of nested claims.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "ClaimMatch".
 */
export interface ClaimMatch {
  [k: string]: string[] | ClaimMatch;
}
/**
 * End-user token (JWT) validation on the destination's inbound listeners, before access control: a request with a token in a location an issuer reads must carry a valid one (else 401); a request without one passes with no principal. The model's RequestAuthentication semantics.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "RequestAuthentication".
 */
export interface RequestAuthentication {
  /**
   * The RequestAuthentications (informational).
   */
  policies?: string[];
  /**
   * @minItems 1
   */
  issuers: [
    {
      issuer: string;
      /**
       * Fetched on first use (timeout 5 s), cached 5 minutes, fetched again (at most every 30 s) for an unknown key id.
       */
      jwksUri?: string;
      /**
       * The key set as JSON text.
       */
      jwks?: string;
      audiences?: string[];
      fromHeaders?: {
        name: string;
        prefix?: string;
      }[];
      fromParams?: string[];
      forwardToken?: boolean;
      spaceDelimitedClaims?: string[];
    },
    ...{
      issuer: string;
      /**
       * Fetched on first use (timeout 5 s), cached 5 minutes, fetched again (at most every 30 s) for an unknown key id.
       */
      jwksUri?: string;
      /**
       * The key set as JSON text.
       */
      jwks?: string;
      audiences?: string[];
      fromHeaders?: {
        name: string;
        prefix?: string;
      }[];
      fromParams?: string[];
      forwardToken?: boolean;
      spaceDelimitedClaims?: string[];
    }[]
  ];
}
/**
 * A proxy-wasm module (ABI 0.2.x HTTP filter) the destination's inbound listeners run on its requests (WasmExtension). It runs in a worker thread with a time limit per callback; a module that cannot be loaded, traps, runs too long or calls a host function the proxy does not implement fails the request closed (500).
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "WasmPlugin".
 */
export interface WasmPlugin {
  /**
   * The WasmExtension it comes from (`WasmExtension/<namespace>/<name>`), for logs.
   */
  policy: string;
  /**
   * The `.wasm` file; a relative path is resolved against the proxy's working directory.
   */
  file: string;
  /**
   * SHA-256 of the file: checked before the module is loaded (a mismatch fails every request closed).
   */
  sha256: string;
  /**
   * The root id of the plugin's root context (`plugin_root_id`). Default: empty.
   */
  rootId?: string;
  /**
   * The plugin configuration handed to `proxy_on_configure` (JSON text). Default: empty.
   */
  config?: string;
  /**
   * Where in the inbound chain it runs: AUTHN before request authentication, AUTHZ before access control, STATS after the rate limit; omitted: last, before the request goes to the app.
   */
  phase?: "AUTHN" | "AUTHZ" | "STATS";
  /**
   * Only requests to these service ports. Default: every port.
   */
  ports?: Port[];
}
/**
 * One access rule: all given conditions must hold; a list matches when any entry matches, a `not...` list when none does.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "AccessRule".
 */
export interface AccessRule {
  /**
   * The AccessPolicy it came from.
   */
  policy?: string;
  /**
   * A TCP port number, 1-65535.
   */
  port?: number;
  source?: SourceMatch;
  /**
   * End-user principals `<iss>/<sub>` (model syntax: split at the last `/`, `*` wildcards).
   */
  requestPrincipals?: string[];
  /**
   * End-user principals the request must not have (a request without a token has none).
   */
  notRequestPrincipals?: string[];
  /**
   * HTTP methods.
   */
  methods?: string[];
  /**
   * HTTP methods the request must not use.
   */
  notMethods?: string[];
  /**
   * Paths, as in the model's AccessRule.paths: exact (`/a`), `/a/*` (`/a` and every path below it), string prefix (`/a*`), suffix (`* /a`) or `*`.
   */
  paths?: string[];
  /**
   * Paths the request must not match (syntax of `paths`).
   */
  notPaths?: string[];
  /**
   * Service ports of the instance. A number that is no Service port of the service may also name a target port (or the port an instance's app listens on); one that is a Service port names that port only, never another Service port whose target port has its number.
   */
  ports?: Port[];
  /**
   * Service ports of the instance the request must not be sent to.
   */
  notPorts?: Port[];
  /**
   * Request headers by lower-case name, each with accepted exact values.
   */
  headers?: {
    [k: string]: string[];
  };
  /**
   * Request headers by lower-case name, each with exact values it must not have (a request without the header matches).
   */
  notHeaders?: {
    [k: string]: string[];
  };
  claims?: ClaimMatch1;
  notClaims?: ClaimMatch2;
}
/**
 * Token claims with accepted values (model ClaimMatch).
 */
export interface ClaimMatch1 {
  [k: string]: string[] | ClaimMatch;
}
/**
 * Token claims that must match none of their values.
 */
export interface ClaimMatch2 {
  [k: string]: string[] | ClaimMatch;
}
/**
 * Access control on the destination's inbound listeners. Its presence means deny-by-default: a request is allowed only when an allow rule matches and no deny rule does; refused requests get 403 before the app sees them.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "Access".
 */
export interface Access {
  /**
   * The AccessPolicies (informational).
   */
  policies?: string[];
  /**
   * Deny-by-default applies to these service ports only (every AccessPolicy for the destination named a port). Omitted: every port.
   */
  ports?: Port[];
  /**
   * Allow rules.
   */
  allow: AccessRule[];
  /**
   * Deny rules (win over allow rules).
   */
  deny: AccessRule[];
}
/**
 * The mTLS mode of a service's inbound listeners.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "Mtls".
 */
export interface Mtls {
  /**
   * The MTLSPolicy it came from.
   */
  policy?: string;
  mode: Mode;
  /**
   * Per Service-port overrides: `"9080": permissive`. A key that is no Service port of the service may also name a target port; one that is a Service port names that port only.
   */
  ports?: {
    [k: string]: Mode;
  };
}
/**
 * The compiled policy of one destination service: its route table and settings.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "Destination".
 */
export interface Destination {
  namespace: Name;
  service: Name;
  /**
   * Every policy that shaped it (informational).
   */
  policies?: string[];
  /**
   * The route table, in order; the last route catches every request when the policies did not (the default route forwards to every instance).
   */
  routes: Route[];
  outlierDetection?: OutlierDetection;
  connectionPool?: ConnectionPool;
  loadBalancer?: LoadBalancer;
  rateLimit?: RateLimit;
  /**
   * Virtual mesh: requests to the destination's local targets go to their local instances while any of them is healthy (not ejected by `outlierDetection`); once none is, to the same target (service, subset) in the first listed member whose east-west hop is not ejected, then the next; back to the local instances as soon as one is healthy again.
   */
  failover?: {
    /**
     * Members, in the order they take over (the local member never listed).
     *
     * @minItems 1
     */
    clusters: [Name, ...Name[]];
  };
  /**
   * Per-subset settings (TrafficPolicy `subsetSettings`), matched to route targets by subset name.
   */
  subsets?: {
    name: Name;
    labels: Labels;
    outlierDetection?: OutlierDetection;
    connectionPool?: ConnectionPool;
    loadBalancer?: LoadBalancer;
  }[];
  requestAuthentication?: RequestAuthentication;
  /**
   * Wasm extensions, in the order they run (by phase, then priority, then policy).
   */
  wasm?: WasmPlugin[];
  access?: Access;
  mtls?: Mtls;
}
/**
 * The admin listener: GET /metrics (Prometheus text format), /healthz (live), /ready (listeners bound and certificates issued), /config (the running configuration), /listeners (bound ports), /clusters (instances, in-flight requests and ejections per calling listener), /certs; POST /reload.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "Admin".
 */
export interface Admin {
  /**
   * Default: 127.0.0.1.
   */
  address?: string;
  /**
   * Default: 15000.
   */
  port?: number;
}
/**
 * The built-in certificate authority: it issues each identity a short-lived certificate with its SPIFFE ID as URI SAN, and renews it at half its lifetime.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "Identity".
 */
export interface Identity {
  /**
   * Lifetime of issued certificates. Default: 3600000 (1 hour). In milliseconds.
   */
  certTtlMs?: number;
  /**
   * PEM file of a CA certificate to issue from (with caKeyFile, a PKCS#8 ECDSA P-256 key). Omitted: a CA is generated in memory at start.
   */
  caCertFile?: string;
  /**
   * PEM file of the CA's private key.
   */
  caKeyFile?: string;
  /**
   * PEM file of the root certificate the CA (caCertFile) chains to, when it is an intermediate: a member of a virtual mesh, with `unimesh trust init`'s `DIR/<member>/ca-cert.pem`, `ca-key.pem` and `root-cert.pem`. Peers are then verified against this root, and issued certificates carry the CA's certificate after their own. Omitted: the CA is its own root.
   */
  caRootFile?: string;
}
/**
 * Protection against slow or abusive clients, on every listener.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "Limits".
 */
export interface Limits {
  /**
   * Time a client has to send complete request headers. Default: 10000. In milliseconds.
   */
  headersTimeoutMs?: number;
  /**
   * Time a client has to send the complete request (headers and body). Default: 60000. In milliseconds.
   */
  requestTimeoutMs?: number;
  /**
   * Idle keep-alive connections are closed after this long (HTTP/1.1; connections from other proxies over mutual TLS: peerKeepAliveTimeoutMs). Default: 5000. In milliseconds.
   */
  keepAliveTimeoutMs?: number;
  /**
   * Idle HTTP/1.1 keep-alive connections from other proxies (mutual TLS with a verified client certificate, at an inbound listener) are closed after this long; the calling proxy keeps its connection as long (it follows the listener's Keep-Alive header, less 2 s). Longer than keepAliveTimeoutMs so that traffic resuming after a pause reuses its connections instead of paying one TLS handshake per connection at once (Envoy keeps upstream connections idle for 1 hour, nginx's upstream keepalive_timeout is 60 s). At maxConnections idle connections are closed first. Default: 60000. In milliseconds.
   */
  peerKeepAliveTimeoutMs?: number;
  /**
   * A connection with no activity at all is closed after this long. Default: 120000. In milliseconds.
   */
  idleTimeoutMs?: number;
  /**
   * Time to send the first bytes and complete a TLS handshake. Default: 10000. In milliseconds.
   */
  handshakeTimeoutMs?: number;
  /**
   * Maximum size of a request head (request line and header lines), in bytes: 431 beyond it. The number of header lines is not limited otherwise: every line within this size reaches the app, over HTTP/1.1, HTTP/2 (where each line counts 32 bytes more, RFC 9113 §6.5.2) and the hop protocol. At most 8 MiB, Envoy's own ceiling for max_request_headers_kb (8192 KiB). Default: 16384.
   */
  maxHeaderBytes?: number;
  /**
   * Maximum concurrent connections per listener. Default: 4096.
   */
  maxConnections?: number;
  /**
   * Maximum concurrent HTTP/2 streams per connection. Default: 128.
   */
  maxConcurrentStreams?: number;
  /**
   * Request bodies up to this size are buffered so that they can be retried and mirrored; larger ones are streamed once (no retry, no mirror). Default: 1048576.
   */
  maxBufferedBodyBytes?: number;
  /**
   * On shutdown and when a reload removes a listener, in-flight requests get this long to complete. Default: 10000. In milliseconds.
   */
  drainTimeoutMs?: number;
}
/**
 * Structured access logs: one JSON object per line and request.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "AccessLog".
 */
export interface AccessLog {
  /**
   * Default: true.
   */
  enabled?: boolean;
  /**
   * File to append to; `-` for standard output. Default: `-`.
   */
  path?: string;
}
/**
 * A namespace-wide mTLS mode.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "MtlsNamespace".
 */
export interface MtlsNamespace {
  namespace: Name;
  mode: Mode;
  /**
   * The MTLSPolicy it came from.
   */
  policy?: string;
}
/**
 * Everything the built-in proxy runs, already resolved: no unimesh model is needed.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "ProxyConfigSpec".
 */
export interface ProxyConfigSpec {
  /**
   * SPIFFE trust domain. Default: `cluster.local`.
   */
  trustDomain?: string;
  /**
   * Virtual mesh: the member this proxy runs (VirtualMesh `spec.members[].name`). With `members`, peers' certificates are also checked to be issued by the intermediate CA of their identity's trust domain (its URI SAN `spiffe://<trustDomain>`).
   */
  member?: string;
  /**
   * Virtual mesh: the other members, whose services `Target.cluster` and `Destination.failover` name and whose identities the access rules may name.
   */
  members?: Member[];
  eastWest?: EastWest;
  admin?: Admin;
  identity?: Identity;
  limits?: Limits;
  accessLog?: AccessLog;
  /**
   * How a request travels from a caller's outbound listener to an instance whose inbound listener is in the same process (with `unimesh up`, all of them). mtls: over loopback with mutual TLS, exactly as between sidecars on two machines. inline: handed to the instance's inbound side in-process, with the caller's identity; the inbound side still enforces access control, rate limits and the mTLS mode's identity rules, but nothing crosses the wire (faster; use mtls to exercise TLS itself). Default: mtls.
   */
  colocatedHops?: "mtls" | "inline";
  /**
   * What two proxies speak over mutual TLS (a caller's outbound listener to an instance's inbound listener). multiplexed: many requests on one connection as small frames of unimesh's hop protocol (ALPN `unimesh-hop/1`; src/proxy/net/hop.ts), with per-stream flow control; the inbound side enforces exactly what it enforces over HTTP. A peer that does not choose it gets HTTP, and it is not used towards a destination with Wasm extensions, through an east-west gateway, for http2/grpc ports, or with connectionPool maxConnections or maxRequestsPerConnection (which count HTTP connections). http: HTTP/1.1 (HTTP/2 for http2/grpc ports), one request at a time per connection; an inbound listener then does not offer the hop protocol either. Default: multiplexed.
   */
  hopProtocol?: "multiplexed" | "http";
  /**
   * Mode of services and namespaces no service or namespace MTLSPolicy covers: the mesh-wide MTLSPolicy (`scope: mesh`). Default: permissive (callers still use mutual TLS).
   */
  defaultMtlsMode?: "strict" | "permissive" | "disabled";
  /**
   * Namespace-wide modes (a service's own MTLSPolicy wins).
   */
  mtlsNamespaces?: MtlsNamespace[];
  /**
   * Access control of the services of a namespace that have no `destinations` entry: the namespace-wide AccessPolicies of that namespace with the mesh-wide ones (a destination's own `access` already includes both).
   */
  namespaceAccess?: {
    namespace: Name;
    access: Access;
  }[];
  meshAccess?: Access1;
  /**
   * The services: facts from the policies, instances from a ServiceRegistry.
   */
  services?: Service[];
  /**
   * Listeners for callers outside the mesh.
   */
  ingresses?: Ingress[];
  /**
   * Compiled route tables and policies, one per destination named by a policy. Services without one get a default route to every instance.
   */
  destinations?: Destination[];
}
/**
 * Another member cluster of the virtual mesh this proxy is a member of (VirtualMesh `spec.members[]`): its identities are `spiffe://<trustDomain>/ns/<ns>/sa/<sa>`, and its services are reached through its east-west listener (`gateway`) by mutual TLS passed through by SNI `outbound_.<port>_.<subset>_.<service>.<namespace>.svc.cluster.local` (Istio's AUTO_PASSTHROUGH convention): the caller's TLS goes end to end to an instance of that member, whose certificate must carry the service's SPIFFE ID in the member's trust domain.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "Member".
 */
export interface Member {
  name: Name;
  trustDomain: TrustDomain;
  /**
   * Where the member's east-west listener is (VirtualMesh `gateway`). `unimesh up` binds one per member it runs and overrides this with the bound address.
   */
  gateway?: {
    /**
     * Host name or IP address.
     */
    address: string;
    /**
     * Default: 15443.
     */
    port?: number;
  };
}
/**
 * Virtual mesh: the east-west listener through which the other members reach this member's services: it reads the SNI of the TLS ClientHello (`outbound_.<port>_.<subset>_.<service>.<namespace>.svc.cluster.local`) and passes the connection, still encrypted, to the inbound listener of a local instance of that service (round robin); anything else is closed. The caller's mutual TLS is end to end with the instance, so the instance sees the caller's own identity.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "EastWest".
 */
export interface EastWest {
  /**
   * Default: 127.0.0.1.
   */
  address?: string;
  /**
   * Default: 15443.
   */
  port?: number;
}
/**
 * Access control of the services of every other namespace without a `destinations` entry: the mesh-wide AccessPolicies.
 */
export interface Access1 {
  /**
   * The AccessPolicies (informational).
   */
  policies?: string[];
  /**
   * Deny-by-default applies to these service ports only (every AccessPolicy for the destination named a port). Omitted: every port.
   */
  ports?: Port[];
  /**
   * Allow rules.
   */
  allow: AccessRule[];
  /**
   * Deny rules (win over allow rules).
   */
  deny: AccessRule[];
}
/**
 * The local services: where their instances run and how to reach them. Given to `unimesh up --services` and `unimesh proxy --services`, merged into a ProxyConfig by namespace and name.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "ServiceRegistrySpec".
 */
export interface ServiceRegistrySpec {
  /**
   * SPIFFE trust domain (overrides the ProxyConfig's).
   */
  trustDomain?: string;
  admin?: Admin;
  eastWest?: EastWest;
  /**
   * Services and their instances.
   */
  services?: Service[];
  /**
   * Listeners for callers outside the mesh.
   */
  ingresses?: Ingress[];
}
/**
 * Configuration of unimesh's built-in proxy, as `unimesh translate --mesh builtin` writes it.
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "ProxyConfig".
 */
export interface ProxyConfig {
  apiVersion: "unimesh.io/v1alpha1";
  kind: "ProxyConfig";
  metadata: Metadata;
  spec: ProxyConfigSpec;
}
/**
 * Where the services of a local mesh run (a developer writes this one).
 *
 * This interface was referenced by `undefined`'s JSON-Schema
 * via the `definition` "ServiceRegistry".
 */
export interface ServiceRegistry {
  apiVersion: "unimesh.io/v1alpha1";
  kind: "ServiceRegistry";
  metadata: Metadata;
  spec: ServiceRegistrySpec;
}
