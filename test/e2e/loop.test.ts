/**
 * The loop (issue 7, item 5, "How it is checked"): generated 2-feature binary data whose decision
 * boundary moves. v1 is trained on distribution A (dataset version 1) and deployed with full data
 * capture and a monitoring schedule whose baseline is A. Traffic from A raises no alarm; traffic
 * from the shifted distribution B does, and the endpoint's retraining policy runs the user's
 * pipeline: evaluate a candidate trained on the latest dataset version (B, version 2) and the
 * production model on the same seeded hold-out → condition "better by a margin" → register →
 * canary then full. Then a crippled candidate stops at the condition and production is untouched.
 * Everything shows on the endpoint's timeline (API and CLI).
 */
import { rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../../src/cli/context.js';
import { main } from '../../src/cli/main.js';
import type { PipelineExecution } from '../../src/contracts/pipeline.js';
import { startServer } from '../../src/server.js';
import { startTestServer, TEST_TOKEN, waitFor, type TestServer } from '../helpers/server.js';

let server: TestServer;

async function json<T = Record<string, any>>(res: Response | Promise<Response>, status = 200): Promise<T> {
  const r = await res;
  const text = await r.text();
  expect(r.status, text).toBe(status);
  return (text ? JSON.parse(text) : undefined) as T;
}
const post = <T = Record<string, any>>(path: string, body: unknown, status = 201) => json<T>(server.api(`/api/v1${path}`, { method: 'POST', json: body }), status);
const put = <T = Record<string, any>>(path: string, body: unknown, status = 200) => json<T>(server.api(`/api/v1${path}`, { method: 'PUT', json: body }), status);
const get = <T = Record<string, any>>(path: string, status = 200) => json<T>(server.api(`/api/v1${path}`), status);

/** Seeded normal draws (mulberry32 + Box–Muller). */
function gaussian(seed: number) {
  let a = seed >>> 0;
  const u = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 1) / 4294967297;
  };
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

type Row = [label: number, x1: number, x2: number];
/** A: x ~ N(0, I), y = x1 + x2 > 0. */
function distA(n: number, seed: number): Row[] {
  const g = gaussian(seed);
  return Array.from({ length: n }, () => {
    const x1 = g();
    const x2 = g();
    return [x1 + x2 > 0 ? 1 : 0, x1, x2];
  });
}
/** B (shifted, and the boundary moved): x1 ~ N(2, 1), x2 ~ N(1, 1), y = x1 − x2 > 1. */
function distB(n: number, seed: number): Row[] {
  const g = gaussian(seed);
  return Array.from({ length: n }, () => {
    const x1 = 2 + g();
    const x2 = 1 + g();
    return [x1 - x2 > 1 ? 1 : 0, x1, x2];
  });
}
const csv = (rows: Row[]) => rows.map((r) => r.map((v) => (Number.isInteger(v) ? String(v) : v.toFixed(6))).join(',')).join('\n') + '\n';

const upload = (name: string, rows: Row[]) =>
  json(server.api(`/api/v1/datasets/${name}?header=false`, {
    method: 'POST', headers: { 'content-type': 'text/csv' }, body: Readable.toWeb(Readable.from([Buffer.from(csv(rows))])) as ReadableStream, duplex: 'half',
  } as RequestInit), 201);

const invoke = (x1: number, x2: number) =>
  server.api('/endpoints/loop-ep/invocations', { method: 'POST', headers: { 'content-type': 'text/csv', accept: 'application/json' }, body: `${x1},${x2}` });

/** Sends the rows' features (8 at a time) and waits until capture wrote them all. */
async function send(rows: Row[]): Promise<void> {
  const written = async () => (await get('/endpoints/loop-ep/metrics?window=60')).capture?.written ?? 0;
  const before = await written();
  for (let i = 0; i < rows.length; i += 8) {
    await Promise.all(rows.slice(i, i + 8).map(async (r) => expect((await invoke(r[1], r[2])).status).toBe(200)));
  }
  await waitFor(written, (n) => n >= before + rows.length, 20_000, 100);
}

const ended = (id: string) => waitFor(() => get<PipelineExecution>(`/pipeline-executions/${id}`), (e) => !['Executing', 'Stopping'].includes(e.status), 90_000, 200);
const stepOf = (e: PipelineExecution, name: string) => e.steps.find((s) => s.name === name)!;

const HOLDOUT = { type: 'holdout', testShare: 0.3, seed: 7 };

