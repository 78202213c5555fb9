/**
 * The attack inputs of this repository's own listener tests, transcribed (those tests keep their own
 * assertions and are unchanged; here only the bytes, run through both implementations). `{host}` is the
 * Host that routes to the lane's app through the listener; each case runs on the inbound and the outbound
 * listener. Waits stand in for the tests' "until the app has it" (the app's `/slow…`, `/stream…`, `/early…`,
 * `/broken…` paths behave as in those tests: harness.ts). Not transcribed: headerCount.test.ts's 1,500-4,000
 * lines (over the default 16 KiB; generated.ts has counts around the parser's 32-line flush and a 1,000-line
 * head), appDesync.test.ts (an app's bytes, not a client's: the upstream side), the HTTP/2 and TLS cases, and
 * those that need a drain (pipelineClose.test.ts:193) or metrics.
 */
import type { Case } from "../harness.js";

const both = ["inbound", "outbound"] as const;
const GET = (path: string, extra = "") => `GET ${path} HTTP/1.1\r\nHost: {host}\r\n${extra}\r\n`;
const CHUNKED = (path: string) => `POST ${path} HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: chunked\r\n\r\n`;

function from(file: string, line: number, cases: Record<string, Case["send"]>): Case[] {
  return Object.entries(cases).map(([what, send]) => ({
    name: `unimesh/${file.replace(/\.test\.ts$/, "")}/${what}`,
    origin: `this repository, test/proxy/${file}:${line}`,
    send,
    listeners: [...both],
  }));
}

const next = (p: string) => `GET /${p}-smuggled HTTP/1.1\r\nHost: {host}\r\n\r\n`;
const post = (lines: string, body = "") => `POST /parser HTTP/1.1\r\nHost: {host}\r\n${lines}\r\n\r\n${body}${next("parser")}`;

