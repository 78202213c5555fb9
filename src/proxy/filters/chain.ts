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

/** Runs the filters in order until one answers; awaits only the filters that return a promise. */
export async function runChain<X>(chain: readonly Filter<X>[], x: X): Promise<void> {
  for (let i = 0; i < chain.length; i++) {
    let step = chain[i](x);
    if (step instanceof Promise) step = await step;
    if (step === DONE) return;
  }
}
