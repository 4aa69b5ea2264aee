import { describe, expect, it } from 'vitest';
import { adamStepImpl, regularizedGradImpl, rmspropStepImpl, sgdStepImpl, type ParamScales } from './optimizers.js';

const scales = (n: number, l1 = 0): ParamScales => ({
  lrScale: new Float64Array(n).fill(1),
  wd: new Float64Array(n),
  l1: new Float64Array(n).fill(l1),
});

describe('optimizers', () => {
  it('averages the gradient and adds weight decay', () => {
    const g = Float64Array.from([4, -2]);
    regularizedGradImpl(Float64Array.from([1, 2]), g, 0.5, Float64Array.from([0.1, 0]));
    expect(Array.from(g)).toEqual([2.1, -1]);
  });

  it('moves every weight by about the learning rate on the first Adam step', () => {
    const p = Float64Array.from([0, 0, 1]);
    adamStepImpl(p, Float64Array.from([3, -0.001, 0]), new Float64Array(3), new Float64Array(3), scales(3), 0.1, 0.9, 0.999, 1);
    expect(p[0]).toBeCloseTo(-0.1, 6);
    expect(p[1]).toBeCloseTo(0.1, 4);
    expect(p[2]).toBe(1);
  });

  it('soft-thresholds weights with L1 and leaves a zero-scale parameter alone', () => {
    const p = Float64Array.from([0.05, 1]);
    const s = scales(2, 1);
    s.lrScale[1] = 0;
    sgdStepImpl(p, new Float64Array(2), new Float64Array(2), s, 0.1, 0);
    expect(Array.from(p)).toEqual([0, 1]);
  });

  it('descends a quadratic with each optimizer', () => {
    for (const kind of ['adam', 'rmsprop', 'sgd'] as const) {
      const p = Float64Array.from([5, -3]);
      const m = new Float64Array(2);
      const v = new Float64Array(2);
      for (let t = 1; t <= 2000; t++) {
        const g = Float64Array.from(p, (w) => 2 * w);
        if (kind === 'adam') adamStepImpl(p, g, m, v, scales(2), 0.05, 0.9, 0.999, t);
        else if (kind === 'rmsprop') rmspropStepImpl(p, g, v, scales(2), 0.01, 0.9);
        else sgdStepImpl(p, g, m, scales(2), 0.01, 0.9);
      }
      expect(Math.abs(p[0]) + Math.abs(p[1])).toBeLessThan(0.05);
    }
  });
});
