/**
 * Data-parallel xgboost on clf_1m (800k × 28 train, 200k test) on 1, 2 and 3 Slurm hosts,
 * through the real path: the Slurm fixture of the tests (test/fixtures/slurm/: munged,
 * slurmctld and three slurmd "hosts" in their own network namespaces — needs root), a Stratus
 * server with STRATUS_EXECUTOR=slurm, the training CSV uploaded as 6 objects under one artifact
 * prefix and read ShardedByS3Key (so 1, 2 and 3 hosts each get a whole number of objects), and
 * built-in xgboost training jobs on each host count (100 rounds, max_depth 6, eta 0.3, hist,
 * max_bin 256, instance type ml.m5.large = 2 CPUs per host), one at a time: 1, 2, 3 hosts, and
 * again for each further `--reps`.
 *
 *   node --import tsx bench/xgboost-hosts.bench.ts [--reps 3] [--hosts 1,2,3] [--no-reference]
 *
 * Threads: nthread 2 on 1 host, nthread 1 per host on 2 and 3 hosts (2, 2 and 3 threads in all;
 * the machine has 2 cores, so 3 hosts oversubscribe it by one thread).
 *
 * Per host count it records: the job's timestamps (created → ended, and Slurm RUNNING → ended,
 * which includes each host's start, download, CSV parse and model upload), each host's
 * "training finished in" line (parse + binning + boosting), the boosting part (that minus the
 * "data read in"), the test AUC of the job's model.tar.gz (downloaded and scored in this process
 * by the xgboost runtime: the test set is not uploaded), how far its predictions are from the
 * first 1-host model's, and each host's communication from its log: set-up (row counts, quantile
 * summaries, cuts) plus round 0, then per round after (histogram sums, metric sums), and the
 * collective's totals. python3-xgboost's single-host fit on the same CSV (n_jobs=2) runs first,
 * as the reference: its time, its AUC, and how far its test predictions are from our 1-host
 * model's (the scale of the difference between two equally good models). Writes
 * bench/results/xgboost-hosts.md.
 */
import { spawnSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { rocAucImpl, splitSortedImpl } from '../src/algorithms/kernels/classification-metrics.js';
import { loadBoosterFromFolder } from '../src/algorithms/xgboost/model-files.js';
import { compileForest, predict } from '../src/algorithms/xgboost/predict.js';
import { extractArchive } from '../src/artifacts/archive.js';
import { readNumericTable, type NumericTable } from '../src/data/numeric-table.js';
import { StratusClient, type TrainingJob } from '../src/sdk/index.js';
import { startServer, type RunningServer } from '../src/server.js';
import { SlurmCluster, slurmUnavailable } from '../test/fixtures/slurm/slurm-cluster.js';
import { PYTHON, REPO, TEST_CSV, THREAD_ENV, TRAIN_CSV, trainShards } from './clf-1m.js';

const RESULTS = join(REPO, 'bench', 'results', 'xgboost-hosts.md');
const SHARDS = 6;
const PREFIX = 'clf-1m/train/';
const INSTANCE_TYPE = 'ml.m5.large';
const HYPERPARAMETERS = { objective: 'binary:logistic', num_round: '100', max_depth: '6', eta: '0.3', tree_method: 'hist', max_bin: '256' };
/** Threads per host: 2 in all on 1 and 2 hosts; 3 hosts cannot split 2 threads. */
const nthreadFor = (hosts: number) => (hosts === 1 ? 2 : 1);

interface Comm {
  ops: number;
  sent: number;
  received: number;
  /** Seconds inside collective operations (transfer plus waiting for slower hosts). */
  seconds: number;
}

interface HostFigures {
  host: string;
  readSeconds: number;
  trainingSeconds: number;
  joinSeconds?: number;
  setup?: Comm;
  perRound?: Comm;
  total?: Comm;
}

interface Run {
  hosts: number;
  rep: number;
  nthread: number;
  job: TrainingJob;
  jobSeconds: number;
  runningSeconds: number;
  perHost: HostFigures[];
  auc: number;
  /** Against the first 1-host model's predictions; absent for 1-host runs. */
  diff?: PredictionDiff;
  trees: number;
  scores: Float64Array;
}

interface Reference {
  fit: number;
  auc: number;
  version: string;
  scores: Float64Array;
}

interface PredictionDiff {
  max: number;
  mean: number;
  p99: number;
  /** Share of test rows whose probability moved by more than 0.01. */
  over001: number;
}

/** python3-xgboost on one host, the same CSV and hyperparameters: fit time (incl. DMatrix) and test AUC. */
const REFERENCE_SCRIPT = `
import json, sys, time
import numpy as np, pandas as pd, xgboost as xgb
from sklearn.metrics import roc_auc_score
A = pd.read_csv(sys.argv[1], header=None, dtype=np.float64).to_numpy()
B = pd.read_csv(sys.argv[2], header=None, dtype=np.float64).to_numpy()
m = xgb.XGBClassifier(tree_method='hist', n_estimators=100, max_depth=6, learning_rate=0.3, max_bin=256, n_jobs=2)
t = time.perf_counter(); m.fit(np.ascontiguousarray(A[:, 1:]), A[:, 0]); fit = time.perf_counter() - t
p = m.predict_proba(np.ascontiguousarray(B[:, 1:]))[:, 1]
p.astype('<f8').tofile(sys.argv[3])
print(json.dumps({'fit': fit, 'auc': roc_auc_score(B[:, 0], p), 'version': xgb.__version__}))
`;

/** The reference's fit, AUC and test-set probabilities (to compare models with). */
async function reference(): Promise<Reference> {
  const dir = await mkdtemp(join(tmpdir(), 'xgb-hosts-ref-'));
  try {
    const file = join(dir, 'p.f64');
    const run = spawnSync(PYTHON, ['-c', REFERENCE_SCRIPT, TRAIN_CSV, TEST_CSV, file], { encoding: 'utf8', env: { ...process.env, ...THREAD_ENV } });
    if (run.status !== 0) throw new Error(`python3-xgboost reference failed: ${run.stderr}`);
    const bytes = await readFile(file);
    const scores = new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    return { ...(JSON.parse(run.stdout) as { fit: number; auc: number; version: string }), scores };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** "12 operations, 1.50 MiB sent, 3.2 KiB received, 0.41 s communicating" (or "… 4.1 ms …"). */
function parseComm(text: string): Comm {
  const m = /^([\d.]+) operations, ([\d.]+) (KiB|MiB) sent, ([\d.]+) (KiB|MiB) received, ([\d.]+) (s|ms) communicating/.exec(text);
  if (!m) throw new Error(`unexpected communication figures: ${text}`);
  const bytes = (v: string, unit: string) => Number(v) * (unit === 'MiB' ? 1048576 : 1024);
  return { ops: Number(m[1]), sent: bytes(m[2], m[3]), received: bytes(m[4], m[5]), seconds: Number(m[6]) / (m[7] === 'ms' ? 1000 : 1) };
}

/** Each host's lines of the job's log (`[algo-2] …`; a one-host log may carry no prefix). */
function linesByHost(log: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const raw of log.split('\n')) {
    const m = /^\[(algo-\d+)\] (.*)$/.exec(raw);
    const [host, line] = m ? [m[1], m[2]] : ['algo-1', raw];
    out.set(host, [...(out.get(host) ?? []), line]);
  }
  return out;
}

function hostFigures(host: string, lines: string[]): HostFigures {
  const find = (re: RegExp) => lines.map((l) => re.exec(l)).find((m) => m !== null);
  const need = (re: RegExp) => {
    const m = find(re);
    if (!m) throw new Error(`${host}: no line matching ${re}\n${lines.slice(-20).join('\n')}`);
    return m;
  };
  const comm = find(/^xgboost: communication with \d+ other host\(s\): set-up and round 0: (.*?)(?:; per round after: (.*))?$/);
  const join = find(/^xgboost: \S+ joined \d+ hosts for data-parallel training in ([\d.]+) s$/);
  const total = find(/^collective: \S+ of \d+ hosts: (.*)$/);
  return {
    host,
    readSeconds: Number(need(/^xgboost: \d+ rounds of .*; data read in ([\d.]+) s$/)[1]),
    trainingSeconds: Number(need(/^xgboost: training finished in ([\d.]+) s$/)[1]),
    ...(join ? { joinSeconds: Number(join[1]) } : {}),
    ...(comm ? { setup: parseComm(comm[1]) } : {}),
    ...(comm?.[2] ? { perRound: parseComm(comm[2]) } : {}),
    ...(total ? { total: parseComm(total[1]) } : {}),
  };
}

async function uploadTrainingShards(client: StratusClient): Promise<void> {
  for (const file of await trainShards(SHARDS)) await client.artifacts.upload(`${PREFIX}${basename(file)}`, file);
}

async function trainOn(client: StratusClient, hosts: number, rep: number): Promise<{ job: TrainingJob; log: string }> {
  const name = `xgb-clf1m-${hosts}-hosts-${rep}`;
  await client.trainingJobs.create({
    name,
    algorithm: 'xgboost',
    hyperparameters: { ...HYPERPARAMETERS, nthread: String(nthreadFor(hosts)) },
    inputs: [{ channel: 'train', artifactPrefix: `uploads/${PREFIX}`, distribution: 'ShardedByS3Key' }],
    resources: { instanceType: INSTANCE_TYPE, instanceCount: hosts },
  });
  const job = await client.trainingJobs.waitFor(name, { intervalMs: 250, timeoutMs: 1_800_000 });
  const log = await client.trainingJobs.logs(name);
  if (job.status !== 'Completed') throw new Error(`${name} ${job.status}: ${job.failureReason ?? ''}\n${log}`);
  return { job, log };
}

/** The job's model.tar.gz, scored on the test set in this process: probabilities. */
async function scoreModel(client: StratusClient, job: TrainingJob, test: NumericTable): Promise<{ scores: Float64Array; trees: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'xgb-hosts-model-'));
  try {
    await client.artifacts.download(job.modelArtifact!.replace(/^.*?training-jobs\//, 'training-jobs/'), join(dir, 'model.tar.gz'));
    await extractArchive(createReadStream(join(dir, 'model.tar.gz')), join(dir, 'model'));
    const model = await loadBoosterFromFolder(join(dir, 'model'));
    return { scores: predict(compileForest(model), test.features), trees: model.trees.length };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const seconds = (a: string, b: string) => (Date.parse(b) - Date.parse(a)) / 1000;

function predictionDiff(a: Float64Array, b: Float64Array): PredictionDiff {
  const d = new Float64Array(a.length);
  let sum = 0, over = 0;
  for (let i = 0; i < a.length; i++) {
    d[i] = Math.abs(a[i] - b[i]);
    sum += d[i];
    if (d[i] > 0.01) over++;
  }
  d.sort();
  return { max: d[d.length - 1], mean: sum / d.length, p99: d[Math.floor(0.99 * (d.length - 1))], over001: over / d.length };
}

async function runHosts(client: StratusClient, hosts: number, rep: number, test: NumericTable, baseline: Float64Array | undefined): Promise<Run> {
  console.log(`training on ${hosts} host(s), run ${rep}…`);
  const { job, log } = await trainOn(client, hosts, rep);
  const byHost = linesByHost(log);
  const perHost = Array.from({ length: hosts }, (_, i) => `algo-${i + 1}`).map((h) => hostFigures(h, byHost.get(h) ?? []));
  const { scores, trees } = await scoreModel(client, job, test);
  const run: Run = {
    hosts, rep, nthread: nthreadFor(hosts), job, perHost, trees, scores,
    ...(baseline && hosts > 1 ? { diff: predictionDiff(scores, baseline) } : {}),
    jobSeconds: seconds(job.createdAt, job.endedAt!),
    runningSeconds: job.trainingTimeSeconds ?? seconds(job.startedAt!, job.endedAt!),
    auc: rocAucImpl(splitSortedImpl(scores, test.labels, test.rows)),
  };
  console.log(`  ${hosts} host(s): job ${run.jobSeconds.toFixed(1)} s, training ${Math.max(...perHost.map((h) => h.trainingSeconds)).toFixed(2)} s, AUC ${run.auc.toFixed(4)}`);
  return run;
}

const kib = (b: number) => (b / 1024).toFixed(1);
const ms = (s: number) => (s * 1000).toFixed(1);
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const minMedian = (v: number[], digits = 2) => (v.length === 1 ? v[0].toFixed(digits) : `${Math.min(...v).toFixed(digits)} / ${median(v).toFixed(digits)}`);
const training = (r: Run) => Math.max(...r.perHost.map((h) => h.trainingSeconds));
const boosting = (r: Run) => Math.max(...r.perHost.map((h) => h.trainingSeconds - h.readSeconds));


/** One row per host count: times as min / median over the runs; volumes are the same every run. */
function summaryTable(groups: Run[][], ref: Reference | undefined): string[] {
  const rows = groups.map((g) => {
    const [r] = g;
    const aucs = [...new Set(g.map((x) => x.auc.toFixed(4)))].join(', ');
    const volume = (c: Comm | undefined) => (c ? `${kib(c.sent)} / ${kib(c.received)}` : '—');
    const roundMs = r.hosts === 1 ? '—' : r.perHost.map((_, i) => ms(median(g.map((x) => x.perHost[i].perRound!.seconds)))).join(' / ');
    const boostMsPerRound = median(g.map(boosting)) * 10; // 100 rounds: s × 1000 / 100
    return `| ${r.hosts} | ${r.nthread} × ${r.hosts} | ${minMedian(g.map((x) => x.jobSeconds), 1)} | ${minMedian(g.map((x) => x.runningSeconds), 1)} | ${minMedian(g.map(training))} | ${minMedian(g.map(boosting))} | ${aucs} | ${volume(r.perHost[0].perRound)} | ${volume(r.perHost[1]?.perRound)} | ${roundMs} | ${boostMsPerRound.toFixed(0)} |`;
  });
  return [
    '| hosts | threads | job s (created → ended) | Slurm running s | training s (slowest host) | boosting s (training − parse) | test AUC | per round, algo-1: KiB sent / received | per round, each other host: KiB sent / received | communication ms per round (algo-1 / algo-2 / …) | boosting ms per round |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    ...(ref ? [`| python3-xgboost ${ref.version}, one process | 2 | — | — | ${ref.fit.toFixed(2)} (fit incl. DMatrix) | — | ${ref.auc.toFixed(4)} | — | — | — | — |`] : []),
  ];
}

function diffTable(runs: Run[], ref: Reference | undefined): string[] {
  const row = (label: string, d: PredictionDiff) => `| ${label} | ${d.max.toFixed(3)} | ${d.mean.toExponential(1)} | ${d.p99.toExponential(1)} | ${(100 * d.over001).toFixed(2)} % |`;
  const one = runs.find((r) => r.hosts === 1);
  return [
    '| model | max \\|Δp\\| | mean \\|Δp\\| | 99th percentile \\|Δp\\| | rows with \\|Δp\\| > 0.01 |',
    '| --- | --- | --- | --- | --- |',
    ...runs.filter((r) => r.diff).map((r) => row(`${r.hosts} hosts, run ${r.rep}`, r.diff!)),
    ...(ref && one ? [row(`python3-xgboost ${ref.version}, one process (for scale: another equally good model)`, predictionDiff(ref.scores, one.scores))] : []),
  ];
}

function hostTable(runs: Run[]): string[] {
  const comm = (c: Comm | undefined) => (c ? `${c.ops} ops, ${kib(c.sent)} / ${kib(c.received)} KiB, ${c.seconds.toFixed(2)} s` : '—');
  const round = (c: Comm | undefined) => (c ? `${c.ops.toFixed(1)} ops, ${kib(c.sent)} / ${kib(c.received)} KiB, ${ms(c.seconds)} ms` : '—');
  const whole = (c: Comm | undefined) => (c ? `${(c.sent / 1048576).toFixed(2)} / ${(c.received / 1048576).toFixed(2)} MiB, ${c.seconds.toFixed(2)} s` : '—');
  const rows = runs.flatMap((r) =>
    r.perHost.map((h) => `| ${r.hosts} | ${r.rep} | ${h.host} | ${h.readSeconds.toFixed(2)} | ${h.trainingSeconds.toFixed(2)} | ${h.joinSeconds?.toFixed(2) ?? '—'} | ${comm(h.setup)} | ${round(h.perRound)} | ${whole(h.total)} |`),
  );
  return [
    '| hosts | run | host | data read s | training finished in s | joined in s | set-up + round 0: ops, sent / received, time | per round after (mean of 99): ops, sent / received, time | whole job: sent / received, time communicating |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
  ];
}

function report(runs: Run[], reps: number, ref: Reference | undefined, load: { start: number[]; end: number[] }): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const groups = [...new Set(runs.map((r) => r.hosts))].map((h) => runs.filter((r) => r.hosts === h));
  return [
    '## xgboost on 1, 2 and 3 Slurm hosts, clf_1m (800k × 28 train in 6 ShardedByS3Key objects, 200k test)',
    '',
    `Measured ${new Date().toISOString()} on ${cpus().length} × ${cpu}, Node ${process.version}. All hosts are network namespaces of this one machine and share its ${cpus().length} cores.`,
    `Load average at the start: ${load.start.map((l) => l.toFixed(2)).join(' ')}; at the end: ${load.end.map((l) => l.toFixed(2)).join(' ')}.`,
    `100 rounds, max_depth 6, eta 0.3, hist, max_bin 256, instance type ${INSTANCE_TYPE} (2 CPUs per host); nthread 2 on 1 host, 1 per host on 2 and 3 hosts.`,
    `${reps} job(s) per host count, one job at a time (host counts in turn); times are min / median over them.`,
    '',
    ...summaryTable(groups, ref),
    '',
    `### Predictions against the first 1-host model (${runs[0]?.scores.length.toLocaleString('en-US')} test rows)`,
    '',
    ...diffTable(runs, ref),
    '',
    `Trees per model: ${[...new Set(runs.map((r) => r.trees))].join(', ')}.`,
    '',
    '### Per host and job (from the job log)',
    '',
    ...hostTable(runs),
    '',
    'Columns: "job s" is the job\'s createdAt → endedAt; "Slurm running s" its trainingTimeSeconds (Slurm RUNNING seen → ended: srun start, download, parse, training, model upload);',
    '"training finished in" and "data read in" are each host\'s own log lines (training = CSV parse + quantile sketch/binning + boosting);',
    'communication is what each host\'s collective counted (frame headers included): algo-1 sums every reduction and sends the result back, so it moves (hosts − 1)× what another host does;',
    'communication time is wall time inside collective operations, so it includes waiting for the slowest host — on a machine whose cores the hosts share, mostly waiting.',
    '',
    'Command line:',
    '',
    '```',
    `node --import tsx bench/xgboost-hosts.bench.ts${reps !== 1 ? ` --reps ${reps}` : ''}`,
    '```',
    '',
  ].join('\n');
}

function parseArgs(): { hosts: number[]; reps: number; reference: boolean } {
  const value = (flag: string) => {
    const i = process.argv.indexOf(flag);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const hosts = (value('--hosts') ?? '1,2,3').split(',').map(Number);
  if (hosts.some((h) => !Number.isInteger(h) || h < 1 || h > 3)) throw new Error('--hosts takes host counts from 1 to 3, e.g. 1,3');
  const reps = Number(value('--reps') ?? 1);
  if (!Number.isInteger(reps) || reps < 1) throw new Error('--reps takes a whole number ≥ 1');
  return { hosts, reps, reference: !process.argv.includes('--no-reference') };
}

async function main(): Promise<void> {
  const unavailable = slurmUnavailable();
  if (unavailable) throw new Error(`cannot start the Slurm fixture: ${unavailable}`);
  const args = parseArgs();
  const load = { start: loadavg(), end: [] as number[] };
  await trainShards(SHARDS);
  const ref = args.reference ? await reference() : undefined;
  if (ref) console.log(`python3-xgboost: fit ${ref.fit.toFixed(2)} s, AUC ${ref.auc.toFixed(4)}`);
  const test = await readNumericTable([TEST_CSV], { header: false });
  const cluster = SlurmCluster.start({ hosts: 3 });
  const home = await mkdtemp(join(tmpdir(), 'stratus-bench-hosts-'));
  let server: RunningServer | undefined;
  const runs: Run[] = [];
  try {
    await mkdir(join(home, 'hosts'));
    server = await startServer({
      flags: { home, port: 0, logLevel: 'warn' },
      env: { STRATUS_EXECUTOR: 'slurm', STRATUS_SLURM_CONF: cluster.conf, STRATUS_SLURM_WORK_DIR: join(home, 'hosts'), STRATUS_SLURM_POLL_MS: '250' },
    });
    const client = new StratusClient({ url: server.url, token: server.token });
    await uploadTrainingShards(client);
    for (let rep = 1; rep <= args.reps; rep++) {
      for (const hosts of args.hosts) runs.push(await runHosts(client, hosts, rep, test, runs.find((r) => r.hosts === 1)?.scores));
    }
  } finally {
    await server?.close();
    cluster.stop();
    await rm(home, { recursive: true, force: true });
  }
  load.end = loadavg();
  runs.sort((a, b) => a.hosts - b.hosts || a.rep - b.rep);
  const md = report(runs, args.reps, ref, load);
  console.log(md);
  await mkdir(dirname(RESULTS), { recursive: true });
  await writeFile(RESULTS, md);
  console.log(`written to ${RESULTS}`);
}

await main();
