/**
 * Requests to ONNX input tensors and output tensors to responses, with no ONNX Runtime in sight
 * (so it is tested on plain typed arrays). Row formats (CSV, JSON, JSON lines) feed a model with
 * one input of shape [N, ...fixed dims]; `{"inputs": {"<name>": nested arrays}}` feeds any number.
 */
import { PlatformError, isPlatformError, validationError } from '../../core/errors.js';
import { negotiateAccept, parseRequest } from '../codecs.js';

/** An input or output as the session describes it: element type and shape (strings are symbolic dims). */
export interface TensorSpec {
  name: string;
  type: string;
  shape: ReadonlyArray<number | string>;
}

export type TensorData = Float32Array | Float64Array | Int32Array | BigInt64Array | Int8Array | Uint8Array | Int16Array | Uint16Array;

/** A tensor to feed: what `new ort.Tensor(type, data, dims)` takes. */
export interface Feed {
  type: string;
  data: TensorData;
  dims: number[];
}

/** An output tensor as the session returned it. */
export interface Fetched {
  type: string;
  data: ArrayLike<number | bigint | string | boolean>;
  dims: readonly number[];
}

const ACCEPTED = ['application/json', 'application/jsonlines', 'text/csv'];
const INTEGER_TYPES = new Set(['int8', 'uint8', 'int16', 'uint16', 'int32', 'int64', 'bool']);
const FEEDABLE = new Set(['float32', 'float64', ...INTEGER_TYPES]);

/** `input 'input' float32 [N,30]`. */
export function describeTensor(kind: 'input' | 'output', t: TensorSpec): string {
  return `${kind} '${t.name}' ${t.type} [${t.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : d || '?')).join(',')}]`;
}

/** Refuses, at load, a model whose inputs no request could feed. */
export function checkInputs(inputs: TensorSpec[]): void {
  for (const t of inputs) {
    if (!FEEDABLE.has(t.type)) {
      throw new PlatformError('ModelError', `${describeTensor('input', t)} has element type ${t.type}; supported: ${[...FEEDABLE].join(', ')}`);
    }
  }
}

/** The feeds for one request, and how many rows it holds (the first dimension). */
export function feedsOf(body: string, contentType: string | undefined, inputs: TensorSpec[]): { feeds: Record<string, Feed>; rows: number } {
  const media = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (media === 'application/json' && body.includes('"inputs"')) {
    const doc = parseJson(body);
    if (doc && typeof doc === 'object' && !Array.isArray(doc) && 'inputs' in doc) return namedFeeds((doc as { inputs: unknown }).inputs, inputs);
  }
  return rowFeeds(body, contentType, inputs);
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch (e) {
    throw validationError(`request body is not valid JSON: ${(e as Error).message}`);
  }
}

const allInputs = (inputs: TensorSpec[]) => inputs.map((t) => describeTensor('input', t)).join(', ');

/** One input of shape [N, d1, d2, …] (fixed d's) fed from rows of d1·d2·… values. */
function rowFeeds(body: string, contentType: string | undefined, inputs: TensorSpec[]): { feeds: Record<string, Feed>; rows: number } {
  if (inputs.length !== 1) {
    throw validationError(
      `the model has ${inputs.length} inputs (${allInputs(inputs)}); send application/json {"inputs": {"<name>": [...]}} with each of them`,
      { inputs: inputs.map((t) => t.name) },
    );
  }
  const input = inputs[0];
  const rest = input.shape.slice(1);
  if (input.shape.length === 0 || rest.some((d) => typeof d !== 'number' || d < 0)) {
    throw validationError(
      `${describeTensor('input', input)} does not take rows of a fixed length; send application/json {"inputs": {"${input.name}": [...]}} with the whole tensor`,
      { input: input.name },
    );
  }
  const width = (rest as number[]).reduce((a, b) => a * b, 1);
  let parsed;
  try {
    parsed = parseRequest(body, contentType, width);
  } catch (e) {
    if (isPlatformError(e) && e.code === 'ValidationError' && e.details && 'row' in e.details) {
      throw validationError(`model expects ${width} ${width === 1 ? 'value' : 'values'} per row (${describeTensor('input', input)}); ${e.message}`, { ...e.details, input: input.name });
    }
    throw e;
  }
  const data = convert(parsed.features, input, (i) => `row ${Math.floor(i / width) + 1}, column ${(i % width) + 1}`);
  return { feeds: { [input.name]: { type: input.type, data, dims: [parsed.rows, ...(rest as number[])] } }, rows: parsed.rows };
}

