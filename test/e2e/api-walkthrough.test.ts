import { createReadStream } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { splitCsv } from '../helpers/data.js';
import { DATASETS, startTestServer, waitFor, type TestServer } from '../helpers/server.js';

let server: TestServer;
let split: Awaited<ReturnType<typeof splitCsv>>;

beforeAll(async () => {
  server = await startTestServer();
  split = await splitCsv(join(DATASETS, 'breast_cancer.csv'), await mkdtemp(join(tmpdir(), 'bc-')));
});
afterAll(() => server?.stop());

async function json<T = Record<string, unknown>>(res: Response | Promise<Response>, status = 200): Promise<T> {
  const r = await res;
  const text = await r.text();
  expect(r.status, text).toBe(status);
  return (text ? JSON.parse(text) : undefined) as T;
}

const upload = (name: string, path: string) =>
  server.api(`/api/v1/datasets/${name}`, {
    method: 'POST',
    headers: { 'content-type': 'text/csv' },
    body: Readable.toWeb(createReadStream(path)) as ReadableStream,
    duplex: 'half',
  } as RequestInit);

describe('from a CSV file to a live endpoint over HTTP', () => {
  it('walks the whole path', async () => {
    const train = await json<{ rows: number; version: number; header: boolean }>(upload('bc-train', split.train), 201);
    expect(train).toMatchObject({ rows: 455, version: 1, header: false });
    await json(upload('bc-validation', split.validation), 201);

    const created = await json<{ status: string }>(
      server.api('/api/v1/training-jobs', {
        method: 'POST',
        json: {
          name: 'bc-linear',
          algorithm: 'linear-learner',
          hyperparameters: { predictor_type: 'binary_classifier', epochs: 20, mini_batch_size: 32 },
          inputs: [{ channel: 'train', dataset: 'bc-train' }, { channel: 'validation', dataset: 'bc-validation' }],
        },
      }),
      201,
    );
    expect(created.status).toBe('InProgress');

    const job = await waitFor(
      () => json<{ status: string; secondaryStatus: string; failureReason?: string; finalMetrics: Array<{ name: string; value: number }>; statusHistory: Array<{ status: string }>; billableSeconds?: number; modelArtifact?: string }>(server.api('/api/v1/training-jobs/bc-linear')),
      (j) => j.status !== 'InProgress',
    );
    expect(job.failureReason).toBeUndefined();
    expect(job.status).toBe('Completed');
    expect(job.statusHistory.map((t) => t.status)).toEqual(['Starting', 'Downloading', 'Training', 'Uploading', 'Completed']);
    expect(job.billableSeconds).toBeGreaterThan(0);
    expect(job.modelArtifact).toMatch(/model\.tar\.gz$/);
    const accuracy = job.finalMetrics.find((m) => m.name === 'validation:binary_classification_accuracy');
    expect(accuracy?.value).toBeGreaterThanOrEqual(0.94);

    const metrics = await json<{ metrics: Array<{ name: string; step: number }> }>(server.api('/api/v1/training-jobs/bc-linear/metrics'));
    expect(metrics.metrics.filter((m) => m.name === 'train:objective_loss').length).toBeGreaterThan(1);
    const logs = await (await server.api('/api/v1/training-jobs/bc-linear/logs')).text();
    expect(logs).toContain('job completed');

    await json(server.api('/api/v1/models', { method: 'POST', json: { name: 'bc-model', trainingJob: 'bc-linear' } }), 201);
    await json(server.api('/api/v1/endpoint-configs', { method: 'POST', json: { name: 'bc-config', variants: [{ name: 'AllTraffic', model: 'bc-model' }] } }), 201);
    const t0 = Date.now();
    await json(server.api('/api/v1/endpoints', { method: 'POST', json: { name: 'bc', config: 'bc-config' } }), 201);
    await waitFor(() => json<{ status: string }>(server.api('/api/v1/endpoints/bc')), (e) => e.status !== 'Creating', 10_000, 20);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect((await json<{ status: string }>(server.api('/api/v1/endpoints/bc'))).status).toBe('InService');

    const rows = split.validationRows.map((r) => r.slice(1));
    const csv = await server.api('/endpoints/bc/invocations', { method: 'POST', headers: { 'content-type': 'text/csv' }, body: rows.map((r) => r.join(',')).join('\n') });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('x-amzn-invoked-production-variant')).toBe('AllTraffic');
    const predictions = ((await csv.json()) as { predictions: Array<{ score: number; predicted_label: number }> }).predictions;
    expect(predictions).toHaveLength(rows.length);
    const correct = predictions.filter((p, i) => p.predicted_label === split.validationRows[i][0]).length;
    expect(correct / rows.length).toBeGreaterThanOrEqual(0.94);

    const viaJson = await json<{ predictions: Array<{ score: number }> }>(
      server.api('/endpoints/bc/invocations', { method: 'POST', json: { instances: [{ features: rows[0] }, { features: rows[1] }] } }),
    );
    expect(viaJson.predictions[0].score).toBeCloseTo(predictions[0].score, 10);
    const asCsv = await server.api('/endpoints/bc/invocations', { method: 'POST', headers: { 'content-type': 'text/csv', accept: 'text/csv' }, body: rows[0].join(',') });
    expect(asCsv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect((await asCsv.text()).trim().split(',')).toHaveLength(2);

    await json(server.api('/api/v1/models', { method: 'POST', json: { name: 'bc-model-b', trainingJob: 'bc-linear' } }), 201);
    await json(
      server.api('/api/v1/endpoint-configs', {
        method: 'POST',
        json: { name: 'bc-config-ab', variants: [{ name: 'A', model: 'bc-model', weight: 1 }, { name: 'B', model: 'bc-model-b', weight: 1, instanceCount: 2 }] },
      }),
      201,
    );
    const failures = await underTraffic(rows[0].join(','), async () => {
      await json(server.api('/api/v1/endpoints/bc', { method: 'PUT', json: { config: 'bc-config-ab' } }));
      await waitFor(() => json<{ status: string }>(server.api('/api/v1/endpoints/bc')), (e) => e.status === 'InService', 20_000, 20);
    });
    expect(failures.failed, failures.firstError).toBe(0);
    expect(failures.ok).toBeGreaterThan(20);

    const seen = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const r = await server.api('/endpoints/bc/invocations', { method: 'POST', headers: { 'content-type': 'text/csv' }, body: rows[i].join(',') });
      seen.add(r.headers.get('x-amzn-invoked-production-variant') ?? '');
    }
    expect([...seen].sort()).toEqual(['A', 'B']);
    const targeted = await server.api('/endpoints/bc/invocations', { method: 'POST', headers: { 'content-type': 'text/csv', 'x-amzn-sagemaker-target-variant': 'B' }, body: rows[0].join(',') });
    expect(targeted.headers.get('x-amzn-invoked-production-variant')).toBe('B');

    expect((await server.api('/api/v1/endpoints/bc', { method: 'DELETE' })).status).toBe(204);
    expect((await server.api('/api/v1/endpoints/bc')).status).toBe(404);
    for (const c of ['bc-config', 'bc-config-ab']) expect((await server.api(`/api/v1/endpoint-configs/${c}`, { method: 'DELETE' })).status).toBe(204);
    for (const m of ['bc-model', 'bc-model-b']) expect((await server.api(`/api/v1/models/${m}`, { method: 'DELETE' })).status).toBe(204);
    for (const d of ['bc-train', 'bc-validation']) expect((await server.api(`/api/v1/datasets/${d}`, { method: 'DELETE' })).status).toBe(204);
    expect((await json<{ items: unknown[] }>(server.api('/api/v1/datasets'))).items).toHaveLength(0);
  });
});

/** Sends requests from 4 concurrent clients while `during` runs; counts failures. */
async function underTraffic(body: string, during: () => Promise<void>) {
  let stop = false;
  let ok = 0;
  let failed = 0;
  let firstError = '';
  const client = async () => {
    while (!stop) {
      try {
        const r = await server.api('/endpoints/bc/invocations', { method: 'POST', headers: { 'content-type': 'text/csv' }, body });
        const text = await r.text();
        if (r.status === 200) ok++;
        else {
          failed++;
          firstError ||= `${r.status} ${text}`;
        }
      } catch (e) {
        failed++;
        firstError ||= String(e);
      }
    }
  };
  const clients = Array.from({ length: 4 }, client);
  await new Promise((r) => setTimeout(r, 200));
  await during();
  await new Promise((r) => setTimeout(r, 300));
  stop = true;
  await Promise.all(clients);
  return { ok, failed, firstError };
}
