/**
 * Batch prediction for a {@link BoosterModel}: the usable trees are flattened once into one
 * interleaved typed-array node table (`compileForest`), then rows are scored in blocks, tree by
 * tree, with no per-row allocation.
 */
import { validationError } from '../../core/errors.js';
import { treesPerRound, usableTreeCount, type BoosterModel, type Objective, type Tree } from './model.js';

/** Int32 slots per internal node in {@link CompiledForest.nodes}. */
const STRIDE = 5;
/** Slot offsets: split feature, child when `x < threshold`, child otherwise, child when missing, threshold bits. */
const FEATURE = 0;
const LEFT = 1;
const RIGHT = 2;
const MISSING = 3;
const THRESHOLD = 4;
/**
 * Rows scored together, so the block's features (about 64 KiB of them) stay in cache while every
 * tree walks them.
 */
const blockRows = (numFeature: number) => Math.max(16, Math.min(512, Math.floor(16384 / numFeature)));

/**
 * The trees of a model flattened for prediction. Internal nodes of all trees share one table;
 * a child (or a tree's root) that is a leaf is stored as `~leafIndex` (negative), so the walk
 * stops on a sign test and reads the leaf's value from `leafValue`.
 */
export interface CompiledForest {
  objective: Objective;
  numFeature: number;
  /** Output groups: the number of classes for multi:*, 1 otherwise. */
  numGroup: number;
  /** The starting margin of every group (baseScore mapped into margin space, as a float32). */
  baseMargin: number;
  treeCount: number;
  /** Per tree: index of its root in the node table, or `~leaf` when the tree is a single leaf. */
  root: Int32Array;
  /** Per tree: the output group it adds to. */
  group: Int32Array;
  /** `STRIDE` Int32 slots per internal node; the threshold slot holds float32 bits (see `threshold`). */
  nodes: Int32Array;
  /** A float32 view over the same buffer as `nodes` (the threshold is at slot `THRESHOLD`). */
  threshold: Float32Array;
  leafValue: Float64Array;
}

/**
 * The margin a model starts from, from `baseScore` in the objective's output space: logit for
 * the logistic objectives, log for count:poisson, the value itself otherwise (XGBoost 1.7 uses
 * base_score unchanged for multi:* and binary:logitraw).
 */
export function baseMarginOf(objective: Objective, baseScore: number): number {
  switch (objective) {
    case 'binary:logistic':
    case 'reg:logistic':
      return -Math.log(1 / baseScore - 1);
    case 'count:poisson':
      return Math.log(baseScore);
    default:
      return baseScore;
  }
}

/** Values per row that `predict` returns: numClass for multi:softprob, 1 otherwise. */
export function predictionWidth(model: Pick<BoosterModel, 'objective' | 'numClass'>): number {
  return model.objective === 'multi:softprob' ? model.numClass : 1;
}

/**
 * Flattens the usable trees of `model` (all, or up to `bestIteration`) for prediction.
 * @throws ValidationError when a tree is malformed (a split on a feature ≥ numFeature, a child out of range).
 */
export function compileForest(model: BoosterModel): CompiledForest {
  const treeCount = usableTreeCount(model);
  let internal = 0;
  let leaves = 0;
  for (let t = 0; t < treeCount; t++) {
    const n = model.trees[t].left.length;
    if (n === 0) throw validationError(`tree ${t} has no nodes`);
    for (let i = 0; i < n; i++) model.trees[t].left[i] === -1 ? leaves++ : internal++;
  }
  const buffer = new ArrayBuffer(internal * STRIDE * 4);
  const forest: CompiledForest = {
    objective: model.objective,
    numFeature: model.numFeature,
    numGroup: treesPerRound(model),
    baseMargin: Math.fround(baseMarginOf(model.objective, model.baseScore)),
    treeCount,
    root: new Int32Array(treeCount),
    group: new Int32Array(treeCount),
    nodes: new Int32Array(buffer),
    threshold: new Float32Array(buffer),
    leafValue: new Float64Array(leaves),
  };
  const cursor = { internal: 0, leaf: 0 };
  for (let t = 0; t < treeCount; t++) {
    const g = model.treeGroup[t] ?? 0;
    if (g < 0 || g >= forest.numGroup) throw validationError(`tree ${t} is in group ${g}, outside 0..${forest.numGroup - 1}`);
    forest.group[t] = g;
    forest.root[t] = appendTree(forest, model.trees[t], t, cursor);
  }
  return forest;
}

/** Copies one tree into the node table; returns the encoded root. */
function appendTree(forest: CompiledForest, tree: Tree, t: number, cursor: { internal: number; leaf: number }): number {
  const n = tree.left.length;
  const encoded = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    encoded[i] = tree.left[i] === -1 ? ~cursor.leaf++ : cursor.internal++;
    if (encoded[i] < 0) forest.leafValue[~encoded[i]] = tree.leafValue[i];
  }
  for (let i = 0; i < n; i++) {
    if (encoded[i] < 0) continue;
    const l = tree.left[i];
    const r = tree.right[i];
    const f = tree.splitFeature[i];
    if (l < 0 || l >= n || r < 0 || r >= n) throw validationError(`tree ${t} node ${i} has a child outside 0..${n - 1}`);
    if (f < 0 || f >= forest.numFeature) throw validationError(`tree ${t} node ${i} splits on feature ${f}, outside 0..${forest.numFeature - 1}`);
    const at = encoded[i] * STRIDE;
    forest.nodes[at + FEATURE] = f;
    forest.nodes[at + LEFT] = encoded[l];
    forest.nodes[at + RIGHT] = encoded[r];
    forest.nodes[at + MISSING] = tree.defaultLeft[i] ? encoded[l] : encoded[r];
    forest.threshold[at + THRESHOLD] = tree.threshold[i];
  }
  return encoded[0];
}

