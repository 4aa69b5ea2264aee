/**
 * Per-parameter scales for one update: a parameter j moves with step `lr · lrScale[j]`, is
 * decayed by `wd[j]` (L2) and shrunk by `l1[j]` (proximal soft-thresholding).
 */
export interface ParamScales {
  lrScale: Float64Array;
  wd: Float64Array;
  l1: Float64Array;
}

const EPS = 1e-8;

/**
 * g ← grad · invBatch + wd ⊙ p, in place in `grad` (the mean gradient of the regularized objective).
 */
export function regularizedGradImpl(p: Float64Array, grad: Float64Array, invBatch: number, wd: Float64Array): void {
  for (let j = 0; j < p.length; j++) grad[j] = grad[j] * invBatch + wd[j] * p[j];
}

/** Adam (Kingma and Ba) step `t` (1-based) from the mean gradient `g`, then the L1 proximal step. */
export function adamStepImpl(
  p: Float64Array,
  g: Float64Array,
  m: Float64Array,
  v: Float64Array,
  s: ParamScales,
  lr: number,
  beta1: number,
  beta2: number,
  t: number,
): void {
  const c1 = 1 - beta1 ** t;
  const c2 = 1 - beta2 ** t;
  for (let j = 0; j < p.length; j++) {
    const gj = g[j];
    m[j] = beta1 * m[j] + (1 - beta1) * gj;
    v[j] = beta2 * v[j] + (1 - beta2) * gj * gj;
    const step = lr * s.lrScale[j];
    p[j] = l1Prox(p[j] - (step * (m[j] / c1)) / (Math.sqrt(v[j] / c2) + EPS), step * s.l1[j]);
  }
}

/** RMSProp step (decay `rho`) from the mean gradient `g`, then the L1 proximal step. */
export function rmspropStepImpl(p: Float64Array, g: Float64Array, sq: Float64Array, s: ParamScales, lr: number, rho: number): void {
  for (let j = 0; j < p.length; j++) {
    const gj = g[j];
    sq[j] = rho * sq[j] + (1 - rho) * gj * gj;
    const step = lr * s.lrScale[j];
    p[j] = l1Prox(p[j] - (step * gj) / (Math.sqrt(sq[j]) + EPS), step * s.l1[j]);
  }
}

/** SGD with heavy-ball momentum from the mean gradient `g`, then the L1 proximal step. */
export function sgdStepImpl(p: Float64Array, g: Float64Array, vel: Float64Array, s: ParamScales, lr: number, momentum: number): void {
  for (let j = 0; j < p.length; j++) {
    const step = lr * s.lrScale[j];
    vel[j] = momentum * vel[j] - step * g[j];
    p[j] = l1Prox(p[j] + vel[j], step * s.l1[j]);
  }
}

/** Soft-thresholding: the proximal operator of `shrink · |w|`. */
function l1Prox(w: number, shrink: number): number {
  if (shrink === 0) return w;
  return w > shrink ? w - shrink : w < -shrink ? w + shrink : 0;
}
