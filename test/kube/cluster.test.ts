/**
 * The cluster scenarios (test/kube/support/scenarios.ts) against a REAL cluster: `npm run test:cluster`
 * (vitest with test/kube/vitest.cluster.config.ts). The cluster is KUBECONFIG's current context, or
 * UNIMESH_TEST_CONTEXT; it must run Istio or Linkerd (with their CRDs). Each scenario creates its own
 * namespace `um-<scenario>-<random>` (with Services, service accounts and pause pods) and its own
 * `--policy-set`, and deletes the namespace at the end; nothing else in the cluster is touched.
 * Skipped when KUBECONFIG is unset or the cluster cannot be reached. The default suite excludes this file.
 *
 * The policies are translated with the test adapters of test/kube/support/fake-adapters.ts (a few
 * objects of the real kinds), so these scenarios test the cluster layer whatever state the real
 * adapters are in.
 */
import { afterAll, beforeAll, describe, vi } from "vitest";
import { type TestCluster, realCluster } from "./support/harness.js";
import { clusterScenarios } from "./support/scenarios.js";

vi.mock("../../src/adapters/index.js", async () => {
  const { FAKE_ADAPTERS } = await import("./support/fake-adapters.js");
  return { BUILTIN_ADAPTERS: FAKE_ADAPTERS, findAdapter: (n: string) => FAKE_ADAPTERS.find((a) => a.name === n) };
});

const found = await realCluster();
if (typeof found === "string") console.warn(`test:cluster skipped: ${found}`);

describe.skipIf(typeof found === "string")(`real cluster (${typeof found === "string" ? found : `${found.context}, ${found.mesh}`})`, () => {
  let cluster: TestCluster;
  beforeAll(() => { cluster = found as TestCluster; });
  afterAll(() => undefined);
  clusterScenarios(() => cluster);
});
