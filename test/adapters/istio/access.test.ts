/**
 * AuthorizationPolicy rules of the Istio adapter: the ones where a mistake lets in someone who should not be.
 */
import { loadModel } from "../../../src/index.js";
import { describe, expect, test } from "vitest";
import { errors, find, H, ok, run, warnings } from "./helpers.js";
import { isCodeIn, codeFamily } from "../../../src/api/diagnostics.js";

const ap = (spec: string, name = "p") => `${H}kind: AccessPolicy\nmetadata: {name: ${name}, namespace: shop}\nspec:\n${spec}\n`;

describe("istio access", () => {
  test("an AccessPolicy without allow rules is allow-nothing: ALLOW with NO rules, never rules: [{}]", () => {
    const objs = ok(ap("  destination: {service: vault}"));
    const allow = find(objs, "AuthorizationPolicy", "vault-allow");
    expect(allow.spec.action).toBe("ALLOW");
    expect(allow.spec).not.toHaveProperty("rules");
    expect(allow.spec.selector).toEqual({ matchLabels: { app: "vault" } });
    expect(objs.filter((o) => o.kind === "AuthorizationPolicy")).toHaveLength(1);
  });

  test("only deny rules: allow-nothing ALLOW plus a separate DENY (deny wins, nothing else passes)", () => {
    const objs = ok(ap("  destination: {service: vault}\n  deny:\n    - source: {namespaces: [ops]}"));
    expect(find(objs, "AuthorizationPolicy", "vault-allow").spec).not.toHaveProperty("rules");
    const deny = find(objs, "AuthorizationPolicy", "vault-deny");
    expect(deny.spec.action).toBe("DENY");
    expect(deny.spec.rules).toEqual([{ from: [{ source: { namespaces: ["ops"] } }] }]);
  });

  test("an unconditional allow rule is the only way to get rules: [{}] (allow-all)", () => {
    const objs = ok(ap("  destination: {service: web}\n  allow:\n    - {}"));
    expect(find(objs, "AuthorizationPolicy", "web-allow").spec.rules).toEqual([{}]);
  });

  test("a rule inherits the policy source: never widened to any caller", () => {
    const objs = ok(ap("  destination: {service: web}\n  source: {serviceAccounts: [frontend]}\n  allow:\n    - {}\n    - methods: [GET]"));
    const rules = find(objs, "AuthorizationPolicy", "web-allow").spec.rules;
    expect(rules).toHaveLength(2);
    for (const r of rules) expect(r.from).toEqual([{ source: { principals: ["cluster.local/ns/shop/sa/frontend"] } }]);
    expect(rules[1].to).toEqual([{ operation: { methods: ["GET"] } }]);
  });

  test("deny rules never appear in the ALLOW policy and allow rules never in the DENY policy", () => {
    const objs = ok(
      ap(
        '  destination: {service: orders}\n  allow:\n    - source: {serviceAccounts: [frontend]}\n  deny:\n    - source: {serviceAccounts: [ops/chaos]}\n      paths: ["/admin/*"]',
      ),
    );
    const allow = find(objs, "AuthorizationPolicy", "orders-allow").spec;
    const deny = find(objs, "AuthorizationPolicy", "orders-deny").spec;
    expect(allow.rules).toEqual([{ from: [{ source: { principals: ["cluster.local/ns/shop/sa/frontend"] } }] }]);
    expect(deny.rules).toEqual([
      { from: [{ source: { principals: ["cluster.local/ns/ops/sa/chaos"] } }], to: [{ operation: { paths: ["/admin", "/admin/*"] } }] },
    ]);
  });

  test("a model path /a/* is /a and everything below it: Istio gets both /a and /a/* (its /a/* alone misses /a)", () => {
    const objs = ok(
      ap(
        '  destination: {service: web}\n  allow:\n    - paths: ["/reviews/*", "/api*", "*/logo.png", "/x", "/reviews", "/*"]\n  deny:\n    - paths: ["/admin/*"]',
      ),
    );
    expect(find(objs, "AuthorizationPolicy", "web-deny").spec.rules).toEqual([{ to: [{ operation: { paths: ["/admin", "/admin/*"] } }] }]);
    expect(find(objs, "AuthorizationPolicy", "web-allow").spec.rules).toEqual([
      { to: [{ operation: { paths: ["/reviews", "/reviews/*", "/api*", "*/logo.png", "/x", "/*"] } }] },
    ]);
  });

  test("allow rules of several policies for one destination go into one ALLOW policy", () => {
    const objs = ok(
      ap("  destination: {service: orders}\n  allow:\n    - source: {namespaces: [a]}", "p1") + "---\n" + ap("  destination: {service: orders}", "p2"),
    );
    const allow = find(objs, "AuthorizationPolicy", "orders-allow");
    expect(allow.spec.rules).toEqual([{ from: [{ source: { namespaces: ["a"] } }] }]);
    expect(allow.metadata.annotations["unimesh.io/policies"]).toBe("AccessPolicy/shop/p1,AccessPolicy/shop/p2");
  });

  test("principals: <trustDomain>/ns/<ns>/sa/<sa> without spiffe://; * is any authenticated caller", () => {
    const objs = ok(ap('  destination: {service: web}\n  allow:\n    - source: {serviceAccounts: [frontend, other/batch, "*"]}'), {
      trustDomain: "prod.example.org",
    });
    expect(find(objs, "AuthorizationPolicy", "web-allow").spec.rules[0].from).toEqual([
      { source: { principals: ["prod.example.org/ns/shop/sa/frontend", "prod.example.org/ns/other/sa/batch", "*"] } },
    ]);
  });

  test("the lists of one source are ORed: one from[] entry each (fields of one Istio source are ANDed)", () => {
    const objs = ok(ap("  destination: {service: web}\n  allow:\n    - source: {serviceAccounts: [frontend], namespaces: [ops], ipBlocks: [10.0.0.0/8]}"));
    expect(find(objs, "AuthorizationPolicy", "web-allow").spec.rules[0].from).toEqual([
      { source: { principals: ["cluster.local/ns/shop/sa/frontend"] } },
      { source: { namespaces: ["ops"] } },
      { source: { ipBlocks: ["10.0.0.0/8"] } },
    ]);
  });

  test("headers become when conditions on request.headers[]", () => {
    const objs = ok(ap("  destination: {service: web}\n  allow:\n    - headers: {x-token: [a, b], x-env: [prod]}"));
    expect(find(objs, "AuthorizationPolicy", "web-allow").spec.rules[0].when).toEqual([
      { key: "request.headers[x-token]", values: ["a", "b"] },
      { key: "request.headers[x-env]", values: ["prod"] },
    ]);
  });

  test("a header value with a leading or trailing * cannot be an exact match in Istio: error", () => {
    const r = run(ap('  destination: {service: web}\n  allow:\n    - headers: {x-token: ["abc*"]}'));
    expect(r.ok).toBe(false);
    expect(errors(r)).toEqual(["/spec/allow/0/headers/x-token/0 adapter/unsupported-value"]);
  });

  describe("model ports are Service ports, mapped to workload ports", () => {
    const svc = `${H}kind: MeshService\nmetadata: {name: web, namespace: shop}\nspec:\n  ports: [{port: 80, targetPort: 8080}, {port: 9090, protocol: tcp}]\n---\n`;

    test("the policy's destination.port (a Service port) is mapped to its targetPort", () => {
      const objs = ok(
        svc +
          `${H}kind: AccessPolicy\nmetadata: {name: p, namespace: shop}\nspec:\n  destination: {service: web, port: 80}\n  allow:\n    - source: {namespaces: [a]}`,
      );
      const rules = find(objs, "AuthorizationPolicy", "web-allow").spec.rules;
      expect(rules[0].to).toEqual([{ operation: { ports: ["8080"] } }]);
    });

    test("only port-scoped policies: the other workload ports stay open (notPorts), the scoped one is governed", () => {
      const objs = ok(svc + `${H}kind: AccessPolicy\nmetadata: {name: p, namespace: shop}\nspec:\n  destination: {service: web, port: 80}`);
      expect(find(objs, "AuthorizationPolicy", "web-allow").spec.rules).toEqual([{ to: [{ operation: { notPorts: ["8080"] } }] }]);
    });

    test("a policy for every port governs all ports: no notPorts rule", () => {
      const objs = ok(
        svc +
          `${H}kind: AccessPolicy\nmetadata: {name: p, namespace: shop}\nspec:\n  destination: {service: web, port: 80}\n---\n` +
          `${H}kind: AccessPolicy\nmetadata: {name: q, namespace: shop}\nspec:\n  destination: {service: web}`,
      );
      expect(find(objs, "AuthorizationPolicy", "web-allow").spec).not.toHaveProperty("rules");
    });

    test("rule ports AND the policy port; a rule that excludes it can never match (left out, warning)", () => {
      const r = run(
        svc +
          `${H}kind: AccessPolicy\nmetadata: {name: p, namespace: shop}\nspec:\n  destination: {service: web, port: 80}\n  allow:\n    - ports: [80, 9090]\n    - ports: [9090]`,
      );
      const rules = find(r.resources, "AuthorizationPolicy", "web-allow").spec.rules;
      expect(rules).toEqual([{ to: [{ operation: { ports: ["8080"] } }] }, { to: [{ operation: { notPorts: ["8080"] } }] }]);
      expect(warnings(r)).toEqual(["/spec/allow/1/ports adapter/conflict"]);
    });

    test("a rule's ports (Service ports) become the pods' target ports", () => {
      const objs = ok(
        svc + `${H}kind: AccessPolicy\nmetadata: {name: p, namespace: shop}\nspec:\n  destination: {service: web}\n  allow:\n    - ports: [80, 9090]`,
      );
      expect(find(objs, "AuthorizationPolicy", "web-allow").spec.rules).toEqual([{ to: [{ operation: { ports: ["8080", "9090"] } }] }]);
    });

    test("a rule port the MeshService does not declare is no Service port: rejected by validation (rule/unknown-port), never mapped", () => {
      // 8080 is the pod port of Service port 80; as a Service port it does not exist.
      const loaded = loadModel([
        {
          file: "t.yaml",
          text: svc + `${H}kind: AccessPolicy\nmetadata: {name: p, namespace: shop}\nspec:\n  destination: {service: web}\n  allow:\n    - ports: [8080]`,
        },
      ]);
      expect(loaded.diagnostics.filter((d) => d.severity === "error").map((d) => `${d.pointer} ${codeFamily(d.code)}`)).toEqual([
        "/spec/allow/0/ports/0 rule/unknown-port",
      ]);
      expect(loaded.diagnostics[0].message).toContain("port 8080 is not a port of MeshService shop/web (ports: 80, 9090)");
    });

    test("HTTP conditions on a TCP port are reported (Istio fails closed)", () => {
      const r = run(
        svc +
          `${H}kind: AccessPolicy\nmetadata: {name: p, namespace: shop}\nspec:\n  destination: {service: web}\n  allow:\n    - methods: [GET]\n  deny:\n    - paths: [/x]\n      ports: [80]`,
      );
      expect(r.ok).toBe(true);
      expect(warnings(r).filter((w) => !w.endsWith("adapter/note"))).toEqual(["/spec/allow/0 adapter/unsupported-value"]);
    });
  });

  describe("path normalization: what Istio's meshConfig.pathNormalization lets past path rules", () => {
    const policy = `${H}kind: AccessPolicy\nmetadata: {name: p, namespace: shop}\nspec:\n  destination: {service: web}\n  allow:\n    - paths: ["/api/*", /health]\n  deny:\n    - paths: ["/api/admin/*"]`;
    const notes = (settings?: Record<string, string>) =>
      run(policy, settings ? { settings } : {})
        .diagnostics.filter((d) => d.feature === "accessL7")
        .map((d) => `${d.pointer} ${d.severity} ${codeFamily(d.code)}: ${d.message}`);

    test("BASE (the default) keeps // and %2F: a warning for deny rules, an info for allow rules with a prefix", () => {
      const n = notes();
      expect(n).toHaveLength(2);
      expect(n[0]).toMatch(
        /^\/spec\/allow\/0\/paths info adapter\/note: Istio's path normalization \(meshConfig.pathNormalization BASE\) .* the paths of this allow rule let through \/api\/\.\.%2Fsecret, which an app that decodes %2F serves as \/secret;/,
      );
      expect(n[1]).toMatch(
        /^\/spec\/deny\/0\/paths warning adapter\/note: .* the paths of this deny rule do not see \/\/api\/admin\/x or \/api\/admin%2Fx, which an app that merges slashes or decodes %2F serves as \/api\/admin\/x; set meshConfig.pathNormalization.normalization: DECODE_AND_MERGE_SLASHES/,
      );
      expect(notes({ pathNormalization: "BASE" })).toEqual(n);
    });

    test("MERGE_SLASHES keeps only %2F", () => {
      const n = notes({ pathNormalization: "MERGE_SLASHES" });
      expect(n[1]).toContain("the paths of this deny rule do not see /api/admin%2Fx, which an app that decodes %2F serves as /api/admin/x");
    });

    test("DECODE_AND_MERGE_SLASHES: the rules see what the app gets, nothing to say", () => {
      expect(notes({ pathNormalization: "DECODE_AND_MERGE_SLASHES" })).toEqual([]);
      expect(run(policy, { settings: { pathNormalization: "decode_and_merge_slashes" } }).ok).toBe(true);
    });

    test("NONE: the rules would not hold, an error", () => {
      const r = run(policy, { settings: { pathNormalization: "NONE" } });
      expect(r.ok).toBe(false);
      expect(errors(r)).toEqual(["/spec/allow/0/paths adapter/unsupported-value", "/spec/deny/0/paths adapter/unsupported-value"]);
      expect(notes({ pathNormalization: "NONE" })[1]).toContain("the paths of this deny rule do not see /./api/admin/x or /x/../api/admin/x or /api/admin\\x");
    });

    test("an allow rule with exact paths only, or any path, has nothing to fear", () => {
      const r = run(
        `${H}kind: AccessPolicy\nmetadata: {name: p, namespace: shop}\nspec:\n  destination: {service: web}\n  allow:\n    - paths: [/health, "*.png"]\n    - paths: ["*"]`,
      );
      expect(r.diagnostics.filter((d) => isCodeIn(d.code, "adapter/note"))).toEqual([]);
    });

    test("notPaths: what escapes the excluded paths of an allow rule is admitted", () => {
      const r = run(
        `${H}kind: AccessPolicy\nmetadata: {name: p, namespace: shop}\nspec:\n  destination: {service: web}\n  allow:\n    - notPaths: ["/admin/*"]`,
      );
      expect(r.diagnostics.map((d) => `${d.pointer} ${d.severity}`)).toEqual(["/spec/allow/0/notPaths warning"]);
      expect(r.diagnostics[0].message).toContain(
        "the notPaths of this allow rule do not see //admin/x or /admin%2Fx, which an app that merges slashes or decodes %2F serves as /admin/x",
      );
    });

    test("an unknown value is an error naming the values", () => {
      const r = run(policy, { settings: { pathNormalization: "SOMETIMES" } });
      expect(r.ok).toBe(false);
      expect(r.diagnostics.find((d) => d.severity === "error")!.message).toContain("is not one of BASE, MERGE_SLASHES, DECODE_AND_MERGE_SLASHES, NONE");
    });
  });

  describe("guessed pod ports (the service declares no ports) never open access", () => {
    const diag = (r: ReturnType<typeof run>, pointer: string) => r.diagnostics.find((d) => d.pointer === pointer)!;

    test("only port-scoped policies, ports undeclared: error on destination.port, no notPorts rule from the guess", () => {
      const r = run(ap("  destination: {service: web, port: 80}\n  allow:\n    - source: {namespaces: [a]}"));
      expect(r.ok).toBe(false);
      expect(errors(r)).toEqual(["/spec/destination/port adapter/unsupported-value"]);
      expect(diag(r, "/spec/destination/port").feature).toBe("access");
      expect(diag(r, "/spec/destination/port").message).toContain(
        "declare the service's ports (MeshService spec.ports with targetPort) so unimesh can map Service port 80",
      );
      // No output at all, and the rules that would have been built carry no notPorts.
      expect(r.resources).toEqual([]);
    });

    test("only port-scoped policies, ports declared: the notPorts rule lists the declared pod port", () => {
      const svc = `${H}kind: MeshService\nmetadata: {name: web, namespace: shop}\nspec:\n  ports: [{port: 80, targetPort: 8080}]\n---\n`;
      const objs = ok(svc + ap("  destination: {service: web, port: 80}"));
      expect(find(objs, "AuthorizationPolicy", "web-allow").spec.rules).toEqual([{ to: [{ operation: { notPorts: ["8080"] } }] }]);
    });

    test("port-scoped allow policy next to a service-wide one, ports undeclared: warning (a wrong guess only denies)", () => {
      const r = run(
        ap("  destination: {service: web, port: 80}\n  allow:\n    - source: {namespaces: [a]}") + "---\n" + ap("  destination: {service: web}", "q"),
      );
      expect(r.ok).toBe(true);
      expect(warnings(r)).toEqual(["/spec/destination/port adapter/unsupported-value"]);
      expect(diag(r, "/spec/destination/port").message).toContain("Service port 80");
    });

    test("port-scoped deny policy, ports undeclared: error (a wrong guess would leave the real pod port un-denied)", () => {
      const r = run(
        ap("  destination: {service: web, port: 80}\n  deny:\n    - source: {namespaces: [a]}") + "---\n" + ap("  destination: {service: web}", "q"),
      );
      expect(r.ok).toBe(false);
      expect(errors(r)).toEqual(["/spec/destination/port adapter/unsupported-value"]);
    });

    test("rule ports, ports undeclared: warning on an allow rule, error on a deny rule", () => {
      const allow = run(ap("  destination: {service: web}\n  allow:\n    - ports: [80]"));
      expect(allow.ok).toBe(true);
      expect(warnings(allow)).toEqual(["/spec/allow/0/ports/0 adapter/unsupported-value"]);
      expect(diag(allow, "/spec/allow/0/ports/0").message).toContain("so unimesh can map Service port 80");
      const deny = run(ap("  destination: {service: web}\n  deny:\n    - ports: [80]"));
      expect(deny.ok).toBe(false);
      expect(errors(deny)).toEqual(["/spec/deny/0/ports/0 adapter/unsupported-value"]);
    });
  });

  test("an empty pod selector would govern the whole namespace: rejected by the model (rule/empty-selector)", () => {
    const loaded = loadModel([
      {
        file: "t.yaml",
        text: `${H}kind: MeshService\nmetadata: {name: web, namespace: shop}\nspec:\n  selector: {}\n---\n` + ap("  destination: {service: web}"),
      },
    ]);
    expect(loaded.ok).toBe(false);
    expect(loaded.diagnostics.filter((d) => d.severity === "error").map((d) => `${d.pointer} ${codeFamily(d.code)}`)).toEqual([
      "/spec/selector rule/empty-selector",
    ]);
  });

  test("a destination in Istio's root namespace would be governed mesh-wide: error (rootNamespace setting honoured)", () => {
    const inRoot = `${H}kind: AccessPolicy\nmetadata: {name: p, namespace: istio-system}\nspec:\n  destination: {service: web}`;
    expect(errors(run(inRoot))).toEqual(["/spec/destination adapter/unsupported-value"]);
    expect(run(inRoot, { settings: { rootNamespace: "mesh-root" } }).ok).toBe(true);
  });

  test("the CRD validator really checks: a portLevelMtls without selector is rejected by the 1.30 CEL rule", async () => {
    const { validateAll } = await import("../../support/crd-validator.js");
    const bad = {
      apiVersion: "security.istio.io/v1",
      kind: "PeerAuthentication",
      metadata: { name: "x", namespace: "y" },
      spec: { portLevelMtls: { "80": { mode: "DISABLE" } } },
    };
    expect(validateAll([bad], ["istio/1.30.3"]).length).toBeGreaterThan(0);
  });
});

