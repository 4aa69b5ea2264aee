/**
 * Data-parallel built-in training on a real Slurm cluster started by the test
 * (test/fixtures/slurm/): a 3-instance xgboost job on ShardedByS3Key data (each host reads a third
 * of the objects; histograms and metrics are summed over TCP between the hosts' network
 * namespaces) against a 1-instance job on the same objects, both scored on a hold-out set here;
 * the same for linear-learner (gradients summed over the hosts every step).
 */
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuiltinAlgorithm } from '../../src/algorithms/algorithm.js';
import { linearLearner } from '../../src/algorithms/linear-learner/index.js';
import { xgboost } from '../../src/algorithms/xgboost/index.js';
import { extractArchive } from '../../src/artifacts/archive.js';
import { StratusClient } from '../../src/sdk/index.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { SlurmCluster, slurmUnavailable } from '../fixtures/slurm/slurm-cluster.js';
import { aucOf, shards, syntheticBinary } from '../helpers/boosting-data.js';
import type { TrainingMatrix } from '../../src/algorithms/xgboost/engine/index.js';

const unavailable = slurmUnavailable();
if (unavailable) console.warn(`[slurm-distributed.test] skipped: ${unavailable}`);

const COLS = 8;
const HOLDOUT = syntheticBinary(5000, COLS, 303);

let cluster: SlurmCluster;
let server: RunningServer;
let home: string;
let client: StratusClient;

beforeAll(async () => {
  if (unavailable) return;
  cluster = SlurmCluster.start({ hosts: 3 });
  home = await mkdtemp(join(tmpdir(), 'stratus-slurm-dist-'));
  await mkdir(join(home, 'hosts'));
  server = await startServer({
    flags: { home, port: 0, logLevel: 'warn', executor: 'slurm', slurmConf: cluster.conf, slurmWorkDir: join(home, 'hosts'), slurmPollMs: 250 },
    env: {},
  });
  client = new StratusClient({ url: server.url, token: server.token });
  // 15000 training rows in six objects (two per host), 3000 validation rows in three (one per host).
  for (const [i, part] of shards(syntheticBinary(15_000, COLS, 301), 6).entries()) await put(`xgb-dist/train/part-${i}.csv`, csv(part));
  for (const [i, part] of shards(syntheticBinary(3000, COLS, 302), 3).entries()) await put(`xgb-dist/validation/part-${i}.csv`, csv(part));
}, 60_000);

afterAll(async () => {
  await server?.close();
  cluster?.stop();
  if (home) await rm(home, { recursive: true, force: true });
});

/** Label-first CSV, missing values as empty cells. */
function csv(m: TrainingMatrix): Buffer {
  const lines: string[] = [];
  for (let r = 0; r < m.rows; r++) {
    const cells = Array.from(m.features.subarray(r * m.cols, (r + 1) * m.cols), (v) => (Number.isNaN(v) ? '' : String(v)));
    lines.push([m.labels[r], ...cells].join(','));
  }
  return Buffer.from(lines.join('\n') + '\n');
}

async function put(path: string, body: Buffer) {
  const res = await fetch(`${server.url}/api/v1/artifacts/uploads/${path}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/octet-stream' },
    body,
  });
  expect(res.status, await res.clone().text()).toBe(201);
}

async function createJob(name: string, instanceCount: number) {
  const res = await fetch(`${server.url}/api/v1/training-jobs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      name,
      algorithm: 'xgboost',
      hyperparameters: { objective: 'binary:logistic', num_round: 40, max_depth: 5, eta: 0.2, eval_metric: 'logloss,auc' },
      inputs: [
        { channel: 'train', artifactPrefix: 'uploads/xgb-dist/train/', distribution: 'ShardedByS3Key' },
        { channel: 'validation', artifactPrefix: 'uploads/xgb-dist/validation/', distribution: 'ShardedByS3Key' },
      ],
      resources: { instanceType: 'ml.m5.large', instanceCount },
    }),
  });
  expect(res.status, await res.clone().text()).toBe(201);
}

