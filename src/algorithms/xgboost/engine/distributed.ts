/**
 * What the engine exchanges with the other hosts of a data-parallel job (each host holding a
 * shard of the rows), in the order every host calls it:
 *
 * 1. setup: the global row count; the quantile summaries (gathered by algo-1, which merges
 *    them and broadcasts the cuts, so every host bins with the same cuts); the global gradient
 *    bounds of the fixed quantization scales (logistic objectives);
 * 2. per round and group: the global gradient bounds (other objectives), then for every batch
 *    of nodes the built histograms, summed (integer-valued doubles: exact in any order), and for
 *    reg:absoluteerror the leaf quantiles, averaged weighted by rows as XGBoost 1.7 does;
 * 3. per round: the eval metrics' sums (AUC: the predictions, gathered by algo-1, which
 *    computes it and broadcasts the value), so every host reports and early-stops alike.
 *
 * See docs/architecture.md ("Data-parallel training").
 */
import type { Collective } from '../../distributed/collective.js';
import type { EvalMetric } from '../model.js';
import type { BinInfo } from './binning.js';
import type { HistogramSync } from './grow.js';
import { aucMetric, finishMetric, metricSums } from './metrics.js';
import type { Ctx } from './shared.js';
import { decodeCuts, encodeCuts, encodeLocalSketch, mergeSketches } from './sketch.js';

/** Rows over all hosts. */
export async function globalRows(c: Collective, rows: number): Promise<number> {
  const b = Float64Array.of(rows);
  await c.allreduceSum(b);
  return b[0];
}

/** Quantile cuts of the features over all hosts' rows, identical on every host. */
export async function globalCuts(c: Collective, features: Float32Array, rows: number, cols: number, maxBin: number, seed: number): Promise<BinInfo> {
  const parts = await c.gather(encodeLocalSketch(features, rows, cols, maxBin, seed, c.rank));
  const cuts = await c.broadcast(parts ? encodeCuts(mergeSketches(parts, maxBin)) : undefined);
  return decodeCuts(cuts);
}

/** Element-wise maxima over all hosts. */
export async function globalMax(c: Collective, values: number[]): Promise<number[]> {
  const b = Float64Array.from(values);
  await c.allreduce(b, 'max');
  return Array.from(b);
}

/** Sums pool slots' histograms over the hosts, packed into one message per call. */
export function histogramSync(c: Collective, ctx: Ctx): HistogramSync {
  let buf = new Float64Array(0);
  return async (slots) => {
    const HS = ctx.HS;
    const len = slots.length * HS;
    if (buf.length < len) buf = new Float64Array(len);
    const view = buf.subarray(0, len);
    for (let i = 0; i < slots.length; i++) view.set(ctx.pool.subarray(slots[i] * HS, (slots[i] + 1) * HS), i * HS);
    await c.allreduceSum(view);
    for (let i = 0; i < slots.length; i++) ctx.pool.set(view.subarray(i * HS, (i + 1) * HS), slots[i] * HS);
  };
}

/**
 * reg:absoluteerror's leaf values over the hosts: each leaf's local quantile weighted by its
 * local rows (XGBoost 1.7's UpdateTreeLeaf in distributed mode); NaN for a leaf no host has
 * rows of. `quantiles[i]` is ignored where `rows[i]` is 0.
 */
export async function globalLeafQuantiles(c: Collective, quantiles: Float64Array, rows: Float64Array): Promise<Float64Array> {
  const L = quantiles.length;
  const b = new Float64Array(2 * L);
  for (let i = 0; i < L; i++) {
    b[i] = rows[i] > 0 ? quantiles[i] * rows[i] : 0;
    b[L + i] = rows[i];
  }
  await c.allreduceSum(b);
  const out = new Float64Array(L);
  for (let i = 0; i < L; i++) out[i] = b[L + i] > 0 ? b[i] / b[L + i] : NaN;
  return out;
}

/** One eval set's predictions (output space, n×K) on this host. */
export interface EvalShard {
  pred: Float64Array;
  labels: Float32Array;
  weights?: Float32Array;
  n: number;
}

/**
 * Each set's metrics (set-major, metric-minor) over all hosts' rows: one allreduce of every
 * metric's sums, and for AUC one gather of the predictions per set plus one broadcast of the values.
 */
export async function globalMetricValues(c: Collective, sets: EvalShard[], metrics: EvalMetric[], K: number): Promise<number[]> {
  const out = new Array<number>(sets.length * metrics.length).fill(NaN);
  const sums: number[] = [];
  for (const s of sets) for (const m of metrics) if (m !== 'auc') sums.push(...metricSums(m, s.pred, s.labels, s.weights, s.n, K));
  if (sums.length > 0) {
    const b = Float64Array.from(sums);
    await c.allreduceSum(b);
    let at = 0;
    sets.forEach((_, si) =>
      metrics.forEach((m, mi) => {
        if (m === 'auc') return;
        out[si * metrics.length + mi] = finishMetric(m, b[at], b[at + 1]);
        at += 2;
      }),
    );
  }
  if (!metrics.includes('auc')) return out;
  const aucs: number[] = [];
  for (const s of sets) {
    const parts = await c.gather(encodePredictions(s, K));
    if (parts) {
      const all = decodePredictions(parts, K);
      aucs.push(aucMetric(all.pred, all.labels, all.weights, all.n, K));
    }
  }
  const bytes = await c.broadcast(c.rank === 0 ? new Uint8Array(Float64Array.from(aucs).buffer) : undefined);
  const values = new Float64Array(bytes.slice().buffer, 0, sets.length);
  const auc = metrics.indexOf('auc');
  sets.forEach((_, si) => (out[si * metrics.length + auc] = values[si]));
  return out;
}

/** Int32 [n, has weights], padding, Float64 pred (n×K), Float32 labels, Float32 weights. */
function encodePredictions(s: EvalShard, K: number): Uint8Array {
  const n = s.n;
  const buf = new ArrayBuffer(8 + 8 * n * K + 4 * n + (s.weights ? 4 * n : 0));
  new Int32Array(buf, 0, 2).set([n, s.weights ? 1 : 0]);
  new Float64Array(buf, 8, n * K).set(s.pred.subarray(0, n * K));
  new Float32Array(buf, 8 + 8 * n * K, n).set(s.labels.subarray(0, n));
  if (s.weights) new Float32Array(buf, 8 + 8 * n * K + 4 * n, n).set(s.weights.subarray(0, n));
  return new Uint8Array(buf);
}

function decodePredictions(parts: Uint8Array[], K: number): Required<EvalShard> {
  const views = parts.map((p) => {
    const buf = p.slice().buffer;
    const [n, w] = new Int32Array(buf, 0, 2);
    return {
      n,
      pred: new Float64Array(buf, 8, n * K),
      labels: new Float32Array(buf, 8 + 8 * n * K, n),
      weights: w === 1 ? new Float32Array(buf, 8 + 8 * n * K + 4 * n, n) : undefined,
    };
  });
  const n = views.reduce((t, v) => t + v.n, 0);
  const out = { n, pred: new Float64Array(n * K), labels: new Float32Array(n), weights: new Float32Array(n).fill(1) };
  let at = 0;
  for (const v of views) {
    out.pred.set(v.pred, at * K);
    out.labels.set(v.labels, at);
    if (v.weights) out.weights.set(v.weights, at);
    at += v.n;
  }
  return out;
}
