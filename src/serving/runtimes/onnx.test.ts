import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as ort from 'onnxruntime-node';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { toOnnx } from '../../algorithms/xgboost/onnx.js';
import { handBuiltModel } from '../../algorithms/xgboost/testdata/hand-built.js';
import { BatchAnswerer } from '../replica-answerer.js';
import { bodyAt, packBodies, ReplicaState, type InvokeBatch, type ReplyBatch } from '../replica-protocol.js';
import { findOnnxFile, loadOnnxHandler } from './onnx.js';

const dirs: string[] = [];
function dirWith(files: string[], model = handBuiltModel('reg:squarederror')): string {
  const dir = mkdtempSync(join(tmpdir(), 'onnx-'));
  dirs.push(dir);
  for (const f of files) writeFileSync(join(dir, f), toOnnx(model));
  return dir;
}
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
afterEach(() => vi.restoreAllMocks());

type Run = (feeds: Record<string, ort.Tensor>, ...rest: unknown[]) => Promise<ort.InferenceSession.ReturnType>;
/** Where every session's `run` lives, to count runs (the typings give the factory no prototype). */
const sessions = (ort.InferenceSession as unknown as { prototype: { run: Run } }).prototype;

describe('findOnnxFile', () => {
  it('takes model.onnx, else the only .onnx, and says what is wrong otherwise', async () => {
    expect(await findOnnxFile(dirWith(['a.onnx', 'model.onnx']))).toMatch(/model\.onnx$/);
    expect(await findOnnxFile(dirWith(['net.onnx']))).toMatch(/net\.onnx$/);
    await expect(findOnnxFile(dirWith([]))).rejects.toMatchObject({ code: 'ModelError', message: expect.stringContaining('holds no .onnx file') });
    await expect(findOnnxFile(dirWith(['a.onnx', 'b.onnx']))).rejects.toThrow(/several .onnx files \(a.onnx, b.onnx\); name the one to serve model.onnx/);
  });
});

describe('loadOnnxHandler', () => {
  it('answers rows with each output by name, and refuses rows of the wrong length', async () => {
    const handler = await loadOnnxHandler(dirWith(['model.onnx']));
    const out = await handler.answer('0,0,0\n1,2,3', 'text/csv', 'application/json');
    const { predictions } = JSON.parse(out.body) as { predictions: Array<{ variable: number[] }> };
    expect(predictions).toHaveLength(2);
    expect(predictions[0].variable).toHaveLength(1);
    await expect(async () => handler.answer('1,2', 'text/csv', undefined)).rejects.toThrow(
      "model expects 3 values per row (input 'input' float32 [N,3]); row 1 has 2 values, expected 3",
    );
  });
});

type Request = [body: string, contentType: string, accept?: string];

function batchOf(requests: Request[]): InvokeBatch {
  const ends: number[] = [];
  const bytes = packBodies(requests.map((r) => r[0]), ends);
  return { ids: requests.map((_, i) => i + 1), ends, contentTypes: requests.map((r) => r[1]), accepts: requests.map((r) => r[2]), bytes };
}

/** Every answer of the replies, by request id, as the server reads them. */
async function repliesOf(send: (answerer: BatchAnswerer) => void, handler: Awaited<ReturnType<typeof loadOnnxHandler>>, state?: ReplicaState) {
  const posted: ReplyBatch[] = [];
  const answerer = new BatchAnswerer({ postMessage: (m) => posted.push(structuredClone(m)) }, handler, state && { state, exit: () => {} });
  send(answerer);
  await sleep(50);
  const answers = new Map<number, unknown>();
  for (const r of posted) r.ids.forEach((id, i) => answers.set(id, r.errors[i] ?? { body: bodyAt(r.bytes, r.ends, i).toString('utf8'), contentType: r.contentTypes[i] }));
  return [...answers].sort((a, b) => a[0] - b[0]);
}

