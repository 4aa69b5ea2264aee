/**
 * Model monitoring end to end (issue 7, item 4): a baseline from breast_cancer's training split,
 * an endpoint capturing all its traffic, then a schedule's runs over traffic from the original
 * distribution (no drift) and over shifted traffic (drift on the shifted features, an alarm in
 * the table and on `platform.events`).
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/context.js';
import type { PlatformEventMap } from '../../src/core/events.js';
import { splitCsv } from '../helpers/data.js';
import { DATASETS, startTestServer, TEST_TOKEN, waitFor, type TestServer } from '../helpers/server.js';

let server: TestServer;
let work: string;
let rows: number[][];
let labels: number[];
const alarms: Array<PlatformEventMap['monitoring.alarm']> = [];
/** The platform's clock: real time, moved ahead by `offsetMs` when a test needs a cron minute to come. */
const clock = { offsetMs: 0, now: () => new Date(Date.now() + clock.offsetMs) };

async function json<T = Record<string, any>>(res: Response | Promise<Response>, status = 200): Promise<T> {
  const r = await res;
  const text = await r.text();
  expect(r.status, text).toBe(status);
  return (text ? JSON.parse(text) : undefined) as T;
}

const invoke = (body: string, inferenceId: string) =>
  server.api('/endpoints/mon/invocations', { method: 'POST', headers: { 'content-type': 'text/csv', accept: 'application/json', 'x-amzn-sagemaker-inference-id': inferenceId }, body });

/** Sends every row (in batches of 8 concurrent requests) and waits until capture wrote them all. */
async function send(batch: number[][], idPrefix: string): Promise<void> {
  const before = (await json(server.api('/api/v1/endpoints/mon/metrics?window=60'))).capture?.written ?? 0;
  for (let i = 0; i < batch.length; i += 8) {
    await Promise.all(batch.slice(i, i + 8).map(async (r, k) => expect((await invoke(r.join(','), `${idPrefix}-${i + k}`)).status).toBe(200)));
  }
  await waitFor(() => json(server.api('/api/v1/endpoints/mon/metrics?window=60')), (m) => (m.capture?.written ?? 0) >= before + batch.length, 20_000, 200);
}

/** Runs the CLI in-process against the test server. */
async function stratus(...args: string[]) {
  const out: string[] = [];
  const io: CliIo = {
    stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => out.push(t) },
    stdin: Object.assign(Readable.from([]), { isTTY: true }), env: {}, cwd: tmpdir(),
  };
  const code = await main(['node', 'stratus', '--url', server.url, '--token', TEST_TOKEN, ...args], io);
  return { code, out: out.join('') };
}

beforeAll(async () => {
  server = await startTestServer({ invocationTimeoutMs: 5000 }, { clock });
  server.platform.events.on('monitoring.alarm', (e) => alarms.push(e));
  work = await mkdtemp(join(tmpdir(), 'monitoring-'));
  const bc = await splitCsv(join(DATASETS, 'breast_cancer.csv'), work);
  rows = bc.validationRows.map((r) => r.slice(1));
  labels = bc.validationRows.map((r) => r[0]);
  await json(server.api('/api/v1/datasets/bc-train', {
    method: 'POST', headers: { 'content-type': 'text/csv' }, body: Readable.toWeb(createReadStream(bc.train)) as ReadableStream, duplex: 'half',
  } as RequestInit), 201);
  await json(server.api('/api/v1/training-jobs', {
    method: 'POST',
    json: { name: 'mon-ll', algorithm: 'linear-learner', hyperparameters: { predictor_type: 'binary_classifier', epochs: 5, mini_batch_size: 32 }, inputs: [{ channel: 'train', dataset: 'bc-train' }] },
  }), 201);
  const job = await waitFor(() => json(server.api('/api/v1/training-jobs/mon-ll')), (j) => j.status !== 'InProgress', 120_000, 250);
  expect(job.failureReason).toBeUndefined();
  await json(server.api('/api/v1/models', { method: 'POST', json: { name: 'mon-ll', trainingJob: 'mon-ll' } }), 201);
  await json(server.api('/api/v1/endpoint-configs', { method: 'POST', json: { name: 'mon', variants: [{ name: 'AllTraffic', model: 'mon-ll' }], dataCapture: { samplingPercentage: 100 } } }), 201);
  await json(server.api('/api/v1/endpoints', { method: 'POST', json: { name: 'mon', config: 'mon' } }), 201);
  const e = await waitFor(() => json(server.api('/api/v1/endpoints/mon')), (x) => x.status !== 'Creating', 90_000, 200);
  expect(e.status).toBe('InService');
}, 240_000);

