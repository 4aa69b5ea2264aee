/**
 * The built-in xgboost through the public API: train with a validation channel and early
 * stopping, per-round metrics under XGBoost's names, the `xgboost-model` artifact, an endpoint in
 * XGBoost's response shapes (CSV by default, JSON on request, probability vectors for
 * multi:softprob), feature importance, and bad input failing fast with file, row and column.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { splitCsv } from '../helpers/data.js';
import { DATASETS, startTestServer, waitFor, type TestServer } from '../helpers/server.js';

let server: TestServer;
let work: string;
let bc: Awaited<ReturnType<typeof splitCsv>>;

interface Job {
  status: string;
  failureReason?: string;
  finalMetrics: Array<{ name: string; value: number }>;
  modelArtifact?: string;
}

beforeAll(async () => {
  server = await startTestServer();
  work = await mkdtemp(join(tmpdir(), 'xgb-e2e-'));
  bc = await splitCsv(join(DATASETS, 'breast_cancer.csv'), work);
  expect((await upload('bc-train', bc.train)).status).toBe(201);
  expect((await upload('bc-validation', bc.validation)).status).toBe(201);
});
afterAll(() => server?.stop());

function upload(name: string, path: string) {
  return server.api(`/api/v1/datasets/${name}`, {
    method: 'POST',
    headers: { 'content-type': 'text/csv' },
    body: Readable.toWeb(createReadStream(path)) as ReadableStream,
    duplex: 'half',
  } as RequestInit);
}

async function json<T = Record<string, unknown>>(res: Response | Promise<Response>, status = 200): Promise<T> {
  const r = await res;
  const text = await r.text();
  expect(r.status, text).toBe(status);
  return (text ? JSON.parse(text) : undefined) as T;
}

async function train(name: string, hyperparameters: Record<string, string | number>, inputs: Array<{ channel: string; dataset: string }>): Promise<Job> {
  await json(server.api('/api/v1/training-jobs', { method: 'POST', json: { name, algorithm: 'xgboost', hyperparameters, inputs } }), 201);
  return waitFor(() => json<Job>(server.api(`/api/v1/training-jobs/${name}`)), (j) => j.status !== 'InProgress');
}

async function deploy(name: string, job: string) {
  await json(server.api('/api/v1/models', { method: 'POST', json: { name, trainingJob: job } }), 201);
  await json(server.api('/api/v1/endpoint-configs', { method: 'POST', json: { name, variants: [{ name: 'AllTraffic', model: name }] } }), 201);
  await json(server.api('/api/v1/endpoints', { method: 'POST', json: { name, config: name } }), 201);
  await waitFor(() => json<{ status: string }>(server.api(`/api/v1/endpoints/${name}`)), (e) => e.status === 'InService');
}

/** The first `n` validation rows without their label, as a CSV body. */
const featureRows = (split: { validationRows: number[][] }, n: number) => split.validationRows.slice(0, n).map((r) => r.slice(1).join(',')).join('\n');

const invoke = (endpoint: string, body: string, accept?: string) =>
  server.api(`/endpoints/${endpoint}/invocations`, { method: 'POST', headers: { 'content-type': 'text/csv', ...(accept ? { accept } : {}) }, body });

