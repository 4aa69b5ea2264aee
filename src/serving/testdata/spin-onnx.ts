/**
 * Test data: an ONNX model that stands in for a stuck one. Its input is float [N, 2]; its output
 * `score` [N, 1] is each row's sum, but first it spins an ONNX `Loop` as many times as the
 * largest value in the request, so `1,2` answers at once and `1,5e6` keeps ONNX Runtime busy for
 * seconds (a run cannot be interrupted from JavaScript). Written with the XGBoost exporter's
 * protobuf encoder: IR 8, opset 17.
 */
import { ProtoWriter } from '../../algorithms/xgboost/protobuf-writer.js';

/** TensorProto.DataType and AttributeProto.AttributeType values. */
const FLOAT = 1;
const INT64 = 7;
const BOOL = 9;
const ATTR_INT = 2;
const ATTR_GRAPH = 5;
const ATTR_INTS = 7;

interface Node {
  op: string;
  inputs: string[];
  outputs: string[];
  ints?: Record<string, number[]>;
  int?: Record<string, number>;
  graph?: Record<string, (g: ProtoWriter) => void>;
}

function node(w: ProtoWriter, n: Node, name: string) {
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, name).string(4, n.op);
  for (const [k, v] of Object.entries(n.ints ?? {})) w.message(5, (a) => a.string(1, k).packedInts(8, v).int(20, ATTR_INTS));
  for (const [k, v] of Object.entries(n.int ?? {})) w.message(5, (a) => a.string(1, k).int(3, v).int(20, ATTR_INT));
  for (const [k, build] of Object.entries(n.graph ?? {})) w.message(5, (a) => a.string(1, k).message(6, build).int(20, ATTR_GRAPH));
}

/** A tensor value: `dims` numbers are fixed, strings symbolic; [] is a scalar. */
function value(w: ProtoWriter, name: string, elemType: number, dims: Array<number | string>) {
  w.string(1, name);
  w.message(2, (t) => t.message(1, (tensor) => {
    tensor.int(1, elemType);
    tensor.message(2, (shape) => {
      for (const d of dims) shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
    });
  }));
}

function floatInitializer(w: ProtoWriter, name: string, dims: number[], values: number[]) {
  for (const d of dims) w.int(1, d);
  w.int(2, FLOAT).packedFloats(4, values).string(8, name);
}

function int64Initializer(w: ProtoWriter, name: string, dims: number[], values: number[]) {
  for (const d of dims) w.int(1, d);
  w.int(2, INT64).packedInts(7, values).string(8, name);
}

/** The Loop's body: acc + 1, the condition passed through. */
function body(g: ProtoWriter) {
  g.message(1, (w) => node(w, { op: 'Identity', inputs: ['cond_in'], outputs: ['cond_out'] }, 'keep_going'));
  g.message(1, (w) => node(w, { op: 'Add', inputs: ['acc_in', 'one'], outputs: ['acc_out'] }, 'count'));
  g.string(2, 'spin');
  g.message(11, (v) => value(v, 'iteration', INT64, []));
  g.message(11, (v) => value(v, 'cond_in', BOOL, []));
  g.message(11, (v) => value(v, 'acc_in', FLOAT, [1]));
  g.message(12, (v) => value(v, 'cond_out', BOOL, []));
  g.message(12, (v) => value(v, 'acc_out', FLOAT, [1]));
}

const NODES: Node[] = [
  { op: 'ReduceMax', inputs: ['input'], outputs: ['largest'], int: { keepdims: 0 } },
  { op: 'Cast', inputs: ['largest'], outputs: ['trips'], int: { to: INT64 } },
  { op: 'Loop', inputs: ['trips', '', 'zero'], outputs: ['spun'], graph: { body } },
  { op: 'Mul', inputs: ['spun', 'zero'], outputs: ['nothing'] },
  { op: 'ReduceSum', inputs: ['input', 'axis1'], outputs: ['row_sum'], int: { keepdims: 1 } },
  { op: 'Add', inputs: ['row_sum', 'nothing'], outputs: ['score'] },
];

/** The serialized ModelProto. */
export function spinOnnx(): Uint8Array {
  const w = new ProtoWriter();
  w.int(1, 8).string(2, 'stratus-tests');
  w.message(7, (g) => {
    NODES.forEach((n, i) => g.message(1, (x) => node(x, n, `${n.op}_${i}`)));
    g.string(2, 'spin');
    g.message(5, (t) => floatInitializer(t, 'zero', [1], [0]));
    g.message(5, (t) => floatInitializer(t, 'one', [1], [1]));
    g.message(5, (t) => int64Initializer(t, 'axis1', [1], [1]));
    g.message(11, (v) => value(v, 'input', FLOAT, ['N', 2]));
    g.message(12, (v) => value(v, 'score', FLOAT, ['N', 1]));
  });
  w.message(8, (o) => o.string(1, '').int(2, 17));
  return w.finish().slice();
}
