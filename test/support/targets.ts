/**
 * Every (adapter, version) the golden cases and examples are translated for, with the upstream CRD
 * sets its output is validated against. Add your adapter's rows here.
 */
import type { Adapter, TranslateOptions } from "../../src/index.js";
import type { CrdSet } from "./crd-validator.js";

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

export const GOLDEN_TARGETS: GoldenTarget[] = [];
