import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PlatformError } from '../core/errors.js';
import { listChannelFiles, parseNumericCsv, readNumericTable } from './numeric-table.js';

const parse = (text: string, opts: Parameters<typeof parseNumericCsv>[1] = { header: false }) =>
  parseNumericCsv(Buffer.from(text), opts);

function errorOf(fn: () => unknown): PlatformError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(PlatformError);
    return e as PlatformError;
  }
  throw new Error('expected an error');
}

async function rejectionOf(p: Promise<unknown>): Promise<PlatformError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(PlatformError);
  return e as PlatformError;
}

describe('parseNumericCsv', () => {
  it('takes the label from column 0 without a header', () => {
    const t = parse('1,2.5,3\n0,-4,5e2\n');
    expect(t.rows).toBe(2);
    expect(t.cols).toBe(2);
    expect(Array.from(t.labels)).toEqual([1, 0]);
    expect(Array.from(t.features)).toEqual([2.5, 3, -4, 500]);
    expect(t.featureNames).toEqual(['f0', 'f1']);
  });

  it('skips empty lines, accepts CRLF and a missing final newline', () => {
    const t = parse('\r\n1,2\r\n\n\n0,3\r\n1,4');
    expect(Array.from(t.labels)).toEqual([1, 0, 1]);
    expect(Array.from(t.features)).toEqual([2, 3, 4]);
  });

  it('reads the label column named by targetColumn, anywhere in the header', () => {
    const t = parse('a,y,b\n1,0,2\n3,1,4\n', { header: true, targetColumn: 'y' });
    expect(t.featureNames).toEqual(['a', 'b']);
    expect(Array.from(t.labels)).toEqual([0, 1]);
    expect(Array.from(t.features)).toEqual([1, 2, 3, 4]);
  });

  it("defaults to the 'target' column and names the columns when it is absent", () => {
    expect(Array.from(parse('x,target\n1,7\n', { header: true }).labels)).toEqual([7]);
    const err = errorOf(() => parse('x,y\n1,7\n', { header: true }));
    expect(err.code).toBe('ValidationError');
    expect(err.message).toContain("'target'");
    expect(err.message).toContain('x, y');
  });

  it('reads features only when labelFirst is false', () => {
    const t = parse('1,2\n3,4\n', { header: false, labelFirst: false });
    expect(t.cols).toBe(2);
    expect(t.labels.length).toBe(0);
    expect(Array.from(t.features)).toEqual([1, 2, 3, 4]);
  });

  it('names the line (header and empty lines counted), the column and the source of a bad cell', () => {
    const err = errorOf(() => parse('y,a,b\n1,2,3\n\n0,abc,4\n', { header: true, labelFirst: true, source: 'train.csv' }));
    expect(err.message).toBe("row 4, column 2: 'abc' is not a number (file 'train.csv')");
    expect(err.details).toEqual({ row: 4, column: 2, file: 'train.csv' });
  });

  it('rejects rows with too few or too many columns', () => {
    expect(errorOf(() => parse('1,2,3\n1,2\n')).message).toMatch(/^row 2, column 3: expected 3 columns, found 2/);
    expect(errorOf(() => parse('1,2\n1,2,3\n')).message).toMatch(/^row 2, column 3: expected 2 columns, found more/);
    expect(errorOf(() => parse('1,2\n1,2,\n')).message).toMatch(/^row 2, column 3/);
  });

  it('turns empty feature cells into NaN but rejects a missing label', () => {
    const t = parse('1,,3\n0,2, \n');
    expect(Array.from(t.features)).toEqual([NaN, 3, 2, NaN]);
    expect(errorOf(() => parse('1,2\n,3\n')).message).toMatch(/^row 2, column 1: missing label/);
  });

  it('rejects infinities and malformed numbers', () => {
    expect(errorOf(() => parse('1,1e999\n')).message).toContain('out of the float64 range');
    for (const bad of ['1e', '-', '1.2.3', '0x10', '1,5x', 'inf', '--1']) {
      expect(errorOf(() => parse(`1,${bad}\n`)).code).toBe('ValidationError');
    }
  });

  it('reads exotic numeric forms like Number() does', () => {
    const cells = ['+1', '.5', '5.', '-0.0', '1E+3', '2e-30', '"4.25"', ' 7 ', '123456789012345678901', '0.1000000000000000055511151231257827', 'NaN'];
    const t = parse(`0,${cells.join(',')}\n`);
    const expected = cells.map((c) => (c === 'NaN' ? NaN : Number(c.replace(/"/g, ''))));
    expect(Array.from(t.features)).toEqual(expected);
  });

  it('parses random doubles exactly, in every JavaScript and printf-like form', () => {
    let seed = 12345;
    const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const values: number[] = [];
    const cells: string[] = [];
    for (let i = 0; i < 20000; i++) {
      const v = (rand() - 0.5) * 10 ** Math.floor(rand() * 40 - 20);
      const forms = [String(v), v.toExponential(5), v.toPrecision(6), v.toFixed(8), v.toPrecision(17)];
      const s = forms[i % forms.length];
      cells.push(s);
      values.push(Number(s));
    }
    const lines: string[] = [];
    for (let i = 0; i < cells.length; i += 4) lines.push(`1,${cells.slice(i, i + 4).join(',')}`);
    const t = parse(lines.join('\n'));
    expect(Array.from(t.features)).toEqual(values);
  });
});

describe('readNumericTable', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'numeric-table-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('concatenates files and parses across chunk boundaries and long lines', async () => {
    const rows: string[] = [];
    for (let i = 0; i < 500; i++) rows.push(`${i % 2},${i * 0.25},${-i},${'1'.repeat(i % 40 || 1)}`);
    await writeFile(join(dir, 'a.csv'), rows.slice(0, 200).join('\n') + '\n');
    await writeFile(join(dir, 'b.csv'), rows.slice(200).join('\r\n'));
    for (const chunkBytes of [2, 7, 64, 1 << 16]) {
      const t = await readNumericTable([join(dir, 'a.csv'), join(dir, 'b.csv')], { header: false, chunkBytes });
      expect(t.rows).toBe(500);
      expect(t.labels[499]).toBe(1);
      expect(t.features[499 * 3 + 1]).toBe(-499);
      expect(t.features[3 * 3 + 2]).toBe(111);
    }
  });

  it('names the file relative to root and counts lines across chunks', async () => {
    await writeFile(join(dir, 'ok.csv'), 'target,a\n1,2\n');
    await writeFile(join(dir, 'bad.csv'), 'target,a\n1,2\n0,3\n\n1,x\n');
    const err = await rejectionOf(
      readNumericTable([join(dir, 'ok.csv'), join(dir, 'bad.csv')], { header: true, root: dir, chunkBytes: 5 }),
    );
    expect(err.message).toBe("row 5, column 2: 'x' is not a number (file 'bad.csv')");
  });

  it('rejects files whose headers differ', async () => {
    await writeFile(join(dir, '1.csv'), 'target,a\n1,2\n');
    await writeFile(join(dir, '2.csv'), 'target,b\n1,2\n');
    const err = await rejectionOf(readNumericTable([join(dir, '1.csv'), join(dir, '2.csv')], { header: true, root: dir }));
    expect(err.message).toContain("'2.csv'");
  });

  it('returns an empty table for files without data rows, and rejects an empty file list', async () => {
    await writeFile(join(dir, 'h.csv'), 'a,target,b\n\n');
    const t = await readNumericTable([join(dir, 'h.csv')], { header: true });
    expect(t).toMatchObject({ rows: 0, cols: 2, featureNames: ['a', 'b'] });
    await expect(readNumericTable([], { header: false })).rejects.toThrow(/no data files/);
  });

  it('strips a UTF-8 byte order mark before the header', async () => {
    await writeFile(join(dir, 'bom.csv'), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('target,a\n1,2\n')]));
    const t = await readNumericTable([join(dir, 'bom.csv')], { header: true });
    expect(t.featureNames).toEqual(['a']);
  });
});

describe('listChannelFiles', () => {
  it('lists regular files recursively and sorted, skipping hidden ones', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'channel-'));
    try {
      await mkdir(join(dir, 'sub'));
      await mkdir(join(dir, '.cache'));
      for (const f of ['b.csv', 'a.csv', 'sub/c.csv', '.hidden', '.cache/x.csv']) await writeFile(join(dir, f), '1\n');
      await symlink(join(dir, 'a.csv'), join(dir, 'link.csv'));
      const files = await listChannelFiles(dir);
      expect(files).toEqual(['a.csv', 'b.csv', 'link.csv', 'sub/c.csv'].map((f) => join(dir, f)));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
