/** `import --context a,b`: the objects of several clusters as one set of inputs (src/cli/commands/import.ts). */
import { describe, expect, test } from "vitest";
import { mergeClusters } from "../../src/cli/commands/import.js";
import { nativeObject } from "../../src/api/import.js";

const server = (port: number, extra: Record<string, unknown> = {}) => ({
  apiVersion: "policy.linkerd.io/v1beta3",
  kind: "Server",
  metadata: { name: "web-http", namespace: "shop", resourceVersion: String(port), uid: `u-${port}`, ...extra },
  spec: { podSelector: { matchLabels: { app: "web" } }, port },
});
const listed = (objects: Record<string, unknown>[]) => ({
  objects,
  services: [{ metadata: { name: "web", namespace: "shop" }, spec: { selector: { app: "web" } } }],
  pods: [],
});

describe("import from several contexts", () => {
  test("an object both clusters hold alike (server-set fields aside) is read once, from the first context", () => {
    const a = server(8080);
    const b = { ...server(8080), metadata: { ...server(8080).metadata, resourceVersion: "99", uid: "other", creationTimestamp: "2026-01-01T00:00:00Z" } };
    const m = mergeClusters(
      [
        { context: "east", listed: listed([a]) },
        { context: "west", listed: listed([b]) },
      ],
      "default",
      nativeObject,
    );
    expect(m.diagnostics).toEqual([]);
    expect(m.objects.map((o) => `${o.id} ${o.origin.file}`)).toEqual(["Server/shop/web-http context/east", "Service/shop/web context/east"]);
  });

  test("held differently: an import/conflict error naming both contexts", () => {
    const m = mergeClusters(
      [
        { context: "east", listed: listed([server(8080)]) },
        { context: "west", listed: listed([server(9090)]) },
      ],
      "default",
      nativeObject,
    );
    expect(m.diagnostics.map((d) => `${d.severity} ${d.code} ${d.file} ${d.policy}: ${d.message}`)).toEqual([
      "error import/conflict context/west Server/shop/web-http: Server/shop/web-http differs between contexts east and west: one model cannot hold both; import the clusters one by one (one --context each)",
    ]);
  });
});
