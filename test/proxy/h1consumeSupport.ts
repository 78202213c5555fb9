/**
 * The harness of the consumed-reads tests (h1consume.test.ts, h1consumeReview.test.ts): an H1Server on a loopback
 * net.Server, driven with raw sockets.
 */
import net from "node:net";
import { H1Server, type H1ServerHooks } from "../../src/proxy/net/h1server.js";

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export type Conn = { consumed: boolean; socket: net.Socket };

let closers: (() => void)[] = [];
/** Closes the servers the tests started: each importing file registers it with `afterEach`. */
export function closeServers(): void {
  for (const c of closers) c();
  closers = [];
}

/** An H1Server serving a loopback port; `hooks` override the defaults (every request answered `ok <url>`). */
export async function serve(
  hooks: Partial<H1ServerHooks> = {},
  options: { idleTimeoutMs?: number; env?: string; sniff?: boolean } = {},
): Promise<{ port: number; h1: H1Server; conns: () => Conn[]; protocol: [number, string][] }> {
  const protocol: [number, string][] = [];
  const before = process.env.UNIMESH_H1_CONSUME;
  if (options.env !== undefined) process.env.UNIMESH_H1_CONSUME = options.env;
  let h1: H1Server;
  try {
    h1 = new H1Server(
      {
        maxHeaderBytes: 16_384,
        headersTimeoutMs: 10_000,
        requestTimeoutMs: 60_000,
        keepAliveTimeoutMs: 5_000,
        idleTimeoutMs: options.idleTimeoutMs ?? 120_000,
        answers: new Map([[400, Buffer.from("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n", "latin1")]]),
        statusOf: () => 400,
      },
      {
        head: () => undefined,
        request: (req, res) => res.end(`ok ${req.url}\n`),
        checkContinue: () => undefined,
        checkExpectation: () => undefined,
        connect: () => undefined,
        protocolError: (status, code) => protocol.push([status, code]),
        ...hooks,
      },
    );
  } finally {
    if (before === undefined) delete process.env.UNIMESH_H1_CONSUME;
    else process.env.UNIMESH_H1_CONSUME = before;
  }
  // sniff: the first read is handed over with the socket, from inside its 'data' event, as the Listener does.
  const server = net.createServer({ noDelay: true }, (s) => {
    if (!options.sniff) return h1.serve(s);
    const first = (d: Buffer) => {
      s.off("data", first);
      h1.serve(s, d);
    };
    s.on("data", first);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  closers.push(() => {
    h1.close();
    server.close();
  });
  const port = (server.address() as net.AddressInfo).port;
  return { port, h1, conns: () => [...h1.conns] as unknown as Conn[], protocol };
}

export const get = (path: string) => `GET ${path} HTTP/1.1\r\nHost: a\r\n\r\n`;
