import { describe, expect, it } from 'vitest';
import { PlatformError } from '../core/errors.js';
import { parseFilter } from './filters.js';
import type { ModelRunner } from './model-runner.js';
import { emptyProgress, runTransform, TransformFailure, type TransformPlan } from './runner.js';

/** A model answering the sum of each CSV row, after a random delay; a non-number is a 400 naming the row. */
function summingModel(opts: { namesRow?: boolean; failWith?: PlatformError } = {}) {
  const bodies: string[] = [];
  const model: ModelRunner = {
    async invoke(body) {
      bodies.push(body);
      await new Promise((r) => setTimeout(r, Math.random() * 5));
      if (opts.failWith) throw opts.failWith;
      const rows = body.trimEnd().split('\n');
      return rows.map((row, r) => {
        const cells = row.split(',').map(Number);
        if (cells.some(Number.isNaN)) {
          throw new PlatformError('ValidationError', `row ${r + 1}, column 1: not a number`, opts.namesRow === false ? {} : { row: r + 1, column: 1 });
        }
        return String(cells.reduce((a, b) => a + b, 0));
      }).join('\n') + '\n';
    },
    stop: async () => undefined,
  };
  return { model, bodies };
}

const plan = (text: string, over: Partial<TransformPlan> = {}): TransformPlan => ({
  file: 'in.csv',
  text,
  header: false,
  splitType: 'Line',
  batchStrategy: 'MultiRecord',
  maxPayloadBytes: 64,
  maxConcurrent: 3,
  maxRecordErrors: 0,
  assembleWith: 'Line',
  processing: { contentType: 'text/csv', accept: 'text/csv', joinSource: 'None' },
  ...over,
});

const rows = (n: number) => Array.from({ length: n }, (_, i) => `${i},${i}`).join('\n');
const never = new AbortController().signal;

describe('runTransform', () => {
  it('answers every record once, in input order, over concurrent mini-batches', async () => {
    const { model, bodies } = summingModel();
    const progress = emptyProgress();
    const out = await runTransform(plan(rows(200)), model, progress, never);
    expect(out).toBe(Array.from({ length: 200 }, (_, i) => `${2 * i}\n`).join(''));
    expect(bodies.length).toBeGreaterThan(10);
    expect(bodies.every((b) => Buffer.byteLength(b) <= 64)).toBe(true);
    expect(progress).toMatchObject({ recordsTotal: 200, recordsProcessed: 200, recordsOut: 200, recordsFailed: 0, requests: bodies.length });
  });

  it('joins with the input after dropping an id column, and filters the output', async () => {
    const { model } = summingModel();
    const processing = { contentType: 'text/csv', accept: 'text/csv', joinSource: 'Input', inputFilter: parseFilter('$[1:]'), outputFilter: parseFilter('$[0,-1]') } as const;
    const out = await runTransform(plan('a,1,2\nb,3,4\n', { processing }), model, emptyProgress(), never);
    expect(out).toBe('a,3\nb,7\n');
  });

  it('fails on the first bad record, naming its file and line', async () => {
    const { model } = summingModel();
    const text = `${rows(30)}\n\n1,x\n${rows(5)}`;
    await expect(runTransform(plan(text), model, emptyProgress(), never)).rejects.toThrow(
      new TransformFailure('ClientError: bad record at in.csv line 32: column 1: not a number'),
    );
  });

  for (const namesRow of [true, false]) {
    it(`skips and counts bad records within maxRecordErrors (error ${namesRow ? 'names' : 'does not name'} the row)`, async () => {
      const { model, bodies } = summingModel({ namesRow });
      const lines = rows(40).split('\n');
      lines[3] = '3,x';
      lines[27] = 'y,1';
      const progress = emptyProgress();
      const out = await runTransform(plan(lines.join('\n'), { maxRecordErrors: 2, maxPayloadBytes: 1000 }), model, progress, never);
      const expected = lines.map((_, i) => (i === 3 || i === 27 ? '' : String(2 * i)));
      expect(out).toBe(expected.map((l) => `${l}\n`).join(''));
      expect(progress).toMatchObject({ recordsTotal: 40, recordsProcessed: 40, recordsOut: 38, recordsFailed: 2 });
      expect(progress.failedRecords.map((f) => f.line)).toEqual([4, 28]);
      if (namesRow) expect(bodies.length).toBeLessThan(8);
      else expect(bodies.length).toBe(41);
    });
  }

  it('fails once bad records exceed maxRecordErrors', async () => {
    const { model } = summingModel();
    const text = '1,1\nx,1\n2,2\ny,2\nz,3\n';
    await expect(runTransform(plan(text, { maxRecordErrors: 2, maxConcurrent: 1 }), model, emptyProgress(), never))
      .rejects.toThrow('more than maxRecordErrors=2 bad records');
  });

  it('fails the job when the model itself fails', async () => {
    const { model } = summingModel({ failWith: new PlatformError('ModelError', 'the model failed: boom') });
    await expect(runTransform(plan(rows(3)), model, emptyProgress(), never)).rejects.toThrow('the model failed on in.csv lines 1-3: the model failed: boom');
  });

  it('sends one record per request with SingleRecord and the whole file with splitType None', async () => {
    const single = summingModel();
    await runTransform(plan(rows(5), { batchStrategy: 'SingleRecord' }), single.model, emptyProgress(), never);
    expect(single.bodies).toHaveLength(5);
    const whole = summingModel();
    const out = await runTransform(plan('1,2\n3,4\n', { splitType: 'None' }), whole.model, emptyProgress(), never);
    expect(whole.bodies).toEqual(['1,2\n3,4\n']);
    expect(out).toBe('3\n7\n');
  });

  it('stops sending when aborted and rethrows the abort reason', async () => {
    const { model, bodies } = summingModel();
    const abort = new AbortController();
    const run = runTransform(plan(rows(500), { maxConcurrent: 1, maxPayloadBytes: 16 }), model, emptyProgress(), abort.signal);
    setTimeout(() => abort.abort(new Error('stopped')), 20);
    await expect(run).rejects.toThrow('stopped');
    expect(bodies.length).toBeLessThan(250);
  });
});
