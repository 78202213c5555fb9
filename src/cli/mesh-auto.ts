/**
 * `--mesh auto`: which adapter and version to translate for, from the ClusterInfo documents that
 * `unimesh discover` writes. Pure: no I/O, no adapter imports.
 */

/** One installed mesh as a ClusterInfo lists it (`spec.meshes[]`), with where it was read from. */
export interface InstalledMesh {
  /** Adapter name: `istio`, `linkerd`, `appmesh`. */
  name: string;
  /** Installed version as discovered: `1.30.3`, `2.20`, `edge-26.8.3`, `stable-2.14.10`. */
  version: string;
  /** Where it was found, for messages (e.g. `ClusterInfo/default/prod (cluster.yaml)`). */
  source: string;
}

/**
 * Linkerd edge releases → the major version they belong to (MESHES.md §3.2, `linkerd.io/data/versions.yaml`):
 * an edge release at or after a version's `version-2.X` tag is that version (or a later one's preview),
 * up to the next tag. Newest first.
 */
export const LINKERD_EDGE_VERSIONS: readonly { edge: readonly [year: number, month: number]; version: string }[] = [
  { edge: [26, 6], version: "2.20" },
  { edge: [25, 10], version: "2.19" },
  { edge: [25, 4], version: "2.18" },
  { edge: [24, 11], version: "2.17" },
  { edge: [24, 8], version: "2.16" },
  { edge: [24, 2], version: "2.15" },
];

/**
 * The adapter version (`MAJOR.MINOR`) an installed version belongs to, or undefined when it cannot
 * be read:
 * - `1.30.3`, `v1.30.3`, `1.30.3-distroless`, `1.30` → `1.30`;
 * - `stable-2.14.10`, `enterprise-2.16.1`, `version-2.18` → `2.14`, `2.16`, `2.18` (channel prefixes);
 * - Linkerd `edge-YY.M.N` → the version of {@link LINKERD_EDGE_VERSIONS} (`edge-26.8.3` → `2.20`);
 *   edges older than `edge-24.2` → undefined.
 */
export function adapterVersionOf(mesh: string, installed: string): string | undefined {
  const v = installed.trim();
  const edge = /^edge-(\d+)\.(\d+)(?:\.\d+)?$/.exec(v);
  if (edge) {
    if (mesh !== "linkerd") return undefined;
    const year = Number(edge[1]), month = Number(edge[2]);
    return LINKERD_EDGE_VERSIONS.find(({ edge: [y, m] }) => year > y || (year === y && month >= m))?.version;
  }
  const semver = /^(?:[a-z]+-)?v?(\d+)\.(\d+)(?:[.+-].*)?$/i.exec(v);
  return semver ? `${Number(semver[1])}.${Number(semver[2])}` : undefined;
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
 */
export function pickMesh(meshes: readonly InstalledMesh[], clusterCount: number): AutoMesh {
  if (clusterCount === 0)
    return { ok: false, message: "--mesh auto needs a ClusterInfo document in the inputs (write one with `unimesh discover`), or name the mesh: --mesh NAME[@VERSION]" };
  if (meshes.length === 0)
    return { ok: false, message: `--mesh auto: the ClusterInfo document${clusterCount > 1 ? "s list" : " lists"} no installed mesh; name the mesh: --mesh NAME[@VERSION]` };
  const distinct = new Map<string, InstalledMesh & { mapped?: string }>();
  for (const m of meshes) {
    const mapped = adapterVersionOf(m.name, m.version);
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
