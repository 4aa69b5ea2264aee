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
  return normalizationFromMoments(mean, std, cfg);
}

/** The feature transform of features with these per-column means and standard deviations. */
export function normalizationFromMoments(mean: Float64Array, std: Float64Array, cfg: LinearLearnerConfig): Normalization {
  const center = cfg.centerData ? mean.slice() : new Float64Array(mean.length);
  // A constant column keeps scale 1: after centering it is all zeros and carries no signal.
  const invScale = Float64Array.from(std, (s) => (cfg.scaleData && s > 0 ? 1 / s : 1));
  return { impute: mean, center, invScale };
}

/** Applies the feature transform in place. */
export function applyNormalization(x: Float64Array, rows: number, d: number, n: Normalization): void {
  standardizeImpl(x, rows, d, n.impute, n.center, n.invScale);
}

/** Label transform of a regressor: the model predicts (y − shift) / scale. */
export function fitLabelScaling(y: Float64Array, rows: number, cfg: LinearLearnerConfig): LabelScaling {
  if (!labelScaled(cfg)) return { shift: 0, scale: 1 };
  const mean = new Float64Array(1);
  const std = new Float64Array(1);
  columnMomentsImpl(y, rows, 1, mean, std);
  return labelScalingFromMoments(mean[0], std[0], cfg);
}

/** Label transform of a regressor: the model predicts (y − shift) / scale. */
export interface LabelScaling {
  shift: number;
  scale: number;
}

/** Whether the label is shifted or scaled at all. */
export const labelScaled = (cfg: LinearLearnerConfig): boolean => cfg.scaleLabel || cfg.centerLabel;

/** The label transform of labels with this mean and standard deviation. */
export function labelScalingFromMoments(mean: number, std: number, cfg: LinearLearnerConfig): LabelScaling {
  return { shift: cfg.centerLabel ? mean : 0, scale: cfg.scaleLabel && std > 0 ? std : 1 };
}

/**
 * Folds the feature and label transforms into the weights, so that a predictor computes
 * W·x + b on raw features: W' = yScale · W ⊙ invScale, b' = yScale · (b − W' · center / yScale) + yShift.
 */
export function foldIntoRawSpace(
  model: LinearParams,
  n: Normalization,
  label: LabelScaling,
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
