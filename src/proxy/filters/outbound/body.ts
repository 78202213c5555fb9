/**
 * `body`: a route that retries or mirrors reads the request body first, up to
 * `limits.maxBufferedBodyBytes` (a buffer can be sent again); a larger body, or any body on other
 * routes, streams through (one try).
 */
import type { Readable } from "node:stream";
import type { Req } from "../../net/listener.js";
import { hasBody } from "../../net/http.js";
import { NEXT, type Step } from "../chain.js";
import type { OutboundExchange } from "./exchange.js";

export function body(x: OutboundExchange): Step | Promise<Step> {
  if (!hasBody(x.req)) return NEXT;
  const route = x.route!;
  if (!route.retries && !route.mirror) {
    x.body = x.req as Readable;
    return NEXT;
  }
  return readBody(x.req, x.ctx.current.settings.limits.maxBufferedBodyBytes).then((b) => {
    x.body = b;
    return NEXT;
  });
}

/**
 * Reads the body: a buffer when it fits `limit` (replayable: retries and mirroring possible), else a
 * stream of what was read followed by the rest (one try).
 */
async function readBody(req: Req, limit: number): Promise<Buffer | AsyncIterable<Buffer>> {
  const chunks: Buffer[] = [];
  let size = 0;
  const it = (req as Readable)[Symbol.asyncIterator]();
  for (;;) {
    const { value, done } = await it.next();
    if (done) return Buffer.concat(chunks, size);
    chunks.push(value as Buffer);
    size += (value as Buffer).length;
    if (size > limit) {
      return (async function* () {
        yield* chunks;
        for (;;) {
          const n = await it.next();
          if (n.done) return;
          yield n.value as Buffer;
        }
      })();
    }
  }
}
