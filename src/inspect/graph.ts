/**
 * `serviceGraph(model)`: the service graph of a model, for a reviewer's eyes. Nodes are the services the
 * model knows (and their subsets, and "any caller" when a rule admits everyone); edges are
 * - `allowed`: a workload's identity may call a destination under deny-by-default (labelled with what the
 *   admitting rules allow: methods, paths, ports), or `any caller` for rules without a source;
 * - `denied`: a known workload that no allow rule admits, at a destination that denies by default (or a
 *   deny rule that names it with no request condition): the edges a reviewer must see are closed;
 * - `route`: a destination's routes to its subsets, labelled with the route and the weight in percent;
 * - `mirror`: a route's mirrored traffic.
 * Destinations without AccessPolicy are open to every caller (no edges drawn, the node says `open`).
 * Renderings: Graphviz DOT, Mermaid, SVG (Graphviz itself, compiled to WebAssembly:
 * `@hpcc-js/wasm-graphviz`), JSON. Every output is deterministic (sorted nodes and edges).
 */
import type { EffectiveAccessRule, Model } from "../api/model.js";
import { accessOf, admits, callerAccess, knownServices, peerOfService } from "./inspect.js";
import { labelsText, matchText, ruleConditionsText } from "./describe.js";

export interface GraphNode {
  /** `namespace/name`, `namespace/name#subset`, or `*` (any caller). */
  id: string;
  kind: "service" | "subset" | "any";
  label: string;
  namespace?: string;
  /** For services: `open` (no AccessPolicy) or `deny-by-default`. */
  access?: "open" | "deny-by-default";
  /** For services: the mTLS mode of the service (its MTLSPolicy's, else its namespace's or the mesh's; absent: no policy, the mesh default). */
  mtls?: string;
  serviceAccount?: string;
}

export interface GraphEdge {
  from: string;
  to: string;
  kind: "allowed" | "denied" | "route" | "mirror";
  label: string;
  /** Route weight in percent (route edges). */
  weight?: number;
}

