/**
 * The trust objects `apply --trust-dir DIR` (and `diff --trust-dir DIR`) add for a virtual-mesh member:
 * its intermediate CA from a `unimesh trust init` directory in its mesh's form. Their keys go only to the
 * API server: apply and diff redact Secret values from every message and diff masks them (src/kube).
 */
/**
 * The member's intermediate CA in its mesh's form (`ClusterHooks.trustObjects`), labelled as unimesh's
 * (`app.kubernetes.io/managed-by`, `unimesh.io/virtual-mesh-member`) but in no policy set, so that
 * `--prune` never deletes a mesh's CA.
 * @throws ClusterError when the member's mesh takes no plugged-in CA or the directory lacks the member.
 */
export async function trustObjects(
  dir: string,
  cwd: string,
  tr: import("./cluster-command.js").ClusterTranslation,
): Promise<import("../api/adapter.js").KubeObject[]> {
  const { ClusterError } = await import("../kube/errors.js");
  const { resolve } = await import("node:path");
  const { readMemberTrust } = await import("./trust.js");
  const { MANAGED_BY_LABEL, MANAGED_BY_VALUE } = await import("../api/ownership.js");
  const member = tr.member!;
  const hook = tr.hooks.cluster?.trustObjects;
  if (!hook)
    throw new ClusterError("mesh", `--trust-dir: member ${member.name} runs ${tr.mesh}, which takes no plugged-in CA unimesh knows; nothing done there`);
  let t;
  try {
    t = readMemberTrust(resolve(cwd, dir), dir, member);
  } catch (e) {
    throw new ClusterError("mesh", (e as Error).message);
  }
  return hook(t).map((o) => ({
    ...o,
    metadata: { ...o.metadata, labels: { ...o.metadata.labels, [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, "unimesh.io/virtual-mesh-member": member.name } },
  })) as import("../api/adapter.js").KubeObject[];
}
