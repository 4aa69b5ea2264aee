/**
 * From predictions to metrics: the task of an evaluation, the predictions of the built-in
 * response shapes (`{score, predicted_label}`) as typed arrays, and the headline numbers that
 * the job view and k-fold means summarize.
 */
import type { PredictionRecord } from '../algorithms/algorithm.js';
import type { EvaluationTask } from '../contracts/evaluation-job.js';
import { validationError } from '../core/errors.js';
import { binaryMetrics, type BinaryMetrics } from './metrics/binary.js';
import { multiclassMetrics, type MulticlassMetrics } from './metrics/multiclass.js';
import { regressionMetrics, type RegressionMetrics } from './metrics/regression.js';

export type TaskMetrics = BinaryMetrics | MulticlassMetrics | RegressionMetrics;

/** The task a built-in algorithm's hyperparameters say, if they say one. */
export function taskOfHyperparameters(algorithm: string | undefined, hp: Record<string, unknown>): EvaluationTask | undefined {
  if (algorithm === 'linear-learner') {
    return ({ binary_classifier: 'binary', multiclass_classifier: 'multiclass', regressor: 'regression' } as const)[String(hp.predictor_type) as 'regressor'];
  }
  if (algorithm === 'xgboost') {
    const objective = String(hp.objective ?? 'reg:squarederror');
    if (objective.startsWith('binary:') || objective === 'reg:logistic') return 'binary';
    if (objective.startsWith('multi:')) return 'multiclass';
    return 'regression';
  }
  return undefined;
}

/** From the labels alone: 0/1 → binary, a few integer classes → multiclass, else regression. */
export function taskOfLabels(labels: Float64Array): EvaluationTask {
  const distinct = new Set<number>();
  for (const l of labels) {
    if (!Number.isInteger(l) || l < 0) return 'regression';
    distinct.add(l);
    if (distinct.size > 20) return 'regression';
  }
  return [...distinct].every((l) => l === 0 || l === 1) ? 'binary' : 'multiclass';
}

/** What the metric functions take, per task. */
export interface PredictionArrays {
  /** Binary: P(y = 1) or a margin; regression: the prediction; multiclass: the predicted class. */
  values: Float64Array;
  /** Multiclass: rows × classCount probabilities when the model gives them. */
  probabilities?: Float64Array;
  classCount?: number;
}

function numberAt(r: PredictionRecord, key: string, row: number): number | undefined {
  const v = r[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'number') throw validationError(`prediction of row ${row + 1}: '${key}' is not a number`, { row: row + 1 });
  return v;
}

/** Turns predictions in the built-in response shapes into arrays for `task`. */
export function toArrays(task: EvaluationTask, records: PredictionRecord[]): PredictionArrays {
  const n = records.length;
  const values = new Float64Array(n);
  if (task !== 'multiclass') {
    for (let i = 0; i < n; i++) {
      const v = typeof records[i].score === 'number' ? (records[i].score as number) : numberAt(records[i], 'predicted_label', i);
      if (v === undefined) throw validationError(`prediction of row ${i + 1} has no numeric score`, { row: i + 1 });
      values[i] = v;
    }
    return { values };
  }
  const first = records[0]?.score;
  const k = Array.isArray(first) ? first.length : 0;
  const probabilities = k > 0 ? new Float64Array(n * k) : undefined;
  for (let i = 0; i < n; i++) {
    const score = records[i].score;
    if (probabilities) {
      if (!Array.isArray(score) || score.length !== k) throw validationError(`prediction of row ${i + 1}: expected ${k} class probabilities`, { row: i + 1 });
      let best = 0;
      for (let c = 0; c < k; c++) {
        probabilities[i * k + c] = score[c];
        if (score[c] > score[best]) best = c;
      }
      values[i] = numberAt(records[i], 'predicted_label', i) ?? best;
    } else {
      const v = numberAt(records[i], 'predicted_label', i) ?? (typeof score === 'number' ? score : undefined);
      if (v === undefined) throw validationError(`prediction of row ${i + 1} has no class`, { row: i + 1 });
      values[i] = v;
    }
  }
  return probabilities ? { values, probabilities, classCount: k } : { values };
}

export function metricsOf(task: EvaluationTask, labels: Float64Array, p: PredictionArrays, threshold: number): TaskMetrics {
  if (task === 'binary') return binaryMetrics(labels, p.values, { threshold });
  if (task === 'regression') return regressionMetrics(labels, p.values);
  return multiclassMetrics(labels, p.values, p.probabilities ? { probabilities: p.probabilities, classCount: p.classCount } : {});
}

/** The scalar metrics a summary and k-fold means are made of. */
export function headline(task: EvaluationTask, m: TaskMetrics): Record<string, number> {
  const out: Record<string, number> = {};
  const put = (k: string, v: number | undefined) => {
    if (v !== undefined && Number.isFinite(v)) out[k] = v;
  };
  if (task === 'binary') {
    const b = m as BinaryMetrics;
    for (const k of ['accuracy', 'precision', 'recall', 'f1', 'specificity', 'rocAuc', 'prAuc', 'logLoss'] as const) put(k, b[k]);
  } else if (task === 'multiclass') {
    const c = m as MulticlassMetrics;
    put('accuracy', c.accuracy);
    for (const avg of ['macro', 'micro', 'weighted'] as const) {
      put(`${avg}Precision`, c[avg].precision);
      put(`${avg}Recall`, c[avg].recall);
      put(`${avg}F1`, c[avg].f1);
    }
    put('logLoss', c.logLoss);
  } else {
    const r = m as RegressionMetrics;
    for (const k of ['rmse', 'mae', 'mape', 'r2'] as const) put(k, r[k]);
  }
  return out;
}

/** Mean, population std (ddof 0, as numpy's default) and per-fold values of each headline metric present in every fold. */
export function foldSummary(perFold: Array<Record<string, number>>): Record<string, { mean: number; std: number; values: number[] }> {
  const out: Record<string, { mean: number; std: number; values: number[] }> = {};
  for (const name of Object.keys(perFold[0] ?? {})) {
    if (!perFold.every((f) => name in f)) continue;
    const values = perFold.map((f) => f[name]);
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    const std = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length);
    out[name] = { mean, std, values };
  }
  return out;
}
