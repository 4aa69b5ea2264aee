/**
 * Evaluation jobs and the model registry through the public API: hold-out and k-fold reports on
 * the bundled datasets agree with scikit-learn's metrics computed from the same folds and
 * predictions (the fold of every row is passed to Python, not recomputed there), and the
 * registry's lifecycle: versions, lineage both ways, approval with reason, aliases, events, and
 * which version served an endpoint at a time.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { Readable } from 'node:stream';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../../src/cli/context.js';
import { main } from '../../src/cli/main.js';
import { packDirectory } from '../../src/artifacts/archive.js';
import { DEFAULT_SWEEP } from '../../src/evaluation/metrics/binary.js';
import { DATASETS, startTestServer, TEST_TOKEN, waitFor, type TestServer } from '../helpers/server.js';
import { expectAgrees, sklearnMetrics, sklearnMissing } from '../helpers/sklearn.js';

let server: TestServer;
const missing = sklearnMissing();

async function json<T = Record<string, unknown>>(res: Response | Promise<Response>, status = 200): Promise<T> {
  const r = await res;
  const text = await r.text();
  expect(r.status, text).toBe(status);
  return (text ? JSON.parse(text) : undefined) as T;
}
const post = <T = Record<string, unknown>>(path: string, body: unknown, status = 201) => json<T>(server.api(`/api/v1${path}`, { method: 'POST', json: body }), status);
const put = <T = Record<string, unknown>>(path: string, body: unknown, status = 200) => json<T>(server.api(`/api/v1${path}`, { method: 'PUT', json: body }), status);
const get = <T = Record<string, unknown>>(path: string, status = 200) => json<T>(server.api(`/api/v1${path}`), status);

const upload = (name: string, body: string, header: boolean) =>
  json(server.api(`/api/v1/datasets/${name}?header=${header}`, {
    method: 'POST', headers: { 'content-type': 'text/csv' }, body: Readable.toWeb(Readable.from([Buffer.from(body)])) as ReadableStream, duplex: 'half',
  } as RequestInit), 201);

interface Eval { name: string; status: string; failureReason?: string; summary?: { task: string; metrics: Record<string, { mean: number; std?: number; values?: number[] }>; trainingJobs?: string[] }; registeredVersions: unknown[]; statusHistory: Array<{ status: string }> }
interface Part { trainingJob?: string; testRows: number[]; metrics: Record<string, unknown>; predictions: { values: number[]; probabilities?: number[][] } }
interface Report { task: string; threshold: number; holdout?: Part; folds?: Part[]; summary: Record<string, { mean: number; std?: number }> }

const finished = async (name: string) => {
  const job = await waitFor(() => get<Eval>(`/evaluation-jobs/${name}`), (j) => !['InProgress', 'Stopping'].includes(j.status), 240_000, 200);
  expect(job.failureReason).toBeUndefined();
  expect(job.status).toBe('Completed');
  return job;
};

/** Labels of a bundled CSV (the first column), in data-row order. */
const labelsOf = (file: string, header: boolean) => readFileSync(join(DATASETS, file), 'utf8').trim().split('\n').slice(header ? 1 : 0).map((l) => Number(l.split(',')[0]));

/** The sklearn case of one part of a report: the rows it tested, their labels and our predictions. */
function caseOf(report: Report, part: Part, labels: number[]) {
  const y = part.testRows.map((r) => labels[r]);
  if (report.task === 'binary') return { task: 'binary', labels: y, scores: part.predictions.values, threshold: report.threshold, sweep: DEFAULT_SWEEP };
  if (report.task === 'multiclass') {
    const p = part.predictions.probabilities;
    return { task: 'multiclass', labels: y, predicted: part.predictions.values, probabilities: p ?? null, classCount: p?.[0]?.length ?? 0 };
  }
  return { task: 'regression', labels: y, predictions: part.predictions.values };
}

/** Ours with the ROC curve's first threshold left out (sklearn 1.2 writes max + 1, later versions +inf). */
const comparable = (m: Record<string, unknown>) => (m.rocCurve ? { ...m, rocCurve: { ...(m.rocCurve as object), thresholds: (m.rocCurve as { thresholds: number[] }).thresholds.slice(1) } } : m);

