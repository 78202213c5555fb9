/**
 * Validation as a table (Kuma style): input YAML → the exact list of diagnostics, each with its code,
 * JSON pointer, line, document index and a substring of its message. The wording of messages is part of
 * the contract: a message says what is wrong and what was expected.
 */
import { describe, expect, test } from "vitest";
import { DEFAULT_LIMITS, loadModel, parseDocuments, toJson, toYaml, validateDocuments, type Model } from "../../src/index.js";
import { type Expected, expectDiagnostics, load, y } from "./helpers.js";

interface Case {
  name: string;
  /** One file's text, or several files (`f0.yaml`, `f1.yaml`, ... or named). */
  input: string | string[] | Record<string, string>;
  expected: Expected[];
}

const cases: Case[] = [
  // ------------------------------------------------------------------------------------- YAML
  {
    name: "malformed YAML: unclosed flow mapping (line and column of the error)",
    input: y`
      apiVersion: unimesh.io/v1alpha1
      kind: TrafficPolicy
      metadata: {name: a
      spec: {}
    `,
    expected: [
      { code: "yaml/syntax", documentIndex: 0, line: 4, column: 1, pointer: undefined, message: "invalid YAML: missed comma between flow collection entries" },
    ],
  },
  {
    name: "malformed YAML: bad indentation",
    input: y`
      apiVersion: unimesh.io/v1alpha1
      kind: TrafficPolicy
      metadata:
        name: a
       spec: {}
    `,
    expected: [{ code: "yaml/syntax", line: 5, column: 2, message: "bad indentation of a mapping entry" }],
  },
  {
    name: "duplicate keys: the second occurrence, named",
    input: y`
      apiVersion: unimesh.io/v1alpha1
      kind: TrafficPolicy
      metadata:
        name: a
        name: b
      spec:
        destination: {service: x}
    `,
    expected: [{ code: "yaml/duplicate-key", documentIndex: 0, line: 5, column: 3, message: 'duplicate key "name" in a mapping: every key may appear once' }],
  },
  {
    name: "duplicate keys in a flow mapping",
    input: y`
      apiVersion: unimesh.io/v1alpha1
      kind: TrafficPolicy
      metadata: {name: a}
      spec:
        destination: {service: x, service: y}
    `,
    expected: [{ code: "yaml/duplicate-key", line: 5, message: 'duplicate key "service"' }],
  },
  // ----------------------------------------------------------------------------------- schema
  {
    name: "wrong types",
    input: y`
      apiVersion: unimesh.io/v1alpha1
      kind: TrafficPolicy
      metadata: {name: a, namespace: shop}
      spec:
        destination:
          service: cart
          port: "8080"
        retries:
          attempts: 2.5
        faultInjection:
          delay: {fixedDelay: 1s, percent: "10"}
        routes: {name: x}
    `,
    expected: [
      { code: "schema/type", pointer: "/spec/destination/port", line: 7, column: 5, message: "must be an integer", policy: "TrafficPolicy/shop/a" },
      { code: "schema/type", pointer: "/spec/retries/attempts", line: 9, column: 5, message: "must be an integer" },
      { code: "schema/type", pointer: "/spec/faultInjection/delay/percent", line: 11, message: "must be of type number" },
      { code: "schema/type", pointer: "/spec/routes", line: 12, column: 3, message: "must be of type array" },
    ],
  },
  {
    name: "unknown fields at several depths list the expected fields",
    input: y`
      apiVersion: unimesh.io/v1alpha1
      kind: TrafficPolicy
      metadata:
        name: a
        nmespace: shop
      spec:
        destination: {service: x}
        routes:
          - match:
              path: {prefix: /a}
              method: GET
              body: x
            splits: []
        retry: {attempts: 1}
      status: {}
    `,
    expected: [
      {
        code: "schema/unknown-field",
        pointer: "/metadata/nmespace",
        line: 5,
        column: 3,
        message: 'unknown field "nmespace"; expected one of: name, namespace, labels, annotations',
      },
      {
        code: "schema/unknown-field",
        pointer: "/spec/routes/0/match/body",
        line: 12,
        column: 9,
        message: 'unknown field "body"; expected one of: path, method, headers, queryParams',
      },
      {
        code: "schema/unknown-field",
        pointer: "/spec/routes/0/splits",
        line: 13,
        column: 7,
        message:
          'unknown field "splits"; expected one of: name, match, split, redirect, directResponse, rewrite, timeout, retries, faultInjection, mirror, headers, cors',
      },
      {
        code: "schema/unknown-field",
        pointer: "/spec/retry",
        line: 14,
        column: 3,
        message: 'unknown field "retry"; expected one of: source, destination, routes, timeout, retries,',
      },
      {
        code: "schema/unknown-field",
        pointer: "/status",
        line: 15,
        column: 1,
        message: 'unknown field "status"; expected one of: apiVersion, kind, metadata, spec',
      },
    ],
  },
  {
    name: "unknown field under a map of objects (header match)",
    input: y`
      apiVersion: unimesh.io/v1alpha1
      kind: TrafficPolicy
      metadata: {name: a}
      spec:
        destination: {service: x}
        routes:
          - match:
              headers:
                x-user:
                  exakt: bob
    `,
    expected: [
      {
        code: "schema/unknown-field",
        pointer: "/spec/routes/0/match/headers/x-user/exakt",
        line: 10,
        column: 13,
        message: "expected one of: exact, prefix, regex, present",
      },
    ],
  },
  {
    name: "keys named like Object.prototype members are plain unknown fields",
    input: y`
      apiVersion: unimesh.io/v1alpha1
      kind: MeshService
      metadata: {name: a}
      spec:
        __proto__: {polluted: true}
        constructor: x
        selector: {constructor: x, toString: y}
    `,
    expected: [
      {
        code: "schema/unknown-field",
        pointer: "/spec/__proto__",
        line: 5,
        column: 3,
        message: 'unknown field "__proto__"; expected one of: selector, serviceAccount, ports, subsets',
      },
      { code: "schema/unknown-field", pointer: "/spec/constructor", line: 6, column: 3 },
    ],
  },
  {
    name: "missing required fields (pointer of the object that lacks them)",
    input: y`
      apiVersion: unimesh.io/v1alpha1
      kind: TrafficPolicy
      metadata:
        namespace: shop
      spec:
        retries: {perTryTimeout: 1s}
    `,
    expected: [
      { code: "schema/required", pointer: "/metadata", line: 3, message: 'missing required field "name"', policy: undefined },
      { code: "schema/required", pointer: "/spec", line: 5, message: 'missing required field "destination"' },
      { code: "schema/required", pointer: "/spec/retries", line: 6, message: 'missing required field "attempts"' },
    ],
  },
  {
    name: "missing spec and required fields inside a list item",
    input: y`
      apiVersion: unimesh.io/v1alpha1
      kind: MeshService
      metadata: {name: reviews}
      ---
      apiVersion: unimesh.io/v1alpha1
      kind: MeshService
      metadata: {name: ratings}
      spec:
        subsets:
          - name: v1
    `,
    expected: [
      { code: "schema/required", documentIndex: 0, pointer: "", line: 1, column: 1, message: 'missing required field "spec"' },
      { code: "schema/required", documentIndex: 1, pointer: "/spec/subsets/0", line: 10, column: 7, message: 'missing required field "labels"' },
    ],
  },
  {
    name: "bad enum values",
    input: y`
      apiVersion: unimesh.io/v1alpha1
      kind: TrafficPolicy
      metadata: {name: a}
      spec:
        destination: {service: x}
        routes:
          - match: {method: FETCH}
            faultInjection:
              abort: {grpcStatus: BROKEN}
      ---
      apiVersion: unimesh.io/v1alpha1
      kind: MTLSPolicy
      metadata: {name: m}
      spec:
        mode: strictest
    `,
    expected: [
      { code: "schema/enum", documentIndex: 0, pointer: "/spec/routes/0/match/method", line: 7, message: 'must be one of: "GET", "HEAD", "POST"' },
      { code: "schema/enum", documentIndex: 0, pointer: "/spec/routes/0/faultInjection/abort/grpcStatus", line: 9, message: '"UNAVAILABLE"' },
      { code: "schema/enum", documentIndex: 1, pointer: "/spec/mode", line: 15, column: 3, message: 'must be one of: "strict", "permissive", "disabled"' },
    ],
  },
  {
    name: "values out of range and bad names",
    input: y`
      apiVersion: unimesh.io/v1alpha1
      kind: TrafficPolicy
      metadata: {name: Bad_Name}
      spec:
        destination: {service: x, port: 70000}
        retries: {attempts: 11}
    `,
    expected: [
      { code: "schema/pattern", pointer: "/metadata/name", line: 3, message: "must be a DNS-1123 label", policy: "TrafficPolicy/default/Bad_Name" },
      { code: "schema/maximum", pointer: "/spec/destination/port", line: 5, message: "must be <= 65535" },
      { code: "schema/maximum", pointer: "/spec/retries/attempts", line: 6, message: "must be <= 10" },
    ],
  },
  {
    name: "exactly one of exact/prefix/regex",
    input: y`
      apiVersion: unimesh.io/v1alpha1
      kind: TrafficPolicy
      metadata: {name: a}
      spec:
        destination: {service: x}
        routes:
          - match:
              path: {exact: /a, prefix: /a}
          - match:
              path: {}
    `,
    expected: [
      { code: "schema/one-of", pointer: "/spec/routes/0/match/path", line: 8, message: "must set exactly one of its fields, not several" },
      { code: "schema/one-of", pointer: "/spec/routes/1/match/path", line: 10, message: "must set exactly one of its fields" },
    ],
  },
  {
    name: "bad keys: header names and mTLS port keys point at the key",
    input: y`
      apiVersion: unimesh.io/v1alpha1
      kind: TrafficPolicy
      metadata: {name: a}
      spec:
        destination: {service: x}
        routes:
          - match:
              headers:
                "x user": {exact: a}
      ---
      apiVersion: unimesh.io/v1alpha1
      kind: MTLSPolicy
      metadata: {name: m}
      spec:
        destination: {service: x}
        mode: strict
        ports:
          http: disabled
    `,
    expected: [
      { code: "schema/pattern", documentIndex: 0, pointer: "/spec/routes/0/match/headers/x user", line: 9, column: 11, message: "must be an HTTP header name" },
      { code: "schema/pattern", documentIndex: 1, pointer: "/spec/ports/http", line: 18, column: 5, message: "must be a port number (1-65535)" },
    ],
  },
  // -------------------------------------------------------------------------------- durations
  {
    name: "bad durations: pattern (schema) and semantic (rule): 0ms, 0.5ms, too long",
    input: y`
      apiVersion: unimesh.io/v1alpha1
      kind: TrafficPolicy
      metadata: {name: a}
      spec:
        destination: {service: x}
        timeout: 0ms
        retries:
          attempts: 2
          perTryTimeout: 0.5ms
          backoff: 100000000h
        outlierDetection:
          interval: 10 s
      ---
      apiVersion: unimesh.io/v1alpha1
      kind: TrafficPolicy
      metadata: {name: b}
      spec:
        destination: {service: x}
        timeout: 5
    `,
    expected: [
      { code: "rule/duration", documentIndex: 0, pointer: "/spec/timeout", line: 6, message: "must be at least 1ms (got 0ms)" },
      { code: "rule/duration", documentIndex: 0, pointer: "/spec/retries/perTryTimeout", line: 9, message: "must be at least 1ms (got 0.5ms)" },
      { code: "rule/duration", documentIndex: 0, pointer: "/spec/retries/backoff", line: 10, message: "must be at most 10000 years (got 100000000h)" },
      {
        code: "schema/pattern",
        documentIndex: 0,
        pointer: "/spec/outlierDetection/interval",
        line: 12,
        message: "must be a duration such as 500ms, 2s or 1m30s (units ms, s, m, h)",
      },
      { code: "schema/type", documentIndex: 1, pointer: "/spec/timeout", line: 19, message: "must be of type string" },
    ],
  },
  {
    name: "durations deep inside (cookie ttl, cors maxAge) are checked; 1m30s and 1h are fine",
    input: y`
      apiVersion: unimesh.io/v1alpha1
      kind: TrafficPolicy
      metadata: {name: a}
      spec:
        destination: {service: x}
        timeout: 1m30s
        cors: {allowOrigins: [{exact: "https://a"}], maxAge: 1h}
        loadBalancer:
          algorithm: consistent-hash
          consistentHash:
            cookie: {name: s, ttl: 0s}
    `,
    expected: [{ code: "rule/duration", pointer: "/spec/loadBalancer/consistentHash/cookie/ttl", line: 11, message: "must be at least 1ms (got 0s)" }],
  },
  {
    name: "values named like durations or regexes where the schema has none are not checked",
    input: y`
      apiVersion: unimesh.io/v1alpha1
      kind: TrafficPolicy
      metadata:
        name: a
        annotations: {timeout: forever, regex: "(?=x)"}
        labels: {timeout: "0"}
      spec:
        destination: {service: x}
        headers:
          request:
            set: {timeout: "5", regex: "(?=x)"}
    `,
    expected: [],
  },
  // ----------------------------------------------------------------------------------- splits
  {
    name: "weights that do not sum to 100",
    input: y`
      apiVersion: unimesh.io/v1alpha1
      kind: TrafficPolicy
      metadata: {name: a}
      spec:
        destination: {service: x}
        routes:
          - match: {method: GET}
            split:
              - {subset: {version: v1}, weight: 50}
              - {subset: {version: v2}, weight: 40}
          - split: [{subset: {version: v1}, weight: 50}]
    `,
    expected: [
      { code: "rule/split-weights", pointer: "/spec/routes/0/split", line: 8, column: 7, message: "weights must sum to 100 (got 90)" },
      { code: "rule/split-weights", pointer: "/spec/routes/1/split", line: 11, column: 7, message: "weights must sum to 100 (got 50)" },
    ],
  },
  {
    name: "a missing weight in a split with several targets, a duplicate subset",
    input: y`
      apiVersion: unimesh.io/v1alpha1
      kind: TrafficPolicy
      metadata: {name: a}
      spec:
        destination: {service: x}
        routes:
          - match: {method: GET}
            split:
              - {subset: {version: v1}, weight: 50}
              - {subset: {version: v1}, weight: 50}
          - split:
              - subset: {version: v1}
                weight: 100
              - subset: {version: v2}
    `,
    expected: [
      {
        code: "rule/split-duplicate",
        pointer: "/spec/routes/0/split/1",
        line: 10,
        column: 11,
        message: "the same target (subset or service, port and cluster) appears twice in this split; merge the weights",
      },
      {
        code: "rule/split-weights",
        pointer: "/spec/routes/1/split/1",
        line: 14,
        column: 11,
        message: "every target of a split with several targets needs a weight",
      },
    ],
  },
  // ---------------------------------------------------------------------- against MeshService
  {
    name: "unknown subset, unknown ports (destination, split target, mirror to another service)",
    input: y`
      apiVersion: unimesh.io/v1alpha1
      kind: MeshService
      metadata: {name: cart, namespace: shop}
      spec:
        ports: [{port: 8080}]
        subsets:
          - {name: v1, labels: {version: v1}}
          - {name: v2, labels: {version: v2}}
      ---
      apiVersion: unimesh.io/v1alpha1
      kind: MeshService
      metadata: {name: audit, namespace: shop}
      spec:
        ports: [{port: 80}]
        subsets: [{name: blue, labels: {color: blue}}]
      ---
      apiVersion: unimesh.io/v1alpha1
      kind: TrafficPolicy
      metadata: {name: a, namespace: shop}
      spec:
        destination: {service: cart, port: 9090}
        routes:
          - split:
              - subset: {version: v3}
                weight: 50
              - subset: {version: v1}
                weight: 50
                port: 8081
            mirror: {service: audit, subset: {color: green}, port: 8080}
    `,
    expected: [
      {
        code: "rule/unknown-port",
        documentIndex: 2,
        pointer: "/spec/destination/port",
        line: 21,
        column: 3,
        message: "port 9090 is not a port of MeshService shop/cart (ports: 8080)",
      },
      {
        code: "rule/unknown-subset",
        documentIndex: 2,
        pointer: "/spec/routes/0/split/0/subset",
        line: 24,
        column: 11,
        message: 'subset {"version":"v3"} is not declared by MeshService shop/cart; declared: v1 {"version":"v1"}, v2 {"version":"v2"}',
      },
      {
        code: "rule/unknown-port",
        documentIndex: 2,
        pointer: "/spec/routes/0/split/1/port",
        line: 28,
        column: 11,
        message: "port 8081 is not a port of MeshService shop/cart",
      },
      {
        code: "rule/unknown-port",
        documentIndex: 2,
        pointer: "/spec/routes/0/mirror/port",
        line: 29,
        column: 7,
        message: "port 8080 is not a port of MeshService shop/audit (ports: 80)",
      },
      {
        code: "rule/unknown-subset",
        documentIndex: 2,
        pointer: "/spec/routes/0/mirror/subset",
        line: 29,
        column: 7,
        message: 'subset {"color":"green"} is not declared by MeshService shop/audit; declared: blue {"color":"blue"}',
      },
    ],
  },
  {
    name: "unknown ports in an AccessPolicy (destination, allow and deny rules) and in MTLSPolicy per-port keys: Service ports only",
    input: y`
      apiVersion: unimesh.io/v1alpha1
      kind: MeshService
      metadata: {name: cart, namespace: shop}
      spec:
        ports: [{port: 80, targetPort: 8080}]
      ---
      apiVersion: unimesh.io/v1alpha1
      kind: AccessPolicy
      metadata: {name: a, namespace: shop}
      spec:
        destination: {service: cart, port: 8080}
        allow:
          - ports: [80, 8080]
        deny:
          - ports: [9090]
      ---
      apiVersion: unimesh.io/v1alpha1
      kind: MTLSPolicy
      metadata: {name: m, namespace: shop}
      spec:
        destination: {service: cart}
        mode: strict
        ports: {"80": permissive, "8080": disabled}
    `,
    expected: [
      {
        code: "rule/unknown-port",
        documentIndex: 1,
        pointer: "/spec/destination/port",
        line: 11,
        message: "port 8080 is not a port of MeshService shop/cart (ports: 80)",
      },
      { code: "rule/unknown-port", documentIndex: 1, pointer: "/spec/allow/0/ports/1", line: 13, message: "port 8080 is not a port of MeshService shop/cart" },
      { code: "rule/unknown-port", documentIndex: 1, pointer: "/spec/deny/0/ports/0", line: 15, message: "port 9090 is not a port of MeshService shop/cart" },
      { code: "rule/unknown-port", documentIndex: 2, pointer: "/spec/ports/8080", line: 23, message: "port 8080 is not a port of MeshService shop/cart" },
    ],
  },
  // ------------------------------------------------------------------------- names, conflicts
  {
    name: "duplicate names across files (reported on the later file)",
    input: {
      "a.yaml": y`
        apiVersion: unimesh.io/v1alpha1
        kind: TrafficPolicy
        metadata: {name: p, namespace: shop}
        spec:
          destination: {service: x}
          timeout: 1s
      `,
      "b.yaml": y`
        # the same name, another destination
        apiVersion: unimesh.io/v1alpha1
        kind: TrafficPolicy
        metadata:
          namespace: shop
          name: p
        spec:
          destination: {service: y}
          timeout: 1s
      `,
    },
    expected: [
      {
        code: "rule/duplicate-name",
        file: "b.yaml",
        documentIndex: 0,
        pointer: "/metadata/name",
        line: 6,
        column: 3,
        message: "TrafficPolicy/shop/p is defined twice (also in a.yaml [0]); names must be unique per kind and namespace",
      },
    ],
  },
  {
    name: "two policies route the same traffic and set a destination-level setting differently",
    input: y`
      apiVersion: unimesh.io/v1alpha1
      kind: TrafficPolicy
      metadata: {name: team-a, namespace: shop}
      spec:
        destination: {service: cart, port: 8080}
        timeout: 1s
        outlierDetection: {consecutive5xxErrors: 3}
      ---
      apiVersion: unimesh.io/v1alpha1
      kind: TrafficPolicy
      metadata: {name: team-b, namespace: shop}
      spec:
        destination: {service: cart, port: 8080}
        timeout: 2s
        outlierDetection: {consecutive5xxErrors: 10}
    `,
    expected: [
      {
        code: "rule/conflict",
        documentIndex: 1,
        pointer: "/spec",
        line: 12,
        message: "TrafficPolicy/shop/team-b and TrafficPolicy/shop/team-a both route the same requests to shop/cart (every request)",
      },
      {
        code: "rule/conflict",
        documentIndex: 1,
        pointer: "/spec/outlierDetection",
        line: 15,
        message: "outlierDetection of shop/cart is set differently by TrafficPolicy/shop/team-a and TrafficPolicy/shop/team-b; set it in one policy",
      },
    ],
  },
  {
    name: "the same match and the same callers written in another order still conflict",
    input: y`
      apiVersion: unimesh.io/v1alpha1
      kind: TrafficPolicy
      metadata: {name: a, namespace: shop}
      spec:
        source: {serviceAccounts: [web, shop/mobile]}
        destination: {service: cart}
        routes:
          - match: {path: {prefix: /x}, method: GET}
            timeout: 1s
      ---
      apiVersion: unimesh.io/v1alpha1
      kind: TrafficPolicy
      metadata: {name: b, namespace: shop}
      spec:
        source: {serviceAccounts: [mobile, shop/web]}
        destination: {service: cart}
        routes:
          - match: {method: GET, path: {prefix: /x}}
            timeout: 2s
    `,
    expected: [
      {
        code: "rule/conflict",
        documentIndex: 1,
        pointer: "/spec/routes/0/match",
        line: 18,
        message: "TrafficPolicy/shop/b and TrafficPolicy/shop/a both route the same requests to shop/cart;",
      },
    ],
  },
  {
    name: "a policy of destination-level settings only does not conflict with a routing policy",
    input: y`
      apiVersion: unimesh.io/v1alpha1
      kind: TrafficPolicy
      metadata: {name: a-resilience, namespace: shop}
      spec:
        destination: {service: cart}
        outlierDetection: {consecutive5xxErrors: 3}
      ---
      apiVersion: unimesh.io/v1alpha1
      kind: TrafficPolicy
      metadata: {name: b-canary, namespace: shop}
      spec:
        destination: {service: cart}
        routes:
          - split: [{subset: {version: v1}, weight: 90}, {subset: {version: v2}, weight: 10}]
    `,
    expected: [],
  },
  {
    name: "source with ipBlocks in a TrafficPolicy; destination-level settings with a source",
    input: y`
      apiVersion: unimesh.io/v1alpha1
      kind: TrafficPolicy
      metadata: {name: a}
      spec:
        source:
          ipBlocks: [10.0.0.0/8]
        destination: {service: x}
        connectionPool: {maxConnections: 1}
        rateLimit: {requestsPerSecond: 5}
    `,
    expected: [
      {
        code: "rule/source-ip-blocks",
        pointer: "/spec/source/ipBlocks",
        line: 6,
        column: 5,
        message: "ipBlocks select callers by address and are only for AccessPolicy",
      },
      {
        code: "rule/destination-setting-with-source",
        pointer: "/spec/connectionPool",
        line: 8,
        message: "connectionPool applies to every caller of the destination; move it to a TrafficPolicy without source",
      },
      { code: "rule/destination-setting-with-source", pointer: "/spec/rateLimit", line: 9, message: "rateLimit applies" },
    ],
  },
  // ----------------------------------------------------------------------------------- routes
  {
    name: "a route with two actions; retries on a redirect; replacePrefixMatch without a prefix match",
    input: y`
      apiVersion: unimesh.io/v1alpha1
      kind: TrafficPolicy
      metadata: {name: a}
      spec:
        destination: {service: x}
        routes:
          - match: {path: {exact: /a}}
            split: [{weight: 100}]
            directResponse: {status: 200}
          - match: {path: {exact: /b}}
            redirect: {path: /c}
            retries: {attempts: 1}
          - match: {path: {exact: /old}}
            rewrite:
              path: {replacePrefixMatch: /new}
    `,
    expected: [
      {
        code: "rule/route-action",
        pointer: "/spec/routes/0",
        line: 7,
        column: 7,
        message: "a route does one thing: set only one of split, redirect, directResponse (got split, directResponse)",
      },
      {
        code: "rule/route-action",
        pointer: "/spec/routes/1",
        line: 10,
        message: "rewrite, mirror, retries and delay only apply to routes that forward (split)",
      },
      {
        code: "rule/rewrite-prefix",
        pointer: "/spec/routes/2/rewrite/path/replacePrefixMatch",
        line: 15,
        message: "replacePrefixMatch needs the route to match a path prefix (match.path.prefix or segmentPrefix); use replaceFullPath otherwise",
      },
    ],
  },
  {
    name: "regexes: lookahead, lookbehind, back-reference and invalid ones; RE2 inline flags are fine",
    input: y`
      apiVersion: unimesh.io/v1alpha1
      kind: TrafficPolicy
      metadata: {name: a}
      spec:
        destination: {service: x}
        routes:
          - match: {path: {regex: "/a(?=b)"}}
          - match: {headers: {user-agent: {regex: "(?<!x)y"}}}
          - match: {queryParams: {q: {regex: "(a)\\1"}}}
          - match: {path: {regex: "/a(b"}}
          - match: {path: {regex: "(?i)/ok/(?P<id>[0-9]+)"}}
    `,
    expected: [
      { code: "rule/regex", pointer: "/spec/routes/0/match/path/regex", line: 7, message: "lookahead and lookbehind are not RE2 syntax" },
      { code: "rule/regex", pointer: "/spec/routes/1/match/headers/user-agent/regex", line: 8, message: "lookahead and lookbehind are not RE2 syntax" },
      { code: "rule/regex", pointer: "/spec/routes/2/match/queryParams/q/regex", line: 9, message: "back-references are not RE2 syntax" },
      { code: "rule/regex", pointer: "/spec/routes/3/match/path/regex", line: 10, message: "not a valid regular expression: Unterminated group" },
    ],
  },
  {
    name: "shadowed routes: after a catch-all, and the same match twice (warnings)",
    input: y`
      apiVersion: unimesh.io/v1alpha1
      kind: TrafficPolicy
      metadata: {name: a}
      spec:
        destination: {service: x}
        routes:
          - match: {path: {prefix: /a}}
          - match: {path: {prefix: /a}}
          - name: everything
          - match: {path: {exact: /late}}
    `,
    expected: [
      {
        code: "rule/shadowed-route",
        severity: "warning",
        pointer: "/spec/routes/1/match",
        line: 8,
        message: "route 1 matches the same requests as route 0 and can never be used",
      },
      {
        code: "rule/shadowed-route",
        severity: "warning",
        pointer: "/spec/routes/3/match",
        line: 10,
        message: "route 3 comes after route 2, which matches every request, so it can never be used",
      },
    ],
  },
  {
    name: "fault injection: abort with both statuses, with none, nothing to inject",
    input: y`
      apiVersion: unimesh.io/v1alpha1
      kind: TrafficPolicy
      metadata: {name: a}
      spec:
        destination: {service: x}
        routes:
          - match: {path: {exact: /a}}
            faultInjection:
              abort: {httpStatus: 503, grpcStatus: UNAVAILABLE}
          - match: {path: {exact: /b}}
            faultInjection:
              abort: {percent: 5}
          - match: {path: {exact: /c}}
            faultInjection: {}
    `,
    expected: [
      { code: "rule/fault-abort", pointer: "/spec/routes/0/faultInjection/abort", line: 9, message: "abort needs exactly one of httpStatus, grpcStatus" },
      { code: "rule/fault-abort", pointer: "/spec/routes/1/faultInjection/abort", line: 12 },
      { code: "rule/fault-empty", pointer: "/spec/routes/2/faultInjection", line: 14, message: "faultInjection needs delay or abort" },
    ],
  },
  // ------------------------------------------------------------------------- access and mTLS
  {
    name: "access: paths with * in the middle",
    input: y`
      apiVersion: unimesh.io/v1alpha1
      kind: AccessPolicy
      metadata: {name: a}
      spec:
        destination: {service: x}
        allow:
          - paths: ["/a*b", "*/a/*", "/ok/*", "*/ok", "*", "/exact", "*.png", "**", "*.p*g"]
    `,
    expected: [
      {
        code: "schema/pattern",
        pointer: "/spec/allow/0/paths/0",
        line: 7,
        column: 7,
        message: "must be a path: exact (/a), /a and below it (/a/*), string prefix (/a*), suffix (*.png, */a), or * (any); `*` only at the start or the end",
      },
      { code: "schema/pattern", pointer: "/spec/allow/0/paths/1", line: 7, column: 7 },
      { code: "schema/pattern", pointer: "/spec/allow/0/paths/7", line: 7, column: 7 },
      { code: "schema/pattern", pointer: "/spec/allow/0/paths/8", line: 7, column: 7 },
    ],
  },
  {
    name: "access: rule/deny-all only where no AccessPolicy of the destination allows (they form one rule set)",
    input: y`
      apiVersion: unimesh.io/v1alpha1
      kind: AccessPolicy
      metadata: {name: alone, namespace: shop}
      spec:
        destination: {service: vault}
        deny: [{source: {namespaces: [ops]}}]
      ---
      apiVersion: unimesh.io/v1alpha1
      kind: AccessPolicy
      metadata: {name: deny-ops, namespace: shop}
      spec:
        destination: {service: web}
        deny: [{source: {namespaces: [ops]}}]
      ---
      apiVersion: unimesh.io/v1alpha1
      kind: AccessPolicy
      metadata: {name: readers, namespace: shop}
      spec:
        destination: {service: web}
        allow: [{source: {serviceAccounts: [frontend]}}]
      ---
      apiVersion: unimesh.io/v1alpha1
      kind: AccessPolicy
      metadata: {name: lock-all, namespace: shop}
      spec:
        destination: {service: api}
      ---
      apiVersion: unimesh.io/v1alpha1
      kind: AccessPolicy
      metadata: {name: api-9080, namespace: shop}
      spec:
        destination: {service: api, port: 9080}
        allow: [{}]
      ---
      apiVersion: unimesh.io/v1alpha1
      kind: AccessPolicy
      metadata: {name: lock-9090, namespace: shop}
      spec:
        destination: {service: api, port: 9090}
      ---
      apiVersion: unimesh.io/v1alpha1
      kind: AccessPolicy
      metadata: {name: lock-9080, namespace: shop}
      spec:
        destination: {service: api, port: 9080}
    `,
    expected: [
      {
        code: "rule/deny-all",
        severity: "warning",
        documentIndex: 0,
        pointer: "/spec",
        message:
          "this AccessPolicy has deny rules but no allow rules, and no AccessPolicy for shop/vault allows anything: every request to shop/vault is denied",
      },
      {
        code: "rule/deny-all",
        severity: "warning",
        documentIndex: 3,
        pointer: "/spec",
        message: "every request to shop/api on a port other than 9080 is denied",
      },
      {
        code: "rule/deny-all",
        severity: "warning",
        documentIndex: 5,
        pointer: "/spec",
        message: "no AccessPolicy for shop/api allows on port 9090: every request to port 9090 of shop/api is denied",
      },
    ],
  },
  {
    name: "headers of a split target: each header once, and not also changed by the route (or the policy)",
    input: y`
      apiVersion: unimesh.io/v1alpha1
      kind: TrafficPolicy
      metadata: {name: t}
      spec:
        destination: {service: x}
        headers:
          request: {set: {x-env: prod}}
        routes:
          - split:
              - subset: {version: v1}
                weight: 50
                headers:
                  request: {set: {X-Env: canary, x-a: "1"}, remove: [x-a]}
              - subset: {version: v2}
                weight: 50
                headers:
                  response: {add: {x-env: v2}}
      ---
      apiVersion: unimesh.io/v1alpha1
      kind: TrafficPolicy
      metadata: {name: u}
      spec:
        destination: {service: x}
        routes:
          - match: {path: {prefix: /b}}
            headers:
              response: {remove: [server]}
            split:
              - headers:
                  request: {set: {x-env: b}}
                  response: {set: {Server: b}}
    `,
    expected: [
      {
        code: "rule/header-ops",
        pointer: "/spec/routes/0/split/0/headers/request",
        line: 13,
        message: `header "x-a" is changed twice in request; set, add and remove each header once`,
      },
      {
        code: "rule/header-ops",
        pointer: "/spec/routes/0/split/0/headers/request",
        line: 13,
        message: `header "x-env" is changed both here and by the route's headers (/spec/headers); change it at one level only (meshes apply the two levels in different orders)`,
      },
      {
        code: "rule/header-ops",
        documentIndex: 1,
        pointer: "/spec/routes/0/split/0/headers/response",
        line: 31,
        message: `header "server" is changed both here and by the route's headers (/spec/routes/0/headers); change it at one level only (meshes apply the two levels in different orders)`,
      },
    ],
  },
  {
    name: "subsetSettings: declared subsets, once per policy, not empty, an algorithm for loadBalancer, not with source; two policies must agree",
    input: y`
      apiVersion: unimesh.io/v1alpha1
      kind: MeshService
      metadata: {name: x}
      spec:
        subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]
      ---
      apiVersion: unimesh.io/v1alpha1
      kind: TrafficPolicy
      metadata: {name: a}
      spec:
        destination: {service: x}
        subsetSettings:
          - subset: {version: v2}
            outlierDetection: {consecutive5xxErrors: 1}
          - subset: {version: v3}
            connectionPool: {maxConnections: 1}
      ---
      apiVersion: unimesh.io/v1alpha1
      kind: TrafficPolicy
      metadata: {name: d}
      spec:
        destination: {service: y}
        subsetSettings:
          - subset: {version: v2}
            outlierDetection: {consecutive5xxErrors: 1}
          - subset: {version: v2}
            loadBalancer: {}
          - subset: {}
      ---
      apiVersion: unimesh.io/v1alpha1
      kind: TrafficPolicy
      metadata: {name: b}
      spec:
        destination: {service: x}
        subsetSettings:
          - subset: {version: v2}
            outlierDetection: {consecutive5xxErrors: 2}
      ---
      apiVersion: unimesh.io/v1alpha1
      kind: TrafficPolicy
      metadata: {name: c}
      spec:
        source: {serviceAccounts: [web]}
        destination: {service: x}
        subsetSettings:
          - subset: {version: v1}
            loadBalancer: {algorithm: random}
    `,
    expected: [
      {
        code: "rule/unknown-subset",
        documentIndex: 1,
        pointer: "/spec/subsetSettings/1/subset",
        message: `subset {"version":"v3"} is not declared by MeshService default/x; declared: v1 {"version":"v1"}, v2 {"version":"v2"}`,
      },
      {
        code: "rule/duplicate-subset",
        documentIndex: 2,
        pointer: "/spec/subsetSettings/1/subset",
        message: `subset {"version":"v2"} has settings twice in this policy (also /spec/subsetSettings/0); merge them`,
      },
      { code: "rule/subset-load-balancer", documentIndex: 2, pointer: "/spec/subsetSettings/1/loadBalancer" },
      { code: "rule/empty-subset-settings", severity: "warning", documentIndex: 2, pointer: "/spec/subsetSettings/2" },
      { code: "rule/empty-selector", documentIndex: 2, pointer: "/spec/subsetSettings/2/subset" },
      {
        code: "rule/conflict",
        documentIndex: 3,
        pointer: "/spec/subsetSettings/0/outlierDetection",
        message: `outlierDetection of subset {"version":"v2"} of default/x is set differently by TrafficPolicy/default/a and TrafficPolicy/default/b; set it in one policy`,
      },
      { code: "rule/destination-setting-with-source", documentIndex: 4, pointer: "/spec/subsetSettings" },
    ],
  },
  {
    name: "workloads: only in a TrafficPolicy source, never empty",
    input: y`
      apiVersion: unimesh.io/v1alpha1
      kind: AccessPolicy
      metadata: {name: a}
      spec:
        destination: {service: x}
        source:
          workloads: [{labels: {app: web}}]
        allow:
          - source:
              workloads: [{labels: {app: web}, namespace: ops}]
      ---
      apiVersion: unimesh.io/v1alpha1
      kind: TrafficPolicy
      metadata: {name: t}
      spec:
        source:
          workloads: [{labels: {app: web}}, {labels: {}}]
        destination: {service: x}
        timeout: 1s
    `,
    expected: [
      {
        code: "rule/workload-source",
        pointer: "/spec/source/workloads",
        line: 7,
        message:
          "workloads select callers by pod labels, which are not a verified identity (whoever creates pods in the namespace sets them), so they cannot decide access; use serviceAccounts (the identity the pods run as) or namespaces",
      },
      { code: "rule/workload-source", pointer: "/spec/allow/0/source/workloads", line: 10 },
      { code: "rule/empty-selector", pointer: "/spec/source/workloads/1/labels", line: 17 },
    ],
  },
  {
    name: "one header written twice in one map (case-insensitive names): an error, never a condition dropped",
    input: y`
      apiVersion: unimesh.io/v1alpha1
      kind: AccessPolicy
      metadata: {name: a}
      spec:
        destination: {service: x}
        allow:
          - notHeaders: {x-env: [staging], X-Env: [dev]}
            headers: {x-tenant: [acme], x-Tenant: [evil]}
      ---
      apiVersion: unimesh.io/v1alpha1
      kind: TrafficPolicy
      metadata: {name: t}
      spec:
        destination: {service: x}
        routes:
          - match: {headers: {x-v: {exact: "2"}, X-V: {exact: "1"}}}
            split: [{subset: {v: b}}]
    `,
    expected: [
      {
        code: "rule/duplicate-header",
        pointer: "/spec/allow/0/notHeaders/X-Env",
        message: "header X-Env is header x-env again (header names are case-insensitive): give its values once, under one name",
      },
      { code: "rule/duplicate-header", pointer: "/spec/allow/0/headers/x-Tenant" },
      { code: "rule/duplicate-header", pointer: "/spec/routes/0/match/headers/X-V" },
    ],
  },
  {
    name: "access: bad CIDR blocks (per source), deny rules without allow rules, empty sources",
    input: y`
      apiVersion: unimesh.io/v1alpha1
      kind: AccessPolicy
      metadata: {name: a}
      spec:
        destination: {service: x}
        source:
          ipBlocks: [10.0.0.0/33, 1.2.3, "fd00::/8", 192.168.1.1]
        deny:
          - source: {}
          - source:
              ipBlocks: ["fd00::/129"]
    `,
    expected: [
      { code: "rule/ip-block", pointer: "/spec/source/ipBlocks/0", line: 7, column: 5, message: 'the prefix length of "10.0.0.0/33" must be 0-32' },
      {
        code: "rule/ip-block",
        pointer: "/spec/source/ipBlocks/1",
        line: 7,
        column: 5,
        message: '"1.2.3" is not an IP address or CIDR block such as 10.0.0.0/8 or fd00::/8',
      },
      {
        code: "rule/empty-source",
        pointer: "/spec/deny/0/source",
        line: 9,
        column: 7,
        message: "an empty source matches nothing useful; omit it for any caller",
      },
      { code: "rule/ip-block", pointer: "/spec/deny/1/source/ipBlocks/0", line: 11, column: 9, message: 'the prefix length of "fd00::/129" must be 0-128' },
    ],
  },
  {
    name: "negative conditions: CIDRs checked, Service ports checked, an allow source of exclusions only admits plaintext callers too",
    input: y`
      apiVersion: unimesh.io/v1alpha1
      kind: AccessPolicy
      metadata: {name: a, namespace: shop}
      spec:
        destination: {service: cart}
        source: {notNamespaces: [legacy]}
        allow:
          - notMethods: [DELETE]
          - source: {notServiceAccounts: [web], notIpBlocks: [10.0.0.0/8]}
            notPorts: [9090]
          - source: {notServiceAccounts: ["*"]}
          - source: {serviceAccounts: ["*"], notNamespaces: [legacy]}
        deny:
          - source: {notNamespaces: [shop]}
      ---
      apiVersion: unimesh.io/v1alpha1
      kind: MeshService
      metadata: {name: cart, namespace: shop}
      spec: {ports: [{port: 80}]}
      ---
      apiVersion: unimesh.io/v1alpha1
      kind: AccessPolicy
      metadata: {name: b, namespace: shop}
      spec:
        destination: {service: cart}
        allow: [{source: {serviceAccounts: [web], notIpBlocks: [10.0.0.0/33]}}]
    `,
    expected: [
      {
        code: "rule/negative-source",
        severity: "warning",
        pointer: "/spec/source",
        line: 6,
        message: "this source excludes legacy but names no caller to admit, so it also admits callers WITHOUT a mesh identity (plaintext)",
      },
      {
        code: "rule/negative-source",
        severity: "warning",
        pointer: "/spec/allow/1/source",
        line: 9,
        message: "this source excludes web but names no caller to admit",
      },
      {
        code: "rule/unknown-port",
        documentIndex: 0,
        pointer: "/spec/allow/1/notPorts/0",
        line: 10,
        message: "port 9090 is not a port of MeshService shop/cart (ports: 80)",
      },
      {
        code: "rule/ip-block",
        documentIndex: 2,
        pointer: "/spec/allow/0/source/notIpBlocks/0",
        line: 26,
        message: 'the prefix length of "10.0.0.0/33" must be 0-32',
      },
    ],
  },
  {
    name: "scopes: scope with a destination, ports in a namespace-wide policy, two mesh-wide mTLS modes, allow-nothing",
    input: y`
      apiVersion: unimesh.io/v1alpha1
      kind: AccessPolicy
      metadata: {name: a, namespace: shop}
      spec:
        scope: mesh
        destination: {service: cart}
        allow: [{}]
      ---
      apiVersion: unimesh.io/v1alpha1
      kind: AccessPolicy
      metadata: {name: b, namespace: shop}
      spec:
        allow:
          - ports: [80]
          - notPorts: [81]
      ---
      apiVersion: unimesh.io/v1alpha1
      kind: MTLSPolicy
      metadata: {name: m1, namespace: x}
      spec: {scope: mesh, mode: strict}
      ---
      apiVersion: unimesh.io/v1alpha1
      kind: MTLSPolicy
      metadata: {name: m2, namespace: y}
      spec: {scope: mesh, mode: permissive}
      ---
      apiVersion: unimesh.io/v1alpha1
      kind: AccessPolicy
      metadata: {name: nothing, namespace: ops}
      spec: {}
      ---
      apiVersion: unimesh.io/v1alpha1
      kind: AccessPolicy
      metadata: {name: nothing, namespace: lab}
      spec: {}
      ---
      apiVersion: unimesh.io/v1alpha1
      kind: AccessPolicy
      metadata: {name: grafana, namespace: lab}
      spec: {destination: {service: grafana}, allow: [{}]}
    `,
    expected: [
      {
        code: "rule/scope",
        documentIndex: 0,
        pointer: "/spec/scope",
        line: 5,
        message: "scope mesh applies a policy to every namespace, and destination to one service: set one of them",
      },
      {
        code: "rule/scope-ports",
        documentIndex: 1,
        pointer: "/spec/allow/0/ports",
        line: 14,
        message: "ports are Service ports of one destination, and this AccessPolicy is namespace-wide (no destination)",
      },
      { code: "rule/scope-ports", documentIndex: 1, pointer: "/spec/allow/1/notPorts", line: 15, message: "notPorts are Service ports of one destination" },
      {
        code: "rule/conflict",
        documentIndex: 3,
        pointer: "/spec",
        line: 25,
        message: "MTLSPolicy/x/m1 and MTLSPolicy/y/m2 both set the mTLS mode of the whole mesh; keep one",
      },
      {
        code: "rule/deny-all",
        severity: "warning",
        documentIndex: 4,
        pointer: "/spec",
        line: 30,
        message:
          "this AccessPolicy has no rules, and no AccessPolicy allows anything in namespace ops: every request to every workload of namespace ops is denied",
      },
      {
        code: "rule/deny-all",
        severity: "info",
        documentIndex: 5,
        pointer: "/spec",
        line: 35,
        message:
          "every workload of namespace lab denies every request that no other AccessPolicy allows (allowed by their own: lab/grafana); Istio's allow-nothing",
      },
    ],
  },
  {
    name: "MTLSPolicy ports without destination; two MTLS policies for one scope",
    input: y`
      apiVersion: unimesh.io/v1alpha1
      kind: MTLSPolicy
      metadata: {name: strict, namespace: shop}
      spec:
        mode: strict
        ports: {"8080": permissive}
      ---
      apiVersion: unimesh.io/v1alpha1
      kind: MTLSPolicy
      metadata: {name: ns-a, namespace: shop}
      spec:
        mode: strict
      ---
      apiVersion: unimesh.io/v1alpha1
      kind: MTLSPolicy
      metadata: {name: ns-b, namespace: shop}
      spec:
        mode: permissive
      ---
      apiVersion: unimesh.io/v1alpha1
      kind: MTLSPolicy
      metadata: {name: cart-1, namespace: shop}
      spec:
        destination: {service: cart}
        mode: permissive
      ---
      apiVersion: unimesh.io/v1alpha1
      kind: MTLSPolicy
      metadata: {name: cart-2, namespace: ops}
      spec:
        destination: {service: cart, namespace: shop}
        mode: disabled
    `,
    expected: [
      { code: "rule/mtls-ports", documentIndex: 0, pointer: "/spec/ports", line: 6, message: "per-port modes need a destination service" },
      {
        code: "rule/conflict",
        documentIndex: 2,
        pointer: "/spec",
        line: 17,
        message: "MTLSPolicy/shop/ns-a and MTLSPolicy/shop/ns-b both set the mTLS mode of namespace shop; keep one",
      },
      {
        code: "rule/conflict",
        documentIndex: 3,
        pointer: "/spec/destination",
        line: 24,
        message: "MTLSPolicy/ops/cart-2 and MTLSPolicy/shop/cart-1 both set the mTLS mode of shop/cart; keep one",
      },
    ],
  },
  {
    name: "MTLSPolicy with destination.port (would widen to every port); empty selectors; empty TrafficPolicy source",
    input: y`
      apiVersion: unimesh.io/v1alpha1
      kind: MTLSPolicy
      metadata: {name: api-9000, namespace: shop}
      spec:
        destination: {service: api, port: 9000}
        mode: permissive
      ---
      apiVersion: unimesh.io/v1alpha1
      kind: MeshService
      metadata: {name: api, namespace: shop}
      spec:
        selector: {}
        subsets: [{name: v1, labels: {}}]
      ---
      apiVersion: unimesh.io/v1alpha1
      kind: TrafficPolicy
      metadata: {name: t, namespace: shop}
      spec:
        source: {}
        destination: {service: api}
    `,
    expected: [
      {
        code: "schema/unknown-field",
        documentIndex: 0,
        pointer: "/spec/destination/port",
        line: 5,
        message:
          'unknown field "port": an MTLSPolicy\'s mode applies to every port of its service; for one port, write its mode in ports (e.g. ports: {"9080": strict})',
      },
      { code: "rule/empty-selector", documentIndex: 1, pointer: "/spec/selector", line: 12, message: "an empty selector selects every pod of the namespace" },
      { code: "rule/empty-selector", documentIndex: 1, pointer: "/spec/subsets/0/labels", line: 13, message: "a subset needs at least one label" },
      { code: "rule/empty-source", documentIndex: 2, pointer: "/spec/source", line: 19, message: "an empty source matches no caller" },
    ],
  },
  // ------------------------------------------------------------------------ files, documents
  {
    name: "empty file: a warning, and no documents at all is an error",
    input: "",
    expected: [
      { code: "input/empty-file", severity: "warning", file: "f0.yaml", message: "file holds no YAML document" },
      { code: "input/no-documents", message: "no unimesh documents in the input" },
    ],
  },
  {
    name: "a file with only comments, blank lines and separators is empty too",
    input: [
      "# nothing here\n\n   \n---\n# still nothing\n---\n",
      y`
      apiVersion: unimesh.io/v1alpha1
      kind: MeshService
      metadata: {name: a}
      spec: {}
    `,
    ],
    expected: [{ code: "input/empty-file", severity: "warning", file: "f0.yaml" }],
  },
  {
    name: "a trailing --- and a document end marker are fine",
    input: y`
      apiVersion: unimesh.io/v1alpha1
      kind: MeshService
      metadata: {name: a}
      spec: {}
      ...
      ---
    `,
    expected: [],
  },
  {
    name: "a non-unimesh document is ignored with a warning",
    input: y`
      apiVersion: v1
      kind: ConfigMap
      metadata: {name: a}
      data: {x: "1"}
      ---
      apiVersion: unimesh.io/v1alpha1
      kind: MeshService
      metadata: {name: a}
      spec: {}
    `,
    expected: [
      {
        code: "input/foreign-document",
        severity: "warning",
        documentIndex: 0,
        pointer: "/apiVersion",
        line: 1,
        message: "not a unimesh document (v1 ConfigMap): ignored",
      },
    ],
  },
  {
    name: "only non-unimesh documents: no unimesh documents is an error",
    input: "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\n",
    expected: [
      { code: "input/foreign-document", severity: "warning", line: 1 },
      { code: "input/no-documents", message: "no unimesh documents in the input" },
    ],
  },
  {
    name: "wrong or missing apiVersion, unknown or missing kind",
    input: y`
      apiVersion: unimesh.io/v2
      kind: TrafficPolicy
      metadata: {name: a}
      spec: {}
      ---
      kind: TrafficPolicy
      metadata: {name: b}
      ---
      apiVersion: unimesh.io/v1alpha1
      kind: RoutePolicy
      metadata: {name: c}
      ---
      apiVersion: unimesh.io/v1alpha1
      metadata: {name: d}
      ---
      apiVersion: 1
      kind: TrafficPolicy
    `,
    expected: [
      {
        code: "schema/api-version",
        documentIndex: 0,
        pointer: "/apiVersion",
        line: 1,
        message: 'unsupported apiVersion "unimesh.io/v2"; expected unimesh.io/v1alpha1',
      },
      {
        code: "schema/required",
        documentIndex: 1,
        pointer: "",
        line: 6,
        message: 'missing required field "apiVersion"; expected apiVersion: unimesh.io/v1alpha1',
      },
      {
        code: "schema/kind",
        documentIndex: 2,
        pointer: "/kind",
        line: 10,
        message:
          'unknown kind "RoutePolicy"; expected one of TrafficPolicy, AccessPolicy, MTLSPolicy, RequestAuthentication, WasmExtension, MeshService, ClusterInfo',
      },
      { code: "schema/required", documentIndex: 3, pointer: "", line: 13, message: 'missing required field "kind"' },
      { code: "schema/api-version", documentIndex: 4, pointer: "/apiVersion", line: 16, message: "expected apiVersion: unimesh.io/v1alpha1" },
    ],
  },
  {
    name: "a document that is a list or a scalar",
    input: y`
      - apiVersion: unimesh.io/v1alpha1
        kind: MeshService
      ---
      just text
      ---
      42
    `,
    expected: [
      {
        code: "schema/type",
        documentIndex: 0,
        pointer: "",
        line: 1,
        column: 1,
        message: "a document must be a mapping (apiVersion, kind, metadata, spec), not a list",
      },
      { code: "schema/type", documentIndex: 1, pointer: "", line: 4, message: "not a string" },
      { code: "schema/type", documentIndex: 2, pointer: "", line: 6, message: "not a number" },
    ],
  },
  {
    name: "multiple documents: documentIndex counts empty ones, lines are those of the file",
    input: y`
      # first document
      apiVersion: unimesh.io/v1alpha1
      kind: MeshService
      metadata: {name: a}
      spec: {}
      ---
      ---
      # third document (index 2): its errors carry its own lines
      apiVersion: unimesh.io/v1alpha1
      kind: TrafficPolicy
      metadata: {name: b}
      spec:
        destination: {service: a}
        retries:
          attempts: many
      ...
      ---
      apiVersion: unimesh.io/v1alpha1
      kind: MeshService
      metadata: {name: c}
      spec: {ports: [{port: 0}]}
    `,
    expected: [
      { code: "schema/type", documentIndex: 2, pointer: "/spec/retries/attempts", line: 15, column: 5 },
      { code: "schema/minimum", documentIndex: 3, pointer: "/spec/ports/0/port", line: 21, message: "must be >= 1" },
    ],
  },
  {
    name: "content on the --- line keeps its line and column",
    input:
      "--- {apiVersion: unimesh.io/v1alpha1, kind: MeshService, metadata: {name: a}, spec: {}}\n--- {apiVersion: unimesh.io/v1alpha1, kind: MeshService, metadata: {name: b} spec: {}}\n",
    expected: [{ code: "yaml/syntax", documentIndex: 1, line: 2, column: 78, message: "missed comma between flow collection entries" }],
  },
  {
    name: "all problems at once: a document with five problems gives five diagnostics",
    input: y`
      apiVersion: unimesh.io/v1alpha1
      kind: TrafficPolicy
      metadata: {name: a}
      spec:
        destination: {service: x, port: 0}
        timeout: 0ms
        retries: {attempts: -1}
        routes:
          - match: {method: get}
            redirect: {statusCode: 300}
          - match: {path: {regex: "(?=x)"}}
    `,
    expected: [
      { code: "schema/minimum", pointer: "/spec/destination/port", line: 5, message: "must be >= 1" },
      { code: "rule/duration", pointer: "/spec/timeout", line: 6, message: "must be at least 1ms" },
      { code: "schema/minimum", pointer: "/spec/retries/attempts", line: 7, message: "must be >= 0" },
      { code: "schema/enum", pointer: "/spec/routes/0/match/method", line: 9 },
      { code: "schema/enum", pointer: "/spec/routes/0/redirect/statusCode", line: 10, message: "must be one of: 301, 302, 303, 307, 308" },
      { code: "rule/regex", pointer: "/spec/routes/1/match/path/regex", line: 11 },
    ],
  },
  {
    name: "problems in several files and documents are all reported, sorted by file and document",
    input: {
      "b.yaml": "apiVersion: unimesh.io/v1alpha1\nkind: MeshService\nmetadata: {name: B}\nspec: {}\n",
      "a.yaml": "apiVersion: unimesh.io/v1alpha1\nkind: MeshService\nmetadata: {name: a}\nspec: {color: red}\n---\nkind: x\n",
    },
    expected: [
      { code: "schema/unknown-field", file: "a.yaml", documentIndex: 0, pointer: "/spec/color", line: 4 },
      { code: "schema/required", file: "a.yaml", documentIndex: 1, line: 6 },
      { code: "schema/pattern", file: "b.yaml", documentIndex: 0, pointer: "/metadata/name", line: 3 },
    ],
  },
  // ---------------------------------------------------------------------- encodings, newlines
  {
    name: "a byte order mark does not shift lines or columns",
    input: "\ufeffapiVersion: unimesh.io/v1alpha1\nkind: MeshService\nmetadata: {name: a}\nspec:\n  colour: red\n",
    expected: [{ code: "schema/unknown-field", pointer: "/spec/colour", line: 5, column: 3 }],
  },
  {
    name: "CRLF line endings: lines are still right, in every document",
    input:
      "apiVersion: unimesh.io/v1alpha1\r\nkind: MeshService\r\nmetadata: {name: a}\r\nspec: {}\r\n---\r\napiVersion: unimesh.io/v1alpha1\r\nkind: TrafficPolicy\r\nmetadata: {name: b}\r\nspec:\r\n  destination: {service: a}\r\n  timeout: 0s\r\n",
    expected: [{ code: "rule/duration", documentIndex: 1, pointer: "/spec/timeout", line: 11, column: 3 }],
  },
];

