/**
 * Names of the objects the Istio adapter emits. All are DNS-1123 (via `api/names.ts`), deterministic,
 * and placed in the destination service's namespace.
 *
 * | kind                          | name                 | why                                                          |
 * |-------------------------------|----------------------|--------------------------------------------------------------|
 * | VirtualService                | `<svc>`              | exactly one per host for the mesh gateway (IST0109); a user   |
 * |                               |                      | VirtualService for the same host would conflict whatever its  |
 * |                               |                      | name, so the service name makes the takeover visible          |
 * | DestinationRule               | `<svc>`              | one per host, same reasoning (also for mirror targets)        |
 * | AuthorizationPolicy (ALLOW)   | `<svc>-allow`        | suffix by action: never equal to another service's names      |
 * | AuthorizationPolicy (DENY)    | `<svc>-deny`         |                                                              |
 * | AuthorizationPolicy (scopes)  | `unimesh.namespace-  | namespace- and mesh-wide AccessPolicies, no selector; the dot |
 * |                               | allow/deny`, `unimesh| keeps them apart from any `<svc>-allow`; mesh-wide ones in the |
 * |                               | .mesh-allow/deny`    | root namespace                                               |
 * | PeerAuthentication (service)  | `<svc>-mtls`         | suffixed so a Service named `default` cannot collide with the |
 * |                               |                      | namespace-wide policy                                        |
 * | PeerAuthentication (namespace)| `default`            | Istio's convention for the one namespace-wide policy; a second|
 * |                               |                      | namespace-wide PeerAuthentication under another name would be |
 * |                               |                      | ambiguous (Istio picks the oldest), so unimesh takes over the |
 * |                               |                      | conventional object instead of adding a rival                 |
 * | EnvoyFilter (rate limit)      | `<svc>-ratelimit`    |                                                              |
 * | RequestAuthentication         | `<svc>-jwt`          | one per destination, with the issuers of every               |
 * |                               |                      | RequestAuthentication of the service                          |
 * | WasmPlugin                    | `<svc>-wasm-<ext>`   | one per WasmExtension `<ext>`; `<svc>-wasm-<ns>-<ext>` when   |
 * |                               |                      | the extension lives in another namespace `<ns>`               |
 *
 * Within one kind and namespace, a suffix is appended to a whole service name, so two services never get
 * the same name (long names are cut and hashed by `dnsSubdomain`, which keeps them distinct).
 */
import { dnsSubdomain } from "../../api/names.js";

/** VirtualService of a destination. */
export const virtualServiceName = (svc: string): string => dnsSubdomain(svc);
/** DestinationRule of a host (destination or mirror target). */
export const destinationRuleName = (svc: string): string => dnsSubdomain(svc);
/** AuthorizationPolicy with action ALLOW. */
export const allowPolicyName = (svc: string): string => dnsSubdomain(svc, "allow");
/** AuthorizationPolicy with action DENY. */
export const denyPolicyName = (svc: string): string => dnsSubdomain(svc, "deny");
/**
 * AuthorizationPolicy of the namespace-wide (`unimesh.namespace-allow`, in that namespace) or mesh-wide
 * (`unimesh.mesh-allow`, in the root namespace) AccessPolicies. The dot keeps them apart from every
 * `<svc>-allow` (a Service name has no dot).
 */
export const scopedPolicyName = (scope: "namespace" | "mesh", action: "allow" | "deny"): string => `unimesh.${scope}-${action}`;
/** PeerAuthentication of one service. */
export const servicePeerAuthenticationName = (svc: string): string => dnsSubdomain(svc, "mtls");
/** PeerAuthentication of a whole namespace (Istio's convention). */
export const NAMESPACE_PEER_AUTHENTICATION_NAME = "default";
/** RequestAuthentication of a destination (the issuers of all its RequestAuthentications). */
export const requestAuthenticationName = (svc: string): string => dnsSubdomain(svc, "jwt");
/** WasmPlugin of the WasmExtension `name` (of namespace `namespace` when not the destination's). */
export const wasmPluginName = (svc: string, name: string, namespace?: string): string => dnsSubdomain(svc, "wasm", namespace, name);
/** EnvoyFilter of a local rate limit. */
export const rateLimitFilterName = (svc: string): string => dnsSubdomain(svc, "ratelimit");
/** Name of the default route appended to a VirtualService (`HTTPRoute.name`, debugging only). */
export const DEFAULT_ROUTE_NAME = "unimesh-default";
