/**
 * `translate`, `diff` and `apply` with a VirtualMesh among the inputs: every member gets the whole policy
 * set, translated by its own mesh's adapter (`spec.members[].mesh`) for that member
 * (`translate({member})`: its trust domain, its local services and identities).
 *
 * - `translate DIR` writes one output per member: `--output-dir OUT` → `OUT/<member>/<namespace>/...`
 *   (whole or not at all, every member or none), or `--member NAME` prints one member's manifests.
 * - `diff`/`apply` reach each member through its own kubeconfig context, with its own adapter
 *   (`--context` may narrow the members to some contexts).
 *
 * A member's `mesh: auto` is the mesh of the ClusterInfo document of its context (`unimesh discover`);
 * `diff`/`apply` detect it in the cluster when there is none.
 */
import type { Adapter } from "../api/adapter.js";
import { type Diagnostic, UsageError } from "../api/diagnostics.js";
import type { VirtualMeshMember } from "../api/generated/model.js";
import { Model } from "../api/model.js";
import { type TranslateResult, resolveVersion, translate } from "../api/translate.js";
import { type Builtins, findBuiltin, parseMeshFlag } from "./adapters.js";
import { type InstalledMesh, pickMesh } from "./mesh-auto.js";
import type { LoadedInputs } from "./inputs.js";
import { policyStatus } from "./report.js";

/** The adapter and version of one member, and how they were chosen. */
export interface MemberMesh {
  member: VirtualMeshMember;
  adapter: Adapter;
  version: string;
  /** `istio@1.30 (mesh: istio@1.30)` or `linkerd@2.18 (mesh: auto, ClusterInfo/default/east in east.yaml)`. */
  chosenBy: string;
}

/**
 * The mesh of a member: its `mesh` (NAME[@VERSION]), or for `auto` the ClusterInfo documents of its
 * context; `undefined` for `auto` without any (the caller may detect it in the cluster).
 * @throws UsageError for an unknown mesh or version, or ClusterInfo documents that do not decide.
 */
export async function memberMesh(model: Model, member: VirtualMeshMember, builtins: Builtins): Promise<MemberMesh | undefined> {
  const where = `VirtualMesh member ${member.name}`;
  const flag = parseMeshFlag(member.mesh);
  if (!flag.auto) {
    const adapter = await findBuiltin(flag.name, builtins, `${where}: mesh ${member.mesh}`);
    let version: string;
    try {
      version = resolveVersion(adapter, flag.version);
    } catch (e) {
      throw new UsageError(`${where}: mesh ${member.mesh}: ${(e as Error).message}`);
    }
    return { member, adapter, version, chosenBy: `mesh: ${member.mesh}` };
  }
  const infos = model.clusters.filter((e) => e.doc.spec.context === member.context);
  if (!infos.length) return undefined;
  const meshes: InstalledMesh[] = infos.flatMap((e) =>
    (e.doc.spec.meshes ?? []).map((m) => ({ name: m.name, version: m.version, source: `${e.id} in ${e.origin.file}` })),
  );
  const named: Adapter[] = [];
  for (const name of new Set(meshes.map((m) => m.name))) {
    try {
      named.push(await findBuiltin(name, builtins));
    } catch {
      // an unknown mesh: pickMesh says so
    }
  }
  const pick = pickMesh(meshes, infos.length, named);
  if (!pick.ok) throw new UsageError(`${where} (mesh: auto, context ${member.context}): ${pick.message}`);
  const adapter = await findBuiltin(pick.name, builtins, `${where} (mesh: auto, ${pick.source})`);
  let version: string;
  try {
    version = resolveVersion(adapter, pick.version);
  } catch (e) {
    throw new UsageError(
      `${where} (mesh: auto): context ${member.context} runs ${pick.name} ${pick.installed} (${pick.source}), which unimesh cannot target: ${(e as Error).message}`,
    );
  }
  return { member, adapter, version, chosenBy: `mesh: auto, ${pick.name} ${pick.installed} from ${pick.source}` };
}

