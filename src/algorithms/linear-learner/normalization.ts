import { columnMomentsImpl, standardizeImpl } from '../kernels/standardize.js';
import type { LinearLearnerConfig } from './config.js';
import type { LinearParams } from './evaluate.js';

/** Per-feature transform x ↦ ((x is NaN ? impute : x) − center) · invScale, fitted on training data. */
export interface Normalization {
  impute: Float64Array;
  center: Float64Array;
  invScale: Float64Array;
}

/** Fits the feature transform: NaN → mean; shift by the mean and scale by 1/std as configured. */
export function fitNormalization(x: Float64Array, rows: number, d: number, cfg: LinearLearnerConfig): Normalization {
  const mean = new Float64Array(d);
  const std = new Float64Array(d);
  columnMomentsImpl(x, rows, d, mean, std);
  const center = cfg.centerData ? mean.slice() : new Float64Array(d);
  // A constant column keeps scale 1: after centering it is all zeros and carries no signal.
  const invScale = Float64Array.from(std, (s) => (cfg.scaleData && s > 0 ? 1 / s : 1));
  return { impute: mean, center, invScale };
}

/** Applies the feature transform in place. */
export function applyNormalization(x: Float64Array, rows: number, d: number, n: Normalization): void {
  standardizeImpl(x, rows, d, n.impute, n.center, n.invScale);
}

/** Label transform of a regressor: the model predicts (y − shift) / scale. */
export function fitLabelScaling(y: Float64Array, rows: number, cfg: LinearLearnerConfig): { shift: number; scale: number } {
  if (!cfg.scaleLabel && !cfg.centerLabel) return { shift: 0, scale: 1 };
  const mean = new Float64Array(1);
  const std = new Float64Array(1);
  columnMomentsImpl(y, rows, 1, mean, std);
  return { shift: cfg.centerLabel ? mean[0] : 0, scale: cfg.scaleLabel && std[0] > 0 ? std[0] : 1 };
}

/**
 * Folds the feature and label transforms into the weights, so that a predictor computes
 * W·x + b on raw features: W' = yScale · W ⊙ invScale, b' = yScale · (b − W' · center / yScale) + yShift.
 */
export function foldIntoRawSpace(
  model: LinearParams,
  n: Normalization,
  label: { shift: number; scale: number },
): { weights: Float64Array; bias: Float64Array } {
  const { K, d, params } = model;
  const weights = new Float64Array(K * d);
  const bias = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    let offset = params[K * d + k];
    for (let j = 0; j < d; j++) {
      const w = params[k * d + j] * n.invScale[j];
      offset -= w * n.center[j];
      weights[k * d + j] = label.scale * w;
    }
    bias[k] = label.scale * offset + label.shift;
  }
  return { weights, bias };
}