async function createLinearJob(name: string, instanceCount: number) {
  const res = await fetch(`${server.url}/api/v1/training-jobs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      name,
      algorithm: 'linear-learner',
      hyperparameters: { predictor_type: 'binary_classifier', mini_batch_size: 200, epochs: 8 },
      inputs: [
        { channel: 'train', artifactPrefix: 'uploads/xgb-dist/train/', distribution: 'ShardedByS3Key' },
        { channel: 'validation', artifactPrefix: 'uploads/xgb-dist/validation/', distribution: 'ShardedByS3Key' },
      ],
      resources: { instanceType: 'ml.m5.large', instanceCount },
    }),
  });
  expect(res.status, await res.clone().text()).toBe(201);
}

async function completed(name: string) {
  const job = await client.trainingJobs.waitFor(name, { intervalMs: 250, timeoutMs: 240_000 });
  const log = await client.trainingJobs.logs(name);
  expect(job.status, `${job.failureReason ?? ''}\n${log}\n${cluster.logs()}`).toBe('Completed');
  return { job, log };
}

/** Hold-out AUC of a job's model, predicted by the xgboost runtime from its model.tar.gz. */
async function holdoutAuc(modelArtifact: string, algorithm: BuiltinAlgorithm = xgboost): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'xgb-dist-model-'));
  try {
    await client.artifacts.download(modelArtifact.replace(/^.*?training-jobs\//, 'training-jobs/'), join(dir, 'model.tar.gz'));
    await extractArchive(createReadStream(join(dir, 'model.tar.gz')), join(dir, 'model'));
    const predictor = await algorithm.loadPredictor(join(dir, 'model'));
    const scores = predictor.predict(Float64Array.from(HOLDOUT.features), HOLDOUT.rows).map((p) => p.score as number);
    return aucOf(scores, HOLDOUT.labels);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Each host's round lines (`[12]\ttrain-logloss:…`), by host. */
function roundLines(log: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const m of log.matchAll(/^\[(algo-\d)\] (\[\d+\]\t.*)$/gm)) out.set(m[1], [...(out.get(m[1]) ?? []), m[2]]);
  return out;
}

describe.skipIf(unavailable !== undefined)('data-parallel xgboost on Slurm', () => {
  it('a 3-instance job on ShardedByS3Key data scores within 0.002 AUC of a 1-instance job, logging its communication', async () => {
    await createJob('xgb-dist-3', 3);
    await createJob('xgb-dist-1', 1);
    const [three, one] = await Promise.all([completed('xgb-dist-3'), completed('xgb-dist-1')]);

    const [auc3, auc1] = await Promise.all([holdoutAuc(three.job.modelArtifact!), holdoutAuc(one.job.modelArtifact!)]);
    expect(auc1).toBeGreaterThan(0.85);
    expect(Math.abs(auc3 - auc1), `3 hosts ${auc3}, 1 host ${auc1}`).toBeLessThanOrEqual(0.002);

    const log = three.log;
    // Each host read its share, joined the others and logged what it exchanged.
    expect(log).toMatch(/^\[algo-1\] xgboost: channel 'train': 5000 rows × 8 features from 2 file\(s\)/m);
    expect(log).toMatch(/^\[algo-1\] xgboost: data-parallel on 3 hosts \(algo-1 is host 1\): 'train' 15000 rows \(5000 here\), 'validation' 3000 rows \(1000 here\)$/m);
    for (const host of ['algo-1', 'algo-2', 'algo-3']) {
      expect(log).toMatch(new RegExp(`^\\[${host}\\] xgboost: ${host} joined 3 hosts for data-parallel training in [\\d.]+ s$`, 'm'));
      expect(log).toMatch(new RegExp(`^\\[${host}\\] collective: ${host} of 3 hosts: \\d+ operations, [\\d.]+ [KM]iB sent, [\\d.]+ [KM]iB received, [\\d.]+ s communicating$`, 'm'));
    }
    expect(log).toMatch(/^\[algo-2\] xgboost: communication with 2 other host\(s\): set-up and round 0: .*; per round after: [\d.]+ operations, [\d.]+ [KM]iB sent, [\d.]+ [KM]iB received, [\d.]+ ms communicating$/m);
    // Metrics are global: every host logs the same round lines, 40 of them.
    const rounds = roundLines(log);
    expect([...rounds.keys()].sort()).toEqual(['algo-1', 'algo-2', 'algo-3']);
    expect(rounds.get('algo-1')).toHaveLength(40);
    expect(rounds.get('algo-2')).toEqual(rounds.get('algo-1'));
    expect(rounds.get('algo-3')).toEqual(rounds.get('algo-1'));
    expect(rounds.get('algo-1')![39]).toMatch(/^\[39\]\ttrain-logloss:[\d.]+\ttrain-auc:[\d.]+\tvalidation-logloss:[\d.]+\tvalidation-auc:[\d.]+$/);
    // The job's final metrics are the global ones, close to one host's.
    const metric = (j: typeof three.job, name: string) => j.finalMetrics.find((m) => m.name === name)!.value;
    expect(Math.abs(metric(three.job, 'validation:auc') - metric(one.job, 'validation:auc'))).toBeLessThanOrEqual(0.002);
    // One host: nothing to exchange, nothing logged about it.
    expect(one.log).not.toMatch(/collective:|data-parallel/);
  }, 300_000);
});

describe.skipIf(unavailable !== undefined)('data-parallel linear-learner on Slurm', () => {
  it('a 3-instance job on ShardedByS3Key data scores within 0.002 AUC of a 1-instance job; every host ends with the same model', async () => {
    await createLinearJob('ll-dist-3', 3);
    await createLinearJob('ll-dist-1', 1);
    const [three, one] = await Promise.all([completed('ll-dist-3'), completed('ll-dist-1')]);

    const [auc3, auc1] = await Promise.all([holdoutAuc(three.job.modelArtifact!, linearLearner), holdoutAuc(one.job.modelArtifact!, linearLearner)]);
    expect(auc1).toBeGreaterThan(0.7);
    expect(Math.abs(auc3 - auc1), `3 hosts ${auc3}, 1 host ${auc1}`).toBeLessThanOrEqual(0.002);

    const log = three.log;
    expect(log).toMatch(/^\[algo-2\] linear-learner: channel 'train': 5000 rows × 8 features from 2 file\(s\)/m);
    expect(log).toMatch(/^\[algo-3\] linear-learner: data-parallel on 3 hosts \(this is algo-3\): 'train' 15000 rows \(5000 \+ 5000 \+ 5000\), 'validation' 3000 rows \(1000 \+ 1000 \+ 1000\)$/m);
    // Every host computed the same model (its digest); algo-1 wrote it.
    const digests = new Map([...log.matchAll(/^\[(algo-\d)\] linear-learner: model sha256 ([0-9a-f]{64}), identical on all 3 hosts/gm)].map((m) => [m[1], m[2]]));
    expect([...digests.keys()].sort()).toEqual(['algo-1', 'algo-2', 'algo-3']);
    expect(new Set(digests.values()).size).toBe(1);
    // Epoch metrics are global: the same lines on every host; each epoch's communication is logged.
    const epochs = (host: string) => [...log.matchAll(new RegExp(`^\\[${host}\\] (#metrics epoch=.*)$`, 'gm'))].map((m) => m[1]);
    expect(epochs('algo-1').length).toBeGreaterThan(0);
    expect(epochs('algo-2')).toEqual(epochs('algo-1'));
    expect(epochs('algo-3')).toEqual(epochs('algo-1'));
    expect(log).toMatch(/^\[algo-2\] linear-learner: epoch 1 communication: \d+ operations, [\d.]+ [KM]iB sent, [\d.]+ [KM]iB received, [\d.]+ s communicating$/m);
    const metric = (j: typeof three.job, name: string) => j.finalMetrics.find((m) => m.name === name)!.value;
    expect(Math.abs(metric(three.job, 'validation:roc_auc_score') - metric(one.job, 'validation:roc_auc_score'))).toBeLessThanOrEqual(0.002);
    expect(one.log).not.toMatch(/collective:|data-parallel/);
  }, 300_000);
});
