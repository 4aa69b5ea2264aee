import type { LinearLearnerConfig } from './config.js';

/** The label check of a predictor type: a message for a bad label, else undefined. */
export function labelValidator(cfg: LinearLearnerConfig): ((label: number) => string | undefined) | undefined {
  if (cfg.predictorType === 'binary_classifier') {
    return (v) => (v === 0 || v === 1 ? undefined : `label ${v} is not 0 or 1 (predictor_type 'binary_classifier')`);
  }
  if (cfg.predictorType === 'multiclass_classifier') {
    const K = cfg.numClasses;
    return (v) => (Number.isInteger(v) && v >= 0 && v < K ? undefined : `label ${v} is not a class: expected an integer from 0 to ${K - 1} (num_classes is ${K})`);
  }
  return undefined;
}

