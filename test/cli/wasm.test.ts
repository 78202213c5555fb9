/**
 * `unimesh wasm init` + `unimesh wasm build`, then `unimesh up` on Bookinfo: from nothing to a proxy-wasm
 * filter (AssemblyScript, @solo-io/proxy-runtime, compiled here) running in the built-in proxy, in two
 * commands; and `translate --mesh istio` emits the WasmPlugin for the same module (its sha256).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "undici";
import yaml from "js-yaml";
import { afterAll, describe, expect, test } from "vitest";
import { run } from "../../src/cli/main.js";
import { registryOnFreePorts } from "../proxy/support.js";
import { assertValid } from "../support/crd-validator.js";

const ROOT = join(import.meta.dirname, "../..");
const dir = mkdtempSync(join(tmpdir(), "unimesh-wasm-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the CLI in-process; `seen(text)` resolves once stderr contains `text`. */
function cli(argv: string[]) {
  let stdout = "",
    stderr = "";
  const waiting: { text: string; resolve: () => void }[] = [];
  const io = {
    stdout: {
      write: (s: string) => {
        stdout += s;
        return true;
      },
    },
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
  const exited = run(argv, io);
  return {
    exited,
    stdout: () => stdout,
    stderr: () => stderr,
    seen: (text: string, timeoutMs = 30_000) =>
      new Promise<void>((resolve, reject) => {
        if (stderr.includes(text)) return resolve();
        waiting.push({ text, resolve });
        setTimeout(() => reject(new Error(`no "${text}" on stderr after ${timeoutMs} ms:\n${stderr}`)), timeoutMs);
      }),
  };
}

describe("unimesh wasm", () => {
  test(
    "init + build, then up on Bookinfo: the filter adds its header and denies /deny; translate --mesh istio references the same module",
    { timeout: 180_000 },
    async () => {
      const project = join(dir, "my-filter");
      const init = cli(["wasm", "init", project]);
      expect(await init.exited).toBe(0);
      expect(init.stdout()).toContain(`next: unimesh wasm build ${project}`);
      const build = cli(["wasm", "build", project]);
      expect(await build.exited, build.stderr()).toBe(0);
      const sha = createHash("sha256")
        .update(readFileSync(join(project, "build/filter.wasm")))
        .digest("hex");
      expect(build.stdout()).toContain(`sha256 ${sha}`);
      const ext = yaml.load(readFileSync(join(project, "extension.yaml"), "utf8")) as {
        spec: { module: { sha256: string }; destination: { service: string } };
      };
      expect(ext.spec.module.sha256).toBe(sha);
      expect(ext.spec.destination.service).toBe("productpage");

      const { file, ingress, admin } = await registryOnFreePorts(mkdtempSync(join(dir, "up-")));
      const up = cli(["up", "examples/bookinfo", join(project, "extension.yaml"), "-s", file, "--no-access-log", "--no-watch"]);
      try {
        await up.seen("unimesh up: local mesh running", 60_000);
        const ok = await request(`http://127.0.0.1:${ingress}/productpage`);
        const text = await ok.body.text();
        expect(ok.statusCode, text).toBe(200);
        expect(ok.headers["x-wasm-filter"]).toBe("my-filter");
        const denied = await request(`http://127.0.0.1:${ingress}/deny`);
        expect(denied.statusCode).toBe(403);
        expect(await denied.body.text()).toBe("denied by the Wasm filter\n");
      } finally {
        await request(`http://127.0.0.1:${admin}/quitquitquit`, { method: "POST" }).catch(() => undefined);
        expect(await up.exited).toBe(0);
      }

      const istio = cli(["translate", "examples/bookinfo", join(project, "extension.yaml"), "--mesh", "istio"]);
      expect(await istio.exited, istio.stderr()).toBe(0);
      const plugin = yaml.loadAll(istio.stdout()).find((o) => (o as { kind?: string })?.kind === "WasmPlugin") as { spec: Record<string, unknown> };
      expect(plugin.spec).toMatchObject({
        url: "file:///build/filter.wasm",
        sha256: sha,
        pluginName: "unimesh_filter",
        selector: { matchLabels: { app: "productpage" } },
      });
      expect(istio.stderr()).toContain("oci:// or https://");
      assertValid([plugin], "istio/1.30.3");
      assertValid([plugin], "istio/1.22.8");

      // Ambient: the same module, run by productpage's waypoint (targetRefs, no selector).
      const ambient = cli([
        "translate",
        "examples/bookinfo/services.yaml",
        "examples/bookinfo/security.yaml",
        join(project, "extension.yaml"),
        "--mesh",
        "istio",
        "--set",
        "dataplane=ambient",
      ]);
      expect(await ambient.exited, ambient.stderr()).toBe(0);
      const objs = yaml.loadAll(ambient.stdout()) as { kind?: string; spec: Record<string, unknown> }[];
      const waypointPlugin = objs.find((o) => o?.kind === "WasmPlugin")!;
      expect(waypointPlugin.spec).toEqual({
        targetRefs: [{ group: "", kind: "Service", name: "productpage" }],
        url: "file:///build/filter.wasm",
        sha256: sha,
        pluginName: "unimesh_filter",
        pluginConfig: { header: "x-wasm-filter", value: "my-filter", denyPath: "/deny" },
        type: "HTTP",
      });
      assertValid([waypointPlugin], "istio/1.30.3");
    },
  );

  test("build without a project is a usage error naming what to do", async () => {
    const b = cli(["wasm", "build", join(dir, "nothing-here")]);
    expect(await b.exited).toBe(2);
    expect(b.stderr()).toContain("unimesh wasm init");
  });
});
