/**
 * Export of a {@link BoosterModel} as an ONNX model over the ai.onnx.ml tree-ensemble operators,
 * laid out like onnxmltools' XGBoost converter: a TreeEnsembleClassifier (outputs `label` and
 * `probabilities`) for binary:logistic and multi:*, a TreeEnsembleRegressor (output `variable`,
 * shape [N, 1]) otherwise, followed by Sigmoid for reg:logistic and Exp for count:poisson.
 * The input is a float tensor [N, numFeature] named `input`; NaN marks a missing value.
 */
import { validationError } from '../../core/errors.js';
import { usableTreeCount, type BoosterModel } from './model.js';
import { baseMarginOf } from './predict.js';
import { ProtoWriter } from './protobuf-writer.js';

const IR_VERSION = 8;
const ONNX_OPSET = 17;
const ML_OPSET = 3;
const ML_DOMAIN = 'ai.onnx.ml';
/** TensorProto.DataType values. */
const FLOAT = 1;
const INT64 = 7;
/** AttributeProto.AttributeType values. */
const ATTR = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

type AttrValue = { ints: ArrayLike<number> } | { floats: ArrayLike<number> } | { strings: string[] } | { s: string } | { i: number };
type Attributes = Record<string, AttrValue>;

interface OnnxNode {
  opType: string;
  domain?: string;
  inputs: string[];
  outputs: string[];
  attributes?: Attributes;
}

interface OnnxOutput {
  name: string;
  elemType: number;
  /** Dimensions after the batch dimension N. */
  dims: number[];
}

/** The tree fields shared by both ensemble operators, plus each leaf's vote. */
function ensembleAttributes(model: BoosterModel, prefix: 'class' | 'target', voteId: (tree: number) => number): Attributes {
  const n = { tree: [] as number[], node: [] as number[], feature: [] as number[], modes: [] as string[], value: [] as number[] };
  const branch = { yes: [] as number[], no: [] as number[], missing: [] as number[] };
  const vote = { tree: [] as number[], node: [] as number[], id: [] as number[], weight: [] as number[] };
  for (let t = 0; t < usableTreeCount(model); t++) {
    const tree = model.trees[t];
    for (let i = 0; i < tree.left.length; i++) {
      const leaf = tree.left[i] === -1;
      n.tree.push(t);
      n.node.push(i);
      n.feature.push(leaf ? 0 : tree.splitFeature[i]);
      n.modes.push(leaf ? 'LEAF' : 'BRANCH_LT');
      n.value.push(leaf ? 0 : tree.threshold[i]);
      branch.yes.push(leaf ? 0 : tree.left[i]);
      branch.no.push(leaf ? 0 : tree.right[i]);
      branch.missing.push(leaf ? 0 : tree.defaultLeft[i]);
      if (!leaf) continue;
      vote.tree.push(t);
      vote.node.push(i);
      vote.id.push(voteId(t));
      vote.weight.push(tree.leafValue[i]);
    }
  }
  return {
    nodes_treeids: { ints: n.tree },
    nodes_nodeids: { ints: n.node },
    nodes_featureids: { ints: n.feature },
    nodes_modes: { strings: n.modes },
    nodes_values: { floats: n.value },
    nodes_truenodeids: { ints: branch.yes },
    nodes_falsenodeids: { ints: branch.no },
    nodes_missing_value_tracks_true: { ints: branch.missing },
    [`${prefix}_treeids`]: { ints: vote.tree },
    [`${prefix}_nodeids`]: { ints: vote.node },
    [`${prefix}_ids`]: { ints: vote.id },
    [`${prefix}_weights`]: { floats: vote.weight },
  };
}

function classifierGraph(model: BoosterModel): { nodes: OnnxNode[]; outputs: OnnxOutput[] } {
  const binary = model.objective === 'binary:logistic';
  const k = binary ? 2 : model.numClass;
  const margin = baseMarginOf(model.objective, model.baseScore);
  const attributes: Attributes = {
    ...ensembleAttributes(model, 'class', (t) => (binary ? 0 : model.treeGroup[t])),
    classlabels_int64s: { ints: Array.from({ length: k }, (_, i) => i) },
    // One score column plus LOGISTIC is the operator's binary case: probabilities [1 - p, p].
    base_values: { floats: binary ? [margin] : new Array<number>(k).fill(margin) },
    post_transform: { s: binary ? 'LOGISTIC' : 'SOFTMAX' },
  };
  return {
    nodes: [{ opType: 'TreeEnsembleClassifier', domain: ML_DOMAIN, inputs: ['input'], outputs: ['label', 'probabilities'], attributes }],
    outputs: [
      { name: 'label', elemType: INT64, dims: [] },
      { name: 'probabilities', elemType: FLOAT, dims: [k] },
    ],
  };
}

