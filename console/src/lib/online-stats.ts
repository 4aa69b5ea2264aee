/**
 * Intervals drawn beside an online evaluation's test (presentation only: the verdict is the
 * API's). Accuracy per variant gets a Wilson interval; the z-test's difference gets the interval
 * of the pooled standard error the test itself uses, so it excludes 0 exactly when |z| > z₁₋α/₂.
 */

export interface Interval { lower: number; upper: number; level: number }

// Acklam's rational approximation of the standard normal quantile (relative error < 1.2e-9).
const A = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
const B = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
const C = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
const D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
const P_LOW = 0.02425;

/** The standard normal quantile Φ⁻¹(p), 0 < p < 1. */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) return Number.NaN;
  if (p < P_LOW || p > 1 - P_LOW) {
    const q = Math.sqrt(-2 * Math.log(p < P_LOW ? p : 1 - p));
    const x = (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5]) / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1);
    return p < P_LOW ? x : -x;
  }
  const q = p - 0.5;
  const r = q * q;
  return ((((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q) / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1);
}

/** Wilson score interval of a proportion `correct / n` at `level`; undefined when n is 0. */
export function wilsonInterval(correct: number, n: number, level: number): Interval | undefined {
  if (n <= 0) return undefined;
  const z = normalQuantile(1 - (1 - level) / 2);
  const p = correct / n;
  const z2n = (z * z) / n;
  const centre = (p + z2n / 2) / (1 + z2n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2n / (4 * n))) / (1 + z2n);
  return { lower: Math.max(0, centre - half), upper: Math.min(1, centre + half), level };
}

/**
 * The interval of p₁ − p₂ at `level` from the pooled standard error √(p̂(1 − p̂)(1/n₁ + 1/n₂)) of
 * the two-proportion z-test; undefined while either side has no labelled answer.
 */
export function pooledDifferenceInterval(c1: number, n1: number, c2: number, n2: number, level: number): Interval | undefined {
  if (n1 <= 0 || n2 <= 0) return undefined;
  const pooled = (c1 + c2) / (n1 + n2);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  const z = normalQuantile(1 - (1 - level) / 2);
  const d = c1 / n1 - c2 / n2;
  return { lower: d - z * se, upper: d + z * se, level };
}
