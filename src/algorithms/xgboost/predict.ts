/**
 * Batch prediction for a {@link BoosterModel}. `compileForest` flattens the usable trees once:
 * a tree of depth ≤ {@link MAX_HEAP_DEPTH} that is not too sparse is padded to a complete binary
 * tree in heap order (node n's children are 2n + 1 and 2n + 2; a leaf above the last level
 * becomes a pass-through node whose NaN threshold sends every row left), so a row takes exactly
 * `depth` steps of `n = 2n + 1 + (x[f] >= t)` with no child pointers and no leaf test; other
 * trees keep a pointer layout and a walk that stops at leaves. Rows are scored in blocks: each
 * block's features are copied to float32 once (and checked for NaN: blocks without missing values
 * take the branch-free step, others a step that honours each node's default direction), then
 * every tree walks the block's rows, four rows interleaved. A WebAssembly kernel of the same
 * walk runs when the runtime offers WebAssembly (see predict/wasm.ts).
 */
import { validationError } from '../../core/errors.js';
import { treesPerRound, usableTreeCount, type BoosterModel, type Objective, type Tree } from './model.js';
import { createWasmPredictor, type WasmPredictor } from './predict/wasm.js';

/** Deepest tree given the complete (heap) layout; deeper ones use the pointer layout. */
export const MAX_HEAP_DEPTH = 12;
/** A tree also keeps the pointer layout when padding would make it this many times its leaf count. */
const MAX_PADDING = 8;
/** Int32 slots per internal node of the pointer layout: split feature, left, right, missing child, threshold bits. */
const STRIDE = 5;
const FEATURE = 0;
const LEFT = 1;
const RIGHT = 2;
const MISSING = 3;
const THRESHOLD = 4;
/** Rows per block: the block's float32 features (about 16 KiB) stay in L1 while every tree walks them. */
export const blockRows = (numFeature: number) => Math.max(16, Math.min(1024, (Math.floor(4096 / numFeature) + 7) & ~7));

/**
 * The trees of a model flattened for prediction (see the module comment).
 */
