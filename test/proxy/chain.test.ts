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
import { DONE, NEXT, runChain, type Filter } from "../../src/proxy/filters/chain.js";

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

describe("runChain", () => {
  const log =
    (seen: string[], name: string, step: typeof DONE | typeof NEXT | Promise<typeof DONE | typeof NEXT>): Filter<unknown> =>
    () => {
      seen.push(name);
      return step;
    };

  test("synchronous filters run in order, in the caller's turn, until one answers", () => {
    const seen: string[] = [];
    expect(runChain([log(seen, "a", NEXT), log(seen, "b", DONE), log(seen, "c", NEXT)], {})).toBeUndefined();
    expect(seen).toEqual(["a", "b"]);
    const all: string[] = [];
    expect(runChain([log(all, "a", NEXT), log(all, "b", NEXT)], {})).toBeUndefined();
    expect(all).toEqual(["a", "b"]);
  });

  test("a filter that waits: the rest runs once its promise says NEXT, nothing once it says DONE", async () => {
    const seen: string[] = [];
    const p = runChain([log(seen, "a", Promise.resolve(NEXT)), log(seen, "b", NEXT), log(seen, "c", Promise.resolve(NEXT)), log(seen, "d", NEXT)], {});
    expect(p).toBeInstanceOf(Promise);
    expect(seen).toEqual(["a"]);
    await p;
    expect(seen).toEqual(["a", "b", "c", "d"]);
    const done: string[] = [];
    await runChain([log(done, "a", Promise.resolve(DONE)), log(done, "b", NEXT)], {});
    expect(done).toEqual(["a"]);
  });

  test("the last filter's promise is the chain's: it settles when that filter is done", async () => {
    let finish!: (s: typeof DONE) => void;
    const last = new Promise<typeof DONE>((r) => (finish = r));
    const p = runChain([log([], "a", NEXT), () => last], {});
    let settled = false;
    void p!.then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 5));
    expect(settled).toBe(false);
    finish(DONE);
    await p;
    expect(settled).toBe(true);
  });

  test("a filter's error reaches the caller: thrown, or the chain's promise rejected", async () => {
    const boom: Filter<unknown> = () => {
      throw new Error("boom");
    };
    expect(() => runChain([log([], "a", NEXT), boom], {})).toThrow("boom");
    await expect(runChain([log([], "a", Promise.resolve(NEXT)), boom, log([], "c", NEXT)], {})).rejects.toThrow("boom");
    await expect(runChain([() => Promise.reject(new Error("late")), log([], "b", NEXT)], {})).rejects.toThrow("late");
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
