/**
 * Our gradient-boosted trees engine against python3-xgboost 1.7 on clf_1m (800k × 28 train,
 * 200k test, binary).
 *
 *   node --import tsx bench/xgboost.bench.ts [--reps 1]
 *
 * Generates bench/data/clf_1m (git-ignored) with /work/shared/anchors/gen_data.py when missing,
 * then in one run, on the same CSVs and the same hyperparameters (hist, 100 rounds, max_depth 6,
 * eta 0.3, 2 threads):
 * - ours: CSV parse timed separately; "train" = trainBooster incl. quantile binning, with
 *   nthread 2 (main thread + 1 worker); test AUC from the trees' margins;
 * - xgboost: pandas parse timed separately; "train" = XGBClassifier(tree_method='hist',
 *   n_jobs=2).fit incl. its DMatrix construction, as /work/shared/anchors/bench_sklearn.py.
 * Peak RSS: this process's maxRSS (process.resourceUsage) for ours, resource.getrusage in the
 * python child for xgboost; both include the parsed train and test sets.
 * Prints a markdown table and writes it to bench/results/xgboost.md.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rocAucImpl, splitSortedImpl } from '../src/algorithms/kernels/classification-metrics.js';
import { trainBooster, type BoosterParams, type TrainingMatrix } from '../src/algorithms/xgboost/engine/index.js';
import { addTreeMargins } from '../src/algorithms/xgboost/engine/margins.js';
import { readNumericTable, type NumericTable } from '../src/data/numeric-table.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const DATA = join(REPO, 'bench', 'data');
const RESULTS = join(REPO, 'bench', 'results', 'xgboost.md');
const PYTHON = process.env.STRATUS_PYTHON ?? '/usr/bin/python3';
const GEN_DATA = '/work/shared/anchors/gen_data.py';
const TRAIN_CSV = join(DATA, 'clf_1m', 'train.csv');
const TEST_CSV = join(DATA, 'clf_1m', 'test.csv');
const THREAD_ENV = { OMP_NUM_THREADS: '2', OPENBLAS_NUM_THREADS: '2' };

interface Row {
  name: string;
  parse: number;
  trains: number[];
  /** CPU seconds (user + system, all threads) of each train. */
  cpus: number[];
  auc: number;
  rssMb: number;
  note: string;
}

function ensureData(): void {
  if (existsSync(TRAIN_CSV) && existsSync(TEST_CSV)) return;
  console.log(`generating clf_1m into ${DATA} (about a minute)…`);
  const run = spawnSync(PYTHON, [GEN_DATA, '--only', 'clf_1m', '--out', DATA], { stdio: 'inherit' });
  if (run.status !== 0) throw new Error(`${GEN_DATA} failed (needs scikit-learn and pandas for ${PYTHON})`);
}

const PARAMS: BoosterParams = {
  objective: 'binary:logistic', num_class: 1, num_round: 100, eta: 0.3, gamma: 0, max_depth: 6, max_leaves: 0,
  grow_policy: 'depthwise', min_child_weight: 1, lambda: 1, alpha: 0, max_delta_step: 0, subsample: 1,
  colsample_bytree: 1, colsample_bylevel: 1, colsample_bynode: 1, scale_pos_weight: 1, base_score: 0.5, seed: 0,
  max_bin: 256, eval_metric: [], nthread: 2,
};

function toMatrix(t: NumericTable): TrainingMatrix {
  return { rows: t.rows, cols: t.cols, features: Float32Array.from(t.features), labels: Float32Array.from(t.labels) };
}

async function ours(reps: number): Promise<Row> {
  const t0 = performance.now();
  const trainTable = await readNumericTable([TRAIN_CSV], { header: false });
  const parse = (performance.now() - t0) / 1000;
  const train = toMatrix(trainTable);
  const testTable = await readNumericTable([TEST_CSV], { header: false });
  const test = toMatrix(testTable);
  const trains: number[] = [];
  const cpuSecs: number[] = [];
  let model;
  for (let rep = 0; rep < reps; rep++) {
    const t = performance.now();
    const c0 = process.cpuUsage();
    model = await trainBooster(train, PARAMS);
    trains.push((performance.now() - t) / 1000);
    const c = process.cpuUsage(c0);
    cpuSecs.push((c.user + c.system) / 1e6);
  }
  const margin = new Float64Array(test.rows);
  for (const tree of model!.trees) addTreeMargins(tree, test.features, test.rows, test.cols, margin, 1, 0);
  const leaves = model!.trees.reduce((s, t) => s + t.left.filter((l) => l === -1).length, 0);
  return {
    name: 'Stratus xgboost engine (hist, nthread 2)',
    parse,
    trains,
    cpus: cpuSecs,
    auc: rocAucImpl(splitSortedImpl(margin, testTable.labels, test.rows)),
    rssMb: process.resourceUsage().maxRSS / 1024,
    note: `${model!.trees.length} trees, ${leaves} leaves; train = binning + boosting`,
  };
}

