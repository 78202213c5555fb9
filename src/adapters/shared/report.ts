/**
 * The one way adapters report: `report(entry, pointer, finding)`, with a {@link Finding} that names the
 * feature, the kind of finding and, for a specific refusal, what exactly; its diagnostic code is derived
 * from them (see {@link adapterCode}). Each (policy, pointer, code, message) is reported once.
 */
import type { TranslateContext } from "../../api/adapter.js";
import { type FindingKind, type Severity, adapterCode } from "../../api/diagnostics.js";

export { type FindingKind, adapterCode } from "../../api/diagnostics.js";
import type { Feature } from "../../api/features.js";
import type { Entry } from "../../api/model.js";
import { ReportOnce } from "./report-once.js";

/** What an adapter says about a field of a policy. */
export interface Finding {
  /** The model feature concerned; omitted only for findings about no feature (e.g. MeshService selectors). */
  feature?: Feature;
  kind: FindingKind;
  /**
   * What exactly, in a few lower-case words joined by `-` (or a model field name: `backoff`,
   * `statusCode`), so that each refusal of a feature has a code of its own. Omitted: the feature alone.
   */
  what?: string;
  severity: Severity;
  /** What cannot be expressed, why (the upstream limit), and what to do instead. */
  message: string;
  /** Other policies involved (`Diagnostic.relatedPolicies`). */
  related?: string[];
}

/** Reports findings through a TranslateContext, each (policy, pointer, code, message) once. */
export class Reporter {
  private readonly once = new ReportOnce();
  constructor(private readonly ctx: TranslateContext) {}

  /** Reports a finding about the field at `pointer` (a JSON pointer) of the policy `entry`. */
  report(entry: Entry<any>, pointer: string, f: Finding): void {
    const code = adapterCode(f.kind, f.feature, f.what);
    if (!this.once.first(entry.id, pointer, code, f.message)) return;
    // `{ code, severity, message, feature?, relatedPolicies? }`, key order included.
    const d: Parameters<TranslateContext["report"]>[2] = { code, severity: f.severity, message: f.message };
    if (f.feature) d.feature = f.feature;
    if (f.related?.length) d.relatedPolicies = f.related;
    this.ctx.report(entry, pointer, d);
  }

  /** Reports a finding about no policy (an adapter setting, a generated object). */
  global(f: Omit<Finding, "related">): void {
    this.ctx.reportGlobal({
      code: adapterCode(f.kind, f.feature, f.what),
      severity: f.severity,
      message: f.message,
      ...(f.feature ? { feature: f.feature } : {}),
    });
  }
}
