/**
 * XGBoost's JSON model format (`Booster.save_model('model.json')`), written byte for byte as
 * XGBoost 1.7.4 writes it (sorted keys, no spaces, float32 values in shortest `1.25E1` form) and
 * read back from models that python-xgboost trained (gbtree only).
 */
import { validationError } from '../../core/errors.js';
import { allocateTree, OBJECTIVES, treesPerRound, type BoosterModel, type Objective, type Tree } from './model.js';

/** XGBoost's parent of the root (`kInvalidNodeId` as unsigned, masked to 31 bits). */
const ROOT_PARENT = 2147483647;
const XGBOOST_VERSION = '[1,7,4]';

// ---------------------------------------------------------------------------------------------
// Number formats

/**
 * A float32 as XGBoost's JSON writer prints it: the shortest digits that read back to the same
 * float32, in scientific form with a capital `E` and no `+` (`5E-1`, `-8.841105E-3`, `0E0`).
 */
export function formatXgbFloat(value: number): string {
  const v = Math.fround(value);
  if (v === 0) return Object.is(v, -0) ? '-0E0' : '0E0';
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
  let s = v.toExponential(8);
  for (let digits = 0; digits < 9; digits++) {
    const candidate = v.toExponential(digits);
    if (Math.fround(Number(candidate)) === v) {
      s = tieToEven(v, digits, candidate);
      break;
    }
  }
  return s.replace('e+', 'E').replace('e', 'E');
}

/**
 * `toExponential` rounds an exact tie away from zero (28201.8125 → 2.8201813e4); XGBoost's Ryu
 * printer rounds it to even (2.8201812E4). Returns the even neighbour when `v` is such a tie.
 */
function tieToEven(v: number, digits: number, candidate: string): string {
  const longer = v.toExponential(digits + 1);
  if (!longer.includes('5e') || Number(longer) !== v) return candidate;
  const [mantissa, exp] = candidate.split('e');
  const last = Number(mantissa[mantissa.length - 1]);
  if (last % 2 === 0) return candidate;
  // The away-from-zero result ends in an odd digit, so the even one is one unit below it in
  // magnitude; that never borrows across digits because `last` ≥ 1.
  const lower = `${mantissa.slice(0, -1)}${last - 1}e${exp}`;
  return Math.fround(Number(lower)) === v ? lower : candidate;
}

/**
 * A float parameter as XGBoost stores it in a parameter block (C++ stream output of a float32
 * with 9 significant digits, `%g`-style): `1`, `0.699999988`, `1e-06`.
 */
export function formatXgbParam(value: number): string {
  const v = Math.fround(value);
  if (v === 0) return '0';
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
  const exponent = Math.floor(Math.log10(Math.abs(Number(v.toPrecision(9)))));
  if (exponent < -4 || exponent >= 9) {
    const [mantissa, exp] = v.toExponential(8).split('e');
    const e = Number(exp);
    return `${trimZeros(mantissa)}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  }
  return trimZeros(v.toPrecision(9));
}

function trimZeros(s: string): string {
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

/** A float64 as Python's `str(float)` prints it (how XGBoost's early stopping stores best_score). */
export function formatPythonFloat(value: number): string {
  if (!Number.isFinite(value)) return Number.isNaN(value) ? 'nan' : value > 0 ? 'inf' : '-inf';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const [mantissa, exp] = value.toExponential().split('e');
  const e = Number(exp);
  if (e < -4 || e >= 16) return `${mantissa}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  const s = String(value);
  return s.includes('.') ? s : `${s}.0`;
}

// ---------------------------------------------------------------------------------------------
// Export

/** Objective parameter blocks in XGBoost's JSON, keyed by the block's name. */
function objectiveJson(model: BoosterModel): string {
  const p = model.params ?? {};
  const name = JSON.stringify(model.objective);
  switch (model.objective) {
    case 'reg:absoluteerror':
      return `{"name":${name}}`;
    case 'count:poisson':
      return `{"name":${name},"poisson_regression_param":{"max_delta_step":"${formatXgbParam(Number(p.max_delta_step ?? 0.7))}"}}`;
    case 'multi:softprob':
    case 'multi:softmax':
      return `{"name":${name},"softmax_multiclass_param":{"num_class":"${model.numClass}"}}`;
    default:
      return `{"name":${name},"reg_loss_param":{"scale_pos_weight":"${formatXgbParam(Number(p.scale_pos_weight ?? 1))}"}}`;
  }
}

function floats(values: Float32Array): string {
  let s = '';
  for (let i = 0; i < values.length; i++) s += (i === 0 ? '' : ',') + formatXgbFloat(values[i]);
  return `[${s}]`;
}

function treeJson(tree: Tree, id: number, numFeature: number): string {
  const n = tree.left.length;
  const conditions = new Float32Array(n);
  const parents = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    conditions[i] = tree.left[i] === -1 ? tree.leafValue[i] : tree.threshold[i];
    parents[i] = tree.parent[i] < 0 ? ROOT_PARENT : tree.parent[i];
  }
  return (
    `{"base_weights":${floats(tree.baseWeight)},"categories":[],"categories_nodes":[],"categories_segments":[],` +
    `"categories_sizes":[],"default_left":[${tree.defaultLeft.join(',')}],"id":${id},` +
    `"left_children":[${tree.left.join(',')}],"loss_changes":${floats(tree.gain)},"parents":[${parents.join(',')}],` +
    `"right_children":[${tree.right.join(',')}],"split_conditions":${floats(conditions)},` +
    `"split_indices":[${tree.splitFeature.join(',')}],"split_type":[${new Uint8Array(n).join(',')}],` +
    `"sum_hessian":${floats(tree.cover)},"tree_param":{"num_deleted":"0","num_feature":"${numFeature}",` +
    `"num_nodes":"${n}","size_leaf_vector":"0"}}`
  );
}

