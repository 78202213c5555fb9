/**
 * PeerAuthentication and client-side TLS of the Istio adapter.
 */
import { describe, expect, test } from "vitest";
import { errors, find, H, ok, run, warnings } from "./helpers.js";
import { isCodeIn, codeFamily } from "../../../src/api/diagnostics.js";

const mtls = (spec: string, name: string) => `${H}kind: MTLSPolicy\nmetadata: {name: ${name}, namespace: shop}\nspec:\n${spec}\n`;
const svc = `${H}kind: MeshService\nmetadata: {name: legacy, namespace: shop}\nspec:\n  selector: {app: legacy, tier: old}\n  ports: [{port: 80, targetPort: 8080}, {port: 9102}]\n---\n`;

describe("istio mtls", () => {
  test("namespace-wide: PeerAuthentication default without selector", () => {
    const objs = ok(mtls("  mode: strict", "ns"));
    expect(find(objs, "PeerAuthentication", "default", "shop").spec).toEqual({ mtls: { mode: "STRICT" } });
  });

  test("per service: selector = pod labels, portLevelMtls keyed by WORKLOAD port; the DestinationRule keyed by Service port", () => {
    const objs = ok(
      svc + mtls("  mode: strict", "ns") + "---\n" + mtls('  destination: {service: legacy}\n  mode: permissive\n  ports: {"80": disabled}', "svc"),
    );
    expect(find(objs, "PeerAuthentication", "legacy-mtls").spec).toEqual({
      selector: { matchLabels: { app: "legacy", tier: "old" } },
      mtls: { mode: "PERMISSIVE" },
      portLevelMtls: { "8080": { mode: "DISABLE" } },
    });
    // Auto mTLS follows the namespace (STRICT → mTLS), so the plaintext port needs DISABLE on the client side.
    expect(find(objs, "DestinationRule", "legacy").spec.trafficPolicy).toEqual({ portLevelSettings: [{ port: { number: 80 }, tls: { mode: "DISABLE" } }] });
  });

  test("services sharing pods: a pod port only Service ports without MTLSPolicy reach gets the default, permissive (no crash)", () => {
    // Found by the access differential test (seeds 14, 67, ...): `podPortMtls` is undefined for such a pod
    // port, and the adapter failed with an InternalError reading its mode.
    const b = (spec: string) => `${H}kind: MeshService\nmetadata: {name: b, namespace: shop}\nspec:\n${spec}\n---\n`;
    const b2 = (spec: string) => `${H}kind: MeshService\nmetadata: {name: b-v2, namespace: shop}\nspec:\n  selector: {app: b}\n${spec}\n---\n`;
    // b declares 9090 (no MTLSPolicy), b-v2 (port 80) is disabled: pod port 9090 is b's alone, permissive.
    const two = run(b("  ports: [{port: 9090}]") + b2("  ports: [{port: 80}]") + mtls("  destination: {service: b-v2}\n  mode: disabled", "m"));
    expect(two.ok).toBe(true);
    expect(find(two.resources, "PeerAuthentication", "b-v2-mtls").spec).toEqual({
      selector: { matchLabels: { app: "b" } },
      mtls: { mode: "DISABLE" },
      portLevelMtls: { "9090": { mode: "PERMISSIVE" } },
    });
    // b's ports are not declared, so b may reach b-v2's pod port 9090: b's strict mode counts there
    // (as it does for any member whose ports are not known), and the whole pod is STRICT.
    const one = run(b2("  ports: [{port: 9090}]") + mtls("  destination: {service: b}\n  mode: strict", "m"));
    expect(one.ok).toBe(true);
    expect(find(one.resources, "PeerAuthentication", "b-mtls").spec).toEqual({ selector: { matchLabels: { app: "b" } }, mtls: { mode: "STRICT" } });
    expect(warnings(one)).toContain("/spec/destination adapter/conflict");
  });

  test("services sharing pods: a pod port a service without MTLSPolicy reaches is never looser than its default, permissive", () => {
    // Found by the access differential test (seeds 1107, 1891 of a longer run): b's port 9080 (pod port 80)
    // is disabled, and b-v2 (no MTLSPolicy: permissive, ports not declared) shares the pods; pod port 80 was
    // DISABLE, so b-v2's callers came in plaintext, without identity, past a deny rule naming them.
    const b = `${H}kind: MeshService\nmetadata: {name: b, namespace: shop}\nspec:\n  ports: [{port: 9080, targetPort: 80}]\n---\n`;
    const b2 = (spec: string) => `${H}kind: MeshService\nmetadata: {name: b-v2, namespace: shop}\nspec:\n  selector: {app: b}\n${spec}\n---\n`;
    const policy = mtls('  destination: {service: b}\n  mode: permissive\n  ports: {"9080": disabled}', "m");
    const r = run(b + b2("  serviceAccount: b-v2") + policy);
    expect(r.ok).toBe(true);
    expect(find(r.resources, "PeerAuthentication", "b-mtls").spec).toEqual({
      selector: { matchLabels: { app: "b" } },
      mtls: { mode: "PERMISSIVE" },
      portLevelMtls: { "80": { mode: "PERMISSIVE" } },
    });
    expect(r.diagnostics.some((d) => d.severity === "warning" && /b-v2 has no MTLSPolicy .* has the default mode, permissive/.test(d.message))).toBe(true);
    // b-v2 on another pod port: pod port 80 is b's alone, disabled as asked.
    const other = run(b + b2("  ports: [{port: 81}]") + policy);
    expect(find(other.resources, "PeerAuthentication", "b-mtls").spec.portLevelMtls).toEqual({ "80": { mode: "DISABLE" } });
    // The whole service disabled, b-v2 (ports not declared) sharing: every pod port permissive.
    const whole = run(b + b2("  serviceAccount: b-v2") + mtls("  destination: {service: b}\n  mode: disabled", "m"));
    expect(find(whole.resources, "PeerAuthentication", "b-mtls").spec).toEqual({ selector: { matchLabels: { app: "b" } }, mtls: { mode: "PERMISSIVE" } });
  });

  test("services sharing pods: a sharer whose mode only comes from a looser namespace- or mesh-wide policy is warned about", () => {
    // Found by the access differential test (6000 models from seed 20001): b (mesh-wide permissive) got
    // b-v2's STRICT on the shared pods without a word, so b's plaintext callers were refused unannounced.
    const b2 = `${H}kind: MeshService\nmetadata: {name: b-v2, namespace: shop}\nspec: {selector: {app: b}}\n---\n`;
    const b = `${H}kind: MeshService\nmetadata: {name: b, namespace: shop}\nspec: {}\n---\n`;
    const mesh = `${H}kind: MTLSPolicy\nmetadata: {name: mesh, namespace: other}\nspec: {scope: mesh, mode: permissive}\n---\n`;
    const r = run(b + b2 + mesh + mtls("  destination: {service: b-v2}\n  mode: strict", "m"));
    expect(r.ok).toBe(true);
    const w = r.diagnostics.filter((d) => d.severity === "warning" && d.code === "adapter/conflict/mtls.shared-pods");
    expect(w.map((d) => d.message)).toEqual([expect.stringContaining("shop/b has no MTLSPolicy of its own (its mesh-wide one says permissive)")]);
    // As strict as the pods: nothing to say.
    const strictMesh = mesh.replace("mode: permissive", "mode: strict");
    expect(
      run(b + b2 + strictMesh + mtls("  destination: {service: b-v2}\n  mode: strict", "m")).diagnostics.filter(
        (d) => d.code === "adapter/conflict/mtls.shared-pods",
      ),
    ).toEqual([]);
  });

  test("portLevelMtls from undeclared ports (no MeshService ports): an error when the port's mode differs (a wrong guess changes security), else a warning", () => {
    const r = run(mtls('  destination: {service: legacy}\n  mode: strict\n  ports: {"80": permissive}', "m"));
    expect(errors(r)).toEqual(["/spec/ports/80 adapter/unsupported-value"]);
    const e = r.diagnostics.find((d) => d.severity === "error")!;
    expect(e.feature).toBe("mtls");
    expect(e.message).toContain("mode permissive would apply to the wrong pod port and the real one would stay strict");
    expect(e.message).toContain("declare the service's ports (MeshService spec.ports with targetPort)");
    const same = run(mtls('  destination: {service: legacy}\n  mode: strict\n  ports: {"80": strict, "81": strict}', "m"));
    expect(same.ok).toBe(true);
    expect(find(same.resources, "PeerAuthentication", "legacy-mtls").spec.portLevelMtls).toEqual({ "80": { mode: "STRICT" }, "81": { mode: "STRICT" } });
    const w = same.diagnostics.filter((d) => d.severity === "warning");
    expect(w.map((d) => `${d.pointer} ${codeFamily(d.code)} ${d.feature}`)).toEqual([
      "/spec/ports/80 adapter/unsupported-value mtls",
      "/spec/ports/81 adapter/unsupported-value mtls",
    ]);
    expect(w[0].message).toContain("(the service's mode) lands on the wrong pod port, which changes nothing");
    // With declared ports: no warning.
    const declared = run(svc + mtls('  destination: {service: legacy}\n  mode: strict\n  ports: {"80": permissive}', "m"));
    expect(declared.diagnostics.filter((d) => d.severity === "warning")).toEqual([]);
  });

  test("service disabled under a strict namespace: clients told to send plaintext", () => {
    const objs = ok(mtls("  mode: strict", "ns") + "---\n" + mtls("  destination: {service: legacy}\n  mode: disabled", "svc"));
    expect(find(objs, "DestinationRule", "legacy").spec.trafficPolicy).toEqual({ tls: { mode: "DISABLE" } });
  });

  test("service strict under a disabled namespace: clients told to use Istio mTLS", () => {
    const objs = ok(mtls("  mode: disabled", "ns") + "---\n" + mtls("  destination: {service: vault}\n  mode: strict", "svc"));
    expect(find(objs, "DestinationRule", "vault").spec.trafficPolicy).toEqual({ tls: { mode: "ISTIO_MUTUAL" } });
  });

  test("permissive: callers present their identity (mutual TLS) as the model's do, so under a disabled namespace they are told ISTIO_MUTUAL", () => {
    // Auto mTLS would send plaintext there (the namespace says DISABLE), and the permissive port would take
    // it: callers without identity, past deny rules that name them.
    const objs = ok(mtls("  mode: disabled", "ns") + "---\n" + mtls("  destination: {service: web}\n  mode: permissive", "svc"));
    expect(find(objs, "DestinationRule", "web").spec.trafficPolicy).toEqual({ tls: { mode: "ISTIO_MUTUAL" } });
    // Where auto mTLS already sends mutual TLS: nothing to say.
    for (const ns of ["strict", "permissive"])
      expect(
        ok(mtls(`  mode: ${ns}`, "ns") + "---\n" + mtls("  destination: {service: web}\n  mode: permissive", "svc")).filter(
          (o) => o.kind === "DestinationRule",
        ),
      ).toEqual([]);
  });

  test("a permissive port of a disabled service: callers are told ISTIO_MUTUAL on that port (found by the access differential test)", () => {
    // The service-wide DISABLE of the DestinationRule reached the permissive port too: callers came in
    // plaintext, without identity, and a deny rule for any authenticated caller (serviceAccounts ["*"]) let them in.
    const svcPorts = `${H}kind: MeshService\nmetadata: {name: o, namespace: shop}\nspec:\n  ports: [{port: 80}, {port: 81}]\n---\n`;
    const objs = ok(svcPorts + mtls('  destination: {service: o}\n  mode: disabled\n  ports: {"80": permissive}', "svc"));
    expect(find(objs, "DestinationRule", "o").spec.trafficPolicy).toEqual({
      tls: { mode: "DISABLE" },
      portLevelSettings: [{ port: { number: 80 }, tls: { mode: "ISTIO_MUTUAL" } }],
    });
    // The same ports on one pod port: the pod port is PERMISSIVE (the strictest), which takes both, so each
    // Service port's callers send what its own mode says: mutual TLS to 80, plaintext (no identity) to 81.
    const onePod = `${H}kind: MeshService\nmetadata: {name: o, namespace: shop}\nspec:\n  ports: [{port: 80, targetPort: 8080}, {port: 81, targetPort: 8080}]\n---\n`;
    const r = run(onePod + mtls('  destination: {service: o}\n  mode: disabled\n  ports: {"80": permissive}', "svc"));
    expect(r.ok).toBe(true);
    expect(find(r.resources, "PeerAuthentication", "o-mtls").spec.portLevelMtls).toEqual({ "8080": { mode: "PERMISSIVE" } });
    expect(find(r.resources, "DestinationRule", "o").spec.trafficPolicy).toEqual({
      tls: { mode: "DISABLE" },
      portLevelSettings: [{ port: { number: 80 }, tls: { mode: "ISTIO_MUTUAL" } }],
    });
  });

  test("port-level client TLS keeps the destination-level pool, balancer and outlier settings (Istio replaces them wholesale per port)", () => {
    const objs = ok(
      svc +
        mtls('  destination: {service: legacy}\n  mode: strict\n  ports: {"9102": disabled}', "svc") +
        "---\n" +
        `${H}kind: TrafficPolicy\nmetadata: {name: t, namespace: shop}\nspec:\n  destination: {service: legacy}\n  connectionPool: {maxConnections: 10}\n  loadBalancer: {algorithm: random}`,
    );
    const tp = find(objs, "DestinationRule", "legacy").spec.trafficPolicy;
    expect(tp.portLevelSettings).toEqual([
      { port: { number: 9102 }, connectionPool: { tcp: { maxConnections: 10 } }, loadBalancer: { simple: "RANDOM" }, tls: { mode: "DISABLE" } },
    ]);
  });

  test("a namespace-wide policy in Istio's root namespace would be mesh-wide: error", () => {
    const r = run(`${H}kind: MTLSPolicy\nmetadata: {name: ns, namespace: istio-system}\nspec:\n  mode: strict\n`);
    expect(errors(r)).toEqual(["/spec adapter/unsupported-value"]);
  });

  test("a Service named default does not collide with the namespace-wide PeerAuthentication", () => {
    const objs = ok(mtls("  mode: strict", "ns") + "---\n" + mtls("  destination: {service: default}\n  mode: permissive", "svc"));
    expect(find(objs, "PeerAuthentication", "default").spec).toEqual({ mtls: { mode: "STRICT" } });
    expect(find(objs, "PeerAuthentication", "default-mtls").spec.mtls).toEqual({ mode: "PERMISSIVE" });
  });

  test("Service ports sharing a pod port: the pod port enforces the strictest of their modes (a warning on the looser one); clients follow it", () => {
    const shared = `${H}kind: MeshService\nmetadata: {name: legacy, namespace: shop}\nspec:\n  ports: [{port: 80, targetPort: 8080}, {port: 8080}]\n---\n`;
    // Service port 8080 keeps the service's strict; Service port 80 asks for permissive on the same pod port.
    const r = run(
      shared + mtls("  mode: disabled", "ns") + "---\n" + mtls('  destination: {service: legacy}\n  mode: strict\n  ports: {"80": permissive}', "svc"),
    );
    expect(r.ok).toBe(true);
    expect(find(r.resources, "PeerAuthentication", "legacy-mtls").spec.portLevelMtls).toEqual({ "8080": { mode: "STRICT" } });
    expect(warnings(r)).toEqual(["/spec/ports/80 adapter/conflict"]);
    expect(r.diagnostics.find((d) => isCodeIn(d.code, "adapter/conflict"))!.message).toContain("pod port 8080 gets the strictest, strict");
    // The namespace is plaintext, so every Service port to the strict pod port needs ISTIO_MUTUAL, port 80 included.
    const dr = find(r.resources, "DestinationRule", "legacy").spec.trafficPolicy;
    expect(dr.tls).toEqual({ mode: "ISTIO_MUTUAL" });
    expect(dr.portLevelSettings).toBeUndefined();
  });

  test("a Service port without its own mode that shares a pod port with a stricter one: its clients are told to use mTLS too", () => {
    const shared = `${H}kind: MeshService\nmetadata: {name: legacy, namespace: shop}\nspec:\n  ports: [{port: 80, targetPort: 8080}, {port: 8080}]\n---\n`;
    const r = run(
      shared + mtls("  mode: disabled", "ns") + "---\n" + mtls('  destination: {service: legacy}\n  mode: permissive\n  ports: {"80": strict}', "svc"),
    );
    expect(r.ok).toBe(true);
    expect(find(r.resources, "PeerAuthentication", "legacy-mtls").spec.portLevelMtls).toEqual({ "8080": { mode: "STRICT" } });
    expect(warnings(r)).toEqual(["/spec/mode adapter/conflict"]);
    // Every port of the service (permissive or strict) wants mutual TLS under the disabled namespace: one
    // service-wide setting says it.
    expect(find(r.resources, "DestinationRule", "legacy").spec.trafficPolicy).toEqual({ tls: { mode: "ISTIO_MUTUAL" } });
  });
});