function checkKfold(report: Report, labels: number[], k: number) {
  const folds = report.folds!;
  expect(folds).toHaveLength(k);
  // every row tested exactly once
  const seen = folds.flatMap((f) => f.testRows).sort((a, b) => a - b);
  expect(seen).toEqual(labels.map((_, i) => i));
  const ref = sklearnMetrics(folds.map((f) => caseOf(report, f, labels)));
  folds.forEach((f, i) => expectAgrees(comparable(f.metrics), ref[i]));
  // mean ± std (ddof 0) over sklearn's per-fold values
  const headline = report.task === 'binary' ? ['accuracy', 'precision', 'recall', 'f1', 'rocAuc', 'prAuc', 'logLoss'] : ['accuracy', 'logLoss'];
  for (const name of headline) {
    const values = ref.map((r) => Number(r[name]));
    const mean = values.reduce((s, v) => s + v, 0) / k;
    const std = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / k);
    expect(report.summary[name].mean).toBeCloseTo(mean, 9);
    expect(report.summary[name].std).toBeCloseTo(std, 9);
  }
  if (report.task === 'multiclass') {
    const values = ref.map((r) => (r.macro as { f1: number }).f1);
    expect(report.summary.macroF1.mean).toBeCloseTo(values.reduce((s, v) => s + v, 0) / k, 9);
  }
}

/** Runs the CLI in-process against the test server. */
async function stratus(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => err.push(t) },
    stdin: Object.assign(Readable.from([]), { isTTY: true }), env: {}, cwd: tmpdir(),
  };
  const code = await main(['node', 'stratus', '--url', server.url, '--token', TEST_TOKEN, ...args], io);
  return { code, stdout: out.join(''), stderr: err.join('') };
}

beforeAll(async () => {
  server = await startTestServer();
  await upload('bc', readFileSync(join(DATASETS, 'breast_cancer.csv'), 'utf8'), false);
  await upload('wine', readFileSync(join(DATASETS, 'wine_header.csv'), 'utf8'), true);
  await post('/training-jobs', { name: 'bc-ll', algorithm: 'linear-learner', hyperparameters: { predictor_type: 'binary_classifier', epochs: 5 }, inputs: [{ channel: 'train', dataset: 'bc' }] });
  const trained = await waitFor(() => get<{ status: string; modelArtifact?: string }>('/training-jobs/bc-ll'), (j) => j.status !== 'InProgress', 120_000);
  expect(trained.status).toBe('Completed');
  await post('/models', { name: 'bc-model', trainingJob: 'bc-ll' });
}, 180_000);
afterAll(() => server?.stop());

