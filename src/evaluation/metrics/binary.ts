/**
 * Binary classification metrics over typed arrays, computed as scikit-learn computes them (1.2,
 * Debian's python3-sklearn) so that reports agree with it to 1e-9 on the same predictions:
 * `roc_curve` (with `drop_intermediate`), `precision_recall_curve`, `roc_auc_score`,
 * `average_precision_score`, `log_loss`, and the threshold metrics with `zero_division` → 0.
 * Labels are 0/1 (a label > 0.5 is positive); a row is predicted positive when its score ≥ the
 * threshold (the rule linear-learner's `predicted_label` uses).
 */
import { validationError } from '../../core/errors.js';

/** np.finfo(float64).eps (sklearn log_loss eps="auto", MAPE floor). */
export const FLOAT64_EPS = 2.220446049250313e-16;
/** Log loss clips probabilities to [eps, 1 − eps] with this eps. */
export const LOG_LOSS_EPS = FLOAT64_EPS;

/** Counts at one threshold. */
export interface ConfusionCounts {
  tn: number;
  fp: number;
  fn: number;
  tp: number;
}

/** Threshold metrics derived from {@link ConfusionCounts}. */
export interface ThresholdMetrics {
  threshold: number;
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  specificity: number;
}

/** Points of the ROC curve (sklearn's `roc_curve`, `drop_intermediate=True`). */
export interface RocCurve {
  fpr: number[];
  tpr: number[];
  /**
   * Decreasing; the first is the highest score + 1 (sklearn 1.2; sklearn ≥ 1.3 writes +inf there,
   * which JSON cannot carry), so the curve starts at (0, 0).
   */
  thresholds: number[];
}

/** Points of the precision-recall curve (sklearn's `precision_recall_curve`): recall decreasing, ending at (recall 0, precision 1) with no threshold. */
export interface PrCurve {
  precision: number[];
  recall: number[];
  /** Increasing; one fewer than the points. */
  thresholds: number[];
}

export interface BinaryMetrics extends ThresholdMetrics {
  count: number;
  positives: number;
  negatives: number;
  confusionMatrix: ConfusionCounts;
  /** NaN (null in JSON) when the labels hold one class only. */
  rocAuc: number;
  /** Average precision (sklearn's `average_precision_score`). */
  prAuc: number;
  /** Absent when the scores are not probabilities (outside [0, 1]). */
  logLoss?: number;
  rocCurve: RocCurve;
  prCurve: PrCurve;
  thresholdSweep: ThresholdMetrics[];
}

export interface BinaryOptions {
  /** @defaultValue 0.5 */
  threshold?: number;
  /** Thresholds of the sweep. @defaultValue 0.05, 0.10, …, 0.95 */
  sweep?: readonly number[];
}

/** 0.05 … 0.95 in steps of 0.05, each rounded to 2 decimals. */
export const DEFAULT_SWEEP: readonly number[] = Array.from({ length: 19 }, (_, i) => Math.round((i + 1) * 5) / 100);

function checkInputs(labels: Float64Array, scores: Float64Array, op: string) {
  if (labels.length !== scores.length) throw validationError(`${op}: ${labels.length} labels but ${scores.length} scores`);
  if (labels.length === 0) throw validationError(`${op}: no rows to evaluate`);
  for (let i = 0; i < scores.length; i++) {
    if (!Number.isFinite(scores[i])) throw validationError(`${op}: row ${i + 1} has a score that is not a finite number (${scores[i]})`, { row: i + 1 });
  }
}

/** Confusion counts with `score ≥ threshold` predicted positive. */
export function confusionAtImpl(labels: Float64Array, scores: Float64Array, threshold: number): ConfusionCounts {
  const c = { tn: 0, fp: 0, fn: 0, tp: 0 };
  for (let i = 0; i < labels.length; i++) {
    const actual = labels[i] > 0.5;
    const predicted = scores[i] >= threshold;
    if (actual) predicted ? c.tp++ : c.fn++;
    else predicted ? c.fp++ : c.tn++;
  }
  return c;
}

const ratio = (a: number, b: number) => (b > 0 ? a / b : 0);

/** Accuracy, precision, recall, F1 and specificity from counts; a 0/0 is 0 (sklearn's zero_division). */
export function thresholdMetricsOf(c: ConfusionCounts, threshold: number): ThresholdMetrics {
  const precision = ratio(c.tp, c.tp + c.fp);
  const recall = ratio(c.tp, c.tp + c.fn);
  return {
    threshold,
    accuracy: (c.tp + c.tn) / (c.tp + c.tn + c.fp + c.fn),
    precision,
    recall,
    f1: precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0,
    specificity: ratio(c.tn, c.tn + c.fp),
  };
}

/**
 * sklearn's `_binary_clf_curve`: for each distinct score, highest first, the true and false
 * positives among the rows scoring at least that much.
 */
export function binaryClfCurveImpl(labels: Float64Array, scores: Float64Array): { fps: Float64Array; tps: Float64Array; thresholds: Float64Array } {
  const n = scores.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => scores[b] - scores[a]);
  let distinct = 0;
  for (let i = 0; i < n; i++) if (i === n - 1 || scores[order[i]] !== scores[order[i + 1]]) distinct++;
  const fps = new Float64Array(distinct);
  const tps = new Float64Array(distinct);
  const thresholds = new Float64Array(distinct);
  let tp = 0;
  for (let i = 0, k = 0; i < n; i++) {
    if (labels[order[i]] > 0.5) tp++;
    if (i === n - 1 || scores[order[i]] !== scores[order[i + 1]]) {
      tps[k] = tp;
      fps[k] = i + 1 - tp;
      thresholds[k] = scores[order[i]];
      k++;
    }
  }
  return { fps, tps, thresholds };
}

