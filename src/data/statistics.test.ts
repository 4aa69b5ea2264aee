import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeTable, detectHeader, sampleTable, type DatasetColumnStats } from './statistics.js';

import { DATASETS } from '../../test/helpers/shared.js';
let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'stratus-stats-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

function expectIrisSepalLength(c: DatasetColumnStats): void {
  expect(c).toMatchObject({ type: 'float', count: 150, nullCount: 0, min: 4.3, max: 7.9 });
  expect(c.mean).toBeCloseTo(5.843333, 5);
  expect(c.std).toBeCloseTo(0.828066, 5);
  expect(c.quantiles).toEqual({ p25: 5.1, p50: 5.8, p75: 6.4 });
  expect(c.distinctCount).toBe(35);
  expect(c.histogram?.binEdges).toHaveLength(11);
  expect(c.histogram?.binEdges[0]).toBe(4.3);
  expect(c.histogram?.binEdges[10]).toBe(7.9);
  expect(c.histogram?.counts).toHaveLength(10);
  expect(sum(c.histogram!.counts)).toBe(150);
}

describe('describeTable on CSV', () => {
  it('describes header-less iris with positional names _c0.._c4', async () => {
    const d = await describeTable(join(DATASETS, 'iris.csv'), 'csv', { header: false });
    expect(d.rows).toBe(150);
    expect(d.columns.map((c) => c.name)).toEqual(['_c0', '_c1', '_c2', '_c3', '_c4']);
    expect(d.columns[0]).toMatchObject({ type: 'integer', min: 0, max: 2, mean: 1, distinctCount: 3 });
    expect(d.columns[0].histogram?.counts).toEqual([50, 0, 0, 0, 0, 50, 0, 0, 0, 50]);
    expectIrisSepalLength(d.columns[1]);
  });

  it('describes iris with a header, using its names', async () => {
    const d = await describeTable(join(DATASETS, 'iris_header.csv'), 'csv', { header: true });
    expect(d.rows).toBe(150);
    expect(d.columns.map((c) => c.name)).toEqual(['target', 'sepal_length_cm', 'sepal_width_cm', 'petal_length_cm', 'petal_width_cm']);
    expectIrisSepalLength(d.columns[1]);
  });

  it('reads the other bundled datasets', async () => {
    const wine = await describeTable(join(DATASETS, 'wine_header.csv'), 'csv', { header: true });
    const cancer = await describeTable(join(DATASETS, 'breast_cancer.csv'), 'csv', { header: false });
    expect([wine.rows, wine.columns.length]).toEqual([178, 14]);
    expect([cancer.rows, cancer.columns.length]).toEqual([569, 31]);
    expect(cancer.columns.every((c) => c.nullCount === 0 && (c.type === 'float' || c.type === 'integer'))).toBe(true);
  });

  it('reports strings with their top values, nulls, and a constant column', async () => {
    const file = join(work, "it's here.csv");
    await writeFile(file, 'name,score,flag\nann,3,true\nbob,3,false\nann,3,true\ncid,,true\nann,3,\n');
    const d = await describeTable(file, 'csv', { header: true });
    expect(d.rows).toBe(5);
    expect(d.columns[0]).toMatchObject({
      name: 'name',
      type: 'string',
      topValues: [
        { value: 'ann', count: 3 },
        { value: 'bob', count: 1 },
        { value: 'cid', count: 1 },
      ],
    });
    expect(d.columns[1]).toMatchObject({ type: 'integer', count: 4, nullCount: 1, min: 3, max: 3, std: 0 });
    const hist = d.columns[1].histogram!;
    expect([hist.binEdges[0], hist.binEdges[5], hist.binEdges[10]]).toEqual([2.5, 3, 3.5]);
    expect(hist.counts).toEqual([0, 0, 0, 0, 0, 4, 0, 0, 0, 0]);
    expect(d.columns[2]).toMatchObject({ type: 'boolean', nullCount: 1, topValues: [{ value: 'true', count: 3 }, { value: 'false', count: 1 }] });
  });

  it('rejects an empty file, a ragged file and an unclosed quote, saying what is wrong', async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['empty.csv', '', /empty/],
      ['ragged.csv', 'a,b\n1,2\n3,4\n5\n6,7\n', /line 4 has 1 field, but line 1 has 2/],
      ['quote.csv', 'a,b\n1,2\n3,"4\n', /line 3 opens a quoted field that is never closed/],
    ];
    for (const [name, text, message] of cases) {
      await writeFile(join(work, name), text);
      await expect(describeTable(join(work, name), 'csv', { header: true })).rejects.toMatchObject({
        code: 'ValidationError',
        message: expect.stringMatching(message),
      });
    }
  });

  it('rejects a missing file and a path DuckDB would glob', async () => {
    await expect(describeTable(join(work, 'nope.csv'), 'csv', { header: true })).rejects.toMatchObject({ code: 'ValidationError' });
    await copyFile(join(DATASETS, 'iris.csv'), join(work, 'glob*.csv'));
    await expect(describeTable(join(work, 'glob*.csv'), 'csv', { header: false })).rejects.toMatchObject({
      code: 'ValidationError',
      message: expect.stringContaining('glob'),
    });
  });
});