function namedFeeds(given: unknown, inputs: TensorSpec[]): { feeds: Record<string, Feed>; rows: number } {
  if (!given || typeof given !== 'object' || Array.isArray(given)) {
    throw validationError(`"inputs" must be an object of input name to array; the model's inputs: ${allInputs(inputs)}`);
  }
  const known = new Set(inputs.map((t) => t.name));
  for (const name of Object.keys(given)) {
    if (!known.has(name)) throw validationError(`the model has no input '${name}'; its inputs: ${allInputs(inputs)}`, { input: name });
  }
  const feeds: Record<string, Feed> = {};
  let rows = 1;
  for (const [k, input] of inputs.entries()) {
    const value = (given as Record<string, unknown>)[input.name];
    if (value === undefined) throw validationError(`missing input '${input.name}'; the model's inputs: ${allInputs(inputs)}`, { input: input.name });
    const { dims, flat } = flatten(value, input);
    checkShape(dims, input);
    if (k === 0) rows = dims[0] ?? 1;
    feeds[input.name] = { type: input.type, data: convert(flat, input, (i) => `value ${i + 1}`), dims };
  }
  return { feeds, rows };
}

/** A nested array's dims (rectangular, or a 400) and its numbers in row-major order. */
function flatten(value: unknown, input: TensorSpec): { dims: number[]; flat: Float64Array } {
  const dims: number[] = [];
  for (let v = value; Array.isArray(v); v = v[0]) dims.push(v.length);
  const size = dims.reduce((a, b) => a * b, 1);
  const flat = new Float64Array(size);
  let at = 0;
  const walk = (v: unknown, depth: number, path: string) => {
    if (depth === dims.length) {
      const n = typeof v === 'boolean' ? Number(v) : v === null ? NaN : v;
      if (typeof n !== 'number') throw validationError(`input '${input.name}'${path}: expected a number, got ${JSON.stringify(v)?.slice(0, 40)}`, { input: input.name });
      flat[at++] = n;
      return;
    }
    if (!Array.isArray(v) || v.length !== dims[depth]) {
      throw validationError(`input '${input.name}'${path}: not rectangular; expected an array of ${dims[depth]} (shape [${dims.join(',')}])`, { input: input.name });
    }
    for (let i = 0; i < v.length; i++) walk(v[i], depth + 1, `${path}[${i}]`);
  };
  walk(value, 0, '');
  return { dims, flat };
}

function checkShape(dims: number[], input: TensorSpec): void {
  const ok = dims.length === input.shape.length && input.shape.every((d, i) => typeof d !== 'number' || d < 0 || d === dims[i]);
  if (!ok) throw validationError(`input '${input.name}' has shape [${dims.join(',')}]; the model expects ${describeTensor('input', input)}`, { input: input.name, shape: dims });
}

/** Numbers to the input's element type; integer types refuse fractions and NaN, naming where. */
function convert(values: Float64Array, input: TensorSpec, where: (i: number) => string): TensorData {
  if (input.type === 'float64') return values;
  if (input.type === 'float32') return Float32Array.from(values);
  for (let i = 0; i < values.length; i++) {
    if (!Number.isInteger(values[i])) {
      throw validationError(`${where(i)}: ${describeTensor('input', input)} takes integers, got ${values[i]}`, { input: input.name });
    }
  }
  switch (input.type) {
    case 'int64':
      return BigInt64Array.from(values, (v) => BigInt(v));
    case 'int32':
      return Int32Array.from(values);
    case 'int16':
      return Int16Array.from(values);
    case 'uint16':
      return Uint16Array.from(values);
    case 'int8':
      return Int8Array.from(values);
    case 'bool':
      return Uint8Array.from(values, (v) => (v ? 1 : 0));
    default:
      return Uint8Array.from(values);
  }
}

/** True when every input's first dimension is dynamic, so several requests' rows can go in one run. */
export function takesBatches(inputs: TensorSpec[]): boolean {
  return inputs.every((t) => t.shape.length > 0 && (typeof t.shape[0] !== 'number' || t.shape[0] < 0));
}

/**
 * Which requests' feeds can be joined: the same key means the same dims but the first, in every
 * input. Undefined for a request that cannot join any (no rows, or an input whose first dim is not its row count).
 */
export function joinKey(feeds: Record<string, Feed>, rows: number, inputs: TensorSpec[]): string | undefined {
  if (rows === 0) return undefined;
  let key = '';
  for (const t of inputs) {
    const dims = feeds[t.name].dims;
    if (dims[0] !== rows) return undefined;
    key += `${dims.slice(1).join(',')};`;
  }
  return key;
}

