/**
 * What App Mesh cannot express, mTLS, the Mesh object, the deprecation notice and the settings.
 */
import { describe, expect, test } from "vitest";
import { appmesh, FEATURES, loadModel, translate } from "../../../src/index.js";
import { ap, backends, errors, find, mp, ok, run, svc, tp, warnings } from "./helpers.js";
import { codeFamily, isCodeIn } from "../../../src/api/diagnostics.js";

const api = svc("api", "{ports: [{port: 8080}]}");

describe("appmesh unsupported features", () => {
  test.each([
    ["faultInjection", "  faultInjection: {abort: {httpStatus: 503}}", "/spec/faultInjection", "aws/aws-app-mesh-roadmap#36"],
    ["mirror", "  mirror: {service: audit}", "/spec/mirror", "--mesh istio"],
    ["headers", "  headers: {request: {set: {x-a: b}}}", "/spec/headers", "--mesh istio"],
    ["cors", '  cors: {allowOrigins: [{exact: "https://a.example"}]}', "/spec/cors", "--mesh istio"],
    ["rewrite", "  routes:\n    - match: {path: {prefix: /a/}}\n      rewrite: {path: {replacePrefixMatch: /}}", "/spec/routes/0/rewrite", "GatewayRoute"],
    ["redirect", "  routes:\n    - redirect: {scheme: https}", "/spec/routes/0/redirect", "--mesh istio"],
    ["directResponse", "  routes:\n    - directResponse: {status: 503}", "/spec/routes/0/directResponse", "--mesh istio"],
    ["loadBalancer", "  loadBalancer: {algorithm: least-request}", "/spec/loadBalancer", "--mesh istio"],
    ["rateLimit", "  rateLimit: {requestsPerSecond: 10}", "/spec/rateLimit", "aws/aws-app-mesh-roadmap#107"],
    ["trafficSource", "  source: {serviceAccounts: [web]}\n  timeout: 1s", "/spec/source", "--mesh istio"],
  ])("%s: exactly one error naming the policy, the field, the mesh version and what to do", (feature, spec, pointer, hint) => {
    const r = run(api + tp("p", `  destination: {service: api}\n${spec}`));
    expect(r.ok).toBe(false);
    const errs = errors(r);
    expect(errs.map((d) => [codeFamily(d.code), d.feature, d.policy, d.pointer, d.adapter])).toEqual([
      ["adapter/unsupported-feature", feature, "TrafficPolicy/shop/p", pointer, "appmesh@1.13"],
    ]);
    const field = pointer.split("/").pop()!;
    expect(errs[0].message.startsWith(`${field}: App Mesh 1.13 `)).toBe(true);
    expect(errs[0].message).toContain(hint);
  });

  test("capabilities cover every feature, and every 'none' is reported by translate", () => {
    const caps = appmesh.capabilities("1.13");
    expect(Object.keys(caps).sort()).toEqual([...FEATURES].sort());
    expect(FEATURES.filter((f) => caps[f].support === "none").sort()).toEqual([
      "cors",
      "crossCluster",
      "directResponse",
      "faultInjection",
      "headers",
      "loadBalancer",
      "mirror",
      "rateLimit",
      "redirect",
      "requestAuthentication",
      "rewrite",
      "trafficSource",
      "wasmExtension",
    ]);
    // accessL7 is partial: ports that name every port of the destination are no condition (exact).
    expect(caps.accessL7.support).toBe("partial");
  });
});

