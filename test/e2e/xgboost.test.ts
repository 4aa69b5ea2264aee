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
import { spawnSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { buffer } from 'node:stream/consumers';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packDirectory } from '../../src/artifacts/archive.js';
import { splitCsv } from '../helpers/data.js';
import { DATASETS, startTestServer, waitFor, type TestServer } from '../helpers/server.js';

const PYTHON = process.env.STRATUS_PYTHON ?? '/usr/bin/python3';
const pythonXGBoost = spawnSync(PYTHON, ['-c', 'import xgboost'], { stdio: 'ignore' }).status === 0;

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

  it('exports ONNX that onnxruntime runs to the endpoint’s predictions, and XGBoost JSON', async () => {
    const rows = bc.validationRows.slice(0, 20);
    const served = await json<{ predictions: Array<{ score: number }> }>(invoke('bc-xgb', featureRows(bc, 20), 'application/json'));
    const onnx = await server.api('/api/v1/models/bc-xgb/export?format=onnx');
    expect(onnx.status).toBe(200);
    const session = await ort.InferenceSession.create(new Uint8Array(await onnx.arrayBuffer()));
    const input = Float32Array.from(rows.flatMap((r) => r.slice(1)));
    const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', input, [rows.length, rows[0].length - 1]) });
    const probabilities = out.probabilities.data as Float32Array;
    for (let i = 0; i < rows.length; i++) expect(Math.abs(probabilities[2 * i + 1] - served.predictions[i].score)).toBeLessThan(1e-5);

    const asJson = await server.api('/api/v1/models/bc-xgb/export?format=xgboost-json');
    expect(asJson.status).toBe(200);
    expect(((await asJson.json()) as { version: number[] }).version).toEqual([1, 7, 4]);
    const bad = await server.api('/api/v1/models/bc-xgb/export?format=pmml');
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('onnx');
  });

  it.skipIf(!pythonXGBoost)('serves a model trained by python3-xgboost and uploaded as an artifact', async () => {
    const dir = join(work, 'py-model');
    await mkdir(dir, { recursive: true });
    const script = [
      'import sys, numpy as np, xgboost as xgb',
      "tr = np.loadtxt(sys.argv[1], delimiter=',', ndmin=2); te = np.loadtxt(sys.argv[2], delimiter=',', ndmin=2)",
      "b = xgb.train({'objective': 'binary:logistic', 'max_depth': 4, 'tree_method': 'hist'}, xgb.DMatrix(tr[:, 1:], label=tr[:, 0]), 30)",
      "b.save_model(sys.argv[3] + '/model.json')",  // the JSON format needs the .json name; the folder's only file is loaded
      "print(','.join(repr(float(p)) for p in b.predict(xgb.DMatrix(te[:, 1:]))))",
    ].join('\n');
    const py = spawnSync(PYTHON, ['-c', script, bc.train, bc.validation, dir], { encoding: 'utf8' });
    expect(py.status, py.stderr).toBe(0);
    const expected = py.stdout.trim().split(',').map(Number);

    const put = await json<{ uri: string }>(server.api('/api/v1/artifacts/uploads/python/model.tar.gz', {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream' },
      body: await buffer(packDirectory(dir)),
    }), 201);
    await json(server.api('/api/v1/models', { method: 'POST', json: { name: 'py-xgb', artifactUri: put.uri, algorithm: 'xgboost' } }), 201);
    await json(server.api('/api/v1/endpoint-configs', { method: 'POST', json: { name: 'py-xgb', variants: [{ name: 'AllTraffic', model: 'py-xgb' }] } }), 201);
    await json(server.api('/api/v1/endpoints', { method: 'POST', json: { name: 'py-xgb', config: 'py-xgb' } }), 201);
    const endpoint = await waitFor(() => json<{ status: string; failureReason?: string }>(server.api('/api/v1/endpoints/py-xgb')), (e) => e.status !== 'Creating');
    expect(endpoint.failureReason).toBeUndefined();
    expect(endpoint.status).toBe('InService');
    const served = (await (await invoke('py-xgb', featureRows(bc, bc.validationRows.length))).text()).trim().split('\n').map(Number);
    expect(served).toHaveLength(expected.length);
    for (let i = 0; i < served.length; i++) expect(Math.abs(served[i] - expected[i])).toBeLessThanOrEqual(1e-5);
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
