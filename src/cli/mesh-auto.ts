/**
 * `--mesh auto`: which adapter and version to translate for, from the ClusterInfo documents that
 * `unimesh discover` writes. Pure: no I/O, no adapter imports (the adapters are given).
 */
import type { Adapter } from "../api/adapter.js";
import { minorVersionOf } from "../api/cluster.js";

/** One installed mesh as a ClusterInfo lists it (`spec.meshes[]`), with where it was read from. */
export interface InstalledMesh {
  /** Adapter name: `istio`, `linkerd`, `appmesh`. */
  name: string;
  /** Installed version as discovered: `1.30.3`, `2.20`, `edge-26.8.3`, `stable-2.14.10`. */
  version: string;
  /** Where it was found, for messages (e.g. `ClusterInfo/default/prod (cluster.yaml)`). */
  source: string;
}

/** What `--mesh auto` reads of an adapter: its name and cluster hooks (`cluster.versionOf`). */
export type AutoMeshAdapter = Pick<Adapter, "name" | "cluster">;

/**
 * The adapter version (`MAJOR.MINOR`) an installed version of mesh `mesh` belongs to, or undefined when
 * it cannot be read: the `cluster.versionOf` hook of the adapter of that name among `adapters` (Linkerd's
 * maps `edge-26.8.3` → `2.20`), else {@link minorVersionOf} (`1.30.3`, `v1.30.3`, `stable-2.14.10` →
 * `1.30`, `1.30`, `2.14`).
 */
export function adapterVersionOf(mesh: string, installed: string, adapters: readonly AutoMeshAdapter[]): string | undefined {
  const versionOf = adapters.find((a) => a.name === mesh)?.cluster?.versionOf;
  return versionOf ? versionOf(installed) : minorVersionOf(installed);
}

/** What `--mesh auto` chose: the adapter name, the adapter version, and what it was read from. */
export type AutoMesh = { ok: true; name: string; version: string; installed: string; source: string } | { ok: false; message: string };

/**
 * Picks the one mesh the clusters run. Every ClusterInfo must agree: exactly one distinct
 * (mesh, adapter version) across all of them, otherwise the message explains the choice to make.
 * @param meshes every `spec.meshes[]` entry of every ClusterInfo document of the inputs.
 * @param clusterCount how many ClusterInfo documents there are.
 * @param adapters the adapters that may be chosen, whose hooks map installed versions (see {@link adapterVersionOf}).
 */
export function pickMesh(meshes: readonly InstalledMesh[], clusterCount: number, adapters: readonly AutoMeshAdapter[]): AutoMesh {
  if (clusterCount === 0)
    return {
      ok: false,
      message: "--mesh auto needs a ClusterInfo document in the inputs (write one with `unimesh discover`), or name the mesh: --mesh NAME[@VERSION]",
    };
  if (meshes.length === 0)
    return {
      ok: false,
      message: `--mesh auto: the ClusterInfo document${clusterCount > 1 ? "s list" : " lists"} no installed mesh; name the mesh: --mesh NAME[@VERSION]`,
    };
  const distinct = new Map<string, InstalledMesh & { mapped?: string }>();
  for (const m of meshes) {
    const mapped = adapterVersionOf(m.name, m.version, adapters);
    if (mapped === undefined)
      return { ok: false, message: `--mesh auto: cannot tell which ${m.name} version "${m.version}" is (${m.source}); name it: --mesh ${m.name}@VERSION` };
    const key = `${m.name}@${mapped}`;
    if (!distinct.has(key)) distinct.set(key, { ...m, mapped });
  }
  if (distinct.size > 1) {
    const list = [...distinct.values()].map((m) => `${m.name} ${m.version} (${m.source})`).join(", ");
    const names = new Set([...distinct.values()].map((m) => m.name));
    const what = names.size > 1 ? "several meshes" : `several ${[...names][0]} versions`;
    return { ok: false, message: `--mesh auto: the inputs describe ${what}: ${list}; translate for one with --mesh NAME@VERSION` };
  }
  const [m] = distinct.values();
  return { ok: true, name: m.name, version: m.mapped!, installed: m.version, source: m.source };
}

/** A namespace's mesh settings as a ClusterInfo lists them (`spec.namespaces[]`), with where it was read from. */
export interface NamespaceSettings {
  name: string;
  mesh: string;
  settings: Readonly<Record<string, string>>;
  source: string;
}

/** The settings `--mesh auto` adds, or why it cannot. */
export type AutoSettings = { ok: true; settings: Record<string, string>; reason?: string } | { ok: false; message: string };

/**
 * The adapter settings the policies' namespaces need (e.g. Istio `dataplane=ambient` for namespaces
 * labelled `istio.io/dataplane-mode=ambient`), from the ClusterInfo namespaces of the picked `mesh`.
 * Every policy namespace must need the same settings, since one translation has one set of them; keys
 * the user gave with `--set` (`given`) are the user's and never cause a disagreement.
 * @param policyNamespaces the namespaces of the policy documents (not of MeshServices).
 */
export function pickSettings(
  entries: readonly NamespaceSettings[],
  mesh: string,
  policyNamespaces: readonly string[],
  given: ReadonlySet<string> = new Set(),
): AutoSettings {
  const strip = (s: Readonly<Record<string, string>>) =>
    Object.fromEntries(
      Object.entries(s)
        .filter(([k]) => !given.has(k))
        .sort(([a], [b]) => (a < b ? -1 : 1)),
    );
  const per = new Map<string, { settings: Record<string, string>; source?: string }>();
  for (const ns of [...new Set(policyNamespaces)].sort()) {
    const e = entries.find((x) => x.mesh === mesh && x.name === ns);
    per.set(ns, e ? { settings: strip(e.settings), source: e.source } : { settings: {} });
  }
  const distinct = new Map<string, string[]>();
  for (const [ns, { settings }] of per) {
    const key = JSON.stringify(settings);
    distinct.set(key, [...(distinct.get(key) ?? []), ns]);
  }
  if (distinct.size > 1) {
    const parts = [...distinct.entries()].map(
      ([k, list]) =>
        `${list.join(", ")}: ${
          Object.entries(JSON.parse(k) as Record<string, string>)
            .map(([a, b]) => `${a}=${b}`)
            .join(" ") || "the defaults"
        }`,
    );
    return {
      ok: false,
      message: `--mesh auto: the policies' namespaces need different ${mesh} settings (${parts.join("; ")}); translate them separately, or give the setting with --set`,
    };
  }
  const [[key, list] = ["{}", []]] = distinct.entries();
  const settings = JSON.parse(key) as Record<string, string>;
  if (!Object.keys(settings).length) return { ok: true, settings };
  const sources = [...new Set(list.map((ns) => per.get(ns)!.source!))];
  return { ok: true, settings, reason: `namespace${list.length > 1 ? "s" : ""} ${list.join(", ")} (${sources.join(", ")})` };
}
