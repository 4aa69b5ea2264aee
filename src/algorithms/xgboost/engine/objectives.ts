/**
 * Objectives: base margin, gradient/hessian kernels and the output transform, with XGBoost 1.7's
 * formulas (src/objective/regression_loss.h, multiclass_obj.cu).
 */
import type { EvalMetric, Objective } from '../model.js';

/** Numeric codes so that workers dispatch without strings in hot loops. */
export const OBJ_CODE: Record<Objective, number> = {
  'binary:logistic': 0,
  'binary:logitraw': 1,
  'reg:squarederror': 2,
  'reg:logistic': 3,
  'reg:absoluteerror': 4,
  'count:poisson': 5,
  'multi:softprob': 6,
  'multi:softmax': 7,
};

const EPS = 1e-16;

export function isLogistic(obj: Objective): boolean {
  return obj === 'binary:logistic' || obj === 'binary:logitraw' || obj === 'reg:logistic';
}

export function isMulti(obj: Objective): boolean {
  return obj === 'multi:softprob' || obj === 'multi:softmax';
}

/** base_score (output space) → initial margin, as XGBoost's ProbToMargin. */
export function baseMargin(obj: Objective, baseScore: number): number {
  if (isLogistic(obj)) {
    const p = Math.min(Math.max(baseScore, 1e-16), 1 - 1e-16);
    return -Math.log(1 / p - 1);
  }
  if (obj === 'count:poisson') return Math.log(baseScore);
  return baseScore;
}

/** The objective's default eval metric in XGBoost 1.7. */
export function defaultMetric(obj: Objective): EvalMetric {
  switch (obj) {
    case 'binary:logistic':
    case 'binary:logitraw':
      return 'logloss';
    case 'reg:squarederror':
    case 'reg:logistic':
      return 'rmse';
    case 'reg:absoluteerror':
      return 'mae';
    case 'count:poisson':
      return 'poisson-nloglik';
    default:
      return 'mlogloss';
  }
}

/**
 * Gradients of rows [r0, r1) into `grad` (interleaved g, h; group k of row r at 2·(k·n + r)),
 * from `margin` (row-major r·K + k). Returns nothing; writes max |g| and max h per group into
 * `maxOut[2k]`, `maxOut[2k+1]` (the caller quantizes with them).
 * `scalePos` multiplies the weight of rows labelled 1 (binary objectives only).
 */
export function computeGradients(
  code: number,
  K: number,
  n: number,
  margin: Float64Array,
  labels: Float32Array,
  weights: Float32Array,
  grad: Float64Array,
  r0: number,
  r1: number,
  scalePos: number,
  maxDeltaStep: number,
  maxOut: Float64Array,
  mo: number,
): void {
  if (code <= 1 || code === 3) {
    let mg = 0, mh = 0;
    for (let r = r0; r < r1; r++) {
      const y = labels[r];
      let w = weights[r];
      if (y === 1) w *= scalePos;
      const p = 1 / (1 + Math.exp(-margin[r]));
      const g = (p - y) * w;
      const h = Math.max(p * (1 - p), EPS) * w;
      grad[2 * r] = g;
      grad[2 * r + 1] = h;
      const ag = g < 0 ? -g : g;
      if (ag > mg) mg = ag;
      if (h > mh) mh = h;
    }
    maxOut[mo] = mg;
    maxOut[mo + 1] = mh;
  } else if (code === 2 || code === 4 || code === 5) {
    let mg = 0, mh = 0;
    const expMds = Math.exp(maxDeltaStep);
    for (let r = r0; r < r1; r++) {
      const y = labels[r];
      const w = weights[r];
      const m = margin[r];
      let g: number, h: number;
      if (code === 2) {
        g = (m - y) * w;
        h = w;
      } else if (code === 4) {
        const d = m - y;
        g = (d > 0 ? 1 : d < 0 ? -1 : 0) * w;
        h = w;
      } else {
        const e = Math.exp(m);
        g = (e - y) * w;
        h = e * expMds * w;
      }
      grad[2 * r] = g;
      grad[2 * r + 1] = h;
      const ag = g < 0 ? -g : g;
      if (ag > mg) mg = ag;
      if (h > mh) mh = h;
    }
    maxOut[mo] = mg;
    maxOut[mo + 1] = mh;
  } else {
    for (let k = 0; k < K; k++) {
      maxOut[mo + 2 * k] = 0;
      maxOut[mo + 2 * k + 1] = 0;
    }
    for (let r = r0; r < r1; r++) {
      const base = r * K;
      let mx = -Infinity;
      for (let k = 0; k < K; k++) if (margin[base + k] > mx) mx = margin[base + k];
      let sum = 0;
      for (let k = 0; k < K; k++) sum += Math.exp(margin[base + k] - mx);
      const y = labels[r];
      const w = weights[r];
      for (let k = 0; k < K; k++) {
        const p = Math.exp(margin[base + k] - mx) / sum;
        const g = (k === y ? p - 1 : p) * w;
        const h = Math.max(2 * p * (1 - p), EPS) * w;
        const o = 2 * (k * n + r);
        grad[o] = g;
        grad[o + 1] = h;
        const ag = g < 0 ? -g : g;
        if (ag > maxOut[mo + 2 * k]) maxOut[mo + 2 * k] = ag;
        if (h > maxOut[mo + 2 * k + 1]) maxOut[mo + 2 * k + 1] = h;
      }
    }
  }
}

/**
 * Margins (row-major n×K) → predictions in the objective's output space, as XGBoost's
 * PredTransform: sigmoid, exp, softmax probabilities (softprob and softmax alike, as metrics
 * see them), identity otherwise.
 */
export function transformMargins(obj: Objective, margin: Float64Array, n: number, K: number): Float64Array {
  const out = new Float64Array(n * K);
  if (obj === 'binary:logistic' || obj === 'reg:logistic') {
    for (let i = 0; i < n; i++) out[i] = 1 / (1 + Math.exp(-margin[i]));
  } else if (obj === 'count:poisson') {
    for (let i = 0; i < n; i++) out[i] = Math.exp(margin[i]);
  } else if (isMulti(obj)) {
    for (let r = 0; r < n; r++) {
      const b = r * K;
      let mx = -Infinity;
      for (let k = 0; k < K; k++) if (margin[b + k] > mx) mx = margin[b + k];
      let s = 0;
      for (let k = 0; k < K; k++) s += out[b + k] = Math.exp(margin[b + k] - mx);
      for (let k = 0; k < K; k++) out[b + k] /= s;
    }
  } else {
    out.set(margin.subarray(0, n * K));
  }
  return out;
}