describe("validation table", () => {
  test.each(cases)("$name", ({ input, expected }) => {
    const r = load(input);
    expectDiagnostics(r.diagnostics, expected);
    expect(r.ok).toBe(!expected.some((e) => (e.severity ?? "error") === "error"));
  });
});

// --------------------------------------------------------------------------- limits: size, depth

/** An alias bomb ("billion laughs"): 10 levels of 10 aliases each, 10^10 nodes once expanded. */
function aliasBomb(levels = 10): string {
  let text = "apiVersion: unimesh.io/v1alpha1\nkind: MeshService\nmetadata:\n  name: a\n  annotations:\n";
  text += "    l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  for (let i = 1; i <= levels; i++)
    text += `    l${i}: &l${i} [${Array(10)
      .fill(`*l${i - 1}`)
      .join(", ")}]\n`;
  return text + "spec: {}\n";
}

describe("limits", () => {
  // No wall-clock assertions (speed is measured in `npm run bench`): an expanding implementation would
  // not finish within the test timeout, nor fit in memory (10^10 nodes).
  test("an alias bomb is rejected without expanding it", () => {
    const r = load(aliasBomb());
    expectDiagnostics(r.diagnostics, [
      { code: "yaml/too-large", documentIndex: 0, line: 1, message: "document has more than 200000 nodes once YAML aliases are expanded" },
    ]);
  });

  test("the node limit counts expanded aliases (maxNodes option)", () => {
    const text = aliasBomb(2); // 10 + 100 + 1000 expanded sequence entries, and some more nodes
    expect(parseDocuments(text, "f", { ...DEFAULT_LIMITS, maxNodes: 1000 }).diagnostics.map((d) => d.code)).toEqual(["yaml/too-large"]);
    expect(parseDocuments(text, "f", { ...DEFAULT_LIMITS, maxNodes: 2000 }).diagnostics).toEqual([]);
  });

  test("a deeply nested flow document is rejected with yaml/too-deep, however deep", () => {
    for (const depth of [70, 5_000, 200_000]) {
      const r = load(`apiVersion: unimesh.io/v1alpha1\nkind: MeshService\nmetadata: {name: a}\nspec: ${"[".repeat(depth)}${"]".repeat(depth)}\n`);
      expect(r.diagnostics).toHaveLength(1);
      expect(r.diagnostics[0]).toMatchObject({ code: "yaml/too-deep", documentIndex: 0, line: 4, message: "document is nested deeper than 64 levels" });
    }
  });

  test("a deeply nested block document is rejected with the line where the limit is crossed", () => {
    let text = "";
    for (let i = 0; i < 100; i++) text += `${" ".repeat(i)}k${i}:\n`;
    const r = load(text);
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]).toMatchObject({ code: "yaml/too-deep", line: 65 });
  });

  test("depth: exactly maxDepth levels is accepted, one more is not (also through aliases)", () => {
    const nested = (n: number) => "[".repeat(n) + "]".repeat(n);
    expect(parseDocuments(`a: ${nested(63)}`, "f").diagnostics).toEqual([]); // 1 mapping + 63 sequences = 64
    expect(parseDocuments(`a: ${nested(64)}`, "f").diagnostics.map((d) => d.code)).toEqual(["yaml/too-deep"]);
    // Each alias stays within the parser's depth, but expanded the document is 2 × 40 levels deep.
    const viaAlias = `x: &x ${nested(40)}\ny: [${"[".repeat(30)}*x${"]".repeat(30)}]`;
    expect(parseDocuments(viaAlias, "f").diagnostics.map((d) => d.code)).toEqual(["yaml/too-deep"]);
  });

  test("thousands of problems in one document are all reported, each with its line (a quadratic locator would time out)", () => {
    const n = 20_000; // locating each one by rescanning the document took minutes
    const ports = Array.from({ length: n }, (_, i) => `        - ${70_000 + i}`).join("\n");
    const labels = Array.from({ length: n }, (_, i) => `    k${i}: ${"v".repeat(64)}`).join("\n");
    const text = `apiVersion: unimesh.io/v1alpha1\nkind: AccessPolicy\nmetadata:\n  name: a\n  labels:\n${labels}\nspec:\n  destination: {service: x}\n  allow:\n    - ports:\n${ports}\n`;
    const r = load(text);
    expect(r.diagnostics).toHaveLength(2 * n);
    expect(r.diagnostics[0]).toMatchObject({ code: "schema/maxLength", pointer: "/metadata/labels/k0", line: 6, column: 5 });
    expect(r.diagnostics[2 * n - 1]).toMatchObject({ code: "schema/maximum", pointer: `/spec/allow/0/ports/${n - 1}`, line: 9 + 2 * n, column: 11 });
  }, 30_000);

  test("a file over maxFileBytes is rejected before parsing", () => {
    const r = parseDocuments("a: 1\n".repeat(100), "big.yaml", { ...DEFAULT_LIMITS, maxFileBytes: 100 });
    expect(r.documents).toEqual([]);
    expectDiagnostics(r.diagnostics, [{ code: "input/too-large", file: "big.yaml", message: "file is larger than 100 bytes" }]);
  });
});

