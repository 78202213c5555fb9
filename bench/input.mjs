// The bench's generated input (see translate-child.mjs for why each mesh's input differs).

/** What each mesh's input differs in (see translate-child.mjs). */
const PER_MESH = {
  linkerd: { retryOn: "[5xx]", meshService: true },
  appmesh: { allowApproximations: ["service-level-access", "caller-side-access"] },
};

/**
 * The generated input of `mesh` for `n` services: namespaces of 100 services; svc-i may be called by
 * svc-(i-1); a reviews-like canary on each. Returns the YAML text, the approximations the run accepts
 * and the number of documents. test/bench-input.test.ts checks that it translates for every mesh.
 */
export function benchInput(mesh, n) {
  const { retryOn = "[5xx, connect-failure]", meshService = false, allowApproximations = [] } = PER_MESH[mesh] ?? {};
  const docs = [];
  for (let i = 0; i < n; i++) {
    const ns = `team-${String(Math.floor(i / 100)).padStart(3, "0")}`;
    const name = `svc-${String(i).padStart(5, "0")}`;
    const caller = `svc-${String(i - (i % 100 === 0 ? 0 : 1)).padStart(5, "0")}`;
    if (meshService)
      docs.push(`apiVersion: unimesh.io/v1alpha1
kind: MeshService
metadata: {name: ${name}, namespace: ${ns}}
spec: {ports: [{port: 8080}]}
`);
    docs.push(`apiVersion: unimesh.io/v1alpha1
kind: TrafficPolicy
metadata: {name: ${name}-traffic, namespace: ${ns}}
spec:
  destination: {service: ${name}, port: 8080}
  routes:
    - match: {headers: {x-canary: {exact: "true"}}}
      split: [{subset: {version: v2}}]
    - split: [{subset: {version: v1}, weight: 90}, {subset: {version: v2}, weight: 10}]
  timeout: 2s
  retries: {attempts: 2, perTryTimeout: 500ms, retryOn: ${retryOn}}
---
apiVersion: unimesh.io/v1alpha1
kind: AccessPolicy
metadata: {name: ${name}-access, namespace: ${ns}}
spec:
  destination: {service: ${name}}
  allow:
    - source: {serviceAccounts: [${caller}]}
      methods: [GET, POST]
      paths: ["/api/*"]
`);
  }
  return { text: docs.join("---\n"), allowApproximations, documents: n * (meshService ? 3 : 2) };
}