describe("istio: Service ports sharing one pod port cannot be told apart by an AuthorizationPolicy", () => {
  const shared = `${H}kind: MeshService\nmetadata: {name: reviews, namespace: shop}\nspec: {ports: [{port: 80, targetPort: 8080}, {port: 81, targetPort: 8080}]}\n---\n`;
  const policy = (spec: string) => `${H}kind: AccessPolicy\nmetadata: {name: callers, namespace: shop}\nspec:\n${spec}\n`;

  test("different callers per Service port: an error (each rule would admit its callers on the other port)", () => {
    const r = run(
      shared +
        policy(
          "  destination: {service: reviews}\n  allow:\n    - {source: {serviceAccounts: [productpage]}, ports: [80]}\n    - {source: {serviceAccounts: [ratings]}, ports: [81]}",
        ),
    );
    expect(errors(r)).toEqual(["/spec/allow/0/ports adapter/unsupported-value", "/spec/allow/1/ports adapter/unsupported-value"]);
    expect(r.diagnostics.find((d) => d.severity === "error")!.message).toContain("Service ports 80 and 81 of shop/reviews reach the same pod port 8080");
  });

  test("a port-scoped policy next to an ungoverned Service port on the same pod port: a warning (that port gets restricted too)", () => {
    const r = run(shared + policy("  destination: {service: reviews, port: 80}\n  allow:\n    - source: {serviceAccounts: [productpage]}"));
    expect(r.ok).toBe(true);
    expect(warnings(r)).toEqual(["/spec/destination/port adapter/conflict"]);
  });

  test("a port-scoped policy without allow rules next to an ungoverned Service port on the same pod port: an error (it would close that port too)", () => {
    const r = run(shared + policy("  destination: {service: reviews, port: 80}"));
    expect(errors(r)).toEqual(["/spec/destination/port adapter/unsupported-value"]);
    expect(r.diagnostics.find((d) => d.severity === "error")!.message).toContain(
      "every request to pod port 8080 would be denied, also on Service port 81, which no AccessPolicy governs",
    );
    // Both ports governed alike: exact, no error.
    const both = run(shared + policy("  destination: {service: reviews}"));
    expect(errors(both)).toEqual([]);
  });
});