/** sklearn's `roc_curve(drop_intermediate=True)`: collinear intermediate points are dropped. */
export function rocCurveImpl(labels: Float64Array, scores: Float64Array): RocCurve {
  const { fps, tps, thresholds } = binaryClfCurveImpl(labels, scores);
  const m = fps.length;
  const keep: number[] = [];
  for (let i = 0; i < m; i++) {
    if (m <= 2 || i === 0 || i === m - 1) keep.push(i);
    else if (fps[i + 1] - 2 * fps[i] + fps[i - 1] !== 0 || tps[i + 1] - 2 * tps[i] + tps[i - 1] !== 0) keep.push(i);
  }
  const P = tps[m - 1];
  const N = fps[m - 1];
  const fpr = [0];
  const tpr = [0];
  const thr = [thresholds[keep[0]] + 1];
  for (const i of keep) {
    fpr.push(N > 0 ? fps[i] / N : NaN);
    tpr.push(P > 0 ? tps[i] / P : NaN);
    thr.push(thresholds[i]);
  }
  if (N <= 0) fpr[0] = NaN;
  if (P <= 0) tpr[0] = NaN;
  return { fpr, tpr, thresholds: thr };
}

/** sklearn's `precision_recall_curve` (every distinct score; no points dropped). */
export function prCurveImpl(labels: Float64Array, scores: Float64Array): PrCurve {
  const { fps, tps, thresholds } = binaryClfCurveImpl(labels, scores);
  const m = fps.length;
  const P = tps[m - 1];
  const precision: number[] = [];
  const recall: number[] = [];
  const thr: number[] = [];
  for (let i = m - 1; i >= 0; i--) {
    const predicted = tps[i] + fps[i];
    precision.push(predicted !== 0 ? tps[i] / predicted : 0);
    recall.push(P === 0 ? 1 : tps[i] / P);
    thr.push(thresholds[i]);
  }
  precision.push(1);
  recall.push(0);
  return { precision, recall, thresholds: thr };
}

/** Trapezoidal area under a curve given by points (numpy's `trapz`, as sklearn's `auc`). */
export function trapezoidImpl(x: readonly number[], y: readonly number[]): number {
  let area = 0;
  for (let i = 1; i < x.length; i++) area += ((x[i] - x[i - 1]) * (y[i] + y[i - 1])) / 2;
  return area;
}

/** sklearn's `average_precision_score`: Σ (Rₙ − Rₙ₋₁) Pₙ over the PR curve. */
export function averagePrecisionImpl(curve: PrCurve): number {
  let sum = 0;
  for (let i = 0; i < curve.recall.length - 1; i++) sum += (curve.recall[i + 1] - curve.recall[i]) * curve.precision[i];
  return -sum;
}

/** sklearn's `log_loss` for P(y = 1) scores: clipped to [eps, 1 − eps], rows renormalized. */
export function binaryLogLossImpl(labels: Float64Array, probabilities: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < labels.length; i++) {
    // As sklearn: clip P(y = 1), take 1 − that as P(y = 0), renormalize.
    const p = Math.min(Math.max(probabilities[i], LOG_LOSS_EPS), 1 - LOG_LOSS_EPS);
    const q = 1 - p;
    const total = p + q;
    sum -= labels[i] > 0.5 ? Math.log(p / total) : Math.log(q / total);
  }
  return sum / labels.length;
}

/**
 * Every binary metric of a report: threshold metrics and confusion matrix at `threshold`, ROC AUC
 * (trapezoid under the ROC curve, as `roc_auc_score`), average precision, log loss (when every
 * score is a probability), both curves and a threshold sweep.
 * @throws ValidationError for mismatched lengths, no rows, or a score that is not finite.
 */
export function binaryMetrics(labels: Float64Array, scores: Float64Array, opts: BinaryOptions = {}): BinaryMetrics {
  checkInputs(labels, scores, 'binaryMetrics');
  const threshold = opts.threshold ?? 0.5;
  const confusionMatrix = confusionAtImpl(labels, scores, threshold);
  const positives = confusionMatrix.tp + confusionMatrix.fn;
  const negatives = confusionMatrix.tn + confusionMatrix.fp;
  const rocCurve = rocCurveImpl(labels, scores);
  const prCurve = prCurveImpl(labels, scores);
  let probabilities = true;
  for (let i = 0; i < scores.length && probabilities; i++) probabilities = scores[i] >= 0 && scores[i] <= 1;
  return {
    count: labels.length,
    positives,
    negatives,
    ...thresholdMetricsOf(confusionMatrix, threshold),
    confusionMatrix,
    rocAuc: positives > 0 && negatives > 0 ? trapezoidImpl(rocCurve.fpr, rocCurve.tpr) : NaN,
    prAuc: positives > 0 ? averagePrecisionImpl(prCurve) : NaN,
    ...(probabilities ? { logLoss: binaryLogLossImpl(labels, scores) } : {}),
    rocCurve,
    prCurve,
    thresholdSweep: (opts.sweep ?? DEFAULT_SWEEP).map((t) => thresholdMetricsOf(confusionAtImpl(labels, scores, t), t)),
  };
}
