/** `unimesh metrics rules` and `unimesh metrics dashboard`: output formats, files, usage errors. */
import { describe, expect, test } from "vitest";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import yaml from "js-yaml";
import { cli } from "./helpers.js";

describe("unimesh metrics", () => {
  test("rules --mesh istio: a rules file with the istio group, on stdout", async () => {
    const r = await cli(["metrics", "rules", "--mesh", "istio"]);
    expect(r.code).toBe(0);
    const doc = yaml.load(r.stdout) as any;
    expect(doc.groups.map((g: any) => g.name)).toEqual(["unimesh-golden-istio"]);
    expect(doc.groups[0].rules[0]).toMatchObject({ record: "unimesh:requests:rate5m", labels: { mesh: "istio" } });
    expect(doc.groups[0].rules[0].expr).toContain('istio_requests_total{reporter="destination"}');
  });

  test("-o prometheusrule for every mesh, namespace, name and labels; --window names the series", async () => {
    const r = await cli([
      "metrics",
      "rules",
      "--mesh",
      "all",
      "-o",
      "prometheusrule",
      "-n",
      "observability",
      "--name",
      "golden",
      "--label",
      "release=prometheus",
      "--window",
      "1m",
    ]);
    expect(r.code).toBe(0);
    const o = yaml.load(r.stdout) as any;
    expect(o).toMatchObject({
      apiVersion: "monitoring.coreos.com/v1",
      kind: "PrometheusRule",
      metadata: { name: "golden", namespace: "observability", labels: { release: "prometheus" } },
    });
    expect(o.spec.groups.map((g: any) => g.name)).toEqual(["istio", "linkerd", "appmesh", "kuma", "builtin"].map((m) => `unimesh-golden-${m}`));
    expect(o.spec.groups[0].rules[1].record).toBe("unimesh:request_success_ratio:rate1m");
  });

  test("--output-dir: each mesh's rules file and PrometheusRule, and the dashboard", async () => {
    const dir = mkdtempSync(join(tmpdir(), "unimesh-metrics-"));
    try {
      const out = join(dir, "out");
      const r = await cli(["metrics", "rules", "--mesh", "linkerd,kuma", "--output-dir", out]);
      expect(r.code).toBe(0);
      expect(readdirSync(out).sort()).toEqual([
        ".unimesh-output",
        "dashboard.json",
        "kuma.prometheusrule.yaml",
        "kuma.rules.yaml",
        "linkerd.prometheusrule.yaml",
        "linkerd.rules.yaml",
      ]);
      expect((yaml.load(readFileSync(join(out, "kuma.prometheusrule.yaml"), "utf8")) as any).metadata.name).toBe("unimesh-golden-metrics-kuma");
      expect(JSON.parse(readFileSync(join(out, "dashboard.json"), "utf8")).uid).toBe("unimesh-golden");
      // A directory unimesh did not write is refused, untouched.
      const mine = join(dir, "mine");
      writeFileSync(mine, "x");
      const r2 = await cli(["metrics", "rules", "--mesh", "istio", "--output-dir", dir]);
      expect(r2.code).toBe(2);
      expect(readFileSync(mine, "utf8")).toBe("x");
      expect(readdirSync(dir).sort()).toEqual(["mine", "out"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("an unknown mesh or a bad window is a usage error (exit 2) naming it; nothing on stdout", async () => {
    const r = await cli(["metrics", "rules", "--mesh", "istio,consul"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain('no golden-metrics rules for mesh "consul"; meshes: istio, linkerd, appmesh, kuma, builtin');
    const w = await cli(["metrics", "rules", "--mesh", "istio", "--window", "5 minutes"]);
    expect(w.code).toBe(2);
    expect(w.stderr).toContain("is not a Prometheus duration");
    expect((await cli(["metrics", "rules"])).code).toBe(2);
  });

  test("dashboard: Grafana JSON on stdout", async () => {
    const r = await cli(["metrics", "dashboard"]);
    expect(r.code).toBe(0);
    const d = JSON.parse(r.stdout);
    expect(d.title).toBe("unimesh golden metrics");
    expect(JSON.stringify(d)).toContain("unimesh:request_duration_seconds:p99_5m");
  });
});
