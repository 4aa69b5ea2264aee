/**
 * Experiments and run metrics over the public API, the SDK and the CLI: script jobs log metrics
 * and params with their own scoped token (Python's stratus_run, the TypeScript runContext) beside
 * regex metrics from their log; runs of an experiment are listed, sorted by a metric and compared.
 */
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packDirectory } from '../../src/artifacts/archive.js';
import type { CliIo } from '../../src/cli/context.js';
import { main } from '../../src/cli/main.js';
import { StratusClient, type TrainingJob } from '../../src/sdk/index.js';
import { DATASETS, startTestServer, TEST_TOKEN, waitFor, type TestServer } from '../helpers/server.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/script-jobs/', import.meta.url));

let server: TestServer;
let client: StratusClient;
let tmp: string;

beforeAll(async () => {
  server = await startTestServer({ python: '/usr/bin/python3' });
  client = new StratusClient({ url: server.url, token: TEST_TOKEN });
  tmp = await mkdtemp(join(tmpdir(), 'stratus-exp-'));
  // Scripts hand files to the test here: as root they run as the job user (src/jobs/job-sandbox.ts).
  await chmod(tmp, 0o1777);
  await client.datasets.upload('bc', join(DATASETS, 'breast_cancer.csv'));
});
afterAll(async () => {
  await server?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const sources = new Map<string, string>();
/** Packs and uploads a fixture folder once; returns its artifact URI. */
async function bundle(fixture: string): Promise<string> {
  const known = sources.get(fixture);
  if (known) return known;
  const chunks: Buffer[] = [];
  for await (const c of packDirectory(join(FIXTURES, fixture))) chunks.push(c as Buffer);
  const { uri } = await client.artifacts.upload(`sources/${fixture}.tar.gz`, new Uint8Array(Buffer.concat(chunks)));
  sources.set(fixture, uri);
  return uri;
}

const waitEnded = (name: string) => client.trainingJobs.waitFor(name, { intervalMs: 100, timeoutMs: 90_000 });

async function expectCompleted(job: TrainingJob) {
  expect(job.status, `${job.failureReason ?? ''}\n${await client.trainingJobs.logs(job.name)}`).toBe('Completed');
}

/** A Python script job logging with stratus_run and printing a regex metric. */
async function pythonRun(name: string, experiment: string, lr: number, epochs = 3) {
  await client.trainingJobs.create({
    name,
    experiment,
    script: { source: await bundle('run-metrics'), entryPoint: 'train.py' },
    hyperparameters: { lr, epochs },
    inputs: [{ channel: 'train', dataset: 'bc' }],
    metricDefinitions: [{ name: 'train:loss', regex: 'train_loss=([0-9.]+)' }],
    tags: { team: 'ml' },
  });
}

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    stdout: { write: (s: string) => out.push(s) },
    stderr: { write: (s: string) => err.push(s) },
    stdin: Object.assign(Readable.from([]), { isTTY: true }),
    env: {},
    cwd: FIXTURES,
  };
  const code = await main(['node', 'stratus', '--url', server.url, '--token', TEST_TOKEN, ...args], io);
  return { code, out: out.join(''), err: err.join('') };
}

