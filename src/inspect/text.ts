/** Text renderings of {@link Explanation} and {@link Inspection} (the CLI's default output). */
import type { Explanation } from "./explain.js";
import type { Inspection } from "./inspect.js";
import { type Located, type RouteInfo, backendText, brief, where } from "./describe.js";
import type { MeshVerdict } from "./meshes.js";
import { formatDiagnostic } from "../api/diagnostics.js";

const at = (l: Located<unknown>) => where(l.origin);

/** The settings lines of a route (indented by `pad`). */
function routeLines(r: RouteInfo, pad: string): string[] {
  const out: string[] = [];
  if (r.backends) out.push(`${pad}backends: ${r.backends.map(backendText).join(", ")}`);
  if (r.redirect) out.push(`${pad}redirect: ${brief(r.redirect.value)} (${at(r.redirect)})`);
  if (r.directResponse) out.push(`${pad}direct response: ${brief(r.directResponse.value)} (${at(r.directResponse)})`);
  if (r.timeout) out.push(`${pad}timeout: ${r.timeout.value} (${at(r.timeout)})`);
  if (r.retries) out.push(`${pad}retries: ${brief(r.retries.value)} (${at(r.retries)})`);
  if (r.faultInjection) out.push(`${pad}fault injection: ${brief(r.faultInjection.value)} (${at(r.faultInjection)})`);
  if (r.mirror) {
    const m = r.mirror.value as { serviceResolved: { namespace: string; name: string }; subset?: Record<string, string>; percent?: number; port?: number };
    out.push(
      `${pad}mirror: ${m.serviceResolved.namespace}/${m.serviceResolved.name}${m.subset ? ` ${brief(m.subset)}` : ""}${m.port ? `:${m.port}` : ""} ${m.percent ?? 100}% (${at(r.mirror)})`,
    );
  }
  if (r.headers) out.push(`${pad}header changes: ${brief(r.headers.value)} (${at(r.headers)})`);
  if (r.rewrite) out.push(`${pad}rewrite: ${brief(r.rewrite.value)} (${at(r.rewrite)})`);
  if (r.cors) out.push(`${pad}cors: ${brief(r.cors.value)} (${at(r.cors)})`);
  return out;
}

/** One line naming a route and where it was written. */
export function routeTitle(r: RouteInfo): string {
  if (!r.origin) return "default route (no policy route matches: all endpoints, no timeout, no retries)";
  return `${r.name ? `"${r.name}"` : r.origin.pointer === "/spec" ? "the policy's route" : `route ${r.origin.pointer}`} of ${r.origin.policy} (${where(r.origin)})`;
}

function meshLines(meshes: readonly MeshVerdict[], pad: string): string[] {
  const out: string[] = [];
  for (const m of meshes) {
    const v =
      m.verdict === "same"
        ? "same"
        : m.verdict === "same-with-warnings"
          ? "same, with warnings"
          : m.verdict === "differs"
            ? "DIFFERS (cannot do it as the model says)"
            : `same items, but these policies cannot be translated for it (${m.otherErrors} errors elsewhere)`;
    out.push(`${pad}${m.mesh}: ${v}`);
    for (const d of m.diagnostics) out.push(`${pad}  ${formatDiagnostic(d)}`);
  }
  return out;
}

/** The explanation as text lines. */
export function formatExplanation(e: Explanation): string {
  const r = e.request;
  const lines: string[] = [];
  lines.push(
    `${r.method} ${r.path} from ${r.from} to ${r.to}:${r.port}${
      Object.keys(r.headers).length
        ? ` with ${Object.entries(r.headers)
            .map(([k, v]) => `${k}: ${v}`)
            .join(", ")}`
        : ""
    }`,
  );
  lines.push(
    `decision: ${e.decision.toUpperCase()}${e.status !== undefined ? ` (${e.status} from the ${e.answeredBy === "caller-proxy" ? "caller's proxy" : "destination's proxy"})` : ""}`,
  );
  lines.push(`  ${e.reason}`);
  lines.push(
    `caller: ${e.caller.identity ?? "no mesh identity (plaintext)"}; the destination sees ${e.caller.seenAs}${e.caller.known ? "" : " (no service the policies know runs as this identity)"}`,
  );
  lines.push(`mtls: ${e.mtls.mode}${e.mtls.origin ? ` (${e.mtls.origin.policy}, ${where(e.mtls.origin)})` : " (no MTLSPolicy: the default)"}`);
  if (r.normalizedPath !== undefined && r.normalizedPath !== r.path.split("?")[0]) lines.push(`path normalized to: ${r.normalizedPath}`);
  if (e.route) {
    lines.push(`route: ${routeTitle(e.route)}`);
    lines.push(`  match: ${e.route.match}; callers: ${e.route.source}`);
    lines.push(...routeLines(e.route, "  "));
    if (e.route.rewrittenPath) lines.push(`  the destination receives: ${e.route.rewrittenPath}`);
    if (e.route.location) lines.push(`  location: ${e.route.location}`);
  } else if (r.from === "unauthenticated") lines.push("route: none (a caller without a mesh proxy reaches the destination directly)");
  if (e.faults && e.answeredBy === "app") {
    const f = e.faults;
    lines.push(
      `fault injection: ${[f.delayPercent !== undefined ? `delay for ${f.delayPercent}% of requests` : "", f.abortPercent !== undefined ? `abort (${f.abortStatus ?? "gRPC"}) for ${f.abortPercent}%` : ""].filter(Boolean).join(", ")}`,
    );
  }
  if (e.backends.length) {
    lines.push("at the destination:");
    const same = e.backends.every((b) => b.reason === e.backends[0].reason);
    const shown = same
      ? [{ ...e.backends[0], subset: e.backends.map((b) => (b.subset ? `${b.subset} ${b.weight}%` : `${b.weight}%`)).join(", ") }]
      : e.backends;
    for (const b of shown) {
      const who = same
        ? e.backends.length > 1
          ? `every backend (${b.subset})`
          : "the backend"
        : b.subset
          ? `subset ${b.subset} (${b.weight}%)`
          : `${b.weight}%`;
      lines.push(`  ${who}: ${b.decision}${b.status ? ` ${b.status}` : ""}: ${b.reason}`);
      if (b.access?.rule) lines.push(`    rule: ${b.access.rule.action} ${b.access.rule.source}, ${b.access.rule.request} (${where(b.access.rule.origin)})`);
      else if (b.access?.defaultDeny) lines.push(`    AccessPolicies of the destination: ${b.access.policies.join(", ")}`);
    }
  }
  if (e.meshes.length) {
    lines.push("meshes:");
    lines.push(...meshLines(e.meshes, "  "));
  }
  return lines.join("\n") + "\n";
}

