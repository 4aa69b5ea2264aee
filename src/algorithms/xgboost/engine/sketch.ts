/**
 * Quantile cuts over the rows of several hosts (data-parallel training). Each host summarises
 * each feature's sorted values in at most SKETCH_FACTOR × (value bins) weighted points; one host
 * merges the summaries and picks cuts with the same rule as `findCuts` on one host, so that:
 *
 * - when every host's summary is exact (a feature with few distinct values on each host, e.g.
 *   any feature of a few thousand rows), the merged cuts are the cuts one host would find on all
 *   the rows — and the data-parallel model is the one-host model bit for bit;
 * - otherwise each point stands for the values up to it since the previous point, and a rank
 *   is off by at most (rows of a host) / (points per host) on each host: an eighth of a bin for
 *   the default factor.
 *
 * Wire format (little-endian, as every host of a job): a host's summary is Int32 [cols,
 * points per feature…, exact flag per feature…], Float32 values, padding to 8 bytes, Float64
 * weights; the cuts are Int32 [cols, nbins…], Float32 minCut per feature, Float32 cuts.
 */
import { createRng } from '../../kernels/rng.js';
import { above, below, binInfoOf, sortedColumns, valueBinCap, type BinInfo } from './binning.js';

/** Summary points per value bin. */
export const SKETCH_FACTOR = 8;

/** This host's summary of each feature of its rows, encoded for the wire. */
export function encodeLocalSketch(features: Float32Array, rows: number, cols: number, maxBin: number, seed: number, rank: number): Uint8Array {
  const size = SKETCH_FACTOR * valueBinCap(maxBin);
  const { vals, counts, m } = sortedColumns(features, rows, cols, createRng((seed ^ 0x5bd1e995 ^ Math.imul(rank + 1, 0x9e3779b1)) >>> 0));
  // Each sampled row stands for rows / m of this host's rows.
  const scale = m > 0 ? rows / m : 1;
  const perValues: Float32Array[] = [];
  const perWeights: Float64Array[] = [];
  const exact = new Int32Array(cols);
  for (let f = 0; f < cols; f++) {
    const s = summarise(vals.subarray(f * m, f * m + counts[f]), size, scale);
    perValues.push(s.values);
    perWeights.push(s.weights);
    exact[f] = s.exact ? 1 : 0;
  }
  const total = perValues.reduce((n, v) => n + v.length, 0);
  const head = 4 * (1 + 2 * cols);
  const valuesAt = head;
  const weightsAt = align8(valuesAt + 4 * total);
  const buf = new ArrayBuffer(weightsAt + 8 * total);
  const h = new Int32Array(buf, 0, 1 + 2 * cols);
  h[0] = cols;
  const values = new Float32Array(buf, valuesAt, total);
  const weights = new Float64Array(buf, weightsAt, total);
  let at = 0;
  for (let f = 0; f < cols; f++) {
    h[1 + f] = perValues[f].length;
    h[1 + cols + f] = exact[f];
    values.set(perValues[f], at);
    weights.set(perWeights[f], at);
    at += perValues[f].length;
  }
  return new Uint8Array(buf);
}

/**
 * Sorted values → at most `size` points: every distinct value with its count (exact), or
 * `size` values at evenly spaced positions (the first and the last included), each weighing the
 * values since the previous point.
 */
function summarise(sorted: Float32Array, size: number, scale: number): { values: Float32Array; weights: Float64Array; exact: boolean } {
  const k = sorted.length;
  let distinct = k > 0 ? 1 : 0;
  for (let i = 1; i < k && distinct <= size; i++) if (sorted[i] !== sorted[i - 1]) distinct++;
  if (distinct <= size) {
    const values = new Float32Array(distinct);
    const weights = new Float64Array(distinct);
    let j = -1;
    for (let i = 0; i < k; i++) {
      if (i === 0 || sorted[i] !== sorted[i - 1]) values[++j] = sorted[i];
      weights[j] += scale;
    }
    return { values, weights, exact: true };
  }
  const values = new Float32Array(size);
  const weights = new Float64Array(size);
  let prev = -1;
  for (let j = 0; j < size; j++) {
    const p = Math.round((j * (k - 1)) / (size - 1));
    values[j] = sorted[p];
    weights[j] = (p - prev) * scale;
    prev = p;
  }
  return { values, weights, exact: false };
}

interface Sketch {
  cols: number;
  counts: Int32Array;
  exact: Int32Array;
  values: Float32Array;
  weights: Float64Array;
  /** Start of each feature's points. */
  starts: Int32Array;
}