describe("appmesh mtls", () => {
  test("strict: listener STRICT with SDS certificates; callers originate mTLS and check the SPIFFE ID", () => {
    const objs = ok(api + svc("web", "{serviceAccount: frontend}") + mp("strict", "  mode: strict"));
    const listener = find(objs, "VirtualNode", "api").spec.listeners[0];
    expect(listener.tls).toEqual({
      mode: "STRICT",
      certificate: { sds: { secretName: "spiffe://cluster.local/ns/shop/sa/api" } },
      validation: { trust: { sds: { secretName: "spiffe://cluster.local" } } },
    });
    const web = find(objs, "VirtualNode", "web");
    expect(web.spec.backends).toEqual([
      {
        virtualService: {
          virtualServiceRef: { name: "api" },
          clientPolicy: {
            tls: {
              enforce: true,
              certificate: { sds: { secretName: "spiffe://cluster.local/ns/shop/sa/frontend" } },
              validation: {
                trust: { sds: { secretName: "spiffe://cluster.local" } },
                subjectAlternativeNames: { match: { exact: ["spiffe://cluster.local/ns/shop/sa/api"] } },
              },
            },
          },
        },
      },
    ]);
    expect(web.metadata.annotations?.["unimesh.io/policies"]).toBeUndefined(); // no listener: no MTLSPolicy applies to it
    expect(find(objs, "Mesh", "unimesh").metadata.annotations["unimesh.io/setup"]).toContain("--enable-sds=true");
  });

  test("per-port modes: permissive, disabled (no tls); client TLS only on the TLS ports", () => {
    const two = svc("api", "{ports: [{port: 8080}, {port: 9102}]}");
    const objs = ok(two + mp("legacy", '  destination: {service: api}\n  mode: permissive\n  ports: {"9102": disabled}'));
    const [l8080, l9102] = find(objs, "VirtualNode", "api").spec.listeners;
    expect(l8080.tls.mode).toBe("PERMISSIVE");
    expect(l9102).not.toHaveProperty("tls");
    expect(find(objs, "VirtualNode", "api").spec.backends[0].virtualService.clientPolicy.tls.ports).toEqual([8080]);
  });

  test("per-port keys are Service ports, mapped to their pod ports (never compared with pod ports)", () => {
    // Service port 80 → pod 8080, Service port 8080 → pod 9090; the override names Service port 8080.
    const shifted = svc("api", "{ports: [{port: 80, targetPort: 8080}, {port: 8080, targetPort: 9090}]}");
    const r = run(shifted + mp("m", '  destination: {service: api}\n  mode: strict\n  ports: {"8080": permissive}'));
    expect(errors(r)).toEqual([]);
    expect(warnings(r)).toEqual([]);
    const listeners = find(r.resources, "VirtualNode", "api").spec.listeners;
    expect(listeners.map((l: any) => [l.portMapping.port, l.tls?.mode])).toEqual([
      [8080, "STRICT"],
      [9090, "PERMISSIVE"],
    ]);
  });

  test("Service ports sharing one pod port with different modes: the listener gets the strictest, with a warning", () => {
    const shared = svc("api", "{ports: [{port: 80, targetPort: 8080}, {port: 81, targetPort: 8080}]}");
    const r = run(shared + mp("m", '  destination: {service: api}\n  mode: strict\n  ports: {"81": permissive}'));
    expect(warnings(r).map((d) => [codeFamily(d.code), d.pointer])).toEqual([["adapter/conflict", "/spec/ports/81"]]);
    expect(find(r.resources, "VirtualNode", "api").spec.listeners[0].tls.mode).toBe("STRICT");
  });

  test("a per-port key that is only a pod port is no Service port: rejected by validation (rule/unknown-port)", () => {
    const loaded = loadModel([
      {
        file: "t.yaml",
        text: svc("api", "{ports: [{port: 80, targetPort: 8080}]}") + mp("m", '  destination: {service: api}\n  mode: permissive\n  ports: {"8080": strict}'),
      },
    ]);
    expect(loaded.diagnostics.filter((d) => d.severity === "error").map((d) => `${d.pointer} ${codeFamily(d.code)}`)).toEqual([
      "/spec/ports/8080 rule/unknown-port",
    ]);
  });

  test("a service-level MTLSPolicy on a service whose ports are only guessed is an error (another port would get no TLS)", () => {
    const r = run(mp("m", '  destination: {service: api}\n  mode: strict\n  ports: {"8080": disabled}'));
    expect(errors(r).map((d) => [d.pointer, codeFamily(d.code)])).toEqual([["/spec/mode", "adapter/unsupported-value"]]);
    expect(errors(r)[0].message).toContain("the service's ports are not declared (the policies name 8080)");
  });

  test("a namespace-wide MTLSPolicy on a service whose ports are only guessed: a warning naming it, and no 'strict everywhere' shortcut", () => {
    const r = run(
      mp("ns", "  mode: strict") +
        tp("reviews", "  destination: {service: reviews, port: 9080}\n  timeout: 2s") +
        ap("callers", "  destination: {service: reviews}\n  allow:\n    - source: {serviceAccounts: [productpage]}"),
      { allow: ["service-level-access", "caller-side-access"] },
    );
    expect(r.ok).toBe(true);
    const w = warnings(r).filter((d) => d.feature === "mtls");
    expect(w.map((d) => `${d.pointer} ${codeFamily(d.code)}`)).toEqual(["/spec/mode adapter/unsupported-value"]);
    expect(w[0].message).toContain("the ports of reviews (9080) in shop are only guessed");
    // Strict on the guessed listener is not strict on every port: access is only approximated (caller side).
    expect(
      warnings(r).some((d) => d.feature === "access" && isCodeIn(d.code, "adapter/approximation") && d.message.includes("without an App Mesh sidecar")),
    ).toBe(true);
    // Without that opt-in: an error.
    const r2 = run(
      mp("ns", "  mode: strict") +
        tp("reviews", "  destination: {service: reviews, port: 9080}\n  timeout: 2s") +
        ap("callers", "  destination: {service: reviews}\n  allow:\n    - source: {serviceAccounts: [productpage]}"),
    );
    expect(errors(r2).map((d) => `${d.pointer} ${d.feature}`)).toEqual(["/spec/destination access"]);
  });

  test("a service-level MTLSPolicy for a service without known ports is an error", () => {
    const r = run(mp("legacy", "  destination: {service: legacy}\n  mode: permissive"));
    expect(errors(r).map((d) => [d.pointer, d.feature])).toEqual([["/spec/destination", "mtls"]]);
  });

  test("trust domain of the model", () => {
    const loaded = loadModel([{ file: "t.yaml", text: api + mp("strict", "  mode: strict") }], { trustDomain: "prod.example" });
    const r = translate(loaded.model, { adapter: appmesh });
    const l = (r.resources.find((o) => o.kind === "VirtualNode") as any).spec.listeners[0];
    expect(l.tls.certificate.sds.secretName).toBe("spiffe://prod.example/ns/shop/sa/api");
    expect(l.tls.validation.trust.sds.secretName).toBe("spiffe://prod.example");
  });
});

