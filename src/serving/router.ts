/**
 * Picks the variant for a request by weight: variant i gets weight_i / sum(weights) of the traffic.
 * `r` is a uniform random number in [0, 1). Returns -1 when every weight is zero.
 */
export function pickVariant(weights: readonly number[], r: number): number {
  let total = 0;
  for (const w of weights) total += w;
  if (total <= 0) return -1;
  let threshold = r * total;
  for (let i = 0; i < weights.length; i++) {
    if (weights[i] <= 0) continue;
    threshold -= weights[i];
    if (threshold < 0) return i;
  }
  for (let i = weights.length - 1; i >= 0; i--) if (weights[i] > 0) return i;
  return -1;
}
