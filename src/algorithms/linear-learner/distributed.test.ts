/**
 * Data-parallel linear-learner: three hosts on loopback TCP, each training on its own shard,
 * against one host training on all the rows.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loopbackHosts } from '../../../test/helpers/collective-hosts.js';
import { DATASETS } from '../../../test/helpers/shared.js';
import type { ChannelInput, TrainContext } from '../algorithm.js';
import type { Collective } from '../distributed/collective.js';
import { rocAucImpl, splitSortedImpl } from '../kernels/classification-metrics.js';
import { createRng, normalSample, shuffleImpl } from '../kernels/rng.js';
import { linearLearner } from './index.js';

/** A channel's CSV lines (label first, no header) on one host; absent: the host has no files of it. */
type HostChannels = Record<string, string[] | undefined>;

interface HostRun {
  logs: string[];
  modelDir: string;
}

let root: string;
let open: Collective[] = [];
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'll-dist-'));
});
afterEach(async () => {
  await Promise.all(open.map((c) => c.close()));
  open = [];
  await rm(root, { recursive: true, force: true });
});

/** One host's job folder; every host is given every channel, even where it has no files of it. */
async function hostContext(name: string, channels: HostChannels, given: string[], hp: Record<string, string>, collective?: Collective) {
  const inputs: Record<string, ChannelInput> = {};
  for (const ch of given) {
    const path = join(root, name, 'input', ch);
    const lines = channels[ch];
    if (lines) {
      await mkdir(path, { recursive: true });
      await writeFile(join(path, 'part.csv'), lines.join('\n') + '\n');
    }
    inputs[ch] = { path, contentType: 'text/csv', header: false };
  }
  const modelDir = join(root, name, 'model');
  await mkdir(modelDir, { recursive: true });
  const logs: string[] = [];
  const ctx: TrainContext = {
    channels: inputs,
    hyperparameters: linearLearner.validateHyperparameters(hp),
    modelDir,
    outputDataDir: join(root, name),
    log: (l) => logs.push(l),
    signal: new AbortController().signal,
    cpus: 1,
    ...(collective ? { collective } : {}),
  };
  return { ctx, run: { logs, modelDir } };
}

/** Trains on `shards.length` hosts over loopback TCP; returns each host's log and model folder. */
async function trainOnHosts(shards: HostChannels[], hp: Record<string, string>): Promise<HostRun[]> {
  const cs = await loopbackHosts(shards.length);
  open.push(...cs);
  const given = [...new Set(shards.flatMap((s) => Object.keys(s)))];
  const hosts = await Promise.all(shards.map((s, r) => hostContext(`algo-${r + 1}`, s, given, hp, cs[r])));
  await Promise.all(hosts.map((h) => linearLearner.train(h.ctx)));
  return hosts.map((h) => h.run);
}

async function trainOneHost(channels: HostChannels, hp: Record<string, string>): Promise<HostRun> {
  const { ctx, run } = await hostContext('single', channels, Object.keys(channels), hp);
  await linearLearner.train(ctx);
  return run;
}

/** Splits `lines` into shares of the given fractions (the last takes the rest). */
function split(lines: string[], fractions: number[]): string[][] {
  const out: string[][] = [];
  let at = 0;
  for (const f of fractions) {
    const n = Math.round(f * lines.length);
    out.push(lines.slice(at, at + n));
    at += n;
  }
  out.push(lines.slice(at));
  return out;
}

function shuffled(lines: string[], seed: number): string[] {
  const order = Uint32Array.from(lines.keys());
  shuffleImpl(order, createRng(seed));
  return Array.from(order, (i) => lines[i]);
}

function parse(lines: string[]): { x: Float64Array; y: Float64Array; rows: number } {
  const rows = lines.map((l) => l.split(',').map((c) => (c === '' ? NaN : Number(c))));
  return { x: Float64Array.from(rows.flatMap((r) => r.slice(1))), y: Float64Array.from(rows, (r) => r[0]), rows: rows.length };
}

async function predictScores(modelDir: string, lines: string[]): Promise<number[]> {
  const predictor = await linearLearner.loadPredictor(modelDir);
  const { x, rows } = parse(lines);
  return predictor.predict(x, rows).map((r) => r.score as number);
}

