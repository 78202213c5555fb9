/**
 * The cluster scenarios (test/kube/support/scenarios.ts) against the fake API server
 * (test/kube/support/fake-apiserver.ts, whose header lists what it does not model), once for a
 * cluster running Istio 1.30.3 and once for Linkerd edge-26.8.3, both with the real upstream CRDs.
 * The same scenarios run against a real cluster with `npm run test:cluster` (test/kube/cluster.test.ts).
 */
import { afterAll, beforeAll, describe, vi } from "vitest";
import { fakeCluster } from "./support/harness.js";
import { clusterScenarios } from "./support/scenarios.js";

vi.mock("../../src/adapters/index.js", async () => {
  const { FAKE_ADAPTERS } = await import("./support/fake-adapters.js");
  return { BUILTIN_ADAPTERS: FAKE_ADAPTERS, findAdapter: (n: string) => FAKE_ADAPTERS.find((a) => a.name === n) };
});

describe.each(["istio", "linkerd"] as const)("fake API server running %s", (mesh) => {
  let cluster: Awaited<ReturnType<typeof fakeCluster>>;
  beforeAll(async () => { cluster = await fakeCluster({ mesh }); });
  afterAll(async () => { await cluster.server.stop(); });
  clusterScenarios(() => cluster);
});
