/**
 * Population stability index.
 *
 * PSI = Σᵢ (qᵢ − pᵢ) · ln(qᵢ / pᵢ), where pᵢ is the baseline's share of bin i and qᵢ the current
 * sample's, each share floored at `epsilon` (default 1e-4) so empty bins stay finite: pᵢ =
 * max(countᵢ / n, ε). The floored shares are not renormalized.
 *
 * Numeric bins: the baseline's quantiles at k/bins, k = 1 … bins−1 (numpy's default 'linear'
 * quantile), as interior edges; a value goes to bin i = the number of edges ≤ value
 * (`np.searchsorted(edges, v, side='right')`), so the outer bins are open-ended and ties on an
 * edge go right. Repeated edges (heavy ties) leave empty bins, which contribute 0.
 * Categorical bins: one per category seen in either sample.
 */

export const PSI_EPSILON = 1e-4;
export const PSI_BINS = 10;

/** numpy.quantile(sorted, q) with the default linear interpolation; `sorted` ascending, non-empty. */
export function quantileSortedImpl(sorted: ArrayLike<number>, q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  const frac = pos - lo;
  return sorted[lo] + (sorted[hi] - sorted[lo]) * frac;
}

/** Interior bin edges from a baseline sample: its quantiles at k/bins. */
export function psiEdgesImpl(baselineSorted: ArrayLike<number>, bins = PSI_BINS): Float64Array {
  const edges = new Float64Array(bins - 1);
  for (let k = 1; k < bins; k++) edges[k - 1] = quantileSortedImpl(baselineSorted, k / bins);
  return edges;
}

/** Counts per bin (edges.length + 1 bins) of `values` against ascending interior `edges`. */
export function binCountsImpl(values: ArrayLike<number>, edges: ArrayLike<number>): Float64Array {
  const counts = new Float64Array(edges.length + 1);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    let lo = 0;
    let hi = edges.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (edges[mid] <= v) lo = mid + 1;
      else hi = mid;
    }
    counts[lo]++;
  }
  return counts;
}

/** PSI of two count vectors over the same bins. */
export function psiFromCountsImpl(baseline: ArrayLike<number>, current: ArrayLike<number>, epsilon = PSI_EPSILON): number {
  let nb = 0;
  let nc = 0;
  for (let i = 0; i < baseline.length; i++) {
    nb += baseline[i];
    nc += current[i];
  }
  if (nb === 0 || nc === 0) return 0;
  let psi = 0;
  for (let i = 0; i < baseline.length; i++) {
    const p = Math.max(baseline[i] / nb, epsilon);
    const q = Math.max(current[i] / nc, epsilon);
    psi += (q - p) * Math.log(q / p);
  }
  return psi;
}

/** PSI of a numeric feature: bins from the baseline's quantiles. */
export function psiNumericImpl(baseline: ArrayLike<number>, current: ArrayLike<number>, opts: { bins?: number; epsilon?: number } = {}): number {
  const sorted = Float64Array.from(baseline).sort();
  if (sorted.length === 0 || current.length === 0) return 0;
  const edges = psiEdgesImpl(sorted, opts.bins ?? PSI_BINS);
  return psiFromCountsImpl(binCountsImpl(sorted, edges), binCountsImpl(current, edges), opts.epsilon);
}

/** PSI of a categorical feature from category → count maps. */
export function psiCategoricalImpl(baseline: ReadonlyMap<string, number>, current: ReadonlyMap<string, number>, epsilon = PSI_EPSILON): number {
  const keys = [...new Set([...baseline.keys(), ...current.keys()])];
  return psiFromCountsImpl(keys.map((k) => baseline.get(k) ?? 0), keys.map((k) => current.get(k) ?? 0), epsilon);
}
