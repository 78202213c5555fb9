/**
 * Access control on App Mesh: the allow-list is the callers' VirtualNode backends. A mistake here lets
 * a caller in that the model denies, or locks out one it allows.
 */
import { describe, expect, test } from "vitest";
import { appmesh, loadModel, translate } from "../../../src/index.js";
import { ap, backends, diags, errors, find, isDropAllNotice, mp, ok, run, svc, warnings } from "./helpers.js";
import { codeFamily } from "../../../src/api/diagnostics.js";

const services =
  svc("orders", "{ports: [{port: 8080}]}") +
  svc("frontend", "{serviceAccount: web}") +
  svc("checkout", "{ports: [{port: 9090}]}") +
  svc("reports", "{}") +
  svc("chaos", "{}", "ops") +
  svc("dashboard", "{}", "ops");
const strict = mp("strict", "  mode: strict");

describe("appmesh access", () => {
  test("a destination without AccessPolicy is listed by every VirtualNode (allow all)", () => {
    const objs = ok(services);
    for (const [node, ns] of [
      ["orders", "shop"],
      ["frontend", "shop"],
      ["checkout", "shop"],
      ["reports", "shop"],
      ["chaos", "ops"],
      ["dashboard", "ops"],
    ]) {
      expect(backends(objs, node, ns)).toEqual(ns === "shop" ? ["checkout", "orders"] : ["shop/checkout", "shop/orders"]);
    }
    expect(find(objs, "Mesh", "unimesh").spec.egressFilter).toEqual({ type: "ALLOW_ALL" });
  });

  test("only allowed callers list the destination; everyone else does not; DROP_ALL blocks the rest", () => {
    const objs = ok(services + strict + ap("orders-callers", "  destination: {service: orders}\n  allow:\n    - source: {serviceAccounts: [web, ops/chaos]}"));
    expect(backends(objs, "frontend")).toEqual(["checkout", "orders"]); // runs as service account web
    expect(backends(objs, "chaos", "ops")).toEqual(["shop/checkout", "shop/orders"]);
    expect(backends(objs, "checkout")).toEqual(["checkout"]);
    expect(backends(objs, "reports")).toEqual(["checkout"]);
    expect(backends(objs, "orders")).toEqual(["checkout"]); // not even itself
    expect(backends(objs, "dashboard", "ops")).toEqual(["shop/checkout"]);
    const mesh = find(objs, "Mesh", "unimesh");
    expect(mesh.spec.egressFilter).toEqual({ type: "DROP_ALL" });
    expect(mesh.metadata.annotations["unimesh.io/policies"]).toBe("AccessPolicy/shop/orders-callers");
    expect(find(objs, "VirtualNode", "frontend").metadata.annotations["unimesh.io/policies"]).toBe("AccessPolicy/shop/orders-callers");
  });

  test("a caller named only by service account gets a VirtualNode by convention (app: <sa>), with no listener", () => {
    const objs = ok(
      svc("orders", "{ports: [{port: 8080}]}") +
        strict +
        ap("p", "  destination: {service: orders, port: 8080}\n  allow:\n    - source: {serviceAccounts: [billing]}"),
    );
    const vn = find(objs, "VirtualNode", "billing");
    expect(vn.spec.podSelector).toEqual({ matchLabels: { app: "billing" } });
    expect(vn.spec).not.toHaveProperty("listeners");
    expect(vn.spec).not.toHaveProperty("serviceDiscovery");
    expect(backends(objs, "billing")).toEqual(["orders"]);
    expect(backends(objs, "orders")).toEqual([]);
  });

  test("deny rules remove callers at service level: a namespace allowed, one service account of it denied", () => {
    const r = run(
      services +
        strict +
        ap("p", "  destination: {service: orders}\n  allow:\n    - source: {namespaces: [ops]}\n  deny:\n    - source: {serviceAccounts: [ops/chaos]}"),
    );
    expect(r.ok).toBe(true);
    expect(backends(r.resources, "dashboard", "ops")).toContain("shop/orders");
    expect(backends(r.resources, "chaos", "ops")).not.toContain("shop/orders");
    expect(backends(r.resources, "frontend")).not.toContain("orders");
    // App Mesh cannot select by namespace: the expansion is stated.
    expect(warnings(r).map((d) => [d.pointer, d.message])).toEqual([
      ["/spec/allow/0/source/namespaces", expect.stringContaining('"ops" stands for the VirtualNodes unimesh generates there (chaos, dashboard)')],
    ]);
  });

  test("a deny rule without source denies every caller; an AccessPolicy without rules too", () => {
    for (const spec of ["  destination: {service: orders}\n  allow:\n    - {}\n  deny:\n    - {}", "  destination: {service: orders}"]) {
      const objs = ok(services + strict + ap("p", spec));
      for (const n of ["orders", "frontend", "checkout", "reports"]) expect(backends(objs, n)).not.toContain("orders");
    }
  });

  test("callers without a sidecar are only stopped by strict mTLS: an error per AccessPolicy otherwise, unless caller-side-access", () => {
    const policy = ap("p", "  destination: {service: orders}\n  allow:\n    - source: {serviceAccounts: [web]}");
    const r = run(services + policy);
    expect(r.ok).toBe(false);
    expect(errors(r).map((d) => [codeFamily(d.code), d.pointer, d.policy, d.feature])).toEqual([
      ["adapter/unsupported-value", "/spec/destination", "AccessPolicy/shop/p", "access"],
    ]);
    expect(errors(r)[0].message).toContain("a pod without an App Mesh sidecar reaches it in plaintext, unchecked");
    expect(errors(r)[0].message).toContain("accepts plaintext on pod port 8080 (no MTLSPolicy: plaintext)");
    expect(errors(r)[0].message).toContain("add an MTLSPolicy with mode strict for shop/orders");
    // Permissive is not enough either: plaintext carries no identity.
    expect(errors(run(services + mp("m", "  mode: permissive") + policy))[0].message).toContain("accepts plaintext on pod port 8080 (permissive)");
    // Opted in: a warning (approximation) instead.
    const approx = run(services + policy, { allow: ["caller-side-access"] });
    expect(approx.ok).toBe(true);
    expect(warnings(approx).map((d) => [codeFamily(d.code), d.pointer])).toEqual([["adapter/approximation", "/spec/destination"]]);
    // Open to any caller (plaintext included): nothing to enforce, no diagnostic.
    expect(diags(run(services + ap("p", "  destination: {service: orders}\n  allow:\n    - {}")))).toEqual([]);
  });

  test("L7 conditions: one error per field without the opt-in, naming field, version and what to do", () => {
    const r = run(
      services +
        strict +
        ap(
          "p",
          '  destination: {service: orders}\n  allow:\n    - source: {serviceAccounts: [web]}\n      methods: [GET]\n      paths: ["/orders/*"]\n      headers: {x-tenant: [a]}\n  deny:\n    - paths: ["/admin/*"]',
        ),
    );
    expect(r.ok).toBe(false);
    expect(r.resources).toEqual([]);
    expect(errors(r).map((d) => [codeFamily(d.code), d.pointer, d.feature, d.policy])).toEqual([
      ["adapter/unsupported-feature", "/spec/allow/0/methods", "accessL7", "AccessPolicy/shop/p"],
      ["adapter/unsupported-feature", "/spec/allow/0/paths", "accessL7", "AccessPolicy/shop/p"],
      ["adapter/unsupported-feature", "/spec/allow/0/headers", "accessL7", "AccessPolicy/shop/p"],
      ["adapter/unsupported-feature", "/spec/deny/0/paths", "accessL7", "AccessPolicy/shop/p"],
    ]);
    for (const d of errors(r)) {
      expect(d.message).toContain("App Mesh 1.13");
      expect(d.message).toContain('allowApproximations ["service-level-access"]');
      expect(d.message).toContain("--mesh istio");
    }
    expect(errors(r)[0].message).toMatch(/^methods: /);
  });

  test("with service-level-access: the caller gets the whole service, a deny with conditions is dropped, a warning per rule", () => {
    const r = run(
      services +
        strict +
        ap(
          "p",
          '  destination: {service: orders}\n  allow:\n    - source: {serviceAccounts: [web]}\n      methods: [GET]\n  deny:\n    - source: {serviceAccounts: [web]}\n      paths: ["/admin/*"]',
        ),
      { allow: ["service-level-access"] },
    );
    expect(r.ok).toBe(true);
    expect(backends(r.resources, "frontend")).toContain("orders");
    expect(backends(r.resources, "checkout")).not.toContain("orders");
    expect(warnings(r).map((d) => [codeFamily(d.code), d.pointer, d.feature])).toEqual([
      ["adapter/approximation", "/spec/allow/0", "accessL7"],
      ["adapter/approximation", "/spec/deny/0", "accessL7"],
    ]);
    expect(warnings(r)[0].message).toContain("service account shop/web may call every method, path and port of shop/orders");
    expect(warnings(r)[1].message).toContain("this deny rule is NOT enforced");
  });

  test("ports: vacuous when they cover every port of the destination, a condition otherwise", () => {
    const vacuous = run(services + strict + ap("p", "  destination: {service: orders}\n  allow:\n    - source: {serviceAccounts: [web]}\n      ports: [8080]"));
    expect(vacuous.ok).toBe(true);
    const two = svc("api", "{ports: [{port: 80, targetPort: 8080}, {port: 9090}]}");
    const r = run(two + strict + ap("p", "  destination: {service: api, port: 9090}\n  allow:\n    - source: {serviceAccounts: [web]}\n      ports: [80]"));
    expect(errors(r).map((d) => d.pointer)).toEqual(["/spec/destination/port", "/spec/allow/0/ports"]);
  });

  test("ipBlocks cannot be expressed", () => {
    const r = run(services + strict + ap("p", "  destination: {service: orders}\n  allow:\n    - source: {ipBlocks: [10.0.0.0/8]}"), {
      allow: ["service-level-access"],
    });
    expect(errors(r).map((d) => [codeFamily(d.code), d.pointer])).toEqual([["adapter/unsupported-value", "/spec/allow/0/source/ipBlocks"]]);
  });

  test("an allowed destination without a known port is an error (no VirtualService to list)", () => {
    const r = run(strict + ap("p", "  destination: {service: orders}\n  allow:\n    - source: {serviceAccounts: [web]}"), { allow: ["caller-side-access"] });
    expect(errors(r).map((d) => [d.pointer, d.message])).toEqual([
      ["/spec/destination", expect.stringContaining("no port of it is known; declare its ports in a MeshService")],
    ]);
    // Nobody allowed: no port needed for the backends; but without declared ports strict mTLS everywhere cannot be known.
    expect(run(strict + ap("p", "  destination: {service: vault}"), { allow: ["caller-side-access"] }).ok).toBe(true);
    expect(errors(run(strict + ap("p", "  destination: {service: vault}")))[0].message).toContain("has no declared ports");
  });

  test("DROP_ALL chosen because of AccessPolicies blocks all egress outside the mesh: a warning saying so and how to let a host through (issue #9)", () => {
    const r = run(services + strict + ap("p", "  destination: {service: orders}\n  allow:\n    - {}"));
    const notice = r.diagnostics.filter(isDropAllNotice);
    expect(notice.map((d) => [d.severity, codeFamily(d.code)])).toEqual([["warning", "adapter/note"]]);
    expect(notice[0].message).toContain("reach only this mesh's VirtualServices and *.amazonaws.com");
    expect(notice[0].message).toContain("serviceDiscovery.dns.hostname");
    expect(notice[0].message).toContain("--set egressFilter=DROP_ALL acknowledges this");
    expect(run(services + strict + ap("p", "  destination: {service: orders}\n  allow:\n    - {}"), { strict: true }).ok).toBe(false);
    // Chosen by the user, or no AccessPolicy (ALLOW_ALL): no warning.
    expect(
      run(services + strict + ap("p", "  destination: {service: orders}\n  allow:\n    - {}"), { settings: { egressFilter: "DROP_ALL" } }).diagnostics.filter(
        isDropAllNotice,
      ),
    ).toEqual([]);
    expect(run(services).diagnostics.filter(isDropAllNotice)).toEqual([]);
  });

  test("egressFilter=ALLOW_ALL would let callers around the allow-list: error per AccessPolicy", () => {
    const r = run(services + strict + ap("p", "  destination: {service: orders}\n  allow:\n    - {}"), { settings: { egressFilter: "ALLOW_ALL" } });
    expect(errors(r).map((d) => [d.pointer, d.policy])).toEqual([["/spec", "AccessPolicy/shop/p"]]);
    expect(ok(services, { settings: { egressFilter: "drop_all" } }).find((o) => o.kind === "Mesh")!.spec).toMatchObject({ egressFilter: { type: "DROP_ALL" } });
  });
});