function attributesJson(model: BoosterModel, parallelTrees: number): string {
  const parts: string[] = [];
  if (model.bestIteration !== undefined) {
    parts.push(`"best_iteration":"${model.bestIteration}"`, `"best_ntree_limit":"${(model.bestIteration + 1) * parallelTrees}"`);
  }
  if (model.bestScore !== undefined) parts.push(`"best_score":"${formatPythonFloat(model.bestScore)}"`);
  return `{${parts.join(',')}}`;
}

/**
 * The model in XGBoost 1.7's JSON model format, as `Booster.save_model('x.json')` writes it;
 * python-xgboost's `Booster.load_model` reads it back.
 * @throws ValidationError when the trees do not fill whole boosting rounds.
 */
export function toXGBoostJson(model: BoosterModel): string {
  const parallelTrees = Number(model.params?.num_parallel_tree ?? 1);
  const perRound = treesPerRound(model) * parallelTrees;
  if (model.trees.length % perRound !== 0) {
    throw validationError(`${model.trees.length} trees do not fill whole rounds of ${perRound}`);
  }
  const trees = model.trees.map((t, i) => treeJson(t, i, model.numFeature)).join(',');
  const multi = model.objective.startsWith('multi:');
  const names = (model.featureNames ?? []).map((n) => JSON.stringify(n)).join(',');
  return (
    `{"learner":{"attributes":${attributesJson(model, parallelTrees)},"feature_names":[${names}],"feature_types":[],` +
    `"gradient_booster":{"model":{"gbtree_model_param":{"num_parallel_tree":"${parallelTrees}",` +
    `"num_trees":"${model.trees.length}","size_leaf_vector":"0"},"tree_info":[${Array.from(model.treeGroup).join(',')}],` +
    `"trees":[${trees}]},"name":"gbtree"},"learner_model_param":{"base_score":"${formatXgbFloat(model.baseScore)}",` +
    `"boost_from_average":"${model.params?.boost_from_average ?? '1'}","num_class":"${multi ? model.numClass : 0}",` +
    `"num_feature":"${model.numFeature}","num_target":"1"},"objective":${objectiveJson(model)}},` +
    `"version":${XGBOOST_VERSION}}`
  );
}

// ---------------------------------------------------------------------------------------------
// Import

type Json = Record<string, unknown>;

function object(value: unknown, path: string): Json {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw validationError(`XGBoost JSON model: '${path}' must be an object`, { field: path });
  }
  return value as Json;
}

function array(value: unknown, path: string, length?: number): unknown[] {
  if (!Array.isArray(value)) throw validationError(`XGBoost JSON model: '${path}' must be an array`, { field: path });
  if (length !== undefined && value.length !== length) {
    throw validationError(`XGBoost JSON model: '${path}' has ${value.length} entries, expected ${length}`, { field: path });
  }
  return value;
}

/** A number stored as a JSON number or a numeric string ("5E-1", or "[5E-1]" as XGBoost 2 writes base_score). */
function num(value: unknown, path: string): number {
  const s = typeof value === 'string' ? value.replace(/^\[(.*)\]$/, '$1') : value;
  const n = typeof s === 'number' ? s : typeof s === 'string' && s.trim() !== '' ? Number(s) : NaN;
  if (Number.isNaN(n) && s !== 'NaN') throw validationError(`XGBoost JSON model: '${path}' must be a number`, { field: path });
  return n;
}

