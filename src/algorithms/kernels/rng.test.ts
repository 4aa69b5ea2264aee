import { describe, expect, it } from 'vitest';
import { blockShuffleImpl, createRng, normalSample, randomIndex, sampleIndicesImpl, shuffleImpl } from './rng.js';

const isPermutation = (a: Uint32Array) => Array.from(a).sort((x, y) => x - y).every((v, i) => v === i);

describe('rng', () => {
  it('repeats its sequence for equal seeds and differs across seeds', () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    const sa = Array.from({ length: 5 }, () => a.nextU32());
    expect(Array.from({ length: 5 }, () => b.nextU32())).toEqual(sa);
    expect(Array.from({ length: 5 }, () => c.nextU32())).not.toEqual(sa);
  });

  it('draws doubles in [0, 1) with the right mean and normals with unit variance', () => {
    const rng = createRng(7);
    let sum = 0;
    let sq = 0;
    let outside = 0;
    const n = 100_000;
    for (let i = 0; i < n; i++) {
      const u = rng.next();
      if (!(u >= 0 && u < 1)) outside++;
      sum += u;
      const z = normalSample(rng);
      sq += z * z;
    }
    expect(outside).toBe(0);
    expect(sum / n).toBeCloseTo(0.5, 2);
    expect(sq / n).toBeCloseTo(1, 1);
  });

  it('draws unbiased indices', () => {
    const rng = createRng(1);
    const counts = new Array(3).fill(0);
    for (let i = 0; i < 30_000; i++) counts[randomIndex(rng, 3)]++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(400);
  });

  it('shuffles into a permutation, reproducibly', () => {
    const a = Uint32Array.from({ length: 1000 }, (_, i) => i);
    const b = a.slice();
    shuffleImpl(a, createRng(3));
    shuffleImpl(b, createRng(3));
    expect(isPermutation(a)).toBe(true);
    expect(a).toEqual(b);
    expect(Array.from(a.subarray(0, 10))).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('block-shuffles into a permutation of contiguous runs, with a short last block', () => {
    const order = new Uint32Array(103);
    blockShuffleImpl(order, 103, 10, createRng(5));
    expect(isPermutation(order)).toBe(true);
    for (let k = 0; k < 103; k++) {
      const r = order[k];
      if (r % 10 !== 0) expect(order[k - 1]).toBe(r - 1);
    }
  });
});

describe('sampleIndicesImpl', () => {
  it('draws k distinct indices, or all of them when k ≥ n', () => {
    const s = sampleIndicesImpl(1000, 100, createRng(2));
    expect(new Set(s).size).toBe(100);
    expect(Math.max(...s)).toBeLessThan(1000);
    expect(Array.from(sampleIndicesImpl(3, 5, createRng(2)))).toEqual([0, 1, 2]);
  });
});