describe("istio access: negative conditions", () => {
  test("negative source lists go into every from entry (ANDed); a source of exclusions only is one entry", () => {
    const objs = ok(
      ap(
        '  destination: {service: web}\n  allow:\n    - source: {serviceAccounts: [a], namespaces: [ops], notServiceAccounts: [ops/b, "*"], notNamespaces: [x], notIpBlocks: [10.0.0.0/8]}\n  deny:\n    - source: {notNamespaces: [shop]}',
      ),
    );
    const not = { notPrincipals: ["cluster.local/ns/ops/sa/b", "*"], notNamespaces: ["x"], notIpBlocks: ["10.0.0.0/8"] };
    expect(find(objs, "AuthorizationPolicy", "web-allow").spec.rules[0].from).toEqual([
      { source: { principals: ["cluster.local/ns/shop/sa/a"], ...not } },
      { source: { namespaces: ["ops"], ...not } },
    ]);
    expect(find(objs, "AuthorizationPolicy", "web-deny").spec.rules[0].from).toEqual([{ source: { notNamespaces: ["shop"] } }]);
  });

  test("notMethods, notPaths, notPorts (pod ports), notHeaders → operation.not* and when[].notValues", () => {
    const svc = `${H}kind: MeshService\nmetadata: {name: web, namespace: shop}\nspec:\n  ports: [{port: 80, targetPort: 8080}, {port: 9443}]\n---\n`;
    const objs = ok(
      svc +
        ap(
          '  destination: {service: web}\n  allow:\n    - notMethods: [DELETE]\n      notPaths: ["/admin/*"]\n      notPorts: [80]\n      headers: {x-a: ["1"]}\n      notHeaders: {x-env: [staging, dev]}',
        ),
    );
    expect(find(objs, "AuthorizationPolicy", "web-allow").spec.rules).toEqual([
      {
        to: [{ operation: { notMethods: ["DELETE"], notPaths: ["/admin", "/admin/*"], notPorts: ["8080"] } }],
        when: [
          { key: "request.headers[x-a]", values: ["1"] },
          { key: "request.headers[x-env]", notValues: ["staging", "dev"] },
        ],
      },
    ]);
  });

  test("notPorts on a guessed pod port: an error in an allow rule (it would still admit the real pod port), a warning in a deny rule", () => {
    const r = run(ap("  destination: {service: web}\n  allow:\n    - notPorts: [80]\n  deny:\n    - source: {namespaces: [x]}\n      notPorts: [80]"));
    expect(errors(r)).toEqual(["/spec/allow/0/notPorts/0 adapter/unsupported-value"]);
    expect(warnings(r)).toEqual(["/spec/deny/0/notPorts/0 adapter/unsupported-value"]);
  });

  test("notPorts on a Service port sharing its pod port: an error in a deny rule (the other port would escape it), a warning in an allow rule", () => {
    const shared = `${H}kind: MeshService\nmetadata: {name: reviews, namespace: shop}\nspec: {ports: [{port: 80, targetPort: 8080}, {port: 81, targetPort: 8080}]}\n---\n`;
    const deny = run(shared + ap("  destination: {service: reviews}\n  allow: [{}]\n  deny:\n    - source: {namespaces: [x]}\n      notPorts: [81]"));
    expect(errors(deny)).toEqual(["/spec/deny/0/notPorts adapter/unsupported-value"]);
    const allow = run(shared + ap("  destination: {service: reviews}\n  allow:\n    - notPorts: [81]"));
    expect(allow.ok).toBe(true);
    expect(warnings(allow)).toEqual(["/spec/allow/0/notPorts adapter/conflict"]);
  });

  test("a * at either end of a notHeaders value is an error (Istio would read it as a wildcard)", () => {
    expect(errors(run(ap('  destination: {service: web}\n  allow:\n    - notHeaders: {x-env: ["stag*"]}')))).toEqual([
      "/spec/allow/0/notHeaders/x-env/0 adapter/unsupported-value",
    ]);
  });
});

