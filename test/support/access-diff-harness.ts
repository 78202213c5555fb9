/**
 * The driver the randomized access DIFFERENTIAL tests share (test/adapters/<mesh>/access-differential.test.ts):
 * a mesh's access decisions (its adapter's translation, decided by an oracle of the mesh's documented
 * semantics) against the built-in proxy's (the model, decided by `explain`).
 *
 * The shape: a test file describes its mesh as an {@link AccessDiff} and keeps everything mesh-specific:
 * - `M`, the mesh's parameters a model is translated for and decided in (version, trust domain, settings),
 *   drawn per seed by `meshOf` and shown by `describeMesh`;
 * - `O`, the objects of its translation: `prepare` loads and translates a model, mostly through
 *   {@link prepareModel} with the mesh's own `translate` call;
 * - `D`, its oracle's {@link Decision} (with what else the mesh reports), taken by `decide` on a prepared
 *   model;
 * - `excuse`: why a disagreement is no finding (an approximation the adapter warned about, ...);
 * - `showObjects`: the objects a finding's report shows;
 * and, in its {@link RandomRun}, the seed factor, generator options, the default number of models, the
 * built-in proxy's OUTCOMES the generator must reach (names of {@link BUILTIN_OUTCOMES}), the comparisons expected per model and stats of its
 * own. Its fixed cases (disagreements found, kept as cases) stay in the test file and run through
 * {@link checkCase}.
 *
 * This module does the rest: {@link randomizedTest} registers the `${models} random models × 40 requests`
 * test, which for each seed draws a model (`randomModel(prng(seed * seedFactor), gen)`) and then the mesh's
 * parameters from the same generator, counts models the schema refuses (`invalid`: a generator bug), the
 * adapter refuses (`refused`, with the diagnostic codes tallied) or the built-in proxy refuses, minimizes and
 * reports adapter crashes, then draws 40 requests and compares both decisions on each: agreeing, excused
 * (tallied by excuse) or a finding (`<mesh>MorePermissive` / `<mesh>MoreRestrictive`; one per seed, at most
 * eight, each minimized and reported). It prints the stats (in that order, the mesh's own after `excused`),
 * the refusals, excuses and the built-in proxy's outcomes, and expects no invalid model, crash or finding,
 * every OUTCOME reached at least 30 times and enough comparisons. The draws and the printed lines are those
 * of the three tests before the driver was shared. ACCESS_DIFF_MODELS and ACCESS_DIFF_FIRST_SEED explore
 * further by hand (not in CI).
 */
import { expect, test } from "vitest";
import { loadModel, type Diagnostic, type TranslateResult } from "../../src/index.js";
import type { Model } from "../../src/api/model.js";
import { explain, type ExplainRequest } from "../../src/inspect/explain.js";
import { compileModel } from "../../src/inspect/local-mesh.js";
import { prng } from "./prng.js";
import { type Doc, type GenOptions, type Req, type Rnd, World, minimize, randomModel, randomRequest, requestPaths, signTokens } from "./access-model.js";

export type Outcome = "allowed" | "denied";
export interface Decision {
  outcome: Outcome;
  reason: string;
}

/** A model loaded, translated for the mesh (objects `O`) and compiled for the built-in proxy. */
export interface PreparedOk<O> {
  kind: "ok";
  docs: Doc[];
  model: Model;
  objects: O[];
  diagnostics: Diagnostic[];
  /** The Service ports of each service (`namespace/name`) as the built-in proxy serves them. */
  ports: Map<string, number[]>;
  world: World;
}
export type Prepared<O> = { kind: "invalid" | "refused" | "builtin-refused" | "crash"; why: string } | PreparedOk<O>;

