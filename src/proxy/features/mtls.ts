/**
 * `mtls`: the mode of an instance's inbound listener: the service's per-port override (service or
 * target port), the service's MTLSPolicy, its namespace's, then the configured default (permissive).
 * strict: mutual TLS only; permissive: mutual TLS or plaintext (sniffed per connection); disabled:
 * plaintext only. Callers use mutual TLS unless the destination's mode is disabled.
 */
import type { Mode, Mtls } from "../../api/generated/proxyConfig.js";

/** Resolves the mode of a service port. */
export function resolveMode(service: Mtls | undefined, namespaceMode: Mode | undefined, fallback: Mode, ports: readonly number[]): Mode {
  if (service?.ports)
    for (const p of ports) {
      const m = service.ports[String(p)];
      if (m) return m;
    }
  return service?.mode ?? namespaceMode ?? fallback;
}
