/**
 * Per mesh, what its adapter says about some policy items: the diagnostics of a translation that
 * concern them, and a verdict (does that mesh do what the model says for them).
 */
import type { Adapter } from "../api/adapter.js";
import type { Diagnostic } from "../api/diagnostics.js";
import type { Model } from "../api/model.js";
import { translate, type TranslateResult } from "../api/translate.js";

/** A mesh to compare with: an adapter and a version (default: the adapter's). */
export interface MeshTarget {
  adapter: Adapter;
  version?: string;
  /** Adapter settings (`--set`), e.g. Istio `dataplane=ambient`: the translation and its capabilities follow them. */
  settings?: Readonly<Record<string, string>>;
}

/** A policy whose diagnostics matter, and (optionally) the only routes/rules of it that do. */
export interface InvolvedPolicy {
  policy: string;
  /**
   * Pointers of the routes or rules of the policy that matter (`/spec/routes/1`, `/spec/allow/0`);
   * diagnostics about its OTHER routes and rules are left out. Absent: every diagnostic of the policy.
   */
  only?: string[];
}

/**
 * `same`: the mesh's adapter reports nothing about these items; `same-with-warnings`: only warnings
 * (the mesh does it, with a caveat to read); `differs`: an error about them (the mesh cannot do it
 * as the model says, so unimesh refuses to translate); `untranslatable`: nothing about these items, but
 * the policies as a whole cannot be translated for that mesh (errors elsewhere).
 */
export type Verdict = "same" | "same-with-warnings" | "differs" | "untranslatable";

export interface MeshVerdict {
  /** `name@version`. */
  mesh: string;
  verdict: Verdict;
  /** The diagnostics (errors and warnings) about the items. */
  diagnostics: Diagnostic[];
  /** Errors of the translation about other policies or items. */
  otherErrors: number;
}

/** Destination-level settings: they change no single request's route, decision or settings shown. */
const DESTINATION_SETTINGS = /^\/spec\/(outlierDetection|connectionPool|loadBalancer|rateLimit|subsetSettings)(\/|$)/;
const ITEM = /^(\/spec\/(?:routes|allow|deny)\/\d+)(?:\/|$)/;

/** True when a diagnostic concerns one of the involved items. */
export function concerns(d: Diagnostic, involved: readonly InvolvedPolicy[]): boolean {
  const ids = [d.policy, ...(d.relatedPolicies ?? [])];
  const p = d.pointer ?? "";
  if (DESTINATION_SETTINGS.test(p)) return false;
  return involved.some((i) => {
    if (!ids.includes(i.policy)) return false;
    if (!i.only) return true;
    const item = ITEM.exec(p)?.[1];
    return item === undefined || i.only.includes(item);
  });
}

/** Translates the model for each mesh (results cached per mesh in `cache`). */
export function translations(model: Model, meshes: readonly MeshTarget[], cache = new Map<string, TranslateResult>()): TranslateResult[] {
  return meshes.map((m) => {
    const key = `${m.adapter.name}@${m.version ?? ""} ${JSON.stringify(m.settings ?? {})}`;
    let r = cache.get(key);
    if (!r)
      cache.set(
        key,
        (r = translate(model, { adapter: m.adapter, ...(m.version ? { version: m.version } : {}), ...(m.settings ? { settings: { ...m.settings } } : {}) })),
      );
    return r;
  });
}

/** The verdict of each translation about the involved items. */
export function verdicts(results: readonly TranslateResult[], involved: readonly InvolvedPolicy[]): MeshVerdict[] {
  return results.map((r) => {
    const mine = r.diagnostics.filter((d) => d.severity !== "info" && concerns(d, involved));
    const errors = r.diagnostics.filter((d) => d.severity === "error");
    const own = mine.filter((d) => d.severity === "error").length;
    const verdict: Verdict = own ? "differs" : errors.length ? "untranslatable" : mine.length ? "same-with-warnings" : "same";
    return { mesh: r.mesh, verdict, diagnostics: mine, otherErrors: errors.length - own };
  });
}