const XGB_SCRIPT = `
import json, resource, sys, time
import numpy as np, pandas as pd, xgboost as xgb
from sklearn.metrics import roc_auc_score
train_csv, test_csv, reps = sys.argv[1], sys.argv[2], int(sys.argv[3])
t = time.perf_counter(); A = pd.read_csv(train_csv, header=None, dtype=np.float64).to_numpy(); parse = time.perf_counter() - t
B = pd.read_csv(test_csv, header=None, dtype=np.float64).to_numpy()
y, X = A[:, 0].copy(), np.ascontiguousarray(A[:, 1:]); yt, Xt = B[:, 0], np.ascontiguousarray(B[:, 1:])
fits, cpus = [], []
cpu = lambda: sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
for _ in range(reps):
  m = xgb.XGBClassifier(tree_method='hist', n_estimators=100, max_depth=6, learning_rate=0.3, n_jobs=2)
  t = time.perf_counter(); c = cpu(); m.fit(X, y); fits.append(time.perf_counter() - t); cpus.append(cpu() - c)
p = m.predict_proba(Xt)[:, 1]
leaves = sum(1 for line in m.get_booster().get_dump() for l in line.split('\\n') if 'leaf=' in l)
print(json.dumps({'parse': parse, 'fits': fits, 'cpus': cpus, 'auc': roc_auc_score(yt, p), 'rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 'version': xgb.__version__, 'leaves': leaves}))
`;

function xgboost(reps: number): { row: Row; version: string } {
  const run = spawnSync(PYTHON, ['-c', XGB_SCRIPT, TRAIN_CSV, TEST_CSV, String(reps)], {
    encoding: 'utf8',
    env: { ...process.env, ...THREAD_ENV },
    maxBuffer: 1 << 20,
  });
  if (run.status !== 0) throw new Error(`xgboost run failed: ${run.stderr}`);
  const out = JSON.parse(run.stdout) as { parse: number; fits: number[]; cpus: number[]; auc: number; rss_mb: number; version: string; leaves: number };
  return {
    version: out.version,
    row: {
      name: 'python3-xgboost XGBClassifier(hist, n_jobs=2)',
      parse: out.parse,
      trains: out.fits,
      cpus: out.cpus,
      auc: out.auc,
      rssMb: out.rss_mb,
      note: `100 trees, ${out.leaves} leaves; train = fit incl. DMatrix construction`,
    },
  };
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const fmt = (s: number) => s.toFixed(2);

function table(rows: Row[], reps: number, version: string): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const [a, b] = rows;
  return [
    `## xgboost engine vs python3-xgboost on clf_1m (800k × 28 train, 200k test)`,
    '',
    `Measured ${new Date().toISOString()} on ${cpus().length} × ${cpu}, Node ${process.version}, xgboost ${version} (${PYTHON}).`,
    `100 rounds, max_depth 6, eta 0.3, max_bin 256, 2 threads. Train times are min / median of ${reps} run(s); CSV parse is timed separately.`,
    '',
    '| implementation | parse train CSV s | train s min / median | train CPU s (median) | test AUC | peak RSS MB | notes |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.name} | ${fmt(r.parse)} | ${fmt(Math.min(...r.trains))} / ${fmt(median(r.trains))} | ${fmt(median(r.cpus))} | ${r.auc.toFixed(4)} | ${r.rssMb.toFixed(0)} | ${r.note} |`),
    '',
    `Ratios (ours / xgboost): train time ${(median(a.trains) / median(b.trains)).toFixed(2)}×, train CPU ${(median(a.cpus) / median(b.cpus)).toFixed(2)}×, peak RSS ${(a.rssMb / b.rssMb).toFixed(2)}×, AUC difference ${(a.auc - b.auc).toFixed(4)}.`,
    'Targets: time ≤ 1.5×, RSS ≤ 2×, |ΔAUC| ≤ 0.002. The machine is shared: compare rows from the same run only;',
    `load average at the end of the run: ${loadavg().map((l) => l.toFixed(2)).join(' ')} (CPU seconds are less sensitive to other load than wall time).`,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const repsArg = process.argv.indexOf('--reps');
  const reps = repsArg > 0 ? Number(process.argv[repsArg + 1]) : 1;
  ensureData();
  const mine = await ours(reps);
  const x = xgboost(reps);
  const md = table([mine, x.row], reps, x.version);
  console.log(md);
  await mkdir(dirname(RESULTS), { recursive: true });
  await writeFile(RESULTS, md);
  console.log(`written to ${RESULTS}`);
}

await main();
