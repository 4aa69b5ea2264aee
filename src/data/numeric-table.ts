import { open, readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { badCell, validationError, type PlatformError } from '../core/errors.js';

/** A dense numeric table: features row-major (rows × cols) plus one label per row. */
export interface NumericTable {
  features: Float64Array;
  /** One label per row; empty when the table has no label column. */
  labels: Float64Array;
  rows: number;
  /** Feature columns (the label column excluded). */
  cols: number;
  featureNames: string[];
}

/**
 * Where the label is. Resolution order:
 * 1. `targetColumn` names the label column (requires `header`).
 * 2. With a header and no `targetColumn`: `labelFirst: true` → column 0, `labelFirst: false` →
 *    no label, unset → the column named `target`.
 * 3. Without a header: the label is column 0 unless `labelFirst` is `false` (features only).
 */
export interface NumericCsvOptions {
  header: boolean;
  targetColumn?: string;
  labelFirst?: boolean;
  /** Checks each label; a returned message fails the read at that cell (e.g. "not a class"). */
  validateLabel?: (label: number) => string | undefined;
}

/** Options of {@link readNumericTable}. */
export interface ReadNumericTableOptions extends NumericCsvOptions {
  /** Files are named relative to this folder in error messages (else by their full path). */
  root?: string;
  /** Abandons the read between chunks. */
  signal?: AbortSignal;
  /** Read size; lines longer than this grow the buffer. @defaultValue 16 MiB */
  chunkBytes?: number;
}

const LF = 10;
const CR = 13;
const COMMA = 44;
const CHUNK_BYTES = 1 << 24;
const MAX_SAFE_MANTISSA = 2 ** 53;
/** 10^0..10^22 are exact doubles: one multiply or divide by them rounds correctly (Clinger). */
const POW10 = Float64Array.from({ length: 23 }, (_, i) => 10 ** i);
const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const DEFAULT_TARGET = 'target';

/** Column layout shared by every file of one table. */
interface Layout {
  /** Columns per line, label included. */
  width: number;
  /** Per column: index among the features, or -1 for the label. */
  dest: Int32Array;
  hasLabel: boolean;
  featureNames: string[];
}

/** Growable output arrays; typed arrays grow geometrically. */
class TableBuilder {
  features: Float64Array;
  labels: Float64Array;
  rows = 0;
  capacity: number;

  constructor(
    readonly cols: number,
    readonly hasLabel: boolean,
    capacity: number,
  ) {
    this.capacity = Math.max(16, Math.ceil(capacity));
    this.features = new Float64Array(this.capacity * cols);
    this.labels = new Float64Array(hasLabel ? this.capacity : 0);
  }

  grow(): void {
    this.capacity = Math.ceil(this.capacity * 1.5) + 16;
    this.features = copyInto(new Float64Array(this.capacity * this.cols), this.features, this.rows * this.cols);
    if (this.hasLabel) this.labels = copyInto(new Float64Array(this.capacity), this.labels, this.rows);
  }

  finish(featureNames: string[]): NumericTable {
    const { rows, cols } = this;
    // Trim only when the slack is large: trimming a big table costs a full copy.
    const trim = this.capacity > rows * 1.25 + 16;
    const features = trim ? this.features.slice(0, rows * cols) : this.features.subarray(0, rows * cols);
    const n = this.hasLabel ? rows : 0;
    const labels = trim ? this.labels.slice(0, n) : this.labels.subarray(0, n);
    return { features, labels, rows, cols, featureNames };
  }
}

function copyInto(dst: Float64Array, src: Float64Array, n: number): Float64Array {
  dst.set(src.subarray(0, n));
  return dst;
}

/** Parse position within one source, for error messages. */
interface Cursor {
  source: string;
  /** 1-based number of the last line consumed, as an editor counts them. */
  line: number;
}

function cellError(cur: Cursor, line: number, column: number, message: string): PlatformError {
  const err = badCell(line, column, `${message} (file '${cur.source}')`);
  Object.assign(err.details ?? {}, { file: cur.source });
  return err;
}

/**
 * Parses the complete lines in `buf[pos, end)` into `t`. `buf[end - 1]` must be LF: the
 * terminator doubles as a sentinel, so the digit loops need no bounds checks.
 */
function parseLines(
  buf: Buffer,
  pos: number,
  end: number,
  t: TableBuilder,
  layout: Layout,
  cur: Cursor,
  validateLabel: ((label: number) => string | undefined) | undefined,
): void {
  const { width, dest } = layout;
  const cols = t.cols;
  let feat = t.features;
  let labels = t.labels;
  let row = t.rows;
  let line = cur.line;
  while (pos < end) {
    line++;
    let ch = buf[pos];
    if (ch === LF) {
      pos++;
      continue;
    }
    if (ch === CR && buf[pos + 1] === LF) {
      pos += 2;
      continue;
    }
    if (row === t.capacity) {
      t.rows = row;
      t.grow();
      feat = t.features;
      labels = t.labels;
    }
    const base = row * cols;
    let col = 0;
    for (;;) {
      // Fast path: [+-]digits[.digits][e[+-]digits] with an exactly representable mantissa.
      const start = pos;
      let neg = false;
      ch = buf[pos];
      if (ch === 45) {
        neg = true;
        ch = buf[++pos];
      } else if (ch === 43) ch = buf[++pos];
      let mant = 0;
      let digits = 0;
      let exp10 = 0;
      let d = ch - 48;
      while (d >= 0 && d <= 9) {
        mant = mant * 10 + d;
        digits++;
        d = buf[++pos] - 48;
      }
      if (d === -2) {
        d = buf[++pos] - 48;
        while (d >= 0 && d <= 9) {
          mant = mant * 10 + d;
          digits++;
          exp10--;
          d = buf[++pos] - 48;
        }
      }
      let ok = digits > 0;
      if (ok && (d === 53 || d === 21)) {
        let eNeg = false;
        d = buf[++pos] - 48;
        if (d === -3) {
          eNeg = true;
          d = buf[++pos] - 48;
        } else if (d === -5) d = buf[++pos] - 48;
        let e = 0;
        ok = d >= 0 && d <= 9;
        while (d >= 0 && d <= 9) {
          if (e < 100000) e = e * 10 + d;
          d = buf[++pos] - 48;
        }
        exp10 += eNeg ? -e : e;
      }
      ch = d + 48;
      let v: number;
      if (ok && (ch === COMMA || ch === LF || ch === CR) && mant <= MAX_SAFE_MANTISSA && exp10 >= -22 && exp10 <= 22) {
        v = exp10 >= 0 ? mant * POW10[exp10] : mant / POW10[-exp10];
        if (neg) v = -v;
      } else if (digits === 0 && pos === start && (ch === COMMA || ch === LF || ch === CR)) {
        v = NaN;
      } else {
        pos = start;
        ch = buf[pos];
        while (ch !== COMMA && ch !== LF && ch !== CR) ch = buf[++pos];
        v = parseCellSlow(buf.toString('utf8', start, pos), cur, line, col + 1);
      }
      if (col >= width) throw cellError(cur, line, col + 1, `expected ${width} columns, found more`);
      const dj = dest[col];
      if (dj >= 0) feat[base + dj] = v;
      else {
        if (v !== v) throw cellError(cur, line, col + 1, 'missing label');
        if (validateLabel !== undefined) {
          const problem = validateLabel(v);
          if (problem !== undefined) throw cellError(cur, line, col + 1, problem);
        }
        labels[row] = v;
      }
      col++;
      pos++;
      if (ch === COMMA) continue;
      if (ch === CR && buf[pos] === LF) pos++;
      break;
    }
    if (col !== width) throw cellError(cur, line, col + 1, `expected ${width} columns, found ${col}`);
    row++;
  }
  t.rows = row;
  cur.line = line;
}

/** Exotic but valid forms (long mantissas, big exponents, quotes, spaces, nan). */
function parseCellSlow(raw: string, cur: Cursor, line: number, column: number): number {
  let text = raw.trim();
  if (text.length >= 2 && text.startsWith('"') && text.endsWith('"')) text = text.slice(1, -1).trim();
  if (text === '' || /^nan$/i.test(text)) return NaN;
  if (!NUMBER_RE.test(text)) throw cellError(cur, line, column, `'${raw}' is not a number`);
  const v = Number(text);
  if (!Number.isFinite(v)) throw cellError(cur, line, column, `'${raw}' is out of the float64 range`);
  return v;
}

/** Splits one CSV header line, honouring double quotes. */
function splitHeader(line: string): string[] {
  const out: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(cell.trim());
      cell = '';
    } else cell += c;
  }
  out.push(cell.trim());
  return out;
}