describe("istio: Services whose selectors pick the same pods (issue #9)", () => {
  // reviews = {app: reviews}; reviews-v2 = {app: reviews, version: v2}: every reviews-v2 pod is a reviews pod.
  const services =
    `${H}kind: MeshService\nmetadata: {name: reviews, namespace: shop}\nspec: {ports: [{port: 9080}]}\n---\n` +
    `${H}kind: MeshService\nmetadata: {name: reviews-v2, namespace: shop}\nspec: {selector: {app: reviews, version: v2}, serviceAccount: reviews, ports: [{port: 9080}]}\n---\n`;
  const access = (name: string, svc: string, rules: string) =>
    `${H}kind: AccessPolicy\nmetadata: {name: ${name}, namespace: shop}\nspec:\n  destination: {service: ${svc}}\n${rules}\n---\n`;
  const mtls = (name: string, spec: string) => `${H}kind: MTLSPolicy\nmetadata: {name: ${name}, namespace: shop}\nspec: ${spec}\n---\n`;
  const readers = access("reviews-readers", "reviews", "  allow: [{source: {serviceAccounts: [productpage]}}]");

  test("allow: [{}] on reviews-v2 would open the reviews pods to callers reviews denies: an error, nothing emitted", () => {
    const r = run(services + readers + access("v2-open", "reviews-v2", "  allow: [{}]"));
    expect(errors(r)).toEqual(["/spec/destination adapter/unsupported-value"]);
    const e = r.diagnostics.find((d) => d.severity === "error")!;
    expect(e.policy).toBe("AccessPolicy/shop/reviews-readers");
    expect(e.message).toContain("shop/reviews-v2 and shop/reviews select the same pods");
    expect(e.message).toContain("the AccessPolicies of shop/reviews-v2 allow requests those of shop/reviews do not");
    expect(r.resources).toEqual([]);
  });

  test("an AccessPolicy on reviews alone also restricts requests sent to reviews-v2: a warning, and the same rules on both are exact", () => {
    const r = run(services + readers);
    expect(r.ok).toBe(true);
    expect(warnings(r)).toEqual(["/spec/destination adapter/conflict"]);
    expect(r.diagnostics.find((d) => d.severity === "warning")!.message).toContain("shop/reviews-v2 has no AccessPolicy on pod port 9080");
    const same = run(services + readers + access("v2-readers", "reviews-v2", "  allow: [{source: {serviceAccounts: [productpage]}}]"));
    expect(same.ok).toBe(true);
    expect(warnings(same)).toEqual([]);
  });

  test("a deny rule on reviews-v2 also denies on the reviews pods it shares (Istio ORs DENY policies): a warning", () => {
    const r = run(
      services + readers + access("v2-readers", "reviews-v2", '  allow: [{source: {serviceAccounts: [productpage]}}]\n  deny: [{paths: ["/admin/*"]}]'),
    );
    expect(r.ok).toBe(true);
    // (The path-normalization warning on the deny rule's paths is beside the point here.)
    expect(r.diagnostics.filter((d) => d.severity === "warning" && !d.message.includes("path normalization")).map((d) => [d.policy, d.message])).toEqual([
      [
        "AccessPolicy/shop/reviews-readers",
        expect.stringContaining("the deny rules of shop/reviews-v2's AccessPolicies also refuse requests sent to shop/reviews"),
      ],
    ]);
  });

  test("the notPorts rule of a port-scoped policy never opens a pod port another service sharing the pods governs", () => {
    const two =
      `${H}kind: MeshService\nmetadata: {name: api, namespace: shop}\nspec: {ports: [{port: 80, targetPort: 8080}]}\n---\n` +
      `${H}kind: MeshService\nmetadata: {name: api-admin, namespace: shop}\nspec: {selector: {app: api}, ports: [{port: 9000}]}\n---\n`;
    const web = `${H}kind: AccessPolicy\nmetadata: {name: web, namespace: shop}\nspec:\n  destination: {service: api, port: 80}\n  allow: [{source: {serviceAccounts: [web]}}]\n---\n`;
    const objs = ok(
      two +
        web +
        `${H}kind: AccessPolicy\nmetadata: {name: admins, namespace: shop}\nspec:\n  destination: {service: api-admin, port: 9000}\n  allow: [{source: {serviceAccounts: [ops]}}]\n---\n`,
    );
    expect(find(objs, "AuthorizationPolicy", "api-allow").spec.rules.at(-1)).toEqual({ to: [{ operation: { notPorts: ["8080", "9000"] } }] });
    expect(find(objs, "AuthorizationPolicy", "api-admin-allow").spec.rules.at(-1)).toEqual({ to: [{ operation: { notPorts: ["8080", "9000"] } }] });
    // A policy for every port of api-admin: its AuthorizationPolicy (no ports) covers pod port 8080 of the shared pods too,
    // where ops would then be allowed on requests sent to api: an error.
    const r = run(two + web + access("admins", "api-admin", "  allow: [{source: {serviceAccounts: [ops]}}]"));
    expect(r.diagnostics.filter((d) => d.severity === "error").map((d) => [d.policy, d.message])).toContainEqual([
      "AccessPolicy/shop/web",
      expect.stringContaining("on pod port 8080 the AccessPolicies of shop/api-admin allow requests those of shop/api do not"),
    ]);
  });

  test("a permissive PeerAuthentication for reviews-v2 never overrides strict on the reviews pods: every PeerAuthentication of the group says strict", () => {
    const r = run(
      services +
        mtls("reviews-strict", "{destination: {service: reviews}, mode: strict}") +
        mtls("v2-permissive", "{destination: {service: reviews-v2}, mode: permissive}"),
    );
    expect(r.ok).toBe(true);
    expect(find(r.resources, "PeerAuthentication", "reviews-v2-mtls").spec.mtls).toEqual({ mode: "STRICT" });
    expect(find(r.resources, "PeerAuthentication", "reviews-mtls").spec.mtls).toEqual({ mode: "STRICT" });
    expect(r.diagnostics.filter((d) => d.severity === "warning").map((d) => [d.policy, d.pointer])).toContainEqual([
      "MTLSPolicy/shop/v2-permissive",
      "/spec/mode",
    ]);
    // The namespace's strict mode counts too: reviews permissive cannot loosen the reviews-v2 pods it selects.
    const ns = run(services + mtls("ns", "{mode: strict}") + mtls("reviews-permissive", "{destination: {service: reviews}, mode: permissive}"));
    expect(find(ns.resources, "PeerAuthentication", "reviews-mtls").spec.mtls).toEqual({ mode: "STRICT" });
    expect(ns.diagnostics.find((d) => d.policy === "MTLSPolicy/shop/reviews-permissive" && d.severity === "warning")!.message).toContain(
      "gets the strictest, strict",
    );
  });

  test("services whose selectors cannot pick the same pod are independent", () => {
    const disjoint =
      `${H}kind: MeshService\nmetadata: {name: reviews-v1, namespace: shop}\nspec: {selector: {app: reviews, version: v1}, ports: [{port: 9080}]}\n---\n` +
      `${H}kind: MeshService\nmetadata: {name: reviews-v2, namespace: shop}\nspec: {selector: {app: reviews, version: v2}, ports: [{port: 9080}]}\n---\n`;
    const r = run(disjoint + access("v1", "reviews-v1", "  allow: [{source: {serviceAccounts: [a]}}]") + access("v2", "reviews-v2", "  allow: [{}]"));
    expect(r.ok).toBe(true);
    expect(warnings(r)).toEqual([]);
  });
});