/** The batch in one message, and each request in a message of its own (one run each, as before batches were joined). */
async function batchedAndOneByOne(handler: Awaited<ReturnType<typeof loadOnnxHandler>>, requests: Request[]) {
  const runs = vi.spyOn(sessions, 'run');
  const batched = await repliesOf((a) => a.answerAll(batchOf(requests)), handler);
  const batchedRuns = runs.mock.calls.length;
  const oneByOne = await repliesOf((a) => requests.forEach((r, i) => a.answerAll({ ...batchOf([r]), ids: [i + 1] })), handler);
  return { batched, batchedRuns, oneByOne };
}

const MIXED: Request[] = [
  ['0,0,0\n1,2,3', 'text/csv'],
  ['1,2', 'text/csv'], // a row too short: 400
  ['4,5,6', 'text/csv', 'text/csv'],
  ['{"inputs": {"input": [[7, 8, 9]]}}', 'application/json', 'application/jsonlines'],
  ['{"inputs": {"input": [[7, 8]]}}', 'application/json'], // wrong shape: 400
  ['not a number,1,2', 'text/csv'],
  ['{"features": [-1, 0.5, 2]}\n{"features": [3, 3, 3]}', 'application/jsonlines', 'application/json'],
  ['2,2,2', 'text/csv', 'application/xml'], // an Accept it cannot answer
];

describe('OnnxHandler batches', () => {
  it('answers a batch of valid and invalid requests in one run, each answer as it would be alone', async () => {
    const handler = await loadOnnxHandler(dirWith(['model.onnx'], handBuiltModel('multi:softprob', 3)));
    const { batched, batchedRuns, oneByOne } = await batchedAndOneByOne(handler, MIXED);
    expect(batchedRuns).toBe(1);
    expect(batched).toEqual(oneByOne);
    expect(batched.map(([id, a]) => [id, 'body' in (a as object) ? 'ok' : (a as { code: string }).code])).toEqual([
      [1, 'ok'], [2, 'ValidationError'], [3, 'ok'], [4, 'ok'], [5, 'ValidationError'], [6, 'ValidationError'], [7, 'ok'], [8, expect.any(String)],
    ]);
    // Both outputs, split back row by row: label (int64) and probabilities [N,3].
    const { predictions } = JSON.parse((batched[0][1] as { body: string }).body) as { predictions: Array<{ label: number; probabilities: number[] }> };
    expect(predictions).toHaveLength(2);
    expect(predictions[1].probabilities).toHaveLength(3);
    expect(Number.isInteger(predictions[1].label)).toBe(true);
  });

  it('marks every request of a joined run finished once the run is done', async () => {
    const handler = await loadOnnxHandler(dirWith(['model.onnx']));
    const state = new ReplicaState();
    const replies = repliesOf((a) => a.answerAll(batchOf(MIXED)), handler, state);
    await Promise.resolve();
    // The invalid requests failed before the run; the valid ones wait for it.
    expect(MIXED.map((_, i) => state.isFinished(i + 1))).toEqual([false, true, false, false, true, true, false, false]);
    await replies;
    expect(MIXED.map((_, i) => state.isFinished(i + 1))).toEqual(MIXED.map(() => true));
  });

  it('runs each request on its own when the joined run fails, so only the one that fails gets the error', async () => {
    const handler = await loadOnnxHandler(dirWith(['model.onnx']));
    const real = sessions.run;
    const runs = vi.spyOn(sessions, 'run').mockImplementation(function (this: unknown, feeds, ...rest) {
      const values = feeds.input.data as Float32Array;
      if (values.includes(666)) return Promise.reject(new Error('cannot take 666'));
      return real.call(this, feeds, ...rest);
    });
    const requests: Request[] = [['1,2,3', 'text/csv'], ['666,0,0', 'text/csv'], ['4,5,6\n7,8,9', 'text/csv']];
    const batched = await repliesOf((a) => a.answerAll(batchOf(requests)), handler);
    expect(runs).toHaveBeenCalledTimes(1 + requests.length);
    expect(batched[1][1]).toEqual({ code: 'ModelError', message: 'the ONNX model failed: cannot take 666' });
    vi.restoreAllMocks();
    const alone = await repliesOf((a) => requests.forEach((r, i) => i !== 1 && a.answerAll({ ...batchOf([r]), ids: [i + 1] })), handler);
    expect([batched[0], batched[2]]).toEqual(alone);
  });

});
