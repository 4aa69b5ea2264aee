import { badCell, PlatformError, validationError } from '../core/errors.js';

/** Invocation body formats `parseRequest` reads (SageMaker built-in conventions). */
export const REQUEST_CONTENT_TYPES = ['text/csv', 'application/json', 'application/jsonlines'] as const;
export type RequestContentType = (typeof REQUEST_CONTENT_TYPES)[number];
export type ResponseContentType = 'application/json' | 'application/jsonlines' | 'text/csv';

/** One prediction, e.g. `{ score: 0.4, predicted_label: 0 }`. */
export type PredictionRecord = Record<string, number | number[]>;

/** Feature rows of one request, row-major: value `j` of row `i` is `features[i * featureCount + j]`. */
export interface ParsedRequest {
  features: Float64Array;
  rows: number;
}

const ALIASES: Readonly<Record<string, RequestContentType>> = {
  'text/csv': 'text/csv',
  'application/json': 'application/json',
  'application/jsonlines': 'application/jsonlines',
  'application/x-jsonlines': 'application/jsonlines',
};

/** Above this many values a request is refused before anything is allocated. */
const MAX_VALUES = 2 ** 25;
const LF = 0x0a;
const CR = 0x0d;
const COMMA = 0x2c;

/**
 * Parses an invocation body into feature rows; every row must have exactly `featureCount` values.
 *
 * - `text/csv` (the default when absent): one row per line, features only, no header; CRLF and
 *   a final newline are fine.
 * - `application/json`: `{"instances":[{"features":[…]}]}`, `{"instances":[[…]]}`,
 *   `{"instances":[{"data":{"features":{"values":[…]}}}]}` (sparse with `keys`/`shape` too),
 *   `{"features":[…]}` for one row, or a bare array of rows.
 * - `application/jsonlines`: one `{"features":[…]}` (or `[…]`, or the `data` form) per line.
 *
 * Content-type parameters are ignored. Rows and columns in messages are 1-based.
 *
 * @throws PlatformError only: UnsupportedMediaType for another content type, PayloadTooLarge past
 *   2^25 values, ValidationError for an empty body, malformed JSON (with its position), a bad
 *   value (`row r, column c: …`) or a row of the wrong length.
 */
export function parseRequest(body: Buffer | string, contentType: string | undefined, featureCount: number): ParsedRequest {
  if (!Number.isSafeInteger(featureCount) || featureCount < 1) {
    throw new PlatformError('Internal', `parseRequest: featureCount must be a positive integer, got ${featureCount}`);
  }
  const type = requestType(contentType);
  // CSV and line splitting work on bytes: indexing a Buffer is several times faster than a string.
  const bytes = withoutBom(typeof body === 'string' ? Buffer.from(body, 'utf8') : body);
  if (isBlank(bytes)) throw validationError('request body is empty');
  if (type === 'text/csv') return parseCsv(bytes, featureCount);
  if (type === 'application/json') return parseJsonBody(bytes.toString('utf8'), featureCount);
  return parseJsonLines(bytes, featureCount);
}

function requestType(contentType: string | undefined): RequestContentType {
  const media = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (media === '') return 'text/csv';
  const type = Object.hasOwn(ALIASES, media) ? ALIASES[media] : undefined;
  if (type) return type;
  throw new PlatformError(
    'UnsupportedMediaType',
    `content type '${media.slice(0, 100)}' is not supported; use one of ${REQUEST_CONTENT_TYPES.join(', ')}`,
    { supported: [...REQUEST_CONTENT_TYPES] },
  );
}

const withoutBom = (b: Buffer) => (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? b.subarray(3) : b);

function isBlank(bytes: Buffer): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    if (c !== 0x20 && c !== 0x09 && c !== LF && c !== CR) return false;
  }
  return true;
}

// ---------------------------------------------------------------- CSV and line splitting

/** Where the rows end: one final newline (LF or CRLF) closes the last row rather than adding one. */
function contentEnd(bytes: Buffer): number {
  let end = bytes.length;
  if (bytes[end - 1] === LF) end--;
  if (bytes[end - 1] === CR) end--;
  return end;
}

function countLines(bytes: Buffer, end: number): number {
  let lines = 1;
  for (let i = bytes.indexOf(LF); i >= 0 && i < end; i = bytes.indexOf(LF, i + 1)) lines++;
  return lines;
}

