/**
 * Online evaluation and promotion through the API, the SDK and the CLI (issue 7, item 7):
 * - binary, a weighted candidate: refused promotion while there is no evidence, then a significant
 *   win on live traffic, promoted with a canary policy; the endpoint ends on a config whose only
 *   production variant is the candidate, and the timeline shows the evaluation and its promotion;
 * - regression, a shadow candidate: both variants' RMSE/MAE side by side, a paired, seeded
 *   bootstrap on absolute errors that finds the shadow worse, and a forced promotion (CLI) that
 *   turns the shadow into production;
 * - automatic decisions when a short period ends: a significant win promoted with a canary (SDK),
 *   a worse weighted candidate kept out with its weight set to 0 (HTTP, CLI), and too few labels
 *   decided by a restarted server from the stored state.
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
/** The first server's data folder, kept when the restart test starts a second server on it. */
let firstHome: string | undefined;

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
  if (firstHome) await rm(firstHome, { recursive: true, force: true });
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
    const resetShadow = await server.api('/api/v1/online-evaluations', {
      method: 'POST', json: { name: 'reg-auto', endpoint: 'ol-reg-ep', candidateVariant: 'reg-shadow', durationSeconds: 60, decision: { automatic: true, resetCandidateWeight: true } },
    });
    expect((await json(resetShadow, 400)).error.details.field).toBe('decision.resetCandidateWeight');
    const noLabels = await server.api('/api/v1/online-evaluations', {
      method: 'POST', json: { name: 'reg-auto', endpoint: 'ol-reg-ep', candidateVariant: 'reg-shadow', durationSeconds: 60, decision: { automatic: true, minimumLabelled: 0 } },
    });
    expect(JSON.stringify(await json(noLabels, 400))).toContain('minimumLabelled');
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

/** A period long enough to send the traffic and its labels on a busy machine; the decision comes at the first tick (5 s) after it. */
const PERIOD_SECONDS = 20;

async function endpointWith(name: string, variants: Array<{ name: string; model: string }>) {
  await client.endpointConfigs.create({ name, dataCapture: { samplingPercentage: 100 }, variants: variants.map((v) => ({ ...v, weight: 1 })) });
  await client.endpoints.create({ name, config: name });
  await endpointOn(name, name);
}

/** Sends 240 labelled requests and uploads their labels, all within the evaluation's period. */
async function trafficWithLabels(endpoint: string, evaluation: string, endsAt: string) {
  const traffic = rows(240, 7, truth);
  await send(endpoint, traffic, evaluation);
  await client.onlineEvaluations.groundTruth(evaluation, traffic.map((r, i) => ({ inferenceId: `${evaluation}-${i}`, label: r[0] })));
  expect(Date.now(), 'traffic and labels took longer than the period').toBeLessThan(Date.parse(endsAt));
}

