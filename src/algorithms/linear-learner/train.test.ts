import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChannelInput, TrainContext } from '../algorithm.js';
import { createRng, normalSample } from '../kernels/rng.js';
import { linearLearner } from './index.js';

interface ChannelSpec {
  csv: string;
  header?: boolean;
  targetColumn?: string;
  contentType?: string;
}

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'll-train-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Lays out a job folder (input/data/<channel>/data.csv, model/) and returns a context with its log. */
async function job(channels: Record<string, ChannelSpec>, hp: Record<string, string>, signal = new AbortController().signal) {
  const inputs: Record<string, ChannelInput> = {};
  for (const [name, spec] of Object.entries(channels)) {
    const path = join(root, 'input', 'data', name);
    await mkdir(path, { recursive: true });
    await writeFile(join(path, 'data.csv'), spec.csv);
    inputs[name] = { path, contentType: spec.contentType ?? 'text/csv', header: spec.header ?? false, targetColumn: spec.targetColumn };
  }
  const modelDir = join(root, `model-${Math.random().toString(36).slice(2)}`);
  await mkdir(modelDir, { recursive: true });
  const logs: string[] = [];
  const ctx: TrainContext = {
    channels: inputs,
    hyperparameters: linearLearner.validateHyperparameters(hp),
    modelDir,
    outputDataDir: root,
    log: (line) => logs.push(line),
    signal,
    cpus: 1,
  };
  return { ctx, logs, modelDir };
}

/** Synthetic rows: features on very different scales, label from a linear rule (+ noise). */
function synthetic(n: number, kind: 'binary' | 'multiclass' | 'regression', seed = 1): { rows: number[][]; labels: number[] } {
  const rng = createRng(seed);
  const rows: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const f = [normalSample(rng) * 100 + 1000, normalSample(rng) * 0.01, normalSample(rng), normalSample(rng)];
    const s = (f[0] - 1000) / 100 + 2 * (f[1] / 0.01) - f[2];
    labels.push(kind === 'binary' ? (s + 0.3 * normalSample(rng) > 0 ? 1 : 0) : kind === 'multiclass' ? (s < -1 ? 0 : s < 1 ? 1 : 2) : 5 * s + 40 + 0.1 * normalSample(rng));
    rows.push(f);
  }
  return { rows, labels };
}

const labelFirstCsv = (d: { rows: number[][]; labels: number[] }) => d.rows.map((r, i) => [d.labels[i], ...r].join(',')).join('\n') + '\n';
const featuresOf = (d: { rows: number[][] }) => Float64Array.from(d.rows.flat());

function metricValues(logs: string[], name: string): number[] {
  const def = linearLearner.metricDefinitions.find((m) => m.name === name);
  if (!def) throw new Error(`no metric definition ${name}`);
  const re = new RegExp(def.regex);
  return logs.flatMap((l) => {
    const m = re.exec(l);
    return m ? [Number(m[1])] : [];
  });
}

