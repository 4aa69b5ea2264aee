import { LossCode } from '../kernels/linear-batch.js';
import type { ThresholdCriterion } from '../kernels/classification-metrics.js';
import { validateLinearLearnerHyperparameters, type PredictorType } from './hyperparameters.js';

/** Optimizers after resolving 'auto' (which is adam). */
export type OptimizerName = 'sgd' | 'adam' | 'rmsprop';

/** Hyperparameters resolved into typed values ('auto' settled where it does not depend on data). */
export interface LinearLearnerConfig {
  predictorType: PredictorType;
  /** Classes of a classifier (2 for binary); 0 for a regressor. */
  numClasses: number;
  /** Model outputs: num_classes for multiclass, else 1. */
  outputs: number;
  epochs: number;
  miniBatchSize: number;
  /** Undefined: chosen from the number of updates (see `autoLearningRate`). */
  learningRate?: number;
  optimizer: OptimizerName;
  beta1: number;
  beta2: number;
  momentum: number;
  biasLrMult: number;
  biasWdMult: number;
  l1: number;
  wd: number;
  useBias: boolean;
  scaleData: boolean;
  centerData: boolean;
  scaleLabel: boolean;
  centerLabel: boolean;
  scheduler: { enabled: boolean; step: number; factor: number; minLr?: number };
  patience: number;
  tolerance: number;
  loss: LossCode;
  /** Margin (hinge), insensitivity (eps losses), quantile or Huber delta. */
  lossParam: number;
  positiveWeight: number | 'balanced';
  balanceMulticlass: boolean;
  criterion: ThresholdCriterion;
  calibrationSamples: number;
  fBeta: number;
  targetPrecision: number;
  targetRecall: number;
  topK: number;
  init: { method: 'uniform' | 'normal'; scale: number; sigma: number; bias: number };
  featureDim?: number;
  seed: number;
}

const LOSS_CODES: Record<string, LossCode> = {
  logistic: LossCode.logistic,
  hinge_loss: LossCode.hinge,
  softmax_loss: LossCode.softmax,
  squared_loss: LossCode.squared,
  absolute_loss: LossCode.absolute,
  eps_insensitive_squared_loss: LossCode.epsSquared,
  eps_insensitive_absolute_loss: LossCode.epsAbsolute,
  quantile_loss: LossCode.quantile,
  huber_loss: LossCode.huber,
};

const AUTO_LOSS: Record<PredictorType, LossCode> = {
  binary_classifier: LossCode.logistic,
  multiclass_classifier: LossCode.softmax,
  regressor: LossCode.squared,
};

const num = (v: string, auto: number): number => (v === 'auto' ? auto : Number(v));
const flag = (v: string, auto: boolean): boolean => (v === 'auto' ? auto : v === 'true');

/**
 * Validates `raw` (see `validateLinearLearnerHyperparameters`) and resolves it into a config.
 * @throws ValidationError as the validation does.
 */
export function resolveConfig(raw: Record<string, string>): LinearLearnerConfig {
  const hp = validateLinearLearnerHyperparameters(raw);
  const predictorType = hp.predictor_type as PredictorType;
  const numClasses = predictorType === 'multiclass_classifier' ? Number(hp.num_classes) : predictorType === 'binary_classifier' ? 2 : 0;
  const useBias = hp.use_bias === 'true';
  const regressor = predictorType === 'regressor';
  const loss = hp.loss === 'auto' ? AUTO_LOSS[predictorType] : LOSS_CODES[hp.loss];
  return {
    predictorType,
    numClasses,
    outputs: predictorType === 'multiclass_classifier' ? numClasses : 1,
    epochs: Number(hp.epochs),
    miniBatchSize: Number(hp.mini_batch_size),
    learningRate: hp.learning_rate === 'auto' ? undefined : Number(hp.learning_rate),
    optimizer: hp.optimizer === 'auto' ? 'adam' : (hp.optimizer as OptimizerName),
    beta1: num(hp.beta_1, 0.9),
    beta2: num(hp.beta_2, 0.999),
    momentum: num(hp.momentum, 0.9),
    biasLrMult: num(hp.bias_lr_mult, 1),
    biasWdMult: num(hp.bias_wd_mult, 0),
    l1: num(hp.l1, 0),
    wd: num(hp.wd, 0),
    useBias,
    scaleData: flag(hp.normalize_data, true),
    centerData: flag(hp.unbias_data, useBias),
    scaleLabel: regressor && flag(hp.normalize_label, true),
    centerLabel: regressor && flag(hp.unbias_label, useBias),
    scheduler: {
      enabled: hp.use_lr_scheduler === 'true',
      step: num(hp.lr_scheduler_step, 100),
      factor: num(hp.lr_scheduler_factor, 0.99),
      minLr: hp.lr_scheduler_minimum_lr === 'auto' ? undefined : Number(hp.lr_scheduler_minimum_lr),
    },
    patience: Number(hp.early_stopping_patience),
    tolerance: Number(hp.early_stopping_tolerance),
    loss,
    lossParam: lossParam(loss, hp),
    positiveWeight: hp.positive_example_weight_mult === 'auto' || hp.positive_example_weight_mult === 'balanced' ? 'balanced' : Number(hp.positive_example_weight_mult),
    balanceMulticlass: hp.balance_multiclass_weights === 'true',
    criterion: hp.binary_classifier_model_selection_criteria as ThresholdCriterion,
    calibrationSamples: num(hp.num_calibration_samples, 200_000),
    fBeta: Number(hp.f_beta),
    targetPrecision: Number(hp.target_precision),
    targetRecall: Number(hp.target_recall),
    topK: Number(hp.accuracy_top_k),
    init: {
      method: hp.init_method as 'uniform' | 'normal',
      scale: Number(hp.init_scale),
      sigma: Number(hp.init_sigma),
      bias: Number(hp.init_bias),
    },
    featureDim: hp.feature_dim === 'auto' ? undefined : Number(hp.feature_dim),
    seed: Number(hp.seed),
  };
}

function lossParam(loss: LossCode, hp: Record<string, string>): number {
  switch (loss) {
    case LossCode.hinge:
      return Number(hp.margin);
    case LossCode.epsSquared:
    case LossCode.epsAbsolute:
      return Number(hp.loss_insensitivity);
    case LossCode.quantile:
      return Number(hp.quantile);
    case LossCode.huber:
      return Number(hp.huber_delta);
    default:
      return 0;
  }
}

/**
 * The 'auto' learning rate: 5 / updates, kept within [0.001, 0.5] (0.1 for sgd). Adam and
 * RMSProp move each weight by about the learning rate per update, so a short run (small data, one
 * full batch per epoch) needs large steps to get anywhere, while a long run ends closer to the
 * optimum with small ones (on 800k rows × 15 epochs, 0.001 reaches scikit-learn's AUC; 0.01 does not).
 */
export function autoLearningRate(optimizer: OptimizerName, updates: number): number {
  return Math.min(optimizer === 'sgd' ? 0.1 : 0.5, Math.max(0.001, 5 / Math.max(1, updates)));
}