export interface ServiceGraph {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Builds the service graph of a model. */
export function serviceGraph(model: Model): ServiceGraph {
  const known = knownServices(model);
  const nodes = new Map<string, GraphNode>();
  const edges: GraphEdge[] = [];
  for (const [id, f] of known) {
    const m = model.mtlsMode(f.namespace, f.name);
    nodes.set(id, {
      id,
      kind: "service",
      label: f.name,
      namespace: f.namespace,
      serviceAccount: f.serviceAccount,
      access: "open",
      ...(m ? { mtls: m.mode } : {}),
    });
  }
  const anyNode = () => {
    if (!nodes.has("*")) nodes.set("*", { id: "*", kind: "any", label: "any caller (incl. unauthenticated)" });
  };
  for (const [id, f] of known) {
    const rules = accessOf(model, f.namespace, f.name);
    if (rules) {
      nodes.get(id)!.access = "deny-by-default";
      // Rules without a source admit every caller: one edge from "any caller".
      const open = rules.allow.filter((r) => !r.source);
      // What deny rules with request conditions still take away from an allowed edge.
      const except = (deny: readonly EffectiveAccessRule[]) => {
        const d = deny.filter((r) => Object.keys(r.rule).some((k) => k !== "source")).map((r) => ruleConditionsText(r.rule, r.port));
        return d.length ? `\nexcept ${d.join(" | ")}` : "";
      };
      if (open.length) {
        anyNode();
        const anon = callerAccess(model, rules, { label: "unknown", address: "127.0.0.1" });
        edges.push({ from: "*", to: id, kind: "allowed", label: open.map((r) => ruleConditionsText(r.rule, r.port)).join(" | ") + except(anon.deny) });
      }
      for (const [cid, cf] of known) {
        if (cid === id) continue;
        const c = callerAccess(model, rules, peerOfService(model, cf));
        const named = c.allow.filter((r) => r.source);
        if (c.allowed && named.length)
          edges.push({ from: cid, to: id, kind: "allowed", label: named.map((r) => ruleConditionsText(r.rule, r.port)).join(" | ") + except(c.deny) });
        else if (!c.allowed)
          edges.push({
            from: cid,
            to: id,
            kind: "denied",
            label: c.deny.length && c.reason.startsWith("denied by the deny rule") ? "denied by a deny rule" : "denied by default",
          });
      }
    }
    const view = model.destination(f.namespace, f.name);
    for (const r of view?.routes ?? []) {
      const name = r.name ?? (r.index === null ? "route" : `route ${r.index}`);
      if (r.action.kind === "split") {
        for (const t of r.action.targets) {
          if (!t.subset) continue;
          const sid = `${id}#${t.subset.name}`;
          if (!nodes.has(sid)) nodes.set(sid, { id: sid, kind: "subset", label: `${t.subset.name} (${labelsText(t.subset.labels)})`, namespace: f.namespace });
          const who = r.source ? ` from ${sourceShort(model, r.source, known)}` : "";
          const when = r.match ? `\n${matchText(r.match.value)}` : "";
          edges.push({ from: id, to: sid, kind: "route", label: `${name}${who} ${t.weight}%${when}`, weight: t.weight });
        }
      }
      if (r.mirror) {
        const m = r.mirror.value;
        const mid = `${m.serviceResolved.namespace}/${m.serviceResolved.name}`;
        const to = m.subsetResolved ? `${mid}#${m.subsetResolved.name}` : mid;
        if (m.subsetResolved && !nodes.has(to))
          nodes.set(to, {
            id: to,
            kind: "subset",
            label: `${m.subsetResolved.name} (${labelsText(m.subsetResolved.labels)})`,
            namespace: m.serviceResolved.namespace,
          });
        edges.push({ from: id, to, kind: "mirror", label: `mirror ${name} ${m.percent ?? 100}%` });
      }
    }
  }
  return {
    nodes: [...nodes.values()].sort((a, b) => cmp(a.id, b.id)),
    edges: dedupe(edges).sort((a, b) => cmp(a.from, b.from) || cmp(a.to, b.to) || cmp(a.kind, b.kind) || cmp(a.label, b.label)),
  };
}

function dedupe(edges: GraphEdge[]): GraphEdge[] {
  const seen = new Set<string>();
  return edges.filter((e) => {
    const k = `${e.from}\0${e.to}\0${e.kind}\0${e.label}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** The callers a route's source selects, by the names of the known services it admits. */
function sourceShort(model: Model, s: Parameters<typeof admits>[1], known: ReturnType<typeof knownServices>): string {
  const names = [...known.values()].filter((f) => admits(model, s, peerOfService(model, f))).map((f) => f.name);
  return names.length ? names.join(", ") : "selected callers";
}

const COLORS = { allowed: "#2e7d32", denied: "#c62828", route: "#1565c0", mirror: "#6a1b9a" } as const;

function dotString(s: string): string {
  return `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
}

/** The graph in Graphviz DOT: one cluster per namespace, edges coloured by kind (denied: dashed red). */
export function toDot(g: ServiceGraph): string {
  const lines = [
    "digraph unimesh {",
    '  rankdir=LR; bgcolor="white"; fontname="Helvetica"; nodesep=0.4; ranksep=1.1;',
    '  node [shape=box, style="rounded,filled", fillcolor="#eef3fb", color="#5c6b80", fontname="Helvetica", fontsize=11];',
    '  edge [fontname="Helvetica", fontsize=9];',
  ];
  const byNs = new Map<string, GraphNode[]>();
  for (const n of g.nodes) {
    if (!n.namespace) continue;
    byNs.set(n.namespace, [...(byNs.get(n.namespace) ?? []), n]);
  }
  const nodeLine = (n: GraphNode, pad: string) => {
    if (n.kind === "any") return `${pad}${dotString(n.id)} [label=${dotString(n.label)}, shape=plaintext, style="", fontcolor="#444444"];`;
    if (n.kind === "subset") return `${pad}${dotString(n.id)} [label=${dotString(n.label)}, shape=ellipse, fillcolor="#f3f7ee"];`;
    const lock = (n.access === "deny-by-default" ? "deny by default" : "open: any caller") + (n.mtls ? `, mtls ${n.mtls}` : "");
    return `${pad}${dotString(n.id)} [label=${dotString(`${n.label}\nsa ${n.serviceAccount}\n${lock}`)}${n.access === "open" ? ', fillcolor="#fff8e1"' : ""}];`;
  };
  for (const n of g.nodes) if (!n.namespace) lines.push(nodeLine(n, "  "));
  for (const [ns, list] of [...byNs].sort(([a], [b]) => cmp(a, b))) {
    lines.push(
      `  subgraph ${dotString(`cluster_${ns}`)} {`,
      `    label=${dotString(`namespace ${ns}`)}; style="rounded,dashed"; color="#9aa5b1"; fontcolor="#5c6b80";`,
    );
    for (const n of list) lines.push(nodeLine(n, "    "));
    lines.push("  }");
  }
  for (const e of g.edges) {
    const style = e.kind === "denied" || e.kind === "mirror" ? ", style=dashed" : "";
    const pen = e.kind === "route" ? `, penwidth=${(0.8 + (e.weight ?? 0) / 40).toFixed(1)}` : "";
    lines.push(
      `  ${dotString(e.from)} -> ${dotString(e.to)} [label=${dotString(e.label)}, color="${COLORS[e.kind]}", fontcolor="${COLORS[e.kind]}"${style}${pen}];`,
    );
  }
  lines.push("}");
  return lines.join("\n") + "\n";
}

function mermaidText(s: string): string {
  return s.replace(/"/g, "#quot;").replace(/\|/g, "#124;").replace(/\n/g, "<br/>");
}

/** The graph as a Mermaid flowchart (GitHub renders it in Markdown). */
export function toMermaid(g: ServiceGraph): string {
  const ids = new Map(g.nodes.map((n, i) => [n.id, `n${i}`]));
  const lines = ["flowchart LR"];
  const byNs = new Map<string, GraphNode[]>();
  for (const n of g.nodes) if (n.namespace) byNs.set(n.namespace, [...(byNs.get(n.namespace) ?? []), n]);
  const node = (n: GraphNode) => {
    const id = ids.get(n.id)!;
    if (n.kind === "any") return `${id}(["${mermaidText(n.label)}"])`;
    if (n.kind === "subset") return `${id}(("${mermaidText(n.label)}"))`;
    return `${id}["${mermaidText(`${n.label}\nsa ${n.serviceAccount}\n${n.access === "deny-by-default" ? "deny by default" : "open: any caller"}${n.mtls ? `, mtls ${n.mtls}` : ""}`)}"]`;
  };
  for (const n of g.nodes) if (!n.namespace) lines.push(`  ${node(n)}`);
  for (const [ns, list] of [...byNs].sort(([a], [b]) => cmp(a, b))) {
    lines.push(`  subgraph ns_${ns.replace(/[^a-z0-9]/g, "_")}["namespace ${ns}"]`);
    for (const n of list) lines.push(`    ${node(n)}`);
    lines.push("  end");
  }
  g.edges.forEach((e) => {
    const arrow = e.kind === "denied" || e.kind === "mirror" ? "-.->" : e.kind === "route" ? "==>" : "-->";
    lines.push(`  ${ids.get(e.from)} ${arrow}|"${mermaidText(e.label)}"| ${ids.get(e.to)}`);
  });
  g.edges.forEach((e, i) => lines.push(`  linkStyle ${i} stroke:${COLORS[e.kind]},color:${COLORS[e.kind]}`));
  return lines.join("\n") + "\n";
}

/**
 * The graph as SVG, laid out and drawn by Graphviz (`dot`) compiled to WebAssembly
 * (`@hpcc-js/wasm-graphviz`, loaded on first use).
 */
export async function toSvg(g: ServiceGraph): Promise<string> {
  const { Graphviz } = await import("@hpcc-js/wasm-graphviz");
  const gv = await Graphviz.load();
  return gv.dot(toDot(g), "svg");
}
