/**
 * Online evaluation and promotion through the API, the SDK and the CLI (issue 7, item 7):
 * - binary, a weighted candidate: refused promotion while there is no evidence, then a significant
 *   win on live traffic, promoted with a canary policy; the endpoint ends on a config whose only
 *   production variant is the candidate, and the timeline shows the evaluation and its promotion;
 * - regression, a shadow candidate: both variants' RMSE/MAE side by side, a paired, seeded
 *   bootstrap on absolute errors that finds the shadow worse, and a forced promotion (CLI) that
 *   turns the shadow into production.
 */
import { Readable } from 'node:stream';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../../src/cli/context.js';
import { main } from '../../src/cli/main.js';
import { StratusApiError, StratusClient } from '../../src/sdk/index.js';
import { startTestServer, TEST_TOKEN, waitFor, type TestServer } from '../helpers/server.js';

let server: TestServer;
let client: StratusClient;
let work: string;

async function json<T = Record<string, any>>(res: Response | Promise<Response>, status = 200): Promise<T> {
  const r = await res;
  const text = await r.text();
  expect(r.status, text).toBe(status);
  return (text ? JSON.parse(text) : undefined) as T;
}
const get = <T = Record<string, any>>(path: string) => json<T>(server.api(`/api/v1${path}`));

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

type Row = [y: number, x1: number, x2: number];
function rows(n: number, seed: number, label: (x1: number, x2: number, noise: number) => number): Row[] {
  const g = gaussian(seed);
  return Array.from({ length: n }, () => {
    const x1 = g();
    const x2 = g();
    return [label(x1, x2, g()), x1, x2];
  });
}
/** The truth of the binary problem, and a wrong boundary to train a poor model on. */
const truth = (x1: number, x2: number) => (x1 + x2 > 0 ? 1 : 0);
const wrong = (x1: number, x2: number) => (x1 - x2 > 0 ? 1 : 0);
/** The regression truth, and a wrong one. */
const value = (x1: number, x2: number, noise: number) => 3 * x1 + 2 * x2 + 0.1 * noise;
const wrongValue = (x1: number, x2: number, noise: number) => 3 * x1 - 2 * x2 + 0.1 * noise;
const csv = (rs: Row[]) => rs.map((r) => r.map((v) => (Number.isInteger(v) ? String(v) : v.toFixed(6))).join(',')).join('\n') + '\n';

async function upload(name: string, rs: Row[]) {
  await json(server.api(`/api/v1/datasets/${name}?header=false`, {
    method: 'POST', headers: { 'content-type': 'text/csv' }, body: Readable.toWeb(Readable.from([Buffer.from(csv(rs))])) as ReadableStream, duplex: 'half',
  } as RequestInit), 201);
}

async function trainModel(name: string, dataset: string, predictorType: string) {
  await client.trainingJobs.create({ name, algorithm: 'linear-learner', hyperparameters: { predictor_type: predictorType, epochs: 10 }, inputs: [{ channel: 'train', dataset }] });
  const job = await client.trainingJobs.waitFor(name);
  expect(job.failureReason).toBeUndefined();
  await client.models.create({ name, trainingJob: name });
}

/** Sends each row's features with an inference id (8 at a time); waits until capture wrote them. */
async function send(endpoint: string, rs: Row[], idPrefix: string, expectedCaptures = rs.length) {
  const written = async () => (await get(`/endpoints/${endpoint}/metrics?window=60`)).capture?.written ?? 0;
  const before = await written();
  for (let i = 0; i < rs.length; i += 8) {
    await Promise.all(rs.slice(i, i + 8).map(async (r, k) => {
      const res = await server.api(`/endpoints/${endpoint}/invocations`, {
        method: 'POST', headers: { 'content-type': 'text/csv', accept: 'application/json', 'x-amzn-sagemaker-inference-id': `${idPrefix}-${i + k}` }, body: `${r[1]},${r[2]}`,
      });
      expect(res.status).toBe(200);
    }));
  }
  await waitFor(written, (n) => n >= before + expectedCaptures, 20_000, 100);
}

async function stratus(...args: string[]) {
  const out: string[] = [];
  const io: CliIo = {
    stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => out.push(t) },
    stdin: Object.assign(Readable.from([]), { isTTY: true }), env: {}, cwd: work,
  };
  const code = await main(['node', 'stratus', '--url', server.url, '--token', TEST_TOKEN, ...args], io);
  return { code, out: out.join('') };
}

const endpointOn = (name: string, config: string) =>
  waitFor(() => client.endpoints.get(name), (e) => e.status === 'InService' && e.config === config && !e.pendingDeployment, 60_000, 100);