describe('run metrics from scripts', () => {
  it('records stratus_run metrics and params beside regex metrics from the log, in the same series store', async () => {
    await pythonRun('py-1', 'lr-sweep', 0.5);
    const job = await waitEnded('py-1');
    await expectCompleted(job);
    expect(job.experiment).toBe('lr-sweep');
    expect(await client.trainingJobs.logs('py-1')).toContain('enabled=True');

    const auc = (await client.trainingJobs.metrics('py-1', { name: 'validation:auc' })).metrics;
    expect(auc.map((p) => p.step)).toEqual([0, 1, 2]);
    expect(auc[2].value).toBeCloseTo(1 - 0.5 * Math.exp(-1.5), 10);
    // Without a step, points count on from the metric's last step.
    expect((await client.trainingJobs.metrics('py-1', { name: 'train:seen' })).metrics.map((p) => [p.step, p.value])).toEqual([[0, 100], [1, 200], [2, 300]]);
    const loss = (await client.trainingJobs.metrics('py-1', { name: 'train:loss' })).metrics;
    expect(loss.map((p) => p.step)).toEqual([0, 1, 2]);
    expect(loss[2].value).toBeCloseTo(0.5 * Math.exp(-1.5), 4);
    // Both kinds are in the job's final metrics and in the unfiltered history.
    expect(job.finalMetrics.map((m) => m.name).sort()).toEqual(['train:loss', 'train:seen', 'validation:auc']);
    expect((await client.trainingJobs.metrics('py-1')).metrics).toHaveLength(9);

    const [run] = (await client.experiments.runs('lr-sweep')).items;
    expect(run).toMatchObject({
      name: 'py-1',
      experiment: 'lr-sweep',
      status: 'Completed',
      entryPoint: 'train.py',
      params: { lr: '0.5', epochs: '3', optimizer: 'sgd', schedule: 'constant', batch_size: '32' },
      tags: { team: 'ml' },
      inputs: [{ channel: 'train', dataset: 'bc', version: 1 }],
      models: [],
    });
    expect(run.metrics['validation:auc']).toBeCloseTo(auc[2].value, 10);
  });

  it("gives each job a token that may only post its own metrics and params, revoked when it ends", async () => {
    const probe = join(tmp, 'probe');
    const release = join(tmp, 'release');
    await client.trainingJobs.create({
      name: 'probe-1',
      script: { source: await bundle('token-probe'), entryPoint: 'train.sh' },
      inputs: [],
      environment: { PROBE_FILE: probe, RELEASE_FILE: release },
    });
    await waitFor(async () => existsSync(probe), (v) => v, 30_000, 50);
    const [token, url] = (await readFile(probe, 'utf8')).trim().split('\n');
    expect(url).toBe(server.url);
    const asJob = (path: string, json?: unknown) =>
      fetch(server.url + path, {
        method: json === undefined ? 'GET' : 'POST',
        headers: { authorization: `Bearer ${token}`, ...(json === undefined ? {} : { 'content-type': 'application/json' }) },
        body: json === undefined ? undefined : JSON.stringify(json),
      });
    const metrics = { metrics: [{ name: 'probe', value: 1 }] };

    expect((await asJob('/api/v1/training-jobs/probe-1/metrics', metrics)).status).toBe(201);
    expect((await asJob('/api/v1/training-jobs/probe-1/params', { params: { a: 1 } })).status).toBe(201);
    // Nothing else: not its own job's details, not other resources, not another job's metrics.
    for (const path of ['/api/v1/training-jobs/probe-1', '/api/v1/training-jobs', '/api/v1/datasets', '/api/v1/experiments', '/api/v1/training-jobs/probe-1/metrics']) {
      expect((await asJob(path)).status, path).toBe(403);
    }
    const other = await asJob('/api/v1/training-jobs/py-1/metrics', metrics);
    expect(other.status).toBe(403);
    expect(((await other.json()) as { error: { code: string } }).error.code).toBe('Forbidden');
    expect((await asJob('/api/v1/api-keys', { role: 'admin' })).status).toBe(403);
    expect((await asJob('/api/v1/training-jobs/probe-1/stop', {})).status).toBe(403);

    await writeFile(release, '');
    await expectCompleted(await waitEnded('probe-1'));
    expect((await asJob('/api/v1/training-jobs/probe-1/metrics', metrics)).status).toBe(401);
    expect((await client.trainingJobs.metrics('probe-1', { name: 'probe' })).metrics).toHaveLength(1);
    expect((await client.experiments.runs('Default')).items.find((r) => r.name === 'probe-1')?.params).toMatchObject({ a: '1' });
  });

  it('validates logged metrics and params, and refuses them once the job has ended (409)', async () => {
    const post = async (path: string, json: unknown) => {
      const res = await server.api(path, { method: 'POST', json });
      return { status: res.status, body: await res.text() };
    };
    const bad: Array<[unknown, string]> = [
      [{ metrics: [{ name: 'x', value: null }] }, 'metrics[0].value'],
      [{ metrics: [{ name: 'x', value: '1' }] }, 'metrics[0].value'],
      [{ metrics: [{ name: 'bad name!', value: 1 }] }, 'name'],
      [{ metrics: [{ name: 'x', value: 1, step: -1 }] }, 'step'],
      [{ metrics: [] }, 'metrics'],
    ];
    for (const [json, field] of bad) {
      const res = await post('/api/v1/training-jobs/py-1/metrics', json);
      expect(res.status, res.body).toBe(400);
      expect(res.body).toContain(field);
    }
    const ended = await post('/api/v1/training-jobs/py-1/metrics', { metrics: [{ name: 'x', value: 1 }] });
    expect(ended.status, ended.body).toBe(409);
    expect(ended.body).toContain('Completed');
    expect((await post('/api/v1/training-jobs/py-1/params', { params: { x: 1 } })).status).toBe(409);
    expect((await post('/api/v1/training-jobs/nope/metrics', { metrics: [{ name: 'x', value: 1 }] })).status).toBe(404);
  });

  it('logs from a TypeScript script job with runContext from stratus/sdk', async () => {
    await client.trainingJobs.create({
      name: 'ts-1',
      experiment: 'node-runs',
      script: { source: await bundle('run-context'), entryPoint: 'train.mts' },
      hyperparameters: { epochs: 4 },
      inputs: [],
    });
    const job = await waitEnded('ts-1');
    await expectCompleted(job);
    expect(await client.trainingJobs.logs('ts-1')).toContain('run=ts-1 enabled=true');
    const loss = (await client.trainingJobs.metrics('ts-1', { name: 'train:loss' })).metrics;
    expect(loss.map((p) => [p.step, p.value])).toEqual([[0, 1], [1, 0.5], [2, 1 / 3], [3, 0.25]]);
    expect((await client.trainingJobs.metrics('ts-1', { name: 'train:tick' })).metrics.map((p) => p.step)).toEqual([0, 1, 2, 3]);
    const { items } = await client.experiments.runs('node-runs');
    expect(items[0]).toMatchObject({ name: 'ts-1', params: { epochs: '4', runtime: 'node' }, metrics: { 'train:loss': 0.25, 'train:tick': 30 } });
  });
});