describe('linear-learner training', () => {
  it('trains a binary classifier whose saved predictor reproduces the final training metrics', async () => {
    const data = synthetic(3000, 'binary');
    const { ctx, logs, modelDir } = await job({ train: { csv: labelFirstCsv(data) } }, { predictor_type: 'binary_classifier', mini_batch_size: '100' });
    await linearLearner.train(ctx);
    const epochLines = logs.filter((l) => l.startsWith('#metrics epoch='));
    expect(epochLines.length).toBeGreaterThan(0);
    expect(epochLines[0]).toMatch(/^#metrics epoch=1 train:objective_loss=\S+ train:binary_classification_accuracy=\S+$/);
    expect(metricValues(logs, 'train:objective_loss').length).toBe(epochLines.length + 1);
    const finalAccuracy = metricValues(logs, 'train:binary_classification_accuracy').at(-1) as number;
    expect(finalAccuracy).toBeGreaterThan(0.9);
    expect(logs.some((l) => /channel 'train': 3000 rows × 4 features from 1 file/.test(l))).toBe(true);

    const predictor = await linearLearner.loadPredictor(modelDir);
    const recs = predictor.predict(featuresOf(data), data.rows.length);
    const correct = recs.filter((r, i) => r.predicted_label === data.labels[i]).length;
    expect(correct / data.rows.length).toBeCloseTo(finalAccuracy, 5);
    const manifest = JSON.parse(await readFile(join(modelDir, 'manifest.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest).toMatchObject({ format: 'stratus.linear-learner', predictorType: 'binary_classifier', numClasses: 2, featureCount: 4 });
    expect(typeof manifest.threshold).toBe('number');
  });

  it('reads header channels by targetColumn, stops early on validation loss and reports test metrics', async () => {
    const tr = synthetic(1500, 'multiclass', 2);
    const va = synthetic(300, 'multiclass', 3);
    const te = synthetic(300, 'multiclass', 4);
    const csv = (d: typeof tr) => 'a,b,label,c,d\n' + d.rows.map((r, i) => [r[0], r[1], d.labels[i], r[2], r[3]].join(',')).join('\n') + '\n';
    const ch = (d: typeof tr): ChannelSpec => ({ csv: csv(d), header: true, targetColumn: 'label' });
    const { ctx, logs, modelDir } = await job(
      { train: ch(tr), validation: ch(va), test: ch(te) },
      { predictor_type: 'multiclass_classifier', num_classes: '3', mini_batch_size: '50', epochs: '40', early_stopping_patience: '2', early_stopping_tolerance: '0.05' },
    );
    await linearLearner.train(ctx);
    const epochs = logs.filter((l) => l.startsWith('#metrics'));
    expect(epochs.length).toBeLessThan(40);
    expect(epochs[0]).toContain('validation:multiclass_accuracy=');
    expect(metricValues(logs, 'test:multiclass_accuracy')[0]).toBeGreaterThan(0.85);
    expect(metricValues(logs, 'validation:multiclass_top_k_accuracy').at(-1)).toBe(1);
    const manifest = JSON.parse(await readFile(join(modelDir, 'manifest.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest.featureNames).toEqual(['a', 'b', 'c', 'd']);
    expect(manifest.numClasses).toBe(3);
  });

  it('trains a regressor with normalized labels', async () => {
    const data = synthetic(2000, 'regression', 5);
    const { ctx, logs, modelDir } = await job({ train: { csv: labelFirstCsv(data) } }, { predictor_type: 'regressor', mini_batch_size: '50', epochs: '30' });
    await linearLearner.train(ctx);
    expect(metricValues(logs, 'train:rmse').at(-1)).toBeLessThan(0.5);
    const recs = (await linearLearner.loadPredictor(modelDir)).predict(featuresOf(data), data.rows.length);
    expect(Math.abs((recs[0].score as number) - data.labels[0])).toBeLessThan(1);
  });

  it('is reproducible for a seed and changes with it', async () => {
    const csv = labelFirstCsv(synthetic(500, 'binary', 6));
    const blob = async (seed: string) => {
      const { ctx, modelDir } = await job({ train: { csv } }, { predictor_type: 'binary_classifier', mini_batch_size: '32', seed });
      await linearLearner.train(ctx);
      return readFile(join(modelDir, 'model.bin'));
    };
    const a = await blob('7');
    expect((await blob('7')).equals(a)).toBe(true);
    expect((await blob('8')).equals(a)).toBe(false);
  });

  it('handles missing feature cells and keeps the bias at 0 without use_bias', async () => {
    const csv = '1,1,,3\n0,-1,2,\n1,2,1,1\n0,-2,0,0\n';
    const { ctx, modelDir } = await job({ train: { csv } }, { predictor_type: 'binary_classifier', use_bias: 'false' });
    await linearLearner.train(ctx);
    const blob = await readFile(join(modelDir, 'model.bin'));
    const values = Array.from({ length: blob.length / 8 }, (_, i) => blob.readDoubleLE(8 * i));
    expect(values.every(Number.isFinite)).toBe(true);
    expect(values[3]).toBe(0);
  });

  it('names the file, line and column of a label outside the classes', async () => {
    const { ctx } = await job({ train: { csv: '0,1\n1,2\n\n3,4\n' } }, { predictor_type: 'multiclass_classifier', num_classes: '3' });
    await expect(linearLearner.train(ctx)).rejects.toMatchObject({
      code: 'ValidationError',
      message: "row 4, column 1: label 3 is not a class: expected an integer from 0 to 2 (num_classes is 3) (file 'data.csv')",
    });
    const binary = await job({ train: { csv: '0,1\n2,2\n' } }, { predictor_type: 'binary_classifier' });
    await expect(linearLearner.train(binary.ctx)).rejects.toThrow(/row 2, column 1: label 2 is not 0 or 1/);
  });

  it('rejects a missing train channel, other content types and mismatched channels', async () => {
    const hp = { predictor_type: 'binary_classifier' };
    const noTrain = await job({ validation: { csv: '0,1\n' } }, hp);
    await expect(linearLearner.train(noTrain.ctx)).rejects.toThrow(/needs a 'train' channel/);
    const proto = await job({ train: { csv: '0,1\n', contentType: 'application/x-recordio-protobuf' } }, hp);
    await expect(linearLearner.train(proto.ctx)).rejects.toThrow(/reads text\/csv; channel 'train'/);
    const mismatch = await job({ train: { csv: '0,1,2\n1,2,3\n' }, validation: { csv: '0,1\n' } }, hp);
    await expect(linearLearner.train(mismatch.ctx)).rejects.toThrow(/channel 'validation' has 1 features but channel 'train' has 2/);
    const dim = await job({ train: { csv: '0,1,2\n1,2,3\n' } }, { ...hp, feature_dim: '3' });
    await expect(linearLearner.train(dim.ctx)).rejects.toThrow(/'feature_dim' is 3/);
  });

  it('stops when the job is cancelled', async () => {
    const controller = new AbortController();
    const { ctx } = await job({ train: { csv: labelFirstCsv(synthetic(200, 'binary')) } }, { predictor_type: 'binary_classifier' }, controller.signal);
    ctx.log = (line) => {
      if (line.startsWith('#metrics epoch=1 ')) controller.abort(new Error('cancelled'));
    };
    await expect(linearLearner.train(ctx)).rejects.toThrow('cancelled');
  });

  it('declares a metric definition that compiles for every logged metric', () => {
    for (const m of linearLearner.metricDefinitions) expect(new RegExp(m.regex).source).toContain('(\\S+)');
    const names = linearLearner.metricDefinitions.map((m) => m.name);
    expect(names).toEqual(expect.arrayContaining(['validation:objective_loss', 'train:rmse', 'test:multiclass_accuracy', 'validation:roc_auc_score']));
  });
});