beforeAll(async () => {
  server = await startTestServer({ invocationTimeoutMs: 5000 });
  client = new StratusClient({ url: server.url, token: TEST_TOKEN });
  work = await mkdtemp(join(tmpdir(), 'online-eval-'));
  await upload('ol-good', rows(600, 1, truth));
  await upload('ol-bad', rows(600, 2, wrong));
  await upload('ol-reg', rows(600, 3, value));
  await upload('ol-reg-bad', rows(600, 4, wrongValue));
  await Promise.all([
    trainModel('ol-good', 'ol-good', 'binary_classifier'),
    trainModel('ol-bad', 'ol-bad', 'binary_classifier'),
    trainModel('ol-reg', 'ol-reg', 'regressor'),
    trainModel('ol-reg-bad', 'ol-reg-bad', 'regressor'),
  ]);
  await client.endpointConfigs.create({
    name: 'ol-ab', dataCapture: { samplingPercentage: 100 },
    variants: [{ name: 'prod', model: 'ol-bad', weight: 1 }, { name: 'cand', model: 'ol-good', weight: 1 }],
  });
  await client.endpoints.create({ name: 'ol-ep', config: 'ol-ab' });
  await client.endpointConfigs.create({
    name: 'ol-reg', dataCapture: { samplingPercentage: 100 },
    variants: [{ name: 'AllTraffic', model: 'ol-reg' }], shadowVariants: [{ name: 'reg-shadow', model: 'ol-reg-bad', samplingPercentage: 100 }],
  });
  await client.endpoints.create({ name: 'ol-reg-ep', config: 'ol-reg' });
  await endpointOn('ol-ep', 'ol-ab');
  await endpointOn('ol-reg-ep', 'ol-reg');
}, 180_000);

