/**
 * The cluster scenarios (test/kube/support/scenarios.ts: discover, apply, diff, conflicts with another
 * field manager and --force-conflicts, dry runs, --prune, an unreachable context) against a real
 * kube-apiserver with the real Istio and Linkerd CRDs (the `main` server of support/servers.ts), once with
 * `--mesh istio` and once with `--mesh linkerd`.
 *
 * The policies are translated with the test adapters of test/kube/support/fake-adapters.ts (a few objects
 * of the real kinds), so these scenarios test the cluster layer whatever state the real adapters are in;
 * patches.test.ts and goldens.test.ts send the real adapters' output.
 *
 * `UNIMESH_TEST_KUBECONFIG=<file> [UNIMESH_TEST_CONTEXT=<ctx>] UNIMESH_TEST_MESH=istio|linkerd` also runs
 * them against a cluster of your own (kind, k3d: each scenario creates and deletes its own namespace).
 */
import { describe, inject, vi } from "vitest";
import { liveCluster, type TestCluster } from "../kube/support/harness.js";
import { clusterScenarios } from "../kube/support/scenarios.js";
import { server } from "./support/servers.js";

vi.mock("../../src/adapters/index.js", async () => {
  const { FAKE_ADAPTERS } = await import("../kube/support/fake-adapters.js");
  return { BUILTIN_ADAPTERS: FAKE_ADAPTERS, findAdapter: (n: string) => FAKE_ADAPTERS.find((a) => a.name === n) };
});

const run = inject("unimeshCluster");

describe.skipIf(!!run.skip).each(["istio", "linkerd"] as const)("real kube-apiserver with the %s CRDs", (mesh) => {
  let cluster: TestCluster;
  clusterScenarios(
    () => cluster,
    async () => {
      const main = await server(run, "main");
      cluster = await liveCluster(main.kubeconfig, main.context, mesh);
    },
  );
});

const own = process.env.UNIMESH_TEST_KUBECONFIG;
if (own)
  describe(`your cluster (UNIMESH_TEST_KUBECONFIG=${own})`, () => {
    let cluster: TestCluster;
    clusterScenarios(
      () => cluster,
      async () => {
        const { Kubeconfig } = await import("../../src/kube/kubeconfig.js");
        const kc = await Kubeconfig.load({ kubeconfig: own!, env: {}, cwd: process.cwd() });
        const [ctx] = kc.select({ contexts: process.env.UNIMESH_TEST_CONTEXT ? [process.env.UNIMESH_TEST_CONTEXT] : [] });
        cluster = await liveCluster(own!, ctx.name, process.env.UNIMESH_TEST_MESH === "linkerd" ? "linkerd" : "istio");
      },
    );
  });
