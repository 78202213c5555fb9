/**
 * A retried failed answer is drained so that its connection can be reused, but never held open: an
 * answer whose body never ends is aborted once the request it failed for has ended (Envoy resets the
 * upstream request it retries). Otherwise every such answer kept an app connection (and a hop stream)
 * open for good.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { call, closeAgents, meshConfig, registry, startApp, startMesh, type App } from "./support.js";
import type { ProxyRuntime } from "../../src/proxy/runtime.js";

const POLICIES = `
apiVersion: unimesh.io/v1alpha1
kind: TrafficPolicy
metadata: {name: flaky, namespace: shop}
spec:
  destination: {service: api, port: 8080}
  timeout: 2s
  retries: {attempts: 2, perTryTimeout: 1s, retryOn: [5xx]}
`;

for (const colocatedHops of ["mtls", "inline"] as const) {
  describe(`a retried 5xx whose body never ends (colocatedHops: ${colocatedHops})`, () => {
    let web: App, proxy: ProxyRuntime, server: http.Server;
    let open = 0;
    let n = 0;
    beforeAll(async () => {
      // Every other request: a 503 head and one byte of body, then nothing more. The others: 200 "ok".
      server = http.createServer((req, res) => {
        req.resume();
        if (n++ % 2 === 0) {
          open++;
          res.on("close", () => open--);
          res.writeHead(503, { "content-type": "text/plain" });
          res.write("x");
          return;
        }
        res.end("ok");
      });
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      web = await startApp("web");
      proxy = await startMesh(
        meshConfig(
          POLICIES,
          registry([
            { service: "api", namespace: "shop", port: (server.address() as AddressInfo).port, servicePort: 8080 },
            { service: "web", namespace: "shop", port: web.port, outbound: true },
          ]),
          { colocatedHops },
        ),
      );
    });
    afterAll(async () => {
      await proxy?.stop();
      await closeAgents();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await web?.close();
    });

    test("each request gets the retry's 200, and no drained answer stays open after its request ended", async () => {
      const port = proxy.outboundPort("web", "shop");
      for (let i = 0; i < 10; i++) expect((await call(port, "api:8080", `/x${i}`)).body).toBe("ok");
      expect(n).toBe(20);
      // The aborts follow the end of each request at once; allow the closes to reach the app.
      for (let i = 0; i < 50 && open > 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(open).toBe(0);
    });
  });
}