/**
 * The model with the members whose `mesh` is `auto` and whose mesh is known (`resolved`, by ClusterInfo or
 * detection) naming it (`<adapter>@<version>`), so that every member's translation sees what the OTHER
 * members run (a share to a member of the same mesh, Istio's incoming subsets, Linkerd's exports, failover
 * checks) instead of refusing `mesh: auto`. The model itself when there is nothing to resolve.
 */
export function withResolvedMembers(model: Model, resolved: Iterable<MemberMesh>): Model {
  const vm = model.virtualMesh;
  if (!vm) return model;
  const by = new Map<string, string>();
  for (const m of resolved) by.set(m.member.name, `${m.adapter.name}@${m.version}`);
  const members = vm.doc.spec.members;
  if (!members.some((m) => m.mesh === "auto" && by.has(m.name))) return model;
  const doc = { ...vm.doc, spec: { ...vm.doc.spec, members: members.map((m) => (m.mesh === "auto" && by.has(m.name) ? { ...m, mesh: by.get(m.name)! } : m)) } };
  return new Model(
    [
      ...model.trafficPolicies,
      ...model.accessPolicies,
      ...model.mtlsPolicies,
      ...model.requestAuthentications,
      ...model.wasmExtensions,
      ...model.services,
      ...model.clusters,
      { ...vm, doc },
      ...model.virtualMeshes.slice(1),
    ],
    { trustDomain: model.trustDomain, ...(model.member !== undefined ? { member: model.member } : {}) },
  );
}

/** Options of one member's translation (the translate flags). */
export interface MemberTranslateOptions {
  allowApproximations: string[];
  settings: Record<string, string>;
  strict?: boolean;
  policySet?: string;
}

/** One member's translation, its diagnostics tagged with the member (`Diagnostic.adapter`: `istio@1.30 (member west)`). */
export interface MemberTranslation extends MemberMesh {
  result: TranslateResult;
}

/**
 * Translates the model for one member. Settings and approximations go to the members whose adapter
 * has them (a mesh-specific `--set` is meant for the members running that mesh).
 * @throws UsageError as {@link translate} does.
 */
export function translateMember(model: Model, m: MemberMesh, opts: MemberTranslateOptions): MemberTranslation {
  const knows = (key: string) => key === "trustDomain" || (m.adapter.settings ?? []).some((s) => s.name === key);
  const result = translate(model, {
    adapter: m.adapter,
    version: m.version,
    member: m.member.name,
    strict: opts.strict,
    allowApproximations: opts.allowApproximations.filter((a) => a in (m.adapter.approximations ?? {})),
    settings: Object.fromEntries(Object.entries(opts.settings).filter(([k]) => knows(k))),
    ...(opts.policySet !== undefined ? { policySet: opts.policySet } : {}),
  });
  const tag = (d: Diagnostic): Diagnostic => (d.adapter ? { ...d, adapter: `${d.adapter} (member ${m.member.name})` } : d);
  return { ...m, result: { ...result, diagnostics: result.diagnostics.map(tag) } };
}

/**
 * Checks the flags of a virtual-mesh run: `--mesh`/`--adapter` are not used (each member names its
 * mesh), `--set`/`--allow` must concern some member's adapter, `trustDomain` is each member's own.
 * @throws UsageError
 */
