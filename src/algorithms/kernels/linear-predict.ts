import { rowDot } from './linear-batch.js';

/**
 * Affine map of a batch: out[r·K + k] = b[k] + Σ_j W[k·d + j] · x[r·d + j]. With `impute`, a NaN
 * input cell takes `impute[j]` instead (missing-feature handling); without it, the input must be
 * NaN-free and the faster unrolled dot product is used.
 */
export function affineImpl(
  x: Float64Array,
  rows: number,
  d: number,
  W: Float64Array,
  b: Float64Array,
  K: number,
  impute: Float64Array | undefined,
  out: Float64Array,
): void {
  for (let r = 0; r < rows; r++) {
    const off = r * d;
    for (let k = 0; k < K; k++) {
      out[r * K + k] = impute === undefined ? rowDot(W, k * d, x, off, d, b[k]) : imputedDot(W, k * d, x, off, d, b[k], impute);
    }
  }
}

function imputedDot(W: Float64Array, wo: number, x: Float64Array, off: number, d: number, b: number, impute: Float64Array): number {
  let z = b;
  for (let j = 0; j < d; j++) {
    const v = x[off + j];
    z += W[wo + j] * (v === v ? v : impute[j]);
  }
  return z;
}

/** In place: z ← 1 / (1 + e^−z). */
export function sigmoidImpl(z: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const v = z[i];
    if (v >= 0) z[i] = 1 / (1 + Math.exp(-v));
    else {
      const e = Math.exp(v);
      z[i] = e / (1 + e);
    }
  }
}

/** In place: each of the `rows` rows of K logits becomes its softmax. */
export function softmaxRowsImpl(z: Float64Array, rows: number, K: number): void {
  for (let r = 0; r < rows; r++) {
    const off = r * K;
    let max = -Infinity;
    for (let k = 0; k < K; k++) if (z[off + k] > max) max = z[off + k];
    let sum = 0;
    for (let k = 0; k < K; k++) {
      const e = Math.exp(z[off + k] - max);
      z[off + k] = e;
      sum += e;
    }
    for (let k = 0; k < K; k++) z[off + k] /= sum;
  }
}