/** The user's retraining pipeline: what the policy runs. */
const retrainLoop = {
  name: 'retrain-loop',
  parameters: [
    { name: 'endpoint', type: 'string' },
    { name: 'productionModel', type: 'string' },
    { name: 'dataset', type: 'string', default: 'loop-data' },
    { name: 'margin', type: 'number', default: 0.05 },
    { name: 'l1', type: 'number', default: 0 },
  ],
  steps: [
    {
      // Trains the candidate on the latest version's training rows, scores it on the hold-out.
      name: 'candidate', type: 'evaluation',
      request: {
        trainingSpec: { algorithm: 'linear-learner', hyperparameters: { predictor_type: 'binary_classifier', epochs: 10, l1: { $param: 'l1' } } },
        dataset: { name: { $param: 'dataset' } }, method: HOLDOUT,
      },
    },
    // The production model on the same hold-out (same dataset version, seed and share).
    { name: 'production', type: 'evaluation', request: { model: { $param: 'productionModel' }, dataset: { name: { $param: 'dataset' } }, method: HOLDOUT } },
    { name: 'better', type: 'condition', expression: 'steps.candidate.metrics.accuracy >= steps.production.metrics.accuracy + params.margin' },
    {
      name: 'register', type: 'register-model', group: 'loop', dependsOn: ['better'], aliases: ['production'],
      request: { model: { $step: 'candidate', output: 'model' }, evaluationJob: { $step: 'candidate', output: 'evaluationJob' } },
    },
    {
      name: 'rollout', type: 'deploy', dependsOn: ['register'],
      endpoint: { $param: 'endpoint' }, model: { $step: 'candidate', output: 'model' },
      deployment: {
        trafficRouting: { type: 'CANARY', waitIntervalSeconds: 1, canarySize: { type: 'CAPACITY_PERCENT', value: 50 } },
        rollback: { alarms: [{ name: 'errors', metric: '5xxRate', threshold: 0.2, windowSeconds: 5 }] },
      },
    },
  ],
};

beforeAll(async () => {
  server = await startTestServer({ invocationTimeoutMs: 5000 });
  await upload('loop-data', distA(800, 1));
  await post('/training-jobs', {
    name: 'loop-v1', algorithm: 'linear-learner',
    hyperparameters: { predictor_type: 'binary_classifier', epochs: 10 },
    inputs: [{ channel: 'train', dataset: 'loop-data', version: 1 }],
  });
  const job = await waitFor(() => get('/training-jobs/loop-v1'), (j) => j.status !== 'InProgress', 60_000, 200);
  expect(job.failureReason).toBeUndefined();
  await post('/models', { name: 'loop-v1', trainingJob: 'loop-v1' });
  await post('/model-package-groups', { name: 'loop' });
  await post('/model-package-groups/loop/versions', { model: 'loop-v1' });
  await put('/model-package-groups/loop/aliases/production', { version: 1 });
  await post('/endpoint-configs', { name: 'loop-v1', variants: [{ name: 'AllTraffic', model: 'loop-v1' }], dataCapture: { samplingPercentage: 100 } });
  await post('/endpoints', { name: 'loop-ep', config: 'loop-v1' });
  expect((await waitFor(() => get('/endpoints/loop-ep'), (e) => e.status !== 'Creating', 60_000, 100)).status).toBe('InService');
  await post('/monitoring-baselines', { name: 'loop-base', dataset: { name: 'loop-data', version: 1 }, targetColumn: '_c0' });
  expect((await waitFor(() => get('/monitoring-baselines/loop-base'), (b) => b.status !== 'InProgress', 30_000, 100)).status).toBe('Completed');
  await post('/monitoring-schedules', { name: 'loop-mon', endpoint: 'loop-ep', baseline: 'loop-base', periodSeconds: 3600, thresholds: { rangeMargin: 0.05 } });
  await post('/pipelines', retrainLoop);
}, 120_000);

afterAll(async () => {
  server?.app.server.closeAllConnections();
  await server?.stop();
});

