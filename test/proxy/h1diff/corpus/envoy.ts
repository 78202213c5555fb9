/**
 * Envoy's HTTP/1.1 server codec tests (github:envoyproxy/envoy, test/common/http/http1/codec_impl_test.cc, the
 * stored copy at 006b5c7a3440, an older version of the file: the CL/TE-conflict cases of later versions are not
 * in it), class Http1ServerConnectionImplTest: the request bytes each test dispatches, transcribed (several
 * dispatches: one write each). Envoy's expectations are Envoy's, not an oracle here. An HTTP/1.1 request without
 * Host gets a `+host` variant, `Host: {host}` after its first line, as for llhttp's cases.
 */
import type { Case } from "../harness.js";

const ORIGIN = "github:envoyproxy/envoy@006b5c7a3440 test/common/http/http1/codec_impl_test.cc";

const TESTS: Record<string, string[]> = {
  EmptyHeader: ["GET / HTTP/1.1\r\nTest:\r\nHello: World\r\n\r\n"],
  IdentityEncoding: ["GET / HTTP/1.1\r\ntransfer-encoding: identity\r\n\r\n"],
  ChunkedBody: ["POST / HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\nb\r\nHello World\r\n0\r\n\r\n"],
  IdentityAndChunkedBody: ["POST / HTTP/1.1\r\ntransfer-encoding: identity,chunked\r\n\r\nb\r\nHello World\r\n0\r\n\r\n"],
  "HostWithLWS-spaces": ["GET / HTTP/1.1\r\nHost: host \r\n\r\n"],
  "HostWithLWS-tabs": ["GET / HTTP/1.1\r\nHost:\thost\t\r\n\r\n"],
  "HostWithLWS-mixed": ["GET / HTTP/1.1\r\nHost: \t \t  host\t\t  \t \r\n\r\n"],
  Http10: ["GET / HTTP/1.0\r\n\r\n"],
  Http10Absolute: ["GET http://www.somewhere.com/foobar HTTP/1.0\r\n\r\n"],
  Http10MultipleResponses: [
    "GET /foobar HTTP/1.0\r\nHost: www.somewhere.com\r\nconnection: keep-alive\r\n\r\n",
    "GET /foobar HTTP/1.1\r\nHost: www.somewhere.com\r\n\r\n",
  ],
  Http11AbsolutePath1: ["GET http://www.somewhere.com/ HTTP/1.1\r\nHost: bah\r\n\r\n"],
  Http11AbsolutePathWithPort: ["GET http://www.somewhere.com:4532/foo/bar HTTP/1.1\r\nHost: bah\r\n\r\n"],
  Http11InvalidRequest: ["GET www.somewhere.com HTTP/1.1\r\nHost: bah\r\n\r\n"],
  Http11AbsolutePathNoSlash: ["GET http://www.somewhere.com HTTP/1.1\r\nHost: bah\r\n\r\n"],
  Http11AbsolutePathBad: ["GET * HTTP/1.1\r\nHost: bah\r\n\r\n"],
  Http11AbsolutePortTooLarge: ["GET http://foobar.com:1000000 HTTP/1.1\r\nHost: bah\r\n\r\n"],
  SketchyConnectionHeader: ["GET / HTTP/1.1\r\nHost: bah\r\nConnection: a,b,c,d,e,f,g,h,i,j,k,l,m\r\n\r\n"],
  Http11Options: ["OPTIONS * HTTP/1.1\r\nHost: www.somewhere.com\r\n\r\n"],
  SimpleGet: ["GET / HTTP/1.1\r\n\r\n"],
  BadRequestNoStream: ["bad"],
  RejectInvalidMethod: ["BAD / HTTP/1.1\r\nHost: foo\r\n"],
  BadRequestStartedStream: ["G", "g"],
  HostHeaderTranslation: ["GET / HTTP/1.1\r\nHOST: hello\r\n\r\n"],
  HeaderInvalidChars: ["GET / HTTP/1.1\r\nHOST: h.com\r\nfoo: \u0003\r\n"],
  HeaderEmbeddedNul: ["GET / HTTP/1.1\r\nHOST: h.com\r\nfoo: bar\u0000baz\r\n"],
  PostWithContentLength: ["POST / HTTP/1.1\r\ncontent-length: 5\r\n\r\n12345"],
  HeadRequestResponse: ["HEAD / HTTP/1.1\r\n\r\n"],
  DoubleRequest: ["GET / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\n"],
  RequestWithTrailers: ["POST / HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\nb\r\nHello World\r\n0\r\nhello: world\r\nsecond: header\r\n\r\n"],
  IgnoreUpgradeH2c: [
    "GET http://www.somewhere.com/ HTTP/1.1\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: token64\r\nHost: bah\r\n\r\n",
  ],
  IgnoreUpgradeH2cClose: [
    "GET http://www.somewhere.com/ HTTP/1.1\r\nConnection: Upgrade, Close, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: token64\r\nHost: bah\r\n\r\n",
  ],
  UpgradeRequest: ["POST / HTTP/1.1\r\nConnection: upgrade\r\nUpgrade: foo\r\ncontent-length:5\r\n\r\n", "12345", "abcd"],
  UpgradeRequestWithEarlyData: ["POST / HTTP/1.1\r\nConnection: upgrade\r\nUpgrade: foo\r\ncontent-length:5\r\n\r\n12345abcd"],
  UpgradeRequestWithTEChunked: ["POST / HTTP/1.1\r\nConnection: upgrade\r\nUpgrade: foo\r\ntransfer-encoding: chunked\r\n\r\n12345abcd"],
  UpgradeRequestWithNoBody: ["GET / HTTP/1.1\r\nConnection: upgrade\r\nUpgrade: foo\r\ncontent-length: 0\r\n\r\nabcd"],
};

/** `Host: {host}` after the first line of an HTTP/1.1 request without one, else undefined. */
function withHost(first: string): string | undefined {
  const eol = first.indexOf("\r\n");
  if (eol < 0 || !first.slice(0, eol).endsWith(" HTTP/1.1") || /\r\nhost:/i.test(first)) return undefined;
  return first.slice(0, eol + 2) + "Host: {host}\r\n" + first.slice(eol + 2);
}

export const ENVOY_CASES: Case[] = Object.entries(TESTS).flatMap(([test, writes]): Case[] => {
  const origin = `${ORIGIN} (TEST_F Http1ServerConnectionImplTest, ${test})`;
  const send = (ws: string[]) => ws.flatMap((w, i) => (i === 0 ? [w] : [{ wait: 30 }, w]));
  const out: Case[] = [{ name: `envoy/${test}`, origin, send: send(writes) }];
  const hosted = withHost(writes[0]);
  if (hosted) out.push({ name: `envoy/${test}+host`, origin: `${origin}, Host: {host} added after the first line`, send: send([hosted, ...writes.slice(1)]) });
  return out;
});
