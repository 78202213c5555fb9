/**
 * Global setup of the `cluster` test project: starts the real API servers of support/servers.ts in the
 * background (the other tests run meanwhile; each cluster test file waits for the server it needs),
 * installs their CRDs, and stops them all at the end. Prints one line when the cluster tests are skipped;
 * fails the run instead when they are required (CI).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { controlPlane } from "../kube/support/harness.js";
import {
  type ServerInfo,
  type ServerName,
  CONTROL_PLANES,
  SERVERS,
  adminClient,
  applyAs,
  ensureNamespace,
  clusterTestsRequired,
  crdsOf,
  freePorts,
  installCrds,
  kubeDir,
  startServer,
  stopServer,
  toolsMissing,
  unavailable,
  writeStatus,
} from "./support/servers.js";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const why = unavailable();
  if (why) {
    if (clusterTestsRequired()) {
      throw new Error(`the cluster tests are required here (CI or UNIMESH_CLUSTER_TESTS=1) but cannot run: ${why}`);
    }
    console.warn(`cluster tests skipped (no real API server): ${why}`);
    project.provide("unimeshCluster", { runDir: "", skip: why });
    return async () => {};
  }

  const runDir = mkdtempSync(join(tmpdir(), "unimesh-cluster-"));
  project.provide("unimeshCluster", { runDir });
  const names = Object.keys(SERVERS) as ServerName[];
  const ports = await freePorts(3 * names.length);
  const started: (ServerInfo & { watchdog?: number })[] = [];
  const t0 = Date.now();

  const bringUp = async (name: ServerName, i: number) => {
    try {
      const info = await startServer(name, runDir, ports.slice(3 * i, 3 * i + 3));
      started.push(info);
      const client = await adminClient(info.kubeconfig);
      const crds = crdsOf(SERVERS[name]);
      if (crds.length) await installCrds(client, crds);
      for (const [mesh, version] of CONTROL_PLANES[name]) {
        for (const d of controlPlane(mesh, version)) {
          await ensureNamespace(client, d.metadata.namespace);
          await applyAs(client, "unimesh-test", d);
        }
      }
      const { watchdog: _w, ...plain } = info;
      writeStatus(runDir, name, { ok: true, info: plain });
    } catch (e) {
      writeStatus(runDir, name, { ok: false, error: (e as Error).message });
    }
  };
  // kube-up.sh apt-get installs its tools when they are missing: then the first server alone, the others after.
  const all = (async () => {
    if (toolsMissing()) {
      await bringUp(names[0], 0);
      await Promise.all(names.slice(1).map((n, i) => bringUp(n, i + 1)));
    } else {
      await Promise.all(names.map(bringUp));
    }
    if (process.env.UNIMESH_CLUSTER_VERBOSE)
      console.warn(`cluster tests: ${started.length} API servers ready in ${((Date.now() - t0) / 1000).toFixed(1)}s (${kubeDir()})`);
  })();

  return async () => {
    await all;
    await Promise.all(
      started.map(async (s) => {
        if (s.watchdog) {
          try {
            process.kill(s.watchdog);
          } catch {
            /* already gone */
          }
        }
        await stopServer(s.kubeconfig).catch((e) => console.warn(`cluster tests: stopping ${s.name}: ${(e as Error).message}`));
      }),
    );
    rmSync(runDir, { recursive: true, force: true });
  };
}
