/** `split`: picks one weighted target per request (independent uniform draws, so shares converge to the weights). */

/** Picks the index of a target by weight (weights sum to `total`); -1 when every weight is 0. */
export function pickWeighted(weights: readonly number[], total: number, random: () => number = Math.random): number {
  if (weights.length === 1) return weights[0] > 0 ? 0 : -1;
  if (total <= 0) return -1;
  let x = random() * total;
  for (let i = 0; i < weights.length; i++) {
    if (weights[i] <= 0) continue;
    if (x < weights[i]) return i;
    x -= weights[i];
  }
  for (let i = weights.length - 1; i >= 0; i--) if (weights[i] > 0) return i;
  return -1;
}
