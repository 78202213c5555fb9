/**
 * The shared destination facts of src/api/model.ts: each destination's Service ports (declared or
 * guessed, `servicePort`) and the effective mTLS mode of a destination port (`Model.mtlsMode`).
 */
import { describe, expect, test } from "vitest";
import type { DestinationView, Model } from "../../src/index.js";
import { servicePort } from "../../src/api/model.js";
import { doc, modelOf } from "./helpers.js";

const tp = doc("TrafficPolicy");
const ap = doc("AccessPolicy");
const mp = doc("MTLSPolicy");
const ms = doc("MeshService");
const model = modelOf;

function view(m: Model, service: string, namespace = "shop"): DestinationView {
  const v = m.destination(namespace, service);
  expect(v, `${namespace}/${service}`).toBeDefined();
  return v!;
}

describe("destination ports", () => {
  test("declared: every MeshService port, sorted by port, targetPort defaulted to port, name and protocol kept", () => {
    const m = model(
      ms("cart", {
        ports: [
          { port: 9090, protocol: "grpc" },
          { port: 80, targetPort: 8080, name: "http" },
        ],
      }),
      tp("p", { destination: { service: "cart", port: 9090 }, timeout: "1s" }),
    );
    const v = view(m, "cart");
    expect(v.portsDeclared).toBe(true);
    expect(v.ports).toEqual([
      { port: 80, targetPort: 8080, name: "http", declared: true },
      { port: 9090, targetPort: 9090, protocol: "grpc", declared: true },
    ]);
    expect(servicePort(v, 80)).toEqual({ port: 80, targetPort: 8080, name: "http", declared: true });
    // Not a declared port: the same number, and not declared.
    expect(servicePort(v, 7000)).toEqual({ targetPort: 7000, declared: false });
  });

  test("guessed: every Service port the policies name (traffic, split, access, rule, mTLS port keys), targetPort = port", () => {
    const m = model(
      tp("t", { destination: { service: "cart", port: 80 }, routes: [{ split: [{ weight: 50 }, { weight: 50, port: 81 }] }] }),
      ap("a", { destination: { service: "cart", port: 82 }, allow: [{ source: { serviceAccounts: ["web"] } }] }),
      ap("b", { destination: { service: "cart" }, allow: [{ ports: [84, 83] }], deny: [{ ports: [85], source: { namespaces: ["x"] } }] }),
      mp("m", { destination: { service: "cart" }, mode: "strict", ports: { "86": "permissive", "80": "strict" } }),
    );
    const v = view(m, "cart");
    expect(v.portsDeclared).toBe(false);
    expect(v.ports).toEqual([80, 81, 82, 83, 84, 85, 86].map((port) => ({ port, targetPort: port, declared: false })));
    expect(servicePort(v, 83)).toEqual({ port: 83, targetPort: 83, declared: false });
    expect(servicePort(v, 1234)).toEqual({ targetPort: 1234, declared: false });
  });

  test("no port known: empty, not declared", () => {
    const v = view(model(tp("t", { destination: { service: "cart" }, timeout: "1s" })), "cart");
    expect(v.ports).toEqual([]);
    expect(v.portsDeclared).toBe(false);
  });

  test("servicePorts: a destination's ports, else the MeshService's declared ones, else none", () => {
    const m = model(
      tp("t", { destination: { service: "cart", port: 80 }, timeout: "1s" }),
      ms("web", { ports: [{ port: 443, targetPort: 8443, protocol: "http2" }] }),
    );
    expect(m.servicePorts("shop", "cart")).toEqual([{ port: 80, targetPort: 80, declared: false }]);
    expect(m.servicePorts("shop", "web")).toEqual([{ port: 443, targetPort: 8443, protocol: "http2", declared: true }]);
    expect(m.servicePorts("shop", "nobody")).toEqual([]);
    expect(m.destination("shop", "web")).toBeUndefined();
  });
});

describe("effective mTLS mode", () => {
  const m = model(
    mp("ns", { mode: "permissive" }),
    mp("svc", { destination: { service: "cart" }, mode: "strict", ports: { "9090": "disabled" } }),
    mp("other", { destination: { service: "pay", namespace: "bank" }, mode: "disabled" }),
  );

  test("precedence: the service policy's port key, then its mode, then the namespace-wide policy", () => {
    expect(m.mtlsMode("shop", "cart", 9090)).toMatchObject({
      mode: "disabled",
      scope: "port",
      pointer: "/spec/ports/9090",
      policy: { id: "MTLSPolicy/shop/svc" },
    });
    expect(m.mtlsMode("shop", "cart", 80)).toMatchObject({ mode: "strict", scope: "service", pointer: "/spec/mode", policy: { id: "MTLSPolicy/shop/svc" } });
    expect(m.mtlsMode("shop", "cart")).toMatchObject({ mode: "strict", scope: "service" });
    expect(m.mtlsMode("shop", "web", 9090)).toMatchObject({
      mode: "permissive",
      scope: "namespace",
      pointer: "/spec/mode",
      policy: { id: "MTLSPolicy/shop/ns" },
    });
  });

  test("a service policy in another namespace (destination.namespace) governs that namespace's service only", () => {
    expect(m.mtlsMode("bank", "pay", 80)).toMatchObject({ mode: "disabled", scope: "service", policy: { id: "MTLSPolicy/shop/other" } });
    expect(m.mtlsMode("bank", "other")).toBeUndefined();
    expect(m.mtlsMode("shop", "pay")).toMatchObject({ scope: "namespace" });
  });

  test("no policy: undefined (the mesh default applies)", () => {
    expect(model(tp("t", { destination: { service: "cart" }, timeout: "1s" })).mtlsMode("shop", "cart", 80)).toBeUndefined();
  });

  test("namespace-wide lookup; the namespaceMtls getter keeps listing them; answers are shared objects", () => {
    expect(m.namespaceMtlsPolicy("shop")?.id).toBe("MTLSPolicy/shop/ns");
    expect(m.namespaceMtlsPolicy("bank")).toBeUndefined();
    expect(m.namespaceMtls.map((e) => e.id)).toEqual(["MTLSPolicy/shop/ns"]);
    expect(m.mtlsMode("shop", "cart", 9090)).toBe(m.mtlsMode("shop", "cart", 9090));
    expect(m.mtlsMode("shop", "cart")?.policy).toBe(view(m, "cart").mtls);
  });
});