async function auc(modelDir: string, lines: string[]): Promise<number> {
  const scores = Float64Array.from(await predictScores(modelDir, lines));
  const { y, rows } = parse(lines);
  return rocAucImpl(splitSortedImpl(scores, y, rows));
}

async function rmse(modelDir: string, lines: string[]): Promise<number> {
  const scores = await predictScores(modelDir, lines);
  const { y } = parse(lines);
  return Math.sqrt(scores.reduce((s, p, i) => s + (p - y[i]) ** 2, 0) / scores.length);
}

function finalMetric(logs: string[], name: string): number {
  const line = logs.find((l) => l.startsWith('#final')) ?? '';
  const m = new RegExp(`${name}=(\\S+)`).exec(line);
  if (!m) throw new Error(`no ${name} in ${line}`);
  return Number(m[1]);
}

/**
 * Every host logged the same model digest and epoch metrics, algo-1 wrote files with that
 * digest, and the other hosts wrote nothing.
 */
async function expectIdenticalModels(runs: HostRun[]): Promise<void> {
  const digests = runs.map((r) => /model sha256 ([0-9a-f]{64}), identical on all/.exec(r.logs.join('\n'))?.[1]);
  expect(digests[0]).toBeDefined();
  for (const d of digests) expect(d).toBe(digests[0]);
  const files = createHash('sha256')
    .update(await readFile(join(runs[0].modelDir, 'model.bin')))
    .update(await readFile(join(runs[0].modelDir, 'manifest.json')))
    .digest('hex');
  expect(files).toBe(digests[0]);
  for (const r of runs.slice(1)) expect(await readdir(r.modelDir)).toEqual([]);
  const epochLines = runs.map((r) => r.logs.filter((l) => l.startsWith('#metrics') || l.startsWith('#final')));
  for (const lines of epochLines) expect(lines).toEqual(epochLines[0]);
}

/** Rows of a linear problem with features on different scales, some missing. */
function generated(n: number, kind: 'binary' | 'regression', seed: number): string[] {
  const rng = createRng(seed);
  const d = 12;
  const coef = Array.from({ length: d }, (_, j) => (j % 3 === 0 ? 0 : normalSample(rng)));
  const scale = Array.from({ length: d }, (_, j) => 10 ** ((j % 5) - 2));
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const z = Array.from({ length: d }, () => normalSample(rng));
    const s = z.reduce((acc, v, j) => acc + coef[j] * v, 0) + 0.5 * normalSample(rng);
    const label = kind === 'binary' ? (s > 0.3 ? 1 : 0) : 3 * s + 100;
    const cells = z.map((v, j) => (i % 97 === j ? '' : String(v * scale[j] + 5 * scale[j])));
    lines.push([label, ...cells].join(','));
  }
  return lines;
}

