/**
 * linear-learner against scikit-learn on clf_1m (800k × 28 train, 200k test, binary).
 *
 *   node --import tsx bench/linear-learner.bench.ts [--reps 3]
 *
 * Generates bench/data/clf_1m with /work/shared/anchors/gen_data.py when missing, then in one run:
 * - ours: `linearLearner.train` on a job folder with the train channel; parse and fit times come
 *   from its phase log (fit = normalize + optimize + threshold selection, the counterpart of a
 *   scikit-learn pipeline's fit, which includes StandardScaler); test AUC from the saved model's
 *   predictor on the 200k test rows;
 * - scikit-learn: StandardScaler + SGDClassifier(log_loss) and StandardScaler +
 *   LogisticRegression(lbfgs), timed like /work/shared/anchors/bench_sklearn.py (fit on in-memory
 *   float64 arrays, CSV parse by pandas timed separately, OMP/OpenBLAS threads = 2).
 * Prints a markdown table and writes it to bench/results/linear-learner.md.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { rocAucImpl, splitSortedImpl } from '../src/algorithms/kernels/classification-metrics.js';
import { linearLearner } from '../src/algorithms/linear-learner/index.js';
import { readNumericTable } from '../src/data/numeric-table.js';
import { ensureClf1m, PYTHON, REPO, TEST_CSV, THREAD_ENV, TRAIN_CSV } from './clf-1m.js';

const RESULTS = join(REPO, 'bench', 'results', 'linear-learner.md');

interface Row {
  name: string;
  parse: string;
  fits: number[];
  auc: number;
  accuracy: number;
  note: string;
}

/** One training run through the algorithm's public entry point; returns its phase timings. */
async function trainOnce(root: string, rep: number): Promise<{ modelDir: string; seconds: Record<string, number>; epochs: string }> {
  const trainDir = join(root, 'input', 'data', 'train');
  const modelDir = join(root, `model-${rep}`);
  await mkdir(modelDir, { recursive: true });
  const logs: string[] = [];
  await linearLearner.train({
    channels: { train: { path: trainDir, contentType: 'text/csv', header: false } },
    hyperparameters: linearLearner.validateHyperparameters({ predictor_type: 'binary_classifier' }),
    modelDir,
    outputDataDir: root,
    log: (line) => logs.push(line),
    signal: new AbortController().signal,
    cpus: cpus().length,
  });
  const timing = logs.find((l) => l.startsWith('linear-learner: seconds ')) ?? '';
  const seconds = Object.fromEntries([...timing.matchAll(/(\w+)=([\d.]+)/g)].map((m) => [m[1], Number(m[2])]));
  const epochs = /ran (\d+) of (\d+) epochs, kept epoch (\d+)/.exec(logs.join('\n'));
  return { modelDir, seconds, epochs: epochs ? `${epochs[1]} epochs run, epoch ${epochs[3]} kept` : '' };
}

