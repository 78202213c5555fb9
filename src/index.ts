/**
 * unimesh: one small model for service-mesh policy, translated by pluggable adapters.
 *
 * ```ts
 * import { loadModel, translate, istio, toYaml } from "unimesh";
 * const { model, diagnostics, ok } = loadModel([{ file: "policies.yaml", text }]);
 * const result = translate(model, { adapter: istio, version: "1.30" });
 * if (result.ok) process.stdout.write(toYaml(result.resources));
 * ```
 * @packageDocumentation
 */
export type * from "./api/generated/model.js";
export {
  type Diagnostic,
  type Severity,
  UnimeshError,
  InvalidInputError,
  UsageError,
  InternalError,
  formatDiagnostic,
  hasErrors,
  promoteWarnings,
  sortDiagnostics,
  pointer,
  type FindingKind,
  adapterCode,
  codeFamily,
  isCodeIn,
} from "./api/diagnostics.js";
export { type FeatureModule, deriveCapabilities, full, partial, none, refusedFeature } from "./api/feature-module.js";
export { parseDuration, formatDuration } from "./api/duration.js";
export { parseDocuments, locatePointer, type SourceDocument, type LoadLimits, DEFAULT_LIMITS } from "./api/load.js";
export { readInputs } from "./api/read.js";
export { loadModel, validateDocuments, API_VERSION, KINDS, type ValidationResult, type TextInput } from "./api/validate.js";
export {
  Model,
  type Entry,
  type Origin,
  type ServiceFacts,
  type DestinationView,
  type EffectiveRoute,
  type EffectiveAccessRule,
  type ResolvedSource,
  type ResolvedTarget,
  type RouteAction,
  type Identity,
  type Subset,
  type At,
  type DestinationSetting,
  type DocumentKind,
  type ModelOptions,
  type DestinationPort,
  DEFAULT_NAMESPACE,
  sortRoutes,
  specificity,
  isCatchAll,
  canonicalJson,
  exposedPorts,
} from "./api/model.js";
export { FEATURES, FEATURE_TITLES, type Feature } from "./api/features.js";
export {
  type Adapter,
  type KubeObject,
  type Capability,
  type Capabilities,
  type VersionProfile,
  type TranslateContext,
  type TranslateOptions,
  type AdapterSetting,
  CORE_SETTINGS,
  isAdapter,
} from "./api/adapter.js";
export { translate, translateOrThrow, resolveVersion, type TranslateRequest, type TranslateResult, type PolicyStatus } from "./api/translate.js";
export { toYaml, toJson, serialize, dumpYaml, type OutputFormat } from "./api/emit.js";
export { dnsLabel, dnsSubdomain, isDnsLabel, isDnsSubdomain, serviceHost } from "./api/names.js";
export {
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  POLICY_SET_LABEL,
  POLICIES_ANNOTATION,
  PATCH_ANNOTATION,
  isPatch,
  objectMeta,
  addPolicies,
} from "./api/ownership.js";
export { BUILTIN_ADAPTERS, findAdapter } from "./adapters/index.js";
export { istio } from "./adapters/istio/index.js";
export { linkerd } from "./adapters/linkerd/index.js";
export { appmesh } from "./adapters/appmesh/index.js";
export { gatewayApi } from "./adapters/gateway-api/index.js";
export { kuma } from "./adapters/kuma/index.js";
export { builtin } from "./adapters/builtin/index.js";
export {
  startProxy,
  loadProxyDocuments,
  parseProxyDocuments,
  mergeProxyDocuments,
  type ProxyRuntime,
  type StartOptions,
  type ProxyEvent,
  type ProxyConfig,
  type ServiceRegistry,
  type ProxyDocument,
  type LoadedProxyDocuments,
  type ProxyDocumentEntry,
} from "./proxy/public.js";
export { inspect, type Inspection, type CallerAccess } from "./inspect/inspect.js";
export {
  GOLDEN_LABELS,
  METRICS_MESHES,
  MESH_METRICS,
  PERCENTILES,
  goldenSeries,
  recordingRules,
  rulesFile,
  prometheusRule,
  type MetricsMesh,
  type MeshMetrics,
  type RuleGroup,
  type RulesOptions,
  type PrometheusRuleOptions,
} from "./metrics/golden.js";
export { grafanaDashboard, type DashboardOptions } from "./metrics/dashboard.js";
export {
  readTop,
  renderTopTable,
  topJson,
  PrometheusError,
  MissingRulesError,
  type TopOptions,
  type TopSnapshot,
  type TopRow,
  type RenderOptions,
} from "./metrics/top.js";
export { serviceGraph, toDot, toMermaid, toSvg, type ServiceGraph, type GraphNode, type GraphEdge } from "./inspect/graph.js";
export type { Explanation, ExplainRequest, ExplainOptions, AccessInfo, BackendOutcome } from "./inspect/explain.js";
export type { MeshTarget, MeshVerdict, Verdict } from "./inspect/meshes.js";
export type { Origin as PolicyOrigin, RouteInfo, RuleInfo, BackendInfo, Located } from "./inspect/describe.js";
export { driftOf, type Drift, type DriftItem } from "./inspect/drift.js";

/**
 * Explains one request (see src/inspect/explain.ts): the decision the built-in proxy would make, by its
 * own decision code, and per mesh whether it would decide the same. The proxy modules are imported on
 * first use, so `import "unimesh"` stays light.
 * @throws UsageError for an unknown service or port; InvalidInputError when the builtin adapter cannot
 *   translate the model.
 */
export async function explain(
  model: import("./api/model.js").Model,
  request: import("./inspect/explain.js").ExplainRequest,
  options?: import("./inspect/explain.js").ExplainOptions,
): Promise<import("./inspect/explain.js").Explanation> {
  return (await import("./inspect/explain.js")).explain(model, request, options);
}
