/**
 * `unimesh up` with a VirtualMesh (issue 13): two members, west and east, each its own built-in proxy
 * with its own registry and its own intermediate CA under one root (`unimesh trust init`), driven
 * through the CLI in process with real sockets on 127.0.0.1 (ephemeral ports; the apps are HTTP servers
 * of this test; requests go through the members' outbound listeners as the apps' HTTP_PROXY would).
 * Cross-member hops go through the other member's east-west listener, mutual TLS passed through by SNI.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import net from "node:net";
import tls from "node:tls";
import { run } from "../../src/cli/main.js";
import { CertificateAuthority } from "../../src/proxy/identity/ca.js";
import { call, closeAgents, startApp, type App } from "./support.js";

const POLICIES = `
apiVersion: unimesh.io/v1alpha1
kind: VirtualMesh
metadata: {name: shop}
spec:
  members:
    - {name: west, context: kind-west, mesh: istio@1.30, trustDomain: west.shop.test, gateway: {address: west-eastwest.shop.test, port: 15443}}
    - {name: east, context: kind-east, mesh: linkerd@2.20, trustDomain: east.shop.test}
---
apiVersion: unimesh.io/v1alpha1
kind: MeshService
metadata: {name: reviews, namespace: bookinfo}
spec:
  serviceAccount: bookinfo-reviews
  ports: [{port: 9080, name: http, protocol: http}]
---
apiVersion: unimesh.io/v1alpha1
kind: MeshService
metadata: {name: ratings, namespace: bookinfo}
spec:
  serviceAccount: bookinfo-ratings
  ports: [{port: 9080, name: http, protocol: http}]
---
apiVersion: unimesh.io/v1alpha1
kind: MeshService
metadata: {name: productpage, namespace: bookinfo}
spec:
  serviceAccount: bookinfo-productpage
  ports: [{port: 9080, name: http, protocol: http}]
---
apiVersion: unimesh.io/v1alpha1
kind: MeshService
metadata: {name: details, namespace: bookinfo}
spec:
  serviceAccount: bookinfo-details
  ports: [{port: 9080, name: http, protocol: http}]
---
# reviews: x-cluster: east goes to east; the rest 70/30 local/east; the local share fails over to the
# other member once outlier detection has ejected every local instance.
apiVersion: unimesh.io/v1alpha1
kind: TrafficPolicy
metadata: {name: reviews-spread, namespace: bookinfo}
spec:
  destination: {service: reviews, port: 9080}
  routes:
    - match: {headers: {x-cluster: {exact: east}}}
      split: [{cluster: east, weight: 100}]
    - split: [{weight: 70}, {cluster: east, weight: 30}]
  outlierDetection: {consecutive5xxErrors: 1, interval: 1s, baseEjectionTime: 10m, maxEjectionPercent: 100}
  failover: {clusters: [west, east]}
---
# ratings and details of west are east's.
apiVersion: unimesh.io/v1alpha1
kind: TrafficPolicy
metadata: {name: ratings-in-east, namespace: bookinfo}
spec:
  destination: {service: ratings, port: 9080}
  routes:
    - split: [{cluster: east, weight: 100}]
---
apiVersion: unimesh.io/v1alpha1
kind: TrafficPolicy
metadata: {name: details-in-east, namespace: bookinfo}
spec:
  destination: {service: details, port: 9080}
  routes:
    - split: [{cluster: east, weight: 100}]
---
# reviews: productpage of both members.
apiVersion: unimesh.io/v1alpha1
kind: AccessPolicy
metadata: {name: reviews-readers, namespace: bookinfo}
spec:
  destination: {service: reviews}
  allow:
    - source: {serviceAccounts: [bookinfo-productpage], clusters: [west, east]}
---
# ratings: reviews of the member itself only (no clusters).
apiVersion: unimesh.io/v1alpha1
kind: AccessPolicy
metadata: {name: ratings-readers, namespace: bookinfo}
spec:
  destination: {service: ratings}
  allow:
    - source: {serviceAccounts: [bookinfo-reviews]}
---
# details: namespace bookinfo of every member, but never west's productpage (deny wins).
apiVersion: unimesh.io/v1alpha1
kind: AccessPolicy
metadata: {name: details-readers, namespace: bookinfo}
spec:
  destination: {service: details}
  allow:
    - source: {namespaces: [bookinfo], clusters: ["*"]}
  deny:
    - source: {serviceAccounts: [bookinfo-productpage], clusters: [west]}
`;

interface Inst {
  service: string;
  app: App;
  outbound?: boolean;
}

function registryYaml(instances: Inst[]): string {
  const byService = new Map<string, Inst[]>();
  for (const i of instances) byService.set(i.service, [...(byService.get(i.service) ?? []), i]);
  const services = [...byService].map(
    ([name, is]) =>
      `  - name: ${name}\n    namespace: bookinfo\n    instances:\n` +
      is.map((i) => `      - {port: ${i.app.port}, inbound: {port: 0}${i.outbound ? ", outbound: {port: 0}" : ""}}\n`).join(""),
  );
  return `apiVersion: unimesh.io/v1alpha1\nkind: ServiceRegistry\nmetadata: {name: r}\nspec:\n  services:\n${services.join("")}`;
}

const KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;

describe("unimesh up with a VirtualMesh: two members on 127.0.0.1", () => {
  const dir = mkdtempSync(join(tmpdir(), "unimesh-vmesh-up-"));
  const log = join(dir, "access.log");
  const apps: Record<string, App> = {};
  let out = "";
  let err = "";
  let exited: Promise<number>;
  /** Outbound listener port of a member's service's (first) instance, from the summary `up` prints. */
  const outbound = (member: string, service: string): number => {
    const section = err.slice(err.indexOf(`member ${member}:`));
    const m = new RegExp(`outbound  http://127\\.0\\.0\\.1:(\\d+)  bookinfo/${service} `).exec(section);
    if (!m) throw new Error(`no outbound listener of ${member} ${service} in:\n${err}`);
    return Number(m[1]);
  };
  const eastWest = (member: string): number => Number(new RegExp(`member ${member}: .* east-west 127\\.0\\.0\\.1:(\\d+)`).exec(err)![1]);
  const admin = (member: string): number => Number(/admin {5}http:\/\/127\.0\.0\.1:(\d+)/.exec(err.slice(err.indexOf(`member ${member}:`)))![1]);

  beforeAll(async () => {
    for (const name of ["west-productpage", "west-reviews", "west-ratings", "east-productpage", "east-reviews", "east-ratings", "east-details"])
      apps[name] = await startApp(name);
    writeFileSync(join(dir, "policies.yaml"), POLICIES);
    writeFileSync(
      join(dir, "west.yaml"),
      registryYaml([
        { service: "productpage", app: apps["west-productpage"], outbound: true },
        { service: "reviews", app: apps["west-reviews"], outbound: true },
        { service: "ratings", app: apps["west-ratings"] },
      ]),
    );
    writeFileSync(
      join(dir, "east.yaml"),
      registryYaml([
        { service: "productpage", app: apps["east-productpage"], outbound: true },
        { service: "reviews", app: apps["east-reviews"], outbound: true },
        { service: "ratings", app: apps["east-ratings"] },
        { service: "details", app: apps["east-details"] },
      ]),
    );
    const io = (sink: (s: string) => void) => ({ write: (s: string) => (sink(s), true) });
    const cliIo = { stdout: io((s) => (out += s)), stderr: io((s) => (err += s)), readStdin: () => "", env: {}, cwd: dir };
    expect(await run(["trust", "init", "policies.yaml", "--dir", "trust"], cliIo)).toBe(0);
    exited = run(
      ["up", "policies.yaml", "-s", "west=west.yaml", "-s", "east=east.yaml", "--trust-dir", "trust", "--no-run", "--no-watch", "--access-log", log],
      cliIo,
    );
    for (let i = 0; i < 300 && !err.includes("virtual mesh shop running"); i++) await new Promise((r) => setTimeout(r, 50));
    expect(err).toContain("unimesh up: virtual mesh shop running: members west, east");
  }, 30_000);

  afterAll(async () => {
    await fetch(`http://127.0.0.1:${admin("west")}/quitquitquit`, { method: "POST" }).catch(() => undefined);
    await exited;
    await closeAgents();
    await Promise.all(Object.values(apps).map((a) => a.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  test("the summary names each member's east-west listener and intermediate (fingerprint only)", () => {
    expect(err).toMatch(
      /member west: trust domain west\.shop\.test, intermediate CA SHA256 [0-9A-F:]{95} \(from trust\), east-west 127\.0\.0\.1:\d+ \(stands in for its gateway west-eastwest\.shop\.test:15443\)/,
    );
    expect(err).toMatch(/member east: trust domain east\.shop\.test, .* east-west 127\.0\.0\.1:\d+\n/);
  });

  test("a request from west's productpage reaches east's reviews over mTLS, with west's identity", async () => {
    const r = await call(outbound("west", "productpage"), "reviews.bookinfo:9080", "/reviews/1", { headers: { "x-cluster": "east" } });
    expect(r).toMatchObject({ status: 200, body: "east-reviews" });
    const seen = apps["east-reviews"].seen.at(-1)!;
    expect(seen.url).toBe("/reviews/1");
    expect(seen.headers["x-forwarded-client-cert"]).toBe(
      "By=spiffe://east.shop.test/ns/bookinfo/sa/bookinfo-reviews;URI=spiffe://west.shop.test/ns/bookinfo/sa/bookinfo-productpage",
    );
  });

  test("a weighted split sends its share to the other member (70/30 within a tolerance)", async () => {
    const port = outbound("west", "productpage");
    const counts: Record<string, number> = {};
    for (let i = 0; i < 300; i++) {
      const r = await call(port, "reviews.bookinfo:9080", "/");
      expect(r.status).toBe(200);
      counts[r.body] = (counts[r.body] ?? 0) + 1;
    }
    expect(Object.keys(counts).sort()).toEqual(["east-reviews", "west-reviews"]);
    // 90 expected in east (binomial sd ~8): a wrong split (0, 50 or 100 %) falls far outside.
    expect(counts["east-reviews"]).toBeGreaterThan(50);
    expect(counts["east-reviews"]).toBeLessThan(135);
  });

  test("access across members: listed identities pass, an unlisted one or another member's is denied, deny wins", async () => {
    // ratings admits reviews of its own member only: east's reviews yes, west's reviews (another member) no.
    expect(await call(outbound("east", "reviews"), "ratings.bookinfo:9080", "/")).toMatchObject({ status: 200, body: "east-ratings" });
    const denied = await call(outbound("west", "reviews"), "ratings.bookinfo:9080", "/");
    expect(denied).toMatchObject({ status: 403, body: "RBAC: access denied" });
    // reviews admits productpage of both members, not west's reviews (unlisted).
    expect((await call(outbound("west", "reviews"), "reviews.bookinfo:9080", "/", { headers: { "x-cluster": "east" } })).status).toBe(403);
    // details admits bookinfo of every member but denies west's productpage: deny wins.
    expect(await call(outbound("west", "reviews"), "details.bookinfo:9080", "/")).toMatchObject({ status: 200, body: "east-details" });
    expect((await call(outbound("west", "productpage"), "details.bookinfo:9080", "/")).status).toBe(403);
    expect((await call(outbound("east", "productpage"), "details.bookinfo:9080", "/")).status).toBe(200);
    const metrics = await (await fetch(`http://127.0.0.1:${admin("east")}/metrics`)).text();
    expect(metrics).toMatch(
      /unimesh_access_denied_total\{source="bookinfo\/bookinfo-reviews",destination="bookinfo\/ratings",policy="AccessPolicy\/bookinfo\/ratings-readers"\} 1/,
    );
  });

  /**
   * A TLS client of east's east-west listener for reviews with a given certificate: the HTTP status, or the
   * error; `session`: a session to resume (the one of the connection is given to `onSession`).
   */
  async function viaEastWest(
    cert: { certPem: string; keyPem: string },
    rootPem: string,
    session?: Buffer,
    onSession?: (s: Buffer) => void,
    servername = "outbound_.9080_._.reviews.bookinfo.svc.cluster.local",
  ): Promise<string> {
    return new Promise((resolve) => {
      const s = tls.connect({
        ...(session ? { session } : {}),
        host: "127.0.0.1",
        port: eastWest("east"),
        servername,
        cert: cert.certPem,
        key: cert.keyPem,
        ca: rootPem,
        checkServerIdentity: () => undefined,
      });
      let data = "";
      s.on("session", (x: Buffer) => onSession?.(x));
      s.on("secureConnect", () => s.write("GET / HTTP/1.1\r\nhost: reviews\r\nconnection: close\r\n\r\n"));
      s.on("data", (d) => (data += d));
      s.on("error", (e) => resolve(`error ${e.message}`));
      s.on("close", () => resolve(data ? data.split("\r\n")[0] : "closed"));
      s.setTimeout(5000, () => s.destroy());
    });
  }

  test("a certificate from a CA outside the root is refused; so is one a member's CA issued for another trust domain", async () => {
    const trust = (f: string) => readFileSync(join(dir, "trust", f), "utf8");
    const root = trust("root-cert.pem");
    const productpage = "spiffe://west.shop.test/ns/bookinfo/sa/bookinfo-productpage";
    // West's own intermediate: admitted (the harness works).
    const west = await CertificateAuthority.fromPem(trust("west/ca-cert.pem"), trust("west/ca-key.pem"), "west.shop.test", root);
    const legit = await west.issue(productpage, 600_000);
    let session: Buffer | undefined;
    expect(await viaEastWest(legit, root, undefined, (x) => (session = x))).toBe("HTTP/1.1 200 OK");
    // A new connection offering to resume that session is served too (a full handshake: the issuer check needs the chain).
    expect(await viaEastWest(legit, root, session)).toBe("HTTP/1.1 200 OK");
    // A CA of its own, same trust domain and identity: refused at the handshake.
    const forger = await CertificateAuthority.create("west.shop.test");
    expect(await viaEastWest(await forger.issue(productpage, 600_000), root)).not.toMatch(/^HTTP/);
    // East's intermediate issuing an identity of west's trust domain: chains to the root, still refused.
    const east = await CertificateAuthority.fromPem(trust("east/ca-cert.pem"), trust("east/ca-key.pem"), "east.shop.test", root);
    expect(await viaEastWest(await east.issue(productpage, 600_000), root)).not.toMatch(/^HTTP/);
    const metrics = await (await fetch(`http://127.0.0.1:${admin("east")}/metrics`)).text();
    expect(metrics).toMatch(/reason="issuer is not the CA of the peer's trust domain"\} 1/);
    expect(metrics).toMatch(/reason="untrusted client certificate"\} 1/);
  });

  test("the east-west listener closes what is not mutual TLS for a local service port, without an answer", async () => {
    const raw = (bytes: string | Buffer) =>
      new Promise<string>((resolve) => {
        const s = net.connect(eastWest("east"), "127.0.0.1", () => s.write(bytes));
        let data = "";
        s.on("data", (d) => (data += d));
        s.on("error", () => undefined);
        s.on("close", () => resolve(data));
      });
    expect(await raw("GET / HTTP/1.1\r\nhost: reviews.bookinfo:9080\r\n\r\n")).toBe("");
    expect(await raw(Buffer.from([0x16, 0x03, 0x01, 0xff, 0xff, 0x01]))).toBe(""); // a record longer than TLS allows
    const trust = (f: string) => readFileSync(join(dir, "trust", f), "utf8");
    const west = await CertificateAuthority.fromPem(trust("west/ca-cert.pem"), trust("west/ca-key.pem"), "west.shop.test", trust("root-cert.pem"));
    const cert = await west.issue("spiffe://west.shop.test/ns/bookinfo/sa/bookinfo-productpage", 600_000);
    for (const servername of [
      "reviews.bookinfo",
      "outbound_.9081_._.reviews.bookinfo.svc.cluster.local",
      "outbound_.9080_.v9_.reviews.bookinfo.svc.cluster.local",
    ])
      expect(await viaEastWest(cert, trust("root-cert.pem"), undefined, undefined, servername)).not.toMatch(/^HTTP/);
    const metrics = await (await fetch(`http://127.0.0.1:${admin("east")}/metrics`)).text();
    expect(metrics).toMatch(/listener="eastwest",reason="not TLS on the east-west listener"\} 1/);
    expect(metrics).toMatch(/listener="eastwest",reason="server name names no service port"\} 1/);
    expect(metrics).toMatch(/listener="eastwest",reason="no such local service port"\} 1/);
    expect(metrics).toMatch(/listener="eastwest",reason="no such subset"\} 1/);
  });

  test("killing east's reviews fails east's callers over to west's reviews", async () => {
    const port = outbound("east", "productpage");
    expect((await call(port, "reviews.bookinfo:9080", "/")).body).toBe("east-reviews");
    await apps["east-reviews"].close();
    // The first request to the dead instance fails and ejects it (consecutive5xxErrors: 1).
    const first = await call(port, "reviews.bookinfo:9080", "/");
    expect([503, 200]).toContain(first.status);
    const after: string[] = [];
    for (let i = 0; i < 30; i++) after.push((await call(port, "reviews.bookinfo:9080", "/")).body);
    expect(new Set(after)).toEqual(new Set(["west-reviews"]));
  });

  test("no private key on stdout, stderr or the access log", async () => {
    expect(out).not.toMatch(KEY);
    expect(err).not.toMatch(KEY);
    const lines = readFileSync(log, "utf8");
    expect(lines).toContain('"destination":"bookinfo/reviews"');
    expect(lines).not.toMatch(KEY);
  });
});