export interface CompiledForest {
  objective: Objective;
  numFeature: number;
  /** Output groups: the number of classes for multi:*, 1 otherwise. */
  numGroup: number;
  /** The starting margin of every group (baseScore mapped into margin space, as a float32). */
  baseMargin: number;
  treeCount: number;
  /** Per tree: the output group it adds to. */
  group: Int32Array;
  /** Per tree: the depth of its heap layout, or -1 when it uses the pointer layout. */
  depth: Int32Array;
  /** Per tree: heap trees: index of its root's pair in `heap`; pointer trees: its encoded root in `nodes`. */
  root: Int32Array;
  /** Per heap tree: index of its first last-level leaf in `heapLeaf`. */
  leafBase: Int32Array;
  /** Heap layout: per internal node an Int32 pair [split feature, threshold as float32 bits]. */
  heap: Int32Array;
  /** A float32 view over `heap` (thresholds at odd indices). */
  heapThreshold: Float32Array;
  /** Heap layout, per internal node (pair index / 2): 1 when a missing value goes right. */
  heapMissRight: Uint8Array;
  /** Heap layout: the 2^depth leaf values of each tree, float32 values. */
  heapLeaf: Float64Array;
  /** Pointer layout: `STRIDE` Int32 slots per internal node; a leaf child is `~leafIndex`. */
  nodes: Int32Array;
  /** A float32 view over `nodes`. */
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

/** Depth of a tree (0 for a single leaf); validates children and split features on the way. */
function treeDepth(tree: Tree, t: number, numFeature: number): number {
  const n = tree.left.length;
  if (n === 0) throw validationError(`tree ${t} has no nodes`);
  const level = new Int32Array(n).fill(-1);
  level[0] = 0;
  let depth = 0;
  // XGBoost numbers children after their parent, so one forward pass sees every parent first;
  // nodes it does not reach (malformed trees) are walked again below.
  const stack = [0];
  while (stack.length > 0) {
    const i = stack.pop()!;
    if (tree.left[i] === -1) continue;
    const l = tree.left[i];
    const r = tree.right[i];
    const f = tree.splitFeature[i];
    if (l < 0 || l >= n || r < 0 || r >= n) throw validationError(`tree ${t} node ${i} has a child outside 0..${n - 1}`);
    if (f < 0 || f >= numFeature) throw validationError(`tree ${t} node ${i} splits on feature ${f}, outside 0..${numFeature - 1}`);
    if (level[l] !== -1 || level[r] !== -1 || l === r) throw validationError(`tree ${t} node ${i} has a child reached twice`);
    level[l] = level[r] = level[i] + 1;
    depth = Math.max(depth, level[i] + 1);
    stack.push(l, r);
  }
  return depth;
}

/**
 * Flattens the usable trees of `model` (all, or up to `bestIteration`) for prediction.
 * @throws ValidationError when a tree is malformed (a split on a feature ≥ numFeature, a child out of range).
 */
export function compileForest(model: BoosterModel): CompiledForest {
  const treeCount = usableTreeCount(model);
  if (model.numFeature <= 0) throw validationError('the model has no features');
  const depth = new Int32Array(treeCount);
  let heapNodes = 0;
  let heapLeaves = 0;
  let internal = 0;
  let leaves = 0;
  for (let t = 0; t < treeCount; t++) {
    const tree = model.trees[t];
    const d = treeDepth(tree, t, model.numFeature);
    let treeLeaves = 0;
    for (let i = 0; i < tree.left.length; i++) if (tree.left[i] === -1) treeLeaves++;
    if (d <= MAX_HEAP_DEPTH && 2 ** d <= MAX_PADDING * treeLeaves) {
      depth[t] = d;
      heapNodes += 2 ** d - 1;
      heapLeaves += 2 ** d;
    } else {
      depth[t] = -1;
      internal += tree.left.length - treeLeaves;
      leaves += treeLeaves;
    }
  }
  const heapBuffer = new ArrayBuffer(heapNodes * 8);
  const buffer = new ArrayBuffer(internal * STRIDE * 4);
  const forest: CompiledForest = {
    objective: model.objective,
    numFeature: model.numFeature,
    numGroup: treesPerRound(model),
    baseMargin: Math.fround(baseMarginOf(model.objective, model.baseScore)),
    treeCount,
    group: new Int32Array(treeCount),
    depth,
    root: new Int32Array(treeCount),
    leafBase: new Int32Array(treeCount),
    heap: new Int32Array(heapBuffer),
    heapThreshold: new Float32Array(heapBuffer),
    heapMissRight: new Uint8Array(heapNodes),
    heapLeaf: new Float64Array(heapLeaves),
    nodes: new Int32Array(buffer),
    threshold: new Float32Array(buffer),
    leafValue: new Float64Array(leaves),
  };
  const cursor = { internal: 0, leaf: 0, heap: 0, heapLeaf: 0 };
  for (let t = 0; t < treeCount; t++) {
    const g = model.treeGroup[t] ?? 0;
    if (g < 0 || g >= forest.numGroup) throw validationError(`tree ${t} is in group ${g}, outside 0..${forest.numGroup - 1}`);
    forest.group[t] = g;
    if (depth[t] >= 0) {
      forest.root[t] = 2 * cursor.heap;
      forest.leafBase[t] = cursor.heapLeaf;
      fillHeap(forest, model.trees[t], depth[t], cursor.heap, cursor.heapLeaf, 0, 0, 0);
      cursor.heap += 2 ** depth[t] - 1;
      cursor.heapLeaf += 2 ** depth[t];
    } else {
      forest.root[t] = appendTree(forest, model.trees[t], cursor);
    }
  }
  return forest;
}

/** Writes original node `node` at heap position `p` (level `level`) of a tree of depth `d`, and its subtree. */
function fillHeap(forest: CompiledForest, tree: Tree, d: number, heap0: number, leaf0: number, p: number, node: number, level: number): void {
  if (level === d) {
    forest.heapLeaf[leaf0 + p - (2 ** d - 1)] = tree.leafValue[node];
    return;
  }
  const at = 2 * (heap0 + p);
  const leaf = tree.left[node] === -1;
  forest.heap[at] = leaf ? 0 : tree.splitFeature[node];
  // A leaf above the last level passes every row (missing or not) to its left child.
  forest.heapThreshold[at + 1] = leaf ? NaN : tree.threshold[node];
  forest.heapMissRight[heap0 + p] = leaf || tree.defaultLeft[node] ? 0 : 1;
  fillHeap(forest, tree, d, heap0, leaf0, 2 * p + 1, leaf ? node : tree.left[node], level + 1);
  fillHeap(forest, tree, d, heap0, leaf0, 2 * p + 2, leaf ? node : tree.right[node], level + 1);
}

/** Copies one (validated) tree into the pointer layout; returns the encoded root. */
function appendTree(forest: CompiledForest, tree: Tree, cursor: { internal: number; leaf: number }): number {
  const n = tree.left.length;
  const encoded = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    encoded[i] = tree.left[i] === -1 ? ~cursor.leaf++ : cursor.internal++;
    if (encoded[i] < 0) forest.leafValue[~encoded[i]] = tree.leafValue[i];
  }
  for (let i = 0; i < n; i++) {
    if (encoded[i] < 0) continue;
    const l = tree.left[i];
    const at = encoded[i] * STRIDE;
    forest.nodes[at + FEATURE] = tree.splitFeature[i];
    forest.nodes[at + LEFT] = encoded[l];
    forest.nodes[at + RIGHT] = encoded[tree.right[i]];
    forest.nodes[at + MISSING] = tree.defaultLeft[i] ? encoded[l] : encoded[tree.right[i]];
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
  marginRowsImpl(forest, features, 0, rows, margins);
  return margins;
}

/** Per-forest scratch of the JS path (the float32 block), so repeated calls allocate nothing but their output. */
const scratch = new WeakMap<CompiledForest, Float32Array>();
/** Per-forest WebAssembly instance (null: the JS path). */
const wasmInstances = new WeakMap<CompiledForest, WasmPredictor | null>();
let wasmEnabled = process.env.STRATUS_XGB_PREDICT_WASM !== '0';

/** Turns the WebAssembly kernel off (or back on) for forests compiled after the call; for tests and benchmarks. */
export function setPredictWasm(on: boolean): void {
  wasmEnabled = on;
}

function wasmOf(forest: CompiledForest): WasmPredictor | null {
  let w = wasmInstances.get(forest);
  if (w === undefined) {
    w = wasmEnabled && forest.depth.every((d) => d >= 0) ? createWasmPredictor(forest, blockRows(forest.numFeature)) : null;
    wasmInstances.set(forest, w);
  }
  return w;
}

/** Margins of rows r0..r1 of `features` into `margins` (row r at r·numGroup), overwriting them. */
export function marginRowsImpl(forest: CompiledForest, features: Float32Array | Float64Array, r0: number, r1: number, margins: Float64Array): void {
  const m = forest.numFeature;
  const G = forest.numGroup;
  const step = blockRows(m);
  const w = wasmOf(forest);
  if (w !== null) {
    const { x, margins: wm } = w;
    for (let b0 = r0; b0 < r1; b0 += step) {
      const nb = Math.min(r1, b0 + step) - b0;
      const n = nb * m;
      let missing = false;
      for (let i = 0, j = b0 * m; i < n; i++, j++) {
        const v = features[j];
        x[i] = v;
        if (v !== v) missing = true;
      }
      wm.fill(forest.baseMargin, 0, nb * G);
      w.run(nb, missing);
      for (let i = 0, j = b0 * G; i < nb * G; i++, j++) margins[j] = wm[i];
    }
    return;
  }
  margins.fill(forest.baseMargin, r0 * G, r1 * G);
  let block = scratch.get(forest);
  if (block === undefined) {
    block = new Float32Array(step * m);
    scratch.set(forest, block);
  }
  for (let b0 = r0; b0 < r1; b0 += step) {
    const b1 = Math.min(r1, b0 + step);
    const n = (b1 - b0) * m;
    let missing = false;
    for (let i = 0, j = b0 * m; i < n; i++, j++) {
      const v = features[j];
      block[i] = v;
      if (v !== v) missing = true;
    }
    accumulateBlockImpl(forest, block, b1 - b0, margins, b0 * G, missing);
  }
}

/**
 * Adds every tree's leaf for the `nb` rows of `x` (row-major float32) into `margins` (row i at
 * mo + i·numGroup), rounding to float32 after each tree.
 */
function accumulateBlockImpl(forest: CompiledForest, x: Float32Array, nb: number, margins: Float64Array, mo: number, missing: boolean): void {
  const { heap, heapThreshold: ht, heapMissRight: mr, heapLeaf, nodes, threshold, leafValue, root, group, depth, leafBase, numGroup: G, numFeature: m } = forest;
  const nb4 = nb & ~3;
  for (let t = 0; t < forest.treeCount; t++) {
    const D = depth[t];
    const g = mo + group[t];
    if (D < 0) {
      // Pointer layout: walk until a leaf (encoded negative).
      const start = root[t];
      for (let r = 0, o = 0; r < nb; r++, o += m) {
        let n = start;
        while (n >= 0) {
          const at = n * STRIDE;
          const v = x[o + nodes[at + FEATURE]];
          const s = threshold[at + THRESHOLD];
          n = v < s ? nodes[at + LEFT] : v >= s ? nodes[at + RIGHT] : nodes[at + MISSING];
        }
        margins[g + r * G] = Math.fround(margins[g + r * G] + leafValue[~n]);
      }
      continue;
    }
    const h = root[t];
    const lb = leafBase[t] - (2 ** D - 1);
    if (!missing) {
      let r = 0;
      for (; r < nb4; r += 4) {
        const o0 = r * m;
        const o1 = o0 + m;
        const o2 = o1 + m;
        const o3 = o2 + m;
        let n0 = 0, n1 = 0, n2 = 0, n3 = 0;
        for (let d = 0; d < D; d++) {
          const a0 = h + 2 * n0, a1 = h + 2 * n1, a2 = h + 2 * n2, a3 = h + 2 * n3;
          n0 = 2 * n0 + 1 + +(x[o0 + heap[a0]] >= ht[a0 + 1]);
          n1 = 2 * n1 + 1 + +(x[o1 + heap[a1]] >= ht[a1 + 1]);
          n2 = 2 * n2 + 1 + +(x[o2 + heap[a2]] >= ht[a2 + 1]);
          n3 = 2 * n3 + 1 + +(x[o3 + heap[a3]] >= ht[a3 + 1]);
        }
        const q = g + r * G;
        margins[q] = Math.fround(margins[q] + heapLeaf[lb + n0]);
        margins[q + G] = Math.fround(margins[q + G] + heapLeaf[lb + n1]);
        margins[q + 2 * G] = Math.fround(margins[q + 2 * G] + heapLeaf[lb + n2]);
        margins[q + 3 * G] = Math.fround(margins[q + 3 * G] + heapLeaf[lb + n3]);
      }
      for (; r < nb; r++) {
        const o = r * m;
        let n = 0;
        for (let d = 0; d < D; d++) {
          const a = h + 2 * n;
          n = 2 * n + 1 + +(x[o + heap[a]] >= ht[a + 1]);
        }
        margins[g + r * G] = Math.fround(margins[g + r * G] + heapLeaf[lb + n]);
      }
    } else {
      const h2 = h >> 1;
      for (let r = 0, o = 0; r < nb; r++, o += m) {
        let n = 0;
        for (let d = 0; d < D; d++) {
          const a = h + 2 * n;
          const v = x[o + heap[a]];
          const s = ht[a + 1];
          // NaN fails both comparisons and takes the node's default direction.
          n = 2 * n + (v < s ? 1 : v >= s ? 2 : 1 + mr[h2 + n]);
        }
        margins[g + r * G] = Math.fround(margins[g + r * G] + heapLeaf[lb + n]);
      }
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
  const margins = predictMargin(forest, features, forest.objective === 'multi:softmax' ? undefined : out);
  return finishPredictionImpl(forest, margins, rows, out);
}

/**
 * Maps rows × numGroup `margins` to {@link predict}'s output: in place, or for multi:softmax into
 * `out` (or a new array) of class indices.
 */
export function finishPredictionImpl(forest: CompiledForest, margins: Float64Array, rows: number, out?: Float64Array): Float64Array {
  if (forest.objective === 'multi:softmax') return argmaxRowsImpl(margins, rows, forest.numGroup, out ?? new Float64Array(rows));
  const values = margins;
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
