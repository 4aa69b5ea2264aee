/** Eval metrics with XGBoost 1.7's definitions (src/metric/elementwise_metric.cu, auc.cc, multiclass_metric.cu). */
import type { EvalMetric } from '../model.js';

const EPS = 1e-16;

/** True when larger is better (early stopping maximizes). */
export function maximizes(metric: EvalMetric): boolean {
  return metric === 'auc';
}

/**
 * One metric over predictions in output space (`pred` is n×K row-major: probabilities for
 * multi-class, one value per row otherwise).
 */
export function evalMetric(metric: EvalMetric, pred: Float64Array, labels: Float32Array, weights: Float32Array | undefined, n: number, K: number): number {
  if (metric === 'auc') return aucMetric(pred, labels, weights, n, K);
  const [num, den] = metricSums(metric, pred, labels, weights, n, K);
  return finishMetric(metric, num, den);
}

/**
 * A metric's weighted sums [numerator, denominator] over these rows, which add up over shards
 * of the rows (every metric but AUC); `finishMetric` turns the totals into the value.
 */
export function metricSums(metric: Exclude<EvalMetric, 'auc'>, pred: Float64Array, labels: Float32Array, weights: Float32Array | undefined, n: number, K: number): [number, number] {
  const w = (i: number) => (weights ? weights[i] : 1);
  let num = 0;
  let den = 0;
  switch (metric) {
    case 'rmse':
      for (let i = 0; i < n; i++) {
        const d = pred[i * K] - labels[i];
        num += w(i) * d * d;
        den += w(i);
      }
      break;
    case 'mae':
      for (let i = 0; i < n; i++) {
        num += w(i) * Math.abs(pred[i * K] - labels[i]);
        den += w(i);
      }
      break;
    case 'logloss':
      for (let i = 0; i < n; i++) {
        const p = Math.min(Math.max(pred[i * K], EPS), 1 - EPS);
        const y = labels[i];
        num -= w(i) * (y * Math.log(p) + (1 - y) * Math.log(1 - p));
        den += w(i);
      }
      break;
    case 'error':
      for (let i = 0; i < n; i++) {
        const lab = pred[i * K] > 0.5 ? 1 : 0;
        if (lab !== labels[i]) num += w(i);
        den += w(i);
      }
      break;
    case 'poisson-nloglik':
      for (let i = 0; i < n; i++) {
        const p = Math.max(pred[i * K], EPS);
        const y = labels[i];
        num += w(i) * (lgamma(y + 1) + p - Math.log(p) * y);
        den += w(i);
      }
      break;
    case 'merror':
      for (let i = 0; i < n; i++) {
        let best = 0;
        for (let k = 1; k < K; k++) if (pred[i * K + k] > pred[i * K + best]) best = k;
        if (best !== labels[i]) num += w(i);
        den += w(i);
      }
      break;
    case 'mlogloss':
      for (let i = 0; i < n; i++) {
        const p = Math.max(pred[i * K + labels[i]], EPS);
        num -= w(i) * Math.log(p);
        den += w(i);
      }
      break;
  }
  return [num, den];
}

/** The metric's value from its (total) sums. */
export function finishMetric(metric: Exclude<EvalMetric, 'auc'>, num: number, den: number): number {
  return metric === 'rmse' ? Math.sqrt(num / den) : num / den;
}

/** ROC AUC; for several classes one-vs-rest, averaged with each class's (weighted) prevalence, as XGBoost's multi-class AUC. */
export function aucMetric(pred: Float64Array, labels: Float32Array, weights: Float32Array | undefined, n: number, K: number): number {
  if (K === 1) return weightedAuc(pred, labels, weights, n, K, 0, (y) => y > 0.5);
  const w = (i: number) => (weights ? weights[i] : 1);
  let total = 0;
  let wsum = 0;
  for (let k = 0; k < K; k++) {
    let cw = 0;
    for (let i = 0; i < n; i++) if (labels[i] === k) cw += w(i);
    const a = weightedAuc(pred, labels, weights, n, K, k, (y) => y === k);
    if (!Number.isNaN(a)) {
      total += a * cw;
      wsum += cw;
    }
  }
  return wsum > 0 ? total / wsum : NaN;
}

/** Weighted ROC AUC of column `k` (ties count half). NaN without both classes. */
function weightedAuc(
  pred: Float64Array,
  labels: Float32Array,
  weights: Float32Array | undefined,
  n: number,
  K: number,
  k: number,
  positive: (y: number) => boolean,
): number {
  const order = new Uint32Array(n);
  const score = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    order[i] = i;
    score[i] = pred[i * K + k];
  }
  order.sort((a, b) => score[b] - score[a]);
  let tp = 0, fp = 0, area = 0;
  for (let i = 0; i < n; ) {
    let dtp = 0, dfp = 0;
    const s = score[order[i]];
    while (i < n && score[order[i]] === s) {
      const r = order[i++];
      const wr = weights ? weights[r] : 1;
      if (positive(labels[r])) dtp += wr;
      else dfp += wr;
    }
    area += dfp * (tp + dtp / 2);
    tp += dtp;
    fp += dfp;
  }
  if (tp === 0 || fp === 0) return NaN;
  return area / (tp * fp);
}

/** log Γ(x) for x > 0 (Lanczos, g = 7). */
export function lgamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lgamma(1 - x);
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  x -= 1;
  let a = c[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}
