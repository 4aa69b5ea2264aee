/**
 * Parity of the built-in xgboost with python3-xgboost 1.7 (Debian's, via /usr/bin/python3 or
 * $STRATUS_PYTHON) on the bundled datasets and a generated regression set: the same seeded 80/20
 * split and hyperparameters; our model trained through `xgboost.train` in a job-like folder.
 * Checks (1) test AUC / accuracy / RMSE within 1 % of XGBoost's, and (2) that XGBoost itself loads
 * our `xgboost-model` file and predicts what our predictor predicts (max abs difference ≤ 1e-5).
 * Skipped when the interpreter lacks xgboost.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrainContext } from '../../src/algorithms/algorithm.js';
import { rocAucImpl, splitSortedImpl } from '../../src/algorithms/kernels/classification-metrics.js';
import { createRng, normalSample, shuffleImpl } from '../../src/algorithms/kernels/rng.js';
import { xgboost } from '../../src/algorithms/xgboost/index.js';
import { parseNumericCsv } from '../../src/data/numeric-table.js';
import { DATASETS } from '../helpers/shared.js';

const PYTHON = process.env.STRATUS_PYTHON ?? '/usr/bin/python3';
const xgboostAvailable = spawnSync(PYTHON, ['-c', 'import xgboost, sklearn'], { stdio: 'ignore' }).status === 0;

/** Trains XGBoost on train.csv, evaluates on test.csv, and predicts test.csv with our model file. */
const PYTHON_SCRIPT = `
import json, sys, numpy as np, xgboost as xgb
from sklearn.metrics import roc_auc_score, accuracy_score, mean_squared_error
tr = np.loadtxt(sys.argv[1], delimiter=',', ndmin=2)
te = np.loadtxt(sys.argv[2], delimiter=',', ndmin=2)
params = json.loads(sys.argv[3]); num_round = int(params.pop('num_round'))
ours = xgb.Booster(); ours.load_model(sys.argv[4])
dtr = xgb.DMatrix(tr[:, 1:], label=tr[:, 0]); dte = xgb.DMatrix(te[:, 1:], label=te[:, 0])
theirs = xgb.train(params, dtr, num_round)
p = theirs.predict(dte); y = te[:, 0]; obj = params['objective']
if obj == 'binary:logistic': score = roc_auc_score(y, p)
elif obj == 'multi:softprob': score = accuracy_score(y, p.argmax(axis=1))
elif obj == 'multi:softmax': score = accuracy_score(y, p)
else: score = mean_squared_error(y, p) ** 0.5
print(json.dumps({'score': float(score), 'ours_by_xgboost': ours.predict(dte).reshape(-1).tolist()}))
`;

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'xgb-parity-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Seeded 80/20 split of label-first CSV lines. */
function split(lines: string[], seed: number): { train: string[]; test: string[] } {
  const order = Uint32Array.from(lines.keys());
  shuffleImpl(order, createRng(seed));
  const cut = Math.round(lines.length * 0.8);
  return { train: Array.from(order.subarray(0, cut), (i) => lines[i]), test: Array.from(order.subarray(cut), (i) => lines[i]) };
}

/** A Friedman #1 regression set (10 features, 5 informative) with Gaussian noise. */
function friedmanLines(rows: number, seed: number): string[] {
  const rng = createRng(seed);
  const out: string[] = [];
  for (let r = 0; r < rows; r++) {
    const x = Array.from({ length: 10 }, () => rng.next());
    const y = 10 * Math.sin(Math.PI * x[0] * x[1]) + 20 * (x[2] - 0.5) ** 2 + 10 * x[3] + 5 * x[4] + normalSample(rng);
    out.push([y, ...x].map((v) => v.toPrecision(8)).join(','));
  }
  return out;
}

async function trainOurs(dir: string, trainCsv: string, hp: Record<string, string>): Promise<string> {
  const channel = join(dir, 'input', 'data', 'train');
  await mkdir(channel, { recursive: true });
  await writeFile(join(channel, 'train.csv'), trainCsv);
  const modelDir = join(dir, 'model');
  await mkdir(modelDir, { recursive: true });
  const ctx: TrainContext = {
    channels: { train: { path: channel, contentType: 'text/csv', header: false } },
    hyperparameters: xgboost.validateHyperparameters(hp),
    modelDir,
    outputDataDir: join(dir, 'output'),
    log: () => {},
    signal: new AbortController().signal,
    cpus: 2,
  };
  await xgboost.train(ctx);
  return modelDir;
}

