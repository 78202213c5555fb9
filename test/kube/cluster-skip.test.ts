/**
 * When the cluster tests (test/cluster/) run, skip or fail: a machine that cannot start the real API
 * servers (not Linux/x86-64, no ../shared/kube, etcd/openssl/curl missing without root or apt-get)
 * skips them with one line (a laptop's `npm test` still passes); with CI set (`.ci/run`) or
 * UNIMESH_CLUSTER_TESTS=1 they are required and the run fails. Other machines are described to
 * `unavailable()`; the global setup is run with a kube directory that does not exist.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, test, vi } from "vitest";
import type { TestProject } from "vitest/node";
import setup from "../cluster/global-setup.js";
import { type Machine, clusterTestsRequired, unavailable } from "../cluster/support/servers.js";

const kube = mkdtempSync(join(tmpdir(), "unimesh-kube-dir-"));
writeFileSync(join(kube, "kube-up.sh"), "#!/bin/sh\nexit 1\n");
afterAll(() => rmSync(kube, { recursive: true, force: true }));
afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

const env = (more: Record<string, string> = {}) => ({ UNIMESH_KUBE_DIR: kube, ...more });
const machine = (over: Partial<Machine> & { missing?: string[] } = {}): Machine => ({
  platform: "linux",
  arch: "x64",
  uid: 0,
  onPath: (cmd) => !(over.missing ?? []).includes(cmd),
  ...over,
});

describe("unavailable(): why this machine cannot start the API servers", () => {
  test("Linux x86-64 with the scripts and etcd, openssl, curl: available", () => {
    expect(unavailable(env(), machine())).toBeUndefined();
  });

  test("tools missing but root with apt-get: available (kube-up.sh installs them)", () => {
    expect(unavailable(env(), machine({ missing: ["etcd", "openssl"] }))).toBeUndefined();
  });

  test.each([
    ["not root", machine({ missing: ["etcd"], uid: 1000 }), "etcd not installed, and installing them (kube-up.sh uses apt-get) needs root"],
    ["no apt-get", machine({ missing: ["etcd", "curl", "apt-get"] }), "etcd, curl not installed, and there is no apt-get to install them"],
    ["macOS", machine({ platform: "darwin", arch: "arm64" }), "the kube-apiserver binary is linux/amd64 and this is darwin/arm64"],
  ])("%s: one line saying why", (_what, m, why) => {
    expect(unavailable(env(), m)).toBe(why);
  });

  test("no kube-up.sh (no ../shared/kube beside the project)", () => {
    expect(unavailable({ UNIMESH_KUBE_DIR: join(kube, "nope") }, machine())).toMatch(
      /^no .*nope\/kube-up\.sh \(the real kube-apiserver and its scripts: \.\.\/shared\/kube beside the project, or UNIMESH_KUBE_DIR\)$/,
    );
  });

  test("UNIMESH_CLUSTER_TESTS=0 skips them, except where they are required", () => {
    expect(unavailable(env({ UNIMESH_CLUSTER_TESTS: "0" }), machine())).toBe("UNIMESH_CLUSTER_TESTS=0");
    expect(unavailable(env({ UNIMESH_CLUSTER_TESTS: "0", CI: "true" }), machine())).toBeUndefined();
  });

  test.each([
    [{ CI: "true" }, true],
    [{ CI: "1" }, true],
    [{ UNIMESH_CLUSTER_TESTS: "1" }, true],
    [{ CI: "false" }, false],
    [{ CI: "0" }, false],
    [{ CI: "" }, false],
    [{}, false],
  ])("required with %j: %s", (e, required) => {
    expect(clusterTestsRequired(e)).toBe(required);
  });
});

describe("the global setup of the cluster project", () => {
  const project = () => {
    const provided: Record<string, unknown> = {};
    return {
      provided,
      p: {
        provide: (k: string, v: unknown) => {
          provided[k] = v;
        },
      } as unknown as TestProject,
    };
  };

  test("a machine that cannot run them: one warning line, the tests told to skip, nothing started", async () => {
    vi.stubEnv("CI", "");
    vi.stubEnv("UNIMESH_CLUSTER_TESTS", "");
    vi.stubEnv("UNIMESH_KUBE_DIR", join(kube, "nope"));
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const { provided, p } = project();
    const teardown = await setup(p);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0][0]).toMatch(/^cluster tests skipped \(no real API server\): no .*nope\/kube-up\.sh/);
    expect(provided.unimeshCluster).toEqual({ runDir: "", skip: expect.stringContaining("nope/kube-up.sh") });
    await teardown();
  });

  test("with CI set, the same machine fails the run", async () => {
    vi.stubEnv("CI", "true");
    vi.stubEnv("UNIMESH_KUBE_DIR", join(kube, "nope"));
    const { p } = project();
    await expect(setup(p)).rejects.toThrow(/^the cluster tests are required here \(CI or UNIMESH_CLUSTER_TESTS=1\) but cannot run: no .*nope\/kube-up\.sh/);
  });
});
