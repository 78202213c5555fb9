/**
 * Generated cases (docs/design/h1-listener.md §4.3, "Generated"): every method Node knows (QUERY and SOURCE
 * included: invariant 2 of §1.4), header counts around the binding's 32-line flush, head sizes at the
 * 16,384-byte limit ±1, Host variants, Expect variants, chunk extensions and trailers, header-object
 * semantics (first-wins names, joined names, cookie, set-cookie, `__proto__`), HTTP versions (D6).
 */
import http from "node:http";
import type { Case } from "../harness.js";

const ORIGIN = "generated (test/proxy/h1diff/corpus/generated.ts)";
const both = ["inbound", "outbound"] as const;
const gen = (name: string, send: Case["send"], listeners: Case["listeners"] = ["inbound"], note?: string): Case => ({
  name: `gen/${name}`,
  origin: ORIGIN,
  send,
  listeners: [...(listeners ?? ["inbound"])],
  ...(note ? { note } : {}),
});

/** The size of a head of {@link headOf}'s shape (request line `GET /s HTTP/1.1`) first refused with the listener's default maxHeaderBytes (16,384), Node 20. */
const FIRST_REFUSED = 16_409;

/** A GET whose head (from its first byte to the end of the empty line) is `total` bytes, padded in one header. */
function headOf(total: number, path: string): string {
  const base = `GET ${path} HTTP/1.1\r\nHost: {host}\r\nX-Pad: \r\n\r\n`;
  // `{host}` is replaced by `api<k>`: 4 bytes for lanes 0-9 (5 on outbound: `.shop` more); counted as 4 here.
  const fixed = base.length - "{host}".length + 4;
  return base.replace("X-Pad: ", `X-Pad: ${"p".repeat(Math.max(0, total - fixed))}`);
}

/** n header lines `x-h<i>: <i>`. */
const headerLines = (n: number) => Array.from({ length: n }, (_, i) => `x-h${i}: ${i}\r\n`).join("");