/** The inspection as text lines. */
export function formatInspection(i: Inspection): string {
  const lines: string[] = [];
  const f = i.facts;
  lines.push(
    `service ${i.service}: pods {${Object.entries(f.selector)
      .map(([k, v]) => `${k}=${v}`)
      .join(",")}}, service account ${f.serviceAccount} (${f.identity})` +
      (f.declaredBy ? `; declared by ${f.declaredBy.policy} (${where(f.declaredBy)})` : "; no MeshService: conventions"),
  );
  if (f.ports.length)
    lines.push(
      `  ports: ${f.ports.map((p) => `${p.port}${p.targetPort !== p.port ? `->${p.targetPort}` : ""}${p.protocol ? `/${p.protocol}` : ""}`).join(", ")}${f.portsDeclared ? "" : " (guessed from the policies)"}`,
    );
  lines.push("");
  lines.push("as a destination:");
  lines.push(`  routes (effective order, first match wins):`);
  if (!i.destination.routes.length) lines.push("    none: requests go to every endpoint, no timeout, no retries");
  i.destination.routes.forEach((r, n) => {
    lines.push(`    ${n + 1}. ${routeTitle(r)}`);
    lines.push(`       match: ${r.match}${r.port !== undefined ? `, port ${r.port}` : ""}; callers: ${r.source}`);
    lines.push(...routeLines(r, "       "));
  });
  const s = i.destination.settings;
  if (s.length) {
    lines.push("  destination settings:");
    for (const x of s) lines.push(`    ${x.kind}${x.subset ? ` (subset ${x.subset})` : ""}: ${brief(x.value)} (${x.origin.policy}, ${where(x.origin)})`);
  }
  const a = i.destination.access;
  lines.push(
    `  access: ${a.mode === "open" ? "open: no AccessPolicy selects it (every caller may call it)" : `deny by default (${a.policies.join(", ")})${a.ports ? ` on ports ${a.ports.join(", ")}` : ""}`}`,
  );
  for (const r of a.rules)
    lines.push(`    ${r.action} ${r.source}: ${r.request}${r.scope !== "service" ? ` [${r.scope}-wide]` : ""} (${r.origin.policy}, ${where(r.origin)})`);
  if (a.callers.length) {
    lines.push("  who may call it:");
    for (const c of a.callers) lines.push(`    ${c.caller}: ${c.allowed ? `allowed (${c.rules.join("; ")})` : c.reason}`);
  }
  lines.push(
    `  mtls: ${i.destination.mtls.map((m) => `${m.port !== undefined ? `port ${m.port}: ` : ""}${m.mode}${m.origin ? ` (${m.origin.policy}, ${where(m.origin)})` : " (no MTLSPolicy: the mesh default)"}`).join("; ")}`,
  );
  if (i.destination.jwt.length) {
    lines.push("  request authentication (JWT):");
    for (const j of i.destination.jwt)
      lines.push(`    issuer ${j.issuer}${j.audiences?.length ? `, audiences ${j.audiences.join(", ")}` : ""} (${j.origin.policy}, ${where(j.origin)})`);
  }
  lines.push("");
  lines.push("as a source:");
  if (!i.source.calls.length) lines.push("  no policy names it as a caller, and no destination denies it by default");
  for (const c of i.source.calls) {
    lines.push(`  -> ${c.destination}: ${c.access}`);
    for (const r of c.rules) lines.push(`     ${r.action} ${r.request} (${r.origin.policy}, ${where(r.origin)})`);
    for (const r of c.routes) {
      lines.push(`     route ${routeTitle(r)}`);
      lines.push(...routeLines(r, "       "));
    }
  }
  for (const m of i.meshes) {
    lines.push("");
    lines.push(`on ${m.mesh}:${m.ok ? "" : " CANNOT TRANSLATE these policies"}`);
    if (!m.objects.length) lines.push("  no object carries these policies");
    for (const o of m.objects) lines.push(`  ${o.kind} ${o.namespace ? `${o.namespace}/` : ""}${o.name} <- ${o.policies.join(", ")}`);
    for (const c of m.carriers) lines.push(`  ${c.feature}: ${c.support}${c.via ? ` via ${c.via}` : ""}${c.note ? ` (${c.note})` : ""}`);
    for (const d of m.diagnostics) lines.push(`  ${formatDiagnostic(d)}`);
  }
  return lines.join("\n") + "\n";
}
