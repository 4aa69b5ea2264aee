import { describe, expect, it } from 'vitest';
import { columnMomentsImpl, standardizeImpl } from './standardize.js';

describe('standardize kernels', () => {
  it('computes population moments per column, ignoring NaN', () => {
    const x = Float64Array.from([1, 10, 2, NaN, 3, 30, 4, 40]);
    const mean = new Float64Array(2);
    const std = new Float64Array(2);
    columnMomentsImpl(x, 4, 2, mean, std);
    expect(Array.from(mean)).toEqual([2.5, 80 / 3]);
    expect(std[0]).toBeCloseTo(Math.sqrt(1.25), 12);
    expect(std[1]).toBeCloseTo(Math.sqrt(((10 - 80 / 3) ** 2 + (30 - 80 / 3) ** 2 + (40 - 80 / 3) ** 2) / 3), 12);
  });

  it('stays accurate when the mean dwarfs the spread', () => {
    const x = Float64Array.from([1e9 + 1, 1e9 + 2, 1e9 + 3]);
    const mean = new Float64Array(1);
    const std = new Float64Array(1);
    columnMomentsImpl(x, 3, 1, mean, std);
    expect(std[0]).toBeCloseTo(Math.sqrt(2 / 3), 9);
  });

  it('gives an all-NaN column mean 0 and std 0', () => {
    const mean = new Float64Array(1);
    const std = new Float64Array(1);
    columnMomentsImpl(Float64Array.from([NaN, NaN]), 2, 1, mean, std);
    expect([mean[0], std[0]]).toEqual([0, 0]);
  });

  it('standardizes in place and imputes NaN', () => {
    const x = Float64Array.from([1, NaN, 3, 8]);
    standardizeImpl(x, 2, 2, Float64Array.from([2, 6]), Float64Array.from([2, 4]), Float64Array.from([1, 0.5]));
    expect(Array.from(x)).toEqual([-1, 1, 1, 2]);
  });
});
