/** Loss codes understood by the linear kernels. */
export const LossCode = {
  logistic: 0,
  hinge: 1,
  squared: 2,
  absolute: 3,
  epsSquared: 4,
  epsAbsolute: 5,
  quantile: 6,
  huber: 7,
  softmax: 8,
} as const;
/** One of the {@link LossCode} values. */
export type LossCode = (typeof LossCode)[keyof typeof LossCode];

/** b + w[wo, wo + d) · x[off, off + d), with four accumulators for instruction-level parallelism. */
export function rowDot(w: Float64Array, wo: number, x: Float64Array, off: number, d: number, b: number): number {
  let z0 = b;
  let z1 = 0;
  let z2 = 0;
  let z3 = 0;
  let j = 0;
  for (; j + 3 < d; j += 4) {
    z0 += w[wo + j] * x[off + j];
    z1 += w[wo + j + 1] * x[off + j + 1];
    z2 += w[wo + j + 2] * x[off + j + 2];
    z3 += w[wo + j + 3] * x[off + j + 3];
  }
  for (; j < d; j++) z0 += w[wo + j] * x[off + j];
  return z0 + z1 + (z2 + z3);
}

/** acc[ao, ao + d) += g · x[off, off + d), unrolled by four. */
export function rowAxpy(acc: Float64Array, ao: number, g: number, x: Float64Array, off: number, d: number): void {
  let j = 0;
  for (; j + 3 < d; j += 4) {
    acc[ao + j] += g * x[off + j];
    acc[ao + j + 1] += g * x[off + j + 1];
    acc[ao + j + 2] += g * x[off + j + 2];
    acc[ao + j + 3] += g * x[off + j + 3];
  }
  for (; j < d; j++) acc[ao + j] += g * x[off + j];
}

/**
 * One mini-batch of a binary linear classifier: forward pass, loss and gradient in a single pass
 * over the rows `order[start..end)` of `x` (row-major, `d` columns; labels 0/1).
 * Loss: logistic on z, or hinge `max(0, margin − y'z)` with y' = ±1.
 * Writes into `grad` (length d + 1, bias last) the weighted *sums* of per-row gradients, and into
 * `stats` [Σ weight·loss, number of rows with z > 0 ⇔ y = 1].
 */
export function binaryBatchImpl(
  x: Float64Array,
  d: number,
  y: Float64Array,
  order: Uint32Array,
  start: number,
  end: number,
  w: Float64Array,
  b: number,
  loss: LossCode,
  margin: number,
  weight0: number,
  weight1: number,
  grad: Float64Array,
  stats: Float64Array,
): void {
  grad.fill(0, 0, d + 1);
  let lossSum = 0;
  let correct = 0;
  let gb = 0;
  const logistic = loss === LossCode.logistic;
  for (let k = start; k < end; k++) {
    const r = order[k];
    const off = r * d;
    const z = rowDot(w, 0, x, off, d, b);
    const positive = y[r] > 0.5;
    const c = positive ? weight1 : weight0;
    let g: number;
    let l: number;
    if (logistic) {
      // Stable form: one exp serves both the probability and log(1 + e^-|z|).
      const e = Math.exp(-Math.abs(z));
      const inv = 1 / (1 + e);
      const p = z >= 0 ? inv : e * inv;
      l = (z > 0 ? z : 0) - (positive ? z : 0) + Math.log1p(e);
      g = positive ? p - 1 : p;
    } else {
      const s = positive ? 1 : -1;
      const slack = margin - s * z;
      l = slack > 0 ? slack : 0;
      g = slack > 0 ? -s : 0;
    }
    if (z > 0 === positive) correct++;
    lossSum += c * l;
    g *= c;
    gb += g;
    if (g !== 0) rowAxpy(grad, 0, g, x, off, d);
  }
  grad[d] = gb;
  stats[0] = lossSum;
  stats[1] = correct;
}

/**
 * One mini-batch of a linear regressor on normalized targets t = (y − yShift)·yInvScale, with
 * residual r = z − t. `param` is the insensitivity (eps losses), the quantile, or Huber's delta.
 * Squared loss is r² (so its objective equals the normalized MSE). Writes gradient sums into
 * `grad` (d + 1, bias last) and [Σ loss, Σ r², Σ |r|] into `stats`.
 */
