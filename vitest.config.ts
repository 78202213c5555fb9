import { defineConfig } from "vitest/config";

/**
 * Two projects, both run by `npm test`:
 * - `unit`: everything under test/ but test/cluster (no network, no cluster);
 * - `cluster`: test/cluster, against real Kubernetes API servers that its global setup starts in the
 *   background (test/cluster/support/servers.ts; `npm run test:cluster` runs only this project). Skipped
 *   with one line where the machine cannot start them; required (a failure) with CI set.
 */
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ["default", "./test/support/summary-reporter.ts"],
    pool: "forks",
    projects: [
      {
        extends: true,
        test: { name: "unit", include: ["test/**/*.test.ts"], exclude: ["test/cluster/**", "node_modules/**"], sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: {
          name: "cluster",
          include: ["test/cluster/**/*.test.ts"],
          globalSetup: ["test/cluster/global-setup.ts"],
          // After the unit tests: the servers start in the background meanwhile, so nothing waits for them.
          sequence: { groupOrder: 1 },
          // Waiting for a server (cold start 10-30 s, more when kube-up.sh first installs etcd) and real API calls.
          testTimeout: 120_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