function rowCount(forest: CompiledForest, features: Float32Array | Float64Array): number {
  const m = forest.numFeature;
  if (m <= 0) throw validationError('the model has no features');
  if (features.length % m !== 0) {
    throw validationError(`features has ${features.length} values, not a multiple of numFeature ${m}`, { numFeature: m });
  }
  return features.length / m;
}

/**
 * Raw margins: the base margin plus the leaves of every usable tree, per output group, summed
 * in tree order and rounded to float32 after each tree as XGBoost does (with targets in the
 * hundreds, float64 sums drift from XGBoost's by more than 1e-5).
 * @param features row-major, rows × numFeature; NaN marks a missing value. Float64 values are
 *   rounded to float32 first, as XGBoost compares in float32.
 * @param out optional buffer of at least rows × numGroup values.
 * @returns rows × numGroup margins (row-major).
 * @throws ValidationError when `features.length` is not a multiple of numFeature.
 */
export function predictMargin(forest: CompiledForest, features: Float32Array | Float64Array, out?: Float64Array): Float64Array {
  const rows = rowCount(forest, features);
  const margins = out ?? new Float64Array(rows * forest.numGroup);
  if (margins.length < rows * forest.numGroup) throw validationError(`out has ${margins.length} values, needs ${rows * forest.numGroup}`);
  margins.fill(forest.baseMargin, 0, rows * forest.numGroup);
  const m = forest.numFeature;
  const step = blockRows(m);
  const block = features instanceof Float32Array ? undefined : new Float32Array(Math.min(rows, step) * m);
  for (let r0 = 0; r0 < rows; r0 += step) {
    const r1 = Math.min(rows, r0 + step);
    if (block === undefined) {
      accumulateBlockImpl(forest, features as Float32Array, r0 * m, r0, r1, margins);
    } else {
      block.set(features.subarray(r0 * m, r1 * m));
      accumulateBlockImpl(forest, block, 0, r0, r1, margins);
    }
  }
  return margins;
}

/** Adds every tree's leaf for rows r0..r1 (their features start at `x[base]`) into `margins`. */
function accumulateBlockImpl(forest: CompiledForest, x: Float32Array, base: number, r0: number, r1: number, margins: Float64Array): void {
  const { nodes, threshold, leafValue, root, group, numGroup: G, numFeature: m } = forest;
  for (let t = 0; t < forest.treeCount; t++) {
    const start = root[t];
    const g = group[t];
    if (start < 0) {
      const v = leafValue[~start];
      for (let r = r0; r < r1; r++) margins[r * G + g] = Math.fround(margins[r * G + g] + v);
      continue;
    }
    let offset = base;
    for (let r = r0; r < r1; r++, offset += m) {
      let n = start;
      while (n >= 0) {
        const at = n * STRIDE;
        const v = x[offset + nodes[at + FEATURE]];
        const s = threshold[at + THRESHOLD];
        // NaN fails both comparisons and takes the default direction.
        n = v < s ? nodes[at + LEFT] : v >= s ? nodes[at + RIGHT] : nodes[at + MISSING];
      }
      margins[r * G + g] = Math.fround(margins[r * G + g] + leafValue[~n]);
    }
  }
}

/**
 * Predictions in the objective's output space: a probability for binary:logistic and
 * reg:logistic, the margin for binary:logitraw, a mean count for count:poisson, a value for
 * the regression objectives, a probability vector per row for multi:softprob (rows × numClass)
 * and the class index for multi:softmax.
 * @param out optional buffer of at least rows × {@link predictionWidth} values.
 * @throws ValidationError when `features.length` is not a multiple of numFeature.
 */
export function predict(forest: CompiledForest, features: Float32Array | Float64Array, out?: Float64Array): Float64Array {
  const rows = rowCount(forest, features);
  if (forest.objective === 'multi:softmax') {
    const margins = predictMargin(forest, features);
    return argmaxRowsImpl(margins, rows, forest.numGroup, out ?? new Float64Array(rows));
  }
  const values = predictMargin(forest, features, out);
  const n = rows * forest.numGroup;
  switch (forest.objective) {
    case 'binary:logistic':
    case 'reg:logistic':
      for (let i = 0; i < n; i++) values[i] = 1 / (1 + Math.exp(-values[i]));
      break;
    case 'count:poisson':
      for (let i = 0; i < n; i++) values[i] = Math.exp(values[i]);
      break;
    case 'multi:softprob':
      softmaxRowsImpl(values, rows, forest.numGroup);
      break;
    default:
      break;
  }
  return values;
}

/** In-place softmax over each row of a rows × k matrix. */
export function softmaxRowsImpl(values: Float64Array, rows: number, k: number): void {
  for (let r = 0, at = 0; r < rows; r++, at += k) {
    let max = -Infinity;
    for (let j = 0; j < k; j++) if (values[at + j] > max) max = values[at + j];
    let sum = 0;
    for (let j = 0; j < k; j++) {
      const e = Math.exp(values[at + j] - max);
      values[at + j] = e;
      sum += e;
    }
    for (let j = 0; j < k; j++) values[at + j] /= sum;
  }
}

/** Index of the first largest value of each row of a rows × k matrix. */
function argmaxRowsImpl(values: Float64Array, rows: number, k: number, out: Float64Array): Float64Array {
  for (let r = 0, at = 0; r < rows; r++, at += k) {
    let best = 0;
    for (let j = 1; j < k; j++) if (values[at + j] > values[at + best]) best = j;
    out[r] = best;
  }
  return out;
}