// ----------------------------------------------------------------------------- anchors, aliases

describe("anchors and aliases within the limits behave as if expanded", () => {
  const withAliases = y`
    apiVersion: unimesh.io/v1alpha1
    kind: TrafficPolicy
    metadata: {name: a, namespace: shop}
    spec:
      destination: {service: cart}
      routes:
        - name: one
          match: {path: {prefix: /one}}
          retries: &retries {attempts: 3, perTryTimeout: 1s}
          split: &split
            - {subset: {version: v1}, weight: 50}
            - {subset: {version: v2}, weight: 50}
        - name: two
          match: {path: {prefix: /two}}
          retries: *retries
          split: *split
        - &base
          name: three
          match: {path: {prefix: /three}}
          timeout: 2s
        - <<: *base
          name: four
          match: {path: {prefix: /four}}
  `;
  const expanded = y`
    apiVersion: unimesh.io/v1alpha1
    kind: TrafficPolicy
    metadata: {name: a, namespace: shop}
    spec:
      destination: {service: cart}
      routes:
        - name: one
          match: {path: {prefix: /one}}
          retries: {attempts: 3, perTryTimeout: 1s}
          split:
            - {subset: {version: v1}, weight: 50}
            - {subset: {version: v2}, weight: 50}
        - name: two
          match: {path: {prefix: /two}}
          retries: {attempts: 3, perTryTimeout: 1s}
          split:
            - {subset: {version: v1}, weight: 50}
            - {subset: {version: v2}, weight: 50}
        - name: three
          match: {path: {prefix: /three}}
          timeout: 2s
        - name: four
          match: {path: {prefix: /four}}
          timeout: 2s
  `;

  test("accepted, with the same model as the written-out document", () => {
    const a = load(withAliases);
    const b = load(expanded);
    expect(a.diagnostics).toEqual([]);
    expect(a.model.trafficPolicies[0].doc).toEqual(b.model.trafficPolicies[0].doc);
    expect(a.model.destinations()[0].routes.map((r) => r.name)).toEqual(["one", "two", "three", "four"]);
    expect(a.model.destinations()[0].routes.find((r) => r.name === "four")?.timeout?.value).toBe(2000);
  });

  test("aliased values are separate objects (no shared state between routes)", () => {
    const doc = load(withAliases).model.trafficPolicies[0].doc;
    const [one, two] = doc.spec.routes!;
    expect(one.retries).toEqual(two.retries);
    expect(one.retries).not.toBe(two.retries);
    expect(one.split).not.toBe(two.split);
    one.retries!.attempts = 9;
    expect(two.retries!.attempts).toBe(3);
  });

  test("serialized output has no anchors", () => {
    const doc = load(withAliases).model.trafficPolicies[0].doc;
    const obj = { apiVersion: "v1", kind: "X", metadata: { name: "x" }, spec: doc.spec };
    expect(toYaml([obj])).not.toMatch(/[&*]retries|[&*]split|&ref_|\*ref_/);
    expect(JSON.parse(toJson([obj])).items[0].spec).toEqual(load(expanded).model.trafficPolicies[0].doc.spec);
  });

  test("a problem in an anchored value is reported where it is written and where it is reused", () => {
    const r = load(y`
      apiVersion: unimesh.io/v1alpha1
      kind: TrafficPolicy
      metadata: {name: a}
      spec:
        destination: {service: cart}
        routes:
          - match: {path: {prefix: /a}}
            retries: &bad
              attempts: 11
          - match: {path: {prefix: /b}}
            retries: *bad
    `);
    expectDiagnostics(r.diagnostics, [
      { code: "schema/maximum", pointer: "/spec/routes/0/retries/attempts", line: 9, column: 9 },
      { code: "schema/maximum", pointer: "/spec/routes/1/retries/attempts", line: 11, column: 7 },
    ]);
  });
});

