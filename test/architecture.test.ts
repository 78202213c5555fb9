/**
 * The shape of src/: no import cycle (type-only imports included: a cycle of types is still two modules
 * that cannot be understood one without the other), and dependencies that point one way,
 * `cli → inspect → kube, proxy, adapters → api`:
 * - `api/` imports only `api/`;
 * - `adapters/` imports `api/` and `adapters/`; one mesh's folder never imports another's (only
 *   `adapters/shared/`); only the registries (`adapters/registry.ts` and the generated `adapters/shipped.ts`) import mesh folders;
 * - `kube/` and `proxy/` import `api/` and themselves, never an adapter: mesh knowledge reaches them from
 *   the adapters' hooks, passed in by the CLI;
 * - `inspect/` imports `api/`, `adapters/`, `proxy/` and itself; only `cli/` (and the entry point) imports it;
 * - `cli/` imports anything but the entry point; nothing imports `cli/` but `cli/` (and the entry point).
 * The import graph is read with TypeScript's parser: static imports, `export ... from`, `import()` with a
 * literal path.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, test } from "vitest";

const SRC = resolve(import.meta.dirname, "../src");

/** Every module of src/ (relative path, `/`-separated) → the src/ modules it imports. */
function importGraph(): Map<string, Set<string>> {
  const files: string[] = [];
  const walk = (d: string) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith(".ts") && !p.endsWith(".d.ts")) files.push(p);
    }
  };
  walk(SRC);
  const known = new Set(files.map((f) => relative(SRC, f)));
  const graph = new Map<string, Set<string>>();
  for (const file of files) {
    const from = relative(SRC, file);
    const deps = new Set<string>();
    const add = (spec: string) => {
      if (!spec.startsWith(".")) return;
      const target = relative(SRC, resolve(dirname(file), spec)).replace(/\.js$/, ".ts");
      if (known.has(target)) deps.add(target);
      else if (known.has(`${target.replace(/\.ts$/, "")}/index.ts`)) deps.add(`${target.replace(/\.ts$/, "")}/index.ts`);
    };
    const visit = (n: ts.Node) => {
      if ((ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) && n.moduleSpecifier && ts.isStringLiteral(n.moduleSpecifier)) add(n.moduleSpecifier.text);
      else if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword && n.arguments[0] && ts.isStringLiteralLike(n.arguments[0]))
        add(n.arguments[0].text);
      else if (ts.isImportTypeNode(n) && ts.isLiteralTypeNode(n.argument) && ts.isStringLiteral(n.argument.literal)) add(n.argument.literal.text);
      ts.forEachChild(n, visit);
    };
    visit(ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, true));
    graph.set(from, deps);
  }
  return graph;
}

/** The cycles of a graph: its strongly connected components of more than one module (Tarjan), each sorted. */
function cycles(graph: Map<string, Set<string>>): string[][] {
  let next = 0;
  const index = new Map<string, number>(),
    low = new Map<string, number>(),
    stack: string[] = [],
    onStack = new Set<string>();
  const out: string[][] = [];
  const connect = (v: string) => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || graph.get(v)?.has(v)) out.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) connect(v);
  return out;
}

/** Why `from` may not import `to`, or undefined when it may. */
function violation(from: string, to: string): string | undefined {
  const layer = (p: string) => (p.includes("/") ? p.slice(0, p.indexOf("/")) : p);
  const [lf, lt] = [layer(from), layer(to)];
  if (lf === "index.ts") return undefined;
  if (lt === "index.ts") return "nothing imports the package entry point";
  if (lt === "cli" && lf !== "cli") return "only cli/ imports cli/";
  if (lf === "api" && lt !== "api") return "api/ imports only api/";
  if ((lf === "kube" || lf === "proxy") && lt !== lf && lt !== "api") return `${lf}/ imports only ${lf}/ and api/ (adapters' knowledge is passed in)`;
  if (lf === "adapters" && lt !== "api" && lt !== "adapters") return "adapters/ imports only adapters/ and api/";
  if (lf === "inspect" && !["inspect", "api", "adapters", "proxy"].includes(lt)) return "inspect/ imports only inspect/, api/, adapters/ and proxy/";
  if (lt === "inspect" && lf !== "inspect" && lf !== "cli") return "only cli/ imports inspect/";
  if (lf === "adapters" && lt === "adapters") {
    const mesh = (p: string) => p.split("/")[1];
    const [mf, mt] = [mesh(from), mesh(to)];
    const registry = mf === "index.ts" || mf === "registry.ts" || mf === "shipped.ts";
    if (mt !== mf && mt !== "shared" && !registry) return "a mesh folder imports only itself, adapters/shared/ and api/";
    if (mf === "shared" && mt !== "shared") return "adapters/shared/ imports no mesh folder";
  }
  return undefined;
}

describe("architecture of src/", () => {
  const graph = importGraph();

  test("the graph is read (sanity: known edges are found)", () => {
    expect(graph.size).toBeGreaterThan(100);
    expect(graph.get("api/translate.ts")).toContain("api/adapter.ts");
    expect(graph.get("cli/commands/index.ts")).toContain("cli/commands/translate.ts"); // import() with a literal path
  });

  test("no import cycle", () => {
    expect(cycles(graph).map((c) => c.join(" → "))).toEqual([]);
  });

  test("dependencies point cli → kube, proxy, adapters → api", () => {
    const bad: string[] = [];
    for (const [from, deps] of graph)
      for (const to of deps) {
        const why = violation(from, to);
        if (why) bad.push(`${from} imports ${to}: ${why}`);
      }
    expect(bad).toEqual([]);
  });

  test("the checks catch what they are for", () => {
    const g = new Map([
      ["a.ts", new Set(["b.ts"])],
      ["b.ts", new Set(["c.ts"])],
      ["c.ts", new Set(["a.ts"])],
      ["d.ts", new Set(["a.ts"])],
    ]);
    expect(cycles(g)).toEqual([["a.ts", "b.ts", "c.ts"]]);
    expect(violation("api/translate.ts", "adapters/shared/names.ts")).toBeDefined();
    expect(violation("kube/discover.ts", "adapters/istio/index.ts")).toBeDefined();
    expect(violation("adapters/istio/translator.ts", "adapters/linkerd/matching.ts")).toBeDefined();
    expect(violation("adapters/shipped.ts", "adapters/linkerd/index.ts")).toBeUndefined();
    expect(violation("cli/commands/discover.ts", "kube/discover.ts")).toBeUndefined();
    expect(violation("proxy/runtime.ts", "cli/io.ts")).toBeDefined();
    expect(violation("inspect/explain.ts", "proxy/decide.ts")).toBeUndefined();
    expect(violation("inspect/explain.ts", "kube/client.ts")).toBeDefined();
    expect(violation("proxy/outbound.ts", "inspect/explain.ts")).toBeDefined();
  });
});
