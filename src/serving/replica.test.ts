import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../core/logger.js';
import { WorkerReplica } from './replica.js';
import { spinOnnx } from './testdata/spin-onnx.js';
import { VariantPool } from './variant-pool.js';

const TIMEOUT_MS = 1000;
/** Loop iterations that keep ONNX Runtime busy for seconds (about 1 µs each): a stuck model. */
const STUCK = '1,5000000';

let modelDir: string;
beforeAll(() => {
  modelDir = mkdtempSync(join(tmpdir(), 'worker-replica-'));
  writeFileSync(join(modelDir, 'model.onnx'), spinOnnx());
});
afterAll(() => rmSync(modelDir, { recursive: true, force: true }));

const csv = (body: string) => ({ body, contentType: 'text/csv', accept: 'application/json' });
const scoreOf = (out: { body: Buffer | string }) => (JSON.parse(String(out.body)) as { predictions: Array<{ score: number[] }> }).predictions[0].score[0];

function start(deaths: string[] = []) {
  return new WorkerReplica({ runtime: 'onnx', modelDir }, (_r, reason) => deaths.push(reason), { invocationTimeoutMs: TIMEOUT_MS });
}

describe('WorkerReplica invocation timeout', () => {
  it('answers ModelTimeout past the timeout, stops the stuck worker and fails its other requests as retriable', async () => {
    const deaths: string[] = [];
    const r = start(deaths);
    await r.ready;
    expect(scoreOf(await r.invoke(csv('1,2')))).toBe(3);

    const t0 = performance.now();
    const stuck = r.invoke(csv(STUCK));
    const sameBatch = r.invoke(csv('2,3'));
    await sleep(200);
    const laterBatch = r.invoke(csv('3,4'));
    await expect(stuck).rejects.toMatchObject({ code: 'ModelTimeout', message: 'the model did not answer within 1 s', details: { timeoutMs: TIMEOUT_MS } });
    const waited = performance.now() - t0;
    expect(waited).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
    expect(waited).toBeLessThan(TIMEOUT_MS + 1500);
    const bystander = { code: 'Unavailable', message: 'a request ran past the 1 s invocation timeout; the replica was stopped as stuck; this request was not answered, send it again' };
    await expect(sameBatch).rejects.toMatchObject(bystander);
    await expect(laterBatch).rejects.toMatchObject(bystander);
    expect(r.alive).toBe(false);
    expect(r.outstanding).toBe(0);
    expect(deaths).toEqual(['a request ran past the 1 s invocation timeout; the replica was stopped as stuck']);
    await expect(r.invoke(csv('1,2'))).rejects.toMatchObject({ code: 'Unavailable' });
    // The ONNX worker was retired, not terminated (that would abort the process): it exits once its run returns.
    await r.drainAndStop();
  });

  it('keeps a replica whose requests each finish in time, however long it stays busy', async () => {
    const deaths: string[] = [];
    const r = start(deaths);
    await r.ready;
    // Requests overlap for well past one timeout, none of them past it: the watchdog follows the oldest.
    const answers: Array<Promise<unknown>> = [];
    for (let i = 0; i < 12; i++) {
      answers.push(r.invoke(csv(i % 3 === 0 ? '1,100000' : `${i},1`)).then(scoreOf));
      await sleep(200);
    }
    const scores = await Promise.all(answers);
    expect(scores).toEqual(Array.from({ length: 12 }, (_, i) => (i % 3 === 0 ? 100001 : i + 1)));
    expect(r.alive).toBe(true);
    expect(deaths).toEqual([]);
    await r.drainAndStop();
    expect(r.alive).toBe(false);
  });
});

describe('VariantPool with a stuck worker', () => {
  const poolOf = () =>
    new VariantPool('v', 'spin', { kind: 'onnx', startReplica: (onDeath) => new WorkerReplica({ runtime: 'onnx', modelDir }, onDeath, { invocationTimeoutMs: TIMEOUT_MS }) }, createLogger({ level: 'silent' }));

  it('times the request out naming the variant, and re-sends the stuck worker\'s other requests to a healthy replica', async () => {
    const pool = poolOf();
    await pool.start(2);
    // Sent in one turn: least-outstanding routing puts some of them on the stuck replica too.
    const t0 = performance.now();
    const stuck = pool.invoke(csv(STUCK));
    const took: number[] = [];
    const normal = Array.from({ length: 6 }, (_, i) => pool.invoke(csv(`${i},1`)).then((out) => (took.push(performance.now() - t0), scoreOf(out))));
    await expect(stuck).rejects.toMatchObject({
      code: 'ModelTimeout',
      message: "variant 'v' (model 'spin'): the model did not answer within 1 s",
      details: { timeoutMs: TIMEOUT_MS, variant: 'v', model: 'spin' },
    });
    expect(await Promise.all(normal)).toEqual([1, 2, 3, 4, 5, 6]);
    // Those that waited behind the stuck request were answered by the other replica after the timeout.
    expect(took.filter((ms) => ms >= TIMEOUT_MS - 5).length).toBeGreaterThan(0);
    expect(pool.errors).toBe(1);
    await pool.stop();
  });

  it('with one replica, fails its other requests as retriable until the replacement is ready', async () => {
    const pool = poolOf();
    await pool.start(1);
    const stuck = pool.invoke(csv(STUCK));
    const bystander = pool.invoke(csv('1,2'));
    await expect(stuck).rejects.toMatchObject({ code: 'ModelTimeout' });
    await expect(bystander).rejects.toMatchObject({ code: 'Unavailable', message: "variant 'v' has no running replica; try again shortly" });
    // The replacement starts at once; it takes traffic once its model is loaded.
    const deadline = Date.now() + 30_000;
    let answer: number | undefined;
    while (answer === undefined && Date.now() < deadline) {
      answer = await pool.invoke(csv('1,2')).then(scoreOf, () => sleep(100).then(() => undefined));
    }
    expect(answer).toBe(3);
    expect(pool.instanceCount).toBe(1);
    await pool.stop();
  });
});