describe('experiments', () => {
  it('lists, sorts and compares the runs of an experiment', async () => {
    await pythonRun('py-2', 'lr-sweep', 0.05);
    await pythonRun('py-3', 'lr-sweep', 1.5, 2);
    for (const name of ['py-2', 'py-3']) await expectCompleted(await waitEnded(name));

    const byAuc = await client.experiments.runs('lr-sweep', { sortBy: 'metric:validation:auc', order: 'desc' });
    expect(byAuc.items.map((r) => r.name)).toEqual(['py-3', 'py-1', 'py-2']);
    const aucs = byAuc.items.map((r) => r.metrics['validation:auc'] as number);
    expect(aucs[0]).toBeGreaterThan(aucs[1]);
    expect(aucs[1]).toBeGreaterThan(aucs[2]);
    expect((await client.experiments.runs('lr-sweep', { sortBy: 'param:lr' })).items.map((r) => r.name)).toEqual(['py-2', 'py-1', 'py-3']);
    expect((await client.experiments.runs('lr-sweep')).items.map((r) => r.name)).toEqual(['py-3', 'py-2', 'py-1']);
    const first = await client.experiments.runs('lr-sweep', { sortBy: 'metric:validation:auc', order: 'desc', limit: 2 });
    expect(first.items.map((r) => r.name)).toEqual(['py-3', 'py-1']);
    const rest = await client.experiments.runs('lr-sweep', { sortBy: 'metric:validation:auc', order: 'desc', limit: 2, nextToken: first.nextToken });
    expect(rest.items.map((r) => r.name)).toEqual(['py-2']);
    expect(rest.nextToken).toBeUndefined();
    expect((await client.experiments.runs('lr-sweep', { status: 'Failed' })).items).toEqual([]);

    const cmp = await client.experiments.compare('lr-sweep', ['py-1', 'py-2', 'py-3']);
    expect(cmp.runs).toEqual(['py-1', 'py-2', 'py-3']);
    expect(cmp.params.find((p) => p.name === 'lr')).toEqual({ name: 'lr', values: ['0.5', '0.05', '1.5'], differs: true });
    expect(cmp.params.find((p) => p.name === 'optimizer')).toEqual({ name: 'optimizer', values: ['sgd', 'sgd', 'sgd'], differs: false });
    expect(cmp.params.find((p) => p.name === 'epochs')).toEqual({ name: 'epochs', values: ['3', '3', '2'], differs: true });
    expect(cmp.metrics.map((m) => m.name)).toEqual(['train:loss', 'train:seen', 'validation:auc']);
    expect(cmp.metrics.find((m) => m.name === 'validation:auc')?.values).toEqual(aucs.length === 3 ? [aucs[1], aucs[2], aucs[0]] : []);

    const experiment = await client.experiments.get('lr-sweep');
    expect(experiment).toMatchObject({ name: 'lr-sweep', runCount: 3, statusCounts: { Completed: 3 } });
    const list = await client.experiments.list();
    expect(list.items.map((e) => [e.name, e.runCount])).toEqual([['Default', 1], ['lr-sweep', 3], ['node-runs', 1]]);

    const missing = await server.api('/api/v1/experiments/nope/runs');
    expect(missing.status).toBe(404);
    const foreign = await server.api('/api/v1/experiments/lr-sweep/compare?runs=py-1,ts-1');
    expect(foreign.status).toBe(400);
    expect(await foreign.text()).toContain("'ts-1' is not a run of experiment 'lr-sweep' (it is in 'node-runs')");
    expect((await server.api('/api/v1/training-jobs?experiment=lr-sweep')).ok).toBe(true);
    expect((await client.trainingJobs.list({ experiment: 'node-runs' })).items.map((j) => [j.name, j.experiment])).toEqual([['ts-1', 'node-runs']]);
  });

  it('links a run to the models created from it', async () => {
    await client.trainingJobs.create({
      name: 'll-1',
      experiment: 'linear',
      algorithm: 'linear-learner',
      hyperparameters: { predictor_type: 'binary_classifier', epochs: 2 },
      inputs: [{ channel: 'train', dataset: 'bc' }],
    });
    await expectCompleted(await waitEnded('ll-1'));
    await client.models.create({ name: 'll-model', trainingJob: 'll-1' });
    const [run] = (await client.experiments.runs('linear')).items;
    expect(run).toMatchObject({ name: 'll-1', algorithm: 'linear-learner', models: ['ll-model'] });
    expect(Object.keys(run.metrics).length).toBeGreaterThan(0);
    expect(run.params.predictor_type).toBe('binary_classifier');
  });

  it('works from the CLI: train --experiment, experiments list, runs as a table sorted by a metric, compare', async () => {
    const trained = await cli('train', 'cli-1', '--experiment', 'lr-sweep', '--source', 'run-metrics', '--entry-point', 'train.py', '--hp', 'lr=0.2', '--hp', 'epochs=3', '--wait');
    expect(trained.code, trained.err).toBe(0);

    const list = await cli('experiments', 'list');
    expect(list.code, list.err).toBe(0);
    expect(list.out).toMatch(/^NAME\s+RUNS\s+COMPLETED/);
    expect(list.out).toMatch(/\nlr-sweep\s+4\s+4\s/);

    const runs = await cli('experiments', 'runs', 'lr-sweep', '--sort', 'validation:auc', '--desc');
    expect(runs.code, runs.err).toBe(0);
    const lines = runs.out.trim().split('\n');
    expect(lines[0]).toMatch(/^RUN\s+STATUS\s+EPOCHS\s+LR\s+TRAIN:LOSS\s+TRAIN:SEEN\s+VALIDATION:AUC\s+MODELS$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual(['py-3', 'py-1', 'cli-1', 'py-2']);
    expect(lines[1]).toMatch(/^py-3\s+Completed\s+2\s+1\.5\s/);

    const cmp = await cli('experiments', 'compare', 'lr-sweep', 'py-1', 'py-2');
    expect(cmp.code, cmp.err).toBe(0);
    expect(cmp.out).toMatch(/\* lr\s+0\.5\s+0\.05/);
    expect(cmp.out).toMatch(/ {2}optimizer\s+sgd\s+sgd/);

    const json = await cli('--json', 'experiments', 'runs', 'lr-sweep', '--sort', 'param:lr', '--limit', '1');
    expect((JSON.parse(json.out) as { items: Array<{ name: string }> }).items.map((r) => r.name)).toEqual(['py-2']);
  });
});
