/**
 * `unimesh import --context`: the native objects of a cluster that an importer reads (its `kinds`), and the
 * Services and Pods its facts come from (as `discover` reads them). Kinds the cluster does not serve (the
 * mesh's CRDs are not installed) are skipped and named.
 */
import type { NativeKind } from "../api/import-contract.js";
import type { KubeClient } from "./client.js";
import type { PodObject, ServiceObject } from "./discover.js";

/** What {@link listNative} read from one cluster. */
export interface ListedCluster {
  /** The objects of the importer's kinds, `apiVersion` and `kind` filled in (list items lack them). */
  objects: Record<string, unknown>[];
  services: ServiceObject[];
  pods: PodObject[];
  /** `Kind.group` of the kinds the cluster does not serve. */
  notServed: string[];
}

/**
 * Lists every object of `kinds` (in every namespace, or in `namespaces`), with the Services and Pods.
 * @throws KubeApiError / ClusterError when the cluster cannot be read.
 */
export async function listNative(client: KubeClient, kinds: readonly NativeKind[], namespaces: readonly string[] = []): Promise<ListedCluster> {
  const groups = await client.apiGroups();
  const out: ListedCluster = { objects: [], services: [], pods: [], notServed: [] };
  const lists = async <T>(collection: string, namespaced: (ns: string) => string): Promise<T[]> =>
    namespaces.length ? (await Promise.all(namespaces.map((ns) => client.list<T>(namespaced(encodeURIComponent(ns)))))).flat() : client.list<T>(collection);
  for (const k of kinds) {
    if (k.group === "" && k.kind === "Service") continue; // listed below, for every importer
    const g = groups.find((x) => x.name === k.group);
    // The preferred version, else the first that serves the kind (Linkerd's AuthorizationPolicy is only in
    // policy.linkerd.io/v1alpha1, whose preferred version is v1beta3).
    let res: Awaited<ReturnType<KubeClient["resourceFor"]>> | undefined;
    for (const v of g ? [g.preferredVersion, ...g.versions.filter((x) => x !== g.preferredVersion)] : []) {
      res = await client.resourceFor(g!.name ? `${g!.name}/${v}` : "v1", k.kind);
      if (res) break;
    }
    if (!g || !res || !res.verbs.includes("list")) {
      out.notServed.push(`${k.kind}${k.group ? `.${k.group}` : ""}`);
      continue;
    }
    const apiVersion = res.group ? `${res.group}/${res.version}` : res.version;
    const base = res.group ? `/apis/${res.group}/${res.version}` : `/api/${res.version}`;
    // Cluster-scoped kinds (App Mesh's Mesh) are listed whole, whatever the namespaces.
    const items = res.namespaced
      ? await lists<Record<string, unknown>>(`${base}/${res.name}`, (ns) => `${base}/namespaces/${ns}/${res.name}`)
      : await client.list<Record<string, unknown>>(`${base}/${res.name}`);
    for (const item of items) out.objects.push({ apiVersion, kind: k.kind, ...item });
  }
  out.services = await lists<ServiceObject>("/api/v1/services", (ns) => `/api/v1/namespaces/${ns}/services`);
  out.pods = await lists<PodObject>("/api/v1/pods", (ns) => `/api/v1/namespaces/${ns}/pods`);
  return out;
}
