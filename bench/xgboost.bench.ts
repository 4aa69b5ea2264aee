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
 * - batch prediction throughput on the 200k test rows (rows/s, best / median of PRED_REPS
 *   timed calls after one warm-up): ours = predictParallel(compileForest(model), test features)
 *   with 2 threads (this one + one pooled worker; the warm-up call starts the worker), plus the
 *   one-thread predict's CPU time per call in the notes (the compileForest time is reported separately); xgboost = Booster.predict on
 *   a DMatrix built with nthread 2 (a fresh DMatrix per call, built outside the timer, so
 *   XGBoost's per-DMatrix prediction cache cannot answer from an earlier call).
 * Peak RSS: this process's maxRSS (process.resourceUsage) for ours, resource.getrusage in the
 * python child for xgboost; both include the parsed train and test sets.
 * Prints a markdown table and writes it to bench/results/xgboost.md.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { rocAucImpl, splitSortedImpl } from '../src/algorithms/kernels/classification-metrics.js';
import { trainBooster, type BoosterParams, type TrainingMatrix } from '../src/algorithms/xgboost/engine/index.js';
import { addTreeMargins } from '../src/algorithms/xgboost/engine/margins.js';
import { compileForest, predict } from '../src/algorithms/xgboost/predict.js';
import { closePredictPool, predictParallel } from '../src/algorithms/xgboost/predict/parallel.js';
import { readNumericTable, type NumericTable } from '../src/data/numeric-table.js';
import { ensureClf1m, PYTHON, REPO, TEST_CSV, THREAD_ENV, TRAIN_CSV } from './clf-1m.js';

const RESULTS = join(REPO, 'bench', 'results', 'xgboost.md');
const PRED_REPS = 7;

interface Row {
  name: string;
  parse: number;
  trains: number[];
  /** CPU seconds (user + system, all threads) of each train. */
  cpus: number[];
  auc: number;
  rssMb: number;
  note: string;
  /** Seconds of each timed batch prediction over the test rows. */
  preds: number[];
  /** CPU seconds of each timed prediction. */
  predCpus: number[];
  testRows: number;
  predNote: string;
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
  // Batch prediction: compile once, then score the whole test set per call (one warm-up call).
  const tc = performance.now();
  const forest = compileForest(model!);
  const compileMs = performance.now() - tc;
  const out = new Float64Array(test.rows);
  // One thread first (CPU time per tree-row), then the parallel path the row reports.
  predict(forest, test.features, out);
  const oneCpus: number[] = [];
  for (let rep = 0; rep < PRED_REPS; rep++) {
    const c0 = process.cpuUsage();
    predict(forest, test.features, out);
    const c = process.cpuUsage(c0);
    oneCpus.push((c.user + c.system) / 1e6);
  }
  const nsPerTreeRow = (median(oneCpus) * 1e9) / (test.rows * forest.treeCount);
  await predictParallel(forest, test.features, out, PARAMS.nthread);
  const preds: number[] = [], predCpus: number[] = [];
  for (let rep = 0; rep < PRED_REPS; rep++) {
    const t = performance.now();
    const c0 = process.cpuUsage();
    await predictParallel(forest, test.features, out, PARAMS.nthread);
    preds.push((performance.now() - t) / 1000);
    const c = process.cpuUsage(c0);
    predCpus.push((c.user + c.system) / 1e6);
  }
  await closePredictPool();
  let maxDiff = 0;
  for (let i = 0; i < test.rows; i++) maxDiff = Math.max(maxDiff, Math.abs(out[i] - 1 / (1 + Math.exp(-margin[i]))));
  return {
    name: 'Stratus xgboost engine (hist, nthread 2)',
    parse,
    trains,
    cpus: cpuSecs,
    auc: rocAucImpl(splitSortedImpl(margin, testTable.labels, test.rows)),
    rssMb: process.resourceUsage().maxRSS / 1024,
    note: `${model!.trees.length} trees, ${leaves} leaves; train = binning + boosting`,
    preds,
    predCpus,
    testRows: test.rows,
    predNote: `predictParallel(compileForest(model), Float32Array) with 2 threads (caller + 1 pooled worker, started by the warm-up call); one thread: predict at ${(1000 * median(oneCpus)).toFixed(1)} CPU ms per call (median), ${nsPerTreeRow.toFixed(1)} ns per tree-row; compileForest ${compileMs.toFixed(1)} ms once; max abs. difference from the trees' margins ${maxDiff.toExponential(1)}`,
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
bst = m.get_booster(); bst.set_param({'nthread': 2})
bst.predict(xgb.DMatrix(Xt, nthread=2))
preds, pcpus = [], []
for _ in range(int(sys.argv[4])):
  dm = xgb.DMatrix(Xt, nthread=2)
  t = time.perf_counter(); c = cpu(); q = bst.predict(dm); preds.append(time.perf_counter() - t); pcpus.append(cpu() - c)
  del dm
pdiff = float(np.max(np.abs(q - p)))
leaves = sum(1 for line in m.get_booster().get_dump() for l in line.split('\\n') if 'leaf=' in l)
print(json.dumps({'parse': parse, 'fits': fits, 'cpus': cpus, 'auc': roc_auc_score(yt, p), 'rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 'version': xgb.__version__, 'leaves': leaves, 'preds': preds, 'pcpus': pcpus, 'pdiff': pdiff}))
`;

function xgboost(reps: number): { row: Row; version: string } {
  const run = spawnSync(PYTHON, ['-c', XGB_SCRIPT, TRAIN_CSV, TEST_CSV, String(reps), String(PRED_REPS)], {
    encoding: 'utf8',
    env: { ...process.env, ...THREAD_ENV },
    maxBuffer: 1 << 20,
  });
  if (run.status !== 0) throw new Error(`xgboost run failed: ${run.stderr}`);
  const out = JSON.parse(run.stdout) as {
    parse: number; fits: number[]; cpus: number[]; auc: number; rss_mb: number; version: string; leaves: number; preds: number[]; pcpus: number[]; pdiff: number;
  };
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
      preds: out.preds,
      predCpus: out.pcpus,
      testRows: 200_000,
      predNote: `Booster.predict(DMatrix(Xt, nthread=2)) with nthread 2, DMatrix built outside the timer; max abs. difference from predict_proba ${out.pdiff.toExponential(1)}`,
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
    `### Batch prediction on the ${a.testRows.toLocaleString('en-US')} test rows (${PRED_REPS} timed calls after one warm-up)`,
    '',
    '| implementation | rows/s best | rows/s median | ms per call (median) | CPU ms per call (median) | how |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.name.replace(/ \(.*/, '')} | ${Math.round(r.testRows / Math.min(...r.preds)).toLocaleString('en-US')} | ${Math.round(r.testRows / median(r.preds)).toLocaleString('en-US')} | ${(1000 * median(r.preds)).toFixed(1)} | ${(1000 * median(r.predCpus)).toFixed(1)} | ${r.predNote} |`),
    '',
    `Prediction throughput ratio (ours / xgboost, median rows/s): ${(median(b.preds) / median(a.preds)).toFixed(2)}×.`,
    '',
    'Command lines:',
    '',
    '```',
    `node --import tsx bench/xgboost.bench.ts${reps !== 1 ? ` --reps ${reps}` : ''}`,
    `# which runs, for the xgboost rows (script inlined in bench/xgboost.bench.ts as XGB_SCRIPT):`,
    `OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 ${PYTHON} -c "$XGB_SCRIPT" ${TRAIN_CSV.replace(REPO + '/', '')} ${TEST_CSV.replace(REPO + '/', '')} ${reps} ${PRED_REPS}`,
    '```',
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const repsArg = process.argv.indexOf('--reps');
  const reps = repsArg > 0 ? Number(process.argv[repsArg + 1]) : 1;
  ensureClf1m();
  const mine = await ours(reps);
  const x = xgboost(reps);
  const md = table([mine, x.row], reps, x.version);
  console.log(md);
  await mkdir(dirname(RESULTS), { recursive: true });
  await writeFile(RESULTS, md);
  console.log(`written to ${RESULTS}`);
}

await main();
