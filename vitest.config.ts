import { defineConfig } from "vitest/config";

/**
 * Tests that start processes or listen on sockets: the `slow` group. Everything else under test/ but
 * test/cluster is the `fast` group: unit tests, the golden files, the CLI in-process.
 */
const SLOW = [
  "test/proxy/**/*.test.ts", // the built-in proxy through real sockets
  "test/cli/process.test.ts", // the CLI as a child process
  "test/cli/up.test.ts", // `unimesh up`: proxy and apps as processes
  "test/cli/wasm.test.ts", // `unimesh wasm init/build` (asc as a child process), then `unimesh up`
  "test/cli/explain-up.test.ts", // `unimesh explain` against `unimesh up`
  "test/cli/first-hour.test.ts", // includes shell completion scripts run by bash
  "test/cli/package.test.ts", // npm pack
  "test/kube/cli.test.ts", // discover/diff/apply against the fake API server over HTTP
  "test/kube/virtual-mesh.test.ts", // diff/apply of a VirtualMesh against two fake API servers
  "test/cli/trust.test.ts", // unimesh trust: runs openssl to verify the chain
  "test/kube/inspect-live.test.ts", // inspect/explain --context against the fake API server
  "test/kube/inspect-applied.test.ts", // inspect/explain --applied: Bookinfo applied to the fake API server, read back
  "test/metrics/prometheus.test.ts", // a real Prometheus scraping the proxy and `unimesh up`
];

/**
 * Two projects, both run by `npm test` (and CI):
 * - `unit`: everything under test/ but test/cluster; `--mode fast` (`npm run test:fast`) keeps only the
 *   fast group (no process, no socket), `--mode slow` (`npm run test:slow`) only the {@link SLOW} files;
 * - `cluster`: test/cluster, against real Kubernetes API servers that its global setup starts in the
 *   background (test/cluster/support/servers.ts; `npm run test:cluster` runs only this project). Skipped
 *   with one line where the machine cannot start them; required (a failure) with CI set.
 * The groups are a mode of one project rather than projects of their own: each project has its own Vite
 * server, so two projects over the same sources transform every module twice in vitest's main process,
 * and on this loaded 2-core machine that made full runs hit vitest's worker RPC timeout.
 */
export default defineConfig(({ mode }) => ({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ["default", "./test/support/summary-reporter.ts"],
    pool: "forks",
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: mode === "slow" ? SLOW : ["test/**/*.test.ts"],
          exclude: ["test/cluster/**", "node_modules/**", ...(mode === "fast" ? SLOW : [])],
          sequence: { groupOrder: 0 },
        },
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
}));
