import { validationError } from '../../core/errors.js';
import type { TrainContext } from '../algorithm.js';
import { selectThresholdImpl, splitSortedImpl } from '../kernels/classification-metrics.js';
import { createRng, sampleIndicesImpl } from '../kernels/rng.js';
import { resolveConfig, type LinearLearnerConfig } from './config.js';
import { describeStats, type Collective } from '../distributed/collective.js';
import type { ChannelData } from '../channel-data.js';
import { loadChannels, loadShards } from './data.js';
import { globalFinalMetrics, globalLabelScaling, globalNormalization, globalThreshold, writeFromMaster } from './distributed.js';
import { binaryScores, evaluate, type Dataset, type LinearParams, type LinearTask, type Metrics } from './evaluate.js';
import { epochLine, finalLine, formatMetric } from './metrics.js';
import { saveLinearModel, type LinearModel } from './model.js';
import { applyNormalization, fitLabelScaling, fitNormalization, foldIntoRawSpace } from './normalization.js';
import { fitLinear, type EpochReport } from './trainer.js';

/**
 * Trains a linear-learner model from the `train` channel (plus optional `validation` and `test`)
 * and writes it into `ctx.modelDir`. Logs data sizes, one `#metrics` line per epoch, a `#final`
 * line and a summary. With `ctx.collective` of several hosts, trains data-parallel on this host's
 * shards (see distributed.ts): every host ends with the same model, which algo-1 writes.
 * @throws ValidationError for bad hyperparameters, a missing train channel or bad data.
 */
export async function trainLinearLearner(ctx: TrainContext): Promise<void> {
  const cfg = resolveConfig(ctx.hyperparameters);
  const dist = ctx.collective && ctx.collective.size > 1 ? ctx.collective : undefined;
  const clock = new PhaseClock();
  const shards = dist ? await loadShards(ctx, cfg, dist) : undefined;
  const channels = shards?.channels ?? (await loadChannels(ctx, cfg));
  clock.lap('read');
  const train = channels[0];
  const d = train.data.d;
  if (cfg.featureDim !== undefined && cfg.featureDim !== d) {
    throw validationError(`hyperparameter 'feature_dim' is ${cfg.featureDim} but channel 'train' has ${d} features`, { field: 'feature_dim' });
  }
  const norm = dist ? await globalNormalization(dist, train.data, cfg) : fitNormalization(train.data.x, train.data.rows, d, cfg);
  for (const c of channels) applyNormalization(c.data.x, c.data.rows, d, norm);
  const label = dist ? await globalLabelScaling(dist, train.data, cfg) : fitLabelScaling(train.data.y, train.data.rows, cfg);
  const task = taskOf(cfg, label);
  const validation = channels.find((c) => c.name === 'validation');
  clock.lap('normalize');
  const fit = await fitLinear(train.data, validation?.data, task, cfg, {
    rng: createRng(cfg.seed),
    signal: ctx.signal,
    onEpoch: (r) => logEpoch(ctx, r),
    collective: dist,
  });
  clock.lap('optimize');
  const selection = validation ?? train;
  let threshold: number | null = null;
  if (cfg.predictorType === 'binary_classifier') {
    threshold = dist ? await globalThreshold(dist, fit.model, selection.data, shards!.globalRows[selection.name], cfg) : chooseThreshold(fit.model, selection.data, cfg);
  }
  clock.lap('threshold');
  const final = dist ? await globalFinalMetrics(dist, fit.model, channels, task, threshold ?? 0.5) : localFinalMetrics(fit.model, channels, task, threshold);
  ctx.log(finalLine(final));
  clock.lap('evaluate');
  const { weights, bias } = foldIntoRawSpace(fit.model, norm, label);
  const model: LinearModel = {
    predictorType: cfg.predictorType,
    numClasses: cfg.predictorType === 'regressor' ? null : cfg.numClasses,
    featureCount: d,
    featureNames: train.featureNames,
    threshold,
    weights,
    bias,
    featureMeans: norm.impute,
  };
  const info = { hyperparameters: ctx.hyperparameters, metrics: flatten(final) };
  if (dist) await writeShared(ctx, dist, model, info);
  else await saveLinearModel(ctx.modelDir, model, info);
  clock.lap('write');
  const thr = threshold === null ? '' : `, decision threshold ${formatMetric(threshold)} (${cfg.criterion})`;
  ctx.log(
    `linear-learner: ran ${fit.epochsRun} of ${cfg.epochs} epochs, kept epoch ${fit.bestEpoch}, ` +
      `learning_rate ${formatMetric(fit.learningRate)}${thr}; model written (manifest.json, model.bin)`,
  );
  ctx.log(`linear-learner: seconds ${clock.summary()}`);
  if (dist) ctx.log(`linear-learner: communication in all: ${describeStats(dist.stats())}`);
}

