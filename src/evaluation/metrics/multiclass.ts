/**
 * Multiclass metrics over typed arrays, as scikit-learn computes them: `accuracy_score`,
 * `precision_recall_fscore_support` with average macro / micro / weighted (zero_division → 0),
 * `confusion_matrix` and `log_loss(labels=0..K−1)`. Classes are integer labels; the classes
 * reported are those present in the labels or the predictions, ascending (sklearn's
 * `unique_labels`), which is what macro averages run over.
 */
import { validationError } from '../../core/errors.js';
import { LOG_LOSS_EPS } from './binary.js';

export interface ClassRow {
  label: number;
  precision: number;
  recall: number;
  f1: number;
  /** Rows whose true label is this class. */
  support: number;
}

export interface Averaged {
  precision: number;
  recall: number;
  f1: number;
}

export interface MulticlassMetrics {
  count: number;
  accuracy: number;
  macro: Averaged;
  micro: Averaged;
  weighted: Averaged;
  perClass: ClassRow[];
  /** The classes of `confusionMatrix`'s rows (true) and columns (predicted). */
  labels: number[];
  confusionMatrix: number[][];
  /** Present when class probabilities were given. */
  logLoss?: number;
}

const ratio = (a: number, b: number) => (b > 0 ? a / b : 0);
const f1Of = (p: number, r: number) => (p + r > 0 ? (2 * p * r) / (p + r) : 0);

/** Sorted distinct classes of labels ∪ predictions. */
export function presentClassesImpl(labels: Float64Array, predicted: Float64Array): number[] {
  const set = new Set<number>();
  for (let i = 0; i < labels.length; i++) set.add(labels[i]);
  for (let i = 0; i < predicted.length; i++) set.add(predicted[i]);
  return [...set].sort((a, b) => a - b);
}

/** Confusion matrix: rows are true classes, columns predicted, both in `classes` order. */
export function confusionMatrixImpl(labels: Float64Array, predicted: Float64Array, classes: readonly number[]): number[][] {
  const index = new Map(classes.map((c, i) => [c, i]));
  const m = classes.map(() => classes.map(() => 0));
  for (let i = 0; i < labels.length; i++) {
    const r = index.get(labels[i]);
    const c = index.get(predicted[i]);
    if (r !== undefined && c !== undefined) m[r][c]++;
  }
  return m;
}

/**
 * sklearn's `log_loss(y, P, labels=0..K−1)`: probabilities (rows × K, row-major) clipped to
 * [eps, 1 − eps] and each row renormalized.
 */
export function multiclassLogLossImpl(labels: Float64Array, probabilities: Float64Array, k: number): number {
  let sum = 0;
  const n = labels.length;
  for (let r = 0; r < n; r++) {
    let total = 0;
    for (let c = 0; c < k; c++) total += Math.min(Math.max(probabilities[r * k + c], LOG_LOSS_EPS), 1 - LOG_LOSS_EPS);
    const p = Math.min(Math.max(probabilities[r * k + labels[r]], LOG_LOSS_EPS), 1 - LOG_LOSS_EPS);
    sum -= Math.log(p / total);
  }
  return sum / n;
}

/**
 * Every multiclass metric of a report.
 * @param probabilities optional rows × `classCount` class probabilities (row-major), for log loss.
 * @throws ValidationError for mismatched lengths, no rows, or a label that is not a class index.
 */
export function multiclassMetrics(labels: Float64Array, predicted: Float64Array, opts: { probabilities?: Float64Array; classCount?: number } = {}): MulticlassMetrics {
  const n = labels.length;
  if (predicted.length !== n) throw validationError(`multiclassMetrics: ${n} labels but ${predicted.length} predictions`);
  if (n === 0) throw validationError('multiclassMetrics: no rows to evaluate');
  for (let i = 0; i < n; i++) {
    if (!Number.isInteger(labels[i]) || labels[i] < 0) throw validationError(`multiclassMetrics: row ${i + 1} has label ${labels[i]}, not a class index 0, 1, …`, { row: i + 1 });
  }
  const classes = presentClassesImpl(labels, predicted);
  const confusionMatrix = confusionMatrixImpl(labels, predicted, classes);
  let correct = 0;
  const perClass: ClassRow[] = classes.map((label, i) => {
    const tp = confusionMatrix[i][i];
    correct += tp;
    let support = 0;
    let predictedAs = 0;
    for (let j = 0; j < classes.length; j++) {
      support += confusionMatrix[i][j];
      predictedAs += confusionMatrix[j][i];
    }
    const precision = ratio(tp, predictedAs);
    const recall = ratio(tp, support);
    return { label, precision, recall, f1: f1Of(precision, recall), support };
  });
  const mean = (key: keyof Averaged, weight: (r: ClassRow) => number) => {
    let s = 0;
    let w = 0;
    for (const r of perClass) {
      s += r[key] * weight(r);
      w += weight(r);
    }
    return ratio(s, w);
  };
  const avg = (weight: (r: ClassRow) => number): Averaged => ({ precision: mean('precision', weight), recall: mean('recall', weight), f1: mean('f1', weight) });
  // Micro: every prediction is one tp or one fp, every label one tp or one fn, so all three are accuracy.
  const accuracy = correct / n;
  let logLoss: number | undefined;
  if (opts.probabilities) {
    const k = opts.classCount ?? opts.probabilities.length / n;
    if (!Number.isInteger(k) || k * n !== opts.probabilities.length) throw validationError(`multiclassMetrics: ${opts.probabilities.length} probabilities do not make ${n} rows`);
    if (classes[classes.length - 1] >= k) throw validationError(`multiclassMetrics: class ${classes[classes.length - 1]} has no probability column (the model gives ${k})`);
    logLoss = multiclassLogLossImpl(labels, opts.probabilities, k);
  }
  return {
    count: n,
    accuracy,
    macro: avg(() => 1),
    micro: { precision: accuracy, recall: accuracy, f1: accuracy },
    weighted: avg((r) => r.support),
    perClass,
    labels: classes,
    confusionMatrix,
    ...(logLoss !== undefined ? { logLoss } : {}),
  };
}
