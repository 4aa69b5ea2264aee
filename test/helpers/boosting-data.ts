/** Data and scores for the data-parallel boosting tests: generated sets, shards, AUC and logloss. */
import { readFileSync } from 'node:fs';
import { createRng } from '../../src/algorithms/kernels/rng.js';
import type { BoosterModel } from '../../src/algorithms/xgboost/model.js';
import type { TrainingMatrix } from '../../src/algorithms/xgboost/engine/index.js';
import { addTreeMargins } from '../../src/algorithms/xgboost/engine/margins.js';
import { baseMargin } from '../../src/algorithms/xgboost/engine/objectives.js';

/** A noisy nonlinear binary problem with continuous features and some missing values. */
export function syntheticBinary(rows: number, cols: number, seed: number, missing = 0.03): TrainingMatrix {
  const rng = createRng(seed);
  const features = new Float32Array(rows * cols);
  const labels = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let f = 0; f < cols; f++) {
      const x = rng.next() * 2 - 1;
      features[r * cols + f] = rng.next() < missing ? NaN : x;
      s += (f % 3 === 0 ? x * x : f % 3 === 1 ? x : -0.5 * x) * (1 + (f % 4));
    }
    labels[r] = s + (rng.next() - 0.5) * 3 > 1 ? 1 : 0;
  }
  return { rows, cols, features, labels };
}

/** A label-first CSV without header (the bundled datasets). */
export function readLabelFirstCsv(path: string): TrainingMatrix {
  const lines = readFileSync(path, 'utf8').trim().split('\n').map((l) => l.split(',').map(Number));
  const cols = lines[0].length - 1;
  return { rows: lines.length, cols, features: Float32Array.from(lines.flatMap((r) => r.slice(1))), labels: Float32Array.from(lines, (r) => r[0]) };
}

/** Rows where `keep(i)` holds. */
export function pickRows(m: TrainingMatrix, keep: (i: number) => boolean): TrainingMatrix {
  const idx = Array.from({ length: m.rows }, (_, i) => i).filter(keep);
  const features = new Float32Array(idx.length * m.cols);
  idx.forEach((r, i) => features.set(m.features.subarray(r * m.cols, (r + 1) * m.cols), i * m.cols));
  return { rows: idx.length, cols: m.cols, features, labels: Float32Array.from(idx, (r) => m.labels[r]) };
}

/** `count` contiguous shards, in order (their concatenation is `m`). */
export function shards(m: TrainingMatrix, count: number): TrainingMatrix[] {
  return Array.from({ length: count }, (_, k) => {
    const a = Math.floor((m.rows * k) / count), b = Math.floor((m.rows * (k + 1)) / count);
    return pickRows(m, (i) => i >= a && i < b);
  });
}

/** Probabilities of a binary:logistic model. */
export function probabilities(model: BoosterModel, data: TrainingMatrix): Float64Array {
  const m = new Float64Array(data.rows).fill(baseMargin(model.objective, model.baseScore));
  for (let i = 0; i < model.trees.length; i++) addTreeMargins(model.trees[i], data.features, data.rows, data.cols, m, 1, 0);
  return m.map((v) => 1 / (1 + Math.exp(-v)));
}

/** ROC AUC, ties counted half. */
export function aucOf(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const order = Array.from({ length: labels.length }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let pos = 0, neg = 0, rankSum = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j < order.length && scores[order[j]] === scores[order[i]]) j++;
    const mid = (i + j + 1) / 2;
    for (let k = i; k < j; k++) if (labels[order[k]] === 1) rankSum += mid;
    i = j;
  }
  for (let i = 0; i < labels.length; i++) labels[i] === 1 ? pos++ : neg++;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

export function loglossOf(p: ArrayLike<number>, labels: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < labels.length; i++) {
    const q = Math.min(Math.max(p[i], 1e-15), 1 - 1e-15);
    s -= labels[i] === 1 ? Math.log(q) : Math.log(1 - q);
  }
  return s / labels.length;
}