function logEpoch(ctx: TrainContext, r: EpochReport): void {
  ctx.log(epochLine(r));
  if (r.communication) ctx.log(`linear-learner: epoch ${r.epoch} communication: ${describeStats(r.communication)}`);
}

function localFinalMetrics(model: LinearParams, channels: ChannelData[], task: LinearTask, threshold: number | null): Record<string, Metrics> {
  const final: Record<string, Metrics> = {};
  for (const c of channels) final[c.name] = evaluate(model, c.data, task, threshold ?? 0.5, true);
  return final;
}

async function writeShared(ctx: TrainContext, c: Collective, model: LinearModel, info: Parameters<typeof writeFromMaster>[3]): Promise<void> {
  const digest = await writeFromMaster(c, ctx.modelDir, model, info);
  const where = c.rank === 0 ? 'written here' : `written by ${c.hosts[0]}`;
  ctx.log(`linear-learner: model sha256 ${digest}, identical on all ${c.size} hosts (${where})`);
}

/** Wall time per training phase, for the job log (and the benchmark, which reads it). */
class PhaseClock {
  private last = performance.now();
  private readonly laps: [string, number][] = [];

  lap(name: string): void {
    const now = performance.now();
    this.laps.push([name, (now - this.last) / 1000]);
    this.last = now;
  }

  summary(): string {
    return this.laps.map(([n, s]) => `${n}=${s.toFixed(3)}`).join(' ');
  }
}

function taskOf(cfg: LinearLearnerConfig, label: { shift: number; scale: number }): LinearTask {
  return {
    predictorType: cfg.predictorType,
    loss: cfg.loss,
    lossParam: cfg.lossParam,
    yShift: label.shift,
    yScale: label.scale,
    topK: cfg.topK,
    fBeta: cfg.fBeta,
  };
}

/**
 * The decision threshold that is best by the model selection criterion on `data`, or on a seeded
 * sample of `num_calibration_samples` of its rows (sorting every score of a large set is the
 * costly part, and the optimum moves little).
 */
function chooseThreshold(model: LinearParams, data: Dataset, cfg: LinearLearnerConfig): number {
  const all = binaryScores(model, data);
  let scores = all;
  let labels = data.y;
  if (data.rows > cfg.calibrationSamples) {
    const pick = sampleIndicesImpl(data.rows, cfg.calibrationSamples, createRng(cfg.seed ^ 0x5eed));
    scores = new Float64Array(pick.length);
    labels = new Float64Array(pick.length);
    for (let i = 0; i < pick.length; i++) {
      scores[i] = all[pick[i]];
      labels[i] = data.y[pick[i]];
    }
  }
  return selectThresholdImpl(splitSortedImpl(scores, labels, scores.length), {
    criterion: cfg.criterion,
    beta: cfg.fBeta,
    targetPrecision: cfg.targetPrecision,
    targetRecall: cfg.targetRecall,
    preferred: 0.5,
  });
}

function flatten(byChannel: Record<string, Metrics>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [ch, m] of Object.entries(byChannel)) for (const [k, v] of Object.entries(m)) out[`${ch}:${k}`] = Number.isFinite(v) ? v : NaN;
  return out;
}
