/**
 * `unimesh up` as a new user meets it: "local mesh running" is printed only once the apps answer (the
 * first request is not a 503), and saving a policy keeps reloading however the editor saves (in place,
 * or a new file renamed over the old one: `sed -i`, `git checkout`, most editors).
 */
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync, cpSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "undici";
import { afterAll, describe, expect, test } from "vitest";
import { run } from "../../src/cli/main.js";
import { watchPaths } from "../../src/proxy/watch.js";
import { registryOnFreePorts } from "../proxy/support.js";

const ROOT = join(import.meta.dirname, "../..");
const dir = mkdtempSync(join(tmpdir(), "unimesh-up-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const registry = (into: string) => registryOnFreePorts(into);

/** Runs `unimesh up` in-process; `seen(text)` resolves once stderr contains `text`. */
function up(argv: string[]) {
  let stderr = "";
  const waiting: { text: string; resolve: () => void }[] = [];
  const io = {
    stdout: { write: () => true },
    stderr: {
      write: (s: string) => {
        stderr += s;
        for (const w of waiting.filter((x) => stderr.includes(x.text))) {
          waiting.splice(waiting.indexOf(w), 1);
          w.resolve();
        }
        return true;
      },
    },
    readStdin: () => "",
    env: {},
    cwd: ROOT,
  };
  const exited = run(["up", ...argv], io);
  return {
    exited,
    stderr: () => stderr,
    seen: (text: string, timeoutMs = 20_000) =>
      new Promise<void>((resolve, reject) => {
        if (stderr.includes(text)) return resolve();
        waiting.push({ text, resolve });
        setTimeout(() => reject(new Error(`no "${text}" on stderr after ${timeoutMs} ms:\n${stderr}`)), timeoutMs);
      }),
  };
}

describe("unimesh up", () => {
  // Ports are picked free, then bound by other processes: a parallel test can take one in between.
  test("'local mesh running' once the apps answer: the first request right after it is a 200", { retry: 2, timeout: 40_000 }, async () => {
    const d = mkdtempSync(join(dir, "ready-"));
    const { file, ingress, admin } = await registry(d);
    const u = up(["examples/bookinfo", "-s", file, "--no-access-log", "--no-watch"]);
    try {
      await u.seen("unimesh up: local mesh running");
      const first = await request(`http://127.0.0.1:${ingress}/productpage`);
      const text = await first.body.text();
      expect(first.statusCode, text).toBe(200);
      expect(JSON.parse(text).details.author).toBe("William Shakespeare");
      expect(u.stderr()).toContain("unimesh up: waiting for 6 apps to listen\n");
    } finally {
      await request(`http://127.0.0.1:${admin}/quitquitquit`, { method: "POST" }).catch(() => undefined);
      expect(await u.exited).toBe(0);
    }
  });

  test("keeps reloading when the policy file is replaced on save (rename), not only written in place", { retry: 2, timeout: 40_000 }, async () => {
    const d = mkdtempSync(join(dir, "reload-"));
    const policies = join(d, "policies");
    mkdirSync(policies);
    cpSync(join(ROOT, "examples/bookinfo"), policies, { recursive: true });
    const { file, admin } = await registry(d);
    const u = up([policies, "-s", file, "--no-access-log", "--no-run"]);
    try {
      await u.seen("unimesh up: local mesh running");
      const target = join(policies, "traffic.yaml");
      const original = readFileSync(target, "utf8");
      for (let i = 1; i <= 3; i++) {
        // As `sed -i` and editors save: a new file renamed over the old one.
        writeFileSync(`${target}.tmp`, original.replace(/timeout: 2s/, `timeout: ${i + 2}s`));
        renameSync(`${target}.tmp`, target);
        const reloads = () => u.stderr().split("unimesh up: configuration reloaded").length - 1;
        for (let t = 0; t < 100 && reloads() < i; t++) await sleep(100);
        expect(reloads(), `after save ${i}`).toBe(i);
        await sleep(300); // past the debounce: the next save is a reload of its own
      }
    } finally {
      await request(`http://127.0.0.1:${admin}/quitquitquit`, { method: "POST" }).catch(() => undefined);
      expect(await u.exited).toBe(0);
    }
  });
});

describe("watchPaths", () => {
  test.each(["a directory input", "a file input"])("%s: every rename-on-save fires, not only the first", async (what) => {
    const d = mkdtempSync(join(dir, "watch-"));
    mkdirSync(join(d, "sub"));
    const file = join(d, "sub", "p.yaml");
    writeFileSync(file, "v0");
    let changes = 0;
    const stop = watchPaths([what === "a file input" ? file : d], () => changes++, 20);
    try {
      await sleep(100);
      for (let i = 1; i <= 4; i++) {
        writeFileSync(`${file}.tmp`, `v${i}`);
        renameSync(`${file}.tmp`, file);
        for (let t = 0; t < 50 && changes < i; t++) await sleep(20);
        expect(changes, `after save ${i}`).toBe(i);
      }
      // A directory created later is watched too.
      if (what === "a directory input") {
        mkdirSync(join(d, "later"));
        await sleep(100);
        const before = changes;
        writeFileSync(join(d, "later", "q.yaml"), "x");
        for (let t = 0; t < 50 && changes === before; t++) await sleep(20);
        expect(changes).toBeGreaterThan(before);
      }
    } finally {
      stop();
    }
  });
});
