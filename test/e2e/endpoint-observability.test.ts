/**
 * Endpoint metrics, Prometheus, data capture and shadow variants over HTTP (issue 5, items 2, 3,
 * 6 and 7), with models trained on breast_cancer: linear-learner in production, xgboost as a
 * similar shadow, and a server of your own that fails every request as a broken shadow.
 */
import { createReadStream, mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packDirectory } from '../../src/artifacts/archive.js';
import { splitCsv } from '../helpers/data.js';
import { DATASETS, startTestServer, waitFor, type TestServer } from '../helpers/server.js';

let server: TestServer;
let work: string;
let rows: string[];

const FAILING_SERVER = `
const http = require('node:http');
http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/ping') return res.writeHead(200).end();
  req.resume();
  req.on('end', () => res.writeHead(500, { 'content-type': 'text/plain' }).end('this shadow always fails'));
}).listen(Number(process.env.SAGEMAKER_BIND_TO_PORT), '127.0.0.1');
`;

async function json<T = Record<string, any>>(res: Response | Promise<Response>, status = 200): Promise<T> {
  const r = await res;
  const text = await r.text();
  expect(r.status, text).toBe(status);
  return (text ? JSON.parse(text) : undefined) as T;
}

async function train(name: string, algorithm: string, hyperparameters: Record<string, string | number>) {
  await json(server.api('/api/v1/training-jobs', {
    method: 'POST',
    json: { name, algorithm, hyperparameters, inputs: [{ channel: 'train', dataset: 'bc-train' }, { channel: 'validation', dataset: 'bc-validation' }] },
  }), 201);
  const job = await waitFor(() => json<{ status: string; failureReason?: string }>(server.api(`/api/v1/training-jobs/${name}`)), (j) => j.status !== 'InProgress', 120_000);
  expect(job.failureReason).toBeUndefined();
  await json(server.api('/api/v1/models', { method: 'POST', json: { name, trainingJob: name } }), 201);
}

async function uploadArtifact(path: string, dir: string): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of packDirectory(dir)) chunks.push(c as Buffer);
  const res = await json<{ uri: string }>(server.api(`/api/v1/artifacts/uploads/${path}`, { method: 'PUT', body: Buffer.concat(chunks), headers: { 'content-type': 'application/octet-stream' } }), 201);
  return res.uri;
}

async function deploy(name: string, config: Record<string, unknown>) {
  await json(server.api('/api/v1/endpoint-configs', { method: 'POST', json: { name, ...config } }), 201);
  await json(server.api('/api/v1/endpoints', { method: 'POST', json: { name, config: name } }), 201);
  const e = await waitFor(() => json<{ status: string; failureReason?: string }>(server.api(`/api/v1/endpoints/${name}`)), (x) => x.status !== 'Creating', 90_000);
  expect(e.failureReason).toBeUndefined();
  expect(e.status).toBe('InService');
}

const invoke = (endpoint: string, body: string, headers: Record<string, string> = {}) =>
  server.api(`/endpoints/${endpoint}/invocations`, { method: 'POST', headers: { 'content-type': 'text/csv', accept: 'application/json', ...headers }, body });

