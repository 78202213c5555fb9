/**
 * `unimesh proxy --config`: runs a ProxyConfig (as `unimesh translate --mesh builtin` writes it) with a
 * ServiceRegistry, reloads when an input file is saved (refusing an invalid change), and stops on
 * POST /quitquitquit.
 */
import { afterAll, describe, expect, test } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "undici";
import { run } from "../../src/cli/main.js";
import { toYaml, type KubeObject } from "../../src/index.js";
import { call, closeAgents, registry, startApp, translatePolicies } from "./support.js";

const route = (version: string) => `
apiVersion: unimesh.io/v1alpha1
kind: TrafficPolicy
metadata: {name: reviews-route, namespace: bookinfo}
spec:
  destination: {service: reviews}
  routes:
    - split: [{subset: {version: ${version}}}]
`;

async function until<T>(f: () => Promise<T>, ok: (t: T) => boolean): Promise<T> {
  let last!: T;
  for (let i = 0; i < 100; i++) {
    last = await f().catch(() => last);
    if (last !== undefined && ok(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  return last;
}

describe("unimesh proxy", () => {
  const dir = mkdtempSync(join(tmpdir(), "unimesh-proxy-"));
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await closeAgents();
  });

  test("runs, reloads on save, refuses an invalid change, stops on request", async () => {
    const [v1, v2, caller] = await Promise.all([startApp("v1"), startApp("v2"), startApp("productpage")]);
    const reg = registry([
      { service: "reviews", namespace: "bookinfo", port: v1.port, labels: { version: "v1" } },
      { service: "reviews", namespace: "bookinfo", port: v2.port, labels: { version: "v2" } },
      { service: "productpage", namespace: "bookinfo", port: caller.port, outbound: true },
    ]);
    const configFile = join(dir, "proxy.yaml");
    const registryFile = join(dir, "registry.json");
    writeFileSync(configFile, toYaml([translatePolicies(route("v1")) as unknown as KubeObject]));
    writeFileSync(registryFile, JSON.stringify(reg));
    let stderr = "";
    const io = {
      stdout: { write: () => true },
      stderr: {
        write: (s: string) => {
          stderr += s;
          return true;
        },
      },
      readStdin: () => "",
      env: {},
      cwd: dir,
    };
    const exited = run(["proxy", "--config", "proxy.yaml", "--services", "registry.json", "--no-access-log"], io);
    await until(
      async () => stderr,
      (s) => s.includes("unimesh proxy: running"),
    );
    const listeners = JSON.parse(/"msg":"proxy started","listeners":(\{.*?\}\})\}/.exec(stderr)![1]);
    const out = Object.entries(listeners).find(([k]) => k.startsWith("outbound|"))![1] as { port: number };
    const admin = (listeners.admin as { port: number }).port;
    expect((await call(out.port, "reviews", "/")).body).toBe("v1");

    writeFileSync(configFile, toYaml([translatePolicies(route("v2")) as unknown as KubeObject]));
    expect(
      (
        await until(
          () => call(out.port, "reviews", "/"),
          (a) => a.body === "v2",
        )
      ).body,
    ).toBe("v2");

    writeFileSync(configFile, "apiVersion: unimesh.io/v1alpha1\nkind: ProxyConfig\nmetadata: {name: x}\nspec: {destinations: [{service: reviews}]}\n");
    await until(
      async () => stderr,
      (s) => s.includes("configuration refused"),
    );
    expect(stderr).toContain("schema/required");
    expect((await call(out.port, "reviews", "/")).body).toBe("v2");

    expect((await request(`http://127.0.0.1:${admin}/quitquitquit`, { method: "POST" })).statusCode).toBe(200);
    expect(await exited).toBe(0);
    await Promise.all([v1.close(), v2.close(), caller.close()]);
  }, 20_000);

  test("a configuration with errors does not start (exit 1, diagnostics on stderr)", async () => {
    writeFileSync(
      join(dir, "bad.yaml"),
      "apiVersion: unimesh.io/v1alpha1\nkind: ServiceRegistry\nmetadata: {name: x}\nspec: {services: [{name: a, instances: [{port: 1, servicePort: 9}], ports: [{port: 8}]}]}\n",
    );
    let stderr = "";
    const io = {
      stdout: { write: () => true },
      stderr: {
        write: (s: string) => {
          stderr += s;
          return true;
        },
      },
      readStdin: () => "",
      env: {},
      cwd: dir,
    };
    expect(await run(["proxy", "-c", "bad.yaml"], io)).toBe(1);
    expect(stderr).toContain("proxy/unknown-port");
  });
});