function numbers(value: unknown, path: string, length: number): number[] {
  return array(value, path, length).map((v, i) => num(v, `${path}[${i}]`));
}

function checkSupported(learner: Json): { objective: Objective; booster: Json } {
  const booster = object(learner.gradient_booster, 'learner.gradient_booster');
  if (booster.name !== 'gbtree') {
    throw validationError(`XGBoost JSON model: booster '${String(booster.name)}' is not supported (only gbtree)`, { field: 'booster' });
  }
  const name = object(learner.objective, 'learner.objective').name;
  if (!OBJECTIVES.includes(name as Objective)) {
    throw validationError(`XGBoost JSON model: objective '${String(name)}' is not supported; supported: ${OBJECTIVES.join(', ')}`, {
      field: 'objective',
    });
  }
  const params = object(learner.learner_model_param, 'learner.learner_model_param');
  if (params.num_target !== undefined && num(params.num_target, 'num_target') > 1) {
    throw validationError('XGBoost JSON model: multi-target models are not supported', { field: 'num_target' });
  }
  return { objective: name as Objective, booster };
}

/** Reads one tree, dropping nodes that pruning deleted (unreachable from the root) and renumbering the rest. */
function readTree(raw: Json, t: number, numFeature: number): Tree {
  const path = `trees[${t}]`;
  const n = num(object(raw.tree_param, `${path}.tree_param`).num_nodes, `${path}.num_nodes`);
  if (num(object(raw.tree_param, `${path}.tree_param`).size_leaf_vector ?? 0, `${path}.size_leaf_vector`) !== 0) {
    throw validationError(`XGBoost JSON model: ${path} has vector leaves (multi-target), which are not supported`);
  }
  const splitType = numbers(raw.split_type ?? [], `${path}.split_type`, Array.isArray(raw.split_type) ? raw.split_type.length : 0);
  if (splitType.some((v) => v !== 0) || (Array.isArray(raw.categories) && raw.categories.length > 0)) {
    throw validationError(`XGBoost JSON model: ${path} has categorical splits, which are not supported`, { field: 'split_type' });
  }
  const left = numbers(raw.left_children, `${path}.left_children`, n);
  const right = numbers(raw.right_children, `${path}.right_children`, n);
  const order = reachableNodes(left, right, path);
  const fields = {
    feature: numbers(raw.split_indices, `${path}.split_indices`, n),
    condition: numbers(raw.split_conditions, `${path}.split_conditions`, n),
    defaultLeft: numbers(raw.default_left, `${path}.default_left`, n),
    gain: numbers(raw.loss_changes, `${path}.loss_changes`, n),
    cover: numbers(raw.sum_hessian, `${path}.sum_hessian`, n),
    baseWeight: numbers(raw.base_weights, `${path}.base_weights`, n),
  };
  return buildTree(order, left, right, fields, numFeature, path);
}

/** Node ids reachable from the root, in increasing order (XGBoost keeps deleted nodes in place). */
function reachableNodes(left: number[], right: number[], path: string): number[] {
  const n = left.length;
  const seen = new Uint8Array(n);
  const stack = [0];
  while (stack.length > 0) {
    const i = stack.pop()!;
    if (!Number.isInteger(i) || i < 0 || i >= n || seen[i]) throw validationError(`XGBoost JSON model: ${path} is not a tree (node ${i})`);
    seen[i] = 1;
    if (left[i] !== -1) stack.push(left[i], right[i]);
  }
  const order: number[] = [];
  for (let i = 0; i < n; i++) if (seen[i]) order.push(i);
  return order;
}

function buildTree(
  order: number[],
  left: number[],
  right: number[],
  f: Record<'feature' | 'condition' | 'defaultLeft' | 'gain' | 'cover' | 'baseWeight', number[]>,
  numFeature: number,
  path: string,
): Tree {
  const renumber = new Map(order.map((old, i) => [old, i]));
  const tree = allocateTree(order.length);
  order.forEach((old, i) => {
    const leaf = left[old] === -1;
    if (!leaf && (f.feature[old] < 0 || f.feature[old] >= numFeature)) {
      throw validationError(`XGBoost JSON model: ${path} splits on feature ${f.feature[old]}, outside 0..${numFeature - 1}`);
    }
    tree.left[i] = leaf ? -1 : renumber.get(left[old])!;
    tree.right[i] = leaf ? -1 : renumber.get(right[old])!;
    if (!leaf) tree.parent[tree.left[i]] = tree.parent[tree.right[i]] = i;
    tree.splitFeature[i] = leaf ? 0 : f.feature[old];
    tree.threshold[i] = leaf ? 0 : f.condition[old];
    tree.leafValue[i] = leaf ? f.condition[old] : 0;
    tree.defaultLeft[i] = leaf ? 0 : f.defaultLeft[old] ? 1 : 0;
    tree.gain[i] = f.gain[old];
    tree.cover[i] = f.cover[old];
    tree.baseWeight[i] = f.baseWeight[old];
  });
  return tree;
}