describe("istio: namespace- and mesh-wide AccessPolicies", () => {
  const nsPolicy = (spec: string, name = "ns") => `${H}kind: AccessPolicy\nmetadata: {name: ${name}, namespace: shop}\nspec:\n${spec}\n`;

  test("namespace-wide: AuthorizationPolicies without selector in the namespace; mesh-wide: in the root namespace (a setting)", () => {
    const objs = ok(
      nsPolicy('  allow: [{source: {namespaces: [shop]}}]\n  deny: [{source: {notServiceAccounts: ["*"]}}]') +
        "---\n" +
        nsPolicy("  scope: mesh\n  allow: [{paths: [/healthz]}]", "mesh"),
      { settings: { rootNamespace: "mesh-root" } },
    );
    const allow = find(objs, "AuthorizationPolicy", "unimesh.namespace-allow", "shop");
    expect(allow.spec).toEqual({ action: "ALLOW", rules: [{ from: [{ source: { namespaces: ["shop"] } }] }] });
    expect(find(objs, "AuthorizationPolicy", "unimesh.namespace-deny", "shop").spec).toEqual({
      action: "DENY",
      rules: [{ from: [{ source: { notPrincipals: ["*"] } }] }],
    });
    expect(find(objs, "AuthorizationPolicy", "unimesh.mesh-allow", "mesh-root").spec).toEqual({
      action: "ALLOW",
      rules: [{ to: [{ operation: { paths: ["/healthz"] } }] }],
    });
    expect(objs.filter((o) => o.kind === "AuthorizationPolicy")).toHaveLength(3);
  });

  test("a namespace-wide policy in the root namespace would be mesh-wide: an error", () => {
    const r = run(`${H}kind: AccessPolicy\nmetadata: {name: ns, namespace: istio-system}\nspec: {}\n`);
    expect(errors(r)).toEqual(["/spec adapter/unsupported-value"]);
  });

  test("port-scoped service policies next to a namespace-wide one: no notPorts rule (the other ports are governed, never reopened)", () => {
    const svc = `${H}kind: MeshService\nmetadata: {name: web, namespace: shop}\nspec:\n  ports: [{port: 80, targetPort: 8080}, {port: 9090}]\n---\n`;
    const port = ap("  destination: {service: web, port: 80}\n  allow: [{source: {serviceAccounts: [frontend]}}]");
    const alone = find(ok(svc + port), "AuthorizationPolicy", "web-allow").spec.rules;
    expect(alone).toContainEqual({ to: [{ operation: { notPorts: ["8080"] } }] });
    const scoped = ok(svc + port + "---\n" + nsPolicy("  allow: [{source: {namespaces: [ops]}}]"));
    expect(find(scoped, "AuthorizationPolicy", "web-allow").spec.rules).toEqual([
      { from: [{ source: { principals: ["cluster.local/ns/shop/sa/frontend"] } }], to: [{ operation: { ports: ["8080"] } }] },
    ]);
  });
});