describe('data-parallel linear-learner on 3 hosts (loopback TCP)', () => {
  it('breast_cancer: AUC within 0.002 of one host, identical model on every host, algo-1 writes it', async () => {
    const all = shuffled((await readFile(join(DATASETS, 'breast_cancer.csv'), 'utf8')).trim().split('\n'), 11);
    const [train, validation, test] = split(all, [0.6, 0.2]);
    const shards = split(train, [0.45, 0.35]);
    const hp = { predictor_type: 'binary_classifier', mini_batch_size: '100', epochs: '30' };
    const runs = await trainOnHosts(
      // The validation channel is one object: only algo-1 has it. algo-3 has no test rows.
      [
        { train: shards[0], validation, test: test.slice(0, 60) },
        { train: shards[1], test: test.slice(60) },
        { train: shards[2] },
      ],
      hp,
    );
    const one = await trainOneHost({ train, validation, test }, hp);
    await expectIdenticalModels(runs);
    const aucHosts = await auc(runs[0].modelDir, test);
    const aucOne = await auc(one.modelDir, test);
    expect(aucOne).toBeGreaterThan(0.97);
    expect(Math.abs(aucHosts - aucOne)).toBeLessThan(0.002);
    // The logged metrics are over every host's rows: algo-1's AUC of the whole test channel.
    expect(finalMetric(runs[0].logs, 'test:roc_auc_score')).toBeCloseTo(aucHosts, 5);
    expect(Math.abs(finalMetric(runs[0].logs, 'validation:binary_classification_accuracy') - finalMetric(one.logs, 'validation:binary_classification_accuracy'))).toBeLessThan(0.03);
    const log = runs[1].logs.join('\n');
    expect(log).toMatch(/data-parallel on 3 hosts \(this is algo-2\): 'train' 341 rows \(\d+ \+ \d+ \+ \d+\), 'validation' 114 rows \(114 \+ 0 \+ 0\)/);
    expect(log).toMatch(/epoch 1 communication: \d+ operations, [\d.]+ KiB sent, [\d.]+ KiB received, [\d.]+ s communicating/);
    expect(log).toMatch(/written by algo-1/);
  });

  it('a generated binary set with unequal shards and missing values: AUC within 0.002 of one host', async () => {
    const lines = generated(24_000, 'binary', 5);
    const [train, test] = split(lines, [0.8]);
    const shards = split(train, [0.5, 0.3]);
    const hp = { predictor_type: 'binary_classifier', mini_batch_size: '200', epochs: '6', positive_example_weight_mult: 'balanced' };
    const runs = await trainOnHosts(shards.map((s) => ({ train: s })), hp);
    const one = await trainOneHost({ train }, hp);
    await expectIdenticalModels(runs);
    const aucOne = await auc(one.modelDir, test);
    expect(aucOne).toBeGreaterThan(0.9);
    expect(Math.abs((await auc(runs[0].modelDir, test)) - aucOne)).toBeLessThan(0.002);
  });

  it('a generated regression set: RMSE within 1% of one host', async () => {
    const lines = generated(30_000, 'regression', 9);
    const [train, validation, test] = split(lines, [0.7, 0.1]);
    const shards = split(train, [0.4, 0.35]);
    const hp = { predictor_type: 'regressor', mini_batch_size: '250', epochs: '8' };
    const vshards = split(validation, [0.4, 0.3]);
    const runs = await trainOnHosts(shards.map((s, r) => ({ train: s, validation: vshards[r] })), hp);
    const one = await trainOneHost({ train, validation }, hp);
    await expectIdenticalModels(runs);
    const rmseOne = await rmse(one.modelDir, test);
    expect(rmseOne).toBeLessThan(2);
    expect(Math.abs((await rmse(runs[0].modelDir, test)) - rmseOne) / rmseOne).toBeLessThan(0.01);
    expect(finalMetric(runs[2].logs, 'validation:rmse')).toBeCloseTo(finalMetric(one.logs, 'validation:rmse'), 1);
  });

  it('a multiclass model with balanced class weights, one host holding no training rows', async () => {
    const all = shuffled((await readFile(join(DATASETS, 'wine.csv'), 'utf8')).trim().split('\n'), 3);
    const [train, test] = split(all, [0.75]);
    const hp = { predictor_type: 'multiclass_classifier', num_classes: '3', mini_batch_size: '10', balance_multiclass_weights: 'true' };
    const [a, b] = split(train, [0.6]);
    const runs = await trainOnHosts([{ train: a }, { train: undefined }, { train: b }], hp);
    await expectIdenticalModels(runs);
    expect(runs[1].logs.join('\n')).toMatch(/'train' \d+ rows \(\d+ \+ 0 \+ \d+\)/);
    const predictor = await linearLearner.loadPredictor(runs[0].modelDir);
    const { x, y, rows } = parse(test);
    const labels = predictor.predict(x, rows).map((r) => r.predicted_label);
    expect(labels.filter((l, i) => l === y[i]).length / rows).toBeGreaterThan(0.9);
  });

  it('fails every host with the same message when shards disagree on the features', async () => {
    const cs = await loopbackHosts(2);
    open.push(...cs);
    const hp = { predictor_type: 'regressor' };
    const hosts = await Promise.all([
      hostContext('algo-1', { train: ['1,2,3', '2,3,4'] }, ['train'], hp, cs[0]),
      hostContext('algo-2', { train: ['1,2', '2,3'] }, ['train'], hp, cs[1]),
    ]);
    const results = await Promise.allSettled(hosts.map((h) => linearLearner.train(h.ctx)));
    for (const r of results) {
      expect(r.status).toBe('rejected');
      expect(String((r as PromiseRejectedResult).reason)).toMatch(/channel 'train' on algo-2 has 1 features but channel 'train' on algo-1 has 2/);
    }
  });
});
