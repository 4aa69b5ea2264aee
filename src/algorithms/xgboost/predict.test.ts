import { describe, expect, it } from 'vitest';
import { PlatformError } from '../../core/errors.js';
import { usableTreeCount, type BoosterModel } from './model.js';
import { baseMarginOf, compileForest, predict, predictionWidth, predictMargin } from './predict.js';
import { buildTree, handBuiltModel, handBuiltRows } from './testdata/hand-built.js';
import { maxAbsDiff } from './testdata/peer.js';

/** A plain recursive walk, the definition the compiled forest must match. */
function naiveMargins(model: BoosterModel, x: ArrayLike<number>): Float64Array {
  const m = model.numFeature;
  const G = model.numClass > 1 ? model.numClass : 1;
  const rows = x.length / m;
  const out = new Float64Array(rows * G).fill(Math.fround(baseMarginOf(model.objective, model.baseScore)));
  for (let t = 0; t < usableTreeCount(model); t++) {
    const tree = model.trees[t];
    for (let r = 0; r < rows; r++) {
      let n = 0;
      while (tree.left[n] !== -1) {
        const v = Math.fround(x[r * m + tree.splitFeature[n]]);
        n = Number.isNaN(v) ? (tree.defaultLeft[n] ? tree.left[n] : tree.right[n]) : v < tree.threshold[n] ? tree.left[n] : tree.right[n];
      }
      out[r * G + model.treeGroup[t]] = Math.fround(out[r * G + model.treeGroup[t]] + tree.leafValue[n]);
    }
  }
  return out;
}

const stumpModel = (missingLeft: boolean): BoosterModel => ({
  objective: 'reg:squarederror',
  numClass: 1,
  numFeature: 2,
  baseScore: 0,
  trees: [buildTree({ f: 1, t: 0.1, missingLeft, yes: { leaf: -1 }, no: { leaf: 1 } })],
  treeGroup: Int32Array.of(0),
});

describe('xgboost predict', () => {
  it('goes left only when x < threshold, compared in float32, and sends NaN the default way', () => {
    const x = Float64Array.from([9, 0.09, 9, 0.1, 9, 0.2, 9, NaN]);
    expect(Array.from(predict(compileForest(stumpModel(true)), x))).toEqual([-1, 1, 1, -1]);
    expect(Array.from(predict(compileForest(stumpModel(false)), x))).toEqual([-1, 1, 1, 1]);
    // 0.1 as a double is below float32(0.1), yet XGBoost rounds the feature to float32 first.
    expect(0.1 < Math.fround(0.1)).toBe(true);
  });

  it('matches a plain tree walk for every objective, over more rows than one block', () => {
    const rows = handBuiltRows();
    const many = new Float32Array(rows.length * 25);
    for (let i = 0; i < 25; i++) many.set(rows.map((v) => v * (1 + i / 10)), i * rows.length);
    for (const [objective, k] of [['reg:squarederror', 1], ['binary:logistic', 1], ['multi:softprob', 3], ['count:poisson', 1]] as const) {
      const model = handBuiltModel(objective, k);
      const forest = compileForest(model);
      expect(maxAbsDiff(predictMargin(forest, many), naiveMargins(model, many))).toBeLessThan(1e-12);
      expect(maxAbsDiff(predictMargin(forest, Float64Array.from(many)), naiveMargins(model, many))).toBeLessThan(1e-12);
    }
  });

  it('maps the margin through the objective, from a base margin in margin space', () => {
    const x = handBuiltRows();
    const cases = [
      ['binary:logistic', (m: number) => 1 / (1 + Math.exp(-m))],
      ['reg:logistic', (m: number) => 1 / (1 + Math.exp(-m))],
      ['binary:logitraw', (m: number) => m],
      ['count:poisson', Math.exp],
      ['reg:squarederror', (m: number) => m],
      ['reg:absoluteerror', (m: number) => m],
    ] as const;
    for (const [objective, link] of cases) {
      const model = { ...handBuiltModel(objective), baseScore: 0.8 };
      const forest = compileForest(model);
      const margin = objective.includes('logistic') ? Math.log(4) : objective === 'count:poisson' ? Math.log(0.8) : 0.8;
      expect(forest.baseMargin).toBe(Math.fround(margin));
      const expected = naiveMargins(model, x).map(link);
      expect(maxAbsDiff(predict(forest, x), expected)).toBeLessThan(1e-12);
    }
  });

  it('gives softmax probabilities for multi:softprob and the argmax class for multi:softmax', () => {
    const x = handBuiltRows();
    const model = handBuiltModel('multi:softprob', 3);
    const margins = naiveMargins(model, x);
    const probs = predict(compileForest(model), x);
    const labels = predict(compileForest({ ...model, objective: 'multi:softmax' }), x);
    expect(predictionWidth(model)).toBe(3);
    expect(probs.length).toBe(margins.length);
    for (let r = 0; r < labels.length; r++) {
      const row = Array.from(margins.subarray(r * 3, r * 3 + 3));
      const z = row.reduce((s, v) => s + Math.exp(v), 0);
      row.forEach((v, j) => expect(probs[r * 3 + j]).toBeCloseTo(Math.exp(v) / z, 12));
      expect(labels[r]).toBe(row.indexOf(Math.max(...row)));
    }
  });

  it('uses the rounds up to bestIteration only', () => {
    const x = handBuiltRows();
    const model = handBuiltModel('multi:softprob', 3);
    const firstRound = { ...model, trees: model.trees.slice(0, 3), treeGroup: model.treeGroup.slice(0, 3) };
    const best = compileForest({ ...model, bestIteration: 0 });
    expect(best.treeCount).toBe(3);
    expect(Array.from(predictMargin(best, x))).toEqual(Array.from(predictMargin(compileForest(firstRound), x)));
  });

  it('handles a tree that is a single leaf and writes into a caller buffer', () => {
    const model = handBuiltModel('reg:squarederror');
    const single = { ...model, trees: [buildTree({ leaf: 0.25 })], treeGroup: Int32Array.of(0) };
    const out = new Float64Array(4).fill(7);
    expect(Array.from(predict(compileForest(single), new Float32Array(6), out))).toEqual([1.75, 1.75, 7, 7]);
  });

  it('rejects features that do not fill whole rows, and splits on features the model lacks', () => {
    const forest = compileForest(handBuiltModel('reg:squarederror'));
    expect(() => predict(forest, new Float32Array(4))).toThrow(PlatformError);
    expect(() => predict(forest, new Float32Array(4))).toThrow(/not a multiple of numFeature 3/);
    expect(() => compileForest({ ...stumpModel(true), numFeature: 1 })).toThrow(/feature 1, outside 0..0/);
  });
});