function scoreOf(objective: string, predictions: Float64Array, labels: Float64Array, K: number): number {
  const n = labels.length;
  if (objective === 'binary:logistic') {
    return rocAucImpl(splitSortedImpl(predictions, labels, n));
  }
  if (objective.startsWith('multi:')) {
    let right = 0;
    for (let i = 0; i < n; i++) {
      let label = predictions[i];
      if (objective === 'multi:softprob') {
        label = 0;
        for (let k = 1; k < K; k++) if (predictions[i * K + k] > predictions[i * K + label]) label = k;
      }
      if (label === labels[i]) right++;
    }
    return right / n;
  }
  let sq = 0;
  for (let i = 0; i < n; i++) sq += (predictions[i] - labels[i]) ** 2;
  return Math.sqrt(sq / n);
}

const CASES = [
  { name: 'breast_cancer', hp: { objective: 'binary:logistic', num_round: '50', max_depth: '4', eta: '0.3' }, K: 1 },
  { name: 'wine', hp: { objective: 'multi:softprob', num_class: '3', num_round: '30', max_depth: '3', eta: '0.3' }, K: 3 },
  { name: 'iris', hp: { objective: 'multi:softmax', num_class: '3', num_round: '20', max_depth: '3', eta: '0.3' }, K: 1 },
  { name: 'friedman1', hp: { objective: 'reg:squarederror', num_round: '100', max_depth: '5', eta: '0.1' }, K: 1 },
] as const;

describe.skipIf(!xgboostAvailable)(`xgboost parity with python3-xgboost (${PYTHON})`, () => {
  for (const c of CASES) {
    it(`matches XGBoost's test ${c.hp.objective === 'binary:logistic' ? 'AUC' : c.hp.objective.startsWith('multi') ? 'accuracy' : 'RMSE'} on ${c.name}, and XGBoost reads our model`, async () => {
      const dir = join(root, c.name);
      await mkdir(dir, { recursive: true });
      const lines = c.name === 'friedman1' ? friedmanLines(10_000, 7) : (await readFile(join(DATASETS, `${c.name}.csv`), 'utf8')).trim().split('\n');
      const { train, test } = split(lines, 11);
      await writeFile(join(dir, 'train.csv'), train.join('\n') + '\n');
      await writeFile(join(dir, 'test.csv'), test.join('\n') + '\n');
      const modelDir = await trainOurs(dir, train.join('\n') + '\n', c.hp);

      const testTable = parseNumericCsv(Buffer.from(test.join('\n')), { header: false });
      const predictor = await xgboost.loadPredictor(modelDir);
      const records = predictor.predict(testTable.features, testTable.rows);
      const ours = Float64Array.from(records.flatMap((r) => (Array.isArray(r.score) ? r.score : [r.score])));
      const ourScore = scoreOf(c.hp.objective, ours, testTable.labels, c.K);

      const py = spawnSync(PYTHON, ['-c', PYTHON_SCRIPT, join(dir, 'train.csv'), join(dir, 'test.csv'), JSON.stringify({ ...c.hp, nthread: 2, tree_method: 'hist' }), join(modelDir, 'xgboost-model')], { encoding: 'utf8' });
      expect(py.status, py.stderr).toBe(0);
      const result = JSON.parse(py.stdout) as { score: number; ours_by_xgboost: number[] };
      console.log(`${c.name}: Stratus ${ourScore.toFixed(4)}, XGBoost ${result.score.toFixed(4)} (${testTable.rows} test rows)`);
      if (c.hp.objective.startsWith('reg:')) expect(ourScore).toBeLessThanOrEqual(result.score * 1.01);
      else expect(ourScore).toBeGreaterThanOrEqual(result.score * 0.99);

      expect(result.ours_by_xgboost).toHaveLength(ours.length);
      let maxDiff = 0;
      for (let i = 0; i < ours.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ours[i] - result.ours_by_xgboost[i]));
      expect(maxDiff).toBeLessThanOrEqual(1e-5);
    });
  }
});
