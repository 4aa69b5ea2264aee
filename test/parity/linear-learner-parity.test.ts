/**
 * Parity of the built-in linear-learner with scikit-learn on the bundled datasets: the same
 * seeded stratified 80/20 split, our model trained through `linearLearner.train` in a job-like
 * folder, scikit-learn's StandardScaler + LogisticRegression(max_iter=1000) run by
 * `/usr/bin/python3` (or $STRATUS_PYTHON). Skipped when that interpreter lacks scikit-learn.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelInput, TrainContext } from '../../src/algorithms/algorithm.js';
import { createRng, normalSample, shuffleImpl } from '../../src/algorithms/kernels/rng.js';
import { linearLearner } from '../../src/algorithms/linear-learner/index.js';
import { parseNumericCsv } from '../../src/data/numeric-table.js';

import { DATASETS } from '../helpers/shared.js';
const PYTHON = process.env.STRATUS_PYTHON ?? '/usr/bin/python3';
const SKLEARN_SCRIPT = `
import sys, numpy as np
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.linear_model import LogisticRegression
tr = np.loadtxt(sys.argv[1], delimiter=',', ndmin=2)
te = np.loadtxt(sys.argv[2], delimiter=',', ndmin=2)
model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(tr[:, 1:], tr[:, 0])
print(model.score(te[:, 1:], te[:, 0]))
`;
const sklearnAvailable = spawnSync(PYTHON, ['-c', 'import sklearn'], { stdio: 'ignore' }).status === 0;

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'll-parity-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Seeded stratified split of label-first CSV lines: round(20 %) of each class to the test side. */
function stratifiedSplit(lines: string[], labels: Float64Array, seed: number): { train: string[]; test: string[] } {
  const rng = createRng(seed);
  const byClass = new Map<number, number[]>();
  labels.forEach((label, i) => byClass.set(label, [...(byClass.get(label) ?? []), i]));
  const train: number[] = [];
  const test: number[] = [];
  for (const label of [...byClass.keys()].sort((a, b) => a - b)) {
    const idx = Uint32Array.from(byClass.get(label) ?? []);
    shuffleImpl(idx, rng);
    const k = Math.round(idx.length * 0.2);
    test.push(...idx.subarray(0, k));
    train.push(...idx.subarray(k));
  }
  const order = Uint32Array.from(train);
  shuffleImpl(order, rng);
  return { train: Array.from(order, (i) => lines[i]), test: test.map((i) => lines[i]) };
}

async function writeChannel(dir: string, name: string, text: string): Promise<string> {
  const path = join(dir, 'input', 'data', name);
  await mkdir(path, { recursive: true });
  await writeFile(join(path, `${name}.csv`), text);
  return path;
}

/** Trains through `linearLearner.train` in a job-like folder; returns the model folder and log. */
async function trainJob(dir: string, channels: Record<string, Omit<ChannelInput, 'contentType'>>, hp: Record<string, string>) {
  const modelDir = join(dir, 'model');
  await mkdir(modelDir, { recursive: true });
  const logs: string[] = [];
  const ctx: TrainContext = {
    channels: Object.fromEntries(Object.entries(channels).map(([k, v]) => [k, { ...v, contentType: 'text/csv' }])),
    hyperparameters: linearLearner.validateHyperparameters(hp),
    modelDir,
    outputDataDir: join(dir, 'output'),
    log: (line) => logs.push(line),
    signal: new AbortController().signal,
    cpus: 1,
  };
  await linearLearner.train(ctx);
  return { modelDir, logs };
}

async function accuracyOn(modelDir: string, csv: string): Promise<number> {
  const t = parseNumericCsv(Buffer.from(csv), { header: false });
  const predictor = await linearLearner.loadPredictor(modelDir);
  const recs = predictor.predict(t.features, t.rows);
  return recs.filter((r, i) => r.predicted_label === t.labels[i]).length / t.rows;
}

// 120–455 training rows: the default mini_batch_size of 1000 would make every epoch a single
// full-batch step (15 updates in all); small batches give the optimizer enough updates.
const SMALL_DATA_HP = { mini_batch_size: '16' };