/** Calls `row(start, stop, index)` per line, excluding line terminators. */
function forEachLine(bytes: Buffer, end: number, row: (start: number, stop: number, index: number) => void): void {
  for (let pos = 0, r = 0; pos <= end; r++) {
    let next = bytes.indexOf(LF, pos);
    if (next < 0 || next > end) next = end;
    const stop = next > pos && bytes[next - 1] === CR ? next - 1 : next;
    if (stop === pos) throw validationError(`row ${r + 1} is empty`, { row: r + 1 });
    row(pos, stop, r);
    pos = next + 1;
  }
}

/**
 * Allocates the output, or a one-row scratch when the body is too short to hold `rows` valid
 * rows of `minRowBytes` (parsing then fails on a short row before using more).
 */
function allocate(rows: number, n: number, bytes: number, minRowBytes: number): { out: Float64Array; stride: number } {
  if (rows * minRowBytes + (rows - 1) > bytes) return { out: new Float64Array(n), stride: 0 };
  if (rows * n > MAX_VALUES) {
    throw new PlatformError('PayloadTooLarge', `request holds ${rows} rows of ${n} features, more than ${MAX_VALUES} values`);
  }
  return { out: new Float64Array(rows * n), stride: n };
}

function parseCsv(bytes: Buffer, n: number): ParsedRequest {
  const end = contentEnd(bytes);
  const rows = countLines(bytes, end);
  const { out, stride } = allocate(rows, n, end, 2 * n - 1);
  forEachLine(bytes, end, (start, stop, r) => parseCsvRow(bytes, start, stop, r + 1, n, out, r * stride));
  return { features: out, rows };
}

function parseCsvRow(bytes: Buffer, start: number, stop: number, row: number, n: number, out: Float64Array, base: number): void {
  let pos = start;
  for (let col = 0; col < n; col++) {
    if (pos > stop) throw wrongCount(row, n, col);
    let comma = pos;
    while (comma < stop && bytes[comma] !== COMMA) comma++;
    out[base + col] = csvNumber(bytes, pos, comma, row, col + 1);
    pos = comma + 1;
  }
  if (pos <= stop) throw wrongCount(row, n, n + 1 + countCommas(bytes, pos, stop));
}

function countCommas(bytes: Buffer, from: number, to: number): number {
  let count = 0;
  for (let i = from; i < to; i++) if (bytes[i] === COMMA) count++;
  return count;
}

function csvNumber(bytes: Buffer, a: number, b: number, row: number, column: number): number {
  const fast = plainDecimal(bytes, a, b);
  if (!Number.isNaN(fast)) return fast;
  const cell = bytes.toString('utf8', a, b);
  const v = Number(cell);
  // Number() reads '' and blanks as 0 and accepts Infinity; neither is a feature value.
  if (Number.isFinite(v) && (v !== 0 || cell.trim() !== '')) return v;
  if (cell.trim() === '') throw badCell(row, column, 'missing value');
  throw badCell(row, column, `'${excerpt(cell)}' is not a finite number`);
}

const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;

/**
 * Reads a plain decimal (`-12.5e3`) of at most 15 significant digits and a power of ten within
 * ±22, or gives NaN for anything else. In that range `mantissa × 10^k` and `mantissa / 10^k` are
 * one correctly rounded operation on exact doubles (Clinger's fast path), so the result equals
 * Number()'s without decoding a string per cell.
 */
function plainDecimal(bytes: Buffer, a: number, b: number): number {
  let i = a;
  const sign = i < b && bytes[i] === 0x2d ? -1 : 1;
  if (i < b && (bytes[i] === 0x2d || bytes[i] === 0x2b)) i++;
  let mantissa = 0;
  let digits = 0;
  let seen = 0;
  let scale = 0;
  let dot = false;
  for (; i < b; i++) {
    const c = bytes[i];
    if (c === 0x2e && !dot) dot = true;
    else if (!isDigit(c)) break;
    else {
      seen++;
      if (mantissa !== 0 || c !== 0x30) digits++;
      mantissa = mantissa * 10 + (c - 0x30);
      if (dot) scale++;
    }
  }
  if (seen === 0 || digits > 15 || (i < b && (bytes[i] | 0x20) !== 0x65)) return NaN;
  const exp = i < b && (bytes[i] | 0x20) === 0x65 ? exponent(bytes, i + 1, b) : 0;
  if (Number.isNaN(exp)) return NaN;
  if (mantissa === 0) return sign * 0;
  const power = exp - scale;
  if (power > 22 || power < -22) return NaN;
  return sign * (power >= 0 ? mantissa * POW10[power] : mantissa / POW10[-power]);
}

