import { describe, expect, it } from 'vitest';
import { holdoutSplit, kfoldAssign } from './split.js';

const labels = Float64Array.from({ length: 103 }, (_, i) => (i % 10 < 3 ? 1 : 0));

describe('evaluation splits', () => {
  it('hold-out is seeded, deterministic and stratified', () => {
    const a = holdoutSplit(labels, { testShare: 0.2, stratified: true, seed: 7 });
    expect(holdoutSplit(labels, { testShare: 0.2, stratified: true, seed: 7 })).toEqual(a);
    expect(holdoutSplit(labels, { testShare: 0.2, stratified: true, seed: 8 })).not.toEqual(a);
    const pos = labels.filter((l) => l === 1).length;
    const testPos = labels.filter((l, i) => l === 1 && a[i] === 1).length;
    expect(testPos).toBe(Math.round(pos * 0.2));
    expect(a.reduce((s, t) => s + t, 0)).toBe(Math.round(pos * 0.2) + Math.round((103 - pos) * 0.2));
  });

  it('k-fold gives every row one fold, balanced per class', () => {
    const folds = kfoldAssign(labels, { k: 5, stratified: true, seed: 1 });
    expect(kfoldAssign(labels, { k: 5, stratified: true, seed: 1 })).toEqual(folds);
    const sizes = [0, 0, 0, 0, 0];
    const positives = [0, 0, 0, 0, 0];
    folds.forEach((f, i) => {
      sizes[f]++;
      positives[f] += labels[i];
    });
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    expect(Math.max(...positives) - Math.min(...positives)).toBeLessThanOrEqual(1);
    expect(() => kfoldAssign(new Float64Array(3), { k: 5, stratified: false, seed: 1 })).toThrow(/at least 5 rows/);
  });
});
