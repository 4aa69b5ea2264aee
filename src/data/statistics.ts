import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { DuckDBInstance, type DuckDBConnection, type JS } from '@duckdb/node-api';
import { PlatformError, validationError } from '../core/errors.js';

/** The column types a dataset description reports. */
export type ColumnType = 'integer' | 'float' | 'string' | 'boolean' | 'date' | 'timestamp';

/** Summary statistics of one column; numeric fields only for numbers, `topValues` only for strings and booleans. */
export interface DatasetColumnStats {
  name: string;
  type: ColumnType;
  /** Non-null values. */
  count: number;
  nullCount: number;
  /** Exact number of distinct non-null values. */
  distinctCount: number;
  /** Numbers for numeric columns; ISO-like strings for dates and timestamps. */
  min?: number | string | null;
  max?: number | string | null;
  mean?: number | null;
  /** Sample standard deviation. */
  std?: number | null;
  quantiles?: { p25: number | null; p50: number | null; p75: number | null };
  /** 10 equal-width bins over the finite values: 11 edges, the last bin closed. */
  histogram?: { binEdges: number[]; counts: number[] };
  /** The 5 most frequent values, most frequent first, ties by value. */
  topValues?: Array<{ value: string; count: number }>;
}

/** What `describeTable` reports about a file. */
export interface TableDescription {
  rows: number;
  columns: DatasetColumnStats[];
}

export type TableFormat = 'csv' | 'parquet' | 'jsonl';

interface Column {
  /** Name in the loaded table. */
  source: string;
  /** Reported name. */
  name: string;
  type: ColumnType;
}

const BINS = 10;
const TOP_VALUES = 5;
const NUMERIC: ReadonlySet<ColumnType> = new Set(['integer', 'float']);

/**
 * Describes a CSV, Parquet or JSON-lines file: row count, and per column its inferred type and
 * statistics, computed with an in-process DuckDB. Columns of a header-less CSV are named `_c0`,
 * `_c1`, … (Spark's convention), since SageMaker files carry no names.
 *
 * @throws PlatformError ValidationError when the file is empty, malformed, or its path has glob
 *   characters (`*?[`), which DuckDB would expand.
 */
export async function describeTable(path: string, format: TableFormat, opts: { header: boolean }): Promise<TableDescription> {
  const file = await checkedPath(path);
  const spill = await mkdtemp(join(tmpdir(), 'stratus-duckdb-'));
  const instance = await DuckDBInstance.create(':memory:', { temp_directory: spill });
  const conn = await instance.connect();
  try {
    await load(conn, file, format, opts.header);
    const columns = await schemaOf(conn, format === 'csv' && !opts.header);
    return await describeColumns(conn, columns);
  } finally {
    conn.closeSync();
    instance.closeSync();
    await rm(spill, { recursive: true, force: true });
  }
}

