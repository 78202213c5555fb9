/**
 * Every (adapter, version) the golden cases and examples are translated for, with the upstream CRD
 * sets its output is validated against. Add your adapter's rows here.
 */
import type { Adapter, TranslateOptions } from "../../src/index.js";
import type { CrdSet } from "./crd-validator.js";
import { builtin } from "../../src/adapters/builtin/index.js";
import { istio } from "../../src/adapters/istio/index.js";
import { appmesh } from "../../src/adapters/appmesh/index.js";
import { linkerd } from "../../src/adapters/linkerd/index.js";
import { gatewayApi } from "../../src/adapters/gateway-api/index.js";
import { kuma } from "../../src/adapters/kuma/index.js";

export interface GoldenTarget {
  adapter: Adapter;
  version: string;
  /** Golden file name inside each case directory, e.g. `istio.golden.yaml`, `istio@1.22.golden.yaml`. */
  file: string;
  /** CRD sets (first wins on overlap) that every emitted object must validate against. */
  crdSets: CrdSet[];
  /** Objects with these apiVersions are not CRD-backed (e.g. `v1` Service patches); the adapter's own tests check them. */
  nonCrdApiVersions?: string[];
  /** Options passed to translate() for every case (a case can add more in its options.json). */
  options?: TranslateOptions;
}

export const GOLDEN_TARGETS: GoldenTarget[] = [
  { adapter: builtin, version: "1", file: "builtin.golden.yaml", crdSets: [], nonCrdApiVersions: ["unimesh.io/v1alpha1"] },
  { adapter: istio, version: "1.30", file: "istio.golden.yaml", crdSets: ["istio/1.30.3"] },
  { adapter: istio, version: "1.22", file: "istio@1.22.golden.yaml", crdSets: ["istio/1.22.8"] },
  { adapter: istio, version: "1.30", file: "istio-ambient.golden.yaml", crdSets: ["istio/1.30.3", "gateway-api/v1.6.1/standard"], nonCrdApiVersions: ["v1"], options: { settings: { dataplane: "ambient" } } },
  // Waypoint routes with the experimental channel's HTTPRoute retry (read by Istio 1.25+).
  { adapter: istio, version: "1.30", file: "istio-ambient-experimental.golden.yaml", crdSets: ["istio/1.30.3", "gateway-api/v1.6.1/experimental"], nonCrdApiVersions: ["v1"], options: { settings: { dataplane: "ambient", channel: "experimental" } } },
  // The vendored Gateway API 1.2.1 set has only the route kinds; the waypoint Gateway (v1 since Gateway API 1.0) is checked against 1.6.1's.
  { adapter: istio, version: "1.22", file: "istio-ambient@1.22.golden.yaml", crdSets: ["istio/1.22.8", "gateway-api/v1.6.1/standard"], nonCrdApiVersions: ["v1"], options: { settings: { dataplane: "ambient" } } },
  { adapter: linkerd, version: "2.20", file: "linkerd.golden.yaml", crdSets: ["linkerd/edge-26.8.3"], nonCrdApiVersions: ["v1"] },
  { adapter: linkerd, version: "2.14", file: "linkerd@2.14.golden.yaml", crdSets: ["linkerd/stable-2.14.10"], nonCrdApiVersions: ["v1"] },
  { adapter: appmesh, version: "1.13", file: "appmesh.golden.yaml", crdSets: ["aws-app-mesh/v1.13.3"], nonCrdApiVersions: ["v1"] },
  { adapter: gatewayApi, version: "1.6", file: "gateway-api.golden.yaml", crdSets: ["gateway-api/v1.6.1/standard"] },
  { adapter: gatewayApi, version: "1.6", file: "gateway-api-experimental.golden.yaml", crdSets: ["gateway-api/v1.6.1/experimental"], options: { settings: { channel: "experimental" } } },
  { adapter: gatewayApi, version: "1.2", file: "gateway-api@1.2.golden.yaml", crdSets: ["gateway-api/v1.2.1/standard"] },
  { adapter: kuma, version: "2.14", file: "kuma.golden.yaml", crdSets: ["kuma/v2.14.3"] },
];
