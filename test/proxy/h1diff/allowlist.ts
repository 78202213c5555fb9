/**
 * The deliberate differences between the two implementations (docs/design/h1-listener.md §3, D1-D8), keyed
 * by case name (every listener) or `<case name>@<listener>`. An entry names the fields that may differ and a
 * check that the difference is exactly the deliberate one, so that it cannot hide another: a difference in
 * a field not named, or one the check refuses, is reported like any other.
 *
 * D10 (not in the design's table): a method llhttp parses outside `http.METHODS` (RTSP's) is a parse error.
 * D6 is no difference: both refuse HTTP/2.0 and HTTP/0.9 request lines (505, listener.ts refusedRequestHead).
 * D9 (not in the design's table): llhttp's server hands a request on once the read that completed its head
 * is parsed, not from inside the parser's callback, so a request whose message breaks in that same read is
 * answered with the raw error in its place and never reaches the app.
 */
import { isDeepStrictEqual } from "node:util";
import type { Field, Normalized } from "./harness.js";

export type D = "D1" | "D2" | "D3" | "D4" | "D5" | "D6" | "D7" | "D8" | "D9" | "D10";

export interface Allowance {
  d: D;
  /** What differs, exactly. */
  what: string;
  /** The fields that may differ. */
  fields: Field[];
  /** Undefined when the difference is the deliberate one, else why not. */
  check: (node: Normalized, llhttp: Normalized) => string | undefined;
}

/** llhttp's app saw strictly fewer requests than node's, the first ones, identical (D1, D3: never more, never other ones). */
export function appFewer(node: Normalized, llhttp: Normalized): string | undefined {
  if (llhttp.app.length >= node.app.length) return `llhttp's app saw ${llhttp.app.length} requests, node's ${node.app.length}: not fewer`;
  if (!isDeepStrictEqual(llhttp.app, node.app.slice(0, llhttp.app.length))) return "llhttp's app requests are not the first of node's";
  return undefined;
}

/**
 * node's answers are the first of llhttp's, and llhttp's further ones end with one answer of status `code`
 * after answers below 400 only (D7, D8: answers in turn, and the refusal after them, where node:http lost them).
 */
export function answersAppended(code: number) {
  return (node: Normalized, llhttp: Normalized): string | undefined => {
    if (!isDeepStrictEqual(node.answers, llhttp.answers.slice(0, node.answers.length))) return "node's answers are not the first of llhttp's";
    const extra = llhttp.answers.slice(node.answers.length).map((a) => Number(a.status.split(" ")[1]));
    if (extra.at(-1) !== code || extra.slice(0, -1).some((c) => c >= 400))
      return `llhttp's further answers are ${JSON.stringify(extra)}, not answers below 400 and then ${code}`;
    return undefined;
  };
}

/** node's app requests are the first of llhttp's (D7: llhttp serves the requests before a CONNECT that node:http aborted). */
function appMore(node: Normalized, llhttp: Normalized): string | undefined {
  if (!isDeepStrictEqual(node.app, llhttp.app.slice(0, node.app.length))) return "node's app requests are not the first of llhttp's";
  return undefined;
}

/**
 * D3: node's answers are the first of llhttp's, and llhttp has one more: an answer broken off after its head
 * (its body shorter than its Content-Length), the connection closed after it. node:http had that response
 * queued while the first was on its way, and closed the connection at its turn without a byte of it
 * (listener.ts `queue`); llhttp hands it the socket in turn, so what the upstream sent before it failed goes
 * out, then the close: what any answer broken off looks like.
 */
function brokenAnswerAppended(node: Normalized, llhttp: Normalized): string | undefined {
  if (llhttp.answers.length !== node.answers.length + 1) return `llhttp has ${llhttp.answers.length} answers, node ${node.answers.length}: not one more`;
  if (!isDeepStrictEqual(node.answers, llhttp.answers.slice(0, node.answers.length))) return "node's answers are not the first of llhttp's";
  const last = llhttp.answers.at(-1)!;
  const length = Number(last.headers.find(([k]) => k.toLowerCase() === "content-length")?.[1]);
  if (last.framing !== "length" || !(Buffer.byteLength(last.body, "latin1") < length)) return "llhttp's further answer is not one broken off";
  if (llhttp.close === "open") return "llhttp left the connection open";
  return undefined;
}

