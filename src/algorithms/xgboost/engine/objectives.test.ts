import { describe, expect, it } from 'vitest';
import { baseMargin, computeGradients, defaultMetric, OBJ_CODE, transformMargins } from './objectives.js';
import type { Objective } from '../model.js';

function grads(obj: Objective, margins: number[], labels: number[], opts: { K?: number; spw?: number; mds?: number; weights?: number[] } = {}) {
  const K = opts.K ?? 1;
  const n = labels.length;
  const grad = new Float64Array(2 * n * K);
  const max = new Float64Array(2 * K);
  computeGradients(OBJ_CODE[obj], K, n, Float64Array.from(margins), Float32Array.from(labels), Float32Array.from(opts.weights ?? labels.map(() => 1)), grad, 0, n, opts.spw ?? 1, opts.mds ?? 0, max, 0);
  return { grad, max };
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

describe('gradients and hessians', () => {
  it('binary:logistic with scale_pos_weight and weights', () => {
    const { grad, max } = grads('binary:logistic', [0.3, -1.2], [1, 0], { spw: 3, weights: [2, 0.5] });
    const p0 = sigmoid(0.3), p1 = sigmoid(-1.2);
    expect(grad[0]).toBeCloseTo((p0 - 1) * 6, 12);
    expect(grad[1]).toBeCloseTo(p0 * (1 - p0) * 6, 12);
    expect(grad[2]).toBeCloseTo(p1 * 0.5, 12);
    expect(grad[3]).toBeCloseTo(p1 * (1 - p1) * 0.5, 12);
    expect(max[0]).toBeCloseTo(Math.abs((p0 - 1) * 6), 12);
  });

  it('reg:squarederror, reg:absoluteerror, count:poisson', () => {
    let { grad } = grads('reg:squarederror', [2.5], [1]);
    expect([grad[0], grad[1]]).toEqual([1.5, 1]);
    ({ grad } = grads('reg:absoluteerror', [0.5, 3], [1, 1]));
    expect([grad[0], grad[1], grad[2], grad[3]]).toEqual([-1, 1, 1, 1]);
    ({ grad } = grads('count:poisson', [0.2], [3], { mds: 0.7 }));
    expect(grad[0]).toBeCloseTo(Math.exp(0.2) - 3, 12);
    expect(grad[1]).toBeCloseTo(Math.exp(0.2 + 0.7), 12);
  });

  it('reg:logistic and binary:logitraw share the logistic gradient', () => {
    for (const obj of ['reg:logistic', 'binary:logitraw'] as const) {
      const { grad } = grads(obj, [0.7], [0.25]);
      const p = sigmoid(0.7);
      expect(grad[0]).toBeCloseTo(p - 0.25, 12);
      expect(grad[1]).toBeCloseTo(p * (1 - p), 12);
    }
  });

  it('multi:softprob: softmax gradient, hessian 2p(1-p), one block per class', () => {
    const m = [0.1, 1.0, -0.5];
    const { grad } = grads('multi:softprob', m, [1], { K: 3 });
    const e = m.map(Math.exp);
    const s = e.reduce((a, b) => a + b);
    for (let k = 0; k < 3; k++) {
      const p = e[k] / s;
      expect(grad[2 * k]).toBeCloseTo(k === 1 ? p - 1 : p, 12);
      expect(grad[2 * k + 1]).toBeCloseTo(2 * p * (1 - p), 12);
    }
  });

  it('base margins and default metrics follow XGBoost 1.7', () => {
    expect(baseMargin('binary:logistic', 0.5)).toBeCloseTo(0, 12);
    expect(baseMargin('count:poisson', 2)).toBeCloseTo(Math.log(2), 12);
    expect(baseMargin('reg:squarederror', 0.5)).toBe(0.5);
    expect(defaultMetric('binary:logistic')).toBe('logloss');
    expect(defaultMetric('reg:absoluteerror')).toBe('mae');
    expect(defaultMetric('count:poisson')).toBe('poisson-nloglik');
    expect(defaultMetric('multi:softmax')).toBe('mlogloss');
    const p = transformMargins('multi:softprob', Float64Array.from([0, Math.log(3)]), 1, 2);
    expect(p[1]).toBeCloseTo(0.75, 12);
  });
});
