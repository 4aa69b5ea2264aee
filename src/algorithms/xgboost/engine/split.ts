/**
 * Split evaluation, as XGBoost 1.7's hist evaluator (src/tree/hist/evaluate_splits.h,
 * split_evaluator.h, param.h): for every feature a forward scan (missing values go right) and,
 * when the node has missing values of that feature, a backward scan (missing go left); a
 * candidate needs both children's hessian ≥ min_child_weight; loss_chg = gain(L) + gain(R) −
 * gain(parent). Histogram sums are quantized integers (see kernels.ts); `sg`/`sh` turn them
 * back into gradient units exactly (powers of two).
 */

export interface SplitParams {
  lambda: number;
  alpha: number;
  minChildWeight: number;
  maxDeltaStep: number;
}

/** Result record stride (doubles) and fields. */
export const RS = 8;
export const R_LOSS = 0;
export const R_FEAT = 1;
export const R_BIN = 2;
export const R_DLEFT = 3;
export const R_QGL = 4;
export const R_QHL = 5;
export const R_QG = 6;
export const R_QH = 7;

export function thresholdL1(g: number, alpha: number): number {
  if (g > alpha) return g - alpha;
  if (g < -alpha) return g + alpha;
  return 0;
}

/** XGBoost's CalcWeight: the node's optimal weight (before eta). */
export function calcWeight(G: number, H: number, lambda: number, alpha: number, mcw: number, mds: number): number {
  if (H < mcw || H <= 0) return 0;
  let dw = -thresholdL1(G, alpha) / (H + lambda);
  if (mds !== 0 && Math.abs(dw) > mds) dw = dw > 0 ? mds : -mds;
  return dw;
}

/** The split evaluator's gain of one side (CalcGainGivenWeight with the node's weight). */
export function calcGain(G: number, H: number, lambda: number, alpha: number, mcw: number, mds: number): number {
  if (H <= 0) return 0;
  if (mds === 0) {
    const t = thresholdL1(G, alpha);
    return (t * t) / (H + lambda);
  }
  const w = calcWeight(G, H, lambda, alpha, mcw, mds);
  return -(2 * G * w + (H + lambda) * w * w);
}

/**
 * Best split of the node whose histogram is at `hist[ho..]` (slots interleaved g, h).
 * Features with `mask[mo + f] === 0` are skipped. Writes an RS record at `out[oo..]`;
 * R_LOSS is -Infinity when no candidate exists.
 */
export function findBestSplit(
  hist: Float64Array,
  ho: number,
  cols: number,
  off: Int32Array,
  mask: Uint8Array,
  mo: number,
  sg: number,
  sh: number,
  lambda: number,
  alpha: number,
  mcw: number,
  mds: number,
  out: Float64Array,
  oo: number,
): void {
  // Node totals from feature 0's slots (exact: integer sums).
  let qG = 0, qH = 0;
  for (let s = off[0]; s < off[1]; s++) {
    qG += hist[ho + 2 * s];
    qH += hist[ho + 2 * s + 1];
  }
  const G = qG * sg, H = qH * sh;
  const rootGain = calcGain(G, H, lambda, alpha, mcw, mds);
  let best = -Infinity, bf = -1, bb = 0, bdl = 0, bgl = 0, bhl = 0;
  for (let f = 0; f < cols; f++) {
    if (mask[mo + f] === 0) continue;
    const s0 = off[f];
    const nb = off[f + 1] - s0 - 1;
    const ms = ho + 2 * (s0 + nb);
    const qGm = hist[ms], qHm = hist[ms + 1];
    // Forward: left = bins ≤ i, missing right.
    let qgl = 0, qhl = 0;
    for (let i = 0; i < nb; i++) {
      const o = ho + 2 * (s0 + i);
      qgl += hist[o];
      qhl += hist[o + 1];
      const hl = qhl * sh;
      if (hl < mcw) continue;
      const hr = (qH - qhl) * sh;
      if (hr < mcw) break;
      const gl = qgl * sg;
      const loss = Math.fround(calcGain(gl, hl, lambda, alpha, mcw, mds) + calcGain(G - gl, hr, lambda, alpha, mcw, mds) - rootGain);
      if (loss > best) {
        best = loss; bf = f; bb = i; bdl = 0; bgl = qgl; bhl = qhl;
      }
    }
    if (qGm === 0 && qHm === 0) continue;
    // Backward: right = bins ≥ i, left = bins < i plus missing.
    let qgr = 0, qhr = 0;
    for (let i = nb - 1; i >= 0; i--) {
      const o = ho + 2 * (s0 + i);
      qgr += hist[o];
      qhr += hist[o + 1];
      const hr = qhr * sh;
      if (hr < mcw) continue;
      const hl = (qH - qhr) * sh;
      if (hl < mcw) break;
      const gr = qgr * sg;
      const loss = Math.fround(calcGain(G - gr, hl, lambda, alpha, mcw, mds) + calcGain(gr, hr, lambda, alpha, mcw, mds) - rootGain);
      if (loss > best) {
        best = loss; bf = f; bb = i - 1; bdl = 1; bgl = qG - qgr; bhl = qH - qhr;
      }
    }
  }
  out[oo + R_LOSS] = bf < 0 ? -Infinity : best;
  out[oo + R_FEAT] = bf;
  out[oo + R_BIN] = bb;
  out[oo + R_DLEFT] = bdl;
  out[oo + R_QGL] = bgl;
  out[oo + R_QHL] = bhl;
  out[oo + R_QG] = qG;
  out[oo + R_QH] = qH;
}
