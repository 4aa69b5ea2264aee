import { afterAll, describe, expect, it } from 'vitest';
import { PlatformError } from '../../core/errors.js';
import { usableTreeCount, type BoosterModel } from './model.js';
import { baseMarginOf, compileForest, MAX_HEAP_DEPTH, predict, predictionWidth, predictMargin, setPredictWasm } from './predict.js';
import { closePredictPool, PARALLEL_MIN_WORK, predictParallel } from './predict/parallel.js';
import { buildTree, handBuiltModel, handBuiltRows, type NodeSpec } from './testdata/hand-built.js';
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

/** A seeded generator in [0, 1). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
}

/**
 * Random trees over `m` features: complete-ish shallow ones (heap layout), sparse and deep ones
 * (pointer layout, deeper than MAX_HEAP_DEPTH), single leaves; random default directions.
 */
function randomModel(seed: number, trees: number, m: number, objective: 'reg:squarederror' | 'multi:softprob' = 'reg:squarederror', k = 1): BoosterModel {
  const rand = rng(seed);
  const spec = (depth: number, maxDepth: number, pSplit: number): NodeSpec =>
    depth < maxDepth && rand() < pSplit
      ? { f: Math.floor(rand() * m), t: Math.fround(rand() * 2 - 1), missingLeft: rand() < 0.5, yes: spec(depth + 1, maxDepth, pSplit), no: spec(depth + 1, maxDepth, pSplit) }
      : { leaf: Math.fround((rand() - 0.5) * 3) };
  const chain = (depth: number): NodeSpec =>
    depth === 0 ? { leaf: Math.fround(rand()) } : { f: Math.floor(rand() * m), t: Math.fround(rand() - 0.5), missingLeft: rand() < 0.5, yes: { leaf: Math.fround(rand() - 0.5) }, no: chain(depth - 1) };
  const list: BoosterModel['trees'] = [];
  for (let t = 0; t < trees; t++) {
    const kind = t % 5;
    list.push(buildTree(kind === 0 ? chain(MAX_HEAP_DEPTH + 3) : kind === 1 ? { leaf: 0.5 } : spec(0, 2 + (t % 7), kind === 2 ? 1 : 0.8)));
  }
  return { objective, numClass: k, numFeature: m, baseScore: 0.5, trees: list, treeGroup: Int32Array.from(list, (_, t) => t % k) };
}

/** rows × m values in [-1, 1), a fraction of them NaN. */
function randomRows(seed: number, rows: number, m: number, missing: number): Float32Array {
  const rand = rng(seed);
  return Float32Array.from({ length: rows * m }, () => (rand() < missing ? NaN : rand() * 2 - 1));
}

describe('xgboost predict', () => {
  afterAll(() => closePredictPool());

  it('scores heap and pointer trees, with and without missing values, exactly as a plain walk, in WebAssembly and in JS', () => {
    for (const [objective, k] of [['reg:squarederror', 1], ['multi:softprob', 3]] as const) {
      const model = randomModel(7 + k, 40, 9, objective, k);
      const heapOnly = { ...model, trees: model.trees.filter((_, t) => t % 5 !== 0), treeGroup: model.treeGroup.filter((_, t) => t % 5 !== 0) };
      for (const m of [model, heapOnly]) {
        const forest = compileForest(m);
        expect(Array.from(forest.depth).some((d) => d < 0)).toBe(m === model);
        setPredictWasm(false);
        const jsForest = compileForest(m);
        setPredictWasm(true);
        // 1237 rows: several blocks and a ragged tail; the NaN-free run uses the branch-free step.
        for (const missing of [0, 0.2]) {
          const x = randomRows(3, 1237, 9, missing);
          const expected = Array.from(naiveMargins(m, x));
          expect(Array.from(predictMargin(forest, x))).toEqual(expected);
          expect(Array.from(predictMargin(jsForest, x))).toEqual(expected);
          expect(Array.from(predictMargin(forest, Float64Array.from(x)))).toEqual(expected);
          // One row at a time, as the endpoints call it.
          const one = new Float64Array(k);
          for (let r = 0; r < 20; r++) expect(Array.from(predictMargin(forest, x.subarray(r * 9, r * 9 + 9), one))).toEqual(expected.slice(r * k, r * k + k));
        }
      }
    }
  });

  it('predictParallel splits a large batch across worker threads and returns what predict does', async () => {
    const model = randomModel(11, 60, 12, 'multi:softprob', 3);
    const forest = compileForest(model);
    const rows = Math.ceil((1.5 * PARALLEL_MIN_WORK) / 60);
    const x = randomRows(5, rows, 12, 0.05);
    const expected = predict(forest, x);
    expect(Array.from(await predictParallel(forest, x, undefined, 2))).toEqual(Array.from(expected));
    const out = new Float64Array(rows * 3);
    expect(await predictParallel(forest, Float64Array.from(x), out, 3)).toBe(out);
    expect(Array.from(out)).toEqual(Array.from(expected));
    const softmax = compileForest({ ...model, objective: 'multi:softmax' });
    expect(Array.from(await predictParallel(softmax, x, undefined, 2))).toEqual(Array.from(predict(softmax, x)));
    // Small batches stay in the calling thread.
    expect(Array.from(await predictParallel(forest, x.subarray(0, 120)))).toEqual(Array.from(expected.subarray(0, 30)));
  }, 60_000);

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