describe("appmesh ports named only by an access rule", () => {
  test("without a MeshService, a port an allow rule names is a port of the service: listener, router listener and Service port", () => {
    const text =
      `apiVersion: unimesh.io/v1alpha1\nkind: TrafficPolicy\nmetadata: {name: cart, namespace: shop}\nspec:\n  destination: {service: cart, port: 80}\n  timeout: 2s\n---\n` +
      ap("cart-callers", "  destination: {service: cart}\n  allow:\n    - source: {serviceAccounts: [web]}\n      ports: [9090]");
    const objs = ok(text, { allow: ["service-level-access", "caller-side-access"] });
    expect(find(objs, "VirtualNode", "cart").spec.listeners.map((l: any) => l.portMapping.port)).toEqual([80, 9090]);
    expect(find(objs, "VirtualRouter", "cart").spec.listeners.map((l: any) => l.portMapping.port)).toEqual([80, 9090]);
    expect(find(objs, "Service", "cart-appmesh").spec.ports.map((p: any) => p.port)).toEqual([80, 9090]);
  });
});

describe("appmesh port conditions on a service whose ports are only guessed", () => {
  // The guessed ports come from the policies, this rule's own port among them: the condition would look
  // vacuous ("every port") and open the whole service. It must need the service-level approximation.
  test.each([
    ["an allow rule's ports", "  destination: {service: api}\n  allow:\n    - source: {serviceAccounts: [web]}\n      ports: [8080]", "/spec/allow/0/ports"],
    [
      "an allow policy's destination.port",
      "  destination: {service: api, port: 8080}\n  allow:\n    - source: {serviceAccounts: [web]}",
      "/spec/destination/port",
    ],
    [
      "a deny rule's ports",
      "  destination: {service: api}\n  allow:\n    - source: {serviceAccounts: [web, batch]}\n  deny:\n    - source: {serviceAccounts: [batch]}\n      ports: [9090]",
      "/spec/deny/0/ports",
    ],
  ])("%s: an error without the approximation", (_what, spec, pointer) => {
    const r = run(svc("web", "{ports: [{port: 80}]}") + svc("batch", "{ports: [{port: 80}]}") + ap("api-callers", spec), { allow: ["caller-side-access"] });
    expect(errors(r).map((d) => `${d.pointer} ${codeFamily(d.code)}`)).toEqual([`${pointer} adapter/unsupported-feature`]);
  });

  test("declared ports: a rule naming every Service port is vacuous, one naming some of them is a condition", () => {
    const rule = (ports: string) =>
      ap("api-callers", `  destination: {service: api}\n  allow:\n    - source: {serviceAccounts: [web]}\n      ports: [${ports}]`);
    const web = svc("web", "{ports: [{port: 80}]}") + strict;
    expect(errors(run(svc("api", "{ports: [{port: 80, targetPort: 8080}]}") + web + rule("80")))).toEqual([]);
    expect(errors(run(svc("api", "{ports: [{port: 80}, {port: 81}]}") + web + rule("80"))).map((d) => d.pointer)).toEqual(["/spec/allow/0/ports"]);
  });
});