describe('evaluation jobs', () => {
  it('hold-out of a model on breast_cancer: stratified, seeded, and sklearn agrees on every number', async () => {
    const created = await post<Eval & { method: Record<string, unknown>; task?: string }>('/evaluation-jobs', { name: 'bc-holdout', model: 'bc-model', dataset: { name: 'bc' }, method: { type: 'holdout', testShare: 0.25, seed: 3 }, threshold: 0.4 });
    expect(created).toMatchObject({ status: 'InProgress', task: 'binary', method: { type: 'holdout', testShare: 0.25, stratified: true, seed: 3 } });
    const job = await finished('bc-holdout');
    expect(job.statusHistory.map((t) => t.status)).toEqual(['Starting', 'Evaluating', 'Uploading', 'Completed']);
    expect(job.summary!.metrics.rocAuc.mean).toBeGreaterThan(0.9);
    const report = await get<Report>('/evaluation-jobs/bc-holdout/report');
    const labels = labelsOf('breast_cancer.csv', false);
    const part = report.holdout!;
    expect(part.testRows.length).toBe(Math.round(labels.filter((l) => l === 1).length * 0.25) + Math.round(labels.filter((l) => l === 0).length * 0.25));
    if (missing) return console.warn(`SKIPPED sklearn comparison: ${missing}`);
    const [ref] = sklearnMetrics([caseOf(report, part, labels)]);
    expect(expectAgrees(comparable(part.metrics), ref)).toBeGreaterThan(500);
    // same seed → same split
    await post('/evaluation-jobs', { name: 'bc-holdout-2', model: 'bc-model', dataset: { name: 'bc' }, method: { type: 'holdout', testShare: 0.25, seed: 3 } });
    await finished('bc-holdout-2');
    expect((await get<Report>('/evaluation-jobs/bc-holdout-2/report')).holdout!.testRows).toEqual(part.testRows);
  }, 120_000);

  it('5-fold cross-validation of xgboost on breast_cancer matches sklearn per fold, with mean ± std', async () => {
    await post('/evaluation-jobs', {
      name: 'bc-cv', dataset: { name: 'bc' }, method: { type: 'kfold', k: 5, seed: 1 },
      trainingSpec: { algorithm: 'xgboost', hyperparameters: { objective: 'binary:logistic', num_round: 15, max_depth: 3 } },
    });
    const job = await finished('bc-cv');
    expect(job.summary!.trainingJobs).toEqual(['bc-cv-fold-0', 'bc-cv-fold-1', 'bc-cv-fold-2', 'bc-cv-fold-3', 'bc-cv-fold-4']);
    expect(job.summary!.metrics.accuracy.values).toHaveLength(5);
    expect(job.statusHistory.map((t) => t.status)).toEqual(['Starting', 'Training', 'Evaluating', 'Uploading', 'Completed']);
    expect(await get<{ status: string }>('/training-jobs/bc-cv-fold-3')).toMatchObject({ status: 'Completed' });
    if (missing) return console.warn(`SKIPPED sklearn comparison: ${missing}`);
    checkKfold(await get<Report>('/evaluation-jobs/bc-cv/report'), labelsOf('breast_cancer.csv', false), 5);
  }, 300_000);

  it('5-fold cross-validation on wine (multiclass, header with target column) matches sklearn', async () => {
    await post('/evaluation-jobs', {
      name: 'wine-cv', dataset: { name: 'wine' }, targetColumn: 'target', method: { type: 'kfold', k: 5, seed: 2 },
      trainingSpec: { algorithm: 'xgboost', hyperparameters: { objective: 'multi:softprob', num_class: 3, num_round: 10, max_depth: 3 } },
    });
    const job = await finished('wine-cv');
    expect(job.summary!.task).toBe('multiclass');
    const report = await get<Report>('/evaluation-jobs/wine-cv/report');
    expect(report.folds![0].metrics).toHaveProperty('perClass');
    if (missing) return console.warn(`SKIPPED sklearn comparison: ${missing}`);
    checkKfold(report, labelsOf('wine_header.csv', true), 5);
  }, 300_000);

  it('5-fold cross-validation of a Python training script: five script jobs, their models served by inference.py', async () => {
    // SageMaker's layout: the model artifact carries its inference code in code/.
    const dir = mkdtempSync(join(tmpdir(), 'eval-script-'));
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'src', 'train.py'), [
      'import glob, os, pickle, shutil',
      'import numpy as np',
      'from sklearn.linear_model import LogisticRegression',
      'from sklearn.pipeline import make_pipeline',
      'from sklearn.preprocessing import StandardScaler',
      'data = np.vstack([np.loadtxt(f, delimiter=",", ndmin=2) for f in sorted(glob.glob(os.environ["SM_CHANNEL_TRAIN"] + "/*"))])',
      'model = make_pipeline(StandardScaler(), LogisticRegression(C=float(os.environ.get("SM_HP_C", "1")), tol=1e-12, max_iter=10000)).fit(data[:, 1:], data[:, 0])',
      'print("trained on %d rows" % len(data))',
      'pickle.dump(model, open(os.path.join(os.environ["SM_MODEL_DIR"], "model.pkl"), "wb"))',
      'os.makedirs(os.path.join(os.environ["SM_MODEL_DIR"], "code"))',
      'shutil.copy("inference.py", os.path.join(os.environ["SM_MODEL_DIR"], "code", "inference.py"))',
    ].join('\n'));
    writeFileSync(join(dir, 'src', 'inference.py'), [
      'import os, pickle',
      'def model_fn(model_dir):',
      '    return pickle.load(open(os.path.join(model_dir, "model.pkl"), "rb"))',
      'def predict_fn(data, model):',
      '    return {"predictions": [{"score": float(p)} for p in model.predict_proba(data)[:, 1]]}',
    ].join('\n'));
    const bundle = await buffer(packDirectory(join(dir, 'src')));
    const source = (await json<{ uri: string }>(server.api('/api/v1/artifacts/uploads/sources/eval-script/sourcedir.tar.gz', { method: 'PUT', body: bundle }), 201)).uri;
    const request = { dataset: { name: 'bc' }, method: { type: 'kfold', k: 5, seed: 4 }, trainingSpec: { script: { source, entryPoint: 'train.py' }, hyperparameters: { C: 0.5 } } };
    const refused = await post<{ error: { details?: { field?: string } } }>('/evaluation-jobs', { name: 'bc-script-cv', ...request }, 400);
    expect(refused.error.details?.field).toBe('serving');
    await post('/evaluation-jobs', { name: 'bc-script-cv', ...request, serving: { runtime: 'python' } });
    const job = await finished('bc-script-cv');
    const folds = ['bc-script-cv-fold-0', 'bc-script-cv-fold-1', 'bc-script-cv-fold-2', 'bc-script-cv-fold-3', 'bc-script-cv-fold-4'];
    expect(job.summary!.trainingJobs).toEqual(folds);
    expect(job.summary!.task).toBe('binary');
    expect(job.summary!.metrics.accuracy.mean).toBeGreaterThan(0.9);
    expect(await get(`/training-jobs/${folds[2]}`)).toMatchObject({ status: 'Completed', script: { entryPoint: 'train.py' } });
    expect(await get(`/models/${folds[2]}`)).toMatchObject({ runtime: 'python', trainingJob: folds[2] });
    // the CLI packs a local folder as the script's source; a hold-out trains one script job
    const cli = await stratus('evaluate', 'bc-script-ho', '--source', join(dir, 'src'), '--entry-point', 'train.py', '--hp', 'C=0.5', '--dataset', 'bc', '--wait');
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toMatch(/accuracy/);
    const holdout = await get<{ serving: unknown; trainingSpec: { script: unknown; hyperparameters: Record<string, unknown> } }>('/evaluation-jobs/bc-script-ho');
    expect(holdout).toMatchObject({ serving: { runtime: 'python' }, trainingSpec: { script: { entryPoint: 'train.py' } } });
    expect(String(holdout.trainingSpec.hyperparameters.C)).toBe('0.5');
    const report = await get<Report>('/evaluation-jobs/bc-script-cv/report');
    const labels = labelsOf('breast_cancer.csv', false);
    if (missing) return console.warn(`SKIPPED sklearn comparison: ${missing}`);
    checkKfold(report, labels, 5);
    // each fold's model was trained on exactly the rows outside its fold: scikit-learn, fitted on them here, predicts the same
    const py = spawnSync('/usr/bin/python3', ['-c', [
      'import json, sys, numpy as np',
      'from sklearn.linear_model import LogisticRegression',
      'from sklearn.pipeline import make_pipeline',
      'from sklearn.preprocessing import StandardScaler',
      'd = json.load(sys.stdin); data = np.loadtxt(d["file"], delimiter=",")',
      'out = []',
      'for test in d["folds"]:',
      '    mask = np.ones(len(data), bool); mask[test] = False',
      '    m = make_pipeline(StandardScaler(), LogisticRegression(C=0.5, tol=1e-12, max_iter=10000)).fit(data[mask, 1:], data[mask, 0])',
      '    out.append(m.predict_proba(data[test, 1:])[:, 1].tolist())',
      'print(json.dumps(out))',
    ].join('\n')], { input: JSON.stringify({ file: join(DATASETS, 'breast_cancer.csv'), folds: report.folds!.map((f) => f.testRows) }), encoding: 'utf8' });
    expect(py.status, py.stderr).toBe(0);
    const expected = JSON.parse(py.stdout) as number[][];
    report.folds!.forEach((f, i) => f.predictions.values.forEach((v, r) => expect(Math.abs(v - expected[i][r])).toBeLessThan(1e-6)));
  }, 300_000);

  it('refuses requests that cannot work, naming the field', async () => {
    const err = (body: unknown) => post<{ error: { code: string; details?: { field?: string } } }>('/evaluation-jobs', body, 400);
    expect((await err({ name: 'x', dataset: { name: 'bc' } })).error.details?.field).toBe('model');
    expect((await err({ name: 'x', model: 'bc-model', dataset: { name: 'bc' }, method: { type: 'kfold', k: 5 } })).error.details?.field).toBe('trainingSpec');
    expect((await err({ name: 'x', model: 'nope', dataset: { name: 'bc' } })).error.details?.field).toBe('model');
    await post('/evaluation-jobs', { name: 'x', model: 'bc-model', dataset: { name: 'bc' }, method: { type: 'kfold', k: 11 } }, 400);
  });
});