/** Every captured record under `prefix`, read back through the artifacts API. */
async function captured(prefix: string): Promise<Array<{ key: string; record: Record<string, any> }>> {
  const out: Array<{ key: string; record: Record<string, any> }> = [];
  let nextToken: string | undefined;
  do {
    const page = await json<{ items: Array<{ key: string }>; nextToken?: string }>(server.api(`/api/v1/artifacts?prefix=${encodeURIComponent(prefix)}&limit=100${nextToken ? `&nextToken=${encodeURIComponent(nextToken)}` : ''}`));
    for (const { key } of page.items) {
      const text = await (await server.api(`/api/v1/artifacts/${key}`)).text();
      for (const line of text.trim().split('\n')) out.push({ key, record: JSON.parse(line) });
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return out;
}

beforeAll(async () => {
  server = await startTestServer({ invocationTimeoutMs: 5000 });
  work = await mkdtemp(join(tmpdir(), 'observability-'));
  const bc = await splitCsv(join(DATASETS, 'breast_cancer.csv'), work);
  rows = bc.validationRows.map((r) => r.slice(1).join(','));
  for (const [name, path] of [['bc-train', bc.train], ['bc-validation', bc.validation]]) {
    await json(server.api(`/api/v1/datasets/${name}`, {
      method: 'POST', headers: { 'content-type': 'text/csv' }, body: Readable.toWeb(createReadStream(path)) as ReadableStream, duplex: 'half',
    } as RequestInit), 201);
  }
  await train('bc-ll', 'linear-learner', { predictor_type: 'binary_classifier', epochs: 10, mini_batch_size: 32 });
  await train('bc-xgb', 'xgboost', { objective: 'binary:logistic', num_round: 30, max_depth: 3 });
  const src = join(work, 'failing-src');
  mkdirSync(src, { recursive: true });
  writeFileSync(join(src, 'serve.js'), FAILING_SERVER);
  const model = join(work, 'failing-model');
  mkdirSync(model, { recursive: true });
  writeFileSync(join(model, 'nothing.txt'), 'no weights');
  await json(server.api('/api/v1/models', {
    method: 'POST',
    json: { name: 'broken', runtime: 'container', artifactUri: await uploadArtifact('obs/model.tar.gz', model), source: await uploadArtifact('obs/src.tar.gz', src), entryPoint: 'serve.js' },
  }), 201);
}, 300_000);

afterAll(async () => {
  // Parallel fetches can leave a pooled connection that never sent a request; Node counts it as
  // busy (headers timeout), so a graceful close would wait 60 s for it. Every request is done here.
  server?.app.server.closeAllConnections();
  await server?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('an endpoint with shadows and data capture', () => {
  const N = 200;
  const answers: Array<{ status: number; variant: string | null; body: string }> = [];

  it('answers every request from production, whatever the shadows do', async () => {
    await deploy('obs', {
      variants: [{ name: 'AllTraffic', model: 'bc-ll' }],
      shadowVariants: [{ name: 'shadow-xgb', model: 'bc-xgb', samplingPercentage: 20 }, { name: 'shadow-broken', model: 'broken', samplingPercentage: 20 }],
      dataCapture: { samplingPercentage: 100 },
    });
    const config = await json(server.api('/api/v1/endpoint-configs/obs'));
    expect(config.dataCapture).toEqual({
      enabled: true, samplingPercentage: 100, destination: 'data-capture/', captureOptions: ['Input', 'Output'],
      csvContentTypes: ['text/csv'], jsonContentTypes: ['application/json', 'application/jsonlines'],
    });
    expect(config.shadowVariants).toHaveLength(2);

    for (let i = 0; i < N; i += 4) {
      await Promise.all([0, 1, 2, 3].map(async (k) => {
        const res = await invoke('obs', rows[(i + k) % rows.length], { 'x-amzn-sagemaker-inference-id': `req-${i + k}` });
        answers.push({ status: res.status, variant: res.headers.get('x-amzn-invoked-production-variant'), body: await res.text() });
      }));
    }
    expect(answers.filter((a) => a.status !== 200)).toEqual([]);
    // the copies are answered after the callers got theirs
    await waitFor(() => json(server.api('/api/v1/endpoints/obs/shadow-comparison')), (r) => r.shadows.every((s: any) => s.inFlight === 0), 30_000);
    expect(new Set(answers.map((a) => a.variant))).toEqual(new Set(['AllTraffic']));
    for (const a of answers) expect(JSON.parse(a.body).predictions[0]).toHaveProperty('predicted_label');
    // a bad request: a 4xx for the caller and in the metrics
    const bad = await invoke('obs', 'not,a,number');
    expect(bad.status).toBe(400);
    await bad.text();
    await waitFor(() => json(server.api('/api/v1/endpoints/obs/shadow-comparison')), (r) => r.shadows.every((s: any) => s.inFlight === 0), 30_000);
  }, 300_000);

  it('reports per-variant metrics over time through the API', async () => {
    const m = await waitFor(
      () => json(server.api('/api/v1/endpoints/obs/metrics?period=10&window=300')),
      (x) => x.variants.some((v: any) => v.variant === 'shadow-broken' && v.summary.invocations > 0),
    );
    expect(m).toMatchObject({ endpoint: 'obs', period: 10, window: 300 });
    const prod = m.variants.find((v: any) => v.variant === 'AllTraffic');
    expect(prod.shadow).toBe(false);
    expect(prod.summary).toMatchObject({ invocations: N + 1, errors4xx: 1, errors5xx: 0 });
    expect(prod.summary.errorRate).toBeCloseTo(1 / (N + 1), 9);
    for (const p of ['p50', 'p90', 'p99'] as const) {
      expect(prod.summary.modelLatencyMs[p]).toBeGreaterThan(0);
      expect(prod.summary.overheadLatencyMs[p]).toBeGreaterThan(0);
    }
    expect(prod.summary.modelLatencyMs.p50).toBeLessThanOrEqual(prod.summary.modelLatencyMs.p99);
    expect(prod.points).toHaveLength(30);
    expect(prod.points.reduce((n: number, p: any) => n + p.invocations, 0)).toBe(N + 1);
    expect(Date.parse(prod.points[0].timestamp)).toBeLessThan(Date.parse(prod.points[29].timestamp));
    const broken = m.variants.find((v: any) => v.variant === 'shadow-broken');
    expect(broken.shadow).toBe(true);
    expect(broken.summary.errors4xx + broken.summary.errors5xx).toBe(broken.summary.invocations); // a 500 from your server is a ModelError (424)
    const xgb = m.variants.find((v: any) => v.variant === 'shadow-xgb').summary;
    expect(m.capture.captured).toBe(N + xgb.invocations - xgb.errors4xx - xgb.errors5xx);
    await json(server.api('/api/v1/endpoints/nope/metrics'), 404);
  });

  it('exposes Prometheus counters and histograms at /metrics to a token holder', async () => {
    const unauthenticated = await fetch(`${server.url}/metrics`);
    expect(unauthenticated.status).toBe(401);
    const res = await server.api('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const value = (line: RegExp) => Number(text.split('\n').find((l) => line.test(l))?.split(' ').pop());
    expect(text).toContain('# TYPE stratus_endpoint_invocations_total counter');
    expect(value(/^stratus_endpoint_invocations_total\{endpoint="obs",variant="AllTraffic",shadow="false"\}/)).toBe(N + 1);
    expect(value(/^stratus_endpoint_invocation_errors_total\{endpoint="obs",variant="AllTraffic",shadow="false",class="4xx"\}/)).toBe(1);
    expect(value(/^stratus_endpoint_model_latency_seconds_count\{endpoint="obs",variant="AllTraffic",shadow="false"\}/)).toBe(N + 1);
    expect(value(/^stratus_endpoint_model_latency_seconds_bucket\{endpoint="obs",variant="AllTraffic",shadow="false",le="\+Inf"\}/)).toBe(N + 1);
    expect(value(/^stratus_endpoint_overhead_latency_seconds_sum\{endpoint="obs",variant="AllTraffic"/)).toBeGreaterThan(0);
    expect(value(/^stratus_endpoint_invocations_total\{endpoint="obs",variant="shadow-xgb",shadow="true"\}/)).toBeGreaterThan(0);
    expect(value(/^stratus_data_capture_records_total\{endpoint="obs",outcome="captured"\}/)).toBeGreaterThanOrEqual(N);
  });

  it('compares the shadows with production', async () => {
    const report = await json(server.api('/api/v1/endpoints/obs/shadow-comparison'));
    expect(report.endpoint).toBe('obs');
    const xgb = report.shadows.find((s: any) => s.variant === 'shadow-xgb');
    const broken = report.shadows.find((s: any) => s.variant === 'shadow-broken');
    // ~20 % of the 201 requests (binomial: mean 40, sd 5.7)
    for (const s of [xgb, broken]) {
      expect(s.mirrored).toBeGreaterThan(15);
      expect(s.mirrored).toBeLessThan(70);
      expect(s.skipped).toBe(0);
    }
    expect(xgb).toMatchObject({ model: 'bc-xgb', samplingPercentage: 20, incomparable: 0, inFlight: 0 });
    // the bad request may have been mirrored too: both sides failed it, so it is not compared
    expect(xgb.shadowErrors).toBeLessThanOrEqual(1);
    expect(xgb.requestsCompared).toBe(xgb.mirrored - xgb.shadowErrors);
    expect(xgb.agreementRate).toBeGreaterThan(0.85);
    expect(xgb.meanAbsoluteDifference).toBeGreaterThan(0);
    expect(xgb.meanAbsoluteDifference).toBeLessThan(0.2);
    expect(xgb.maxAbsoluteDifference).toBeGreaterThanOrEqual(xgb.meanAbsoluteDifference);
    expect(xgb.shadow.modelLatencyMs.p50).toBeGreaterThan(0);
    expect(xgb.production.invocations).toBe(N + 1);
    expect(broken).toMatchObject({ shadowErrors: broken.mirrored, requestsCompared: 0, agreementRate: null });
    expect(broken.shadow.errorRate).toBe(1);
  });

  it("captures every production pair and the shadow's answers in SageMaker's layout", async () => {
    const shadowAnswered = (await json(server.api('/api/v1/endpoints/obs/shadow-comparison'))).shadows.find((s: any) => s.variant === 'shadow-xgb');
    const expectedShadow = shadowAnswered.requestsCompared;
    const records = await waitFor(() => captured('data-capture/obs/'), (r) => r.length >= N + expectedShadow, 20_000, 250);
    expect(records).toHaveLength(N + expectedShadow);
    const prod = records.filter((r) => r.key.startsWith('data-capture/obs/AllTraffic/'));
    const shadow = records.filter((r) => r.key.startsWith('data-capture/obs/shadow-xgb/'));
    expect(prod).toHaveLength(N);
    expect(shadow).toHaveLength(expectedShadow);
    expect(records.some((r) => r.key.includes('shadow-broken'))).toBe(false);
    for (const { key } of records) expect(key).toMatch(/^data-capture\/obs\/[\w-]+\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/\d{2}-\d{2}-\d{3}-[0-9a-f-]{36}\.jsonl$/);
    const one = prod.find((r) => r.record.eventMetadata.inferenceId === 'req-7')!.record;
    expect(one).toEqual({
      captureData: {
        endpointInput: { observedContentType: 'text/csv', mode: 'INPUT', data: rows[7], encoding: 'CSV' },
        endpointOutput: { observedContentType: 'application/json', mode: 'OUTPUT', data: expect.stringContaining('"predictions"'), encoding: 'JSON' },
      },
      eventMetadata: { eventId: expect.stringMatching(/^[0-9a-f-]{36}$/), inferenceTime: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/), inferenceId: 'req-7' },
      eventVersion: '0',
    });
    expect(new Set(prod.map((r) => r.record.eventMetadata.inferenceId)).size).toBe(N);
    // the shadow's record holds the shadow's answer (xgboost: scores without labels)
    expect(JSON.parse(shadow[0].record.captureData.endpointOutput.data).predictions[0]).not.toHaveProperty('predicted_label');
  });
});

describe('a blue/green update with shadows and data capture', () => {
  it('captures and mirrors every request exactly once, from before the update to after the hand-over', async () => {
    const observers = (shadowModel: string) => ({
      shadowVariants: [{ name: 'shadow', model: shadowModel, samplingPercentage: 100 }],
      dataCapture: { samplingPercentage: 100, destination: 'capture-bg' },
    });
    await deploy('bg', { variants: [{ name: 'AllTraffic', model: 'bc-ll' }], ...observers('bc-xgb') });
    await json(server.api('/api/v1/endpoint-configs', { method: 'POST', json: { name: 'bg-2', variants: [{ name: 'v2', model: 'bc-xgb' }], ...observers('bc-ll') } }), 201);

    // Clients send one request after another, each with its own inference id; who answered is
    // recorded. They pause between requests so that the shadow keeps up (past 64 copies in
    // flight it would skip some, by design).
    let running = true;
    const answeredBy = new Map<string, string>();
    const failures: string[] = [];
    let n = 0;
    const clients = Array.from({ length: 3 }, async () => {
      while (running) {
        const id = `bg-${n++}`;
        const res = await invoke('bg', rows[n % rows.length], { 'x-amzn-sagemaker-inference-id': id });
        const text = await res.text();
        if (res.status === 200) answeredBy.set(id, res.headers.get('x-amzn-invoked-production-variant')!);
        else failures.push(`${res.status} ${text}`);
        await new Promise((r) => setTimeout(r, 2));
      }
    });
    try {
      await waitFor(async () => answeredBy.size, (k) => k >= 20, 10_000, 10);
      const deployment = { trafficRouting: { type: 'CANARY', waitIntervalSeconds: 1, canarySize: { type: 'CAPACITY_PERCENT', value: 50 } } };
      await json(server.api('/api/v1/endpoints/bg', { method: 'PUT', json: { config: 'bg-2', deployment } }));
      await waitFor(() => json(server.api('/api/v1/endpoints/bg')), (e) => e.status === 'InService' && e.config === 'bg-2', 60_000, 20);
      // Right after the hand-over, and for a while (the time a config's shadow replicas take to start).
      const handedOver = answeredBy.size;
      await new Promise((r) => setTimeout(r, 3000));
      expect(answeredBy.size).toBeGreaterThan(handedOver + 50);
    } finally {
      running = false;
      await Promise.all(clients);
    }
    expect(failures).toEqual([]);
    const variants = new Set(answeredBy.values());
    expect(variants).toEqual(new Set(['AllTraffic', 'v2']));

    const sent = [...answeredBy.keys()].sort();
    const idsUnder = (records: Array<{ key: string; record: Record<string, any> }>, variant: string) =>
      records.filter((r) => r.key.startsWith(`capture-bg/bg/${variant}/`)).map((r) => r.record.eventMetadata.inferenceId as string);
    const records = await waitFor(() => captured('capture-bg/bg/'), (r) => r.length >= 2 * sent.length, 30_000, 250);
    const production = [...idsUnder(records, 'AllTraffic'), ...idsUnder(records, 'v2')].sort();
    expect(production).toEqual(sent);
    for (const id of idsUnder(records, 'v2')) expect(answeredBy.get(id)).toBe('v2');
    // Every request was mirrored to the shadow of the config that answered it, and answered there.
    expect(idsUnder(records, 'shadow').sort()).toEqual(sent);
    expect(records).toHaveLength(2 * sent.length);
    expect((await json(server.api('/api/v1/endpoints/bg/shadow-comparison'))).shadows[0]).toMatchObject({ variant: 'shadow', model: 'bc-ll', skipped: 0 });
  }, 180_000);
});

describe('data capture at 50 %', () => {
  it('captures about half of the requests, and what is buffered is written when the endpoint is deleted', async () => {
    await deploy('half', { variants: [{ name: 'AllTraffic', model: 'bc-ll' }], dataCapture: { samplingPercentage: 50, destination: 'capture-half' } });
    const n = 200;
    for (let i = 0; i < n; i += 4) {
      const res = await Promise.all([0, 1, 2, 3].map((k) => invoke('half', rows[(i + k) % rows.length])));
      for (const r of res) expect(r.status).toBe(200), await r.text();
    }
    const res = await server.api('/api/v1/endpoints/half', { method: 'DELETE' });
    expect(res.status).toBe(204);
    const records = await captured('capture-half/half/AllTraffic/');
    // binomial(200, 0.5): mean 100, sd 7.1
    expect(records.length).toBeGreaterThan(65);
    expect(records.length).toBeLessThan(135);
    expect(records[0].record.eventMetadata.inferenceId).toBeUndefined();
  }, 120_000);
});

describe('metricsPublic', () => {
  it('serves /metrics without a token when configured, and nothing else', async () => {
    const open = await startTestServer({ metricsPublic: 'true' });
    try {
      const res = await fetch(`${open.url}/metrics`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('# TYPE stratus_endpoint_invocations_total counter');
      const other = await fetch(`${open.url}/api/v1/endpoints`);
      expect(other.status).toBe(401);
      await other.text();
    } finally {
      await open.stop();
    }
  });
});