afterAll(async () => {
  server?.app.server.closeAllConnections();
  await server?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('monitoring an endpoint against a baseline', () => {
  it('computes a baseline: statistics and suggested constraints per feature', async () => {
    const created = await json(server.api('/api/v1/monitoring-baselines', { method: 'POST', json: { name: 'bc-base', dataset: { name: 'bc-train' }, targetColumn: '_c0' } }), 201);
    expect(created).toMatchObject({ name: 'bc-base', status: 'InProgress', dataset: { name: 'bc-train', version: 1 }, targetColumn: '_c0' });
    const done = await waitFor(() => json(server.api('/api/v1/monitoring-baselines/bc-base')), (b) => b.status !== 'InProgress', 30_000, 100);
    expect(done.failureReason).toBeUndefined();
    expect(done.status).toBe('Completed');
    expect(done.features).toHaveLength(30);
    expect(done.statisticsUri).toMatch(/monitoring-baselines\/bc-base\/statistics\.json$/);
    const stats = await json(server.api('/api/v1/monitoring-baselines/bc-base/statistics'));
    expect(stats.rows).toBe(455);
    const f1 = stats.features[0];
    expect(f1).toMatchObject({ name: '_c1', inferred_type: 'Fractional', completeness: 1, num_present: 455, num_missing: 0 });
    expect(f1.numerical_statistics.psi_edges).toHaveLength(9);
    const constraints = await json(server.api('/api/v1/monitoring-baselines/bc-base/constraints'));
    expect(constraints.features[0]).toMatchObject({ name: '_c1', inferred_type: 'Fractional', completeness: 1, num_constraints: { is_non_negative: true } });
    expect(constraints.features[0].num_constraints.max).toBe(f1.numerical_statistics.max);
  });

  it('finds no drift in traffic from the original distribution', async () => {
    await json(server.api('/api/v1/monitoring-schedules', {
      method: 'POST', json: { name: 'mon-check', endpoint: 'mon', baseline: 'bc-base', periodSeconds: 3600, thresholds: { rangeMargin: 0.05 } },
    }), 201);
    await send(rows, 'orig');
    const report = await json(server.api('/api/v1/monitoring-schedules/mon-check/run', { method: 'POST' }));
    expect(report.records).toBe(rows.length);
    expect(report.violations.filter((v: { kind: string }) => v.kind.startsWith('drift')), JSON.stringify(report.violations)).toEqual([]);
    expect(report.status).toBe('Completed');
    expect(report.features).toHaveLength(30);
    expect(report.features[0].ks.method).toBe('exact');
    expect(alarms).toEqual([]);
    const again = await json(server.api('/api/v1/monitoring-schedules/mon-check/run', { method: 'POST' }));
    expect(again).toMatchObject({ status: 'NoData', records: 0 });
  });

  it('flags drift on shifted features and raises an alarm', async () => {
    const shifted = rows.map((r) => r.map((v, i) => (i < 3 ? v + 1000 : v)));
    await send(shifted, 'shift');
    const report = await json(server.api('/api/v1/monitoring-schedules/mon-check/run', { method: 'POST' }));
    expect(report.status).toBe('CompletedWithViolations');
    const drifted = new Set(report.violations.filter((v: { kind: string }) => v.kind === 'drift_ks').map((v: { feature: string }) => v.feature));
    expect([...drifted].sort()).toEqual(['_c1', '_c2', '_c3']);
    const psi = new Set(report.violations.filter((v: { kind: string }) => v.kind === 'drift_psi').map((v: { feature: string }) => v.feature));
    expect([...psi].sort()).toEqual(['_c1', '_c2', '_c3']);
    expect(report.violations.some((v: { kind: string; feature: string }) => v.kind === 'out_of_range' && v.feature === '_c1')).toBe(true);

    const list = await json(server.api('/api/v1/monitoring-schedules/mon-check/alarms'));
    expect(list.items).toHaveLength(1);
    expect(list.items[0]).toMatchObject({ schedule: 'mon-check', seq: 1, features: ['_c1', '_c2', '_c3'] });
    expect(alarms).toHaveLength(1);
    expect(alarms[0]).toMatchObject({ schedule: 'mon-check', endpoint: 'mon', seq: 1, features: ['_c1', '_c2', '_c3'] });

    const schedule = await json(server.api('/api/v1/monitoring-schedules/mon-check'));
    expect(schedule.lastResult).toMatchObject({ status: 'CompletedWithViolations', records: rows.length, violations: report.violations.length });
    const reports = await json(server.api('/api/v1/monitoring-schedules/mon-check/reports'));
    expect(reports.items.map((r: { status: string }) => r.status)).toEqual(['CompletedWithViolations', 'NoData', 'Completed']);
    const file = reports.items[0].key.split('/').pop();
    expect((await json(server.api(`/api/v1/monitoring-schedules/mon-check/reports/${file}`))).violations).toEqual(report.violations);
  });

  it('shows schedules, reports and alarms through the CLI', async () => {
    const schedules = await stratus('monitor', 'schedules');
    expect(schedules.code, schedules.out).toBe(0);
    expect(schedules.out).toMatch(/mon-check\s+Scheduled\s+mon\s+bc-base/);
    const alarmsOut = await stratus('monitor', 'alarms', 'mon-check');
    expect(alarmsOut.out).toMatch(/1\s+\S+\s+\d+\s+_c1,_c2,_c3/);
    const reports = await stratus('monitor', 'reports', 'mon-check');
    expect(reports.out).toContain('CompletedWithViolations');
    const file = reports.out.split('\n').find((l) => l.includes('CompletedWithViolations'))!.trim().split(/\s+/)[0];
    const report = await stratus('monitor', 'report', 'mon-check', file);
    expect(report.code, report.out).toBe(0);
    expect(report.out).toMatch(/_c1\s+drift_ks/);
    const baseline = await stratus('monitor', 'baselines');
    expect(baseline.out).toMatch(/bc-base\s+Completed\s+bc-train:1\s+455/);
    const created = await stratus('monitor', 'schedule', 'mon-cli', '--endpoint', 'mon', '--baseline', 'bc-base', '--period', '600', '--model-quality', 'binary', '--min', 'accuracy=0.8');
    expect(created.code, created.out).toBe(0);
    expect(created.out).toMatch(/model quality:\s+binary accuracy≥0.8/);
    await writeFile(join(work, 'labels.csv'), 'orig-0,1\norig-1,0\n');
    const gt = await stratus('monitor', 'ground-truth', 'mon-cli', join(work, 'labels.csv'));
    expect(gt.out).toContain('uploaded 2 labels for mon-cli');
    expect((await stratus('monitor', 'delete', 'mon-cli')).code).toBe(0);
  });

  it('runs schedules on their period from the loop', async () => {
    await json(server.api('/api/v1/monitoring-schedules', { method: 'POST', json: { name: 'mon-loop', endpoint: 'mon', baseline: 'bc-base', periodSeconds: 1 } }), 201);
    const s = await waitFor(() => json(server.api('/api/v1/monitoring-schedules/mon-loop')), (x) => x.lastResult !== undefined, 10_000, 200);
    // The loop's first run reads everything captured so far: both batches.
    expect(s.lastResult).toMatchObject({ status: 'CompletedWithViolations', records: 2 * rows.length });
    await json(server.api('/api/v1/monitoring-schedules/mon-loop/stop', { method: 'POST' }));
    await json(server.api('/api/v1/monitoring-schedules/mon-loop', { method: 'DELETE' }), 204);
    await json(server.api('/api/v1/monitoring-schedules/mon-loop'), 404);
  });

  it('scores model quality from ground truth joined by inference id', async () => {
    await json(server.api('/api/v1/monitoring-schedules', {
      method: 'POST', json: { name: 'mon-quality', endpoint: 'mon', baseline: 'bc-base', featureNames: ['_c5'], modelQuality: { problemType: 'binary', minimums: { accuracy: 0.8 } } },
    }), 201);
    await json(server.api('/api/v1/monitoring-schedules/mon-check/ground-truth', { method: 'POST', json: { labels: [{ inferenceId: 'x', label: 1 }] } }), 409);
    const up = await json(server.api('/api/v1/monitoring-schedules/mon-quality/ground-truth', {
      method: 'POST', json: { labels: [...labels.map((label, i) => ({ inferenceId: `orig-${i}`, label })), { inferenceId: 'never-sent', label: 1 }] },
    }), 201);
    expect(up.accepted).toBe(labels.length + 1);
    const good = await json(server.api('/api/v1/monitoring-schedules/mon-quality/run', { method: 'POST' }));
    expect(good.modelQuality).toMatchObject({ problemType: 'binary', labels: labels.length + 1, joined: labels.length });
    expect(good.modelQuality.metrics.accuracy).toBeGreaterThan(0.85);
    expect(good.modelQuality.metrics.rocAuc).toBeGreaterThan(0.9);
    expect(good.violations.filter((v: { kind: string }) => v.kind === 'model_quality')).toEqual([]);

    // Labels of the shifted traffic: the model's answers to it are much worse.
    await json(server.api('/api/v1/monitoring-schedules/mon-quality/ground-truth', { method: 'POST', json: { labels: labels.map((label, i) => ({ inferenceId: `shift-${i}`, label })) } }), 201);
    const bad = await json(server.api('/api/v1/monitoring-schedules/mon-quality/run', { method: 'POST' }));
    expect(bad.modelQuality).toMatchObject({ labels: labels.length, joined: labels.length });
    expect(bad.modelQuality.metrics.accuracy).toBeLessThan(0.8);
    expect(bad.status).toBe('CompletedWithViolations');
    expect(bad.violations).toContainEqual(expect.objectContaining({ feature: 'accuracy', kind: 'model_quality', threshold: 0.8 }));
    const quiet = await json(server.api('/api/v1/monitoring-schedules/mon-quality/run', { method: 'POST' }));
    expect(quiet).toMatchObject({ status: 'NoData', modelQuality: { labels: 0, joined: 0 } });
  });

  it('refuses a schedule for a missing endpoint or baseline', async () => {
    await json(server.api('/api/v1/monitoring-schedules', { method: 'POST', json: { name: 'x', endpoint: 'nope', baseline: 'bc-base' } }), 404);
    await json(server.api('/api/v1/monitoring-schedules', { method: 'POST', json: { name: 'x', endpoint: 'mon', baseline: 'nope' } }), 404);
    await json(server.api('/api/v1/monitoring-baselines', { method: 'POST', json: { name: 'bad', dataset: { name: 'bc-train' }, targetColumn: 'label' } }), 400);
  });

  it('runs a schedule on a cron in UTC, at the minutes it names (5-field or SageMaker form)', async () => {
    const refused = async (body: Record<string, unknown>, pattern: RegExp) => {
      const res = await json(server.api('/api/v1/monitoring-schedules', { method: 'POST', json: { name: 'mon-bad', endpoint: 'mon', baseline: 'bc-base', ...body } }), 400);
      expect(res.error).toMatchObject({ code: 'ValidationError', details: { field: 'cron' } });
      expect(res.error.message).toMatch(pattern);
    };
    await refused({ cron: '61 * * * *' }, /minute field '61'/);
    await refused({ cron: '*/5 * * * *', periodSeconds: 60 }, /either periodSeconds or cron/);
    await refused({ cron: 'cron(0 * ? * *)' }, /6 fields/);
    await refused({ cron: '0 0 31 2 *' }, /never fires/);

    const created = await json(server.api('/api/v1/monitoring-schedules', { method: 'POST', json: { name: 'mon-cron', endpoint: 'mon', baseline: 'bc-base', cron: '*/5 * * * *' } }), 201);
    expect(created).toMatchObject({ cron: '*/5 * * * *', status: 'Scheduled' });
    expect(created.periodSeconds).toBeUndefined();
    const due = new Date(created.nextRunAt);
    expect(due.getUTCMinutes() % 5).toBe(0);
    expect(due.getUTCSeconds()).toBe(0);
    const wait = due.getTime() - Date.parse(created.createdAt);
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(5 * 60_000);
    // The loop ticks every second: nothing runs before the minute comes.
    await new Promise((r) => setTimeout(r, 1500));
    expect((await json(server.api('/api/v1/monitoring-schedules/mon-cron'))).lastResult).toBeUndefined();

    clock.offsetMs += due.getTime() - clock.now().getTime() + 300;
    const ran = await waitFor(() => json(server.api('/api/v1/monitoring-schedules/mon-cron')), (x) => x.lastResult !== undefined, 10_000, 200);
    expect(Date.parse(ran.lastRunAt)).toBeGreaterThanOrEqual(due.getTime());
    expect(Date.parse(ran.lastRunAt)).toBeLessThan(due.getTime() + 5_000);
    expect(ran.nextRunAt).toBe(new Date(due.getTime() + 5 * 60_000).toISOString());
    const cli = await stratus('monitor', 'describe', 'mon-cron');
    expect(cli.out).toMatch(/runs:\s+cron \*\/5 \* \* \* \* \(UTC\)/);

    const hourly = await json(server.api('/api/v1/monitoring-schedules', { method: 'POST', json: { name: 'mon-hourly', endpoint: 'mon', baseline: 'bc-base', cron: 'cron(0 * ? * * *)' } }), 201);
    const top = new Date(hourly.nextRunAt);
    expect([top.getUTCMinutes(), top.getUTCSeconds()]).toEqual([0, 0]);
    expect(top.getTime() - Date.parse(hourly.createdAt)).toBeLessThanOrEqual(3600_000);
    await json(server.api('/api/v1/monitoring-schedules/mon-hourly/stop', { method: 'POST' }));
    expect((await json(server.api('/api/v1/monitoring-schedules/mon-hourly'))).nextRunAt).toBeUndefined();
    for (const name of ['mon-cron', 'mon-hourly']) await json(server.api(`/api/v1/monitoring-schedules/${name}`, { method: 'DELETE' }), 204);
  });
});
