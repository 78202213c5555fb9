/**
 * Which adapter a command uses: `--mesh NAME[@VERSION]` against the built-in adapters,
 * `--adapter <package|path>` for a third-party one, `--mesh auto` from ClusterInfo documents.
 * Every mistake is a {@link UsageError} (exit 2) whose message lists the valid choices.
 */
import { createRequire } from "node:module";
import { isAbsolute, join, resolve } from "node:path";
import { existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type Adapter, isAdapter } from "../api/adapter.js";
import { UsageError } from "../api/diagnostics.js";
import type { Model } from "../api/model.js";
import { resolveVersion } from "../api/translate.js";
import type { InstalledMesh } from "./mesh-auto.js";
import { loadAdapter } from "../adapters/registry.js";

/**
 * The built-in adapters loaded one at a time (`unimesh translate` imports only the adapter it uses).
 * `all()` gives the whole list: for messages that name every mesh, and for a name `load()` does not
 * know.
 */
export interface LazyAdapters {
  load(name: string): Promise<Adapter | undefined>;
  all(): Promise<readonly Adapter[]>;
}

/** The shipped adapters: `src/adapters/registry.ts`, with `BUILTIN_ADAPTERS` as the whole list. */
export const SHIPPED_ADAPTERS: LazyAdapters = {
  load: loadAdapter,
  all: async () => (await import("../adapters/index.js")).BUILTIN_ADAPTERS,
};

/** The built-in adapters a command resolves `--mesh` against: all of them, or loaded on demand. */
export type Builtins = readonly Adapter[] | LazyAdapters;

async function allOf(builtins: Builtins): Promise<readonly Adapter[]> {
  return isLazy(builtins) ? builtins.all() : builtins;
}

function isLazy(builtins: Builtins): builtins is LazyAdapters {
  return !Array.isArray(builtins);
}

/** {@link builtinAdapter} for either form of the built-in adapters: loads only the one named when it can. */
export async function findBuiltin(name: string, builtins: Builtins, context = `--mesh ${name}`): Promise<Adapter> {
  if (isLazy(builtins)) {
    const a = await builtins.load(name);
    if (a && a.name === name) return a;
  }
  return builtinAdapter(name, await allOf(builtins), context);
}

/** A parsed `--mesh` value. */
export type MeshFlag = { auto: true } | { auto: false; name: string; version?: string };

/** Parses `--mesh`: `auto`, `NAME`, `NAME@VERSION`, or `@VERSION` (with `--adapter`). */
export function parseMeshFlag(value: string): MeshFlag {
  if (value === "auto") return { auto: true };
  const m = /^([a-z0-9][a-z0-9._-]*)?(?:@([a-z0-9._-]+))?$/i.exec(value);
  if (!m || (!m[1] && !m[2])) throw new UsageError(`--mesh "${value}": expected NAME, NAME@VERSION or auto (e.g. --mesh istio@1.30)`);
  return { auto: false, name: (m[1] ?? "").toLowerCase(), version: m[2] };
}

/** `istio, linkerd` — or a note that there are none. */
export function knownMeshes(adapters: readonly Adapter[]): string {
  return adapters.length ? adapters.map((a) => a.name).join(", ") : "(none built in; load one with --adapter)";
}

/** The built-in adapter called `name`. @throws UsageError listing the known ones. */
export function builtinAdapter(name: string, adapters: readonly Adapter[], context = `--mesh ${name}`): Adapter {
  const a = adapters.find((x) => x.name === name);
  if (!a) throw new UsageError(`${context}: unknown mesh "${name}"; known meshes: ${knownMeshes(adapters)} (see \`unimesh meshes\`)`);
  return a;
}

/** True when `--adapter` names a file rather than an npm package. */
export function isPathSpecifier(spec: string): boolean {
  return /^(\.{1,2}([\\/]|$)|[\\/]|file:)/.test(spec) || isAbsolute(spec);
}

/**
 * Loads a third-party adapter: a file path (`./my-adapter.js`, resolved against `cwd`) or an npm
 * package name (resolved from `cwd` first, where `npm install` put it, then next to unimesh). Uses
 * the module's default export, else its named export `adapter`.
 * @throws UsageError when the module cannot be loaded or exports no adapter.
 */
export async function importAdapter(spec: string, cwd: string): Promise<Adapter> {
  let mod: Record<string, unknown>;
  const path = isPathSpecifier(spec) ? (spec.startsWith("file:") ? fileURLToPath(spec) : resolve(cwd, spec)) : undefined;
  if (path !== undefined && !existsSync(path)) throw new UsageError(`--adapter ${spec}: no such file (${path})`);
  try {
    if (path !== undefined) {
      mod = await import(pathToFileURL(path).href);
    } else {
      let url: string | undefined;
      try {
        url = pathToFileURL(createRequire(join(cwd, "package.json")).resolve(spec)).href;
      } catch {
        url = undefined; // not installed in the user's project: try next to unimesh
      }
      mod = await import(url ?? spec);
    }
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const notFound =
      path === undefined && (err?.code === "ERR_MODULE_NOT_FOUND" || err?.code === "MODULE_NOT_FOUND") && String(err.message).includes(`'${spec}'`);
    const why = notFound ? "package not found (install it in this project, or give a path like ./adapter.js)" : firstLine(err?.message ?? String(e));
    throw new UsageError(`--adapter ${spec}: cannot load it: ${why}`);
  }
  const found = [mod.default, mod.adapter].find(isAdapter);
  if (!found) {
    throw new UsageError(
      `--adapter ${spec}: the module exports no adapter; expected a default export or a named export \`adapter\` with name, versions, defaultVersion, capabilities() and translate() (see Adapter in unimesh)`,
    );
  }
  return found;
}