describe("Model.podPortMtls", () => {
  const svcPorts = ms("legacy", { ports: [{ port: 80, targetPort: 8080 }, { port: 8080 }, { port: 9102 }] });

  test("several Service ports reach one pod port: the strictest wins, the looser ones are listed", () => {
    const m = model(svcPorts, mp("legacy", { destination: { service: "legacy" }, mode: "strict", ports: { "80": "permissive", "9102": "disabled" } }));
    const v = view(m, "legacy");
    const r = m.podPortMtls(v, 8080)!;
    expect(r.effective).toMatchObject({ mode: "strict", pointer: "/spec/mode", scope: "service" });
    expect(r.looser.map((l) => `${l.port} ${l.effective.mode} ${l.effective.pointer}`)).toEqual(["80 permissive /spec/ports/80"]);
    expect(m.podPortMtls(v, 9102)).toMatchObject({ effective: { mode: "disabled", pointer: "/spec/ports/9102" }, looser: [] });
  });

  test("a pod port no Service port reaches gets the service's mode; no policy at all: undefined", () => {
    const m = model(
      svcPorts,
      mp("legacy", { destination: { service: "legacy" }, mode: "permissive" }),
      tp("other", { destination: { service: "other", port: 80 } }),
    );
    expect(m.podPortMtls(view(m, "legacy"), 7777)?.effective.mode).toBe("permissive");
    expect(m.podPortMtls(view(m, "other"), 80)).toBeUndefined();
  });
});

describe("services that share pods: Model.podSharers, podGroup and podPortMtls across them", () => {
  const reviews = ms("reviews", { ports: [{ port: 9080 }] });
  const v2 = ms("reviews-v2", { selector: { app: "reviews", version: "v2" }, ports: [{ port: 9080 }] });
  const v1 = ms("reviews-v1", { selector: { app: "reviews", version: "v1" }, ports: [{ port: 9080 }] });
  const canary = ms("reviews-canary", { selector: { app: "reviews", track: "canary" }, ports: [{ port: 9080 }] });
  const ratings = ms("ratings", { ports: [{ port: 9080 }] });

  test("equal or contained selectors share pods, and so may partly overlapping ones; conflicting ones and ones without a common label are not listed", () => {
    const team = ms("team-a", { selector: { team: "a" }, ports: [{ port: 9080 }] });
    const m = model(reviews, v1, v2, canary, ratings, team, ap("a", { destination: { service: "reviews" } }));
    expect(m.podSharers("shop", "reviews").map((s) => `${s.facts.name} ${s.relation}`)).toEqual([
      "reviews-canary narrower",
      "reviews-v1 narrower",
      "reviews-v2 narrower",
    ]);
    // reviews-v1 and reviews-v2 conflict (version); reviews-canary and reviews-v2 may meet on a pod with
    // both track: canary and version: v2: unknown, so treated as sharing (relation overlap).
    expect(m.podSharers("shop", "reviews-v2").map((s) => `${s.facts.name} ${s.relation}`)).toEqual(["reviews wider", "reviews-canary overlap"]);
    expect(m.podSharers("shop", "reviews-canary").map((s) => `${s.facts.name} ${s.relation}`)).toEqual([
      "reviews wider",
      "reviews-v1 overlap",
      "reviews-v2 overlap",
    ]);
    expect(m.podSharers("shop", "ratings")).toEqual([]);
    // No label in common with any: taken to be another workload.
    expect(m.podSharers("shop", "team-a")).toEqual([]);
    expect(m.podGroup("shop", "reviews-v2").map((f) => f.name)).toEqual(["reviews", "reviews-canary", "reviews-v1", "reviews-v2"]);
    expect(m.podSharers("shop", "reviews")[0].view).toBeUndefined();
    expect(m.podSharers("shop", "reviews-v2")[0].view).toBe(m.destination("shop", "reviews"));
  });

  test("a shared pod port enforces the strictest mode of every Service port reaching it, of every service of the group", () => {
    const m = model(reviews, v2, mp("ns", { mode: "strict" }), mp("v2", { destination: { service: "reviews-v2" }, mode: "permissive" }));
    const r = m.podPortMtls(view(m, "reviews-v2"), 9080)!;
    expect(r.effective).toMatchObject({ mode: "strict", scope: "namespace" });
    expect(r.from).toMatchObject({ port: 9080, service: "reviews" });
    expect(r.looser.map((l) => `${l.service ?? "self"}:${l.port} ${l.effective.mode}`)).toEqual(["self:9080 permissive"]);
    expect(m.groupMtls(view(m, "reviews-v2"))?.effective.mode).toBe("strict");
    // Without the sharing (a disjoint selector), reviews-v2's own permissive mode stands.
    const alone = model(
      reviews,
      ms("reviews-v2", { selector: { app: "reviews-2" }, ports: [{ port: 9080 }] }),
      mp("ns", { mode: "strict" }),
      mp("v2", { destination: { service: "reviews-v2" }, mode: "permissive" }),
    );
    expect(alone.podPortMtls(view(alone, "reviews-v2"), 9080)?.effective.mode).toBe("permissive");
  });
});