async function checkedPath(path: string): Promise<string> {
  const file = resolve(path);
  if (/[*?[]/.test(file)) throw validationError(`dataset path '${basename(file)}' contains glob characters (*, ? or [)`);
  const s = await stat(file).catch(() => undefined);
  if (!s?.isFile()) throw validationError(`dataset file '${basename(file)}' does not exist`);
  if (s.size === 0) throw validationError(`dataset file '${basename(file)}' is empty`);
  return file;
}

async function load(conn: DuckDBConnection, file: string, format: TableFormat, header: boolean): Promise<void> {
  const sql = `CREATE TEMP TABLE t AS SELECT * FROM ${reader(file, format, header)}`;
  try {
    await conn.run(sql);
  } catch (e) {
    // DuckDB's CSV sniffer reports a ragged file only as "could not detect the dialect".
    const reason = (format === 'csv' && (await csvShapeProblem(file))) || duckdbReason(e, file);
    throw new PlatformError('ValidationError', `cannot read the ${format} file: ${reason}`, { format }, { cause: e });
  }
}

/** The first record whose field count differs from the first record's, or an unclosed quote. */
async function csvShapeProblem(file: string): Promise<string | undefined> {
  let expected = { fields: -1, line: 0 };
  let fields = 1;
  let blank = true;
  let quoted = false;
  let line = 1;
  let start = 1;
  const endRecord = (): string | undefined => {
    if (blank) return undefined;
    if (expected.fields < 0) expected = { fields, line: start };
    else if (fields !== expected.fields) {
      return `line ${start} has ${plural(fields, 'field')}, but line ${expected.line} has ${expected.fields}`;
    }
    return undefined;
  };
  for await (const chunk of createReadStream(file, { encoding: 'utf8' })) {
    const text = chunk as string;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x0a) line++;
      if (c === 0x22) quoted = !quoted;
      else if (quoted) continue;
      else if (c === 0x2c) fields++;
      else if (c === 0x0a) {
        const problem = endRecord();
        if (problem) return problem;
        [fields, blank, start] = [1, true, line];
        continue;
      }
      if (c !== 0x0d) blank = false;
    }
  }
  return quoted ? `line ${start} opens a quoted field that is never closed` : endRecord();
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function reader(file: string, format: TableFormat, header: boolean): string {
  const p = sqlString(file);
  // sample_size=-1 sniffs types over the whole file, so a late odd value does not fail the load.
  // The dialect is fixed to SageMaker's (comma, double quotes, no comments); types are sniffed.
  if (format === 'csv') {
    return `read_csv(${p}, header=${header}, delim=',', quote='"', escape='"', comment='', skip=0, auto_detect=true, sample_size=-1)`;
  }
  if (format === 'parquet') return `read_parquet(${p})`;
  return `read_json(${p}, format='newline_delimited', sample_size=-1)`;
}

/** DuckDB's first message line, with the server path reduced to the file name. */
function duckdbReason(e: unknown, file: string): string {
  const message = e instanceof Error ? e.message : String(e);
  return message.split('\n\n')[0].split(file).join(basename(file)).trim();
}

async function schemaOf(conn: DuckDBConnection, positional: boolean): Promise<Column[]> {
  const rows = await query(conn, 'DESCRIBE t');
  return rows.map((r, i) => ({
    source: String(r.column_name),
    name: positional ? `_c${i}` : String(r.column_name),
    type: columnType(String(r.column_type)),
  }));
}

function columnType(duckdbType: string): ColumnType {
  const t = duckdbType.toUpperCase();
  if (/^U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT)$/.test(t)) return 'integer';
  if (t === 'FLOAT' || t === 'DOUBLE' || t.startsWith('DECIMAL')) return 'float';
  if (t === 'BOOLEAN') return 'boolean';
  if (t === 'DATE') return 'date';
  if (t.startsWith('TIMESTAMP')) return 'timestamp';
  return 'string';
}

async function describeColumns(conn: DuckDBConnection, columns: Column[]): Promise<TableDescription> {
  const [agg] = await query(conn, `SELECT count(*) AS rows, ${columns.flatMap(aggregates).join(', ')} FROM t`);
  const rows = num(agg.rows) ?? 0;
  const stats = columns.map((c, i) => baseStats(c, i, agg, rows));
  const hists = await histograms(conn, columns, stats);
  for (let i = 0; i < columns.length; i++) {
    if (hists[i]) stats[i].histogram = hists[i];
    if (columns[i].type === 'string' || columns[i].type === 'boolean') stats[i].topValues = await topValues(conn, columns[i]);
  }
  return { rows, columns: stats };
}

function aggregates(c: Column, i: number): string[] {
  const id = sqlIdent(c.source);
  const x = `${id}::DOUBLE`;
  const common = [`count(${id}) AS c${i}_n`, `count(DISTINCT ${id}) AS c${i}_d`];
  if (c.type === 'date' || c.type === 'timestamp') {
    return [...common, `min(${id})::VARCHAR AS c${i}_min`, `max(${id})::VARCHAR AS c${i}_max`];
  }
  if (!NUMERIC.has(c.type)) return common;
  return [
    ...common,
    `min(${x}) AS c${i}_min`,
    `max(${x}) AS c${i}_max`,
    `avg(${x}) AS c${i}_mean`,
    `stddev_samp(${x}) AS c${i}_std`,
    `quantile_cont(${x}, [0.25, 0.5, 0.75]) AS c${i}_q`,
    `min(${x}) FILTER (WHERE isfinite(${x})) AS c${i}_lo`,
    `max(${x}) FILTER (WHERE isfinite(${x})) AS c${i}_hi`,
  ];
}