function decodeSketch(bytes: Uint8Array): Sketch {
  const copy = bytes.slice().buffer; // aligned for the typed views
  const cols = new Int32Array(copy, 0, 1)[0];
  const h = new Int32Array(copy, 0, 1 + 2 * cols);
  const counts = h.slice(1, 1 + cols);
  const exact = h.slice(1 + cols);
  const starts = new Int32Array(cols + 1);
  for (let f = 0; f < cols; f++) starts[f + 1] = starts[f] + counts[f];
  const total = starts[cols];
  const valuesAt = 4 * (1 + 2 * cols);
  return { cols, counts, exact, starts, values: new Float32Array(copy, valuesAt, total), weights: new Float64Array(copy, align8(valuesAt + 4 * total), total) };
}

/** Cuts from every host's summary (in rank order), by the rule of `findCuts`. */
export function mergeSketches(parts: Uint8Array[], maxBin: number): BinInfo {
  const cap = valueBinCap(maxBin);
  const sketches = parts.map(decodeSketch);
  const cols = sketches[0].cols;
  for (const s of sketches) if (s.cols !== cols) throw new Error(`xgboost: hosts disagree on the number of features (${cols} and ${s.cols})`);
  const cutsPer: Float32Array[] = [];
  const minCut = new Float32Array(cols);
  for (let f = 0; f < cols; f++) {
    const { values, weights, allExact } = mergedPoints(sketches, f);
    const k = values.length;
    const cuts: number[] = [];
    if (k === 0) {
      cuts.push(1);
      minCut[f] = 0;
    } else {
      const lo = values[0];
      const hi = values[k - 1];
      if (allExact && k <= cap) {
        for (let i = 1; i < k; i++) cuts.push(values[i]);
      } else {
        let total = 0;
        for (let i = 0; i < k; i++) total += weights[i];
        // The value at rank r is the first point whose cumulative weight exceeds r.
        let last = lo;
        let i = 0;
        let cum = weights[0];
        for (let j = 1; j < cap; j++) {
          const r = Math.floor((j * total) / cap);
          while (cum <= r && i < k - 1) cum += weights[++i];
          const v = values[i];
          if (v > last) {
            cuts.push(v);
            last = v;
          }
        }
      }
      cuts.push(above(hi));
      minCut[f] = below(lo);
    }
    cutsPer.push(Float32Array.from(cuts));
  }
  return binInfoOf(cutsPer, minCut);
}

/** Feature f's points of all hosts, sorted, equal values merged (weights summed). */
function mergedPoints(sketches: Sketch[], f: number): { values: Float32Array; weights: Float64Array; allExact: boolean } {
  let n = 0;
  let allExact = true;
  for (const s of sketches) {
    n += s.counts[f];
    allExact &&= s.exact[f] === 1;
  }
  const v = new Float32Array(n);
  const w = new Float64Array(n);
  let at = 0;
  for (const s of sketches) {
    v.set(s.values.subarray(s.starts[f], s.starts[f + 1]), at);
    w.set(s.weights.subarray(s.starts[f], s.starts[f + 1]), at);
    at += s.counts[f];
  }
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => v[a] - v[b] || a - b);
  const values = new Float32Array(n);
  const weights = new Float64Array(n);
  let k = -1;
  for (let i = 0; i < n; i++) {
    const x = v[order[i]];
    if (k < 0 || values[k] !== x) values[++k] = x;
    weights[k] += w[order[i]];
  }
  return { values: values.subarray(0, k + 1), weights: weights.subarray(0, k + 1), allExact };
}

export function encodeCuts(info: BinInfo): Uint8Array {
  const cols = info.cols;
  const total = info.cutOff[cols];
  const buf = new ArrayBuffer(4 * (1 + cols) + 4 * cols + 4 * total);
  const h = new Int32Array(buf, 0, 1 + cols);
  h[0] = cols;
  h.set(info.nbins, 1);
  new Float32Array(buf, 4 * (1 + cols), cols).set(info.minCut);
  new Float32Array(buf, 4 * (1 + 2 * cols), total).set(info.cuts.subarray(0, total));
  return new Uint8Array(buf);
}

export function decodeCuts(bytes: Uint8Array): BinInfo {
  const buf = bytes.slice().buffer;
  const cols = new Int32Array(buf, 0, 1)[0];
  const nbins = new Int32Array(buf, 4, cols);
  const minCut = new Float32Array(buf, 4 * (1 + cols), cols).slice();
  const cuts = new Float32Array(buf, 4 * (1 + 2 * cols));
  const cutsPer: Float32Array[] = [];
  let at = 0;
  for (let f = 0; f < cols; f++) {
    cutsPer.push(cuts.slice(at, at + nbins[f]));
    at += nbins[f];
  }
  return binInfoOf(cutsPer, minCut);
}

const align8 = (n: number) => (n + 7) & ~7;