/** Loads a model (for the trust domain), translates it with `translateFor` (the mesh's adapter and settings) and compiles it for the built-in proxy. */
export function prepareModel<O>(docs: Doc[], trustDomain: string, translateFor: (model: Model) => TranslateResult): Prepared<O> {
  const text = docs.map((d) => JSON.stringify(d)).join("\n---\n");
  const loaded = loadModel([{ file: "model.yaml", text }], { trustDomain });
  const errs = (ds: Diagnostic[]) =>
    ds
      .filter((d) => d.severity === "error")
      .map((d) => `${d.code}: ${d.message}`)
      .join("; ");
  if (!loaded.ok) return { kind: "invalid", why: errs(loaded.diagnostics) };
  let t;
  try {
    t = translateFor(loaded.model);
  } catch (err) {
    return { kind: "crash", why: String(err).split("\n")[0] };
  }
  if (!t.ok) return { kind: "refused", why: errs(t.diagnostics) };
  let compiled;
  try {
    compiled = compileModel(loaded.model).compiled;
  } catch (err) {
    return { kind: "builtin-refused", why: String(err) };
  }
  const world = new World(docs);
  const ports = new Map<string, number[]>();
  for (const key of world.services.keys()) {
    const svc = compiled.services.get(key);
    if (svc)
      ports.set(
        key,
        svc.ports.map((p) => p.port),
      );
  }
  return { kind: "ok", docs, model: loaded.model, objects: t.resources as O[], diagnostics: t.diagnostics, ports, world };
}

/** The built-in proxy's decision (explain). */
export async function builtinDecision(model: Model, req: Req): Promise<Decision> {
  const e = await explain(model, req.explain);
  return { outcome: e.decision, reason: e.reason };
}

/** A mesh under test: its parameters `M`, the objects `O` of its translation, its oracle's decisions `D`. */
export interface AccessDiff<M, O, D extends Decision> {
  /** The mesh's name in messages (`Istio`); lower-cased, in the names of its stats (`istioMorePermissive`). */
  name: string;
  describeMesh(mesh: M): string;
  prepare(docs: Doc[], mesh: M): Prepared<O>;
  /** The oracle's decision on every pod the request may reach: the first that differs from `expect`, else the first. */
  decide(p: PreparedOk<O>, req: Req, mesh: M, expect?: Outcome): D;
  /** Why a disagreement is no finding, if it is not. */
  excuse(p: PreparedOk<O>, req: Req, d: D, mesh: M): string | undefined;
  /** The objects a finding's report lists, one line each. */
  showObjects(objects: O[]): string[];
}

export interface Disagreement<D> {
  oracle: D;
  builtin: Decision;
  excuse?: string;
}

/** The disagreement on one model and one request, if any (none when the model is not translated or the port is not served). */
export async function compare<M, O, D extends Decision>(h: AccessDiff<M, O, D>, docs: Doc[], req: Req, mesh: M): Promise<Disagreement<D> | undefined> {
  const p = h.prepare(docs, mesh);
  if (p.kind !== "ok") return undefined;
  if (!p.ports.get(`${req.explain.to.namespace}/${req.explain.to.service}`)?.includes(req.explain.to.port)) return undefined;
  const b = await builtinDecision(p.model, req);
  const d = h.decide(p, req, mesh, b.outcome);
  if (d.outcome === b.outcome) return undefined;
  const x = h.excuse(p, req, d, mesh);
  return { oracle: d, builtin: b, ...(x ? { excuse: x } : {}) };
}

interface Finding<M, D> {
  seed: number;
  mesh: M;
  docs: Doc[];
  req: Req;
  oracle: D;
  builtin: Decision;
}

async function describeCrash<M, O, D extends Decision>(h: AccessDiff<M, O, D>, seed: number, start: Doc[], mesh: M, why: string): Promise<string> {
  const docs = await minimize(start, async (c) => {
    const p = h.prepare(c, mesh);
    return p.kind === "crash" && p.why === why;
  });
  return `seed ${seed} (${h.describeMesh(mesh)}): the ${h.name} adapter crashes: ${why}\nminimal model:\n${docs.map((d) => JSON.stringify(d)).join("\n---\n")}`;
}