describe("unimesh up with a VirtualMesh, without --trust-dir", () => {
  test("makes the root and intermediates in memory (written nowhere) and federates the members", { timeout: 30_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "unimesh-vmesh-mem-"));
    const caller = await startApp("west-productpage");
    const callee = await startApp("east-reviews");
    let err = "";
    const io = { stdout: { write: () => true }, stderr: { write: (s: string) => ((err += s), true) }, readStdin: () => "", env: {}, cwd: dir };
    try {
      writeFileSync(join(dir, "policies.yaml"), POLICIES);
      writeFileSync(join(dir, "west.yaml"), registryYaml([{ service: "productpage", app: caller, outbound: true }]));
      writeFileSync(join(dir, "east.yaml"), registryYaml([{ service: "reviews", app: callee }]));
      // A registry must say whose it is.
      expect(await run(["up", "policies.yaml", "-s", "west.yaml", "--no-run"], io)).toBe(2);
      expect(err).toContain(
        "-s west.yaml: the inputs hold VirtualMesh VirtualMesh/default/shop, whose members each run their own registry: say whose it is, -s MEMBER=FILE (members: west, east)",
      );
      err = "";
      const exited = run(["up", "policies.yaml", "-s", "west=west.yaml", "-s", "east=east.yaml", "--no-run", "--no-watch", "--no-access-log"], io);
      for (let i = 0; i < 300 && !err.includes("virtual mesh shop running"); i++) await new Promise((r) => setTimeout(r, 50));
      expect(err).toMatch(/member west: trust domain west\.shop\.test, intermediate CA SHA256 [0-9A-F:]{95} \(in memory\)/);
      const port = Number(/outbound {2}http:\/\/127\.0\.0\.1:(\d+) {2}bookinfo\/productpage /.exec(err)![1]);
      expect(await call(port, "reviews.bookinfo:9080", "/", { headers: { "x-cluster": "east" } })).toMatchObject({ status: 200, body: "east-reviews" });
      expect(readdirSync(dir).sort()).toEqual(["east.yaml", "policies.yaml", "west.yaml"]);
      const adminPort = Number(/admin {5}http:\/\/127\.0\.0\.1:(\d+)/.exec(err)![1]);
      await fetch(`http://127.0.0.1:${adminPort}/quitquitquit`, { method: "POST" });
      expect(await exited).toBe(0);
      expect(err).not.toMatch(KEY);
    } finally {
      await closeAgents();
      await caller.close();
      await callee.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
