import { gammaQ } from './gamma.js';

/**
 * erfc(x) = Q(1/2, x²) for x ≥ 0 (the regularized upper incomplete gamma of gamma.ts, computed
 * directly in the tail, so small values keep their relative precision); erfc(−x) = 2 − erfc(x).
 */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x === Infinity) return 0;
  if (x === -Infinity) return 2;
  const q = x === 0 ? 1 : gammaQ(0.5, x * x);
  return x >= 0 ? q : 2 - q;
}

/** Standard normal CDF Φ(z) = erfc(−z/√2) / 2. */
export const normalCdf = (z: number): number => 0.5 * erfc(-z / Math.SQRT2);

export interface TwoProportionZTest {
  /** Successes / trials of each sample. */
  p1: number;
  p2: number;
  /** p1 − p2. */
  difference: number;
  /** (p1 − p2) / √(p̂(1 − p̂)(1/n1 + 1/n2)), p̂ pooled; 0 when the pooled variance is 0. */
  z: number;
  /** Two-sided: erfc(|z| / √2) = 2(1 − Φ(|z|)). */
  pValue: number;
}

/**
 * Pooled two-proportion z-test (as statsmodels' `proportions_ztest` with the default pooled
 * variance, two-sided). NaN fields when a sample is empty.
 */
export function twoProportionZTest(x1: number, n1: number, x2: number, n2: number): TwoProportionZTest {
  if (!(n1 > 0) || !(n2 > 0)) return { p1: Number.NaN, p2: Number.NaN, difference: Number.NaN, z: Number.NaN, pValue: Number.NaN };
  const p1 = x1 / n1;
  const p2 = x2 / n2;
  const p = (x1 + x2) / (n1 + n2);
  const se = Math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2));
  const z = se === 0 ? 0 : (p1 - p2) / se;
  return { p1, p2, difference: p1 - p2, z, pValue: se === 0 ? 1 : erfc(Math.abs(z) / Math.SQRT2) };
}
