/**
 * Feature `split` → `VirtualRouter.spec.routes[].<kind>Route.action.weightedTargets[]` {virtualNodeRef,
 * weight, port} (App Mesh API `virtualrouter_types.go` `WeightedTarget`). A subset is the routing-only
 * VirtualNode `<service>-<subset>` (routes.ts `subsetNode`); another Service (`split[].service`) is that
 * service's own VirtualNode; on a multi-listener node each target names its node port.
 *
 * Refused (1.13): more than 10 targets (maxItems 10); a target port the service does not have; targets
 * on different ports (App Mesh silently does not distribute such a route, aws-app-mesh-examples#93) or
 * on a port of another protocol than the route's (aws-app-mesh-roadmap#82); routes of a service with no
 * known port (routes.ts).
 */
import type { EffectiveRoute, Subset } from "../../../api/model.js";
import { type FeatureModule, full } from "../../../api/feature-module.js";
import type { Tx } from "../context.js";
import type { WeightedTarget } from "../resources.js";
import type { PortInfo, ServiceNode } from "../services.js";
import { VR } from "./match.js";

/** What App Mesh can do of `split`. */
export const splitFeature: FeatureModule = {
  features: ["split"],
  capabilities: () => ({
    split: full(`${VR}.httpRoute.action.weightedTargets`, "at most 10 targets, all on one port (App Mesh silently drops mixed-port routes)"),
  }),
};

/** Most weighted targets per route (`weightedTargets`, maxItems 10). */
const MAX_TARGETS = 10;

/**
 * The weighted targets of a split route on one Service port (`port`), the node port each target
 * listens on, and whether they can be expressed (`ok` false: reported).
 * @param subsetVn the routing VirtualNode of a subset (created on first use).
 * @param serviceNode the known service of the destination's namespace a target names (`split[].service`):
 *   its own VirtualNode is the weighted target.
 */
export function splitTargets(
  tx: Tx,
  node: ServiceNode,
  r: EffectiveRoute,
  action: Extract<EffectiveRoute["action"], { kind: "split" }>,
  port: PortInfo,
  subsetVn: (subset: Subset) => string,
  serviceNode: (service: string) => ServiceNode | undefined,
): { weightedTargets: WeightedTarget[]; targetPorts: (PortInfo | undefined)[]; ok: boolean } {
  const targets = action.targets;
  let ok = true;
  if (targets.length > MAX_TARGETS) {
    tx.report(r.policy, action.pointer, {
      feature: "split",
      kind: "unsupported-value",
      what: "too-many-targets",
      severity: "error",
      message: `split: ${tx.mesh} routes to at most ${MAX_TARGETS} weighted targets (weightedTargets, maxItems ${MAX_TARGETS}); use fewer subsets`,
    });
    ok = false;
  }
  // Node ports of the targets: App Mesh silently drops a route whose targets listen on different ports.
  const targetPorts: (PortInfo | undefined)[] = [];
  for (let j = 0; j < targets.length; j++) {
    const t = targets[j];
    const tnode = t.service ? (serviceNode(t.service) ?? node) : node;
    const p = portNumbered(tnode, t.port ?? port.port);
    if (!p) {
      tx.report(r.policy, action.pointer.endsWith("/split") ? `${action.pointer}/${j}/port` : action.pointer, {
        feature: "split",
        kind: "unsupported-value",
        what: "unknown-port",
        severity: "error",
        message: `port: ${tnode.namespace}/${tnode.name} has no port ${t.port ?? port.port} (ports: ${tnode.ports.map((x) => x.port).join(", ") || "none known"}), so ${tx.mesh} has no VirtualNode listener to send to; use a declared port${t.service ? ` (declare the ports of ${t.service} in a MeshService)` : ""}`,
      });
      ok = false;
    }
    targetPorts.push(p);
  }
  const distinct = mixedPorts(targetPorts);
  if (distinct) {
    tx.report(r.policy, action.pointer, {
      feature: "split",
      kind: "unsupported-value",
      what: "mixed-ports",
      severity: "error",
      message: `split: the targets listen on different ports (${distinct.join(", ")}); ${tx.mesh} silently does not distribute such a route (aws/aws-app-mesh-examples#93: "nothing in App Mesh APIs or Envoy configuration would alert you"); send one route to one port, or split per port with separate routes`,
    });
    ok = false;
  } else if (targetPorts[0] && targetPorts[0].protocol !== port.protocol) {
    tx.report(r.policy, action.pointer, {
      feature: "split",
      kind: "unsupported-value",
      what: "protocol-mismatch",
      severity: "error",
      message: `split: the route is on a ${port.protocol} port and its targets on a ${targetPorts[0].protocol} port; ${tx.mesh} needs the VirtualRouter and VirtualNode listener protocols to match (aws/aws-app-mesh-roadmap#82); target a port of the same protocol`,
    });
    ok = false;
  }
  const weightedTargets: WeightedTarget[] = [];
  for (let j = 0; j < targets.length; j++) {
    const t = targets[j];
    const targetPort = (t.service ? (serviceNode(t.service) ?? node) : node).listeners.length > 1;
    const vnName = t.subset ? subsetVn(t.subset) : t.service ? (serviceNode(t.service) ?? node).vnName : node.vnName;
    const tp = targetPorts[j];
    weightedTargets.push(
      targetPort && tp ? { port: tp.targetPort, virtualNodeRef: { name: vnName }, weight: t.weight } : { virtualNodeRef: { name: vnName }, weight: t.weight },
    );
  }
  return { weightedTargets, targetPorts, ok };
}

/** The port of a service numbered `port` (Service port), if any. */
function portNumbered(node: ServiceNode, port: number): PortInfo | undefined {
  for (const p of node.ports) if (p.port === port) return p;
  return undefined;
}

/**
 * When the targets' ports (missing ones left out) are not all the same `<targetPort>/<protocol>`: the
 * distinct ones, in order of first appearance; else undefined. Nothing is built in the usual case of
 * targets that agree.
 */
function mixedPorts(ports: readonly (PortInfo | undefined)[]): string[] | undefined {
  let first: PortInfo | undefined;
  for (const p of ports) {
    if (!p) continue;
    if (!first) first = p;
    else if (p.targetPort !== first.targetPort || p.protocol !== first.protocol) {
      return [...new Set(ports.filter((x) => x).map((x) => `${x!.targetPort}/${x!.protocol}`))];
    }
  }
  return undefined;
}