/** The exponent digits filling `[i, b)`, or NaN (also for more than 3 digits). */
function exponent(bytes: Buffer, i: number, b: number): number {
  const sign = i < b && bytes[i] === 0x2d ? -1 : 1;
  if (i < b && (bytes[i] === 0x2d || bytes[i] === 0x2b)) i++;
  if (i === b || b - i > 3) return NaN;
  let exp = 0;
  for (; i < b; i++) {
    if (!isDigit(bytes[i])) return NaN;
    exp = exp * 10 + (bytes[i] - 0x30);
  }
  return sign * exp;
}

const wrongCount = (row: number, expected: number, actual: number) =>
  validationError(`row ${row} has ${actual} ${actual === 1 ? 'value' : 'values'}, expected ${expected}`, { row, expected, actual });

const excerpt = (s: string) => (s.length > 24 ? `${s.slice(0, 24)}…` : s);

// ---------------------------------------------------------------- JSON and JSON lines

function parseJsonBody(text: string, n: number): ParsedRequest {
  const instances = instancesOf(parseJson(text));
  const rows = instances.map((inst, r) => rowOf(inst, r + 1, n));
  const { out } = allocate(rows.length, n, Infinity, 0);
  rows.forEach((values, r) => readRow(values, r + 1, n, out, r * n));
  return { features: out, rows: rows.length };
}

function parseJsonLines(bytes: Buffer, n: number): ParsedRequest {
  const end = contentEnd(bytes);
  const rows = countLines(bytes, end);
  const { out, stride } = allocate(rows, n, end, 2 * n + 1);
  forEachLine(bytes, end, (start, stop, r) => {
    const doc = parseJson(bytes.toString('utf8', start, stop), r + 1);
    readRow(rowOf(doc, r + 1, n), r + 1, n, out, r * stride);
  });
  return { features: out, rows };
}

function instancesOf(doc: unknown): unknown[] {
  if (Array.isArray(doc)) return doc.length > 0 && !Array.isArray(doc[0]) && !isObject(doc[0]) ? [doc] : doc;
  if (isObject(doc)) {
    if (Array.isArray(doc.instances)) return doc.instances;
    if (doc.instances !== undefined) throw validationError('"instances" must be an array of rows');
    if (doc.features !== undefined || doc.data !== undefined) return [doc];
  }
  throw validationError('expected {"instances":[…]}, {"features":[…]} or an array of rows');
}

type Sparse = { keys: unknown[]; values: unknown[]; shape?: unknown };

/** The row's values, checked for length: a dense array, or the sparse `{keys, values, shape}` form. */
function rowOf(inst: unknown, row: number, n: number): unknown[] | Sparse {
  const values = valuesOf(inst, row, n);
  if (Array.isArray(values) && values.length !== n) throw wrongCount(row, n, values.length);
  return values;
}

function valuesOf(inst: unknown, row: number, n: number): unknown[] | Sparse {
  if (Array.isArray(inst)) return inst;
  if (isObject(inst)) {
    if (Array.isArray(inst.features)) return inst.features;
    const f = isObject(inst.data) && isObject(inst.data.features) ? inst.data.features : undefined;
    if (f && Array.isArray(f.values)) {
      if (f.keys === undefined) return f.values;
      if (Array.isArray(f.keys)) return checkSparse({ keys: f.keys, values: f.values, shape: f.shape }, row, n);
    }
  }
  throw validationError(
    `row ${row}: expected an array of numbers, {"features":[…]} or {"data":{"features":{"values":[…]}}}`,
    { row },
  );
}

function checkSparse(s: Sparse, row: number, n: number): Sparse {
  const shapeOk = s.shape === undefined || (Array.isArray(s.shape) && s.shape.length === 1 && s.shape[0] === n);
  if (!shapeOk) throw validationError(`row ${row}: sparse "shape" must be [${n}]`, { row });
  if (s.keys.length !== s.values.length) {
    throw validationError(`row ${row}: sparse "keys" and "values" differ in length (${s.keys.length} vs ${s.values.length})`, { row });
  }
  return s;
}