describe('model registry', () => {
  it('registers versions with lineage both ways, approval with reason, aliases, events and served versions', async () => {
    await post('/model-package-groups', { name: 'bc', description: 'breast cancer classifier' });
    await post('/model-package-groups', { name: 'bc' }, 409);
    const v1 = await post<Record<string, unknown>>('/model-package-groups/bc/versions', { model: 'bc-model', evaluationJob: 'bc-holdout', description: 'first' });
    expect(v1).toMatchObject({ group: 'bc', version: 1, model: 'bc-model', trainingJob: 'bc-ll', evaluationJob: 'bc-holdout', approvalStatus: 'PendingManualApproval', runtime: 'builtin', algorithm: 'linear-learner' });
    expect((v1.metrics as Record<string, number>).rocAuc).toBeGreaterThan(0.9);
    expect(v1.datasets).toEqual([{ name: 'bc', version: 1 }]);
    expect(v1.evaluationReportUri).toContain('evaluation-jobs/bc-holdout/report.json');

    // lineage, reverse direction
    const byModel = await get<{ items: Array<{ group: string; version: number }> }>('/model-package-lineage?model=bc-model');
    expect(byModel.items).toEqual([expect.objectContaining({ group: 'bc', version: 1 })]);
    expect((await get<{ items: unknown[] }>('/model-package-lineage?trainingJob=bc-ll')).items).toHaveLength(1);
    expect((await get<Eval>('/evaluation-jobs/bc-holdout')).registeredVersions).toEqual([{ group: 'bc', version: 1 }]);

    const approved = await put<Record<string, unknown>>('/model-package-groups/bc/versions/1/approval', { approvalStatus: 'Approved', reason: 'AUC above 0.9 on hold-out' });
    expect(approved).toMatchObject({ approvalStatus: 'Approved', approval: { by: expect.stringMatching(/^admin:/), reason: 'AUC above 0.9 on hold-out' } });
    expect(Date.parse((approved.approval as { at: string }).at)).toBeGreaterThan(Date.now() - 60_000);

    // v2 from a second model over the same artifact
    const model = await get<{ artifactUri: string }>('/models/bc-model');
    await post('/models', { name: 'bc-model-2', artifactUri: model.artifactUri, algorithm: 'linear-learner' });
    const v2 = await post<Record<string, unknown>>('/model-package-groups/bc/versions', { model: 'bc-model-2', metrics: { rocAuc: 0.99 } });
    expect(v2).toMatchObject({ version: 2, metrics: { rocAuc: 0.99 } });
    await put('/model-package-groups/bc/versions/2/approval', { approvalStatus: 'Rejected', reason: 'not yet' });
    await put('/model-package-groups/bc/versions/2/approval', { approvalStatus: 'Approved', reason: 'ok after review' });

    expect(await put('/model-package-groups/bc/aliases/production', { version: 1 })).toEqual({ group: 'bc', alias: 'production', version: 1 });
    await put('/model-package-groups/bc/aliases/candidate', { version: 2 });
    await put('/model-package-groups/bc/aliases/nope', { version: 9 }, 404);
    expect((await get<{ aliases: Record<string, number> }>('/model-package-groups/bc')).aliases).toEqual({ candidate: 2, production: 1 });

    // deploy v1, then move to v2: the served-version query answers for both times
    await post('/endpoint-configs', { name: 'bc-c1', variants: [{ name: 'AllTraffic', model: 'bc-model' }] });
    await post('/endpoint-configs', { name: 'bc-c2', variants: [{ name: 'AllTraffic', model: 'bc-model-2' }] });
    await post('/endpoints', { name: 'bc-ep', config: 'bc-c1' });
    await waitFor(() => get<{ status: string }>('/endpoints/bc-ep'), (e) => e.status === 'InService', 60_000, 50);
    const t1 = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 20));
    await put('/endpoints/bc-ep', { config: 'bc-c2' });
    await waitFor(() => get<{ status: string; config?: string; configName?: string }>('/endpoints/bc-ep'), (e) => e.status === 'InService' && (e.config ?? e.configName) === 'bc-c2', 60_000, 50);
    expect(await put('/model-package-groups/bc/aliases/production', { version: 2 })).toEqual({ group: 'bc', alias: 'production', version: 2, previous: 1 });

    const then = await get<{ config: string; variants: Array<{ model: string; versions: unknown[] }> }>(`/endpoints/bc-ep/served-versions?at=${encodeURIComponent(t1)}`);
    expect(then).toMatchObject({ config: 'bc-c1', variants: [{ variant: 'AllTraffic', model: 'bc-model', versions: [{ group: 'bc', version: 1 }] }] });
    const now = await get('/endpoints/bc-ep/served-versions');
    expect(now).toMatchObject({ config: 'bc-c2', variants: [{ model: 'bc-model-2', versions: [{ group: 'bc', version: 2 }] }] });
    const before = await get<{ variants: unknown[] }>(`/endpoints/bc-ep/served-versions?at=2000-01-01T00:00:00Z`);
    expect(before.variants).toEqual([]);

    const events = await get<{ items: Array<{ seq: number; type: string; version?: number; actor?: string; detail: Record<string, unknown> }> }>('/model-package-groups/bc/events');
    expect(events.items.map((e) => [e.type, e.version])).toEqual([
      ['group_created', undefined], ['registered', 1], ['approval_changed', 1], ['registered', 2], ['approval_changed', 2], ['approval_changed', 2],
      ['alias_moved', 1], ['alias_moved', 2], ['deployed', 1], ['deployed', 2], ['alias_moved', 2],
    ]);
    expect(events.items[5].detail).toEqual({ from: 'Rejected', to: 'Approved', reason: 'ok after review' });
    expect(events.items[8].detail).toMatchObject({ endpoint: 'bc-ep', config: 'bc-c1', variant: 'AllTraffic', model: 'bc-model' });
    expect(events.items.at(-1)!.detail).toEqual({ alias: 'production', from: 1, to: 2 });
    expect(events.items.every((e, i) => e.seq === i + 1)).toBe(true);

    const list = await get<{ items: Array<{ version: number; aliases: string[] }> }>('/model-package-groups/bc/versions');
    expect(list.items.map((v) => [v.version, v.aliases])).toEqual([[2, ['candidate', 'production']], [1, []]]);
    expect((await get<{ items: unknown[] }>('/model-package-groups/bc/versions?approvalStatus=Rejected')).items).toEqual([]);
    await json(server.api('/api/v1/endpoints/bc-ep', { method: 'DELETE' }), 204).catch(() => undefined);
  }, 180_000);
});

