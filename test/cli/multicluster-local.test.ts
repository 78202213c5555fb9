/**
 * Issue 13's example on one machine, as examples/multicluster/README.md ("On one machine: `unimesh up`")
 * documents it: the README's `unimesh up` command on exactly its files (Bookinfo's services and policies,
 * the VirtualMesh of examples/multicluster-local, its across.yaml and both members' registries, whose demo
 * apps run as real child processes), driven through the CLI in process. The registries' fixed ports are
 * moved to free ports in temp copies (a test file running in parallel may hold 8080 or 15000), and each
 * copy sets the member's `eastWest` listener to a free port (a registry's own `eastWest` wins over the
 * VirtualMesh's loopback gateway, so vmesh.yaml is used as written). Then the README's claims: pages show
 * reviews from west (v1) and from east (v2/v3 with stars from east's ratings); once west's reviews v1 is
 * killed (the README's `kill $(lsof -t -iTCP:PORT -sTCP:LISTEN)`), every page comes from east after at
 * most a few failed requests; no key material is printed; `up` exits 0 after POST /quitquitquit.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import yaml from "js-yaml";
import { request } from "undici";
import { afterAll, describe, expect, test } from "vitest";
import { run } from "../../src/cli/main.js";
import type { ServiceRegistry } from "../../src/api/generated/proxyConfig.js";
import { freePort } from "../proxy/support.js";

const ROOT = join(import.meta.dirname, "../..");
const LOCAL = join(ROOT, "examples/multicluster-local");
const dir = mkdtempSync(join(tmpdir(), "unimesh-multicluster-local-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A temp copy of a member's registry on free ports; returns its file, its admin port and its instances' ports by service/version. */
async function memberOnFreePorts(member: "west" | "east", d: string) {
  const reg = yaml.load(readFileSync(join(LOCAL, `${member}.yaml`), "utf8")) as ServiceRegistry;
  const admin = await freePort();
  reg.spec.admin = { port: admin };
  reg.spec.eastWest = { address: "127.0.0.1", port: await freePort() };
  let ingress: number | undefined;
  for (const i of reg.spec.ingresses ?? []) i.port = ingress = await freePort();
  const ports: Record<string, number> = {};
  for (const s of reg.spec.services ?? []) {
    for (const i of s.instances ?? []) {
      i.port = await freePort();
      ports[`${s.name}${i.labels?.version ? `/${i.labels.version}` : ""}`] = i.port;
      i.inbound = { port: 0 };
      if (i.outbound) i.outbound = { port: 0 };
      i.run = { ...i.run!, cwd: LOCAL };
    }
  }
  const file = join(d, `${member}.yaml`);
  writeFileSync(file, yaml.dump(reg));
  return { file, admin, ingress, ports };
}

interface Page {
  details?: { author?: string };
  reviews: { cluster?: string; version?: string; error?: string; reviews?: { rating?: { stars?: number; color?: string; error?: string } }[] };
}

async function page(ingress: number): Promise<Page> {
  const r = await request(`http://127.0.0.1:${ingress}/productpage`);
  const text = await r.body.text();
  expect(r.statusCode, text).toBe(200);
  return JSON.parse(text) as Page;
}