export const ALLOWLIST: Record<string, Allowance> = {
  "unimesh/pipelineClose/two-slow-then-reset": {
    d: "D3",
    what: "two requests pipelined, then the client resets: node:http dispatched both at once (both reach the app, then are aborted); llhttp dispatches the second only after the first's answer, so its app sees only the first",
    fields: ["app"],
    check: appFewer,
  },
  "unimesh/requestHead/connect-pipelined": {
    d: "D7",
    what: "CONNECT behind a request in flight: node:http destroys the socket at once (that answer lost, and the request aborted on its way: at the outbound listener it never reaches the app); llhttp sends that answer, then the 403 for CONNECT, then closes; its app sees node's requests and those node aborted",
    fields: ["answers", "rest", "close", "app"],
    check: (node, llhttp) => answersAppended(403)(node, llhttp) ?? appMore(node, llhttp),
  },
  "unimesh/pipelineClose/broken-behind-slow": {
    d: "D3",
    what: "a slow answer, then one the upstream breaks off after its head, pipelined: node:http queued the second and closed at its turn without a byte of it; llhttp hands it on after the first, so its head and the bytes before the break go out, then the close",
    fields: ["answers", "rest"],
    check: brokenAnswerAppended,
  },
  "unimesh/listenerReview/r1b-bad-chunk-behind-stream": {
    d: "D3",
    what: "a chunked POST whose body breaks, pipelined behind a streaming answer: node:http dispatched it at its head (the app saw it, then it was aborted); llhttp hands it on only after the first answer, by which time its body broke: the raw 400 in its place, the app never sees it",
    fields: ["app"],
    check: appFewer,
  },
  "llhttp/method/announce-request-with-rtsp": {
    d: "D10",
    what: "an RTSP method (ANNOUNCE ... RTSP/1.0: llhttp parses it, it is not in http.METHODS): node:http hands it on as method ANNOUNCE and the proxy answers 400 itself; llhttp's server answers it as a parse error, node's raw 400 (no Date), after the answers before it. Both 400 and close; nothing reaches the app",
    fields: ["answers"],
    check: (node, llhttp) => {
      const one = (n: Normalized) => n.answers.length === 1 && n.answers[0].status === "HTTP/1.1 400 Bad Request";
      if (!one(node) || !one(llhttp)) return "not one 400 on each side";
      if (!isDeepStrictEqual(llhttp.answers[0].headers, [["Connection", "close"]])) return "llhttp's 400 is not node's raw answer";
      return undefined;
    },
  },
  "gen/chunked/trailer-content-length": {
    d: "D9",
    what: "a chunked request whose trailer section does not parse, in the same read as its head: node:http hands it on at its head (the app sees it, then it is aborted); llhttp hands a request on once the read that completed its head is parsed, so one that broke in that read never reaches the app: same answer",
    fields: ["app"],
    check: appFewer,
  },
};

/**
 * Timing races of the proxy itself, not differences between the implementations: a request handed on whose
 * connection breaks in the same read (its body does not parse, or the client's FIN follows it) reaches the app
 * or not depending on whether the exchange's upstream request went out before the abort. Seen flipping between
 * repetitions of the corpus on node:http against itself (both sides alike within one run, but nothing makes them
 * so). The app's requests may differ by one at the end; nothing else may differ.
 */
export const RACES: Record<string, string> = {
  "llhttp/transfer-encoding/missing-last-chunk+host": "a chunked body cut short by a bad chunk in the same read",
  "llhttp/transfer-encoding/invalid-obs-fold-after-chunked-value-chunk-data-not-terminated-by-crlf": "a chunk not terminated by CRLF in the same read",
  "garden/transducer-bugs/17": "a chunk of 0x17 bytes swallowing the next request's head, then garbage, in the same read",
  "node/malformed-request/percent-99+host": "a complete request, then the client's FIN",
};

/** The app's requests are the same but for one more, the last, on one side. */
function appRace(node: Normalized, llhttp: Normalized): string | undefined {
  const [short, long] = node.app.length < llhttp.app.length ? [node.app, llhttp.app] : [llhttp.app, node.app];
  if (long.length !== short.length + 1 || !isDeepStrictEqual(short, long.slice(0, short.length)))
    return "the app's requests differ by more than one more at the end";
  return undefined;
}

export type Verdict =
  | { fields: Field[]; verdict: "same" }
  | { fields: Field[]; verdict: "allowed"; allowance: Allowance }
  | { fields: Field[]; verdict: "race"; why: string }
  | { fields: Field[]; verdict: "unexpected"; why: string };

/** Whether the differences of one run (`fields`) are none, a deliberate one, or not allowed. */
export function judge(caseName: string, listener: string, fields: Field[], node: Normalized, llhttp: Normalized): Verdict {
  if (fields.length === 0) return { fields, verdict: "same" };
  const race = RACES[caseName];
  if (race && fields.length === 1 && fields[0] === "app" && !appRace(node, llhttp)) return { fields, verdict: "race", why: race };
  const allowance = ALLOWLIST[`${caseName}@${listener}`] ?? ALLOWLIST[caseName];
  if (!allowance) return { fields, verdict: "unexpected", why: "not in the allowlist" };
  const other = fields.filter((f) => !allowance.fields.includes(f));
  if (other.length) return { fields, verdict: "unexpected", why: `${allowance.d} allows ${allowance.fields.join(", ")}, not ${other.join(", ")}` };
  const why = allowance.check(node, llhttp);
  return why ? { fields, verdict: "unexpected", why: `${allowance.d}: ${why}` } : { fields, verdict: "allowed", allowance };
}
