/**
 * Feature `crossCluster` (a VirtualMesh's `split[].cluster`, `source.clusters`): refused by the built-in
 * proxy, which does not federate the registries of several members yet (every use is an error, reported by
 * the translator through src/adapters/shared/cross-cluster.ts).
 */
import { type FeatureModule, refusedFeature } from "../../../api/feature-module.js";

/** Why the built-in proxy refuses `crossCluster` (for its capability note and the errors). */
export const BUILTIN_CROSS_CLUSTER = "the built-in proxy does not federate the registries of several members yet";

/** What the built-in proxy can do of `crossCluster`: nothing yet. */
export const crossClusterFeature: FeatureModule = refusedFeature("crossCluster", BUILTIN_CROSS_CLUSTER);
