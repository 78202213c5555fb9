/**
 * Issue 14's "Done means", last sentence: the requests `unimesh explain` decides on Bookinfo give the same
 * decisions through `unimesh up` (Bookinfo's policies, its apps running, real sockets): the CLI's JSON
 * answer against the status the running mesh returns through each caller's outbound listener.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import yaml from "js-yaml";
import { request } from "undici";
import { afterAll, describe, expect, test } from "vitest";
import { run } from "../../src/cli/main.js";
import { registryOnFreePorts, rawCall } from "../proxy/support.js";
import type { ServiceRegistry } from "../../src/api/generated/proxyConfig.js";
import { cli } from "./helpers.js";

const ROOT = join(import.meta.dirname, "../..");
const dir = mkdtempSync(join(tmpdir(), "unimesh-explain-up-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("explain and unimesh up decide the same on Bookinfo", () => {
  test("allowed requests reach the apps, denied ones get 403, as explain says", { retry: 2, timeout: 60_000 }, async () => {
    const d = mkdtempSync(join(dir, "up-"));
    const { file, admin } = await registryOnFreePorts(d);
    // Ratings and details call nobody in Bookinfo; give them outbound listeners to send from their identities.
    const reg = yaml.load(readFileSync(file, "utf8")) as ServiceRegistry;
    for (const s of reg.spec.services ?? []) for (const i of s.instances ?? []) i.outbound ??= { port: 0 };
    writeFileSync(file, yaml.dump(reg));
    let stderr = "";
    let ready: () => void;
    const running = new Promise<void>((r) => {
      ready = r;
    });
    const io = {
      stdout: { write: () => true },
      stderr: {
        write: (s: string) => {
          stderr += s;
          if (stderr.includes("local mesh running")) ready();
          return true;
        },
      },
      readStdin: () => "",
      env: {},
      cwd: ROOT,
    };
    const exited = run(["up", "examples/bookinfo", "-s", file, "--no-access-log", "--no-watch"], io);
    try {
      await Promise.race([running, new Promise((_, reject) => setTimeout(() => reject(new Error(`not running after 30 s:\n${stderr}`)), 30_000))]);
      const listeners = (await (await request(`http://127.0.0.1:${admin}/listeners`)).body.json()) as Record<string, { port: number; kind: string }>;
      const outbound = (svc: string) => Object.entries(listeners).find(([k, l]) => l.kind === "outbound" && k.startsWith(`outbound|bookinfo/${svc}/`))![1].port;
      const requests: [from: string, to: string, method: string, path: string, headers: string[]][] = [
        ["productpage", "reviews:9080", "GET", "/reviews/1", []],
        ["productpage", "reviews:9080", "GET", "/reviews/1", ["end-user:jason"]],
        ["ratings", "reviews:9080", "GET", "/reviews/1", []],
        ["productpage", "details:9080", "GET", "/details/0", []],
        ["reviews", "details:9080", "GET", "/details/0", []],
        ["reviews", "ratings:9080", "GET", "/ratings/0", []],
        ["productpage", "ratings:9080", "GET", "/ratings/0", []],
        ["details", "productpage:9080", "GET", "/admin/../admin/x", []],
        ["productpage", "reviews:9080", "DELETE", "/reviews/1", []],
      ];
      const decided: string[] = [];
      for (const [from, to, method, path, headers] of requests) {
        const e = await cli([
          "explain",
          "--from",
          `bookinfo/bookinfo-${from}`,
          "--to",
          `bookinfo/${to}`,
          method,
          path,
          "examples/bookinfo",
          "-o",
          "json",
          ...headers.flatMap((h) => ["-H", h]),
        ]);
        const x = JSON.parse(e.stdout) as { decision: string; status?: number; answeredBy: string; faults?: { abortPercent?: number; abortStatus?: number } };
        expect(e.code, e.stderr).toBe(x.decision === "allowed" ? 0 : 6);
        const [host, port] = to.split(":");
        const hdrs = Object.fromEntries(headers.map((h) => [h.slice(0, h.indexOf(":")), h.slice(h.indexOf(":") + 1)]));
        const a = await rawCall(outbound(from), `${host}.bookinfo:${port}`, path, { method, headers: hdrs });
        // Ratings' "flaky" route aborts 10 % of calls with 503 at the caller's proxy (Istio's fault-injection task),
        // before the destination's access check: explain reports that chance (`faults`), and an abort is its answer.
        if (x.faults?.abortPercent && a.status === x.faults.abortStatus && a.body === "fault filter abort") {
          decided.push(`${from}->${host} ${method} ${x.decision}`);
          continue;
        }
        if (x.answeredBy === "app") expect(a.status, `${from} -> ${to} ${method} ${path}: ${a.body}`).not.toBe(403);
        else expect(a.status, `${from} -> ${to} ${method} ${path}`).toBe(x.status);
        // Allowed: the mesh lets it through (jason's reviews may still time out: ratings delays jason by 7 s, Istio's fault-injection task).
        if (x.decision === "allowed") expect([401, 403], `${from} -> ${to} ${method} ${path}: ${a.body}`).not.toContain(a.status);
        if (x.decision === "allowed" && headers.length === 0) expect(a.status, `${from} -> ${to} ${method} ${path}: ${a.body}`).toBe(200);
        decided.push(`${from}->${host} ${method} ${x.decision}`);
      }
      expect(decided).toEqual([
        "productpage->reviews GET allowed",
        "productpage->reviews GET allowed",
        "ratings->reviews GET denied",
        "productpage->details GET allowed",
        "reviews->details GET denied",
        "reviews->ratings GET allowed",
        "productpage->ratings GET denied",
        "details->productpage GET denied",
        "productpage->reviews DELETE denied",
      ]);
    } finally {
      await request(`http://127.0.0.1:${admin}/quitquitquit`, { method: "POST" }).catch(() => undefined);
      expect(await exited).toBe(0);
    }
  });
});
