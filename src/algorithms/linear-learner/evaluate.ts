import { fBeta, rocAucImpl, splitSortedImpl } from '../kernels/classification-metrics.js';
import { LossCode, regressionLoss } from '../kernels/linear-batch.js';
import { affineImpl, sigmoidImpl, softmaxRowsImpl } from '../kernels/linear-predict.js';
import type { PredictorType } from './hyperparameters.js';

import type { Dataset } from '../channel-data.js';

export type { Dataset } from '../channel-data.js';

/** Linear model parameters: K × d weights, then K biases, in one array. */
export interface LinearParams {
  K: number;
  d: number;
  params: Float64Array;
}

/** What the evaluation needs to know about the problem. */
export interface LinearTask {
  predictorType: PredictorType;
  loss: LossCode;
  lossParam: number;
  /** Regressor: the model predicts (y − yShift) / yScale. */
  yShift: number;
  yScale: number;
  topK: number;
  fBeta: number;
}

/** Metrics by SageMaker name without the channel prefix, e.g. `objective_loss`. */
export type Metrics = Record<string, number>;

/** Model outputs before the link function: rows × K logits (or normalized predictions). */
export function linearOutputs(model: LinearParams, data: Dataset): Float64Array {
  const { K, d, params } = model;
  const out = new Float64Array(data.rows * K);
  affineImpl(data.x, data.rows, d, params.subarray(0, K * d), params.subarray(K * d), K, undefined, out);
  return out;
}

/**
 * Metrics of a model on a data set. `threshold` applies to binary scores (P(y=1));
 * `full` adds the metrics that need sorting or more counting (AUC, F-beta, precision, recall).
 */
export function evaluate(model: LinearParams, data: Dataset, task: LinearTask, threshold = 0.5, full = false): Metrics {
  const z = linearOutputs(model, data);
  switch (task.predictorType) {
    case 'binary_classifier':
      return binaryMetrics(z, data, task, threshold, full);
    case 'multiclass_classifier':
      return multiclassMetrics(z, data, model.K, task.topK);
    default:
      return regressionMetrics(z, data, task);
  }
}

/** Binary scores P(y = 1) of a data set. */
export function binaryScores(model: LinearParams, data: Dataset): Float64Array {
  const z = linearOutputs(model, data);
  sigmoidImpl(z, data.rows);
  return z;
}

function binaryMetrics(z: Float64Array, data: Dataset, task: LinearTask, threshold: number, full: boolean): Metrics {
  const { y, rows } = data;
  let loss = 0;
  let tp = 0;
  let fp = 0;
  let positives = 0;
  for (let i = 0; i < rows; i++) {
    const positive = y[i] > 0.5;
    const zi = z[i];
    if (task.loss === LossCode.hinge) loss += Math.max(0, task.lossParam - (positive ? zi : -zi));
    else loss += Math.max(zi, 0) - (positive ? zi : 0) + Math.log1p(Math.exp(-Math.abs(zi)));
    const p = zi >= 0 ? 1 / (1 + Math.exp(-zi)) : Math.exp(zi) / (1 + Math.exp(zi));
    z[i] = p;
    if (positive) positives++;
    if (p >= threshold) {
      if (positive) tp++;
      else fp++;
    }
  }
  const tn = rows - positives - fp;
  const m: Metrics = { objective_loss: loss / rows, binary_classification_accuracy: (tp + tn) / rows };
  if (!full) return m;
  m.binary_f_beta = fBeta(tp, fp, positives - tp, task.fBeta);
  m.precision = tp + fp > 0 ? tp / (tp + fp) : 0;
  m.recall = positives > 0 ? tp / positives : 0;
  m.roc_auc_score = rocAucImpl(splitSortedImpl(z, y, rows));
  return m;
}

function multiclassMetrics(z: Float64Array, data: Dataset, K: number, topK: number): Metrics {
  const { y, rows } = data;
  softmaxRowsImpl(z, rows, K);
  let loss = 0;
  let correct = 0;
  let inTopK = 0;
  for (let r = 0; r < rows; r++) {
    const off = r * K;
    const label = y[r] | 0;
    const pl = z[off + label];
    let higher = 0;
    for (let k = 0; k < K; k++) if (z[off + k] > pl) higher++;
    if (higher === 0) correct++;
    if (higher < topK) inTopK++;
    loss -= Math.log(Math.max(pl, 1e-300));
  }
  return { objective_loss: loss / rows, multiclass_accuracy: correct / rows, multiclass_top_k_accuracy: inTopK / rows };
}

function regressionMetrics(z: Float64Array, data: Dataset, task: LinearTask): Metrics {
  const { y, rows } = data;
  let loss = 0;
  let sq = 0;
  let abs = 0;
  for (let i = 0; i < rows; i++) {
    const r = z[i] - (y[i] - task.yShift) / task.yScale;
    loss += regressionLoss(task.loss, r, Math.abs(r), task.lossParam);
    const raw = r * task.yScale;
    sq += raw * raw;
    abs += Math.abs(raw);
  }
  const mse = sq / rows;
  return { objective_loss: loss / rows, mse, rmse: Math.sqrt(mse), absolute_loss: abs / rows };
}
