/**
 * Drift of one service: where what a cluster holds (the policies unimesh applied, read back by the mesh's
 * importer: `inspect --applied`) differs from the files, compared as {@link inspect} shows them — the
 * meaning, not the spelling (a timeout written once for the policy or on each route is the same
 * timeout). Per policy that applies to the service as a destination: in the files but not applied,
 * applied but not in the files, or applied with other content, item by item (a route's backends,
 * timeout, retries...; a destination setting; an access rule; the mTLS mode of a port; a JWT issuer).
 * Who may call the service is left out: it follows from the rules and from the facts (which the
 * cluster supplies in live mode), and the rules are compared.
 */
import type { Inspection } from "./inspect.js";
import { type RouteInfo, backendText, brief } from "./describe.js";

/** One item of a policy that differs. */
export interface DriftItem {
  /** What the item is: `route "canary" backends`, `outlierDetection`, `allow rule 1`, `mtls port 9080`... */
  item: string;
  /** How the files state it (absent: the files lack it). */
  files?: string;
  /** How the cluster holds it (absent: the cluster lacks it). */
  cluster?: string;
}

/** How one policy of the service differs between the files and the cluster. */
export interface Drift {
  /** `Kind/namespace/name`. */
  policy: string;
  /**
   * `not-applied`: in the files, not in the cluster; `not-in-files`: in the cluster (applied by unimesh,
   * e.g. from another branch, or edited since), not in the files; `differs`: in both, other content.
   */
  change: "not-applied" | "not-in-files" | "differs";
  /** For `differs`: the items that differ, in the order inspect lists them. */
  items: DriftItem[];
}

/** Items of one policy: a stable key (the item's name) → its content in one line. */
type Items = Map<string, Map<string, string>>;

const ROUTE_FIELDS = ["timeout", "retries", "faultInjection", "mirror", "headers", "rewrite", "cors", "redirect", "directResponse"] as const;

/** `brief` with keys sorted: the same value whatever the order its keys were written in. */
function canonical(v: unknown): string {
  if (v === null || typeof v !== "object") return brief(v);
  if (Array.isArray(v)) return `[${v.map(canonical).join(", ")}]`;
  return `{${Object.keys(v)
    .sort()
    .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
    .map((k) => `${k}: ${canonical((v as Record<string, unknown>)[k])}`)
    .join(", ")}}`;
}

/** The model's "no retries" is written `retries: {attempts: 0}` or left out: the same. */
function retriesText(v: unknown): string | undefined {
  if (v && typeof v === "object" && (v as { attempts?: unknown }).attempts === 0) return undefined;
  return canonical(v);
}

function routeFields(r: RouteInfo): Map<string, string> {
  const out = new Map<string, string>();
  out.set("match", `${r.match}${r.port !== undefined ? `, port ${r.port}` : ""}; callers: ${r.source}`);
  out.set("action", r.action);
  if (r.backends) out.set("backends", r.backends.map(backendText).join(", "));
  for (const k of ROUTE_FIELDS) {
    const v = r[k];
    if (!v) continue;
    const text = k === "retries" ? retriesText(v.value) : k === "mirror" ? mirrorText(v.value) : canonical(v.value);
    if (text !== undefined) out.set(k, text);
  }
  return out;
}

function mirrorText(v: unknown): string {
  const m = v as { serviceResolved?: { namespace: string; name: string }; subset?: Record<string, string>; percent?: number; port?: number };
  return m.serviceResolved
    ? `${m.serviceResolved.namespace}/${m.serviceResolved.name}${m.subset ? ` ${brief(m.subset)}` : ""}${m.port ? `:${m.port}` : ""} ${m.percent ?? 100}%`
    : brief(v);
}