/** Objective and booster parameters worth keeping for export, under XGBoost's names. */
function readParams(learner: Json, booster: Json): Record<string, string> {
  const params: Record<string, string> = {};
  const objective = object(learner.objective, 'learner.objective');
  for (const [block, value] of Object.entries(objective)) {
    if (block === 'name' || typeof value !== 'object' || value === null) continue;
    for (const [k, v] of Object.entries(value as Json)) if (k !== 'num_class') params[k] = String(v);
  }
  const modelParams = object(learner.learner_model_param, 'learner.learner_model_param');
  if (modelParams.boost_from_average !== undefined) params.boost_from_average = String(modelParams.boost_from_average);
  const gbtree = object(object(booster.model, 'gradient_booster.model').gbtree_model_param, 'gbtree_model_param');
  const parallel = num(gbtree.num_parallel_tree ?? 1, 'num_parallel_tree');
  if (parallel !== 1) params.num_parallel_tree = String(parallel);
  return params;
}

/**
 * Reads a model that XGBoost saved as JSON (`Booster.save_model('x.json')`, gbtree booster).
 * Nodes that pruning deleted are dropped and the rest renumbered in their original order.
 * @throws ValidationError for malformed JSON, a dart or gblinear booster, categorical splits,
 *   vector leaves, an unsupported objective, or num_parallel_tree > 1 with an early-stopped
 *   best_iteration before the last round.
 */
export function fromXGBoostJson(text: string): BoosterModel {
  let root: Json;
  try {
    root = object(JSON.parse(text), '$');
  } catch (e) {
    throw validationError(`XGBoost JSON model: not valid JSON (${(e as Error).message})`);
  }
  const learner = object(root.learner, 'learner');
  const { objective, booster } = checkSupported(learner);
  const modelParams = object(learner.learner_model_param, 'learner.learner_model_param');
  const numFeature = num(modelParams.num_feature, 'num_feature');
  const numClass = objective.startsWith('multi:') ? num(modelParams.num_class, 'num_class') : 1;
  if (!Number.isInteger(numFeature) || numFeature < 1) throw validationError(`XGBoost JSON model: num_feature must be ≥ 1, got ${numFeature}`);
  if (!Number.isInteger(numClass) || numClass < 1 || (objective.startsWith('multi:') && numClass < 2)) {
    throw validationError(`XGBoost JSON model: ${objective} needs num_class ≥ 2, got ${numClass}`, { field: 'num_class' });
  }
  const gbModel = object(booster.model, 'gradient_booster.model');
  const rawTrees = array(gbModel.trees, 'gradient_booster.model.trees');
  const treeGroup = Int32Array.from(numbers(gbModel.tree_info, 'tree_info', rawTrees.length));
  if (treeGroup.some((g) => g < 0 || g >= Math.max(numClass, 1))) throw validationError('XGBoost JSON model: tree_info names a group outside the classes');
  const model: BoosterModel = {
    objective,
    numClass,
    numFeature,
    baseScore: Math.fround(num(modelParams.base_score, 'base_score')),
    trees: rawTrees.map((t, i) => readTree(object(t, `trees[${i}]`), i, numFeature)),
    treeGroup,
    params: readParams(learner, booster),
  };
  const names = array(learner.feature_names ?? [], 'feature_names');
  if (names.length > 0) model.featureNames = names.map(String);
  readBest(model, object(learner.attributes ?? {}, 'attributes'));
  return model;
}

/** best_iteration / best_score as python-xgboost's `train` stores them. */
function readBest(model: BoosterModel, attributes: Json): void {
  if (attributes.best_score !== undefined) model.bestScore = num(attributes.best_score, 'best_score');
  if (attributes.best_iteration === undefined) return;
  const best = num(attributes.best_iteration, 'best_iteration');
  const parallel = Number(model.params?.num_parallel_tree ?? 1);
  const rounds = model.trees.length / (treesPerRound(model) * parallel);
  if (parallel === 1) model.bestIteration = best;
  // Our model counts trees per round without parallel trees, so only "all rounds" can be kept.
  else if (best + 1 < rounds) {
    throw validationError(`XGBoost JSON model: num_parallel_tree ${parallel} with best_iteration ${best} before the last round is not supported`);
  }
}
