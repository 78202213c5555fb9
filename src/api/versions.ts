/**
 * Ordering of mesh versions, for every adapter and for cluster detection.
 *
 * Mesh versions are not semver: adapters target minors (`1.30`, `2.20`) and clusters report release tags
 * (`1.30.3`, `v1.13.0`, `stable-2.14.10`, `edge-26.8.3`). `semver.compare` throws on `1.30` and
 * `semver.coerce` would keep only the first three numbers and drop the channel, so a dependency would
 * need an adapter here anyway: one helper instead. Versions compare by their runs of digits as numbers,
 * in order (`1.9` < `1.30`; a missing field is lower than any number, `1.30` < `1.30.0`); versions whose
 * numbers are equal are ordered by their text (`edge-2.14` < `stable-2.14`), so sorting is total.
 */

/** Ascending order of versions (see the module comment): negative when `a` is older than `b`. */
export function compareVersions(a: string, b: string): number {
  return numbersDiff(a, b) || textOrder(a, b);
}

/** Newest first (numbers descending); equal numbers keep the ascending text order of {@link compareVersions}. */
export function compareVersionsDesc(a: string, b: string): number {
  return numbersDiff(b, a) || textOrder(a, b);
}

/** The first difference between the digit runs of `a` and `b` read as numbers (a missing one is -1). */
function numbersDiff(a: string, b: string): number {
  const na = a.match(/\d+/g)?.map(Number) ?? [];
  const nb = b.match(/\d+/g)?.map(Number) ?? [];
  for (let i = 0; i < Math.max(na.length, nb.length); i++) {
    const d = (na[i] ?? -1) - (nb[i] ?? -1);
    if (d) return d;
  }
  return 0;
}

function textOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
