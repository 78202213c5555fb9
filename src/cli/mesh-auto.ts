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
export type AutoMesh =
  | { ok: true; name: string; version: string; installed: string; source: string }
  | { ok: false; message: string };

/**
 * Picks the one mesh the clusters run. Every ClusterInfo must agree: exactly one distinct
 * (mesh, adapter version) across all of them, otherwise the message explains the choice to make.
 * @param meshes every `spec.meshes[]` entry of every ClusterInfo document of the inputs.
 * @param clusterCount how many ClusterInfo documents there are.
 * @param adapters the adapters that may be chosen, whose hooks map installed versions (see {@link adapterVersionOf}).
 */
export function pickMesh(meshes: readonly InstalledMesh[], clusterCount: number, adapters: readonly AutoMeshAdapter[]): AutoMesh {
  if (clusterCount === 0)
    return { ok: false, message: "--mesh auto needs a ClusterInfo document in the inputs (write one with `unimesh discover`), or name the mesh: --mesh NAME[@VERSION]" };
  if (meshes.length === 0)
    return { ok: false, message: `--mesh auto: the ClusterInfo document${clusterCount > 1 ? "s list" : " lists"} no installed mesh; name the mesh: --mesh NAME[@VERSION]` };
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
