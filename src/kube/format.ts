/** Text printers for apply and diff reports (kept apart from the data, like `formatDiagnostic`). */
import { dumpYaml } from "../api/emit.js";
import type { ApplyAction, ApplyResult, FieldConflict, ObjectOutcome } from "./apply.js";
import type { FieldChange, ObjectDiff } from "./diff.js";

/** A value on one line: JSON (strings quoted), `<none>` for undefined. */
export function inline(v: unknown): string {
  return v === undefined ? "<none>" : JSON.stringify(v);
}

/** `.spec.http owned by "kubectl", .spec.hosts owned by "helm"`. */
export function formatConflicts(conflicts: readonly FieldConflict[]): string {
  return conflicts.map((c) => `${c.field} owned by "${c.manager}"`).join(", ");
}

const ACTION_ORDER: ApplyAction[] = ["created", "configured", "unchanged", "pruned", "released", "conflict", "failed", "skipped"];

/** `2 created, 1 unchanged, 1 conflict`. */
export function applySummary(outcomes: readonly ObjectOutcome[]): string {
  const parts = ACTION_ORDER.map((a) => [a, outcomes.filter((o) => o.action === a).length] as const)
    .filter(([, n]) => n > 0)
    .map(([a, n]) => `${n} ${a === "conflict" && n > 1 ? "conflicts" : a}`);
  return parts.length ? parts.join(", ") : "nothing to apply";
}

/** One line per object, then a summary line; every line starts with `<context>: `. */
export function formatApply(context: string, r: ApplyResult, dryRun?: "server" | "client"): string {
  const dry = dryRun ? ` (dry run: ${dryRun})` : "";
  const lines = r.outcomes.map((o) => {
    let s = `${context}: ${o.object} ${o.action}${dry}`;
    if (o.action === "conflict") s += `: ${formatConflicts(o.conflicts ?? [])}; rerun with --force-conflicts to take ownership`;
    else if (o.message) s += `: ${o.message}`;
    return s;
  });
  if (r.pruneSkipped) lines.push(`${context}: ${r.pruneSkipped}`);
  lines.push(`${context}: ${applySummary(r.outcomes)}${dry}`);
  return lines.join("\n") + "\n";
}

function formatField(c: FieldChange): string {
  switch (c.op) {
    case "add":
      return `    + ${c.path}: ${inline(c.after)}`;
    case "remove":
      return `    - ${c.path}: ${inline(c.before)}`;
    default:
      return `    ~ ${c.path}: ${inline(c.before)} -> ${inline(c.after)}`;
  }
}

/** Counts for the diff header: `1 to create, 2 to update, 1 to delete, 3 unchanged`. */
export function diffSummary(diffs: readonly ObjectDiff[]): string {
  const n = (c: ObjectDiff["change"]) => diffs.filter((d) => d.change === c).length;
  const parts = [`${n("create")} to create`, `${n("update")} to update`, `${n("delete")} to delete`, `${n("unchanged")} unchanged`];
  if (n("conflict")) parts.push(`${n("conflict")} conflicting`);
  if (n("failed")) parts.push(`${n("failed")} failed`);
  return parts.join(", ");
}

/**
 * A readable diff of one cluster: a `# context (server): counts` header, then per changed object a
 * line starting with `+` (created), `~` (updated), `-` (deleted) or `!` (conflict or error), and its
 * fields: `+ path: value`, `- path: value`, `~ path: before -> after`; created objects as YAML.
 */
export function formatDiff(context: string, server: string, diffs: readonly ObjectDiff[]): string {
  const out = [`# ${context} (${server}): ${diffSummary(diffs)}`];
  for (const d of diffs) {
    switch (d.change) {
      case "unchanged":
        break;
      case "create":
        out.push(`+ ${d.object} (created)`);
        out.push(
          ...dumpYaml(d.created)
            .trimEnd()
            .split("\n")
            .map((l) => `    ${l}`),
        );
        break;
      case "update":
        out.push(`~ ${d.object}${d.message ? ` (${d.message})` : ""}`);
        out.push(...(d.fields ?? []).map(formatField));
        break;
      case "delete":
        out.push(`- ${d.object} (deleted: no longer generated)`);
        break;
      case "conflict":
        out.push(`! ${d.object} conflict: ${formatConflicts(d.conflicts ?? [])}; apply would fail without --force-conflicts`);
        break;
      case "failed":
        out.push(`! ${d.object} error: ${d.message ?? "unknown error"}`);
        break;
    }
  }
  return out.join("\n") + "\n";
}