async function ours(reps: number): Promise<Row> {
  const root = await mkdtemp(join(tmpdir(), 'll-bench-'));
  try {
    const trainDir = join(root, 'input', 'data', 'train');
    await mkdir(trainDir, { recursive: true });
    await symlink(TRAIN_CSV, join(trainDir, 'train.csv'));
    const runs = [];
    for (let rep = 0; rep < reps; rep++) runs.push(await trainOnce(root, rep));
    const fits = runs.map((r) => r.seconds.normalize + r.seconds.optimize + r.seconds.threshold);
    const parses = runs.map((r) => r.seconds.read);
    const test = await readNumericTable([TEST_CSV], { header: false });
    const predictor = await linearLearner.loadPredictor(runs[runs.length - 1].modelDir);
    const t0 = performance.now();
    const recs = predictor.predict(test.features, test.rows);
    const predictSeconds = (performance.now() - t0) / 1000;
    const scores = Float64Array.from(recs, (r) => r.score as number);
    const correct = recs.filter((r, i) => r.predicted_label === test.labels[i]).length;
    const o = runs[runs.length - 1];
    return {
      name: 'Stratus linear-learner (defaults: adam, mini_batch_size 1000, 1 thread)',
      parse: `${fmt(median(parses))} (${(200.8 / median(parses)).toFixed(0)} MB/s)`,
      fits,
      auc: rocAucImpl(splitSortedImpl(scores, test.labels, test.rows)),
      accuracy: correct / test.rows,
      note: `${o.epochs}; normalize ${fmt(o.seconds.normalize)} + optimize ${fmt(o.seconds.optimize)} + threshold ${fmt(o.seconds.threshold)} s; predict 200k ${fmt(predictSeconds)} s`,
    };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

const SKLEARN_SCRIPT = `
import json, sys, time
import numpy as np, pandas as pd, sklearn
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.metrics import roc_auc_score, accuracy_score
train_csv, test_csv, reps = sys.argv[1], sys.argv[2], int(sys.argv[3])
t = time.perf_counter(); A = pd.read_csv(train_csv, header=None, dtype=np.float64).to_numpy(); parse = time.perf_counter() - t
B = pd.read_csv(test_csv, header=None, dtype=np.float64).to_numpy()
y, X = A[:, 0].copy(), np.ascontiguousarray(A[:, 1:]); yt, Xt = B[:, 0], np.ascontiguousarray(B[:, 1:])
models = {
  'sgd': lambda: make_pipeline(StandardScaler(), SGDClassifier(loss='log_loss', random_state=0)),
  'lbfgs': lambda: make_pipeline(StandardScaler(), LogisticRegression(solver='lbfgs', max_iter=100)),
}
out = {'parse': parse, 'sklearn': sklearn.__version__}
for name, make in models.items():
  fits = []
  for _ in range(reps):
    m = make(); t = time.perf_counter(); m.fit(X, y); fits.append(time.perf_counter() - t)
  p = m.predict_proba(Xt)[:, 1]
  out[name] = {'fits': fits, 'auc': roc_auc_score(yt, p), 'accuracy': accuracy_score(yt, (p > 0.5).astype(float)), 'n_iter': int(np.asarray(m[-1].n_iter_).max())}
print(json.dumps(out))
`;

interface SklearnResult {
  fits: number[];
  auc: number;
  accuracy: number;
  n_iter: number;
}

function sklearn(reps: number): { rows: Row[]; version: string } {
  const run = spawnSync(PYTHON, ['-c', SKLEARN_SCRIPT, TRAIN_CSV, TEST_CSV, String(reps)], {
    encoding: 'utf8',
    env: { ...process.env, ...THREAD_ENV },
    maxBuffer: 1 << 20,
  });
  if (run.status !== 0) throw new Error(`scikit-learn run failed: ${run.stderr}`);
  const out = JSON.parse(run.stdout) as { parse: number; sklearn: string; sgd: SklearnResult; lbfgs: SklearnResult };
  const parse = `${fmt(out.parse)} (pandas, ${(200.8 / out.parse).toFixed(0)} MB/s)`;
  const row = (name: string, r: SklearnResult, note: string): Row => ({ name, parse, fits: r.fits, auc: r.auc, accuracy: r.accuracy, note: `${note}, ${r.n_iter} iterations` });
  return {
    version: out.sklearn,
    rows: [
      row('scikit-learn StandardScaler + SGDClassifier(log_loss)', out.sgd, 'defaults, random_state=0'),
      row('scikit-learn StandardScaler + LogisticRegression(lbfgs)', out.lbfgs, 'max_iter=100, 2 BLAS threads'),
    ],
  };
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const fmt = (s: number) => s.toFixed(2);

function table(rows: Row[], reps: number, sklearnVersion: string): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const lines = [
    `## linear-learner vs scikit-learn on clf_1m (800k × 28 train, 200k test)`,
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} on ${cpus().length} × ${cpu}, Node ${process.version}, scikit-learn ${sklearnVersion} (${PYTHON}).`,
    `Fit times are min / median of ${reps} runs on data already in memory; CSV parse is timed separately (train file, 200.8 MB).`,
    '',
    '| implementation | parse train CSV s | fit s min / median | test AUC | test accuracy | notes |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${r.parse} | ${fmt(Math.min(...r.fits))} / ${fmt(median(r.fits))} | ${r.auc.toFixed(4)} | ${r.accuracy.toFixed(4)} | ${r.note} |`,
    ),
    '',
    'Our fit = feature standardization (mean/std and in-place transform) + mini-batch Adam epochs with',
    'early stopping on the training objective + decision-threshold selection (accuracy) on the training set;',
    "scikit-learn's pipeline fit includes StandardScaler. Ours is single-threaded. Accuracy: ours at the",
    'selected threshold, scikit-learn at 0.5.',
    '',
  ];
  return lines.join('\n');
}

async function main(): Promise<void> {
  const repsArg = process.argv.indexOf('--reps');
  const reps = repsArg > 0 ? Number(process.argv[repsArg + 1]) : 3;
  ensureClf1m();
  const mine = await ours(reps);
  const sk = sklearn(reps);
  const md = table([mine, ...sk.rows], reps, sk.version);
  console.log(md);
  await mkdir(dirname(RESULTS), { recursive: true });
  await writeFile(RESULTS, md);
  console.log(`written to ${RESULTS}`);
}

await main();
