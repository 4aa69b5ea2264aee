/**
 * The trained booster: the one shape shared by the training engine (writes it), prediction,
 * the XGBoost-JSON and ONNX exporters, the importer and feature importance (read it).
 *
 * Trees use XGBoost's own node layout so export and import are a field-by-field copy:
 * node 0 is the root, a leaf has `left[i] === -1`, and a row goes left at node i when
 * `x[splitFeature[i]] < threshold[i]` (compared in float32, as XGBoost does), or when the value
 * is missing (NaN) and `defaultLeft[i] === 1`.
 */

export const OBJECTIVES = [
  'binary:logistic',
  'binary:logitraw',
  'reg:squarederror',
  'reg:logistic',
  'reg:absoluteerror',
  'count:poisson',
  'multi:softprob',
  'multi:softmax',
] as const;
export type Objective = (typeof OBJECTIVES)[number];

export const EVAL_METRICS = ['auc', 'logloss', 'error', 'rmse', 'mae', 'merror', 'mlogloss', 'poisson-nloglik'] as const;
export type EvalMetric = (typeof EVAL_METRICS)[number];

export interface Tree {
  /** Child indices; -1 marks a leaf. */
  left: Int32Array;
  right: Int32Array;
  /** Parent index; -1 for the root. */
  parent: Int32Array;
  /** Split feature (0 for leaves). */
  splitFeature: Int32Array;
  /** Split threshold for internal nodes (0 for leaves). */
  threshold: Float32Array;
  /** Leaf output, already multiplied by eta (0 for internal nodes). */
  leafValue: Float32Array;
  /** 1 when missing values go left. */
  defaultLeft: Uint8Array;
  /** Loss reduction of the split (0 for leaves). */
  gain: Float32Array;
  /** Sum of hessians of the training rows that reached the node. */
  cover: Float32Array;
  /** The node's weight had it been a leaf, NOT multiplied by eta (XGBoost's base_weights). */
  baseWeight: Float32Array;
}

export interface BoosterModel {
  objective: Objective;
  /** Classes for multi:*; 1 otherwise (one tree per round). */
  numClass: number;
  numFeature: number;
  /**
   * In the objective's output space, as XGBoost's JSON stores it (a probability for
   * binary:logistic and reg:logistic, a mean count for count:poisson, a value otherwise).
   */
  baseScore: number;
  trees: Tree[];
  /** Output group (class index) of each tree; all 0 unless multi-class. */
  treeGroup: Int32Array;
  /** With early stopping: the best round (0-based); prediction uses rounds 0..bestIteration. */
  bestIteration?: number;
  bestScore?: number;
  featureNames?: string[];
  /** Training parameters as given (XGBoost's names), kept for export and display. */
  params?: Record<string, string>;
}

/** Trees per boosting round. */
export function treesPerRound(model: Pick<BoosterModel, 'numClass'>): number {
  return model.numClass > 1 ? model.numClass : 1;
}

/** Number of trees prediction uses (all of them, or up to the best iteration). */
export function usableTreeCount(model: BoosterModel): number {
  if (model.bestIteration === undefined) return model.trees.length;
  return Math.min(model.trees.length, (model.bestIteration + 1) * treesPerRound(model));
}

export function isLeaf(tree: Tree, node: number): boolean {
  return tree.left[node] === -1;
}

export function nodeCount(tree: Tree): number {
  return tree.left.length;
}

/** An empty tree with room for `n` nodes, every field zeroed and children set to -1. */
export function allocateTree(n: number): Tree {
  return {
    left: new Int32Array(n).fill(-1),
    right: new Int32Array(n).fill(-1),
    parent: new Int32Array(n).fill(-1),
    splitFeature: new Int32Array(n),
    threshold: new Float32Array(n),
    leafValue: new Float32Array(n),
    defaultLeft: new Uint8Array(n),
    gain: new Float32Array(n),
    cover: new Float32Array(n),
    baseWeight: new Float32Array(n),
  };
}
