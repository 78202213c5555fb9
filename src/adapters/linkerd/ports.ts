/**
 * The ports of a destination. Linkerd needs them everywhere: routes attach to a Service port
 * (`parentRefs[].port`, and `backendRefs[].port` is required for a Service), and authorization and rate
 * limits attach to a `Server`, which selects ONE pod (container) port.
 *
 * Declared ports come from the MeshService (`port`, `targetPort`, `protocol`). Without one, the ports
 * are GUESSED from what the policies name (TrafficPolicy `destination.port` and split target ports,
 * AccessPolicy `destination.port` and rule `ports`, MTLSPolicy per-port keys: all of them Service ports),
 * with `targetPort = port` and an undeclared protocol (Linkerd detects it). A guess is never the list of
 * ALL the service's ports, so whatever must cover every port (an AccessPolicy or rate limit without
 * `destination.port`, an MTLSPolicy's `mode`) needs {@link portsDeclared}; a port-scoped policy may use
 * its own port, with the pod port assumed equal (a warning says so).
 */
import type { DestinationView } from "../../api/model.js";
import type { MTLSPolicy } from "../../api/generated/model.js";

/** One port of a destination. */
export interface PortInfo {
  /** Service port. */
  port: number;
  /** Pod (container) port. */
  targetPort: number;
  /** Declared protocol, if any. */
  protocol?: "http" | "http2" | "grpc" | "tcp";
}

/** True when a MeshService declares the destination's ports (then they are ALL its ports). */
export function portsDeclared(v: DestinationView): boolean {
  return !!v.facts.ports?.length;
}

/** The destination's ports (declared, else guessed: see the module comment), sorted by port. */
export function destinationPorts(v: DestinationView): PortInfo[] {
  // Called once per destination: written as plain loops (no temporary arrays or spread objects).
  const declared = v.facts.ports;
  if (declared?.length) {
    const out: PortInfo[] = [];
    for (const p of declared) {
      const info: PortInfo = { port: p.port, targetPort: p.targetPort ?? p.port };
      if (p.protocol) info.protocol = p.protocol;
      out.push(info);
    }
    return out.length > 1 ? out.sort((a, b) => a.port - b.port) : out;
  }
  const ports = new Set<number>();
  for (const p of v.trafficPolicies) {
    if (p.doc.spec.destination.port) ports.add(p.doc.spec.destination.port);
  }
  for (const r of v.routes) if (r.action.kind === "split") for (const t of r.action.targets) if (t.port) ports.add(t.port);
  for (const p of v.accessPolicies) if (p.doc.spec.destination.port) ports.add(p.doc.spec.destination.port);
  for (const rules of [v.allow, v.deny]) for (const r of rules) if (r.rule.ports) for (const x of r.rule.ports) ports.add(x);
  const mtlsPorts = (v.mtls?.doc as MTLSPolicy | undefined)?.spec.ports;
  if (mtlsPorts) for (const k of Object.keys(mtlsPorts)) ports.add(Number(k));
  const sorted = [...ports];
  if (sorted.length > 1) sorted.sort((a, b) => a - b);
  const out: PortInfo[] = [];
  for (const port of sorted) out.push({ port, targetPort: port });
  return out;
}

/** The pod port behind a service port (itself when the MeshService does not map it). */
export function targetPortOf(ports: PortInfo[], servicePort: number): number {
  for (const p of ports) if (p.port === servicePort) return p.targetPort;
  return servicePort;
}

/** The declared protocol of a pod port, if any. */
export function protocolOfTarget(ports: PortInfo[], targetPort: number): PortInfo["protocol"] {
  for (const p of ports) if (p.targetPort === targetPort) return p.protocol;
  return undefined;
}
