import { describe, expect, it } from 'vitest';
import { pickVariant } from './router.js';

describe('pickVariant', () => {
  it('splits traffic by weight', () => {
    const counts = [0, 0, 0];
    const n = 100_000;
    for (let i = 0; i < n; i++) counts[pickVariant([1, 3, 0], (i + 0.5) / n)]++;
    expect(counts[0] / n).toBeCloseTo(0.25, 2);
    expect(counts[1] / n).toBeCloseTo(0.75, 2);
    expect(counts[2]).toBe(0);
  });

  it('never picks a zero-weight variant, even at the edges', () => {
    expect(pickVariant([0, 2], 0)).toBe(1);
    expect(pickVariant([2, 0], 0.999999)).toBe(0);
  });

  it('answers -1 when nothing can take traffic', () => {
    expect(pickVariant([0, 0], 0.5)).toBe(-1);
    expect(pickVariant([], 0.5)).toBe(-1);
  });
});