/** Every item of the service's destination side, per policy. */
function itemsOf(i: Inspection): Items {
  const out: Items = new Map();
  const add = (policy: string, key: string, value: string) => {
    let m = out.get(policy);
    if (!m) out.set(policy, (m = new Map()));
    m.set(key, value);
  };
  const routeCount = new Map<string, number>();
  for (const r of i.destination.routes) {
    if (!r.origin) continue;
    const n = (routeCount.get(r.origin.policy) ?? 0) + 1;
    routeCount.set(r.origin.policy, n);
    const name = r.name ? `route "${r.name}"` : `route ${n}`;
    for (const [k, v] of routeFields(r)) add(r.origin.policy, `${name} ${k}`, v);
  }
  for (const s of i.destination.settings) add(s.origin.policy, `${s.kind}${s.subset ? ` (subset ${s.subset})` : ""}`, canonical(s.value));
  const ruleCount = new Map<string, number>();
  for (const r of i.destination.access.rules) {
    const k = `${r.origin.policy} ${r.action}`;
    const n = (ruleCount.get(k) ?? 0) + 1;
    ruleCount.set(k, n);
    add(r.origin.policy, `${r.action} rule ${n}`, `${r.source}: ${r.request}${r.scope !== "service" ? ` [${r.scope}-wide]` : ""}`);
  }
  for (const m of i.destination.mtls) if (m.origin) add(m.origin.policy, `mtls${m.port !== undefined ? ` port ${m.port}` : ""}`, m.mode);
  for (const j of i.destination.jwt)
    add(j.origin.policy, `jwt issuer ${j.issuer}`, j.audiences?.length ? `audiences ${j.audiences.join(", ")}` : "any audience");
  // A policy that selects the service but contributes no item (e.g. an AccessPolicy with no rules: deny all).
  for (const p of i.destination.access.policies) if (!out.has(p)) out.set(p, new Map([["access", "deny every caller (no rule)"]]));
  return out;
}

/**
 * How the cluster's view of a service (`cluster`, from the applied objects) differs from the files'
 * (`files`): one entry per policy that differs, sorted by policy id; empty when they agree.
 * `known` are the ids of every policy of each model: a policy that applies to the service on one side
 * only but exists on both (e.g. a namespace-wide MTLSPolicy that a service's own policy overrides in the
 * files) `differs` item by item rather than being reported missing.
 */
export function driftOf(files: Inspection, cluster: Inspection, known?: { files: ReadonlySet<string>; cluster: ReadonlySet<string> }): Drift[] {
  const f = itemsOf(files);
  const c = itemsOf(cluster);
  const out: Drift[] = [];
  for (const policy of [...new Set([...f.keys(), ...c.keys()])].sort()) {
    const a = f.get(policy) ?? (known?.files.has(policy) ? new Map<string, string>() : undefined);
    const b = c.get(policy) ?? (known?.cluster.has(policy) ? new Map<string, string>() : undefined);
    if (!b) {
      out.push({ policy, change: "not-applied", items: [] });
      continue;
    }
    if (!a) {
      out.push({ policy, change: "not-in-files", items: [] });
      continue;
    }
    const items: DriftItem[] = [];
    for (const key of [...new Set([...a.keys(), ...b.keys()])]) {
      const x = a.get(key);
      const y = b.get(key);
      if (x !== y) items.push({ item: key, ...(x !== undefined ? { files: x } : {}), ...(y !== undefined ? { cluster: y } : {}) });
    }
    if (items.length) out.push({ policy, change: "differs", items });
  }
  return out;
}

/** The drift as text lines (`drift (files vs cluster <context>):` and one line per item). */
export function formatDrift(drift: readonly Drift[], context: string): string {
  if (!drift.length) return `\ndrift: none (the cluster ${context} holds what the files say for this service)\n`;
  const lines = ["", `drift (files vs cluster ${context}):`];
  for (const d of drift) {
    if (d.change === "not-applied") lines.push(`  ${d.policy}: in the files, not applied`);
    else if (d.change === "not-in-files") lines.push(`  ${d.policy}: applied, not in the files`);
    else {
      lines.push(`  ${d.policy}: differs`);
      for (const i of d.items) lines.push(`    ${i.item}: files ${i.files ?? "(none)"}; cluster ${i.cluster ?? "(none)"}`);
    }
  }
  return lines.join("\n") + "\n";
}