export const UNIMESH_CASES: Case[] = [
  ...from("requestHead.test.ts", 116, {
    "host-ok": [`GET /ok HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n`],
    "host-two": [`GET /two HTTP/1.1\r\nHost: {host}\r\nHost: evil.example\r\nConnection: close\r\n\r\n`],
    "host-two-reversed": [`GET /two-reversed HTTP/1.1\r\nHost: evil.example\r\nhost: {host}\r\nConnection: close\r\n\r\n`],
    "host-two-same": [`GET /two-same HTTP/1.1\r\nHOST: {host}\r\nHost: {host}\r\nConnection: close\r\n\r\n`],
    "host-slash": [`GET /slash HTTP/1.1\r\nHost: {host}/x\r\nConnection: close\r\n\r\n`],
    "host-space": [`GET /space HTTP/1.1\r\nHost: {host} x\r\nConnection: close\r\n\r\n`],
  }),
  ...from(
    "requestHead.test.ts",
    139,
    Object.fromEntries(
      Object.entries({
        "gzip-chunked": "Transfer-Encoding: gzip, chunked",
        gzip: "Transfer-Encoding: gzip",
        "upper-spaced": "Transfer-Encoding: GZIP ,Chunked",
        "identity-chunked": "Transfer-Encoding: identity, chunked",
        "two-lines": "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked",
        "chunked-twice": "Transfer-Encoding: chunked, chunked",
        plain: "Transfer-Encoding: chunked",
        spaced: "Transfer-Encoding:  Chunked ",
        empty: "Transfer-Encoding: , chunked",
      }).map(([what, te]) => [`te-${what}`, [`POST /te-${what} HTTP/1.1\r\nHost: {host}\r\n${te}\r\nConnection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n`]]),
    ),
  ),
  ...from(
    "requestHead.test.ts",
    178,
    Object.fromEntries(
      Object.entries({ chunked: "Transfer-Encoding: chunked", upper: "Transfer-Encoding: CHUNKED", gzip: "Transfer-Encoding: gzip, chunked" }).map(
        ([what, te]) => [
          `http10-te-${what}`,
          [
            `POST /v10-${what} HTTP/1.0\r\nHost: {host}\r\nConnection: keep-alive\r\n${te}\r\n\r\n3\r\nabc\r\n0\r\n\r\n` +
              `GET /smuggled HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n`,
          ],
        ],
      ),
    ),
  ),
  ...from("requestHead.test.ts", 190, { "http10-length": ["POST /v10-length HTTP/1.0\r\nHost: {host}\r\nContent-Length: 3\r\n\r\nabc"] }),
  ...from("requestHead.test.ts", 261, {
    "expect-refused-gzip": [
      "POST /expect-gzip HTTP/1.1\r\nHost: {host}\r\nExpect: 100-continue\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
      { wait: 100 },
      "hello",
    ],
    "expect-refused-hosts": [
      "POST /expect-hosts HTTP/1.1\r\nHost: {host}\r\nHost: evil.example\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n",
      { wait: 100 },
      "hello",
    ],
  }),
  ...from("requestHead.test.ts", 302, {
    "expect-ok-then-next": [
      "POST /expect-ok HTTP/1.1\r\nHost: {host}\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n",
      { wait: 100 },
      `hello${GET("/expect-next", "Connection: close\r\n")}`,
    ],
  }),
  ...from("requestHead.test.ts", 321, {
    "cl-and-te": [post("Content-Length: 5\r\nTransfer-Encoding: chunked", "0\r\n\r\n")],
    "te-and-cl": [post("Transfer-Encoding: chunked\r\nContent-Length: 5", "0\r\n\r\n")],
    "two-cls": [post("Content-Length: 3\r\nContent-Length: 40", "abc")],
    "same-cl-twice": [post("Content-Length: 3\r\nContent-Length: 3", "abc")],
    "cl-list": [post("Content-Length: 3, 3", "abc")],
    "cl-signed": [post("Content-Length: +3", "abc")],
    "cl-negative": [post("Content-Length: -3", "abc")],
    "cl-hex": [post("Content-Length: 0x3", "abc")],
    "cl-inner-space": [post("Content-Length: 1 2", "abc")],
    "obs-fold": [post("X-A: 1\r\n x-debug: on")],
    "obs-fold-te": [post("X-A: 1\r\nTransfer-Encoding:\r\n chunked\r\nContent-Length: 3", "abc")],
    "bare-lf": [`POST /parser HTTP/1.1\nHost: {host}\nContent-Length: 3\n\nabc${next("parser")}`],
    "one-bare-lf": [post("X-A: 1\nTransfer-Encoding: chunked\r\nContent-Length: 3", "abc")],
    "bare-cr": [post("X-A: 1\rTransfer-Encoding: chunked\r\nContent-Length: 3", "abc")],
    "space-before-colon": [post("Transfer-Encoding : chunked\r\nContent-Length: 3", "abc")],
    "tab-before-colon": [post("Content-Length\t: 3", "abc")],
    "nul-in-value": [post("X-A: a\u0000b")],
    "cr-in-value": [post("X-A: a\rb")],
    "request-line-over-limit": [`GET /parser/${"a".repeat(20_000)} HTTP/1.1\r\nHost: {host}\r\n\r\n${next("parser")}`],
  }),
  ...from("requestHead.test.ts", 364, {
    "absolute-form": ["GET http://{host}/absolute HTTP/1.1\r\nHost: other.example\r\nConnection: close\r\n\r\n"],
    "absolute-form-query": ["GET http://{host}?x=1 HTTP/1.1\r\nHost: other.example\r\nConnection: close\r\n\r\n"],
    "absolute-empty-authority": ["GET http:///x HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"],
    "absolute-userinfo": ["GET http://user@{host}/absolute-userinfo HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"],
  }),
  ...from("requestHead.test.ts", 391, {
    "upgrade-websocket": [
      GET("/upgrade-websocket", "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n") +
        GET("/upgrade-next", "Connection: close\r\n"),
    ],
    "upgrade-listed-websocket": [
      GET("/upgrade-listed", "Connection: keep-alive, UPGRADE\r\nUpgrade: WebSocket\r\n") + GET("/upgrade-next", "Connection: close\r\n"),
    ],
    "upgrade-h2c-and-websocket": [GET("/upgrade-h2c-ws", "Connection: Upgrade\r\nUpgrade: h2c, websocket\r\n") + GET("/upgrade-next", "Connection: close\r\n")],
    "upgrade-h2c-same-read": [
      GET("/upgrade-h2c", "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n") +
        GET("/upgrade-next", "Connection: close\r\n"),
    ],
    "upgrade-without-connection": [GET("/upgrade-plain", "Upgrade: websocket\r\n") + GET("/upgrade-next", "Connection: close\r\n")],
  }),
  ...from("requestHead.test.ts", 430, {
    connect: ["CONNECT {host}:80 HTTP/1.1\r\nHost: {host}:80\r\n\r\n" + GET("/connect-tunneled", "Connection: close\r\n")],
  }),
  ...from("requestHead.test.ts", 483, {
    "connect-pipelined": [GET("/before-connect") + "CONNECT {host}:80 HTTP/1.1\r\nHost: {host}:80\r\n\r\n"],
  }),
  ...from("requestHead.test.ts", 498, {
    "after-refused-head": [`GET /first HTTP/1.1\r\nHost: {host}\r\nHost: {host}\r\n\r\nGET /second HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n`],
  }),
  ...from("pipelineClose.test.ts", 67, { "two-slow-then-reset": [GET("/slow-1") + GET("/slow-2"), { wait: 150 }, { reset: true }] }),
  ...from("pipelineClose.test.ts", 84, {
    "h2c-then-later-read": [
      GET("/slow-upgrade", "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n"),
      { wait: 100 },
      GET("/second"),
    ],
  }),
  ...from("pipelineClose.test.ts", 100, {
    "close-then-same-read": [GET("/slow-close", "Connection: close\r\n") + GET("/after")],
    "close-then-later-read": [GET("/slow-close", "Connection: close\r\n"), { wait: 100 }, GET("/after")],
  }),
  ...from("pipelineClose.test.ts", 117, { "http10-then-bytes": ["GET /slow-10 HTTP/1.0\r\nHost: {host}\r\n\r\n" + GET("/after-10")] }),
  ...from("pipelineClose.test.ts", 127, { "garbage-behind-two": [GET("/slow-a") + GET("/b") + "BAD\r\n\r\n"] }),
  ...from("pipelineClose.test.ts", 139, { "broken-behind-slow": [GET("/slow-first") + GET("/broken")] }),
  ...from("pipelineClose.test.ts", 153, { "two-plain": [GET("/one") + GET("/two")] }),
  ...from("nodeRefusals.test.ts", 157, {
    "no-host": [`GET /no-host HTTP/1.1\r\n\r\n${GET("/no-host-next", "Connection: close\r\n")}`],
    "no-host-body": [`POST /no-host-body HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc${GET("/no-host-next", "Connection: close\r\n")}`],
    "no-host-absolute": [`GET http://{host}/no-host-absolute HTTP/1.1\r\n\r\n${GET("/no-host-next", "Connection: close\r\n")}`],
    "no-host-expect": ["POST /no-host-expect HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n"],
  }),
  ...from("nodeRefusals.test.ts", 190, { "http10-no-host": ["GET http://{host}/v10-no-host HTTP/1.0\r\n\r\n"] }),
  ...from("nodeRefusals.test.ts", 197, {
    "expect-token": [
      `POST /expect-token HTTP/1.1\r\nHost: {host}\r\nExpect: foo\r\nContent-Length: 3\r\n\r\nabc${GET("/expect-next", "Connection: close\r\n")}`,
    ],
    "expect-continue-typo": [
      `POST /expect-typo HTTP/1.1\r\nHost: {host}\r\nExpect: 100-continues\r\nContent-Length: 3\r\n\r\nabc${GET("/expect-next", "Connection: close\r\n")}`,
    ],
    "expect-behind": [GET("/expect-before") + GET("/expect-behind", "Expect: foo\r\n") + GET("/expect-next", "Connection: close\r\n")],
    "expect-two-hosts": [GET("/expect-two-hosts", "Host: evil.example\r\nExpect: foo\r\n") + GET("/expect-after-refused", "Expect: foo\r\n")],
    "expect-http10": ["GET /expect-v10 HTTP/1.0\r\nHost: {host}\r\nExpect: foo\r\n\r\n"],
  }),
  ...from("nodeRefusals.test.ts", 249, {
    "lower-case-method": ["get /parse HTTP/1.1\r\nHost: {host}\r\n\r\n"],
    "http-3.0": ["GET /parse HTTP/3.0\r\nHost: {host}\r\n\r\n"],
    "head-over-limit": [`GET /parse HTTP/1.1\r\nHost: {host}\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n${next("parse")}`],
    "chunk-extensions-over-16k": [
      `POST /parse-chunked HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: chunked\r\n\r\n1;a=${"b".repeat(17_000)}\r\nx\r\n0\r\n\r\n`,
    ],
    "garbage-behind-pending": [GET("/parse-pending") + "BAD\r\n\r\n"],
    "garbage-behind-stream": [GET("/stream-parse"), { wait: 150 }, "BAD\r\n\r\n"],
  }),
  ...from("nodeRefusals.test.ts", 301, {
    "reset-mid-head": ["GET /reset HTTP/1.1\r\nHost: {host}\r\n", { wait: 100 }, { reset: true }],
    "fin-mid-head": ["GET /fin HTTP/1.1\r\nHost: {host}\r\n", { end: true }],
  }),
  ...from("listenerReview.test.ts", 79, { "r1a-bad-chunk-behind-slow": [GET("/slow-r1a") + CHUNKED("/r1a-body") + "zz\r\n"] }),
  ...from("listenerReview.test.ts", 90, { "r1b-bad-chunk-behind-stream": [GET("/stream-r1b") + CHUNKED("/r1b-body") + "1\r\nx\r\n", { wait: 100 }, "zz\r\n"] }),
  ...from("listenerReview.test.ts", 99, { "r2-bad-chunk-after-answer": [CHUNKED("/early-r2") + "1\r\nx\r\n", { wait: 150 }, "zz\r\n"] }),
  ...from("listenerReview.test.ts", 123, {
    "r4-no-route-then-slow-then-garbage": ["GET /r4-nr HTTP/1.1\r\nHost: nosuch.shop\r\n\r\n" + GET("/slow-r4") + "BAD\r\n\r\n"],
  }),
];