describe.skipIf(!sklearnAvailable)(`linear-learner parity with scikit-learn (${PYTHON})`, () => {
  for (const [name, classes] of [['iris', 3], ['wine', 3], ['breast_cancer', 2]] as const) {
    it(`matches StandardScaler + LogisticRegression accuracy on ${name}`, async () => {
      const text = await readFile(join(DATASETS, `${name}.csv`), 'utf8');
      const lines = text.split('\n').filter((l) => l.trim() !== '');
      const { labels } = parseNumericCsv(Buffer.from(text), { header: false });
      const split = stratifiedSplit(lines, labels, 20240601);
      const dir = join(root, name);
      const trainPath = await writeChannel(dir, 'train', split.train.join('\n') + '\n');
      const testPath = await writeChannel(dir, 'test', split.test.join('\n') + '\n');
      const hp =
        classes === 2
          ? { predictor_type: 'binary_classifier', ...SMALL_DATA_HP }
          : { predictor_type: 'multiclass_classifier', num_classes: String(classes), ...SMALL_DATA_HP };
      const { modelDir } = await trainJob(dir, { train: { path: trainPath, header: false }, test: { path: testPath, header: false } }, hp);
      const ours = await accuracyOn(modelDir, split.test.join('\n'));
      const run = spawnSync(PYTHON, ['-c', SKLEARN_SCRIPT, join(trainPath, 'train.csv'), join(testPath, 'test.csv')], { encoding: 'utf8' });
      expect(run.status, run.stderr).toBe(0);
      const sklearn = Number(run.stdout.trim());
      console.log(`${name}: linear-learner ${ours.toFixed(4)}, scikit-learn ${sklearn.toFixed(4)} (${split.test.length} test rows)`);
      expect(ours).toBeGreaterThanOrEqual(sklearn - 0.02);
    });
  }
});

describe('linear-learner sanity', () => {
  it('fits a noisy linear target with R² > 0.99', async () => {
    const rng = createRng(3);
    const w = [3, -2, 0.5, 10, 0];
    const row = () => {
      const x = w.map((_, j) => normalSample(rng) * (j + 1) + j * 100);
      const y = x.reduce((s, v, j) => s + v * w[j], 7) + normalSample(rng) * 0.5;
      return [y, ...x];
    };
    const train = Array.from({ length: 4000 }, row);
    const test = Array.from({ length: 1000 }, row);
    const dir = join(root, 'regression');
    const trainPath = await writeChannel(dir, 'train', train.map((r) => r.join(',')).join('\n'));
    const { modelDir, logs } = await trainJob(dir, { train: { path: trainPath, header: false } }, { predictor_type: 'regressor', mini_batch_size: '100' });
    const predictor = await linearLearner.loadPredictor(modelDir);
    const preds = predictor.predict(Float64Array.from(test.flatMap((r) => r.slice(1))), test.length);
    const mean = test.reduce((s, r) => s + r[0], 0) / test.length;
    let sse = 0;
    let sst = 0;
    test.forEach((r, i) => {
      sse += ((preds[i].score as number) - r[0]) ** 2;
      sst += (r[0] - mean) ** 2;
    });
    expect(1 - sse / sst).toBeGreaterThan(0.99);
    expect(logs.some((l) => l.startsWith('#final train:objective_loss='))).toBe(true);
  });

  it('reads a header file by targetColumn (or the default target column) like its label-first twin', async () => {
    const dir = join(root, 'header');
    const headerPath = join(dir, 'with-header');
    await mkdir(headerPath, { recursive: true });
    await writeFile(join(headerPath, 'iris.csv'), await readFile(join(DATASETS, 'iris_header.csv')));
    const plainPath = join(dir, 'plain');
    await mkdir(plainPath, { recursive: true });
    await writeFile(join(plainPath, 'iris.csv'), await readFile(join(DATASETS, 'iris.csv')));
    const hp = { predictor_type: 'multiclass_classifier', num_classes: '3', ...SMALL_DATA_HP };
    const named = await trainJob(join(dir, 'a'), { train: { path: headerPath, header: true, targetColumn: 'target' } }, hp);
    const byDefault = await trainJob(join(dir, 'b'), { train: { path: headerPath, header: true } }, hp);
    const plain = await trainJob(join(dir, 'c'), { train: { path: plainPath, header: false } }, hp);
    const manifest = JSON.parse(await readFile(join(named.modelDir, 'manifest.json'), 'utf8')) as { featureNames: string[] };
    expect(manifest.featureNames).toEqual(['sepal_length_cm', 'sepal_width_cm', 'petal_length_cm', 'petal_width_cm']);
    const blob = (m: string) => readFile(join(m, 'model.bin'));
    expect((await blob(named.modelDir)).equals(await blob(plain.modelDir))).toBe(true);
    expect((await blob(byDefault.modelDir)).equals(await blob(plain.modelDir))).toBe(true);
    expect(await accuracyOn(named.modelDir, await readFile(join(DATASETS, 'iris.csv'), 'utf8'))).toBeGreaterThan(0.9);
  });
});