describe('the loop: monitor → retrain → evaluate → register → canary → full', () => {
  let v2Model = '';

  it('stores a retraining policy on the endpoint, checking what it names', async () => {
    await put('/endpoints/loop-ep/retraining-policy', { pipeline: 'nope', onAlarmOf: 'loop-mon' }, 404);
    await put('/endpoints/loop-ep/retraining-policy', { pipeline: 'retrain-loop', schedule: { cron: '99 * * * *' } }, 400);
    await put('/endpoints/missing/retraining-policy', { pipeline: 'retrain-loop' }, 404);
    await get('/endpoints/loop-ep/retraining-policy', 404);
    const p = await put('/endpoints/loop-ep/retraining-policy', { pipeline: 'retrain-loop', onAlarmOf: 'loop-mon', parameters: { margin: 0.05 } });
    expect(p).toMatchObject({ endpoint: 'loop-ep', pipeline: 'retrain-loop', onAlarmOf: 'loop-mon', parameters: { margin: 0.05 } });
    expect(await get('/endpoints/loop-ep/retraining-policy')).toEqual(p);
  });

  it('traffic from the training distribution raises no alarm and starts nothing', async () => {
    await send(distA(300, 2));
    const report = await post('/monitoring-schedules/loop-mon/run', {}, 200);
    expect(report.records).toBe(300);
    expect(report.status, JSON.stringify(report.violations)).toBe('Completed');
    expect((await get('/monitoring-schedules/loop-mon/alarms')).items).toEqual([]);
    expect((await get('/pipelines/retrain-loop/executions')).items).toEqual([]);
  });

  it('shifted traffic fires the drift alarm; the policy retrains, v2 wins on the shifted hold-out and goes canary then full', async () => {
    await upload('loop-data', distB(800, 3)); // version 2: fresh labelled data from B
    const shifted = distB(300, 4);
    await send(shifted);
    const report = await post('/monitoring-schedules/loop-mon/run', {}, 200);
    expect(report.status).toBe('CompletedWithViolations');
    expect(report.violations.some((v: { kind: string; feature: string }) => v.kind === 'drift_ks' && v.feature === '_c1')).toBe(true);

    const list = await waitFor(() => get<{ items: PipelineExecution[] }>('/pipelines/retrain-loop/executions'), (l) => l.items.length === 1, 10_000, 100);
    const started = list.items[0];
    expect(started.trigger).toEqual({ type: 'retraining-policy', endpoint: 'loop-ep', cause: 'monitoring-alarm', schedule: 'loop-mon', seq: 1 });
    expect(started.parameters).toEqual({ endpoint: 'loop-ep', productionModel: 'loop-v1', dataset: 'loop-data', margin: 0.05, l1: 0 });

    const run = await ended(started.name);
    expect(run.failureReason ?? '', JSON.stringify(run.steps)).toBe('');
    expect(run.status).toBe('Succeeded');
    expect(run.steps.map((s) => [s.name, s.status])).toEqual([
      ['candidate', 'Succeeded'], ['production', 'Succeeded'], ['better', 'Succeeded'], ['register', 'Succeeded'], ['rollout', 'Succeeded'],
    ]);
    const cand = stepOf(run, 'candidate').outputs as { metrics: Record<string, number>; model: string; evaluationJob: string };
    const prod = stepOf(run, 'production').outputs as { metrics: Record<string, number>; evaluationJob: string };
    // Same hold-out: the same dataset version and rows.
    const [ce, pe] = await Promise.all([get(`/evaluation-jobs/${cand.evaluationJob}`), get(`/evaluation-jobs/${prod.evaluationJob}`)]);
    expect(ce.dataset).toEqual({ name: 'loop-data', version: 2 });
    expect(pe.dataset).toEqual({ name: 'loop-data', version: 2 });
    expect(ce.summary.rows).toEqual(pe.summary.rows);
    expect(cand.metrics.accuracy).toBeGreaterThan(0.9);
    expect(prod.metrics.accuracy).toBeLessThan(0.75);
    expect(stepOf(run, 'better').outputs).toEqual({ value: true });
    expect(stepOf(run, 'register').outputs).toMatchObject({ group: 'loop', version: 2 });
    v2Model = cand.model;

    const ep = await get('/endpoints/loop-ep');
    expect(ep).toMatchObject({ status: 'InService', config: stepOf(run, 'rollout').outputs!.config });
    expect(ep.variants[0].model).toBe(v2Model);
    const messages = ep.statusHistory.map((h: { message?: string }) => h.message ?? '');
    expect(messages.some((m: string) => /canary 50% to config/.test(m))).toBe(true);
    expect(messages.some((m: string) => /shifting 100% to config/.test(m))).toBe(true);
    // The new config keeps capturing (monitoring goes on reading it).
    expect((await get(`/endpoint-configs/${ep.config}`)).dataCapture).toMatchObject({ enabled: true, samplingPercentage: 100 });
    expect((await get('/model-package-groups/loop')).aliases).toEqual({ production: 2 });
    // v2 serves: it gets B right where v1 did not.
    let right = 0;
    for (const r of shifted.slice(0, 60)) {
      const body = await json<{ predictions: Array<{ predicted_label: number }> }>(invoke(r[1], r[2]));
      if (body.predictions[0].predicted_label === r[0]) right++;
    }
    expect(right / 60).toBeGreaterThan(0.85);
    expect((await get(`/endpoints/loop-ep/served-versions`)).variants[0].versions).toEqual([{ group: 'loop', version: 2 }]);
  }, 90_000);

  it('a worse candidate stops at the condition step and production is untouched', async () => {
    const before = await get('/endpoints/loop-ep');
    const started = await post<PipelineExecution>('/endpoints/loop-ep/retraining-policy/run', { parameters: { l1: 1000 } });
    expect(started.trigger).toEqual({ type: 'retraining-policy', endpoint: 'loop-ep', cause: 'manual' });
    expect(started.parameters).toMatchObject({ productionModel: v2Model, l1: 1000 });
    const run = await ended(started.name);
    expect(run.status).toBe('Succeeded');
    expect(stepOf(run, 'better').outputs).toEqual({ value: false });
    expect(stepOf(run, 'register')).toMatchObject({ status: 'Skipped', failureReason: "condition 'better' was false" });
    expect(stepOf(run, 'rollout').status).toBe('Skipped');
    const after = await get('/endpoints/loop-ep');
    expect(after).toMatchObject({ status: 'InService', config: before.config });
    expect(after.statusHistory).toHaveLength(before.statusHistory.length);
    expect((await get('/model-package-groups/loop')).aliases).toEqual({ production: 2 });
  }, 60_000);

  it('shows every step on one timeline per endpoint (API and CLI)', async () => {
    const t = await get<{ items: Array<{ at: string; kind: string; summary: string; detail: Record<string, any> }> }>('/endpoints/loop-ep/timeline');
    const ats = t.items.map((i) => i.at);
    expect([...ats].sort()).toEqual(ats);
    const kinds = t.items.map((i) => i.kind);
    const first = (k: string, pred: (i: (typeof t.items)[number]) => boolean = () => true) => t.items.findIndex((i) => i.kind === k && pred(i));
    const alarm = first('monitoring-alarm');
    const retrain = first('pipeline-execution', (i) => i.detail.status === 'Succeeded' && i.detail.trigger.cause === 'monitoring-alarm');
    const canary = first('endpoint-status', (i) => /canary 50%/.test(i.summary));
    const deployedV2 = first('registry', (i) => i.detail.type === 'deployed' && i.detail.version === 2);
    if (process.env.LOOP_DEBUG) console.log(t.items.map((i) => `${i.at} ${i.kind} ${i.summary}`).join('\n'));
    // v1 was registered before the endpoint existed; the endpoint's own story starts with Creating.
    expect(t.items[first('endpoint-status')].summary).toMatch(/^Creating/);
    expect(first('registry', (i) => i.detail.type === 'registered' && i.detail.version === 1)).toBeLessThan(first('endpoint-status'));
    expect(first('registry', (i) => i.detail.type === 'deployed' && i.detail.version === 1)).toBeGreaterThan(-1);
    expect(alarm).toBeGreaterThan(0);
    expect(retrain).toBeGreaterThanOrEqual(alarm);
    expect(canary).toBeGreaterThan(retrain);
    expect(deployedV2).toBeGreaterThan(canary);
    expect(t.items[retrain].detail.steps.map((s: { name: string; status: string }) => s.status)).toEqual(['Succeeded', 'Succeeded', 'Succeeded', 'Succeeded', 'Succeeded']);
    expect(kinds.filter((k) => k === 'pipeline-execution')).toHaveLength(2);
    expect(t.items.find((i) => i.kind === 'pipeline-execution' && i.detail.trigger.cause === 'manual')!.summary).toMatch(/better Succeeded, register Skipped, rollout Skipped/);

    const out: string[] = [];
    const io: CliIo = {
      stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => out.push(s) },
      stdin: Object.assign(Readable.from([]), { isTTY: true }), env: {}, cwd: tmpdir(),
    };
    const code = await main(['node', 'stratus', '--url', server.url, '--token', TEST_TOKEN, 'endpoints', 'timeline', 'loop-ep'], io);
    const text = out.join('');
    expect(code, text).toBe(0);
    expect(text).toMatch(/monitoring-alarm\s+alarm 1 of monitoring schedule 'loop-mon'/);
    expect(text).toMatch(/pipeline-execution\s+pipeline 'retrain-loop'/);
    expect(text).toMatch(/registry\s+loop v2: deployed/);
  });

  it('online evaluation: a shadow candidate against production on live traffic, with a z-test on accuracy', async () => {
    // v1 comes back as a shadow beside v2: it sees every request, its answers are only captured.
    await post('/endpoint-configs', {
      name: 'loop-online', variants: [{ name: 'AllTraffic', model: v2Model }],
      shadowVariants: [{ name: 'old-v1', model: 'loop-v1', samplingPercentage: 100 }], dataCapture: { samplingPercentage: 100 },
    });
    await put('/endpoints/loop-ep', { config: 'loop-online' });
    await waitFor(() => get('/endpoints/loop-ep'), (e) => e.status === 'InService' && e.config === 'loop-online', 30_000, 100);
    // The shadow starts with the new config's fleet, so it mirrors from the hand-over on.
    await waitFor(async () => {
      expect((await invoke(0, 0)).status).toBe(200);
      return get('/endpoints/loop-ep/shadow-comparison');
    }, (c) => (c.shadows?.[0]?.mirrored ?? 0) > 0, 20_000, 200);
    await post('/online-evaluations', { name: 'nope', endpoint: 'loop-ep', candidateVariant: 'ghost', durationSeconds: 60 }, 400);
    const created = await post('/online-evaluations', { name: 'v1-vs-v2', endpoint: 'loop-ep', candidateVariant: 'old-v1', durationSeconds: 120 });
    expect(created).toMatchObject({ status: 'Running', baselineVariant: 'AllTraffic', candidateIsShadow: true });

    const rows = distB(200, 5);
    for (let i = 0; i < rows.length; i += 8) {
      await Promise.all(rows.slice(i, i + 8).map(async (r, k) => {
        const res = await server.api('/endpoints/loop-ep/invocations', {
          method: 'POST', headers: { 'content-type': 'text/csv', accept: 'application/json', 'x-amzn-sagemaker-inference-id': `online-${i + k}` }, body: `${r[1]},${r[2]}`,
        });
        expect(res.status).toBe(200);
      }));
    }
    expect((await post('/online-evaluations/v1-vs-v2/ground-truth', { labels: rows.map((r, i) => ({ inferenceId: `online-${i}`, label: r[0] })) })).accepted).toBe(200);
    // Capture flushes every second (shadow copies are sent after production answered).
    const report = await waitFor(() => get('/online-evaluations/v1-vs-v2/report'), (x) => x.variants.every((v: { captured: number }) => v.captured === rows.length), 20_000, 250);
    const [base, cand] = report.variants;
    expect(base).toMatchObject({ variant: 'AllTraffic', role: 'baseline', captured: 200, joined: 200 });
    expect(cand).toMatchObject({ variant: 'old-v1', role: 'candidate', shadow: true, captured: 200, joined: 200 });
    expect(base.metrics.accuracy).toBeGreaterThan(0.85);
    expect(cand.metrics.accuracy).toBeLessThan(0.75);
    expect(report.test).toMatchObject({ kind: 'two-proportion-z', metric: 'accuracy', significant: true, better: 'baseline' });
    expect(report.test.pValue).toBeLessThan(1e-6);
    expect(report.test.difference).toBeCloseTo(cand.metrics.accuracy - base.metrics.accuracy, 12);
  }, 60_000);

  it('keeps the policy across a restart, and removes it on DELETE', { timeout: 60_000 }, async () => {
    // A new server process state on the same home folder (same database).
    server.app.server.closeAllConnections();
    await server.close();
    const again = await startServer({ flags: { home: server.home, port: 0, token: TEST_TOKEN, logLevel: 'warn', invocationTimeoutMs: 5000 }, env: {} });
    const home = server.home;
    server = {
      ...again, home,
      api: (path, init = {}) => {
        const headers = new Headers(init.headers);
        headers.set('authorization', `Bearer ${TEST_TOKEN}`);
        if (init.json !== undefined) headers.set('content-type', 'application/json');
        return fetch(again.url + path, { ...init, headers, body: init.json !== undefined ? JSON.stringify(init.json) : init.body });
      },
      stop: async () => {
        await again.close();
        await rm(home, { recursive: true, force: true });
      },
    };
    expect(await get('/endpoints/loop-ep/retraining-policy')).toMatchObject({ pipeline: 'retrain-loop', onAlarmOf: 'loop-mon' });
    await json(server.api('/api/v1/endpoints/loop-ep/retraining-policy', { method: 'DELETE' }), 204);
    await get('/endpoints/loop-ep/retraining-policy', 404);
  });
});