export const GENERATED_CASES: Case[] = [
  ...[...http.METHODS, "QUERY"]
    .filter((m, i, all) => all.indexOf(m) === i)
    .filter((m) => m !== "CONNECT")
    .map((m) => gen(`method/${m}`, [`${m} /method-${m} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\n\r\n`], both)),
  gen("method/unknown-token", ["FOOBAR /method HTTP/1.1\r\nHost: {host}\r\n\r\n"]),
  ...[1, 31, 32, 33, 63, 64, 65, 96, 97, 1000].map((n) =>
    gen(`header-count/${n}`, [`GET /count-${n} HTTP/1.1\r\nHost: {host}\r\n${headerLines(n)}\r\n`], n === 1000 ? ["inbound"] : both),
  ),
  gen(
    "header-count/33-long-url",
    [`GET /${"u".repeat(3000)} HTTP/1.1\r\nHost: {host}\r\n${headerLines(33)}\r\n`],
    ["inbound"],
    "URL and headers across kOnHeaders flushes",
  ),
  // The binding does not count every byte of the head against maxHeaderSize: on Node 20 a head of this shape is
  // first refused (431) at 16,409 bytes (probed against a bare http.Server with maxHeaderSize 16,384).
  ...[-2, -1, 0, 1, 2].map((d) => gen(`head-size/first-refused${d >= 0 ? "+" : ""}${d}`, [headOf(FIRST_REFUSED + d, "/s")])),
  ...Object.entries({
    "ipv6-literal": "[::1]",
    "ipv6-literal-port": "[::1]:8080",
    "ipv6-unbracketed": "::1",
    port: "{host}:80",
    "port-empty": "{host}:",
    "port-nonnumeric": "{host}:http",
    userinfo: "user@{host}",
    percent: "{host}%2e",
    empty: "",
    "trailing-dot": "{host}.",
    "upper-case": "{HOST}",
    "tab-inside": "{host}\tx",
    "value-with-comma": "{host}, evil.example",
    "non-ascii": "h\u00e9llo",
  }).map(([what, host]) => gen(`host/${what}`, [`GET /host-${what} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`], both)),
  ...Object.entries({
    "100-continue-upper": "100-CONTINUE",
    "100-continue-listed": "100-continue, foo",
    "100-continue-param": "100-continue;a=b",
    empty: "",
    "two-lines": "100-continue\r\nExpect: foo",
  }).map(([what, v]) =>
    gen(`expect/${what}`, [`POST /expect-${what} HTTP/1.1\r\nHost: {host}\r\nExpect: ${v}\r\nContent-Length: 2\r\n\r\n`, { wait: 100 }, "ok"], both),
  ),
  gen("chunked/extensions", [
    'POST /chunk-ext HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: chunked\r\n\r\n3;a=b;c="d e"\r\nabc\r\n2;x\r\nde\r\n0;last\r\n\r\n',
  ]),
  gen("chunked/extensions-at-16k", [
    `POST /chunk-ext-16k HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: chunked\r\n\r\n1;${"e".repeat(16_380)}\r\nx\r\n0\r\n\r\n`,
  ]),
  gen(
    "chunked/trailers",
    ["POST /trailers HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-Trailer: 1\r\nX-Other: two\r\n\r\n"],
    both,
  ),
  gen("chunked/trailer-content-length", [
    "POST /trailer-cl HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nContent-Length: 50\r\n\r\n" +
      "GET /after-trailer HTTP/1.1\r\nHost: {host}\r\n\r\n",
  ]),
  gen("chunked/many-small", [`POST /many-chunks HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: chunked\r\n\r\n${"1\r\nx\r\n".repeat(500)}0\r\n\r\n`]),
  gen("chunked/size-overflow", ["POST /chunk-overflow HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\nx\r\n0\r\n\r\n"]),
  gen(
    "chunked/trickled",
    ["POST /trickle HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: chunked\r\n\r\n", { wait: 30 }, "3\r\nab", { wait: 30 }, "c\r\n", { wait: 30 }, "0\r\n\r\n"],
    both,
  ),
  gen("body/content-length-trickled", ["POST /trickle-cl HTTP/1.1\r\nHost: {host}\r\nContent-Length: 10\r\n\r\n01234", { wait: 50 }, "56789"], both),
  gen("body/content-length-short-then-fin", ["POST /short HTTP/1.1\r\nHost: {host}\r\nContent-Length: 10\r\n\r\n01234", { wait: 50 }, { end: true }]),
  gen("body/binary", ["POST /binary HTTP/1.1\r\nHost: {host}\r\nContent-Length: 6\r\n\r\n\u0000\u00ff\r\n\u0080\u007f"], both),
  gen("headers/known-fields-twice", [
    "GET /known HTTP/1.1\r\nHost: {host}\r\n" +
      [
        "content-type",
        "user-agent",
        "referer",
        "authorization",
        "proxy-authorization",
        "if-modified-since",
        "if-unmodified-since",
        "from",
        "location",
        "max-forwards",
        "retry-after",
        "etag",
        "last-modified",
        "server",
        "age",
        "expires",
        "set-cookie",
        "cookie",
        "accept",
        "accept-encoding",
        "accept-language",
        "x-forwarded-for",
        "x-forwarded-host",
        "x-forwarded-proto",
        "cache-control",
        "vary",
        "if-match",
        "if-none-match",
        "origin",
        "x-foo",
      ]
        .map((n) => `${n}: a\r\n${n.toUpperCase()}: b\r\n`)
        .join("") +
      "\r\n",
  ]),
  gen("headers/proto", ["GET /proto HTTP/1.1\r\nHost: {host}\r\n__proto__: x\r\nconstructor: y\r\nhasOwnProperty: z\r\n\r\n"], both),
  gen("headers/empty-values", ["GET /empty HTTP/1.1\r\nHost: {host}\r\nX-Empty:\r\nX-Spaces:   \r\nX-Tab:\t\r\n\r\n"], both),
  gen("headers/obs-text", ["GET /obs-text HTTP/1.1\r\nHost: {host}\r\nX-Obs: caf\u00e9 \u00ff\r\n\r\n"], both),
  gen(
    "headers/hop-by-hop",
    [
      "GET /hop HTTP/1.1\r\nHost: {host}\r\nConnection: keep-alive, x-secret\r\nX-Secret: 1\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\nProxy-Connection: x\r\n\r\n",
    ],
    both,
  ),
  gen(
    "version/http-1.0-keep-alive-two",
    ["GET /v10-a HTTP/1.0\r\nHost: {host}\r\nConnection: keep-alive\r\n\r\nGET /v10-b HTTP/1.0\r\nHost: {host}\r\n\r\n"],
    both,
  ),
  gen("version/http-2.0-line", ["GET /v20 HTTP/2.0\r\nHost: {host}\r\n\r\n"], both, "D6"),
  gen("version/http-0.9-line", ["GET /v09 HTTP/0.9\r\nHost: {host}\r\n\r\n"], both, "D6"),
  gen("version/http-1.2", ["GET /v12 HTTP/1.2\r\nHost: {host}\r\n\r\n"]),
  gen("version/no-version", ["GET /v\r\n\r\n"]),
  gen("pipelining/ten", [Array.from({ length: 10 }, (_, i) => `GET /p${i} HTTP/1.1\r\nHost: {host}\r\n\r\n`).join("")], both),
  gen(
    "pipelining/ten-then-close",
    [Array.from({ length: 10 }, (_, i) => `GET /pc${i} HTTP/1.1\r\nHost: {host}\r\n${i === 9 ? "Connection: close\r\n" : ""}\r\n`).join("")],
    both,
  ),
  gen(
    "pipelining/post-bodies",
    [Array.from({ length: 5 }, (_, i) => `POST /pb${i} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 3\r\n\r\nb${i}!`).join("")],
    both,
  ),
  gen(
    "pipelining/slow-then-head",
    ["GET /slow-h HTTP/1.1\r\nHost: {host}\r\n\r\nHEAD /head HTTP/1.1\r\nHost: {host}\r\n\r\nGET /last HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"],
    both,
  ),
  gen("pipelining/one-byte-writes", [
    ..."GET /bytes HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
      .replace("{host}", "\u0001")
      .split("")
      .map((ch) => (ch === "\u0001" ? "{host}" : ch)),
  ]),
  gen("fin/after-complete-request", ["GET /fin-after HTTP/1.1\r\nHost: {host}\r\n\r\n", { end: true }], both),
  gen("fin/mid-body", ["POST /fin-body HTTP/1.1\r\nHost: {host}\r\nContent-Length: 10\r\n\r\n012", { end: true }]),
  gen("fin/mid-chunked", ["POST /fin-chunked HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nab", { end: true }]),
  gen("reset/after-complete-request", ["GET /slow-reset HTTP/1.1\r\nHost: {host}\r\n\r\n", { wait: 100 }, { reset: true }]),
  gen("garbage/leading-crlf", ["\r\n\r\nGET /leading-crlf HTTP/1.1\r\nHost: {host}\r\n\r\n"], both),
  gen("garbage/tls-hello-bytes", ["\u0016\u0003\u0001\u0000\u00a5\u0001\u0000\u0000\u00a1\u0003\u0003"]),
  gen("garbage/nul", ["\u0000\u0000\u0000\u0000"]),
];