/** The adapter and version to translate with. */
export interface MeshChoice {
  adapter: Adapter;
  version: string;
  /** Set when the adapter came from `--adapter`: the specifier given. */
  external?: string;
  /** Set for `--mesh auto`: what was read from the ClusterInfo documents. */
  auto?: { installed: string; source: string };
  /** `--mesh auto`: adapter settings the policies' namespaces need (ClusterInfo `spec.namespaces`), and why; under the user's `--set`. */
  settings?: { values: Record<string, string>; reason: string };
}

/** What `--mesh`/`--adapter` asked for, checked before the inputs are read. */
export interface MeshRequest {
  flag?: MeshFlag;
  adapter?: Adapter;
  external?: string;
}

/**
 * First step, before reading inputs: loads `--adapter`, checks the `--mesh` name and version.
 * @throws UsageError for a missing flag, an unknown mesh, an unsupported version, a bad `--adapter`.
 */
export async function requestMesh(mesh: string | undefined, adapterSpec: string | undefined, builtins: Builtins, cwd: string): Promise<MeshRequest> {
  if (mesh === undefined && adapterSpec === undefined) {
    throw new UsageError(`missing --mesh NAME[@VERSION] (known meshes: ${knownMeshes(await allOf(builtins))}), --mesh auto, or --adapter <package|path>`);
  }
  const flag = mesh === undefined ? undefined : parseMeshFlag(mesh);
  if (adapterSpec !== undefined) {
    const adapter = await importAdapter(adapterSpec, cwd);
    if (flag && !flag.auto) {
      if (flag.name && flag.name !== adapter.name) {
        throw new UsageError(
          `--mesh ${mesh} does not match the adapter loaded with --adapter ${adapterSpec} (its name is "${adapter.name}"); use --mesh ${adapter.name}@VERSION or --mesh @VERSION`,
        );
      }
      if (flag.version !== undefined) resolveVersion(adapter, flag.version);
    }
    return { flag, adapter, external: adapterSpec };
  }
  if (!flag!.auto) {
    if (!flag!.name)
      throw new UsageError(
        `--mesh ${mesh}: a version alone needs --adapter; name the mesh: --mesh NAME@VERSION (known meshes: ${knownMeshes(await allOf(builtins))})`,
      );
    const adapter = await findBuiltin(flag!.name, builtins);
    if (flag!.version !== undefined) resolveVersion(adapter, flag!.version);
    return { flag, adapter };
  }
  return { flag };
}

/**
 * Second step, with the validated model: the version to use, `--mesh auto` resolved from its
 * ClusterInfo documents (see {@link pickMesh}).
 * @throws UsageError when `--mesh auto` cannot decide, or the cluster's version is not supported.
 */
export async function chooseMesh(req: MeshRequest, model: Model, builtins: Builtins, given: Readonly<Record<string, string>> = {}): Promise<MeshChoice> {
  if (!req.flag?.auto) {
    const adapter = req.adapter!;
    const version = resolveVersion(adapter, req.flag && !req.flag.auto ? req.flag.version : undefined);
    return { adapter, version, ...(req.external ? { external: req.external } : {}) };
  }
  const meshes: InstalledMesh[] = model.clusters.flatMap((e) =>
    (e.doc.spec.meshes ?? []).map((m) => ({ name: m.name, version: m.version, source: `${e.id} in ${e.origin.file}` })),
  );
  const { pickMesh, pickSettings } = await import("./mesh-auto.js");
  // The adapters of the meshes named, whose cluster hooks map installed versions (loaded one by one).
  const named: Adapter[] = req.adapter ? [req.adapter] : [];
  for (const name of new Set(meshes.map((m) => m.name))) {
    if (name === req.adapter?.name) continue;
    const a = isLazy(builtins) ? await builtins.load(name) : builtins.find((x) => x.name === name);
    if (a) named.push(a);
  }
  const pick = pickMesh(meshes, model.clusters.length, named);
  if (!pick.ok) throw new UsageError(pick.message);
  let adapter: Adapter;
  if (req.adapter) {
    if (req.adapter.name !== pick.name) {
      throw new UsageError(
        `--mesh auto: the cluster runs ${pick.name} ${pick.installed} (${pick.source}) but --adapter ${req.external} translates for "${req.adapter.name}"`,
      );
    }
    adapter = req.adapter;
  } else {
    adapter = await findBuiltin(pick.name, builtins, `--mesh auto (${pick.source})`);
  }
  let version: string;
  try {
    version = resolveVersion(adapter, pick.version);
  } catch (e) {
    throw new UsageError(`--mesh auto: the cluster runs ${pick.name} ${pick.installed} (${pick.source}), which unimesh cannot target: ${(e as Error).message}`);
  }
  const namespaces = model.clusters.flatMap((e) => (e.doc.spec.namespaces ?? []).map((n) => ({ ...n, source: `${e.id} in ${e.origin.file}` })));
  const auto = pickSettings(
    namespaces,
    pick.name,
    model.policies.map((p) => p.namespace),
    new Set(Object.keys(given)),
  );
  if (!auto.ok) throw new UsageError(auto.message);
  return {
    adapter,
    version,
    auto: { installed: pick.installed, source: pick.source },
    ...(auto.reason ? { settings: { values: auto.settings, reason: auto.reason } } : {}),
    ...(req.external ? { external: req.external } : {}),
  };
}

function firstLine(s: string): string {
  return s.split("\n")[0];
}
