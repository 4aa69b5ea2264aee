import { describe, expect, it } from 'vitest';
import { createRng } from '../../kernels/rng.js';
import { calcGain, calcWeight, findBestSplit, R_BIN, R_DLEFT, R_FEAT, R_LOSS, R_QGL, R_QHL, RS } from './split.js';

/** Brute force over every (feature, threshold, missing direction) with XGBoost's formulas. */
function bruteForce(hist: Float64Array, off: Int32Array, cols: number, lambda: number, alpha: number, mcw: number, mds: number) {
  let G = 0, H = 0;
  for (let s = off[0]; s < off[1]; s++) {
    G += hist[2 * s];
    H += hist[2 * s + 1];
  }
  const root = calcGain(G, H, lambda, alpha, mcw, mds);
  let best = { loss: -Infinity, f: -1, bin: 0, dl: 0, gl: 0 };
  for (let f = 0; f < cols; f++) {
    const nb = off[f + 1] - off[f] - 1;
    const gm = hist[2 * (off[f] + nb)], hm = hist[2 * (off[f] + nb) + 1];
    const hasMissing = gm !== 0 || hm !== 0;
    for (const dl of hasMissing ? [0, 1] : [0]) {
      for (let sb = dl ? -1 : 0; sb < (dl ? nb - 1 : nb); sb++) {
        let gl = dl ? gm : 0, hl = dl ? hm : 0;
        for (let i = 0; i <= sb; i++) {
          gl += hist[2 * (off[f] + i)];
          hl += hist[2 * (off[f] + i) + 1];
        }
        if (hl < mcw || H - hl < mcw) continue;
        const loss = Math.fround(calcGain(gl, hl, lambda, alpha, mcw, mds) + calcGain(G - gl, H - hl, lambda, alpha, mcw, mds) - root);
        if (loss > best.loss) best = { loss, f, bin: sb, dl, gl };
      }
    }
  }
  return best;
}

describe('split finding', () => {
  it('matches a brute-force search (with missing values, L1, max_delta_step, min_child_weight)', () => {
    const rng = createRng(7);
    for (let trial = 0; trial < 40; trial++) {
      const cols = 3;
      const nbs = [5, 1 + (trial % 7), 9];
      const off = new Int32Array(cols + 1);
      for (let f = 0; f < cols; f++) off[f + 1] = off[f] + nbs[f] + 1;
      const hist = new Float64Array(2 * off[cols]);
      // Same rows in every feature: draw per-row (g, h) and bins.
      for (let r = 0; r < 60; r++) {
        const g = Math.round((rng.next() - 0.5) * 64), h = 1 + Math.round(rng.next() * 8);
        for (let f = 0; f < cols; f++) {
          const missing = trial % 3 !== 0 && rng.next() < 0.2;
          const b = missing ? nbs[f] : Math.floor(rng.next() * nbs[f]);
          hist[2 * (off[f] + b)] += g;
          hist[2 * (off[f] + b) + 1] += h;
        }
      }
      const lambda = trial % 2 ? 1 : 0.3, alpha = trial % 4 === 1 ? 2 : 0, mcw = trial % 5 === 0 ? 20 : 1, mds = trial % 6 === 2 ? 0.7 : 0;
      const out = new Float64Array(RS);
      findBestSplit(hist, 0, cols, off, new Uint8Array(cols).fill(1), 0, 1, 1, lambda, alpha, mcw, mds, out, 0);
      const ref = bruteForce(hist, off, cols, lambda, alpha, mcw, mds);
      expect(out[R_LOSS]).toBe(ref.loss);
      if (ref.f >= 0) {
        expect([out[R_FEAT], out[R_BIN], out[R_DLEFT], out[R_QGL]]).toEqual([ref.f, ref.bin, ref.dl, ref.gl]);
      }
    }
  });

  it('gain and weight formulas', () => {
    // G²/(H+λ) without L1 and max_delta_step; L1 shrinks |G| by alpha.
    expect(calcGain(4, 3, 1, 0, 1, 0)).toBe(4);
    expect(calcGain(4, 3, 1, 2, 1, 0)).toBe(1);
    expect(calcWeight(4, 3, 1, 0, 1, 0)).toBe(-1);
    expect(calcWeight(4, 3, 1, 0, 1, 0.5)).toBe(-0.5);
    expect(calcWeight(4, 0.5, 1, 0, 1, 0)).toBe(0); // below min_child_weight
  });

  it('skips masked features', () => {
    const off = Int32Array.from([0, 3, 6]);
    const hist = Float64Array.from([-5, 2, 5, 2, 0, 0, -1, 2, 1, 2, 0, 0]);
    const out = new Float64Array(RS);
    findBestSplit(hist, 0, 2, off, Uint8Array.from([0, 1]), 0, 1, 1, 1, 0, 0, 0, out, 0);
    expect(out[R_FEAT]).toBe(1);
    expect(out[R_QHL]).toBe(2);
  });
});