export function checkVirtualFlags(
  flags: { mesh?: string; adapter?: string },
  members: readonly MemberMesh[],
  settings: Record<string, string>,
  allow: readonly string[],
  vm: string,
): void {
  if (flags.mesh !== undefined || flags.adapter !== undefined) {
    throw new UsageError(
      `the inputs hold ${vm}, whose members name their meshes (spec.members[].mesh): remove ${flags.mesh !== undefined ? `--mesh ${flags.mesh}` : `--adapter ${flags.adapter}`}`,
    );
  }
  if (settings.trustDomain !== undefined) throw new UsageError(`--set trustDomain: each member of ${vm} has its own trust domain (spec.members[].trustDomain)`);
  for (const key of Object.keys(settings)) {
    if (!members.some((m) => (m.adapter.settings ?? []).some((s) => s.name === key)))
      throw new UsageError(
        `--set ${key}: no member's mesh (${[...new Set(members.map((m) => m.adapter.name))].join(", ")}) has this setting (see \`unimesh meshes\`)`,
      );
  }
  for (const a of allow) {
    if (!members.some((m) => a in (m.adapter.approximations ?? {})))
      throw new UsageError(`--allow ${a}: no member's mesh has this approximation (see \`unimesh meshes\`)`);
  }
}

/** What one cluster gets (the shape of cluster-command.ts's ClusterTranslation, which imports this module). */
interface ClusterTranslation {
  mesh: string;
  adapterName: string;
  apiGroups: readonly string[];
  hooks: Pick<Adapter, "cluster">;
  policySet: string;
  objects: import("../api/adapter.js").KubeObject[];
  diagnostics: Diagnostic[];
  ok: boolean;
  chosenBy?: string;
  member?: VirtualMeshMember;
}

/** The translations of `diff`/`apply` (cluster-command.ts's Translations, without a fixed one). */
interface Translations {
  diagnostics: Diagnostic[];
  invalid: boolean;
  forCluster(client: import("../kube/client.js").KubeClient): Promise<ClusterTranslation>;
  status(diags: readonly Diagnostic[]): unknown[];
  memberContexts?: string[];
  attach?(kubeconfig: import("../kube/kubeconfig.js").Kubeconfig, timeoutMs: number): void;
}

/**
 * The translations of `diff`/`apply` for a virtual mesh: each cluster reached is the member whose
 * `context` it is, translated by that member's mesh (detected in the cluster for `mesh: auto` without
 * ClusterInfo). A context that is no member's is a cluster error (nothing applied there).
 * @throws UsageError for bad flags or a member's unknown mesh.
 */