describe("appmesh mesh, deprecation and settings", () => {
  test("every translation carries the end-of-support notice: info diagnostic and Mesh annotation", () => {
    const r = run(api);
    const notice = r.diagnostics.filter((d) => isCodeIn(d.code, "adapter/deprecated-mesh"));
    expect(notice.map((d) => [d.severity, d.adapter])).toEqual([["info", "appmesh@1.13"]]);
    expect(notice[0].message).toContain("2026-09-30");
    for (const hint of ["--mesh istio", "--mesh linkerd", "Gateway API", "VPC Lattice"]) expect(notice[0].message).toContain(hint);
    expect(find(r.resources, "Mesh", "unimesh").metadata.annotations["unimesh.io/deprecation"]).toBe(notice[0].message);
  });

  test("--strict stays usable: the notice is info, so a clean model translates", () => {
    const r = run(api + tp("p", "  destination: {service: api}\n  timeout: 1s"), { strict: true });
    expect(r.ok).toBe(true);
    expect(r.diagnostics.filter((d) => d.severity !== "info")).toEqual([]);
  });

  test("the Mesh: cluster-scoped, named by meshName, selecting namespaces by the mesh label", () => {
    const objs = ok(api + svc("b", "{}", "other"), { settings: { meshName: "prod" } });
    const mesh = find(objs, "Mesh", "prod");
    expect(mesh.metadata).not.toHaveProperty("namespace");
    expect(mesh.spec).toEqual({ namespaceSelector: { matchLabels: { mesh: "prod" } }, egressFilter: { type: "ALLOW_ALL" } });
    expect(mesh.metadata.annotations["unimesh.io/setup"]).toBe(
      "label the namespaces other, shop with mesh=prod and appmesh.k8s.aws/sidecarInjectorWebhook=enabled; callers must use the full service names (<service>.<namespace>.svc.cluster.local), the VirtualService names",
    );
    // No meshRef: the controller's webhook fills it from the namespace selector.
    for (const o of objs) expect((o as any).spec).not.toHaveProperty("meshRef");
  });

  test("settings: clusterDomain; unknown keys are a usage error (the core checks them); bad values are errors", () => {
    const objs = ok(api, { settings: { clusterDomain: "corp.internal" } });
    expect(find(objs, "VirtualService", "api").spec.awsName).toBe("api.shop.svc.corp.internal");
    expect(find(objs, "VirtualNode", "api").spec.serviceDiscovery.dns.hostname).toBe("api-appmesh.shop.svc.corp.internal");
    expect(() => run(api, { settings: { meshname: "x" } })).toThrow(
      'appmesh has no setting "meshname"; its settings are: trustDomain, meshName, clusterDomain, egressFilter',
    );
    expect(errors(run(api, { settings: { meshName: "Not_Valid" } }))).toHaveLength(1);
    expect(errors(run(api, { settings: { egressFilter: "sometimes" } }))).toHaveLength(1);
  });

  test("versions: 1.13 (default) and its patch versions", () => {
    expect(appmesh.versions).toEqual(["1.13"]);
    expect(appmesh.defaultVersion).toBe("1.13");
    const loaded = loadModel([{ file: "t.yaml", text: api }]);
    expect(translate(loaded.model, { adapter: appmesh, version: "1.13.3" }).mesh).toBe("appmesh@1.13");
    expect(() => translate(loaded.model, { adapter: appmesh, version: "1.12" })).toThrow(/supported versions: 1.13/);
  });

  test("two services whose selectors overlap would select the same pods twice: conflict", () => {
    const r = run(svc("web", "{selector: {app: web}}") + svc("web-canary", "{selector: {app: web, track: canary}}"));
    expect(errors(r).map((d) => [codeFamily(d.code), d.policy, d.pointer])).toEqual([["adapter/conflict", "MeshService/shop/web-canary", "/spec/selector"]]);
    expect(errors(r)[0].message).toContain("membership_designator.go");
  });

  test("a subset node whose name is taken by a service gets a hash suffix", () => {
    const objs = ok(
      svc("api-v2", "{ports: [{port: 8080}]}") + tp("p", "  destination: {service: api, port: 8080}\n  routes:\n    - split: [{subset: {version: v2}}]"),
    );
    const target = find(objs, "VirtualRouter", "api").spec.routes[0].httpRoute.action.weightedTargets[0].virtualNodeRef.name;
    expect(target).toMatch(/^api-v2-[0-9a-f]{8}$/);
    expect(find(objs, "VirtualNode", "api-v2").spec.podSelector).toEqual({ matchLabels: { app: "api-v2" } });
    expect(backends(objs, "api-v2")).toEqual(["api", "api-v2"]);
  });
});
