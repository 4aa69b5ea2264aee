/**
 * Regression metrics over typed arrays, as scikit-learn computes them: `mean_squared_error`
 * (RMSE is its square root), `mean_absolute_error`, `mean_absolute_percentage_error` (|y| below
 * float64 eps counts as eps), `r2_score` (force_finite: 1 for a perfect fit of constant labels,
 * else 0 when the labels are constant) and numpy's linear-interpolation quantiles of the
 * residuals y − ŷ.
 */
import { validationError } from '../../core/errors.js';
import { FLOAT64_EPS } from './binary.js';

export const RESIDUAL_QUANTILES: readonly number[] = [0, 0.05, 0.25, 0.5, 0.75, 0.95, 1];

export interface RegressionMetrics {
  count: number;
  rmse: number;
  mse: number;
  mae: number;
  mape: number;
  r2: number;
  /** `numpy.quantile(y − ŷ, q)` for each q of {@link RESIDUAL_QUANTILES}. */
  residualQuantiles: Array<{ q: number; value: number }>;
}

/** numpy's default (linear, "type 7") quantile of sorted values. */
export function quantileSortedImpl(sorted: Float64Array, q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  const frac = pos - lo;
  return sorted[lo] + (sorted[hi] - sorted[lo]) * frac;
}

/** @throws ValidationError for mismatched lengths, no rows, or values that are not finite. */
export function regressionMetrics(labels: Float64Array, predictions: Float64Array): RegressionMetrics {
  const n = labels.length;
  if (predictions.length !== n) throw validationError(`regressionMetrics: ${n} labels but ${predictions.length} predictions`);
  if (n === 0) throw validationError('regressionMetrics: no rows to evaluate');
  let sq = 0;
  let abs = 0;
  let pct = 0;
  let mean = 0;
  const residuals = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(predictions[i])) throw validationError(`regressionMetrics: row ${i + 1} has a prediction that is not a finite number`, { row: i + 1 });
    const r = labels[i] - predictions[i];
    residuals[i] = r;
    sq += r * r;
    abs += Math.abs(r);
    pct += Math.abs(r) / Math.max(Math.abs(labels[i]), FLOAT64_EPS);
    mean += labels[i];
  }
  mean /= n;
  let total = 0;
  for (let i = 0; i < n; i++) total += (labels[i] - mean) ** 2;
  const r2 = total !== 0 ? 1 - sq / total : sq === 0 ? 1 : 0;
  residuals.sort();
  return {
    count: n,
    rmse: Math.sqrt(sq / n),
    mse: sq / n,
    mae: abs / n,
    mape: pct / n,
    r2,
    residualQuantiles: RESIDUAL_QUANTILES.map((q) => ({ q, value: quantileSortedImpl(residuals, q) })),
  };
}
