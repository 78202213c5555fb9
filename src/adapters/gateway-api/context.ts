/**
 * What every Gateway API feature module receives: the model, the translate context, the target release
 * and channel, and a report function that says each thing once.
 */
import type { AdapterSetting, TranslateContext } from "../../api/adapter.js";
import type { Feature } from "../../api/features.js";
import type { Entry, Model } from "../../api/model.js";
import type { Severity } from "../../api/diagnostics.js";
import { ReportOnce } from "../shared/report-once.js";
import { type Channel, type GatewayField, CHANNELS, hasField, whereAvailable } from "./versions.js";

/** Diagnostic codes of the Gateway API adapter (CONTRIBUTING.md). */
export type GatewayCode = "adapter/unsupported-feature" | "adapter/unsupported-value" | "adapter/conflict" | "adapter/note";

/** Settings (`--set`) of the Gateway API adapter (besides the core `trustDomain`, which it never needs). */
export const GATEWAY_API_SETTINGS: readonly AdapterSetting[] = [
  {
    name: "channel",
    description: "Gateway API release channel of the cluster's CRDs: standard (fields every implementation of the release must accept) or experimental (adds HTTPRoute rules[].retry, and mirror percent and CORS before they became standard)",
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
  /** Reports a diagnostic about a field of a policy; the same (policy, pointer, code, message) once. */
  report(entry: Entry<any>, pointer: string, feature: Feature, severity: Severity, code: GatewayCode, message: string): void;
}

/** Builds the context of one translation; a bad `channel` value is an error (standard is used). */
export function createContext(model: Model, ctx: TranslateContext): GatewayContext {
  let channel = (ctx.options.settings?.channel ?? "standard") as Channel;
  if (!CHANNELS.includes(channel)) {
    ctx.reportGlobal({
      code: "adapter/unsupported-value", severity: "error",
      message: `setting channel "${channel}" is not a Gateway API release channel; use standard or experimental`,
    });
    channel = "standard";
  }
  const reported = new ReportOnce();
  const release = `Gateway API ${ctx.version} (${channel} channel)`;
  return {
    model, ctx, version: ctx.version, channel, release,
    has: (field) => hasField(ctx.version, channel, field),
    needs: (field) => `${field} is not in ${release}; it is in ${whereAvailable(field)}`,
    report(entry, pointer, feature, severity, code, message) {
      if (!reported.first(entry.id, pointer, code, message)) return;
      ctx.report(entry, pointer, { code, severity, message, feature });
    },
  };
}
