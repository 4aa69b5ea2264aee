import { statsSince, type Collective, type CollectiveStats } from '../distributed/collective.js';
import { binaryBatchImpl, regressionBatchImpl, softmaxBatchImpl } from '../kernels/linear-batch.js';
import { adamStepImpl, regularizedGradImpl, rmspropStepImpl, sgdStepImpl, type ParamScales } from '../kernels/optimizers.js';
import { blockShuffleImpl, normalSample, type Rng } from '../kernels/rng.js';
import { autoLearningRate, type LinearLearnerConfig } from './config.js';
import { evaluate, METRIC_SUMS, metricSums, metricsFromSums, type Dataset, type LinearParams, type LinearTask, type Metrics } from './evaluate.js';

/**
 * Tables larger than this are shuffled in blocks of {@link BLOCK_ROWS} consecutive rows: a
 * row-level shuffle of a table far beyond the CPU caches spends most of an epoch on cache and TLB
 * misses (measured 3–4× slower on 800k × 28), while mini-batches of ≥ 60 random blocks mix as well.
 */
const ROW_SHUFFLE_MAX_BYTES = 8 << 20;
const BLOCK_ROWS = 16;

/** Progress of one epoch: running training metrics and, with validation data, validation metrics. */
export interface EpochReport {
  epoch: number;
  train: Metrics;
  validation?: Metrics;
  /** Data-parallel: what the hosts exchanged during the epoch. */
  communication?: CollectiveStats;
}

/** Seeded randomness, cancellation and progress reporting of {@link fitLinear}. */
export interface FitOptions {
  rng: Rng;
  signal?: AbortSignal;
  onEpoch?: (report: EpochReport) => void;
  /**
   * The job's hosts when `data` (and `validation`) are this host's shards of the data: every
   * host takes the same synchronous steps on gradients summed over all hosts, so every host
   * ends with the same model. One host (or none) trains exactly as without it.
   */
  collective?: Collective;
}

/** The best epoch's model (in standardized feature space) and how the run went. */
export interface FitResult {
  model: LinearParams;
  epochsRun: number;
  bestEpoch: number;
  learningRate: number;
}

/** Mutable state of one optimization run. */
interface Run {
  cfg: LinearLearnerConfig;
  task: LinearTask;
  data: Dataset;
  model: LinearParams;
  scales: ParamScales;
  grad: Float64Array;
  moment1: Float64Array;
  moment2: Float64Array;
  stats: Float64Array;
  scratch: Float64Array;
  classWeight: Float64Array;
  order: Uint32Array;
  lr0: number;
  minLr: number;
  t: number;
  /** Data-parallel only: the hosts, steps per epoch, and `grad` followed by the step's row count. */
  shards?: { collective: Collective; steps: number; exchange: Float64Array };
}

/** Rows and per-class row counts of the training data over all hosts. */
interface DataShape {
  rows: number;
  classCounts: Float64Array;
}

/**
 * Fits a linear model by mini-batch first-order optimization on standardized data, shuffling
 * the rows every epoch. Stops early when the objective (validation if given, else the running
 * training objective) has not improved by the relative tolerance for `patience` epochs, and
 * returns the parameters of the best epoch. Yields to the event loop between epochs.
 */