describe('xgboost through the API', () => {
  it('trains with early stopping, reports per-round metrics, serves XGBoost response shapes and explains itself', async () => {
    const job = await train(
      'bc-xgb',
      { objective: 'binary:logistic', num_round: 300, max_depth: 3, eta: 0.3, eval_metric: 'logloss,auc', early_stopping_rounds: 10 },
      [{ channel: 'train', dataset: 'bc-train' }, { channel: 'validation', dataset: 'bc-validation' }],
    );
    expect(job.failureReason).toBeUndefined();
    expect(job.status).toBe('Completed');
    const auc = job.finalMetrics.find((m) => m.name === 'validation:auc');
    expect(auc?.value).toBeGreaterThan(0.97);

    const metrics = await json<{ metrics: Array<{ name: string; step: number; value: number }> }>(server.api('/api/v1/training-jobs/bc-xgb/metrics'));
    const rounds = metrics.metrics.filter((m) => m.name === 'validation:auc');
    expect(rounds.length).toBeGreaterThan(10);
    expect(rounds.length).toBeLessThan(300); // early stopping cut the run short
    expect(metrics.metrics.some((m) => m.name === 'train:logloss')).toBe(true);

    const logs = await (await server.api('/api/v1/training-jobs/bc-xgb/logs')).text();
    expect(logs).toMatch(/\[0\]\ttrain-logloss:[\d.]+\ttrain-auc:[\d.]+\tvalidation-logloss:[\d.]+\tvalidation-auc:[\d.]+/);
    expect(logs).toMatch(/best iteration \d+/);

    await deploy('bc-xgb', 'bc-xgb');
    const rows = featureRows(bc, 5);
    const csv = await invoke('bc-xgb', rows);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const probabilities = (await csv.text()).trim().split('\n').map(Number);
    expect(probabilities).toHaveLength(5);
    for (const p of probabilities) expect(p).toBeGreaterThanOrEqual(0), expect(p).toBeLessThanOrEqual(1);

    const asJson = await json<{ predictions: Array<{ score: number }> }>(invoke('bc-xgb', rows, 'application/json'));
    expect(asJson.predictions.map((p) => p.score)).toEqual(probabilities.map((p) => expect.closeTo(p, 6)));

    const importance = await json<{ type: string; features: Array<{ feature: string; value: number }> }>(server.api('/api/v1/models/bc-xgb/feature-importance?type=gain'));
    expect(importance.type).toBe('gain');
    expect(importance.features.length).toBeGreaterThan(0);
    expect(importance.features[0].feature).toMatch(/^f\d+$/);
    const values = importance.features.map((f) => f.value);
    expect(values).toEqual([...values].sort((a, b) => b - a));
  });

  it('serves a probability vector per row for multi:softprob', async () => {
    const iris = await splitCsv(join(DATASETS, 'iris.csv'), await mkdtemp(join(tmpdir(), 'iris-')));
    expect((await upload('iris', iris.train)).status).toBe(201);
    const job = await train('iris-xgb', { objective: 'multi:softprob', num_class: 3, num_round: 20 }, [{ channel: 'train', dataset: 'iris' }]);
    expect(job.status).toBe('Completed');
    await deploy('iris-xgb', 'iris-xgb');
    const out = await json<{ predictions: Array<{ score: number[] }> }>(invoke('iris-xgb', featureRows(iris, 3), 'application/json'));
    expect(out.predictions).toHaveLength(3);
    for (const p of out.predictions) {
      expect(p.score).toHaveLength(3);
      expect(p.score.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    }
    const csv = (await (await invoke('iris-xgb', featureRows(iris, 3))).text()).trim().split('\n');
    expect(csv.map((line) => line.split(',').length)).toEqual([3, 3, 3]);
  });

  it('rejects an out-of-range hyperparameter at creation with the valid range', async () => {
    const r = await server.api('/api/v1/training-jobs', {
      method: 'POST',
      json: { name: 'bad-eta', algorithm: 'xgboost', hyperparameters: { num_round: 10, eta: 2 }, inputs: [{ channel: 'train', dataset: 'bc-train' }] },
    });
    expect(r.status).toBe(400);
    const e = ((await r.json()) as { error: { message: string } }).error;
    expect(e.message).toContain("'eta'");
    expect(e.message).toMatch(/\[0, 1\]/);
  });

  it('fails fast naming file, row and column for a label outside [0, num_class)', async () => {
    const bad = join(work, 'bad-labels.csv');
    await writeFile(bad, '0,1.5,2.5\n1,0.5,1.0\n3,2.0,0.1\n');
    expect((await upload('bad-labels', bad)).status).toBe(201);
    const job = await train('bad-labels', { objective: 'multi:softmax', num_class: 3, num_round: 5 }, [{ channel: 'train', dataset: 'bad-labels' }]);
    expect(job.status).toBe('Failed');
    expect(job.failureReason).toMatch(/row 3, column 1/);
    expect(job.failureReason).toMatch(/num_class is 3/);
    expect(job.failureReason).toMatch(/file '/);
  });
});
