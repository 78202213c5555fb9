/**
 * Node's own HTTP server tests (github:nodejs/node, test/parallel; read from the stored copy, commit per file
 * as stored): the request bytes they send, transcribed. Their expectations are node:http's, which the
 * differential compares against anyway.
 */
import type { Case } from "../harness.js";

const NODE = "github:nodejs/node";
const at = (commit: string, file: string, what = "") => `${NODE}@${commit.slice(0, 12)} test/parallel/${file}${what ? ` (${what})` : ""}`;
const lines = (...l: string[]) => l.join("\r\n");

export const NODE_CASES: Case[] = [
  {
    name: "node/chunked-smuggling/bare-lf-after-chunk-ext",
    origin: at("65d5a5886dba86144529d3b73ae4ff84fd6128d2", "test-http-chunked-smuggling.js"),
    send: [
      "GET / HTTP/1.1\r\nHost: localhost:8080\r\nTransfer-Encoding: chunked\r\n\r\n2;\nxx\r\n4c\r\n0\r\n\r\n" +
        "GET /admin HTTP/1.1\r\nHost: localhost:8080\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    ],
  },
  {
    name: "node/invalid-te/eee-chunked-with-cl",
    origin: at("dbc8c4da6a597be341cdbe08eaedbea97bada483", "test-http-invalid-te.js", "hackerone 735748; sent with end()"),
    send: [
      lines(
        "POST / HTTP/1.1",
        "Content-Type: text/plain; charset=utf-8",
        "Host: hacker.exploit.com",
        "Connection: keep-alive",
        "Content-Length: 10",
        "Transfer-Encoding: eee, chunked",
        "",
        "HELLOWORLDPOST / HTTP/1.1",
        "Content-Type: text/plain; charset=utf-8",
        "Host: hacker.exploit.com",
        "Connection: keep-alive",
        "Content-Length: 28",
        "",
        "I AM A SMUGGLED REQUEST!!!",
        "",
      ),
      { end: true },
    ],
  },
  {
    name: "node/transfer-encoding-smuggling/chunked-false-second-line",
    origin: at("0713e21240f5a4a119994281f7743cdd4c930648", "test-http-transfer-encoding-smuggling.js", "first block"),
    send: [
      lines(
        "POST / HTTP/1.1",
        "Host: 127.0.0.1",
        "Transfer-Encoding: chunked",
        "Transfer-Encoding: chunked-false",
        "Connection: upgrade",
        "",
        "1",
        "A",
        "0",
        "",
        "GET /flag HTTP/1.1",
        "Host: 127.0.0.1",
        "",
        "",
      ),
    ],
  },
  {
    name: "node/transfer-encoding-smuggling/obs-fold-chunked-false",
    origin: at("0713e21240f5a4a119994281f7743cdd4c930648", "test-http-transfer-encoding-smuggling.js", "second block"),
    send: [
      lines(
        "POST / HTTP/1.1",
        "Host: 127.0.0.1",
        "Transfer-Encoding: chunked",
        " , chunked-false",
        "Connection: upgrade",
        "",
        "1",
        "A",
        "0",
        "",
        "GET /flag HTTP/1.1",
        "Host: 127.0.0.1",
        "",
        "",
      ),
    ],
  },
  {
    name: "node/reject-chunked-with-content-length",
    origin: at("0ac6b81e0e6ac4a9363cb891d1b8c81be511df8e", "test-http-server-reject-chunked-with-content-length.js"),
    send: ["POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", { end: true }],
  },
  {
    name: "node/reject-cr-no-lf",
    origin: at("2b5dd725f47a5d861827f39f06ee8cc7a8b0a4dc", "test-http-server-reject-cr-no-lf.js"),
    send: ["GET / HTTP/1.1\r\nDummy: Header\rContent-Length: 1\r\n\r\n", { end: true }],
  },
  ...(
    [
      ["cr", "a9f1146b8827855e342834458a71f2367346ace0", "\n"],
      ["lf", "c8b7b7899ac31273f2dddded2689510b62d4fd8f", "\r"],
    ] as const
  ).flatMap(([kind, commit, sep]): Case[] => [
    {
      name: `node/missing-header-separator-${kind}/content-length`,
      origin: at(commit, `test-http-missing-header-separator-${kind}.js`, "first block"),
      send: [
        lines(
          "GET / HTTP/1.1",
          "Host: localhost",
          `Dummy: x${sep}Content-Length: 23`,
          "",
          "GET / HTTP/1.1",
          "Dummy: GET /admin HTTP/1.1",
          "Host: localhost",
          "",
          "",
        ),
      ],
    },
    {
      name: `node/missing-header-separator-${kind}/transfer-encoding`,
      origin: at(commit, `test-http-missing-header-separator-${kind}.js`, "second block"),
      send: [lines("POST / HTTP/1.1", "Host: localhost", `x:x${sep}Transfer-Encoding: chunked`, "", "1", "A", "0", "", "")],
    },
    {
      name: `node/missing-header-separator-${kind}/empty-value-transfer-encoding`,
      origin: at(commit, `test-http-missing-header-separator-${kind}.js`, "third block"),
      send: [lines("POST / HTTP/1.1", "Host: localhost", `x:${sep}Transfer-Encoding: chunked`, "", "1", "A", "0", "", "")],
    },
  ]),
  {
    name: "node/header-overflow/one-byte-over",
    origin: at("0f9918b8caddf44f80cf134a786fc1eceb7a8cf8", "test-http-header-overflow.js", "16,384-byte limit, the listener's default too"),
    send: [`GET /blah HTTP/1.1\r\nCookie: ${"a".repeat(16384 - "Cookie: ".length - 4 + 1)}\r\n\r\n`],
  },
  {
    name: "node/pipeline-requests-connection-leak/200-pipelined",
    origin: at("13e3a3b22bb9326738d43e9c1a6b6e21f47cbb16", "test-http-pipeline-requests-connection-leak.js", "10,000 there; 200 here"),
    send: ["GET / HTTP/1.1\r\nHost: example.com\r\n\r\n".repeat(200)],
  },
  {
    name: "node/destroy-socket-on-client-error/foo-method",
    origin: at("2906df052fe1265f270e667f0b85c76ef224563f", "test-http-server-destroy-socket-on-client-error.js"),
    send: ["FOO /\r\n"],
  },
  {
    name: "node/double-content-length",
    origin: at("11515ecd57bbc54e211e471ad21fe00576e597eb", "test-http-double-content-length.js", "http.get with Content-Length [1, 2]: the bytes it writes"),
    send: ["GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\nHost: localhost\r\nConnection: close\r\n\r\n"],
  },
  ...(
    [
      ["all-at-once", ["GET / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n2;" + "a".repeat(17000) + "\r\nAA\r\n0\r\n\r\n", { end: true }]],
      [
        "in-parts",
        ["GET / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n2;", "A".repeat(8500), { wait: 5 }, "A".repeat(8500) + "\r\nAA\r\n0\r\n\r\n"],
      ],
      [
        "reset-after-chunk",
        [
          "PUT / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n" + ("2;" + "A".repeat(10000) + "=bar\r\nAA\r\n").repeat(3) + "0\r\n\r\n",
          { end: true },
        ],
      ],
    ] as const
  ).map(([what, send]): Case => ({
    name: `node/chunk-extensions-limit/${what}`,
    origin: at("04da7243c695e25bac523e0acc00496aadac2f16", "test-http-chunk-extensions-limit.js", what),
    send: [...send],
  })),
  {
    name: "node/blank-header/empty-cookie-then-extra-crlf",
    origin: at("0a071d8a9d52ff1d7795fbca5e51915960a9d013", "test-http-blank-header.js"),
    send: ["GET /blah HTTP/1.1\r\nHost: example.org:443\r\nCookie:\r\nOrigin: http://example.org\r\n\r\n\r\nhello world"],
  },
  {
    name: "node/malformed-request/percent-99-no-host",
    origin: at("0dfb19d6493e14a95f8376836b26dc0fceb5a6dd", "test-http-malformed-request.js"),
    send: ["GET /hello?foo=%99bar HTTP/1.1\r\n\r\n", { end: true }],
  },
  {
    name: "node/malformed-request/percent-99+host",
    origin: at("0dfb19d6493e14a95f8376836b26dc0fceb5a6dd", "test-http-malformed-request.js", "with Host: {host} added"),
    send: ["GET /hello?foo=%99bar HTTP/1.1\r\nHost: {host}\r\n\r\n", { end: true }],
    listeners: ["inbound", "outbound"],
  },
  ...(
    [
      ["keep-alive-no-te", "POST / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"],
      ["keep-alive-te-chunked", "POST / HTTP/1.0\r\nConnection: keep-alive\r\nTE: chunked\r\n\r\nPOST / HTTP/1.0\r\n\r\n"],
      ["no-keep-alive", "POST / HTTP/1.0\r\n\r\n"],
    ] as const
  ).map(([what, bytes]): Case => ({
    name: `node/1.0-keep-alive/${what}`,
    origin: at("07e18ce87072c248564b9011ad9cb86118daf7ff", "test-http-1.0-keep-alive.js", what),
    send: [bytes],
  })),
  {
    name: "node/server-unconsume/put-then-bytes-after-answer",
    origin: at("14b61cb9d89fcb7110c3c543a79581b3660697d4", "test-http-server-unconsume.js", "the client's bytes; a wait for the answer between"),
    send: ["PUT / HTTP/1.1\r\nHost: example.com\r\n\r\n", { wait: 150 }, "hello world", { end: true }],
  },
  {
    name: "node/server-multiheaders/duplicates",
    origin: at(
      "14f0b5033f5e9efde0c0cfbd7af41ac2cfdd7287",
      "test-http-server-multiheaders.js",
      "the header list http.get writes, its three Host lines one: {host}",
    ),
    send: [
      lines(
        "GET / HTTP/1.1",
        "accept: abc",
        "accept: def",
        "Accept: ghijklmnopqrst",
        "host: {host}",
        "www-authenticate: foo",
        "WWW-Authenticate: bar",
        "WWW-AUTHENTICATE: baz",
        "proxy-authenticate: foo",
        "Proxy-Authenticate: bar",
        "PROXY-AUTHENTICATE: baz",
        "x-foo: bingo",
        "x-bar: banjo",
        "x-bar: bango",
        "sec-websocket-protocol: chat",
        "sec-websocket-protocol: share",
        "sec-websocket-extensions: foo; 1",
        "sec-websocket-extensions: bar; 2",
        "sec-websocket-extensions: baz",
        "Connection: close",
        "",
        "",
      ),
    ],
    listeners: ["inbound", "outbound"],
  },
  {
    name: "node/server-multiheaders/three-hosts",
    origin: at("14f0b5033f5e9efde0c0cfbd7af41ac2cfdd7287", "test-http-server-multiheaders.js", "its three Host lines"),
    send: ["GET / HTTP/1.1\r\nhost: foo\r\nHost: bar\r\nhOst: baz\r\nConnection: close\r\n\r\n"],
  },
];