function readRow(values: unknown[] | Sparse, row: number, n: number, out: Float64Array, base: number): void {
  if (!Array.isArray(values)) return readSparse(values, row, n, out, base);
  for (let j = 0; j < n; j++) out[base + j] = jsonNumber(values[j], row, j + 1);
}

function readSparse(s: Sparse, row: number, n: number, out: Float64Array, base: number): void {
  for (let j = 0; j < n; j++) out[base + j] = 0;
  for (let k = 0; k < s.keys.length; k++) {
    const key = s.keys[k];
    if (typeof key !== 'number' || !Number.isInteger(key) || key < 0 || key >= n) {
      throw validationError(`row ${row}: sparse key ${excerpt(JSON.stringify(key) ?? String(key))} is not an index in [0, ${n})`, { row });
    }
    out[base + key] = jsonNumber(s.values[k], row, key + 1);
  }
}

function jsonNumber(v: unknown, row: number, column: number): number {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (v === null || v === undefined) throw badCell(row, column, 'missing value');
  if (typeof v === 'number') throw badCell(row, column, `${v} is not a finite number`);
  throw badCell(row, column, `expected a number, got ${Array.isArray(v) ? 'an array' : typeof v}`);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** JSON.parse, with errors placed by position (a body) or by row and column (a JSON-lines row). */
function parseJson(text: string, row?: number): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // V8 does not always say where; find the spot ourselves.
    const at = Math.max(0, jsonErrorAt(text));
    const what = at >= text.length ? 'unexpected end of input' : `unexpected ${JSON.stringify(text[at])}`;
    if (row !== undefined) throw validationError(`row ${row}: malformed JSON at column ${at + 1}: ${what}`, { row, column: at + 1 });
    const { line, column } = lineColumn(text, at);
    throw validationError(`malformed JSON at position ${at} (line ${line}, column ${column}): ${what}`, { position: at, line, column });
  }
}

function lineColumn(text: string, at: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < at; i = text.indexOf('\n', i + 1)) [line, lineStart] = [line + 1, i + 1];
  return { line, column: at - lineStart + 1 };
}

/**
 * Index of the first character at which `s` stops being valid JSON (`s.length` when it ends too
 * early), or -1 when it is valid. Iterative, so deep nesting cannot overflow the stack.
 *
 * @internal exported for tests.
 */
export function jsonErrorAt(s: string): number {
  const stack: number[] = [];
  let i = skipWs(s, 0);
  for (;;) {
    const c = s.charCodeAt(i);
    if (c === 0x7b || c === 0x5b) {
      const close = c + 2; // '{' → '}', '[' → ']'
      const j = skipWs(s, i + 1);
      if (s.charCodeAt(j) === close) i = j + 1;
      else {
        stack.push(close);
        i = c === 0x7b ? memberValueAt(s, j) : j;
        if (i < 0) return ~i;
        continue;
      }
    } else {
      i = scalarEnd(s, i);
      if (i < 0) return ~i;
    }
    // After a value: close containers, or take a comma and go on to the next value.
    for (;;) {
      i = skipWs(s, i);
      if (stack.length === 0) return i < s.length ? i : -1;
      const close = stack[stack.length - 1];
      const c2 = s.charCodeAt(i);
      if (c2 === close) {
        stack.pop();
        i++;
        continue;
      }
      if (c2 !== COMMA) return Math.min(i, s.length);
      i = close === 0x7d ? memberValueAt(s, skipWs(s, i + 1)) : skipWs(s, i + 1);
      if (i < 0) return ~i;
      break;
    }
  }
}

function skipWs(s: string, i: number): number {
  for (;;) {
    const c = s.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== LF && c !== CR) return i;
    i++;
  }
}

/** A `"key":` at `i`: the index of the value after the colon, or ~error. */
function memberValueAt(s: string, i: number): number {
  if (s.charCodeAt(i) !== 0x22) return ~Math.min(i, s.length);
  const j = stringEnd(s, i);
  if (j < 0) return j;
  const k = skipWs(s, j);
  return s.charCodeAt(k) === 0x3a ? skipWs(s, k + 1) : ~Math.min(k, s.length);
}

