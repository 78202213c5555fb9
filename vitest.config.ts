import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Cluster scenarios run only with `npm run test:cluster` against a real KUBECONFIG.
    exclude: ["test/kube/cluster.test.ts", "node_modules/**"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ["default", "./test/support/summary-reporter.ts"],
    pool: "forks",
  },
});