export async function fitLinear(
  data: Dataset,
  validation: Dataset | undefined,
  task: LinearTask,
  cfg: LinearLearnerConfig,
  opts: FitOptions,
): Promise<FitResult> {
  const dist = opts.collective && opts.collective.size > 1 ? opts.collective : undefined;
  const shape = dist ? await globalShape(dist, data, cfg) : localShape(data, cfg);
  const run = createRun(data, task, cfg, opts.rng, shape, dist);
  const stop = { reference: Infinity, stale: 0 };
  let best = Infinity;
  let bestEpoch = 0;
  let bestParams = run.model.params.slice();
  let epoch = 0;
  while (epoch < cfg.epochs) {
    opts.signal?.throwIfAborted();
    epoch++;
    const report = dist ? await runShardEpoch(run, opts.rng, validation, shape.rows) : localEpoch(run, opts.rng, validation);
    report.epoch = epoch;
    opts.onEpoch?.(report);
    const objective = (report.validation ?? report.train).objective_loss;
    if (objective < best || !Number.isFinite(best)) {
      best = objective;
      bestEpoch = epoch;
      bestParams = run.model.params.slice();
    }
    if (shouldStop(stop, objective, cfg)) break;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  const model: LinearParams = { ...run.model, params: bestParams };
  return { model, epochsRun: epoch, bestEpoch, learningRate: run.lr0 };
}

/**
 * SageMaker's early stopping: an epoch improves when it lowers the objective by more than the
 * relative tolerance from the last improving epoch; `patience` epochs without one end training.
 * (The best epoch's weights are kept regardless of the tolerance.)
 */
function shouldStop(state: { reference: number; stale: number }, objective: number, cfg: LinearLearnerConfig): boolean {
  if (!Number.isFinite(state.reference) || state.reference - objective > cfg.tolerance * Math.abs(state.reference)) {
    state.reference = objective;
    state.stale = 0;
    return false;
  }
  return ++state.stale >= cfg.patience;
}

function localEpoch(run: Run, rng: Rng, validation: Dataset | undefined): EpochReport {
  const report: EpochReport = { epoch: 0, train: runEpoch(run, rng) };
  if (validation) report.validation = evaluate(run.model, validation, run.task);
  return report;
}

function localShape(data: Dataset, cfg: LinearLearnerConfig): DataShape {
  return { rows: data.rows, classCounts: classCounts(data, cfg) };
}

/** The training data's shape over all hosts (one allreduce). */
async function globalShape(c: Collective, data: Dataset, cfg: LinearLearnerConfig): Promise<DataShape> {
  const counts = classCounts(data, cfg);
  const buf = new Float64Array(counts.length + 1);
  buf[0] = data.rows;
  buf.set(counts, 1);
  await c.allreduceSum(buf);
  return { rows: buf[0], classCounts: buf.slice(1) };
}

function createRun(data: Dataset, task: LinearTask, cfg: LinearLearnerConfig, rng: Rng, shape: DataShape, dist?: Collective): Run {
  const K = cfg.outputs;
  const d = data.d;
  const P = K * d + K;
  // Data-parallel: each host takes about mini_batch_size rows per step (SageMaker's per-host batch).
  const batches = dist ? Math.max(1, Math.ceil(shape.rows / (dist.size * cfg.miniBatchSize))) : Math.ceil(data.rows / cfg.miniBatchSize);
  const lr0 = cfg.learningRate ?? autoLearningRate(cfg.optimizer, batches * cfg.epochs);
  const exchange = new Float64Array(dist ? P + 1 : P);
  return {
    cfg,
    task,
    data,
    model: { K, d, params: initialParams(K, d, cfg, rng) },
    scales: paramScales(K, d, cfg),
    grad: exchange.subarray(0, P),
    moment1: new Float64Array(P),
    moment2: new Float64Array(P),
    stats: new Float64Array(4),
    scratch: new Float64Array(K),
    classWeight: classWeights(shape, cfg),
    order: new Uint32Array(data.rows),
    lr0,
    minLr: Math.min(lr0, cfg.scheduler.minLr ?? 1e-5),
    t: 0,
    shards: dist ? { collective: dist, steps: batches, exchange } : undefined,
  };
}

function initialParams(K: number, d: number, cfg: LinearLearnerConfig, rng: Rng): Float64Array {
  const p = new Float64Array(K * d + K);
  const { method, scale, sigma, bias } = cfg.init;
  for (let i = 0; i < K * d; i++) p[i] = method === 'uniform' ? (2 * rng.next() - 1) * scale : normalSample(rng) * sigma;
  if (cfg.useBias) p.fill(bias, K * d);
  return p;
}

function paramScales(K: number, d: number, cfg: LinearLearnerConfig): ParamScales {
  const P = K * d + K;
  const lrScale = new Float64Array(P).fill(1);
  const wd = new Float64Array(P).fill(cfg.wd);
  const l1 = new Float64Array(P).fill(cfg.l1);
  // A model without bias keeps its bias at 0 by never moving it.
  lrScale.fill(cfg.useBias ? cfg.biasLrMult : 0, K * d);
  wd.fill(cfg.wd * cfg.biasWdMult, K * d);
  l1.fill(0, K * d);
  return { lrScale, wd, l1 };
}

/** Rows per class (binary [negative, positive]); all zeros for a regressor. */
function classCounts(data: Dataset, cfg: LinearLearnerConfig): Float64Array {
  const counts = new Float64Array(Math.max(cfg.numClasses, 2));
  if (cfg.predictorType !== 'regressor') for (let i = 0; i < data.rows; i++) counts[data.y[i] | 0]++;
  return counts;
}

/** Per-class loss weights: binary [negative, positive]; multiclass one per class. */
function classWeights({ rows, classCounts: counts }: DataShape, cfg: LinearLearnerConfig): Float64Array {
  if (cfg.predictorType === 'regressor') return new Float64Array(counts.length).fill(1);
  const w = new Float64Array(counts.length).fill(1);
  if (cfg.predictorType === 'binary_classifier') {
    if (cfg.positiveWeight !== 'balanced') w[1] = cfg.positiveWeight;
    else if (counts[1] > 0) w[1] = counts[0] / counts[1];
  } else if (cfg.balanceMulticlass) {
    for (let k = 0; k < counts.length; k++) w[k] = counts[k] > 0 ? rows / (counts.length * counts[k]) : 1;
  }
  return w;
}

function currentLr(run: Run): number {
  const { enabled, step, factor } = run.cfg.scheduler;
  if (!enabled) return run.lr0;
  return Math.max(run.minLr, run.lr0 * factor ** Math.floor(run.t / step));
}

/** One shuffled pass over the data; returns the running (during-epoch) training metrics. */
function runEpoch(run: Run, rng: Rng): Metrics {
  const { data, cfg, order } = run;
  const blockRows = data.rows * data.d * 8 > ROW_SHUFFLE_MAX_BYTES ? BLOCK_ROWS : 1;
  blockShuffleImpl(order, data.rows, blockRows, rng);
  let lossSum = 0;
  // Correct predictions (classifiers) or the sum of squared normalized residuals (regressor).
  let second = 0;
  for (let start = 0; start < data.rows; start += cfg.miniBatchSize) {
    const end = Math.min(data.rows, start + cfg.miniBatchSize);
    batchGradient(run, start, end);
    lossSum += run.stats[0];
    second += run.stats[1];
    step(run, 1 / (end - start));
  }
  return epochMetrics(run, lossSum, second, data.rows);
}

/** Running training metrics of an epoch from its loss sum and `second` sum over `n` rows. */
function epochMetrics(run: Run, lossSum: number, second: number, n: number): Metrics {
  if (run.cfg.predictorType === 'regressor') {
    const mse = (second / n) * run.task.yScale * run.task.yScale;
    return { objective_loss: lossSum / n, mse, rmse: Math.sqrt(mse) };
  }
  const accuracy = run.cfg.predictorType === 'binary_classifier' ? 'binary_classification_accuracy' : 'multiclass_accuracy';
  return { objective_loss: lossSum / n, [accuracy]: second / n };
}

/**
 * One epoch of synchronous data-parallel training on this host's shard. Every host takes the
 * same number of steps (agreed from the global row count), each over its next ≈ rows/steps
 * shuffled rows, so every row is used once per epoch even when shards differ in size; a step's
 * gradient is summed over the hosts and divided by the step's global row count, so every host
 * applies the same update. The epoch's training metrics and the validation metrics are summed
 * over the hosts in one exchange at the end.
 */
async function runShardEpoch(run: Run, rng: Rng, validation: Dataset | undefined, globalRows: number): Promise<EpochReport> {
  const { data, cfg, order, stats } = run;
  const { collective, steps, exchange } = run.shards!;
  const before = collective.stats();
  const P = exchange.length - 1;
  const blockRows = data.rows * data.d * 8 > ROW_SHUFFLE_MAX_BYTES ? BLOCK_ROWS : 1;
  blockShuffleImpl(order, data.rows, blockRows, rng);
  let lossSum = 0;
  let second = 0;
  for (let s = 0; s < steps; s++) {
    const start = Math.floor((s * data.rows) / steps);
    const end = Math.floor(((s + 1) * data.rows) / steps);
    batchGradient(run, start, end);
    lossSum += stats[0];
    second += stats[1];
    exchange[P] = end - start;
    await collective.allreduceSum(exchange);
    // A step in which no host has rows (tiny shards) moves nothing, on every host alike.
    if (exchange[P] > 0) step(run, 1 / exchange[P]);
  }
  const sums = new Float64Array(2 + METRIC_SUMS);
  sums[0] = lossSum;
  sums[1] = second;
  if (validation) sums.set(metricSums(run.model, validation, run.task).sums, 2);
  await collective.allreduceSum(sums);
  const report: EpochReport = { epoch: 0, train: epochMetrics(run, sums[0], sums[1], globalRows) };
  if (validation) report.validation = metricsFromSums(sums.subarray(2), run.task);
  report.communication = statsSince(collective.stats(), before);
  return report;
}

function batchGradient(run: Run, start: number, end: number): void {
  const { data, model, cfg, task, grad, stats, classWeight, order } = run;
  const { K, d, params } = model;
  const w = params.subarray(0, K * d);
  if (cfg.predictorType === 'binary_classifier') {
    binaryBatchImpl(data.x, d, data.y, order, start, end, w, params[d], task.loss, task.lossParam, classWeight[0], classWeight[1], grad, stats);
  } else if (cfg.predictorType === 'regressor') {
    regressionBatchImpl(data.x, d, data.y, task.yShift, 1 / task.yScale, order, start, end, w, params[d], task.loss, task.lossParam, grad, stats);
  } else {
    softmaxBatchImpl(data.x, d, K, data.y, order, start, end, w, params.subarray(K * d), classWeight, grad, stats, run.scratch);
  }
}

function step(run: Run, invBatch: number): void {
  const { model, grad, scales, cfg } = run;
  const lr = currentLr(run);
  run.t++;
  regularizedGradImpl(model.params, grad, invBatch, scales.wd);
  if (cfg.optimizer === 'adam') adamStepImpl(model.params, grad, run.moment1, run.moment2, scales, lr, cfg.beta1, cfg.beta2, run.t);
  else if (cfg.optimizer === 'rmsprop') rmspropStepImpl(model.params, grad, run.moment2, scales, lr, 0.9);
  else sgdStepImpl(model.params, grad, run.moment1, scales, lr, cfg.momentum);
}
