/**
 * The deliberate differences between the two implementations (docs/design/h1-listener.md §3, D1-D8), keyed
 * by case name (every listener) or `<case name>@<listener>`. An entry names the fields that may differ and a
 * check that the difference is exactly the deliberate one, so that it cannot hide another: a difference in
 * a field not named, or one the check refuses, is reported like any other.
 *
 * Today both sides are node:http, so nothing differs and no entry is used; they say what the llhttp server
 * is expected to do where its answer is decided (D3, D7), and what it may do where it is not yet (D6).
 */
import { isDeepStrictEqual } from "node:util";
import type { Field, Normalized } from "./harness.js";

export type D = "D1" | "D2" | "D3" | "D4" | "D5" | "D6" | "D7" | "D8";

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

/** D6: an HTTP/2.0 or HTTP/0.9 request line answered 505 alone (and nothing reaches the app), if llhttp's server refuses it. */
function refused505(node: Normalized, llhttp: Normalized): string | undefined {
  if (llhttp.answers.length !== 1 || !llhttp.answers[0].status.startsWith("HTTP/1.1 505 "))
    return `llhttp answered ${JSON.stringify(llhttp.answers.map((a) => a.status))}, not one 505`;
  if (llhttp.app.length !== 0) return "the request reached llhttp's app";
  if (llhttp.close === "open") return "llhttp left the connection open";
  return node.app.length === 0 ? "node's app saw nothing either: not a D6 case" : undefined;
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
    what: "CONNECT behind a request in flight: node:http destroys the socket at once (that answer lost); llhttp sends that answer, then the 403 for CONNECT, then closes; the app sees the same",
    fields: ["answers", "rest", "close"],
    check: answersAppended(403),
  },
  "gen/version/http-2.0-line": {
    d: "D6",
    what: "HTTP/2.0 request line: served by node:http; 505 and close if llhttp refuses it (to be decided)",
    fields: ["answers", "rest", "close", "app"],
    check: refused505,
  },
  "gen/version/no-version": {
    d: "D6",
    what: "a request line without a version (`GET /v`, HTTP/0.9): served by node:http; 505 and close if llhttp refuses it (to be decided)",
    fields: ["answers", "rest", "close", "app"],
    check: refused505,
  },
  "gen/version/http-0.9-line": {
    d: "D6",
    what: "HTTP/0.9 request line: served by node:http; 505 and close if llhttp refuses it (to be decided)",
    fields: ["answers", "rest", "close", "app"],
    check: refused505,
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