function labelIndex(opts: NumericCsvOptions, header: string[] | undefined): number {
  if (opts.targetColumn !== undefined) {
    if (!header) throw validationError(`targetColumn '${opts.targetColumn}' needs a CSV header`, { field: 'targetColumn' });
    return findColumn(header, opts.targetColumn);
  }
  if (opts.labelFirst !== undefined) return opts.labelFirst ? 0 : -1;
  return header ? findColumn(header, DEFAULT_TARGET) : 0;
}

function findColumn(header: string[], name: string): number {
  const i = header.indexOf(name);
  if (i < 0) {
    throw validationError(`label column '${name}' is not in the header; columns are: ${header.join(', ')}`, {
      field: 'targetColumn',
      columns: header,
    });
  }
  return i;
}

function makeLayout(width: number, label: number, header: string[] | undefined): Layout {
  const dest = new Int32Array(width);
  const featureNames: string[] = [];
  for (let c = 0, f = 0; c < width; c++) {
    if (c === label) {
      dest[c] = -1;
      continue;
    }
    dest[c] = f++;
    featureNames.push(header ? header[c] : `f${featureNames.length}`);
  }
  return { width, dest, hasLabel: label >= 0, featureNames };
}

/** Width (cells) and length (bytes) of the first non-empty line in `buf[pos, end)`. */
function firstLine(buf: Buffer, pos: number, end: number): { width: number; bytes: number } {
  while (pos < end && (buf[pos] === LF || buf[pos] === CR)) pos++;
  if (pos >= end) return { width: 0, bytes: 0 };
  let width = 1;
  let i = pos;
  for (; i < end && buf[i] !== LF && buf[i] !== CR; i++) if (buf[i] === COMMA) width++;
  return { width, bytes: i - pos + 1 };
}