describe('CLI', () => {
  it('evaluates with --wait printing metrics and an ASCII ROC curve, and drives the registry', async () => {
    const ev = await stratus('evaluate', 'cli-eval', '--model', 'bc-model', '--dataset', 'bc', '--seed', '5', '--wait');
    expect(ev.stderr).toBe('');
    expect(ev.code).toBe(0);
    expect(ev.stdout).toMatch(/rocAuc/);
    expect(ev.stdout).toMatch(/ROC curve \(AUC 0\.9\d*\)/);
    expect(ev.stdout).toContain('*');
    expect((await stratus('registry', 'create-group', 'cli-g')).code).toBe(0);
    expect((await stratus('registry', 'register', 'cli-g', '--model', 'bc-model', '--evaluation-job', 'cli-eval')).stdout).toMatch(/cli-g\/1/);
    expect((await stratus('registry', 'approve', 'cli-g', '1', '--reason', 'looks good')).stdout).toMatch(/Approved/);
    expect((await stratus('registry', 'alias', 'cli-g', 'production', '1')).stdout).toContain('cli-g@production → 1');
    const events = await stratus('registry', 'events', 'cli-g');
    expect(events.stdout).toMatch(/registered[\s\S]*approval_changed[\s\S]*alias_moved/);
    expect((await stratus('registry', 'versions', 'cli-g')).stdout).toMatch(/Approved\s+production/);
  }, 60_000);
});