export function regressionBatchImpl(
  x: Float64Array,
  d: number,
  y: Float64Array,
  yShift: number,
  yInvScale: number,
  order: Uint32Array,
  start: number,
  end: number,
  w: Float64Array,
  b: number,
  loss: LossCode,
  param: number,
  grad: Float64Array,
  stats: Float64Array,
): void {
  grad.fill(0, 0, d + 1);
  let lossSum = 0;
  let sq = 0;
  let abs = 0;
  let gb = 0;
  for (let k = start; k < end; k++) {
    const row = order[k];
    const off = row * d;
    const z = rowDot(w, 0, x, off, d, b);
    const r = z - (y[row] - yShift) * yInvScale;
    const ar = r < 0 ? -r : r;
    sq += r * r;
    abs += ar;
    const g = regressionGrad(loss, r, ar, param);
    lossSum += regressionLoss(loss, r, ar, param);
    gb += g;
    if (g !== 0) rowAxpy(grad, 0, g, x, off, d);
  }
  grad[d] = gb;
  stats[0] = lossSum;
  stats[1] = sq;
  stats[2] = abs;
}

/** Loss of one residual r = prediction − target (|r| passed in as `ar`). */
export function regressionLoss(loss: LossCode, r: number, ar: number, param: number): number {
  switch (loss) {
    case LossCode.squared:
      return r * r;
    case LossCode.absolute:
      return ar;
    case LossCode.epsSquared:
      return ar > param ? (ar - param) * (ar - param) : 0;
    case LossCode.epsAbsolute:
      return ar > param ? ar - param : 0;
    case LossCode.quantile:
      return r <= 0 ? -param * r : (1 - param) * r;
    case LossCode.huber:
      return ar <= param ? 0.5 * r * r : param * (ar - 0.5 * param);
    default:
      return NaN;
  }
}

/** Derivative of {@link regressionLoss} with respect to the prediction. */
export function regressionGrad(loss: LossCode, r: number, ar: number, param: number): number {
  const sign = r > 0 ? 1 : r < 0 ? -1 : 0;
  switch (loss) {
    case LossCode.squared:
      return 2 * r;
    case LossCode.absolute:
      return sign;
    case LossCode.epsSquared:
      return ar > param ? 2 * sign * (ar - param) : 0;
    case LossCode.epsAbsolute:
      return ar > param ? sign : 0;
    case LossCode.quantile:
      return r <= 0 ? -param : 1 - param;
    case LossCode.huber:
      return ar <= param ? r : param * sign;
    default:
      return NaN;
  }
}

/**
 * One mini-batch of a softmax (multinomial logistic) classifier with K classes. `W` is K × d
 * row-major, `b` has K entries, labels are integers in [0, K). `classWeight[k]` scales the loss
 * of rows of class k. Writes gradient sums into `grad` (K·d weights, then K biases) and
 * [Σ weight·loss, number of rows whose arg-max is the label] into `stats`. `scratch` holds K.
 */
export function softmaxBatchImpl(
  x: Float64Array,
  d: number,
  K: number,
  y: Float64Array,
  order: Uint32Array,
  start: number,
  end: number,
  W: Float64Array,
  b: Float64Array,
  classWeight: Float64Array,
  grad: Float64Array,
  stats: Float64Array,
  scratch: Float64Array,
): void {
  const nw = K * d;
  grad.fill(0, 0, nw + K);
  let lossSum = 0;
  let correct = 0;
  for (let i = start; i < end; i++) {
    const row = order[i];
    const off = row * d;
    const label = y[row] | 0;
    let best = 0;
    for (let k = 0; k < K; k++) {
      const z = rowDot(W, k * d, x, off, d, b[k]);
      scratch[k] = z;
      if (z > scratch[best]) best = k;
    }
    if (best === label) correct++;
    const max = scratch[best];
    const labelLogit = scratch[label] - max;
    let sum = 0;
    for (let k = 0; k < K; k++) {
      const e = Math.exp(scratch[k] - max);
      scratch[k] = e;
      sum += e;
    }
    const c = classWeight[label];
    lossSum += c * (Math.log(sum) - labelLogit);
    const inv = c / sum;
    for (let k = 0; k < K; k++) {
      const g = scratch[k] * inv - (k === label ? c : 0);
      grad[nw + k] += g;
      rowAxpy(grad, k * d, g, x, off, d);
    }
  }
  stats[0] = lossSum;
  stats[1] = correct;
}