describe("appmesh mTLS checks who the caller is: the destination listener's subjectAlternativeNames (issue #9)", () => {
  const sans = (objs: any[], node: string, ns = "shop") =>
    find(objs, "VirtualNode", node, ns).spec.listeners.map((l: any) => l.tls?.validation.subjectAlternativeNames?.match.exact);
  const id = (ns: string, sa: string) => `spiffe://cluster.local/ns/${ns}/sa/${sa}`;

  test("only the allowed callers' SPIFFE IDs, exactly as App Mesh's SDS walkthrough writes them", () => {
    const objs = ok(services + strict + ap("orders-callers", "  destination: {service: orders}\n  allow:\n    - source: {serviceAccounts: [web, ops/chaos]}"));
    const tls = find(objs, "VirtualNode", "orders").spec.listeners[0].tls;
    expect(tls).toEqual({
      certificate: { sds: { secretName: id("shop", "orders") } },
      mode: "STRICT",
      validation: {
        subjectAlternativeNames: { match: { exact: [id("ops", "chaos"), id("shop", "web")] } },
        trust: { sds: { secretName: "spiffe://cluster.local" } },
      },
    });
    // Destinations without an AccessPolicy trust every certificate of the bundle (any caller may call).
    expect(sans(objs, "checkout")).toEqual([undefined]);
  });

  test("a service account no known service runs as is still matched exactly by its SPIFFE ID", () => {
    const objs = ok(services + strict + ap("p", "  destination: {service: orders}\n  allow:\n    - source: {serviceAccounts: [billing/invoicer]}"));
    expect(sans(objs, "orders")).toEqual([[id("billing", "invoicer")]]);
  });

  test("any authenticated caller (*) and any caller: no SAN list; minus a denied identity: the known services' identities (a warning)", () => {
    expect(sans(ok(services + strict + ap("p", '  destination: {service: orders}\n  allow:\n    - source: {serviceAccounts: ["*"]}')), "orders")).toEqual([
      undefined,
    ]);
    expect(sans(ok(services + strict + ap("p", "  destination: {service: orders}\n  allow:\n    - {}")), "orders")).toEqual([undefined]);
    const r = run(
      services +
        strict +
        ap("p", '  destination: {service: orders}\n  allow:\n    - source: {serviceAccounts: ["*"]}\n  deny:\n    - source: {serviceAccounts: [ops/chaos]}'),
    );
    expect(r.ok).toBe(true);
    expect(sans(r.resources, "orders")).toEqual([
      [id("ops", "dashboard"), id("shop", "checkout"), id("shop", "orders"), id("shop", "reports"), id("shop", "web")],
    ]);
    expect(warnings(r).map((d) => d.message)).toEqual([
      expect.stringContaining('"any authenticated caller except the denied ones" becomes the identities of the services unimesh knows'),
    ]);
  });

  test("a namespace stands for the identities of the services unimesh knows there, minus denied ones", () => {
    const objs = ok(
      services +
        strict +
        ap("p", "  destination: {service: orders}\n  allow:\n    - source: {namespaces: [ops]}\n  deny:\n    - source: {serviceAccounts: [ops/chaos]}"),
    );
    expect(sans(objs, "orders")).toEqual([[id("ops", "dashboard")]]);
  });

  test("nobody allowed: an identity no workload has (an empty list would accept every certificate)", () => {
    for (const spec of [
      "  destination: {service: orders}",
      "  destination: {service: orders}\n  allow:\n    - source: {serviceAccounts: [web]}\n  deny:\n    - {}",
    ]) {
      expect(sans(ok(services + strict + ap("p", spec)), "orders")).toEqual([["spiffe://cluster.local/unimesh/no-caller-is-allowed"]]);
    }
  });

  test("subset VirtualNodes carry the same check, in the model's trust domain", () => {
    const text =
      services +
      strict +
      ap("p", "  destination: {service: orders}\n  allow:\n    - source: {serviceAccounts: [web]}") +
      `apiVersion: unimesh.io/v1alpha1\nkind: TrafficPolicy\nmetadata: {name: canary, namespace: shop}\nspec:\n  destination: {service: orders}\n  routes:\n    - split: [{subset: {version: v2}}]\n`;
    const objs = ok(text);
    expect(sans(objs, "orders-v2")).toEqual([[id("shop", "web")]]);
    const loaded = loadModel([{ file: "t.yaml", text }], { trustDomain: "prod.example" });
    const r = translate(loaded.model, { adapter: appmesh, version: "1.13" });
    expect(sans(r.resources, "orders")).toEqual([["spiffe://prod.example/ns/shop/sa/web"]]);
  });
});