/** Parses successive sources into one table; the first line with data fixes the layout. */
class TableReader {
  private layout?: Layout;
  private builder?: TableBuilder;
  private header?: string[];

  constructor(
    private readonly opts: NumericCsvOptions,
    private readonly totalBytes: number,
  ) {}

  /** Consumes a new source's BOM and header; returns the offset of its first data line. */
  begin(buf: Buffer, end: number, cur: Cursor): number {
    let pos = end >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
    if (!this.opts.header) return pos;
    let nl = buf.indexOf(LF, pos);
    if (nl < 0 || nl >= end) nl = end;
    const header = splitHeader(buf.toString('utf8', pos, nl).replace(/\r$/, ''));
    cur.line = 1;
    if (this.header && header.join('\u0000') !== this.header.join('\u0000')) {
      throw validationError(
        `file '${cur.source}' has header '${header.join(',')}' but the first file has '${this.header.join(',')}'`,
        { file: cur.source },
      );
    }
    this.header = header;
    return Math.min(nl + 1, end);
  }

  /** Parses the complete lines `buf[pos, end)`; `buf[end - 1]` must be LF. */
  parse(buf: Buffer, pos: number, end: number, cur: Cursor): void {
    if (pos >= end) return;
    if (!this.layout) this.startTable(buf, pos, end);
    if (!this.layout || !this.builder) cur.line += countLines(buf, pos, end);
    else parseLines(buf, pos, end, this.builder, this.layout, cur, this.opts.validateLabel);
  }

  private startTable(buf: Buffer, pos: number, end: number): void {
    const first = firstLine(buf, pos, end);
    const width = this.header ? this.header.length : first.width;
    if (first.width === 0) return;
    this.layout = makeLayout(width, labelIndex(this.opts, this.header), this.header);
    // Rows estimated from the first line, so that most tables never regrow.
    const estimate = (this.totalBytes / first.bytes) * 1.1 + 16;
    this.builder = new TableBuilder(width - (this.layout.hasLabel ? 1 : 0), this.layout.hasLabel, estimate);
  }

  finish(): NumericTable {
    if (this.builder && this.layout) return this.builder.finish(this.layout.featureNames);
    // No data rows: still resolve the label column, so that a wrong targetColumn fails.
    const names = this.header ? makeLayout(this.header.length, labelIndex(this.opts, this.header), this.header).featureNames : [];
    return { features: new Float64Array(0), labels: new Float64Array(0), rows: 0, cols: names.length, featureNames: names };
  }
}

function countLines(buf: Buffer, pos: number, end: number): number {
  let n = 0;
  for (; pos < end; pos++) if (buf[pos] === LF) n++;
  return n;
}