function baseStats(c: Column, i: number, agg: Record<string, JS>, rows: number): DatasetColumnStats {
  const count = num(agg[`c${i}_n`]) ?? 0;
  const stats: DatasetColumnStats = { name: c.name, type: c.type, count, nullCount: rows - count, distinctCount: num(agg[`c${i}_d`]) ?? 0 };
  if (c.type === 'date' || c.type === 'timestamp') {
    return { ...stats, min: str(agg[`c${i}_min`]), max: str(agg[`c${i}_max`]) };
  }
  if (!NUMERIC.has(c.type)) return stats;
  const q = Array.isArray(agg[`c${i}_q`]) ? (agg[`c${i}_q`] as JS[]) : [];
  return {
    ...stats,
    min: num(agg[`c${i}_min`]),
    max: num(agg[`c${i}_max`]),
    mean: num(agg[`c${i}_mean`]),
    std: num(agg[`c${i}_std`]),
    quantiles: { p25: num(q[0]), p50: num(q[1]), p75: num(q[2]) },
  };
}

/** One scan for every numeric column's histogram; bins come from the finite min and max. */
async function histograms(conn: DuckDBConnection, columns: Column[], stats: DatasetColumnStats[]) {
  const out: Array<DatasetColumnStats['histogram']> = columns.map(() => undefined);
  const ranges = new Map<number, { lo: number; width: number; edges: number[] }>();
  const exprs: string[] = [];
  for (const [i, c] of columns.entries()) {
    const range = NUMERIC.has(c.type) ? binRange(stats[i]) : undefined;
    if (!range) continue;
    ranges.set(i, range);
    const x = `${sqlIdent(c.source)}::DOUBLE`;
    const bin = `least(greatest(floor((${x} - ${range.lo}::DOUBLE) / ${range.width}::DOUBLE), 0), ${BINS - 1})::INTEGER`;
    exprs.push(`histogram(${bin}) FILTER (WHERE isfinite(${x})) AS h${i}`);
  }
  if (exprs.length === 0) return out;
  const [row] = await query(conn, `SELECT ${exprs.join(', ')} FROM t`);
  for (const [i, range] of ranges) out[i] = { binEdges: range.edges, counts: binCounts(row[`h${i}`]) };
  return out;
}

function binRange(s: DatasetColumnStats) {
  const lo0 = typeof s.min === 'number' ? s.min : null;
  const hi0 = typeof s.max === 'number' ? s.max : null;
  if (lo0 === null || hi0 === null) return undefined;
  // A constant column gets a unit-wide range centred on its value.
  const [lo, hi] = lo0 === hi0 ? [lo0 - 0.5, hi0 + 0.5] : [lo0, hi0];
  const width = (hi - lo) / BINS;
  const edges = Array.from({ length: BINS + 1 }, (_, k) => (k === BINS ? hi : lo + k * width));
  return { lo, width, edges };
}

/** DuckDB returns a MAP as `[{ key, value }]`. */
function binCounts(map: JS | undefined): number[] {
  const counts = new Array<number>(BINS).fill(0);
  if (!Array.isArray(map)) return counts;
  for (const entry of map) {
    const { key, value } = entry as { key: JS; value: JS };
    const k = num(key);
    if (k !== null && k >= 0 && k < BINS) counts[k] = num(value) ?? 0;
  }
  return counts;
}

async function topValues(conn: DuckDBConnection, c: Column): Promise<Array<{ value: string; count: number }>> {
  const id = sqlIdent(c.source);
  const rows = await query(
    conn,
    `SELECT ${id}::VARCHAR AS v, count(*) AS n FROM t WHERE ${id} IS NOT NULL GROUP BY 1 ORDER BY n DESC, v LIMIT ${TOP_VALUES}`,
  );
  return rows.map((r) => ({ value: String(r.v), count: num(r.n) ?? 0 }));
}

async function query(conn: DuckDBConnection, sql: string): Promise<Array<Record<string, JS>>> {
  return (await conn.runAndReadAll(sql)).getRowObjectsJS();
}

