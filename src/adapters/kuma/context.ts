/**
 * What every Kuma feature module receives: the model, the translate context, the settings (`meshName`,
 * `systemNamespace`), naming, targetRefs and a short way to report diagnostics.
 */
import type { AdapterSetting, KubeObject, TranslateContext } from "../../api/adapter.js";
import { type DestinationView, type Entry, type Model, exposedPorts } from "../../api/model.js";
import { isDnsLabel } from "../../api/names.js";
import { objectMeta } from "../../api/ownership.js";
import { type Finding, Reporter, adapterCode } from "../shared/report.js";
import type { TargetRef } from "./resources.js";

/** Settings (`--set`) the Kuma adapter reads besides the core `trustDomain`. */
export const KUMA_SETTINGS: readonly AdapterSetting[] = [
  { name: "meshName", description: "The Kuma Mesh the policies belong to (label kuma.io/mesh on every policy)", default: "default" },
  {
    name: "systemNamespace",
    description: "Kuma's system namespace, where mesh-wide policies go (policies there apply to every namespace)",
    default: "kuma-system",
  },
];

/** Per-translation context shared by the translator and the feature modules. */
export interface KumaContext {
  readonly model: Model;
  readonly ctx: TranslateContext;
  readonly version: string;
  /** The `kuma.io/mesh` label of every policy. @default "default" */
  readonly meshName: string;
  /** Kuma's system namespace (mesh-wide policies). @default "kuma-system" */
  readonly systemNamespace: string;
  /** Reports a finding about a field of a policy (src/adapters/shared/report.ts), each once. */
  report(entry: Entry<any>, pointer: string, finding: Finding): void;
  /** Metadata of a Kuma policy: ownership annotations plus `kuma.io/mesh`. */
  meta(name: string, namespace: string, from: Iterable<Entry<any> | string>): KubeObject["metadata"];
  /** The SPIFFE ID of a service account: `spiffe://<trustDomain>/ns/<ns>/sa/<sa>` (MeshIdentity's Kubernetes path template). */
  spiffeId(namespace: string, serviceAccount: string): string;
}

/** Context of one destination's translation. */
export interface DestinationContext {
  readonly kc: KumaContext;
  readonly view: DestinationView;
}

/** Builds the context of one translation; bad setting values are errors (reported globally). */
export function createContext(model: Model, ctx: TranslateContext): KumaContext {
  const setting = (name: string, fallback: string): string => {
    const v = ctx.options.settings?.[name] ?? fallback;
    if (isDnsLabel(v)) return v;
    ctx.reportGlobal({
      code: adapterCode("unsupported-value", undefined, `settings.${name}`),
      severity: "error",
      message: `setting ${name} "${v}" is not a DNS-1123 label (a Kubernetes ${name === "meshName" ? "Mesh name" : "namespace"}); use e.g. ${fallback}`,
    });
    return fallback;
  };
  const meshName = setting("meshName", "default");
  const systemNamespace = setting("systemNamespace", "kuma-system");
  const reporter = new Reporter(ctx);
  return {
    model,
    ctx,
    version: ctx.version,
    meshName,
    systemNamespace,
    report: (entry, pointer, finding) => reporter.report(entry, pointer, finding),
    meta: (name, namespace, from) => objectMeta(name, namespace, from, { labels: { "kuma.io/mesh": meshName } }),
    spiffeId: (namespace, serviceAccount) => `spiffe://${model.trustDomain}/ns/${namespace}/sa/${serviceAccount}`,
  };
}

/**
 * The pods of a destination as a top-level `targetRef` (`kind: Dataplane` with the Service's pod `labels`:
 * every Dataplane of the policy's namespace carrying them), for inbound policies (MeshTrafficPermission,
 * MeshTLS, MeshRateLimit, MeshFaultInjection). @see https://kuma.io/docs/2.14.x/policies/introduction/
 */
export function workloadTarget(view: DestinationView): TargetRef {
  return { kind: "Dataplane", labels: { ...view.facts.selector } };
}

/**
 * The `to[].targetRef` of a destination for outbound policies: `kind: MeshService`, `name` (the MeshService
 * Kuma generates from the Kubernetes Service, same name and namespace) and, for one port of a service with
 * several, `sectionName`: the port's name, or its number when it has none (`MeshServiceResource.FindPortByName`
 * does not resolve a number when the port is named). `guessed`: the ports are not declared and the
 * policies name this port only, so the whole MeshService is targeted (the caller warns). `undefined` when
 * the port cannot be named (the caller reports).
 */
export function serviceTarget(view: DestinationView, port: number | undefined): { ref: TargetRef; guessed?: true } | undefined {
  const ref: TargetRef = { kind: "MeshService", name: view.service };
  if (port === undefined) return { ref };
  const ports = exposedPorts(view.ports);
  if (!view.portsDeclared) return ports.length === 1 && ports[0].port === port ? { ref, guessed: true } : undefined;
  if (ports.length === 1 && ports[0].port === port) return { ref };
  const p = ports.find((x) => x.port === port);
  if (!p) return undefined;
  ref.sectionName = p.name ?? String(port);
  return { ref };
}

/** The one Service port requests to a destination go to, when it is known: `port`, or the only declared one. */
export function backendPort(view: DestinationView, port: number | undefined): number | undefined {
  if (port !== undefined) return port;
  const ports = exposedPorts(view.ports);
  return view.portsDeclared && ports.length === 1 ? ports[0].port : undefined;
}

/** Kuma's duration form (Go `time.Duration` text): milliseconds as `500ms`, whole seconds as `2s`. */
export function kumaDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
