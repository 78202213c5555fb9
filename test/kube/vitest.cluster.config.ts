/**
 * `npm run test:cluster`: the cluster scenarios against the real cluster of KUBECONFIG
 * (see test/kube/cluster.test.ts). Scenarios wait for a real API server, so timeouts are longer.
 */
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  root: fileURLToPath(new URL("../../", import.meta.url)),
  test: {
    include: ["test/kube/cluster.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
  },
});
