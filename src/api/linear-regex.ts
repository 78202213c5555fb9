/**
 * Regular expressions run in time linear in their input: what the built-in proxy matches request data with
 * (routes, CORS origins: src/proxy/features/match.ts), and what the built-in adapter checks a pattern
 * against before it emits it, so that a pattern the proxy would refuse is reported at translation.
 */
import { setFlagsFromString } from "node:v8";

/**
 * V8's linear-time engine for regular expressions (the `l` flag) is behind a flag, set when the first
 * such expression is compiled: a configuration without regular expressions leaves the process's V8 as
 * it is (with the flag set, a same-run A/B of the proxy benchmark, which has none, showed a longer tail).
 */
let linearEngine = false;

/**
 * A whole-string regular expression run by V8's linear-time engine: matching costs time linear in the
 * input whatever the pattern, as RE2 guarantees Envoy (`safe_regex`). JavaScript's own engine
 * backtracks: a route on `([a-z0-9]+-?)+` stalled every listener of the process for 10 s on one
 * 32-character header. Throws (with why) for a pattern the linear engine cannot run: a back-reference,
 * a lookaround (neither is RE2 syntax) or a counted repetition too large for it (`a{1000}`).
 */
export function linearRegex(src: string): RegExp {
  if (!linearEngine) {
    setFlagsFromString("--enable-experimental-regexp-engine");
    linearEngine = true;
  }
  try {
    // eslint-disable-next-line no-invalid-regexp -- V8's `l` (linear) flag, enabled above (linearEngine)
    return new RegExp(`^(?:${src})$`, "l");
  } catch (e) {
    const why = (e as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, "");
    throw new Error(
      `the regular expression ${JSON.stringify(src)} cannot be matched in time linear in the request (${why}); the built-in proxy runs only such expressions on requests, as Envoy does with RE2: write large counted repetitions as + or *, and no back-references or lookarounds`,
      { cause: e },
    );
  }
}
