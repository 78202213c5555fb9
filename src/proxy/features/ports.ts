/**
 * `ports`: which port numbers a policy may use to name a Service port of a service (access rules' `ports`,
 * MTLSPolicy per-port modes).
 */
/** A Service port and the pods' port it reaches (config/compile.ts RtPort). */
interface ServicePort {
  port: number;
  targetPort: number;
}

/**
 * The numbers a rule's `ports` (or an MTLSPolicy's per-port key) may name a Service port of a service by:
 * the Service port itself, and its target port (and `instancePort`, the port the instance's app listens
 * on) unless that number is another Service port of the service. In the model, ports are Service ports:
 * a number that is one names that port only, so a rule for Service port 8080 never reaches Service port
 * 80 whose target port is 8080 (Istio gets the same from the adapter, which maps each Service port to its
 * own target port: AuthorizationPolicy `to.operation.ports`, PeerAuthentication `portLevelMtls`).
 */
export function portNames(servicePorts: readonly ServicePort[], sp: ServicePort, instancePort?: number): number[] {
  const names = [sp.port];
  const other = (n: number) => n !== sp.port && !servicePorts.some((p) => p.port === n);
  if (other(sp.targetPort)) names.push(sp.targetPort);
  if (instancePort !== undefined && instancePort !== sp.targetPort && other(instancePort)) names.push(instancePort);
  return names;
}
