import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATASETS, startTestServer, waitFor, type TestServer } from '../helpers/server.js';

let server: TestServer;
const bc = readFileSync(join(DATASETS, 'breast_cancer.csv'), 'utf8');
const featureRow = bc.split('\n')[0].split(',').slice(1);

async function errorOf(res: Promise<Response>) {
  const r = await res;
  const body = (await r.json()) as { error: { code: string; message: string; details?: Record<string, unknown>; requestId?: string } };
  return { status: r.status, ...body.error };
}

const postCsv = (path: string, body: string, contentType = 'text/csv') =>
  server.api(path, { method: 'POST', headers: { 'content-type': contentType }, body });

beforeAll(async () => {
  server = await startTestServer({ maxUploadBytes: 200_000, maxInvocationBytes: 50_000 });
  expect((await postCsv('/api/v1/datasets/bc', bc)).status).toBe(201);
  const job = await server.api('/api/v1/training-jobs', {
    method: 'POST',
    json: { name: 'bc-job', algorithm: 'linear-learner', hyperparameters: { predictor_type: 'binary_classifier', epochs: 2 }, inputs: [{ channel: 'train', dataset: 'bc' }] },
  });
  expect(job.status).toBe(201);
  await waitFor(async () => (await (await server.api('/api/v1/training-jobs/bc-job')).json()) as { status: string }, (j) => j.status !== 'InProgress');
  await server.api('/api/v1/models', { method: 'POST', json: { name: 'bc-model', trainingJob: 'bc-job' } });
  await server.api('/api/v1/endpoint-configs', { method: 'POST', json: { name: 'bc-config', variants: [{ name: 'AllTraffic', model: 'bc-model' }] } });
  await server.api('/api/v1/endpoints', { method: 'POST', json: { name: 'bc', config: 'bc-config' } });
  await waitFor(async () => (await (await server.api('/api/v1/endpoints/bc')).json()) as { status: string }, (e) => e.status === 'InService');
});
afterAll(() => server?.stop());

