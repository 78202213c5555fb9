/**
 * `unimesh up` end to end: Bookinfo's policies (examples/bookinfo) and its demo services
 * (examples/bookinfo-local, real child processes) on a local mesh, driven through the CLI as a user
 * runs it, on free ports; stopped with POST /quitquitquit.
 */
import { afterAll, describe, expect, test } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "undici";
import { run } from "../../src/cli/main.js";
import { rawCall, registryOnFreePorts } from "./support.js";

const ROOT = join(import.meta.dirname, "../..");

async function get(url: string, headers: Record<string, string> = {}) {
  const r = await request(url, { headers });
  return { status: r.statusCode, text: await r.body.text() };
}

describe("unimesh up (Bookinfo)", () => {
  const dir = mkdtempSync(join(tmpdir(), "unimesh-up-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // The demo apps need concrete port numbers up front, so the ports are picked free (below the
  // ephemeral range: support.ts freePorts) and then bound by another process: a test file running in
  // parallel can still take one in between (EADDRINUSE). A retry picks new ports; a real failure fails
  // all three attempts.
  test("runs Bookinfo's policies on real traffic and stops cleanly", { retry: 2, timeout: 30_000 }, async () => {
    const { file, ingress, admin } = await registryOnFreePorts(dir);
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
      cwd: ROOT,
    };
    const exited = run(["up", "examples/bookinfo", "-s", file, "--no-access-log", "--no-watch"], io);
    let stopped = false,
      ended = false;
    void exited.then(
      () => {
        ended = true;
      },
      () => {
        ended = true;
      },
    );
    try {
      // "Running" is said once all six apps listen (the page may answer a little earlier: it needs only one
      // of the three reviews); the first request after it is served.
      for (let i = 0; i < 200 && !ended && !stderr.includes("local mesh running"); i++) await new Promise((r) => setTimeout(r, 100));
      expect(stderr).toContain("unimesh up: local mesh running (4 destinations with policies, 6 apps started)");
      let page = await get(`http://127.0.0.1:${ingress}/productpage`);
      expect(page.status).toBe(200);
      for (let i = 0; i < 100 && !(page.status === 200 && page.text.includes('"version"') && page.text.includes("Shakespeare")); i++) {
        await new Promise((r) => setTimeout(r, 100));
        page = await get(`http://127.0.0.1:${ingress}/productpage`);
      }
      expect(page.status).toBe(200);
      const body = JSON.parse(page.text);
      expect(body.caller).toBe("spiffe://cluster.local/ns/bookinfo/sa/unimesh-ingress");
      expect(body.details.author).toBe("William Shakespeare");

      // The canary: no v2 for anonymous users, v1 most of the time.
      const versions: string[] = [];
      for (let i = 0; i < 40; i++) versions.push(JSON.parse((await get(`http://127.0.0.1:${ingress}/productpage`)).text).reviews.version ?? "error");
      expect(versions).not.toContain("v2");
      expect(versions.filter((v) => v === "v1").length).toBeGreaterThan(25);

      // productpage-public denies /admin/* to everyone, at productpage's inbound listener.
      expect((await get(`http://127.0.0.1:${ingress}/admin/users`)).status).toBe(403);
      // ... however its path is spelled (a client library would clean these up: sent byte for byte).
      for (const target of ["/./admin/users", "/admin\\users", "/x/../admin/users", "/%2e%2e/admin/users", "//admin/users"]) {
        expect({ target, status: (await rawCall(ingress, `127.0.0.1:${ingress}`, target)).status }).toEqual({ target, status: 403 });
      }

      // Every hop was mutual TLS with the services' own identities.
      const metrics = (await get(`http://127.0.0.1:${admin}/metrics`)).text;
      expect(metrics).toMatch(
        /unimesh_requests_total\{direction="inbound",source="bookinfo\/bookinfo-productpage",destination="bookinfo\/details",response_code="200"\} \d+/,
      );
      expect(metrics).toMatch(
        /unimesh_access_denied_total\{source="bookinfo\/unimesh-ingress",destination="bookinfo\/productpage",policy="AccessPolicy\/bookinfo\/productpage-public"\} 6/,
      );

      stopped = true;
      expect((await request(`http://127.0.0.1:${admin}/quitquitquit`, { method: "POST" })).statusCode).toBe(200);
      expect(await exited).toBe(0);
      expect(stderr).toContain("unimesh up: POST /quitquitquit: stopping");
      await expect(get(`http://127.0.0.1:${ingress}/productpage`)).rejects.toThrow();
    } finally {
      // A failed try stops its mesh and apps before the retry.
      if (!stopped) {
        await request(`http://127.0.0.1:${admin}/quitquitquit`, { method: "POST" }).catch(() => undefined);
        await exited.catch(() => undefined);
      }
    }
  });
});
