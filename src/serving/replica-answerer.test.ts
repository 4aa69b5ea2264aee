import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { PlatformError } from '../core/errors.js';
import { BatchAnswerer, type WorkerModelHandler } from './replica-answerer.js';
import { bodyAt, epochMs, packBodies, ReplicaState, type InvokeBatch, type ReplyBatch } from './replica-protocol.js';

function batchOf(bodies: string[], ids = bodies.map((_, i) => i + 1)): InvokeBatch {
  const ends: number[] = [];
  const bytes = packBodies(bodies, ends);
  return { ids, ends, contentTypes: bodies.map(() => 'text/csv'), accepts: bodies.map(() => undefined), bytes };
}

/** What a reply batch says, answer by answer, keyed by request id. */
function answersOf(r: ReplyBatch) {
  return new Map(r.ids.map((id, i) => [id, r.errors[i] ? { error: r.errors[i] } : { body: bodyAt(r.bytes, r.ends, i).toString('utf8'), contentType: r.contentTypes[i] }]));
}

/** A port that clones what is posted, as a real MessagePort does. */
function fakePort() {
  const posted: ReplyBatch[] = [];
  return { posted, postMessage: (m: ReplyBatch) => posted.push(structuredClone(m)) };
}

/** Doubles a number; "bad" and "boom" fail, "echo:<s>" answers <s>, "slow:<n>" after a timer, "async:<n>" at once but asynchronously. */
const handler: WorkerModelHandler = {
  answer(body) {
    if (body === 'bad') throw new PlatformError('ValidationError', `cannot read '${body}'`, { row: 1 });
    if (body === 'boom') throw new TypeError('kaput');
    if (body.startsWith('echo:')) return { body: body.slice(5), contentType: 'text/plain' };
    if (body.startsWith('slow:')) return sleep(20).then(() => ({ body: String(Number(body.slice(5)) * 2), contentType: 'text/csv' }));
    if (body.startsWith('async:')) return Promise.resolve({ body: String(Number(body.slice(6)) * 2), contentType: 'application/json' });
    return { body: String(Number(body) * 2), contentType: 'text/csv' };
  },
};

describe('BatchAnswerer', () => {
  it('answers every request of a batch in one reply, each with its own answer or error', async () => {
    const port = fakePort();
    new BatchAnswerer(port, handler).answerAll(batchOf(['1', 'bad', '3', 'boom', 'async:5', 'echo:héllo ✓'], [10, 11, 12, 13, 14, 15]));
    expect(port.posted).toHaveLength(0); // sent at the end of the event-loop turn, not per answer
    await sleep(0);
    expect(port.posted).toHaveLength(1);
    const answers = answersOf(port.posted[0]);
    expect(answers.get(10)).toEqual({ body: '2', contentType: 'text/csv' });
    expect(answers.get(11)).toEqual({ error: { code: 'ValidationError', message: "cannot read 'bad'", details: { row: 1 } } });
    expect(answers.get(12)).toEqual({ body: '6', contentType: 'text/csv' });
    expect(answers.get(13)).toEqual({ error: { code: 'ModelError', message: 'the model failed: kaput' } });
    expect(answers.get(14)).toEqual({ body: '10', contentType: 'application/json' });
    expect(answers.get(15)).toEqual({ body: 'héllo ✓', contentType: 'text/plain' });
  });

  it('sends a slow answer in a later reply, without holding back the others', async () => {
    const port = fakePort();
    const answerer = new BatchAnswerer(port, handler);
    answerer.answerAll(batchOf(['slow:4', '1'], [1, 2]));
    await sleep(0);
    expect(port.posted.map((r) => r.ids)).toEqual([[2]]);
    await sleep(50);
    expect(port.posted.map((r) => r.ids)).toEqual([[2], [1]]);
    expect(answersOf(port.posted[1]).get(1)).toEqual({ body: '8', contentType: 'text/csv' });
  });

  it('keeps answering after a batch: each turn gets its own reply', async () => {
    const port = fakePort();
    const answerer = new BatchAnswerer(port, handler);
    answerer.answerAll(batchOf(['1']));
    await sleep(0);
    answerer.answerAll(batchOf(['2', '3'], [2, 3]));
    await sleep(0);
    expect(port.posted.map((r) => [...answersOf(r)].map(([id, a]) => [id, 'body' in a ? a.body : a.error]))).toEqual([[[1, '2']], [[2, '4'], [3, '6']]]);
  });

  it('marks each request finished in the shared state as it is answered or fails, and exits once retired', async () => {
    const state = new ReplicaState();
    // The server's view of the same memory, as a worker thread would share it.
    const server = new ReplicaState(state.buffer);
    const exits: string[] = [];
    const port = fakePort();
    const answerer = new BatchAnswerer(port, handler, { state, exit: () => exits.push('exit') });
    const before = epochMs();
    answerer.answerAll(batchOf(['1', 'bad', 'slow:2'], [7, 8, 9]));
    expect([7, 8, 9].map((id) => server.isFinished(id))).toEqual([true, true, false]);
    expect(server.lastFinishedAt).toBeGreaterThanOrEqual(before);
    expect(server.isFinished(7 + 4096)).toBe(false);
    // Retired while 9 runs: when it ends the worker exits, and its answer is not sent.
    server.retire();
    await sleep(50);
    expect(server.isFinished(9)).toBe(true);
    expect(exits).toEqual(['exit']);
    expect(port.posted.flatMap((r) => r.ids)).toEqual([7, 8]);
    answerer.answerAll(null);
    expect(exits).toEqual(['exit', 'exit']);
  });
});
