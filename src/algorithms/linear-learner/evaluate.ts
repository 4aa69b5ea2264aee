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
  const { sums, outputs } = metricSums(model, data, task, threshold);
  const m = metricsFromSums(sums, task, full);
  if (full && task.predictorType === 'binary_classifier') m.roc_auc_score = rocAucImpl(splitSortedImpl(outputs, data.y, data.rows));
  return m;
}

/** Length of {@link metricSums}' `sums`. */
export const METRIC_SUMS = 5;

/**
 * The sums behind a data set's metrics, which add up across the shards of a data set:
 * [rows, Σ loss, then binary: true positives, false positives, positives; multiclass: correct,
 * correct within top k, 0; regressor: Σ squared error, Σ absolute error, 0] (errors in label
 * units). `outputs` holds the model outputs, for a binary classifier turned into P(y = 1).
 */
export function metricSums(model: LinearParams, data: Dataset, task: LinearTask, threshold = 0.5): { sums: Float64Array; outputs: Float64Array } {
  const outputs = linearOutputs(model, data);
  const sums = new Float64Array(METRIC_SUMS);
  sums[0] = data.rows;
  if (task.predictorType === 'binary_classifier') binarySums(outputs, data, task, threshold, sums);
  else if (task.predictorType === 'multiclass_classifier') multiclassSums(outputs, data, model.K, task.topK, sums);
  else regressionSums(outputs, data, task, sums);
  return { sums, outputs };
}

/** Metrics from (possibly summed over hosts) {@link metricSums}; binary `full` metrics except the AUC. */
export function metricsFromSums(sums: Float64Array, task: LinearTask, full = false): Metrics {
  const [rows, loss, a, b, c] = sums;
  if (task.predictorType === 'multiclass_classifier') {
    return { objective_loss: loss / rows, multiclass_accuracy: a / rows, multiclass_top_k_accuracy: b / rows };
  }
  if (task.predictorType === 'regressor') {
    const mse = a / rows;
    return { objective_loss: loss / rows, mse, rmse: Math.sqrt(mse), absolute_loss: b / rows };
  }
  const [tp, fp, positives] = [a, b, c];
  const tn = rows - positives - fp;
  const m: Metrics = { objective_loss: loss / rows, binary_classification_accuracy: (tp + tn) / rows };
  if (!full) return m;
  m.binary_f_beta = fBeta(tp, fp, positives - tp, task.fBeta);
  m.precision = tp + fp > 0 ? tp / (tp + fp) : 0;
  m.recall = positives > 0 ? tp / positives : 0;
  return m;
}

/** Binary scores P(y = 1) of a data set. */
export function binaryScores(model: LinearParams, data: Dataset): Float64Array {
  const z = linearOutputs(model, data);
  sigmoidImpl(z, data.rows);
  return z;
}

function binarySums(z: Float64Array, data: Dataset, task: LinearTask, threshold: number, out: Float64Array): void {
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
  out[1] = loss;
  out[2] = tp;
  out[3] = fp;
  out[4] = positives;
}

function multiclassSums(z: Float64Array, data: Dataset, K: number, topK: number, out: Float64Array): void {
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
  out[1] = loss;
  out[2] = correct;
  out[3] = inTopK;
}

function regressionSums(z: Float64Array, data: Dataset, task: LinearTask, out: Float64Array): void {
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
  out[1] = loss;
  out[2] = sq;
  out[3] = abs;
}
