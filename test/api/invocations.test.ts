/**
 * The invocation path over HTTP: answers under concurrency (requests reach a replica in batches),
 * and the fast path (api/invocation-fast-path.ts) answering exactly as the Fastify route does.
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATASETS, startTestServer, TEST_TOKEN, waitFor, type TestServer } from '../helpers/server.js';

let server: TestServer;
const rows = readFileSync(join(DATASETS, 'breast_cancer.csv'), 'utf8').trim().split('\n').map((l) => l.split(',').slice(1).join(','));

interface Answer { status: number; headers: Record<string, string | string[] | undefined>; body: string }

/** A raw HTTP/1.1 POST, so headers (and the connection) are exactly what the test says. */
function post(path: string, body: string, headers: Record<string, string> = {}, agent?: Agent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const url = new URL(server.url);
    const req = request({ host: url.hostname, port: url.port, method: 'POST', path, agent: agent ?? false, headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'text/csv', ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** An answer without what differs between two requests (date, request id). */
const comparable = (a: Answer) => ({
  status: a.status,
  headers: { ...a.headers, date: undefined },
  body: a.body.replace(/"requestId":"[^"]+"/, '"requestId":"…"'),
});

beforeAll(async () => {
  server = await startTestServer({ maxInvocationBytes: 20_000 });
  const csv = readFileSync(join(DATASETS, 'breast_cancer.csv'), 'utf8');
  expect((await server.api('/api/v1/datasets/bc', { method: 'POST', headers: { 'content-type': 'text/csv' }, body: csv })).status).toBe(201);
  await server.api('/api/v1/training-jobs', {
    method: 'POST',
    json: { name: 'bc', algorithm: 'linear-learner', hyperparameters: { predictor_type: 'binary_classifier', epochs: 2 }, inputs: [{ channel: 'train', dataset: 'bc' }] },
  });
  await waitFor(async () => (await (await server.api('/api/v1/training-jobs/bc')).json()) as { status: string }, (j) => j.status !== 'InProgress');
  await server.api('/api/v1/models', { method: 'POST', json: { name: 'bc', trainingJob: 'bc' } });
  await server.api('/api/v1/endpoint-configs', { method: 'POST', json: { name: 'bc', variants: [{ name: 'AllTraffic', model: 'bc', instanceCount: 2 }] } });
  await server.api('/api/v1/endpoints', { method: 'POST', json: { name: 'bc', config: 'bc' } });
  await waitFor(async () => (await (await server.api('/api/v1/endpoints/bc')).json()) as { status: string }, (e) => e.status === 'InService');
}, 120_000);
afterAll(() => server?.stop());

describe('invocations under concurrency', () => {
  it('gives each of many simultaneous requests its own answer, and each bad one its own error', async () => {
    const picked = rows.slice(0, 60);
    const expected: string[] = [];
    for (const r of picked) expected.push((await post('/endpoints/bc/invocations', r)).body);
    const bad = (i: number) => `${picked[i]}\n${picked[i].replace(/^[^,]+/, `bad${i}`)}`;
    // 64 connections at once: the server reads them in the same turns of its event loop, so
    // replicas get them in batches, mixing good and bad requests.
    const agent = new Agent({ keepAlive: true, maxSockets: 64 });
    const sent = picked.flatMap((r, i) => (i % 4 === 0 ? [{ i, body: bad(i) }, { i, body: r }] : [{ i, body: r }]));
    for (let round = 0; round < 3; round++) {
      const answers = await Promise.all(sent.map((s) => post('/endpoints/bc/invocations', s.body, {}, agent)));
      answers.forEach((a, k) => {
        const { i, body } = sent[k];
        if (body.includes('\n')) {
          expect(a.status).toBe(400);
          expect(JSON.parse(a.body).error).toMatchObject({ code: 'ValidationError', message: `row 2, column 1: 'bad${i}' is not a finite number`, details: { row: 2, column: 1 } });
        } else {
          expect(a.status).toBe(200);
          expect(a.body).toBe(expected[i]);
        }
      });
    }
    agent.destroy();
  });
});

describe('the fast path and the Fastify route', () => {
  // A percent-encoded name is not taken by the fast path: Fastify's route decodes and answers it.
  const routes = ['/endpoints/bc/invocations', '/endpoints/b%63/invocations'];

  it('answer alike: predictions, both URL forms, query strings', async () => {
    for (const path of ['/endpoints/bc/invocations', '/api/v1/endpoints/bc/invocations?x=1']) {
      const [fast, fastify] = await Promise.all([post(path, rows[0]), post(path.replace('/bc/', '/b%63/'), rows[0])]);
      expect(fast.status).toBe(200);
      expect(fast.headers['x-amzn-invoked-production-variant']).toBe('AllTraffic');
      expect(fast.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(comparable(fast)).toEqual(comparable(fastify));
    }
    const csv = await Promise.all(routes.map((p) => post(p, rows[1], { accept: 'text/csv' })));
    expect(csv[0].headers['content-type']).toBe('text/csv');
    expect(comparable(csv[0])).toEqual(comparable(csv[1]));
  });

  it('answer alike: every error shape (auth, limits, media types, variants, models, endpoints)', async () => {
    const cases: Array<[string, string, Record<string, string>]> = [
      ['no token', rows[0], { authorization: '' }],
      ['unknown token', rows[0], { authorization: 'Bearer nope' }],
      ['too large', `${rows[0]}\n`.repeat(100), {}],
      ['unsupported type', '<x/>', { 'content-type': 'application/xml' }],
      ['not acceptable', rows[0], { accept: 'image/png' }],
      ['bad row', `${rows[0]}\n1,2`, {}],
      ['empty body', '', {}],
      ['unknown variant', rows[0], { 'x-amzn-sagemaker-target-variant': 'Nope' }],
    ];
    for (const [what, body, headers] of cases) {
      const [fast, fastify] = await Promise.all(routes.map((p) => post(p, body, headers)));
      expect(fast.status, what).toBeGreaterThanOrEqual(400);
      expect(comparable(fast), what).toEqual(comparable(fastify));
    }
    const [missing, missingViaFastify] = await Promise.all([post('/endpoints/nope/invocations', rows[0]), post('/endpoints/no%70e/invocations', rows[0])]);
    expect(JSON.parse(missing.body).error.code).toBe('NotFound');
    expect(comparable(missing)).toEqual(comparable(missingViaFastify));
  });

  it('closes a keep-alive connection after refusing a body over the limit, and keeps it after an answer', async () => {
    for (const path of routes) {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      const tooLarge = await post(path, `${rows[0]}\n`.repeat(100), {}, agent);
      expect(tooLarge.status).toBe(413);
      expect(JSON.parse(tooLarge.body).error.code).toBe('PayloadTooLarge');
      expect(tooLarge.headers.connection, path).toBe('close');
      const ok = await post(path, rows[0], {}, agent);
      expect(ok.status).toBe(200);
      expect(ok.headers.connection, path).toBe('keep-alive');
      agent.destroy();
    }
  });

  it('leaves header values outside the schema to Fastify, which names the field', async () => {
    const long = await post('/endpoints/bc/invocations', rows[0], { 'x-amzn-sagemaker-target-variant': 'v'.repeat(64) });
    expect(long.status).toBe(400);
    expect(JSON.parse(long.body).error).toMatchObject({ code: 'ValidationError', message: 'headers.x-amzn-sagemaker-target-variant must NOT have more than 63 characters' });
  });
});