/** A finite JS number, or null (DuckDB counts arrive as bigint; NaN and ±Infinity are not JSON). */
function num(v: JS | undefined): number | null {
  const n = typeof v === 'bigint' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) ? n : null;
}

const str = (v: JS | undefined) => (v === null || v === undefined ? null : String(v));

const sqlString = (s: string) => `'${s.replaceAll("'", "''")}'`;
const sqlIdent = (s: string) => `"${s.replaceAll('"', '""')}"`;

/**
 * Guesses whether a CSV's first line is a header: true when some column holds a non-numeric
 * cell in the first line and a number in the second. Without a second line, true when every
 * first-line cell is non-numeric. A file of only string columns is therefore read as header-less.
 */
export function detectHeader(firstLine: string, secondLine?: string): boolean {
  const first = cells(firstLine);
  if (secondLine === undefined || secondLine.trim() === '') return first.every((c) => c !== '' && !isNumeric(c));
  const second = cells(secondLine);
  return first.some((c, i) => !isNumeric(c) && c !== '' && i < second.length && isNumeric(second[i]));
}

const cells = (line: string) => line.replace(/\r$/, '').split(',').map((c) => c.trim().replace(/^"(.*)"$/, '$1').trim());
const isNumeric = (c: string) => c !== '' && Number.isFinite(Number(c));

/** One column of a `sampleTable` result. */
export interface SampledColumn {
  name: string;
  type: ColumnType;
  /** The sampled rows' values: numbers for numeric columns (null when missing), strings otherwise. */
  values: Array<number | string | null>;
  /** String and boolean columns: every category with its count over the whole file, most frequent first (capped). */
  categories?: Array<{ value: string; count: number }>;
}

/**
 * A uniform random sample of up to `rows` rows (DuckDB's reservoir sampling with a fixed seed,
 * so a file gives the same sample every time; every row when the file is smaller), column by
 * column, plus the full category counts of string and boolean columns (at most
 * `maxCategories` each). Used by monitoring baselines for drift tests. Same reading rules and
 * errors as `describeTable`.
 */
export async function sampleTable(
  path: string,
  format: TableFormat,
  opts: { header: boolean; rows: number; maxCategories?: number },
): Promise<{ rows: number; columns: SampledColumn[] }> {
  const file = await checkedPath(path);
  const spill = await mkdtemp(join(tmpdir(), 'stratus-duckdb-'));
  const instance = await DuckDBInstance.create(':memory:', { temp_directory: spill });
  const conn = await instance.connect();
  try {
    await load(conn, file, format, opts.header);
    const columns = await schemaOf(conn, format === 'csv' && !opts.header);
    const [{ n }] = await query(conn, 'SELECT count(*) AS n FROM t');
    const select = columns.map((c, i) => `${sqlIdent(c.source)}::${NUMERIC.has(c.type) ? 'DOUBLE' : 'VARCHAR'} AS s${i}`).join(', ');
    const sampled = await query(conn, `SELECT ${select} FROM t USING SAMPLE reservoir(${Math.max(1, Math.floor(opts.rows))} ROWS) REPEATABLE (42)`);
    const out: SampledColumn[] = [];
    for (const [i, c] of columns.entries()) {
      const values = sampled.map((r) => {
        const v = r[`s${i}`];
        if (v === null || v === undefined) return null;
        return NUMERIC.has(c.type) ? num(v) : String(v);
      });
      const col: SampledColumn = { name: c.name, type: c.type, values };
      if (c.type === 'string' || c.type === 'boolean') {
        const id = sqlIdent(c.source);
        const rows = await query(conn, `SELECT ${id}::VARCHAR AS v, count(*) AS n FROM t WHERE ${id} IS NOT NULL GROUP BY 1 ORDER BY n DESC, v LIMIT ${opts.maxCategories ?? 1000}`);
        col.categories = rows.map((r) => ({ value: String(r.v), count: num(r.n) ?? 0 }));
      }
      out.push(col);
    }
    return { rows: num(n) ?? 0, columns: out };
  } finally {
    conn.closeSync();
    instance.closeSync();
    await rm(spill, { recursive: true, force: true });
  }
}
