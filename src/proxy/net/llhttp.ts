/**
 * Node's own HTTP/1.1 parser binding (llhttp, as node:http uses it: `require("_http_common").HTTPParser`),
 * shared by the upstream pool (../upstream/h1pool.ts) and the listeners' server (./h1server.ts).
 * `_http_common` is undocumented: its shape is checked at load and each user falls back (undici's Pool,
 * node:http) when it is missing or different (nodejs/node#58534, #58535 discuss hiding it).
 */
import { createRequire } from "node:module";

/** The parser class and its callback slots (lib/_http_common.js; C++ src/node_http_parser.cc). */
export interface ParserBinding {
  new (): Parser;
  REQUEST: number;
  RESPONSE: number;
  kOnMessageBegin: number;
  kOnHeaders: number;
  kOnHeadersComplete: number;
  kOnBody: number;
  kOnMessageComplete: number;
  /** The slot of the callback called after each read the parser took from a consumed stream (`consume`). */
  kOnExecute?: number;
}

/** One parser: `execute` returns the bytes parsed or an Error with `code` (`HPE_*`) and `bytesParsed`. */
export interface Parser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  execute(b: Buffer): number | Error;
  finish(): undefined | Error;
  /** Resumes a parser paused by a callback's `HPE_PAUSED` (llhttp_resume). */
  resume(): void;
  close?(): void;
  /**
   * Reads `handle` (a stream handle: `socket._handle`) itself, in C++, as node:http does: no `'data'` event and no
   * Buffer per read; after each read `kOnExecute` gets what `execute` would have returned. A callback that throws
   * there is an uncaught exception (no JavaScript caller to catch it).
   */
  consume?(handle: object): void;
  /** Gives the stream back to its own reads (before the parser is closed: a consumed parser freed first is freed twice). */
  unconsume?(): void;
  /** Inside `kOnExecute`: a copy of the read being parsed. */
  getCurrentBuffer?(): Buffer;
  [k: number]: unknown;
}

/** What is used of `_http_common`: the parser and node's header token and value checks. */
export interface HttpCommon {
  HTTPParser: ParserBinding;
  _checkIsHttpToken(s: string): boolean;
  _checkInvalidHeaderChar(s: string): boolean;
}

/** `_http_common` when it has the parser (with every callback slot) and the checks, else undefined. */
export const httpCommon: HttpCommon | undefined = (() => {
  try {
    const c = createRequire(import.meta.url)("_http_common") as Partial<HttpCommon>;
    const P = c.HTTPParser;
    if (
      typeof P === "function" &&
      typeof P.REQUEST === "number" &&
      typeof P.RESPONSE === "number" &&
      typeof P.kOnMessageBegin === "number" &&
      typeof P.kOnBody === "number" &&
      typeof c._checkIsHttpToken === "function" &&
      typeof c._checkInvalidHeaderChar === "function"
    )
      return c as HttpCommon;
  } catch {
    /* not there: undefined */
  }
  return undefined;
})();
