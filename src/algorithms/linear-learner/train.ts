import { validationError } from '../../core/errors.js';
import type { TrainContext } from '../algorithm.js';
import { selectThresholdImpl, splitSortedImpl } from '../kernels/classification-metrics.js';
import { createRng, sampleIndicesImpl } from '../kernels/rng.js';
import { resolveConfig, type LinearLearnerConfig } from './config.js';
import { checkSameFeatures, loadChannel, type ChannelData } from '../channel-data.js';
import { labelValidator } from './data.js';
import { binaryScores, evaluate, type Dataset, type LinearParams, type LinearTask, type Metrics } from './evaluate.js';
import { epochLine, finalLine, formatMetric } from './metrics.js';
import { saveLinearModel } from './model.js';
import { applyNormalization, fitLabelScaling, fitNormalization, foldIntoRawSpace } from './normalization.js';
import { fitLinear } from './trainer.js';

const EVAL_CHANNELS = ['validation', 'test'] as const;

/**
 * Trains a linear-learner model from the `train` channel (plus optional `validation` and `test`)
 * and writes it into `ctx.modelDir`. Logs data sizes, one `#metrics` line per epoch, a `#final`
 * line and a summary.
 * @throws ValidationError for bad hyperparameters, a missing train channel or bad data.
 */
export async function trainLinearLearner(ctx: TrainContext): Promise<void> {
  const cfg = resolveConfig(ctx.hyperparameters);
  const clock = new PhaseClock();
  const channels = await loadChannels(ctx, cfg);
  clock.lap('read');
  const train = channels[0];
  const d = train.data.d;
  if (cfg.featureDim !== undefined && cfg.featureDim !== d) {
    throw validationError(`hyperparameter 'feature_dim' is ${cfg.featureDim} but channel 'train' has ${d} features`, { field: 'feature_dim' });
  }
  const norm = fitNormalization(train.data.x, train.data.rows, d, cfg);
  for (const c of channels) applyNormalization(c.data.x, c.data.rows, d, norm);
  const label = fitLabelScaling(train.data.y, train.data.rows, cfg);
  const task = taskOf(cfg, label);
  const validation = channels.find((c) => c.name === 'validation');
  clock.lap('normalize');
  const fit = await fitLinear(train.data, validation?.data, task, cfg, {
    rng: createRng(cfg.seed),
    signal: ctx.signal,
    onEpoch: (r) => ctx.log(epochLine(r)),
  });
  clock.lap('optimize');
  const threshold = cfg.predictorType === 'binary_classifier' ? chooseThreshold(fit.model, (validation ?? train).data, cfg) : null;
  clock.lap('threshold');
  const final: Record<string, Metrics> = {};
  for (const c of channels) final[c.name] = evaluate(fit.model, c.data, task, threshold ?? 0.5, true);
  ctx.log(finalLine(final));
  clock.lap('evaluate');
  const { weights, bias } = foldIntoRawSpace(fit.model, norm, label);
  const model = {
    predictorType: cfg.predictorType,
    numClasses: cfg.predictorType === 'regressor' ? null : cfg.numClasses,
    featureCount: d,
    featureNames: train.featureNames,
    threshold,
    weights,
    bias,
    featureMeans: norm.impute,
  };
  await saveLinearModel(ctx.modelDir, model, { hyperparameters: ctx.hyperparameters, metrics: flatten(final) });
  clock.lap('write');
  const thr = threshold === null ? '' : `, decision threshold ${formatMetric(threshold)} (${cfg.criterion})`;
  ctx.log(
    `linear-learner: ran ${fit.epochsRun} of ${cfg.epochs} epochs, kept epoch ${fit.bestEpoch}, ` +
      `learning_rate ${formatMetric(fit.learningRate)}${thr}; model written (manifest.json, model.bin)`,
  );
  ctx.log(`linear-learner: seconds ${clock.summary()}`);
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

async function loadChannels(ctx: TrainContext, cfg: LinearLearnerConfig): Promise<ChannelData[]> {
  const trainInput = ctx.channels.train;
  if (!trainInput) throw validationError("linear-learner needs a 'train' channel", { field: 'channels' });
  const train = await loadChannel('linear-learner', 'train', trainInput, labelValidator(cfg), ctx.signal);
  logChannel(ctx, train);
  const out = [train];
  for (const name of EVAL_CHANNELS) {
    const input = ctx.channels[name];
    if (!input) continue;
    const c = await loadChannel('linear-learner', name, input, labelValidator(cfg), ctx.signal);
    checkSameFeatures(train, c);
    logChannel(ctx, c);
    out.push(c);
  }
  return out;
}

function logChannel(ctx: TrainContext, c: ChannelData): void {
  const mb = c.bytes / 1e6;
  ctx.log(
    `linear-learner: channel '${c.name}': ${c.data.rows} rows × ${c.data.d} features from ${c.files} file(s), ` +
      `${mb.toFixed(1)} MB read in ${c.seconds.toFixed(2)} s (${(mb / Math.max(c.seconds, 1e-9)).toFixed(0)} MB/s)`,
  );
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