describe('automatic decision when the period ends', () => {
  it('promotes a significantly better candidate with the canary policy, without a request (SDK)', async () => {
    await endpointWith('ol-auto', [{ name: 'prod', model: 'ol-bad' }, { name: 'cand', model: 'ol-good' }]);
    const created = await client.onlineEvaluations.create({
      name: 'auto-win', endpoint: 'ol-auto', candidateVariant: 'cand', durationSeconds: PERIOD_SECONDS,
      decision: { automatic: true, minimumLabelled: 40 },
      deployment: { trafficRouting: { type: 'CANARY', waitIntervalSeconds: 1, canarySize: { type: 'CAPACITY_PERCENT', value: 50 } } },
    });
    expect(created).toMatchObject({ status: 'Running', decision: { automatic: true, minimumLabelled: 40, resetCandidateWeight: false } });
    expect(created.conclusion).toBeUndefined();
    await trafficWithLabels('ol-auto', 'auto-win', created.endsAt);
    expect((await client.onlineEvaluations.get('auto-win')).status).toBe('Running');

    const done = await waitFor(() => client.onlineEvaluations.get('auto-win'), (e) => e.status === 'Concluded', (PERIOD_SECONDS + 30) * 1000, 250);
    const c = done.conclusion!;
    expect(c).toMatchObject({ outcome: 'Promoted', reason: 'CandidateBetter', test: { metric: 'accuracy', significant: true, better: 'candidate' } });
    expect(c.labelled!.baseline).toBeGreaterThanOrEqual(40);
    expect(c.labelled!.candidate).toBeGreaterThanOrEqual(40);
    expect(c.labelled!.baseline + c.labelled!.candidate).toBe(240);
    expect(Date.parse(c.at)).toBeGreaterThanOrEqual(Date.parse(created.endsAt));
    expect(c.message).toMatch(/significantly better \(accuracy difference \+0\.\d+, p = .* < alpha 0\.05\); promoted to config 'auto-win-promoted-/);
    expect(done.promotion).toMatchObject({ automatic: true, forced: false, variant: 'cand', model: 'ol-good', fromConfig: 'ol-auto' });
    expect((await client.onlineEvaluations.report('auto-win')).status).toBe('Concluded');

    const ep = await endpointOn('ol-auto', done.promotion!.config);
    expect(ep.variants.map((v) => [v.name, v.model, v.currentWeight])).toEqual([['cand', 'ol-good', 1]]);
    expect(ep.statusHistory.some((h) => /canary 50% to config/.test(h.message ?? ''))).toBe(true);
    const again = (await client.onlineEvaluations.promote('auto-win').catch((e: unknown) => e)) as StratusApiError;
    expect(again).toMatchObject({ status: 409 });

    const timeline = (await client.endpoints.timeline('ol-auto')).items;
    const concluded = timeline.findIndex((i) => i.kind === 'online-evaluation' && i.detail.event === 'concluded');
    const promoted = timeline.findIndex((i) => i.kind === 'online-evaluation' && i.detail.event === 'promoted');
    const starting = timeline.findIndex((i) => i.kind === 'endpoint-status' && i.summary.includes(`starting config '${done.promotion!.config}'`));
    expect(concluded).toBeGreaterThan(-1);
    expect(promoted).toBeGreaterThan(concluded);
    expect(starting).toBeGreaterThan(promoted);
    expect(timeline[concluded].summary).toMatch(/^online evaluation 'auto-win' concluded: promoted 'cand' \(CandidateBetter\)/);
    expect(timeline[promoted].summary).toMatch(/automatically promoted variant 'cand'/);
  }, 120_000);

  it('keeps the baseline when it is better and sets the candidate\'s weight to 0 (HTTP, CLI)', async () => {
    await endpointWith('ol-keep', [{ name: 'prod', model: 'ol-good' }, { name: 'cand', model: 'ol-bad' }]);
    const created = await json(server.api('/api/v1/online-evaluations', {
      method: 'POST', json: { name: 'auto-keep', endpoint: 'ol-keep', candidateVariant: 'cand', durationSeconds: PERIOD_SECONDS, decision: { automatic: true, minimumLabelled: 40, resetCandidateWeight: true } },
    }), 201);
    expect(created).toMatchObject({ status: 'Running', decision: { automatic: true, minimumLabelled: 40, resetCandidateWeight: true } });
    await trafficWithLabels('ol-keep', 'auto-keep', created.endsAt);

    const done = await waitFor(() => get('/online-evaluations/auto-keep'), (e) => e.status === 'Concluded', (PERIOD_SECONDS + 30) * 1000, 250);
    expect(done.conclusion).toMatchObject({ outcome: 'KeptBaseline', reason: 'BaselineBetter', candidateWeightReset: true, test: { significant: true, better: 'baseline' } });
    expect(done.conclusion.message).toMatch(/the baseline is significantly better .*; candidate 'cand' now has weight 0$/);
    expect(done.promotion).toBeUndefined();
    const ep = await waitFor(() => client.endpoints.get('ol-keep'), (e) => e.status === 'InService', 20_000, 100);
    expect(ep.config).toBe('ol-keep');
    expect(Object.fromEntries(ep.variants.map((v) => [v.name, v.currentWeight]))).toEqual({ prod: 1, cand: 0 });
    const timeline = await get('/endpoints/ol-keep/timeline');
    expect(timeline.items.some((i: { kind: string; summary: string }) => i.kind === 'online-evaluation' && /^online evaluation 'auto-keep' concluded: kept the baseline 'prod' \(BaselineBetter\)/.test(i.summary))).toBe(true);

    const described = await stratus('online-evaluations', 'describe', 'auto-keep');
    expect(described.code, described.out).toBe(0);
    expect(described.out).toMatch(/status:\s+Concluded/);
    expect(described.out).toMatch(/conclusion:\s+KeptBaseline \(BaselineBetter\) at .*candidate 'cand' now has weight 0/);
    expect(described.out).toMatch(/decision:\s+automatic when the period ends \(at least 40 labels per variant; the candidate's weight goes to 0 if the baseline is kept\)/);
    const listed = await stratus('online-evaluations', 'list');
    expect(listed.out).toMatch(/auto-keep\s+Concluded\s+ol-keep\s+cand\s+prod\s+-\s+KeptBaseline \(BaselineBetter\)/);
  }, 120_000);

  it('decides after a restart from the stored state: too few labels keeps the baseline (CLI)', async () => {
    const made = await stratus('--json', 'online-evaluations', 'create', 'auto-late', '--endpoint', 'ol-keep', '--candidate', 'cand', '--baseline', 'prod', '--duration', '2', '--auto-decide');
    expect(made.code, made.out).toBe(0);
    const endsAt = Date.parse(JSON.parse(made.out).endsAt);
    // The server stops before the period ends (its timer never saw it due) and a new one starts on the same data.
    firstHome = server.home;
    server.app.server.closeAllConnections();
    await server.close();
    await new Promise((r) => setTimeout(r, Math.max(0, endsAt - Date.now()) + 100));
    server = await startTestServer({ invocationTimeoutMs: 5000, home: firstHome });
    client = new StratusClient({ url: server.url, token: TEST_TOKEN });
    const done = await waitFor(() => client.onlineEvaluations.get('auto-late'), (e) => e.status === 'Concluded', 30_000, 250);
    expect(done.conclusion).toMatchObject({ outcome: 'KeptBaseline', reason: 'TooFewLabels', labelled: { baseline: 0, candidate: 0 } });
    expect(done.conclusion!.message).toBe('too few labelled answers: baseline 0, candidate 0; 30 needed on each side');
    expect(done.conclusion!.candidateWeightReset).toBeUndefined();
    const described = await stratus('online-evaluations', 'describe', 'auto-late');
    expect(described.out).toMatch(/decision:\s+automatic when the period ends \(at least 30 labels per variant\)/);
    expect(described.out).toMatch(/conclusion:\s+KeptBaseline \(TooFewLabels\) at .*: too few labelled answers/);
  }, 120_000);
});