/** The feeds of several requests (of one join key) as one: each input's rows one request after the other. */
export function joinFeeds(parts: Array<Record<string, Feed>>, inputs: TensorSpec[]): Record<string, Feed> {
  const joined: Record<string, Feed> = {};
  for (const t of inputs) {
    const first = parts[0][t.name];
    let length = 0;
    let rows = 0;
    for (const p of parts) {
      length += p[t.name].data.length;
      rows += p[t.name].dims[0];
    }
    // Every part has the input's element type, so one constructor and `set` fit them all.
    const data = new (first.data.constructor as new (n: number) => Float64Array)(length);
    let at = 0;
    for (const p of parts) {
      data.set(p[t.name].data as Float64Array, at);
      at += p[t.name].data.length;
    }
    joined[t.name] = { type: first.type, data: data as TensorData, dims: [rows, ...first.dims.slice(1)] };
  }
  return joined;
}

const rangeOf = (data: Fetched['data'], from: number, to: number): Fetched['data'] =>
  ArrayBuffer.isView(data) ? (data as Float32Array).subarray(from, to) : Array.prototype.slice.call(data, from, to);

/**
 * The outputs of a joined run, split back per request (`rows[k]` rows each, in order), as views.
 * @throws PlatformError ModelError when an output does not have one entry per row of the run.
 */
export function splitOutputs(outputs: Array<[string, Fetched]>, rows: number[]): Array<Array<[string, Fetched]>> {
  const total = rows.reduce((a, b) => a + b, 0);
  const parts: Array<Array<[string, Fetched]>> = rows.map(() => []);
  for (const [name, t] of outputs) {
    if (t.dims.length === 0 || t.dims[0] !== total) {
      throw new PlatformError('ModelError', `the model's output '${name}' has shape [${t.dims.join(',')}], not one entry per row of the run (${total} rows)`, { output: name });
    }
    const rest = t.dims.slice(1);
    const width = rest.reduce((a, b) => a * b, 1);
    let at = 0;
    for (let k = 0; k < rows.length; k++) {
      parts[k].push([name, { type: t.type, data: rangeOf(t.data, at * width, (at + rows[k]) * width), dims: [rows[k], ...rest] }]);
      at += rows[k];
    }
  }
  return parts;
}

type Cell = number | string | boolean;
type Nested = Cell | Nested[];
export type OutputRecord = Record<string, Nested>;

/** Output tensors as one record per row: `{ label: 1, probabilities: [0.1, 0.9] }`. */
export function recordsOf(outputs: Array<[string, Fetched]>, rows: number): OutputRecord[] {
  const records: OutputRecord[] = Array.from({ length: rows }, () => ({}));
  for (const [name, t] of outputs) {
    if (t.dims.length === 0 || t.dims[0] !== rows) {
      throw new PlatformError('ModelError', `the model's output '${name}' has shape [${t.dims.join(',')}], not one entry per row of the request (${rows} rows)`, { output: name });
    }
    const rest = t.dims.slice(1);
    const width = rest.reduce((a, b) => a * b, 1);
    for (let r = 0; r < rows; r++) records[r][name] = nest(t, r * width, rest);
  }
  return records;
}

function cell(t: Fetched, i: number): Cell {
  const v = t.data[i];
  if (typeof v === 'bigint') return Number(v);
  if (t.type === 'bool') return Boolean(v);
  return v as Cell;
}

function nest(t: Fetched, offset: number, dims: number[]): Nested {
  if (dims.length === 0) return cell(t, offset);
  const [n, ...inner] = dims;
  const step = inner.reduce((a, b) => a * b, 1);
  return Array.from({ length: n }, (_, i) => nest(t, offset + i * step, inner));
}

const csvCell = (v: Cell) => (typeof v === 'string' ? (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v) : String(typeof v === 'boolean' ? Number(v) : v));

/** One CSV line: every output's values in output order, flattened. */
function csvLine(record: OutputRecord): string {
  return Object.values(record).flat(Infinity as 1).map((v) => csvCell(v as Cell)).join(',');
}

/** JSON `{"predictions":[…]}` (default), JSON lines, or CSV one line per row, as Accept asks. */
export function formatOutputs(records: OutputRecord[], accept: string | undefined): { body: string; contentType: string } {
  const type = negotiateAccept(accept, ACCEPTED, 'application/json');
  if (type === 'application/json') return { body: JSON.stringify({ predictions: records }), contentType: type };
  const line = type === 'text/csv' ? csvLine : (r: OutputRecord) => JSON.stringify(r);
  let body = '';
  for (const r of records) body += `${line(r)}\n`;
  return { body, contentType: type };
}
