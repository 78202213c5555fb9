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
  if (v.facts.ports?.length) {
    return v.facts.ports.map((p) => ({ port: p.port, targetPort: p.targetPort ?? p.port, ...(p.protocol ? { protocol: p.protocol } : {}) }))
      .sort((a, b) => a.port - b.port);
  }
  const ports = new Set<number>();
  for (const p of v.trafficPolicies) {
    if (p.doc.spec.destination.port) ports.add(p.doc.spec.destination.port);
  }
  for (const r of v.routes) if (r.action.kind === "split") for (const t of r.action.targets) if (t.port) ports.add(t.port);
  for (const p of v.accessPolicies) if (p.doc.spec.destination.port) ports.add(p.doc.spec.destination.port);
  for (const r of [...v.allow, ...v.deny]) for (const x of r.rule.ports ?? []) ports.add(x);
  for (const k of Object.keys((v.mtls?.doc as MTLSPolicy | undefined)?.spec.ports ?? {})) ports.add(Number(k));
  return [...ports].sort((a, b) => a - b).map((port) => ({ port, targetPort: port }));
}

/** The pod port behind a service port (itself when the MeshService does not map it). */
export function targetPortOf(ports: PortInfo[], servicePort: number): number {
  return ports.find((p) => p.port === servicePort)?.targetPort ?? servicePort;
}

/** The declared protocol of a pod port, if any. */
export function protocolOfTarget(ports: PortInfo[], targetPort: number): PortInfo["protocol"] {
  return ports.find((p) => p.targetPort === targetPort)?.protocol;
}