describe("examples/multicluster on one machine (README: unimesh up)", () => {
  // The demo apps need concrete port numbers up front: a test file running in parallel can take one
  // between the pick and the bind (EADDRINUSE). A retry picks new ports; a real failure fails every try.
  test("pages show reviews of both members; west's reviews v1 killed, every page comes from east", { retry: 2, timeout: 120_000 }, async () => {
    const d = mkdtempSync(join(dir, "up-"));
    const west = await memberOnFreePorts("west", d);
    const east = await memberOnFreePorts("east", d);
    let stdout = "";
    let stderr = "";
    const io = {
      stdout: { write: (s: string) => ((stdout += s), true) },
      stderr: { write: (s: string) => ((stderr += s), true) },
      readStdin: () => "",
      env: {},
      cwd: ROOT,
    };
    // The README's command, with the registries' temp copies.
    const exited = run(
      [
        "up",
        "examples/multicluster/services.yaml",
        "examples/multicluster/policies.yaml",
        "examples/multicluster-local/vmesh.yaml",
        "examples/multicluster-local/across.yaml",
        "-s",
        `west=${west.file}`,
        "-s",
        `east=${east.file}`,
        "--no-access-log",
        "--no-watch",
      ],
      io,
    );
    let ended = false;
    void exited.finally(() => (ended = true)).catch(() => undefined);
    let stopped = false;
    try {
      for (let i = 0; i < 300 && !ended && !stderr.includes("virtual mesh bookinfo-local running"); i++) await new Promise((r) => setTimeout(r, 100));
      expect(stderr).toContain("unimesh up: virtual mesh bookinfo-local running: members west, east");
      expect(stderr).toContain("6 apps started");
      expect(stderr).not.toContain("warning");

      // Both members answer reviews (the 50/50 split); east's pages carry v2/v3 stars from east's ratings.
      const seen: Record<string, number> = {};
      for (let i = 0; i < 40; i++) {
        const p = await page(west.ingress!);
        expect(p.details?.author).toBe("William Shakespeare");
        const r = p.reviews;
        expect(r.error, JSON.stringify(p)).toBeUndefined();
        seen[`${r.cluster}/${r.version}`] = (seen[`${r.cluster}/${r.version}`] ?? 0) + 1;
        if (r.cluster === "west") {
          expect(r.version).toBe("v1");
          expect(r.reviews!.every((x) => x.rating === undefined)).toBe(true);
        } else {
          expect(r.cluster).toBe("east");
          expect(["v2", "v3"]).toContain(r.version);
          // Bookinfo's ratings (5 and 4 stars) exist only in east: the stars are east's ratings' answer.
          expect(r.reviews!.map((x) => x.rating)).toEqual([
            { stars: 5, color: r.version === "v2" ? "black" : "red" },
            { stars: 4, color: r.version === "v2" ? "black" : "red" },
          ]);
        }
      }
      // East's east-west listener balances connections, not requests (SNI pass-through, as Istio's
      // AUTO_PASSTHROUGH gateway): west's kept-alive connection may stay on one of east's v2 and v3.
      const members = new Set(Object.keys(seen).map((k) => k.split("/")[0]));
      expect([...members].sort(), JSON.stringify(seen)).toEqual(["east", "west"]);
      // 20 expected in each member (binomial sd ~3): no split at all (0 or 40) falls far outside.
      expect(seen["west/v1"]).toBeGreaterThan(5);
      expect(seen["west/v1"]).toBeLessThan(35);

      // The README's kill: west's reviews v1 by its port's listening PID.
      const pid = execFileSync("lsof", ["-t", `-iTCP:${west.ports["reviews/v1"]}`, "-sTCP:LISTEN"], { encoding: "utf8" }).trim();
      expect(pid).toMatch(/^\d+$/);
      process.kill(Number(pid), "SIGTERM");
      for (let i = 0; i < 100 && !stderr.includes("west: reviews/v1 exited"); i++) await new Promise((r) => setTimeout(r, 50));
      expect(stderr).toContain("unimesh up: west: reviews/v1 exited");

      // Outlier detection ejects v1 after its first 5xx (consecutive5xxErrors: 1); failover sends west's share to east.
      const after: string[] = [];
      for (let i = 0; i < 30; i++) {
        const r = (await page(west.ingress!)).reviews;
        after.push(r.error ? "error" : `${r.cluster}/${r.version}`);
      }
      const failed = after.filter((x) => x === "error").length;
      expect(failed, after.join(" ")).toBeLessThanOrEqual(3);
      const lastError = after.lastIndexOf("error");
      const rest = after.slice(lastError + 1);
      expect(rest.length, after.join(" ")).toBeGreaterThanOrEqual(25);
      expect(
        rest.filter((x) => !x.startsWith("east/")),
        after.join(" "),
      ).toEqual([]);

      // No key material anywhere in the output (intermediates by fingerprint only).
      expect(stdout + stderr).not.toMatch(/PRIVATE KEY/);
      expect(stderr).toMatch(/member west: trust domain west\.bookinfo\.local, intermediate CA SHA256 [0-9A-F:]{95} \(in memory\)/);
      expect(stderr).toMatch(/member east: trust domain east\.bookinfo\.local, intermediate CA SHA256 [0-9A-F:]{95} \(in memory\)/);

      // POST /quitquitquit on a member's admin stops the whole virtual mesh; the other's admin is gone then.
      stopped = true;
      expect((await request(`http://127.0.0.1:${west.admin}/quitquitquit`, { method: "POST" })).statusCode).toBe(200);
      await request(`http://127.0.0.1:${east.admin}/quitquitquit`, { method: "POST" }).catch(() => undefined);
      expect(await exited).toBe(0);
      expect(stderr).toContain("unimesh up: POST /quitquitquit: stopping");
      await expect(request(`http://127.0.0.1:${west.ingress}/productpage`)).rejects.toThrow();
    } finally {
      // A failed try stops its mesh and apps before the retry.
      if (!stopped) {
        for (const admin of [west.admin, east.admin]) await request(`http://127.0.0.1:${admin}/quitquitquit`, { method: "POST" }).catch(() => undefined);
        await exited.catch(() => undefined);
      }
    }
  });
});
