import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { validationError } from '../../core/errors.js';
import type { TrainContext } from '../algorithm.js';
import { describeStats, statsSince, type Collective, type CollectiveStats } from '../distributed/collective.js';
import { checkSameFeatures, loadChannel, type ChannelData } from '../channel-data.js';
import { trainBooster, type BoosterParams, type RoundReport, type TrainingMatrix } from './engine/index.js';
import { toBoosterParams } from './hyperparameters.js';
import { featureImportance, IMPORTANCE_TYPES } from './importance.js';
import { MODEL_FILE } from './model-files.js';
import type { BoosterModel } from './model.js';
import { toXGBoostJson } from './xgboost-json.js';

/**
 * Trains boosted trees from the `train` channel (and `validation`, which drives early stopping)
 * and writes XGBoost's JSON model as `xgboost-model` in the model folder, as SageMaker's
 * built-in XGBoost does, plus feature importance in the job's output data.
 *
 * With `ctx.collective` (a multi-instance job), each host's channels are its share of the rows
 * and every host trains the same model (engine/distributed.ts); the log says how much was
 * communicated per round.
 */
export async function trainXGBoost(ctx: TrainContext): Promise<void> {
  const params = toBoosterParams(ctx.hyperparameters, ctx.cpus);
  const started = performance.now();
  const channels = await loadChannels(ctx, params);
  const [train, validation] = channels;
  const readSeconds = (performance.now() - started) / 1000;
  ctx.log(`xgboost: ${params.num_round} rounds of ${params.objective}, ${params.grow_policy} trees, ${params.nthread} thread(s); data read in ${readSeconds.toFixed(2)} s`);
  const collective = ctx.collective && ctx.collective.size > 1 ? ctx.collective : undefined;
  if (collective) await logShares(ctx, collective, channels);
  const evals = channels.map((c) => ({ name: c.name, data: toMatrix(c) }));
  const comm = collective && new RoundStats(collective);
  const model = await trainBooster(evals[0].data, params, {
    evals,
    onRound: (r) => {
      comm?.roundEnded();
      ctx.log(roundLine(r));
    },
    signal: ctx.signal,
    ...(collective ? { collective } : {}),
  });
  if (comm) ctx.log(comm.summary());
  model.featureNames = train.hasHeader ? train.featureNames : undefined;
  model.params = { ...ctx.hyperparameters };
  if (model.bestIteration !== undefined) {
    ctx.log(`xgboost: best iteration ${model.bestIteration} (${validation ? 'validation' : 'train'} ${bestMetricName(params)} ${model.bestScore}); later rounds are not used for prediction`);
  }
  await writeModel(ctx, model);
  ctx.log(`xgboost: ${model.trees.length} trees trained in ${((performance.now() - started) / 1000).toFixed(2)} s; model written (${MODEL_FILE})`);
}

async function loadChannels(ctx: TrainContext, params: BoosterParams): Promise<ChannelData[]> {
  const trainInput = ctx.channels.train;
  if (!trainInput) throw validationError("xgboost needs a 'train' channel", { field: 'channels' });
  const check = labelValidator(params);
  const train = await loadChannel('xgboost', 'train', trainInput, check, ctx.signal);
  logChannel(ctx, train);
  const out = [train];
  const input = ctx.channels.validation;
  if (input) {
    const v = await loadChannel('xgboost', 'validation', input, check, ctx.signal);
    checkSameFeatures(train, v);
    logChannel(ctx, v);
    out.push(v);
  }
  return out;
}

/** Rows of each channel over all hosts (one allreduce), for the log. */
async function logShares(ctx: TrainContext, c: Collective, channels: ChannelData[]) {
  const rows = Float64Array.from(channels, (ch) => ch.data.rows);
  await c.allreduceSum(rows);
  const shares = channels.map((ch, i) => `'${ch.name}' ${rows[i]} rows (${ch.data.rows} here)`).join(', ');
  ctx.log(`xgboost: data-parallel on ${c.size} hosts (${c.hosts[c.rank]} is host ${c.rank + 1}): ${shares}`);
}

/**
 * Communication per boosting round: from the end of the first round (set-up — quantile
 * summaries and cuts — and round 0 apart) to the end of the last.
 */
class RoundStats {
  readonly #start: CollectiveStats;
  #first: CollectiveStats | undefined;
  #rounds = 0;

  constructor(private readonly c: Collective) {
    this.#start = c.stats();
  }

  roundEnded(): void {
    if (this.#rounds++ === 0) this.#first = this.c.stats();
  }

  summary(): string {
    const now = this.c.stats();
    const head = `xgboost: communication with ${this.c.size - 1} other host(s): set-up and round 0: ${describeStats(statsSince(this.#first ?? now, this.#start))}`;
    if (this.#rounds < 2) return head;
    return `${head}; per round after: ${describeStats(statsSince(now, this.#first!), this.#rounds - 1)}`;
  }
}

function logChannel(ctx: TrainContext, c: ChannelData) {
  ctx.log(`xgboost: channel '${c.name}': ${c.data.rows} rows × ${c.data.d} features from ${c.files} file(s), ${(c.bytes / 1048576).toFixed(1)} MiB in ${c.seconds.toFixed(2)} s`);
}

/** Labels each objective accepts, checked as the data is read so the failure names file, row and column. */
export function labelValidator(params: Pick<BoosterParams, 'objective' | 'num_class'>): (label: number) => string | undefined {
  const o = params.objective;
  if (o === 'multi:softprob' || o === 'multi:softmax') {
    const K = params.num_class;
    return (v) => (Number.isInteger(v) && v >= 0 && v < K ? undefined : `label ${v} is not a class: expected an integer from 0 to ${K - 1} (num_class is ${K})`);
  }
  if (o === 'binary:logistic' || o === 'binary:logitraw' || o === 'reg:logistic') {
    return (v) => (v >= 0 && v <= 1 ? undefined : `label ${v} is outside [0, 1], which objective '${o}' needs`);
  }
  if (o === 'count:poisson') return (v) => (v >= 0 ? undefined : `label ${v} is negative; objective 'count:poisson' needs counts ≥ 0`);
  return () => undefined;
}

function toMatrix(c: ChannelData): TrainingMatrix {
  return { rows: c.data.rows, cols: c.data.d, features: new Float32Array(c.data.x), labels: new Float32Array(c.data.y) };
}

/** XGBoost's own round line, `[3]\ttrain-auc:0.97\tvalidation-auc:0.95`, which the metric regexes read. */
export function roundLine(r: RoundReport): string {
  return `[${r.round}]` + r.results.map((m) => `\t${m.dataset}-${m.metric}:${formatValue(m.value)}`).join('');
}

function formatValue(v: number): string {
  return Number.isFinite(v) ? String(Number(v.toPrecision(6))) : 'nan';
}

function bestMetricName(params: BoosterParams): string {
  return params.eval_metric.at(-1) ?? 'metric';
}

async function writeModel(ctx: TrainContext, model: BoosterModel) {
  await writeFile(join(ctx.modelDir, MODEL_FILE), toXGBoostJson(model));
  await mkdir(ctx.outputDataDir, { recursive: true });
  const importance = Object.fromEntries(IMPORTANCE_TYPES.map((t) => [t, featureImportance(model, t)]));
  await writeFile(join(ctx.outputDataDir, 'feature-importance.json'), JSON.stringify(importance, null, 2));
}