async function describeFinding<M, O, D extends Decision>(h: AccessDiff<M, O, D>, f: Finding<M, D>): Promise<string> {
  const docs = await minimize(f.docs, async (c) => {
    const d = await compare(h, c, f.req, f.mesh);
    return d !== undefined && !d.excuse && d.oracle.outcome === f.oracle.outcome;
  });
  const again = await compare(h, docs, f.req, f.mesh);
  const p = h.prepare(docs, f.mesh);
  const objs = p.kind === "ok" ? h.showObjects(p.objects) : [];
  return [
    `seed ${f.seed} (${h.describeMesh(f.mesh)}): ${h.name} ${f.oracle.outcome}, built-in ${f.builtin.outcome}`,
    `request: ${JSON.stringify(f.req.explain)}`,
    `${h.name} (oracle): ${again?.oracle.reason ?? f.oracle.reason}`,
    `built-in (explain): ${again?.builtin.reason ?? f.builtin.reason}`,
    `minimal model:\n${docs.map((d) => JSON.stringify(d)).join("\n---\n")}`,
    `${h.name} objects:\n${objs.join("\n")}`,
  ].join("\n");
}

/** The kinds of decision of the built-in proxy, by name: a pattern of explain's `outcome: reason`. */
export const BUILTIN_OUTCOMES = {
  "allowed: no AccessPolicy": /^allowed: allowed: no AccessPolicy selects/,
  "allowed: port not selected": /^allowed: allowed: port not selected/,
  "allowed by an allow rule": /^allowed: allowed by the allow rule/,
  "denied by a deny rule": /^denied: denied by the deny rule/,
  "denied by default": /^denied: denied by default/,
  "denied: invalid token (401)": /^denied: the token is not valid/,
  "denied: plaintext refused (strict)": /^denied: plaintext connection refused/,
} satisfies Record<string, RegExp>;
export type BuiltinOutcome = keyof typeof BUILTIN_OUTCOMES;

/** The randomized run's parameters for one mesh. */
export interface RandomRun<M, D> {
  /** Models drawn unless ACCESS_DIFF_MODELS says otherwise. */
  defaultModels: number;
  /** Seed `s` draws from `prng(s * seedFactor)`. */
  seedFactor: number;
  /** What the generator draws (leaving out what the adapter refuses outright). */
  gen?: GenOptions;
  /** The mesh's parameters, drawn after the model. */
  meshOf(rnd: Rnd): M;
  /** The kinds of decision of the built-in proxy the generator must all reach (each decision is counted under the first that matches, in this order). */
  outcomes: BuiltinOutcome[];
  /** The comparisons expected at least, per model drawn. */
  minComparedPerModel: number;
  /** Stats of the mesh's own (printed after `excused`): counted on each comparison, or on each excused disagreement, whose decision passes `when`. */
  extraStats?: { name: string; on: "compared" | "excused"; when: (d: D) => boolean }[];
}

const REQUESTS = 40;

