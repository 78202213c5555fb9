/**
 * The request path of the built-in proxy as explicit filter chains. A filter is one feature's step: it
 * looks at the exchange (what earlier filters resolved), adds what later ones need, and either lets the
 * request go on ({@link NEXT}) or answers it and ends the chain ({@link DONE}). The chains, in order:
 * `OUTBOUND` in ./outbound.ts (an app's outbound listener or an ingress) and `INBOUND` in ./inbound.ts
 * (an instance's inbound listener).
 */

/** The filter let the request go on. */
export const NEXT = undefined;
/** The filter answered the request (and recorded it): the chain ends. */
export const DONE = true;

/** What a filter returns: {@link NEXT} or {@link DONE}, or a promise of it (it waits for something). */
export type Step = typeof DONE | typeof NEXT;

/** One step of a request path over the exchange `X`. */
export type Filter<X> = (x: X) => Step | Promise<Step>;

/**
 * Runs the filters in order, from the `from`-th, until one answers. Synchronous as long as the filters
 * are: a promise (and the wait for it) only from the first filter that returns one; a filter's error
 * (thrown, or its promise rejected) is the caller's to handle: thrown, or the returned promise rejected.
 */
export function runChain<X>(chain: readonly Filter<X>[], x: X, from = 0): void | Promise<unknown> {
  const last = chain.length - 1;
  for (let i = from; i <= last; i++) {
    const step = chain[i](x);
    if (step === DONE) return;
    if (step instanceof Promise) {
      // The last filter's promise is the chain's (nothing runs after it, whatever it resolves to).
      if (i === last) return step;
      return step.then((s: Step) => (s === DONE ? undefined : runChain(chain, x, i + 1)));
    }
  }
}