afterAll(async () => {
  server?.app.server.closeAllConnections();
  await server?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('online evaluation with promotion', () => {
  it('binary, weighted candidate: no promotion without evidence; a significant win is promoted with a canary', async () => {
    const created = await client.onlineEvaluations.create({
      name: 'ab', endpoint: 'ol-ep', candidateVariant: 'cand', durationSeconds: 600,
      deployment: { trafficRouting: { type: 'CANARY', waitIntervalSeconds: 1, canarySize: { type: 'CAPACITY_PERCENT', value: 50 } }, rollback: { alarms: [{ name: 'errors', metric: '5xxRate', threshold: 0.2, windowSeconds: 5 }] } },
    });
    expect(created).toMatchObject({ status: 'Running', baselineVariant: 'prod', candidateIsShadow: false, problemType: 'binary' });
    const refused = await client.onlineEvaluations.promote('ab').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(StratusApiError);
    expect((refused as StratusApiError).status).toBe(409);
    expect((refused as StratusApiError).message).toMatch(/not significantly better than 'prod'.*pass force/);

    const traffic = rows(240, 5, truth);
    await send('ol-ep', traffic, 'ab');
    await client.onlineEvaluations.groundTruth('ab', traffic.map((r, i) => ({ inferenceId: `ab-${i}`, label: r[0] })));
    const report = await client.onlineEvaluations.report('ab');
    const [base, cand] = report.variants;
    expect(base.captured + cand.captured).toBe(240);
    expect(base.joined).toBe(base.captured);
    expect(base.metrics.accuracy).toBeLessThan(0.75);
    expect(cand.metrics.accuracy).toBeGreaterThan(0.9);
    expect(cand.correct).toBe(Math.round(cand.metrics.accuracy * cand.joined));
    expect(report.test).toMatchObject({ kind: 'two-proportion-z', metric: 'accuracy', significant: true, better: 'candidate' });

    const promoted = await client.onlineEvaluations.promote('ab');
    const p = promoted.promotion!;
    expect(p).toMatchObject({ fromConfig: 'ol-ab', variant: 'cand', model: 'ol-good', fromShadow: false, forced: false, metric: 'accuracy', outcome: 'InProgress' });
    const ep = await endpointOn('ol-ep', p.config);
    expect(ep.variants.map((v) => [v.name, v.model, v.currentWeight])).toEqual([['cand', 'ol-good', 1]]);
    expect(ep.statusHistory.some((h) => /canary 50% to config/.test(h.message ?? ''))).toBe(true);
    const config = await client.endpointConfigs.get(p.config);
    expect(config.dataCapture).toMatchObject({ enabled: true, samplingPercentage: 100 });
    expect((await client.onlineEvaluations.get('ab')).promotion).toMatchObject({ config: p.config, outcome: 'Completed' });
    const again = (await client.onlineEvaluations.promote('ab', { force: true }).catch((e: unknown) => e)) as StratusApiError;
    expect(again).toMatchObject({ status: 409 });
    expect(again.message).toMatch(/promoted already/);

    const timeline = await client.endpoints.timeline('ol-ep');
    const at = (pred: (i: (typeof timeline.items)[number]) => boolean) => timeline.items.findIndex(pred);
    const started = at((i) => i.kind === 'online-evaluation' && i.detail.event === 'started');
    const promotedAt = at((i) => i.kind === 'online-evaluation' && i.detail.event === 'promoted');
    const starting = at((i) => i.kind === 'endpoint-status' && i.summary.includes(`starting config '${p.config}'`));
    const canary = at((i) => i.kind === 'endpoint-status' && /canary 50%/.test(i.summary));
    expect(started).toBeGreaterThan(-1);
    expect(promotedAt).toBeGreaterThan(started);
    expect(starting).toBeGreaterThan(promotedAt);
    expect(canary).toBeGreaterThan(starting);
    expect(timeline.items[promotedAt].summary).toMatch(/promoted variant 'cand' \(model 'ol-good'\) to all traffic: accuracy \+0\.\d+.*Completed/);

    const cli = await stratus('online-evaluations', 'report', 'ab');
    expect(cli.code, cli.out).toBe(0);
    expect(cli.out).toMatch(/two-proportion z-test on accuracy: .* → candidate is better/);
    const listed = await stratus('online-eval', 'list');
    expect(listed.out).toMatch(/ab\s+Running\s+ol-ep\s+cand\s+prod\s+Completed/);
  }, 90_000);

  it('regression, shadow candidate: a paired, seeded bootstrap on absolute errors; a forced promotion makes the shadow production', async () => {
    // The shadow pool answers copies once the endpoint is up: wait until it mirrors.
    await waitFor(async () => {
      await server.api('/endpoints/ol-reg-ep/invocations', { method: 'POST', headers: { 'content-type': 'text/csv' }, body: '0,0' });
      return get('/endpoints/ol-reg-ep/shadow-comparison');
    }, (c) => (c.shadows?.[0]?.mirrored ?? 0) > 0, 20_000, 200);
    await client.onlineEvaluations.create({ name: 'reg', endpoint: 'ol-reg-ep', candidateVariant: 'reg-shadow', durationSeconds: 600, problemType: 'regression', bootstrap: { samples: 500, seed: 1 } });
    const traffic = rows(120, 6, value);
    // production and the shadow both capture every request
    await send('ol-reg-ep', traffic, 'reg', 2 * traffic.length);
    await writeFile(join(work, 'labels.csv'), traffic.map((r, i) => `reg-${i},${r[0]}`).join('\n'));
    const up = await stratus('online-evaluations', 'ground-truth', 'reg', 'labels.csv');
    expect(up.out).toContain('uploaded 120 labels for reg');

    const report = await waitFor(() => client.onlineEvaluations.report('reg'), (r) => r.variants.every((v) => v.captured === 120), 20_000, 250);
    const [base, shadow] = report.variants;
    expect(base).toMatchObject({ variant: 'AllTraffic', role: 'baseline', joined: 120 });
    expect(shadow).toMatchObject({ variant: 'reg-shadow', role: 'candidate', shadow: true, joined: 120 });
    expect(base.correct).toBeUndefined();
    // the shadow's model learnt the wrong sign of x2: its errors are about 4|x2| larger
    expect(shadow.metrics.mae).toBeGreaterThan(base.metrics.mae + 1);
    expect(shadow.metrics.rmse).toBeGreaterThanOrEqual(shadow.metrics.mae);
    expect(report.test).toMatchObject({ kind: 'bootstrap', metric: 'mae', paired: true, samples: 500, significant: true, better: 'baseline' });
    expect(report.test.difference).toBeCloseTo(shadow.metrics.mae - base.metrics.mae, 9);
    expect(report.test.interval!.lower).toBeGreaterThan(0);
    expect((await client.onlineEvaluations.report('reg')).test).toEqual(report.test);

    const refused = await stratus('online-evaluations', 'promote', 'reg');
    expect(refused.code).not.toBe(0);
    expect(refused.out).toMatch(/not significantly better/);
    const forced = await stratus('online-evaluations', 'promote', 'reg', '--force');
    expect(forced.code, forced.out).toBe(0);
    const e = await client.onlineEvaluations.get('reg');
    expect(e.promotion).toMatchObject({ variant: 'reg-shadow', model: 'ol-reg-bad', fromShadow: true, forced: true, metric: 'mae' });
    const ep = await endpointOn('ol-reg-ep', e.promotion!.config);
    expect(ep.variants.map((v) => [v.name, v.model])).toEqual([['reg-shadow', 'ol-reg-bad']]);
    expect((await client.endpointConfigs.get(e.promotion!.config)).shadowVariants).toBeUndefined();
    expect((await client.endpoints.timeline('ol-reg-ep')).items.some((i) => i.kind === 'online-evaluation' && /\(forced\)/.test(i.summary))).toBe(true);
  }, 90_000);
});