function scalarEnd(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c === 0x22) return stringEnd(s, i);
  if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return numberEnd(s, i);
  for (const word of ['true', 'false', 'null']) {
    if (c === word.charCodeAt(0)) {
      for (let k = 1; k < word.length; k++) if (s.charCodeAt(i + k) !== word.charCodeAt(k)) return ~Math.min(i + k, s.length);
      return i + word.length;
    }
  }
  return ~Math.min(i, s.length);
}

function stringEnd(s: string, i: number): number {
  for (let j = i + 1; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c === 0x22) return j + 1;
    if (c < 0x20) return ~j;
    if (c !== 0x5c) continue;
    const e = s.charCodeAt(++j);
    if (e === 0x75) {
      for (let k = 1; k <= 4; k++) if (!isHex(s.charCodeAt(j + k))) return ~Math.min(j + k, s.length);
      j += 4;
    } else if (!'"\\/bfnrt'.includes(s[j] ?? '')) return ~Math.min(j, s.length);
  }
  return ~s.length;
}

function numberEnd(s: string, i: number): number {
  let j = i;
  if (s.charCodeAt(j) === 0x2d) j++;
  if (s.charCodeAt(j) === 0x30) j++;
  else if (isDigit(s.charCodeAt(j))) while (isDigit(s.charCodeAt(j))) j++;
  else return ~Math.min(j, s.length);
  if (s.charCodeAt(j) === 0x2e) {
    if (!isDigit(s.charCodeAt(++j))) return ~Math.min(j, s.length);
    while (isDigit(s.charCodeAt(j))) j++;
  }
  if ((s.charCodeAt(j) | 0x20) === 0x65) {
    j++;
    if (s.charCodeAt(j) === 0x2b || s.charCodeAt(j) === 0x2d) j++;
    if (!isDigit(s.charCodeAt(j))) return ~Math.min(j, s.length);
    while (isDigit(s.charCodeAt(j))) j++;
  }
  return j;
}

const isHex = (c: number) => isDigit(c) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66);

// ---------------------------------------------------------------- Accept and responses

/**
 * Picks the response type from an Accept header: the highest-q range that matches `supported`
 * (`*\/*` and `type/*` prefer `fallback`). An absent or empty header gives `fallback`.
 *
 * @throws PlatformError NotAcceptable (406) listing `supported` when nothing matches.
 */
export function negotiateAccept(accept: string | undefined, supported: string[], fallback: string): string {
  if (accept === undefined || accept.trim() === '') return fallback;
  const ranges = accept
    .split(',')
    .map((part, index) => mediaRange(part, index))
    .filter((r) => r.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const { media } of ranges) {
    const match = matchRange(media, supported, fallback);
    if (match) return match;
  }
  throw new PlatformError('NotAcceptable', `cannot respond with '${excerpt(accept)}'; supported: ${supported.join(', ')}`, {
    supported,
  });
}

function mediaRange(part: string, index: number): { media: string; q: number; index: number } {
  const [media, ...params] = part.split(';').map((p) => p.trim().toLowerCase());
  const qParam = params.find((p) => p.startsWith('q='));
  const q = qParam === undefined ? 1 : Number(qParam.slice(2));
  return { media, q: Number.isFinite(q) ? q : 1, index };
}

function matchRange(media: string, supported: string[], fallback: string): string | undefined {
  if (media === '*/*' || media === '*') return fallback;
  if (media.endsWith('/*')) {
    const prefix = media.slice(0, -1);
    return fallback.toLowerCase().startsWith(prefix) ? fallback : supported.find((s) => s.toLowerCase().startsWith(prefix));
  }
  return supported.find((s) => s.toLowerCase() === media);
}

/**
 * Serializes predictions: JSON `{"predictions":[…]}`, JSON lines (one object per line), or CSV
 * (one `csvLine(record)` per line). Line formats end every record, the last one included, with `\n`.
 */
export function formatResponse(
  records: PredictionRecord[],
  accept: ResponseContentType,
  csvLine: (record: PredictionRecord) => string,
): { body: string; contentType: string } {
  if (accept === 'application/json') return { body: JSON.stringify({ predictions: records }), contentType: accept };
  const line = accept === 'text/csv' ? csvLine : (r: PredictionRecord) => JSON.stringify(r);
  let body = '';
  for (const record of records) body += `${line(record)}\n`;
  return { body, contentType: accept };
}
