/**
 * What every Gateway API feature module receives: the model, the translate context, the target release
 * and channel, and a report function that says each thing once.
 */
import type { AdapterSetting, TranslateContext } from "../../../api/adapter.js";
import type { Entry, Model } from "../../../api/model.js";
import { type Finding, Reporter, adapterCode } from "../report.js";
import { type Channel, type GatewayField, CHANNELS, hasField, whereAvailable } from "./versions.js";

/** Settings (`--set`) of the Gateway API adapter (besides the core `trustDomain`, which it never needs). */
export const GATEWAY_API_SETTINGS: readonly AdapterSetting[] = [
  {
    name: "channel",
    description:
      "Gateway API release channel of the cluster's CRDs: standard (fields every implementation of the release must accept) or experimental (adds HTTPRoute rules[].retry, and mirror percent and CORS before they became standard)",
    default: "standard",
  },
];

/** Per-translation context shared by the translator and the feature modules. */
export interface GatewayContext {
  readonly model: Model;
  readonly ctx: TranslateContext;
  /** Target minor, e.g. `1.6`. */
  readonly version: string;
  readonly channel: Channel;
  /** `Gateway API 1.6 (standard channel)`, for messages. */
  readonly release: string;
  /** True when the target release and channel have the field. */
  has(field: GatewayField): boolean;
  /** `needs Gateway API ... : the experimental channel from 1.2`, for messages. */
  needs(field: GatewayField): string;
  /**
   * What the target does with a rule that has no `retry`, for messages: implementation-specific for the
   * portable Gateway API target, the implementation's own default where one implementation reads the routes.
   */
  readonly withoutRetry: string;
  /**
   * Set when ONE implementation reads the routes and its RegularExpression path matches are known (Istio's
   * waypoints: RE2, the whole path, ranked after every Exact and PathPrefix match): who reads them, for
   * messages. Unset for the portable target, where RegularExpression is implementation-specific.
   */
  readonly regexPaths?: string;
  /** Reports a finding about a field of a policy (src/adapters/shared/report.ts); the same (policy, pointer, code, message) once. */
  report(entry: Entry<any>, pointer: string, finding: Finding): void;
}

/**
 * What reads the routes, when it is not a plain Gateway API release: Istio's ambient waypoints read the
 * routes of the Gateway API release an Istio version implements, and only the fields that version
 * converts (istio/ambient/routes.ts).
 */
export type RouteReader = Pick<GatewayContext, "version" | "channel" | "release" | "has" | "needs" | "withoutRetry" | "regexPaths">;

/**
 * Builds the context of one translation; a bad `channel` value is an error (standard is used). With a
 * `reader`, its release and fields are the target's and the `channel` setting is not read (the reader
 * read its own).
 */
export function createContext(model: Model, ctx: TranslateContext, reader?: RouteReader): GatewayContext {
  if (reader) {
    const reporter = new Reporter(ctx);
    return { model, ctx, ...reader, report: (entry, pointer, finding) => reporter.report(entry, pointer, finding) };
  }
  let channel = (ctx.options.settings?.channel ?? "standard") as Channel;
  if (!CHANNELS.includes(channel)) {
    ctx.reportGlobal({
      code: adapterCode("unsupported-value", undefined, "settings.channel"),
      severity: "error",
      message: `setting channel "${channel}" is not a Gateway API release channel; use standard or experimental`,
    });
    channel = "standard";
  }
  const reporter = new Reporter(ctx);
  const release = `Gateway API ${ctx.version} (${channel} channel)`;
  return {
    model,
    ctx,
    version: ctx.version,
    channel,
    release,
    has: (field) => hasField(ctx.version, channel, field),
    needs: (field) => `${field} is not in ${release}; it is in ${whereAvailable(field)}`,
    withoutRetry: "the number of retries is implementation-specific (Istio, for one, retries twice on connection failures and 503s; Linkerd does not retry)",
    report: (entry, pointer, finding) => reporter.report(entry, pointer, finding),
  };
}