/** Registers the randomized test (`${models} random models × 40 requests`) of a mesh: see the module's doc. */
export function randomizedTest<M, O, D extends Decision>(h: AccessDiff<M, O, D>, run: RandomRun<M, D>): void {
  const models = Number(process.env.ACCESS_DIFF_MODELS ?? run.defaultModels);
  const firstSeed = Number(process.env.ACCESS_DIFF_FIRST_SEED ?? 1);
  const extra = run.extraStats ?? [];
  const outcomes = run.outcomes.map((k) => [k, BUILTIN_OUTCOMES[k]] as const);
  const permissive = `${h.name.toLowerCase()}MorePermissive`;
  const restrictive = `${h.name.toLowerCase()}MoreRestrictive`;
  test(`${models} random models × ${REQUESTS} requests`, async () => {
    const tokens = await signTokens();
    const stats: Record<string, number> = {
      models: 0,
      invalid: 0,
      refused: 0,
      builtinRefused: 0,
      compared: 0,
      allowed: 0,
      denied: 0,
      agree: 0,
      excused: 0,
      ...Object.fromEntries(extra.map((x) => [x.name, 0])),
      [permissive]: 0,
      [restrictive]: 0,
    };
    const refusals = new Map<string, number>();
    const excuses = new Map<string, number>();
    const invalid: string[] = [];
    const crashes: string[] = [];
    const kinds = new Map<string, number>();
    const findings: Finding<M, D>[] = [];
    for (let seed = firstSeed; seed < firstSeed + models; seed++) {
      const rnd = prng(seed * run.seedFactor);
      const docs = randomModel(rnd, run.gen);
      const mesh = run.meshOf(rnd);
      stats.models++;
      const p = h.prepare(docs, mesh);
      if (p.kind === "crash") {
        crashes.push(await describeCrash(h, seed, docs, mesh, p.why));
        continue;
      }
      if (p.kind !== "ok") {
        if (p.kind === "invalid") invalid.push(`seed ${seed}: ${p.why}`);
        stats[p.kind === "invalid" ? "invalid" : p.kind === "refused" ? "refused" : "builtinRefused"]++;
        for (const m of p.why.matchAll(/((?:adapter|rule)\/[a-z-]+(?:\/[A-Za-z0-9.-]+)?):/g)) refusals.set(m[1], (refusals.get(m[1]) ?? 0) + 1);
        continue;
      }
      const paths = requestPaths(docs);
      for (let i = 0; i < REQUESTS; i++) {
        const req = randomRequest(rnd, paths, p.ports, tokens);
        const bD = await builtinDecision(p.model, req);
        const mD = h.decide(p, req, mesh, bD.outcome);
        stats.compared++;
        stats[bD.outcome]++;
        for (const x of extra) if (x.on === "compared" && x.when(mD)) stats[x.name]++;
        const kind = outcomes.find(([, re]) => re.test(`${bD.outcome}: ${bD.reason}`))?.[0] ?? `other: ${bD.reason}`;
        kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
        if (mD.outcome === bD.outcome) {
          stats.agree++;
          continue;
        }
        const x = h.excuse(p, req, mD, mesh);
        if (x) {
          stats.excused++;
          for (const s of extra) if (s.on === "excused" && s.when(mD)) stats[s.name]++;
          excuses.set(x, (excuses.get(x) ?? 0) + 1);
          continue;
        }
        if (mD.outcome === "allowed") stats[permissive]++;
        else stats[restrictive]++;
        // One finding per seed is enough to see it.
        if (findings.length < 8 && !findings.some((f) => f.seed === seed)) findings.push({ seed, mesh, docs, req, oracle: mD, builtin: bD });
      }
    }
    const report: string[] = [];
    for (const f of findings) report.push(await describeFinding(h, f));
    console.log(JSON.stringify(stats), "\nrefusals:", JSON.stringify([...refusals].sort((a, b) => b[1] - a[1])), "\nexcused:", JSON.stringify([...excuses]));
    console.log("built-in outcomes:", JSON.stringify([...kinds]));
    expect(invalid, invalid.join("\n")).toEqual([]);
    expect(crashes, crashes.join("\n\n")).toEqual([]);
    expect(report, report.join("\n\n")).toEqual([]);
    // The generator reaches every kind of decision, often enough for the comparison to mean something.
    for (const k of run.outcomes) expect(kinds.get(k) ?? 0, k).toBeGreaterThanOrEqual(30);
    expect(stats.compared).toBeGreaterThan(models * run.minComparedPerModel);
  }, 300_000);
}

/**
 * A disagreement found, kept as a case of its own (one model, one request): `refused` where the fix is that
 * the adapter refuses the model (its reasons matching `refusal`), `warned` where the fix is a warning the
 * excuse finds (matching `excuse`), `agree` where the mesh decides as the built-in proxy.
 */
export interface FixedCase<M> {
  docs: Doc[];
  req: ExplainRequest & { to: { port: number } };
  mesh: M;
  expect: "refused" | "warned" | "agree";
  refusal?: RegExp;
  excuse?: RegExp;
}

/** Checks one fixed case (inside a test). */
export async function checkCase<M, O, D extends Decision>(h: AccessDiff<M, O, D>, c: FixedCase<M>): Promise<void> {
  const p = h.prepare(c.docs, c.mesh);
  if (c.expect === "refused") {
    expect(p.kind === "refused" ? p.why : `${p.kind}: ${JSON.stringify(await compare(h, c.docs, { explain: c.req }, c.mesh))}`).toMatch(c.refusal!);
    return;
  }
  expect(p.kind).toBe("ok");
  const d = await compare(h, c.docs, { explain: c.req }, c.mesh);
  if (c.expect === "warned") {
    expect(d?.excuse).toMatch(c.excuse!);
    return;
  }
  expect(d && `${h.name} ${d.oracle.outcome} (${d.oracle.reason}), built-in ${d.builtin.outcome} (${d.builtin.reason})`).toBeUndefined();
}