describe('describeTable on Parquet and JSON lines', () => {
  it('describes a Parquet file with every column type', async () => {
    const file = join(work, 'typed.parquet');
    const instance = await DuckDBInstance.create(':memory:');
    const conn = await instance.connect();
    await conn.run(`COPY (
      SELECT i::INTEGER AS id, i * 0.5 AS half, 'k' || (i % 3) AS kind, i % 2 = 0 AS even,
             DATE '2024-01-01' + i::INTEGER AS day, TIMESTAMP '2024-01-01 00:00:00' + INTERVAL (i) HOUR AS at,
             CASE WHEN i % 4 = 0 THEN NULL ELSE i END AS sparse
      FROM range(100) r(i)) TO '${file}' (FORMAT parquet)`);
    conn.closeSync();
    instance.closeSync();

    const d = await describeTable(file, 'parquet', { header: true });
    expect(d.rows).toBe(100);
    expect(Object.fromEntries(d.columns.map((c) => [c.name, c.type]))).toEqual({
      id: 'integer',
      half: 'float',
      kind: 'string',
      even: 'boolean',
      day: 'date',
      at: 'timestamp',
      sparse: 'integer',
    });
    expect(d.columns[0]).toMatchObject({ min: 0, max: 99, mean: 49.5, quantiles: { p25: 24.75, p50: 49.5, p75: 74.25 } });
    expect(d.columns[0].histogram?.counts).toEqual(new Array(10).fill(10));
    expect(d.columns[4]).toMatchObject({ min: '2024-01-01', max: '2024-04-09' });
    expect(d.columns[5].min).toMatch(/^2024-01-01 00:00:00/);
    expect(d.columns[6]).toMatchObject({ count: 75, nullCount: 25 });
    expect(d.columns[2].topValues).toEqual([
      { value: 'k0', count: 34 },
      { value: 'k1', count: 33 },
      { value: 'k2', count: 33 },
    ]);
  });

  it('describes a JSON-lines file', async () => {
    const file = join(work, 'rows.jsonl');
    await writeFile(file, '{"x":1.5,"label":"a"}\n{"x":2.5,"label":"b"}\n{"x":null,"label":"a"}\n');
    const d = await describeTable(file, 'jsonl', { header: true });
    expect(d.rows).toBe(3);
    expect(d.columns[0]).toMatchObject({ name: 'x', type: 'float', count: 2, nullCount: 1, mean: 2 });
    expect(d.columns[1]).toMatchObject({ name: 'label', type: 'string', topValues: [{ value: 'a', count: 2 }, { value: 'b', count: 1 }] });
  });

  it('reports a file that is not of the stated format', async () => {
    await expect(describeTable(join(DATASETS, 'iris.csv'), 'parquet', { header: true })).rejects.toMatchObject({
      code: 'ValidationError',
      message: expect.stringMatching(/^cannot read the parquet file: .*iris\.csv/),
    });
    const file = join(work, 'broken.jsonl');
    await writeFile(file, '{"x":1}\n{"x":\n');
    await expect(describeTable(file, 'jsonl', { header: true })).rejects.toMatchObject({
      code: 'ValidationError',
      message: expect.not.stringContaining(work),
    });
  });
});

describe('detectHeader', () => {
  it('sees a header when a named column holds numbers below', () => {
    expect(detectHeader('target,sepal_length_cm', '0,5.1')).toBe(true);
    expect(detectHeader('"id","name"', '1,"bob"')).toBe(true);
    expect(detectHeader('a,b\r', '1,2\r')).toBe(true);
  });

  it('sees no header in numeric data or when the types do not change', () => {
    expect(detectHeader('0,5.1,3.5', '1,4.9,3')).toBe(false);
    expect(detectHeader('bob,paris', 'ann,rome')).toBe(false);
    expect(detectHeader('1e3,-2.5')).toBe(false);
  });

  it('decides from the first line alone when there is no second', () => {
    expect(detectHeader('a,b,c')).toBe(true);
    expect(detectHeader('a,1,c')).toBe(false);
  });
});

describe('sampleTable', () => {
  it('samples rows with a fixed seed and counts every category of string columns', async () => {
    const file = join(work, 'sample.csv');
    const lines = ['x,color', ...Array.from({ length: 500 }, (_, i) => `${i},${['red', 'green', 'blue'][i % 3]}`), ',red'];
    await writeFile(file, lines.join('\n') + '\n');
    const a = await sampleTable(file, 'csv', { header: true, rows: 100 });
    const b = await sampleTable(file, 'csv', { header: true, rows: 100 });
    expect(a.rows).toBe(501);
    expect(a.columns.map((c) => [c.name, c.type, c.values.length])).toEqual([['x', 'integer', 100], ['color', 'string', 100]]);
    expect(a.columns[0].values).toEqual(b.columns[0].values);
    expect(new Set(a.columns[0].values).size).toBeGreaterThan(90);
    expect(a.columns[1].categories).toEqual([{ value: 'red', count: 168 }, { value: 'blue', count: 166 }, { value: 'green', count: 167 }].sort((p, q) => q.count - p.count || p.value.localeCompare(q.value)));
    const all = await sampleTable(file, 'csv', { header: true, rows: 10_000 });
    expect(all.columns[0].values).toHaveLength(501);
    expect(all.columns[0].values.filter((v) => v === null)).toHaveLength(1);
  });
});