describe("appmesh access: negative conditions", () => {
  test("notServiceAccounts / notNamespaces leave those callers' VirtualNodes out, exactly (one service account per node)", () => {
    const objs = ok(
      services +
        strict +
        ap(
          "orders-callers",
          '  destination: {service: orders}\n  allow:\n    - source: {serviceAccounts: ["*"], notServiceAccounts: [web], notNamespaces: [ops]}',
        ),
    );
    expect(backends(objs, "frontend")).toEqual(["checkout"]);
    expect(backends(objs, "chaos", "ops")).toEqual(["shop/checkout"]);
    expect(backends(objs, "reports")).toEqual(["checkout", "orders"]);
    expect(backends(objs, "checkout")).toEqual(["checkout", "orders"]);
  });

  test("a deny of everyone but one service account removes every other caller", () => {
    const objs = ok(
      services + strict + ap("orders-callers", "  destination: {service: orders}\n  allow: [{}]\n  deny:\n    - source: {notServiceAccounts: [web]}"),
    );
    expect(backends(objs, "frontend")).toEqual(["checkout", "orders"]);
    expect(backends(objs, "reports")).toEqual(["checkout"]);
    expect(backends(objs, "chaos", "ops")).toEqual(["shop/checkout"]);
  });

  test("the destination's SANs follow the exclusions: never a wildcard that would accept an excluded identity", () => {
    const sans = (objs: any[]) => find(objs, "VirtualNode", "orders").spec.listeners.map((l: any) => l.tls?.validation.subjectAlternativeNames?.match.exact);
    const id = (ns: string, sa: string) => `spiffe://cluster.local/ns/${ns}/sa/${sa}`;
    const but = run(
      services + strict + ap("p", '  destination: {service: orders}\n  allow:\n    - source: {serviceAccounts: ["*"], notServiceAccounts: [web]}'),
    );
    expect(sans(but.resources)).toEqual([[id("ops", "chaos"), id("ops", "dashboard"), id("shop", "checkout"), id("shop", "orders"), id("shop", "reports")]]);
    expect(warnings(but).map((d) => d.message)).toContainEqual(
      expect.stringContaining('"every caller except the denied or excluded ones" becomes the identities of the services unimesh knows'),
    );
    expect(
      sans(ok(services + strict + ap("p", "  destination: {service: orders}\n  allow: [{}]\n  deny:\n    - source: {notServiceAccounts: [web]}"))),
    ).toEqual([[id("shop", "web")]]);
    expect(
      sans(
        ok(
          services +
            strict +
            ap(
              "p",
              "  destination: {service: orders}\n  allow:\n    - source: {serviceAccounts: [web, reports]}\n  deny:\n    - source: {namespaces: [shop], notServiceAccounts: [web]}",
            ),
        ),
      ),
    ).toEqual([[id("shop", "web")]]);
  });

  test("notIpBlocks: an error; notMethods/notPaths/notPorts/notHeaders: errors unless service-level-access", () => {
    expect(
      errors(
        run(services + strict + ap("a", "  destination: {service: orders}\n  allow:\n    - source: {serviceAccounts: [web], notIpBlocks: [10.0.0.0/8]}")),
      ).map((d) => d.pointer),
    ).toEqual(["/spec/allow/0/source/notIpBlocks"]);
    const l7 = ap(
      "a",
      "  destination: {service: orders}\n  allow:\n    - notMethods: [DELETE]\n      notPaths: [/admin]\n      notPorts: [8080]\n      notHeaders: {x-env: [staging]}",
    );
    expect(
      errors(run(services + strict + l7))
        .map((d) => `${d.pointer} ${d.feature}`)
        .sort(),
    ).toEqual([
      "/spec/allow/0/notHeaders accessNegation",
      "/spec/allow/0/notMethods accessNegation",
      "/spec/allow/0/notPaths accessNegation",
      "/spec/allow/0/notPorts accessNegation",
    ]);
    expect(run(services + strict + l7, { allow: ["service-level-access"] }).ok).toBe(true);
  });
});
