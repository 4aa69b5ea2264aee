import { describe, expect, it } from 'vitest';
import { binaryBatchImpl, LossCode, regressionBatchImpl, rowAxpy, rowDot, softmaxBatchImpl } from './linear-batch.js';
import { createRng } from './rng.js';

const rng = createRng(11);
const n = 40;
const d = 5;
const x = Float64Array.from({ length: n * d }, () => rng.next() * 2 - 1);
const order = Uint32Array.from({ length: n }, (_, i) => (i * 7) % n);
const randomParams = (len: number) => Float64Array.from({ length: len }, () => rng.next() - 0.5);

/** Central finite differences of `lossOf` at each parameter. */
function numericGrad(params: Float64Array, lossOf: (p: Float64Array) => number): Float64Array {
  const h = 1e-6;
  return Float64Array.from(params, (_, j) => {
    const plus = params.slice();
    const minus = params.slice();
    plus[j] += h;
    minus[j] -= h;
    return (lossOf(plus) - lossOf(minus)) / (2 * h);
  });
}

function expectCloseArrays(a: Float64Array, b: Float64Array, tol: number): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(tol * (1 + Math.abs(b[i])));
}

describe('row helpers', () => {
  it('dot and axpy agree with plain loops for every remainder of 4', () => {
    for (const len of [1, 3, 4, 7, 9]) {
      const w = randomParams(len + 2);
      const v = randomParams(len + 3);
      let want = 0.5;
      for (let j = 0; j < len; j++) want += w[2 + j] * v[3 + j];
      expect(rowDot(w, 2, v, 3, len, 0.5)).toBeCloseTo(want, 12);
      const acc = new Float64Array(len + 1);
      rowAxpy(acc, 1, 2, v, 3, len);
      expect(Array.from(acc.subarray(1))).toEqual(Array.from(v.subarray(3, 3 + len), (e) => 2 * e));
    }
  });
});

describe('binaryBatchImpl', () => {
  const y = Float64Array.from({ length: n }, (_, i) => (x[i * d] + 0.3 * x[i * d + 1] > 0 ? 1 : 0));
  for (const [name, loss] of [['logistic', LossCode.logistic], ['hinge', LossCode.hinge]] as const) {
    it(`returns the exact gradient of its ${name} loss sum, with class weights`, () => {
      const params = randomParams(d + 1);
      const grad = new Float64Array(d + 1);
      const stats = new Float64Array(4);
      const run = (p: Float64Array) => {
        binaryBatchImpl(x, d, y, order, 3, 37, p.subarray(0, d), p[d], loss, 1, 0.7, 1.9, grad, stats);
        return stats[0];
      };
      const numeric = numericGrad(params, run);
      run(params);
      expectCloseArrays(grad, numeric, 1e-5);
    });
  }

  it('counts rows classified correctly by the sign of z', () => {
    const w = Float64Array.from([10, 3, 0, 0, 0]);
    const grad = new Float64Array(d + 1);
    const stats = new Float64Array(4);
    binaryBatchImpl(x, d, y, order, 0, n, w, 0, LossCode.logistic, 1, 1, 1, grad, stats);
    expect(stats[1]).toBe(n);
  });
});

describe('regressionBatchImpl', () => {
  const y = Float64Array.from({ length: n }, (_, i) => 3 + 2 * x[i * d] - x[i * d + 2] + 0.1 * rng.next());
  const losses = [LossCode.squared, LossCode.absolute, LossCode.epsSquared, LossCode.epsAbsolute, LossCode.quantile, LossCode.huber];
  for (const loss of losses) {
    it(`returns the exact gradient of loss code ${loss} on normalized targets`, () => {
      const params = randomParams(d + 1);
      const grad = new Float64Array(d + 1);
      const stats = new Float64Array(4);
      const run = (p: Float64Array) => {
        regressionBatchImpl(x, d, y, 3, 0.5, order, 0, n, p.subarray(0, d), p[d], loss, loss === LossCode.quantile ? 0.3 : 0.2, grad, stats);
        return stats[0];
      };
      const numeric = numericGrad(params, run);
      run(params);
      expectCloseArrays(grad, numeric, 1e-5);
      expect(stats[1]).toBeGreaterThan(0);
    });
  }
});

describe('softmaxBatchImpl', () => {
  const K = 3;
  const y = Float64Array.from({ length: n }, (_, i) => i % K);
  it('returns the exact gradient of its weighted cross-entropy sum', () => {
    const params = randomParams(K * d + K);
    const grad = new Float64Array(K * d + K);
    const stats = new Float64Array(4);
    const scratch = new Float64Array(K);
    const weights = Float64Array.from([1, 2, 0.5]);
    const run = (p: Float64Array) => {
      softmaxBatchImpl(x, d, K, y, order, 0, n, p.subarray(0, K * d), p.subarray(K * d), weights, grad, stats, scratch);
      return stats[0];
    };
    const numeric = numericGrad(params, run);
    run(params);
    expectCloseArrays(grad, numeric, 1e-5);
  });

  it('keeps the loss finite for extreme logits', () => {
    const params = new Float64Array(K * d + K);
    params[K * d] = 1000;
    const stats = new Float64Array(4);
    softmaxBatchImpl(x, d, K, y, order, 0, n, params.subarray(0, K * d), params.subarray(K * d), new Float64Array(K).fill(1), new Float64Array(K * d + K), stats, new Float64Array(K));
    expect(Number.isFinite(stats[0])).toBe(true);
  });
});
