/**
 * Before anything is written to a cluster: every object's kind must be served (its CRD installed and
 * established: API discovery lists only established CRDs), every namespace must exist (unimesh never
 * creates namespaces), and every patch (annotation `unimesh.io/patch`: a Service, a Namespace unimesh only
 * annotates) must carry only metadata and its object must exist. Problems are all collected and
 * reported together; nothing is applied to a cluster that fails these checks.
 */
import type { KubeObject } from "../api/adapter.js";
import { type ApiResource, KubeClient, splitApiVersion } from "./client.js";
import { ClusterError, type ClusterErrorCode } from "./errors.js";
import { type MeshHooks, describe, guessPlural, hasContent, installerOf, isPatch } from "./kinds.js";

/** An object ready to be sent: its resource, its path and what the cluster has now. */
export interface Planned {
  obj: KubeObject;
  res: ApiResource;
  /** Namespace used (undefined for cluster-scoped kinds). */
  namespace?: string;
  /** API path of the object. */
  path: string;
  /** The live object, when it exists. */
  live?: LiveObject;
  /** True for a patch of an existing, user-owned object (annotation `unimesh.io/patch`, see `isPatch`). */
  patchOnly: boolean;
}

/** An object as the API server returns it. */
export type LiveObject = KubeObject & {
  metadata: KubeObject["metadata"] & { uid?: string; resourceVersion?: string; managedFields?: ManagedFieldsEntry[] };
};

/** One `metadata.managedFields` entry. */
export interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  apiVersion?: string;
  time?: string;
  fieldsType?: string;
  fieldsV1?: unknown;
  subresource?: string;
}

/** Runs `fn` over `items` with at most `limit` at a time; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * Resolves every object against the cluster and fetches what exists. `meshes`: the adapters whose
 * `cluster.installHints` say who installs a missing group's CRDs.
 * @throws ClusterError `missing-crd`, `missing-namespace` or `missing-object` listing every problem.
 */
export async function preflight(client: KubeClient, objects: readonly KubeObject[], meshes: readonly MeshHooks[] = []): Promise<Planned[]> {
  const problems: { code: ClusterErrorCode; text: string }[] = [];
  const resolved = await Promise.all(objects.map(async (obj) => ({ obj, res: await client.resourceFor(obj.apiVersion, obj.kind) })));

  // Missing kinds, one message per API group.
  const missing = new Map<string, KubeObject[]>();
  for (const r of resolved) if (!r.res) missing.set(r.obj.apiVersion, [...(missing.get(r.obj.apiVersion) ?? []), r.obj]);
  if (missing.size) {
    const groups = await client.apiGroups();
    for (const [apiVersion, objs] of missing) {
      const [group, version] = splitApiVersion(apiVersion);
      const kinds = [...new Set(objs.map((o) => o.kind))];
      const served = groups.find((g) => g.name === group);
      const crds = group ? ` (CRD${kinds.length > 1 ? "s" : ""} ${kinds.map((k) => `${guessPlural(k)}.${group}`).join(", ")})` : "";
      let text = `${apiVersion} ${kinds.join(", ")} ${kinds.length > 1 ? "are" : "is"} not served by this cluster${crds}: `;
      if (served && !served.versions.includes(version)) {
        text += `it serves ${group} ${served.versions.join(", ")} but not ${version}, so the installed mesh is another version than the one translated for; translate for the installed version (--mesh auto, or --mesh NAME@VERSION), or upgrade ${installerOf(group, meshes).replace(/ \(.*$/, "")}`;
      } else if (served) {
        text += `${group} ${version} is served but has no kind ${kinds.join(", ")}; install or upgrade ${installerOf(group, meshes)}`;
      } else {
        text += `install ${installerOf(group, meshes)} first`;
      }
      problems.push({ code: "missing-crd", text });
    }
  }

  // A patch carries only metadata (the shape is checked only to catch an adapter bug: never applied).
  for (const r of resolved) {
    if (isPatch(r.obj) && hasContent(r.obj)) {
      const extra = Object.keys(r.obj).filter((k) => k !== "apiVersion" && k !== "kind" && k !== "metadata");
      problems.push({
        code: "refused",
        text: `${describe(r.obj)} is marked unimesh.io/patch (a patch of an object unimesh does not own) but has ${extra.join(", ")}: a patch carries only metadata; this is a bug of the adapter that generated it`,
      });
    }
  }

  const ok = resolved.filter((r): r is { obj: KubeObject; res: ApiResource } => !!r.res);
  const planned: Planned[] = ok.map(({ obj, res }) => {
    const namespace = res.namespaced ? (obj.metadata.namespace ?? "default") : undefined;
    return { obj, res, namespace, path: KubeClient.path(res, namespace, obj.metadata.name), patchOnly: isPatch(obj) };
  });

  // Namespaces must exist (Namespace objects themselves are annotations of existing namespaces).
  // Objects of a missing kind count too, when they name a namespace.
  const nsOf = (r: { obj: KubeObject; res?: ApiResource }) =>
    r.res ? (r.res.namespaced ? (r.obj.metadata.namespace ?? "default") : undefined) : r.obj.metadata.namespace;
  const namespaces = [...new Set(resolved.map(nsOf).filter((n): n is string => !!n))].sort();
  const nsFound = await mapLimit(namespaces, 8, (ns) => client.getOptional(`/api/v1/namespaces/${encodeURIComponent(ns)}`));
  const missingNs = namespaces.filter((_, i) => !nsFound[i]);
  for (const ns of missingNs) {
    const users = resolved.filter((r) => nsOf(r) === ns).map((r) => describe(r.obj));
    problems.push({
      code: "missing-namespace",
      text: `namespace ${ns} does not exist (needed by ${users.slice(0, 3).join(", ")}${users.length > 3 ? `, and ${users.length - 3} more` : ""}); unimesh does not create namespaces: create it, or fix the policies' namespace`,
    });
  }

  // What exists now.
  const live = await mapLimit(planned, 8, (p) =>
    p.namespace && missingNs.includes(p.namespace) ? Promise.resolve(undefined) : client.getOptional<LiveObject>(p.path),
  );
  planned.forEach((p, i) => {
    if (live[i]) p.live = live[i];
  });
  for (const p of planned) {
    if (p.patchOnly && !p.live && !(p.namespace && missingNs.includes(p.namespace)))
      problems.push({
        code: "missing-object",
        text: `${describe(p.obj)} does not exist: unimesh only adds labels and annotations to it (the generated object has no content to create it from); deploy it first`,
      });
  }

  if (problems.length) {
    const first = problems[0];
    const head = problems.length === 1 ? first.text : `${problems.length} problems (nothing was changed in the cluster):`;
    throw new ClusterError(first.code, head, problems.length === 1 ? [] : problems.map((p) => p.text));
  }
  return planned;
}