/** Parses an in-memory buffer: its complete lines, then its unterminated last line with a sentinel. */
function parseBuffer(reader: TableReader, buf: Buffer, pos: number, end: number, cur: Cursor): void {
  if (end <= pos) return;
  const lastNl = buf.lastIndexOf(LF, end - 1);
  const whole = lastNl >= pos ? lastNl + 1 : pos;
  reader.parse(buf, pos, whole, cur);
  if (whole < end) {
    const tail = Buffer.allocUnsafe(end - whole + 1);
    buf.copy(tail, 0, whole, end);
    tail[tail.length - 1] = LF;
    reader.parse(tail, 0, tail.length, cur);
  }
}

/**
 * Parses a numeric CSV held in memory (e.g. a request body).
 * @throws ValidationError (via `badCell`) for a non-numeric cell, a wrong column count or a
 * missing label, naming the 1-based line and column.
 */
export function parseNumericCsv(buf: Buffer, opts: NumericCsvOptions & { source?: string }): NumericTable {
  const reader = new TableReader(opts, buf.length);
  const cur: Cursor = { source: opts.source ?? 'input', line: 0 };
  const pos = reader.begin(buf, buf.length, cur);
  parseBuffer(reader, buf, pos, buf.length, cur);
  return reader.finish();
}

/**
 * Reads numeric CSV files (same columns in each) into one table, streaming each file in 16 MiB
 * chunks. Empty lines are skipped; CRLF is accepted; empty feature cells become NaN.
 * @throws ValidationError for a bad cell (1-based line and column, header counted, and the file),
 * mismatched headers or column counts, an unknown label column, or an empty file list.
 */
export async function readNumericTable(files: string[], opts: ReadNumericTableOptions): Promise<NumericTable> {
  if (files.length === 0) throw validationError('no data files to read', { files: [] });
  const sizes = await Promise.all(files.map(async (f) => (await stat(f)).size));
  const reader = new TableReader(opts, sizes.reduce((a, b) => a + b, 0));
  let buf: Buffer = Buffer.allocUnsafe(Math.max(2, opts.chunkBytes ?? CHUNK_BYTES));
  for (const file of files) {
    const cur: Cursor = { source: opts.root ? relative(opts.root, file) : file, line: 0 };
    buf = await readFileInto(file, buf, reader, cur, opts.signal);
  }
  return reader.finish();
}

/** Streams one file through `reader`; returns the (possibly grown) chunk buffer for reuse. */
async function readFileInto(file: string, buf: Buffer, reader: TableReader, cur: Cursor, signal?: AbortSignal): Promise<Buffer> {
  const fh = await open(file, 'r');
  try {
    let carry = 0;
    let begun = false;
    for (;;) {
      signal?.throwIfAborted();
      // Read one byte short of the buffer: the spare byte takes the LF sentinel at EOF.
      const { bytesRead } = await fh.read(buf, carry, buf.length - carry - 1, null);
      const filled = carry + bytesRead;
      const eof = bytesRead === 0;
      const lastNl = filled > 0 ? buf.lastIndexOf(LF, filled - 1) : -1;
      if (!eof && lastNl < 0) {
        if (filled >= buf.length - 1) buf = growBuffer(buf, filled);
        carry = filled;
        continue;
      }
      let end = eof ? filled : lastNl + 1;
      if (eof && filled > 0 && buf[filled - 1] !== LF) buf[end++] = LF;
      const pos = begun ? 0 : reader.begin(buf, end, cur);
      begun = true;
      reader.parse(buf, pos, end, cur);
      if (eof) return buf;
      carry = filled - end;
      buf.copy(buf, 0, end, filled);
    }
  } finally {
    await fh.close();
  }
}

/** A line longer than the chunk: double the buffer, keeping what was read. */
function growBuffer(buf: Buffer, filled: number): Buffer {
  const next = Buffer.allocUnsafe(buf.length * 2);
  buf.copy(next, 0, 0, filled);
  return next;
}

/**
 * Lists the regular files of a channel folder, recursively and sorted by relative path,
 * skipping hidden files and folders (names starting with '.').
 */
export async function listChannelFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  await walk(dir, out);
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

async function walk(dir: string, out: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const full = join(dir, e.name);
    const kind = e.isSymbolicLink() ? await stat(full) : e;
    if (kind.isDirectory()) await walk(full, out);
    else if (kind.isFile()) out.push(full);
  }
}