describe("istio: namespace- and mesh-wide AccessPolicies on pods two Services share (issue #9)", () => {
  // reviews = {app: reviews}; reviews-v2 = {app: reviews, version: v2}: every reviews-v2 pod is a reviews pod.
  const services =
    `${H}kind: MeshService\nmetadata: {name: reviews, namespace: shop}\nspec: {ports: [{port: 9080}]}\n---\n` +
    `${H}kind: MeshService\nmetadata: {name: reviews-v2, namespace: shop}\nspec: {selector: {app: reviews, version: v2}, serviceAccount: reviews, ports: [{port: 9080}]}\n---\n`;
  const access = (name: string, svc: string, rules: string) =>
    `${H}kind: AccessPolicy\nmetadata: {name: ${name}, namespace: shop}\nspec:\n  destination: {service: ${svc}}\n${rules}\n---\n`;
  const allowNothing = `${H}kind: AccessPolicy\nmetadata: {name: allow-nothing, namespace: shop}\nspec: {}\n---\n`;
  const readers = access("reviews-readers", "reviews", "  allow: [{source: {serviceAccounts: [productpage]}}]");

  test("allow-nothing for the namespace and an allow on reviews only: the reviews AuthorizationPolicy would admit productpage to reviews-v2, which the namespace closes: an error, nothing emitted", () => {
    const r = run(services + allowNothing + readers);
    expect(errors(r)).toEqual(["/spec/destination adapter/unsupported-value"]);
    const e = r.diagnostics.find((d) => d.severity === "error")!;
    expect(e.policy).toBe("AccessPolicy/shop/reviews-readers");
    expect(e.message).toContain(
      "shop/reviews-v2 has no AccessPolicy of its own, so only the namespace- and mesh-wide ones (AccessPolicy/shop/allow-nothing) govern it",
    );
    expect(e.message).toContain("the AccessPolicies of shop/reviews allow requests those do not");
    expect(r.resources).toEqual([]);
  });

  test("the other way round: an allow on reviews-v2 would open the reviews pods it shares, which only the namespace's allow-nothing governs: an error", () => {
    const r = run(services + allowNothing + access("v2-open", "reviews-v2", "  allow: [{}]"));
    expect(errors(r)).toEqual(["/spec/destination adapter/unsupported-value"]);
    expect(r.diagnostics.find((d) => d.severity === "error")!.policy).toBe("AccessPolicy/shop/v2-open");
  });

  test("the same own rules on both services next to the namespace's allow-nothing: exact, no conflict", () => {
    const r = run(services + allowNothing + readers + access("v2-readers", "reviews-v2", "  allow: [{source: {serviceAccounts: [productpage]}}]"));
    expect(r.ok).toBe(true);
    expect(warnings(r)).toEqual([]);
    expect(find(r.resources, "AuthorizationPolicy", "unimesh.namespace-allow", "shop").spec).toEqual({ action: "ALLOW" });
    expect(find(r.resources, "AuthorizationPolicy", "reviews-v2-allow").spec.rules).toEqual(
      find(r.resources, "AuthorizationPolicy", "reviews-allow").spec.rules,
    );
  });

  test("a namespace-wide allow for everyone: an allow on reviews opens nothing more (the namespace's rule set already admits every request)", () => {
    const r = run(services + `${H}kind: AccessPolicy\nmetadata: {name: open, namespace: shop}\nspec: {allow: [{}]}\n---\n` + readers);
    expect(r.ok).toBe(true);
    expect(warnings(r)).toEqual([]);
  });

  test("a deny on reviews also refuses requests sent to reviews-v2 (Istio ORs DENY policies): a warning naming the namespace-wide policy", () => {
    const r = run(
      services +
        `${H}kind: AccessPolicy\nmetadata: {name: shop-only, namespace: shop}\nspec: {allow: [{source: {namespaces: [shop]}}]}\n---\n` +
        access("no-ratings", "reviews", "  deny: [{source: {serviceAccounts: [ratings]}}]"),
    );
    expect(r.ok).toBe(true);
    expect(r.diagnostics.filter((d) => isCodeIn(d.code, "adapter/conflict")).map((d) => [d.policy, d.message])).toEqual([
      [
        "AccessPolicy/shop/no-ratings",
        expect.stringContaining(
          "shop/reviews-v2 has no AccessPolicy of its own (only the namespace- and mesh-wide ones: AccessPolicy/shop/shop-only), so on pod port 9080 the deny rules of shop/reviews's AccessPolicies also refuse requests sent to shop/reviews-v2",
        ),
      ],
    ]);
  });

  test("mesh-wide rules count like namespace-wide ones: a mesh-wide allow-nothing and an allow on reviews only is an error", () => {
    const mesh = `${H}kind: AccessPolicy\nmetadata: {name: mesh-nothing, namespace: platform}\nspec: {scope: mesh}\n---\n`;
    const r = run(services + mesh + readers);
    expect(errors(r)).toEqual(["/spec/destination adapter/unsupported-value"]);
    expect(r.diagnostics.find((d) => d.severity === "error")!.message).toContain("(AccessPolicy/platform/mesh-nothing)");
  });
});
