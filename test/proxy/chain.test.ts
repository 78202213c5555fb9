/**
 * The request path as filter chains (src/proxy/outbound.ts, src/proxy/inbound.ts): the order the module
 * comments document is the order that runs, and the destination view resolves once, when the
 * configuration is compiled, what the filters used to look up per request (the port's routes, its
 * protocol, each target's settings, hash policy and instances). Behaviour: the socket tests of test/proxy.
 */
import { describe, expect, test } from "vitest";
import { compileConfig } from "../../src/proxy/config/compile.js";
import type { ProxyConfig } from "../../src/api/generated/proxyConfig.js";
import { OUTBOUND } from "../../src/proxy/outbound.js";
import { INBOUND } from "../../src/proxy/inbound.js";

describe("filter chains", () => {
  test("outbound: the documented order", () => {
    expect(OUTBOUND.map((f) => f.name)).toEqual([
      "proxyAuthorization",
      "service",
      "pathNormalization",
      "destination",
      "route",
      "cors",
      "faultInjection",
      "redirect",
      "directResponse",
      "split",
      "upstreamRequest",
      "body",
      "mirror",
      "loadBalancer",
      "connectionPool",
      "forward",
    ]);
  });

  test("inbound: the documented order (access before the rate limit: denied requests use no budget)", () => {
    expect(INBOUND.map((f) => f.name)).toEqual([
      "pathNormalization",
      "wasmAUTHN",
      "requestAuthentication",
      "wasmAUTHZ",
      "access",
      "rateLimit",
      "wasmSTATS",
      "wasm",
      "forward",
    ]);
  });
});

describe("destination view", () => {
  const config = {
    apiVersion: "unimesh.io/v1alpha1",
    kind: "ProxyConfig",
    metadata: { name: "t" },
    spec: {
      admin: { port: 0 },
      services: [
        {
          name: "cart",
          namespace: "shop",
          ports: [{ port: 80 }, { port: 9090, protocol: "grpc" }],
          instances: [
            { port: 8080, servicePort: 80, labels: { version: "v1" } },
            { port: 8081, servicePort: 80, labels: { version: "v2" } },
            { port: 9091, servicePort: 9090, labels: { version: "v1" } },
          ],
        },
      ],
      destinations: [
        {
          namespace: "shop",
          service: "cart",
          connectionPool: { maxRequestsPerConnection: 5 },
          subsets: [
            {
              name: "v2",
              labels: { version: "v2" },
              loadBalancer: { algorithm: "consistent-hash", hash: { header: "x-user" } },
              connectionPool: { maxRequestsPerConnection: 1 },
            },
          ],
          routes: [
            { id: "grpc-only", port: 9090, forward: { targets: [{ weight: 100 }] } },
            {
              id: "canary",
              forward: {
                targets: [
                  { subset: "v2", labels: { version: "v2" }, weight: 10 },
                  { labels: { version: "v1" }, weight: 90 },
                ],
              },
            },
          ],
        },
      ],
    },
  } as unknown as ProxyConfig;
  const { compiled, diagnostics } = compileConfig(config);
  const cart = compiled?.services.get("shop/cart");

  test("each port has its routes, in order, and its protocol", () => {
    expect(diagnostics).toEqual([]);
    const http = cart!.views.get(80)!;
    const grpc = cart!.views.get(9090)!;
    expect([http.h2, http.routes.map((r) => r.id)]).toEqual([false, ["canary"]]);
    expect([grpc.h2, grpc.routes.map((r) => r.id)]).toEqual([true, ["grpc-only", "canary"]]);
    expect(cart!.views.get(81)).toBeUndefined();
  });

  test("each target's settings (the subset's own or the destination's), hash policy, connection reuse and instances", () => {
    const http = cart!.views.get(80)!;
    const [v2, v1] = http.upstreams.get(http.routes[0])!;
    expect(v2.settings).toBe(cart!.destination.subsetSettings!.get("v2"));
    expect([v2.hash, v2.reset, v2.port, v2.endpoints.map((i) => i.port)]).toEqual([{ header: "x-user" }, true, 80, [8081]]);
    expect(v1.settings).toBe(cart!.destination);
    expect([v1.hash, v1.reset, v1.port, v1.endpoints.map((i) => i.port)]).toEqual([undefined, false, 80, [8080]]);
    // The same route at the gRPC port: the instances of that port.
    const grpc = cart!.views.get(9090)!;
    expect(grpc.upstreams.get(grpc.routes[1])![1].endpoints.map((i) => i.port)).toEqual([9091]);
    // The endpoint lists are the service's own (a reload's lookup finds the same objects).
    expect(v1.endpoints).toBe(cart!.endpoints(v1.target.labels, 80));
  });
});
