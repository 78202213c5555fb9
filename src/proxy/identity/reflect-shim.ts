/**
 * The smallest Reflect metadata API `@peculiar/x509` (through tsyringe) needs: defineMetadata,
 * getOwnMetadata, getMetadata, hasMetadata. Installed only when no polyfill (e.g. `reflect-metadata`)
 * is present. Must be imported before `@peculiar/x509`.
 */
type Target = object;
const store = new WeakMap<Target, Map<string, unknown>>();
const slot = (key: unknown, prop?: string | symbol) => (prop === undefined ? String(key) : `${String(prop)}\u0000${String(key)}`);
const R = Reflect as unknown as Record<string, unknown>;

if (typeof R.getMetadata !== "function") {
  const getOwn = (key: unknown, target: Target, prop?: string | symbol) => store.get(target)?.get(slot(key, prop));
  Object.assign(R, {
    defineMetadata(key: unknown, value: unknown, target: Target, prop?: string | symbol) {
      let m = store.get(target);
      if (!m) store.set(target, (m = new Map()));
      m.set(slot(key, prop), value);
    },
    getOwnMetadata: getOwn,
    getMetadata(key: unknown, target: Target, prop?: string | symbol) {
      for (let t: Target | null = target; t; t = Object.getPrototypeOf(t)) {
        const v = getOwn(key, t, prop);
        if (v !== undefined) return v;
      }
      return undefined;
    },
    hasMetadata(key: unknown, target: Target, prop?: string | symbol) {
      return (R.getMetadata as (k: unknown, t: Target, p?: string | symbol) => unknown)(key, target, prop) !== undefined;
    },
  });
}
export {};