function regressorGraph(model: BoosterModel): { nodes: OnnxNode[]; outputs: OnnxOutput[] } {
  const link = model.objective === 'reg:logistic' ? 'Sigmoid' : model.objective === 'count:poisson' ? 'Exp' : undefined;
  const attributes: Attributes = {
    ...ensembleAttributes(model, 'target', () => 0),
    n_targets: { i: 1 },
    base_values: { floats: [baseMarginOf(model.objective, model.baseScore)] },
    post_transform: { s: 'NONE' },
    aggregate_function: { s: 'SUM' },
  };
  const ensembleOut = link ? 'margin' : 'variable';
  const nodes: OnnxNode[] = [{ opType: 'TreeEnsembleRegressor', domain: ML_DOMAIN, inputs: ['input'], outputs: [ensembleOut], attributes }];
  if (link) nodes.push({ opType: link, inputs: ['margin'], outputs: ['variable'] });
  return { nodes, outputs: [{ name: 'variable', elemType: FLOAT, dims: [1] }] };
}

/**
 * The model as a serialized ONNX ModelProto (IR 8, opsets ai.onnx 17 and ai.onnx.ml 3),
 * using the trees up to `bestIteration`. Splits are BRANCH_LT (XGBoost's `x < threshold`)
 * and missing values follow `nodes_missing_value_tracks_true` from `defaultLeft`.
 * multi:softmax gets SOFTMAX probabilities too (its label is the same argmax either way);
 * binary:logitraw is a regressor whose output is the raw margin.
 * @throws ValidationError when the model has no trees.
 */
export function toOnnx(model: BoosterModel): Uint8Array {
  if (usableTreeCount(model) === 0) throw validationError('cannot export a model with no trees to ONNX');
  const classifier = model.objective === 'binary:logistic' || model.objective.startsWith('multi:');
  const { nodes, outputs } = classifier ? classifierGraph(model) : regressorGraph(model);
  const w = new ProtoWriter();
  w.int(1, IR_VERSION).string(2, 'stratus').string(3, '0.1.0').string(4, 'stratus.xgboost').int(5, 1);
  w.string(6, `XGBoost-compatible boosted trees, objective ${model.objective}`);
  w.message(7, (g) => writeGraph(g, model.numFeature, nodes, outputs));
  w.message(8, (o) => o.string(1, '').int(2, ONNX_OPSET));
  w.message(8, (o) => o.string(1, ML_DOMAIN).int(2, ML_OPSET));
  return w.finish().slice();
}

function writeGraph(g: ProtoWriter, numFeature: number, nodes: OnnxNode[], outputs: OnnxOutput[]): void {
  nodes.forEach((node, i) => g.message(1, (n) => writeNode(n, node, `${node.opType}_${i}`)));
  g.string(2, 'xgboost');
  g.message(11, (v) => writeValueInfo(v, 'input', FLOAT, [numFeature]));
  for (const o of outputs) g.message(12, (v) => writeValueInfo(v, o.name, o.elemType, o.dims));
}

function writeNode(w: ProtoWriter, node: OnnxNode, name: string): void {
  for (const input of node.inputs) w.string(1, input);
  for (const output of node.outputs) w.string(2, output);
  w.string(3, name).string(4, node.opType);
  for (const [key, value] of Object.entries(node.attributes ?? {})) w.message(5, (a) => writeAttribute(a, key, value));
  if (node.domain) w.string(7, node.domain);
}

function writeAttribute(w: ProtoWriter, name: string, value: AttrValue): void {
  w.string(1, name);
  if ('ints' in value) w.packedInts(8, value.ints).int(20, ATTR.INTS);
  else if ('floats' in value) w.packedFloats(7, value.floats).int(20, ATTR.FLOATS);
  else if ('strings' in value) {
    for (const s of value.strings) w.string(9, s);
    w.int(20, ATTR.STRINGS);
  } else if ('s' in value) w.string(4, value.s).int(20, ATTR.STRING);
  else w.int(3, value.i).int(20, ATTR.INT);
}

/** A float/int64 tensor of shape [N, ...dims], N symbolic. */
function writeValueInfo(w: ProtoWriter, name: string, elemType: number, dims: number[]): void {
  w.string(1, name);
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, elemType);
      tensor.message(2, (shape) => {
        shape.message(1, (d) => d.string(2, 'N'));
        for (const dim of dims) shape.message(1, (d) => d.int(1, dim));
      });
    }),
  );
}
