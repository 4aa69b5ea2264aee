import { validationError } from '../core/errors.js';

/**
 * The JSONPath subset SageMaker batch transform accepts in InputFilter and OutputFilter:
 * `$` (everything), `.name` / `['name']` / `['a','b']` (object keys), `[i]` (one element),
 * `[i,j,k]` (elements, in that order), `[a:b]` (a slice; either end optional, negative counts
 * from the end). Segments chain: `$.features[1:]`. Filters run on parsed JSON values, and on CSV
 * records as the array of their cells.
 */
export type Segment =
  | { kind: 'keys'; keys: string[] }
  | { kind: 'indexes'; indexes: number[]; single: boolean }
  | { kind: 'slice'; start?: number; end?: number };

export interface RecordFilter {
  readonly text: string;
  readonly segments: readonly Segment[];
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_-]*/;
const INT = /^\s*-?\d+\s*$/;

/**
 * Parses a filter expression.
 * @throws ValidationError naming `field` and what is wrong.
 */
export function parseFilter(text: string, field = 'filter'): RecordFilter {
  const bad = (why: string) => validationError(`${field} '${text}' is not a supported JSONPath: ${why}`, { field, filter: text });
  if (!text.startsWith('$')) throw bad("it must start with '$'");
  const segments: Segment[] = [];
  let rest = text.slice(1);
  while (rest.length > 0) {
    if (rest.startsWith('.')) {
      const m = IDENT.exec(rest.slice(1));
      if (!m) throw bad("expected a key name after '.'");
      segments.push({ kind: 'keys', keys: [m[0]] });
      rest = rest.slice(1 + m[0].length);
    } else if (rest.startsWith('[')) {
      const close = bracketEnd(rest);
      if (close < 0) throw bad("missing ']'");
      segments.push(bracket(rest.slice(1, close), bad));
      rest = rest.slice(close + 1);
    } else {
      throw bad(`unexpected '${rest[0]}'`);
    }
  }
  return { text, segments };
}

/** Index of the `]` closing the bracket at 0, skipping quoted keys. */
function bracketEnd(s: string): number {
  let quote = '';
  for (let i = 1; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === "'" || c === '"') quote = c;
    else if (c === ']') return i;
  }
  return -1;
}

function bracket(inner: string, bad: (why: string) => Error): Segment {
  const body = inner.trim();
  if (body === '*' || body === ':') return { kind: 'slice' };
  if (body.startsWith("'") || body.startsWith('"')) {
    const keys = body.split(',').map((k) => k.trim());
    if (!keys.every((k) => k.length >= 2 && (k[0] === "'" || k[0] === '"') && k[k.length - 1] === k[0])) throw bad('keys in [] must all be quoted');
    return { kind: 'keys', keys: keys.map((k) => k.slice(1, -1)) };
  }
  if (body.includes(':')) {
    const parts = body.split(':');
    if (parts.length !== 2) throw bad('a slice is [start:end]');
    const [start, end] = parts.map((p) => (p.trim() === '' ? undefined : p));
    for (const p of [start, end]) if (p !== undefined && !INT.test(p)) throw bad(`'${p.trim()}' is not an integer`);
    return { kind: 'slice', ...(start !== undefined ? { start: Number(start) } : {}), ...(end !== undefined ? { end: Number(end) } : {}) };
  }
  const parts = body.split(',');
  for (const p of parts) if (!INT.test(p)) throw bad(`'${p.trim()}' is not an integer index`);
  return { kind: 'indexes', indexes: parts.map(Number), single: parts.length === 1 };
}

/** Whether the filter keeps everything (`$`), so callers can skip parsing records. */
export const isIdentity = (f: RecordFilter | undefined) => f === undefined || f.segments.length === 0;

/**
 * Applies a filter to a value (a parsed JSON record, or a CSV record's cells).
 * @throws Error with a message for the record's position when the value does not have the shape
 *   the filter needs (a key of a non-object, an index past the end).
 */
export function applyFilter(f: RecordFilter, value: unknown): unknown {
  let v = value;
  for (const s of f.segments) v = applySegment(s, v, f.text);
  return v;
}

function applySegment(s: Segment, v: unknown, text: string): unknown {
  if (s.kind === 'keys') {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`filter ${text}: expected an object, got ${describe(v)}`);
    const obj = v as Record<string, unknown>;
    for (const k of s.keys) if (!Object.hasOwn(obj, k)) throw new Error(`filter ${text}: the record has no key '${k}'`);
    if (s.keys.length === 1) return obj[s.keys[0]];
    return Object.fromEntries(s.keys.map((k) => [k, obj[k]]));
  }
  if (!Array.isArray(v)) throw new Error(`filter ${text}: expected an array, got ${describe(v)}`);
  const n = v.length;
  if (s.kind === 'slice') return v.slice(s.start ?? 0, s.end ?? n);
  const picked = s.indexes.map((i) => {
    const at = i < 0 ? n + i : i;
    if (at < 0 || at >= n) throw new Error(`filter ${text}: index ${i} is outside the record's ${n} values`);
    return v[at];
  });
  return s.single ? picked[0] : picked;
}

const describe = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v);

/**
 * A CSV record's cells, split on commas outside double quotes. Cells keep their text as written
 * (quotes included), so joining them back with `,` reproduces the record.
 */
export function csvCells(line: string): string[] {
  if (!line.includes('"')) return line.split(',');
  const cells: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 0x22) quoted = !quoted;
    else if (c === 0x2c && !quoted) {
      cells.push(line.slice(start, i));
      start = i + 1;
    }
  }
  cells.push(line.slice(start));
  return cells;
}

/** A filtered CSV value back to one line: cells joined by commas. */
export const csvLine = (v: unknown): string => (Array.isArray(v) ? v.map(String).join(',') : String(v));