describe('auth', () => {
  it('answers /health without a token', async () => {
    const r = await fetch(`${server.url}/health`);
    expect(r.status).toBe(200);
  });
  it('refuses a request without a token with 401', async () => {
    const r = await fetch(`${server.url}/api/v1/datasets`);
    expect(r.status).toBe(401);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('Unauthenticated');
  });
  it('refuses an unknown token with 401', async () => {
    expect((await errorOf(server.api('/api/v1/datasets', { headers: { authorization: 'Bearer nope' } }))).status).toBe(401);
  });
  it('lets a reader key read but not write (403)', async () => {
    const key = (await (await server.api('/api/v1/api-keys', { method: 'POST', json: { role: 'reader' } })).json()) as { token: string };
    const auth = { authorization: `Bearer ${key.token}` };
    expect((await server.api('/api/v1/datasets', { headers: auth })).status).toBe(200);
    const e = await errorOf(server.api('/api/v1/models', { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{}' }));
    expect(e).toMatchObject({ status: 403, code: 'Forbidden' });
  });
});

describe('error shape and codes', () => {
  it('404 for an unknown resource, with a request id', async () => {
    const e = await errorOf(server.api('/api/v1/training-jobs/missing'));
    expect(e).toMatchObject({ status: 404, code: 'NotFound' });
    expect(e.message).toContain('missing');
    expect(e.requestId).toBeTruthy();
  });
  it('409 for a duplicate name', async () => {
    const e = await errorOf(server.api('/api/v1/models', { method: 'POST', json: { name: 'bc-model', trainingJob: 'bc-job' } }));
    expect(e).toMatchObject({ status: 409, code: 'ResourceInUse' });
  });
  it('400 naming the field for a schema violation', async () => {
    const e = await errorOf(server.api('/api/v1/endpoint-configs', { method: 'POST', json: { name: 'x', variants: [], extra: 1 } }));
    expect(e.status).toBe(400);
    expect(e.code).toBe('ValidationError');
  });
  it('400 with the valid range for an out-of-range hyperparameter, and no job left behind', async () => {
    const e = await errorOf(
      server.api('/api/v1/training-jobs', {
        method: 'POST',
        json: { name: 'bad-hp', algorithm: 'linear-learner', hyperparameters: { predictor_type: 'binary_classifier', epochs: 0 }, inputs: [{ channel: 'train', dataset: 'bc' }] },
      }),
    );
    expect(e).toMatchObject({ status: 400, code: 'ValidationError' });
    expect(e.message).toContain('epochs');
    expect((await server.api('/api/v1/training-jobs/bad-hp')).status).toBe(404);
  });
  it('400 for an unknown hyperparameter', async () => {
    const e = await errorOf(
      server.api('/api/v1/training-jobs', {
        method: 'POST',
        json: { name: 'bad-hp2', algorithm: 'linear-learner', hyperparameters: { predictor_type: 'binary_classifier', epoch: 3 }, inputs: [{ channel: 'train', dataset: 'bc' }] },
      }),
    );
    expect(e).toMatchObject({ status: 400 });
    expect(e.message).toContain('epoch');
  });
  it('413 for a dataset over the upload limit, and nothing stored', async () => {
    const e = await errorOf(postCsv('/api/v1/datasets/too-big', bc.repeat(3)));
    expect(e).toMatchObject({ status: 413, code: 'PayloadTooLarge' });
    expect((await server.api('/api/v1/datasets/too-big')).status).toBe(404);
  });
  it('413 for an invocation body over the limit', async () => {
    const e = await errorOf(postCsv('/endpoints/bc/invocations', (featureRow.join(',') + '\n').repeat(300)));
    expect(e).toMatchObject({ status: 413, code: 'PayloadTooLarge' });
  });
  it('415 for an unsupported content type', async () => {
    expect((await errorOf(postCsv('/api/v1/datasets/img', 'xx', 'image/png'))).status).toBe(415);
    expect((await errorOf(postCsv('/endpoints/bc/invocations', '<x/>', 'application/xml'))).status).toBe(415);
  });
  it('400 naming row and column for a malformed CSV row', async () => {
    const bad = [...featureRow];
    bad[4] = 'abc';
    const e = await errorOf(postCsv('/endpoints/bc/invocations', `${featureRow.join(',')}\n${bad.join(',')}`));
    expect(e).toMatchObject({ status: 400, code: 'ValidationError' });
    expect(e.details).toMatchObject({ row: 2, column: 5 });
    const short = await errorOf(postCsv('/endpoints/bc/invocations', featureRow.slice(1).join(',')));
    expect(short.status).toBe(400);
    expect(short.message).toMatch(/row 1/);
  });
  it('400 for a dataset whose rows are ragged', async () => {
    const e = await errorOf(postCsv('/api/v1/datasets/ragged', '1,2,3\n4,5\n'));
    expect(e.status).toBe(400);
    expect((await server.api('/api/v1/datasets/ragged')).status).toBe(404);
  });
});

describe('input fuzzing', () => {
  const seeds = [`${featureRow.join(',')}`, JSON.stringify({ instances: [{ features: featureRow.map(Number) }] }), `{"features":[${featureRow.join(',')}]}\n`];
  const types = ['text/csv', 'application/json', 'application/jsonlines'];

  it('never answers 5xx to random or truncated invocation bodies, and keeps serving', async () => {
    let rnd = 7;
    const next = () => (rnd = (rnd * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (let i = 0; i < 150; i++) {
      const seed = seeds[i % 3];
      const cut = seed.slice(0, Math.floor(next() * seed.length));
      const body = i % 2 ? cut : cut.replace(/./g, (c) => (next() < 0.05 ? String.fromCharCode(Math.floor(next() * 128)) : c));
      const r = await postCsv('/endpoints/bc/invocations', body, types[Math.floor(next() * 3)]);
      expect(r.status, body).toBeLessThan(500);
      await r.arrayBuffer();
    }
    const ok = await postCsv('/endpoints/bc/invocations', featureRow.join(','));
    expect(ok.status).toBe(200);
  });

  it('never answers 5xx to truncated JSON on the control plane', async () => {
    const body = JSON.stringify({ name: 'fuzz-job', algorithm: 'linear-learner', hyperparameters: { predictor_type: 'binary_classifier' }, inputs: [{ channel: 'train', dataset: 'bc' }] });
    for (let cut = 0; cut < body.length - 1; cut += 3) {
      const r = await server.api('/api/v1/training-jobs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: body.slice(0, cut) });
      expect(r.status, body.slice(0, cut)).toBe(400);
      await r.arrayBuffer();
    }
  });
});

describe('API docs', () => {
  it('serves an OpenAPI 3.1 document generated from the schemas', async () => {
    const r = await fetch(`${server.url}/api/docs/json`);
    expect(r.status).toBe(200);
    const doc = (await r.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/datasets', '/api/v1/training-jobs', '/api/v1/models', '/api/v1/endpoint-configs', '/api/v1/endpoints', '/endpoints/{name}/invocations']));
    expect((await fetch(`${server.url}/api/docs`)).status).toBe(200);
  });
});