// ------------------------------------------------------------------------------- other inputs

describe("validateDocuments on in-memory documents", () => {
  test("documents without text get pointers but no lines", () => {
    const r = validateDocuments([
      {
        file: "<memory>",
        index: 0,
        startLine: 1,
        text: "",
        value: { apiVersion: "unimesh.io/v1alpha1", kind: "MeshService", metadata: { name: "a" }, spec: { ports: [{ port: 0 }] } },
      },
    ]);
    expectDiagnostics(r.diagnostics, [{ code: "schema/minimum", file: "<memory>", documentIndex: 0, pointer: "/spec/ports/0/port" }]);
    expect(r.diagnostics[0].line).toBeUndefined();
  });
});

test("a __proto__ key does not pollute prototypes", () => {
  const r = load("apiVersion: unimesh.io/v1alpha1\nkind: MeshService\nmetadata: {name: a}\nspec:\n  selector:\n    __proto__: {polluted: 'yes'}\n");
  expect(r.diagnostics.map((d) => d.code)).toEqual(["schema/type"]); // a label value must be a string
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  const parsed = parseDocuments("a: &x {__proto__: {polluted: 1}}\nb: *x\n", "f").documents[0].value as Record<string, Record<string, unknown>>;
  expect(Object.getPrototypeOf(parsed.b)).toBe(Object.prototype);
  expect(Object.keys(parsed.b)).toEqual(["__proto__"]);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
});

describe("loadModel never throws on bad input", () => {
  const inputs = ["\u0000\u0001", "[", "{", "'", "? a\n: b", "!!binary x", "a: !!js/function 'x'", "*undefined", "&a [*a]", "%YAML 9.9\n---\na: 1", "\t- a"];
  test.each(inputs)("%j", (text) => {
    let r: { ok: boolean; model: Model } | undefined;
    expect(() => {
      r = loadModel([{ file: "f", text }]);
    }).not.toThrow();
    expect(r!.ok).toBe(false);
  });
});