export async function virtualTranslations(
  loaded: LoadedInputs,
  flags: { mesh?: string; adapter?: string; strict?: boolean; policySet?: string },
  settings: Record<string, string>,
  allow: string[],
  candidates: readonly Adapter[],
): Promise<Translations> {
  const vm = loaded.model.virtualMesh!;
  const members = vm.doc.spec.members;
  const known = new Map<string, MemberMesh | undefined>();
  for (const m of members) known.set(m.name, await memberMesh(loaded.model, m, candidates));
  checkVirtualFlags(
    flags,
    [...known.values()].filter((m): m is MemberMesh => !!m),
    settings,
    allow,
    vm.id,
  );
  const opts: MemberTranslateOptions = {
    allowApproximations: allow,
    settings,
    strict: flags.strict,
    ...(flags.policySet !== undefined ? { policySet: flags.policySet } : {}),
  };
  const toCluster = (t: MemberTranslation): ClusterTranslation => ({
    mesh: `${t.result.mesh} (member ${t.member.name})`,
    adapterName: t.adapter.name,
    apiGroups: t.adapter.apiGroups ?? [],
    hooks: t.adapter,
    policySet: flags.policySet ?? "default",
    objects: t.result.resources,
    diagnostics: t.result.diagnostics,
    ok: t.result.ok,
    chosenBy: `VirtualMesh member ${t.member.name}, ${t.chosenBy}`,
    member: t.member,
  });
  /** A `mesh: auto` member without ClusterInfo: the mesh detected in its cluster (once per member). */
  const detected = new Map<string, Promise<MemberMesh>>();
  const detect = (member: VirtualMeshMember, client: import("../kube/client.js").KubeClient): Promise<MemberMesh> => {
    let p = detected.get(member.name);
    if (!p) {
      p = detectMember(member, client, candidates);
      detected.set(member.name, p);
    }
    return p;
  };
  let reach: ((context: string) => Promise<import("../kube/client.js").KubeClient | undefined>) | undefined;
  // Cross-cluster references to other members (split[].cluster, failover, source.clusters) need their meshes.
  const { featureUses } = await import("../api/feature-use.js");
  const crossCluster = featureUses(loaded.model, new Set(["crossCluster"])).length > 0;
  return {
    diagnostics: loaded.diagnostics,
    invalid: false,
    status: (d) => policyStatus(loaded.model, d),
    memberContexts: members.map((m) => m.context),
    attach(kubeconfig, timeoutMs) {
      reach = async (context) => {
        const { KubeClient } = await import("../kube/client.js");
        try {
          const [ref] = kubeconfig.select({ contexts: [context] });
          return ref ? KubeClient.forContext(kubeconfig, ref, { timeoutMs }) : undefined;
        } catch {
          return undefined; // not in the kubeconfig: the member stays mesh: auto
        }
      };
    },
    async forCluster(client) {
      const { ClusterError } = await import("../kube/errors.js");
      const ctx = client.context.name;
      const member = members.find((m) => m.context === ctx);
      if (!member)
        throw new ClusterError(
          "mesh",
          `context ${ctx} is not the context of a member of ${vm.id} (members: ${members.map((m) => `${m.name} → ${m.context}`).join(", ")}); nothing done there`,
        );
      const mesh = known.get(member.name) ?? (await detect(member, client));
      // The other members' meshes: by ClusterInfo, else detected through their own contexts (one that
      // cannot be reached stays mesh: auto, and a reference to it is refused as such).
      const resolved: MemberMesh[] = [mesh];
      for (const m of members) {
        if (m === member) continue;
        const theirs = known.get(m.name);
        if (theirs) resolved.push(theirs);
        else if (crossCluster && reach) {
          const c = await reach(m.context);
          if (c)
            resolved.push(
              ...(await detect(m, c).then(
                (x) => [x],
                () => [],
              )),
            );
        }
      }
      return toCluster(translateMember(withResolvedMembers(loaded.model, resolved), mesh, opts));
    },
  };
}

/**
 * The mesh of a `mesh: auto` member without ClusterInfo, detected in its cluster.
 * @throws ClusterError(`mesh`) when none or several are found, or unimesh cannot target the one found.
 */
async function detectMember(member: VirtualMeshMember, client: import("../kube/client.js").KubeClient, candidates: readonly Adapter[]): Promise<MemberMesh> {
  const { ClusterError } = await import("../kube/errors.js");
  const ctx = client.context.name;
  const { detectClusterMeshes } = await import("../kube/discover.js");
  const found = (await detectClusterMeshes(client, candidates)).meshes.map((m) => ({
    name: m.name,
    version: m.version,
    source: `detected in context ${ctx}`,
  }));
  const pick = pickMesh(found, 1, candidates);
  if (!pick.ok)
    throw new ClusterError(
      "mesh",
      `VirtualMesh member ${member.name} (mesh: auto): ${found.length ? pick.message : `no service mesh found in context ${ctx}; install one, or name the member's mesh`}`,
    );
  const adapter = candidates.find((a) => a.name === pick.name);
  if (!adapter) throw new ClusterError("mesh", `VirtualMesh member ${member.name} (mesh: auto): context ${ctx} runs ${pick.name}, which unimesh cannot target`);
  let version: string;
  try {
    version = resolveVersion(adapter, pick.version);
  } catch (e) {
    throw new ClusterError(
      "mesh",
      `VirtualMesh member ${member.name} (mesh: auto): context ${ctx} runs ${pick.name} ${pick.installed}, which unimesh cannot target: ${(e as Error).message}`,
    );
  }
  return { member, adapter, version, chosenBy: `mesh: auto, ${pick.name} ${pick.installed} detected` };
}
