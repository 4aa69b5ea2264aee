/**
 * What linear-learner exchanges with the other hosts of a data-parallel job (each host holding a
 * shard of every channel's rows), in the order every host calls it:
 *
 * 1. the shards' headers (data.ts `loadShards`);
 * 2. feature (and regressor label) means, then squared deviations from them: two-pass global
 *    moments, so every host normalizes alike;
 * 3. rows and class counts; per step the gradient plus its row count; per epoch the training
 *    and validation metric sums (trainer.ts), so every host takes the same steps and stops alike;
 * 4. the decision threshold, chosen by algo-1 on the gathered scores of a sample of the selection
 *    channel, and the final metrics (sums, and AUCs computed by algo-1 on gathered scores);
 * 5. a digest of the model, which must be the same on every host before algo-1 writes it.
 *
 * See docs/architecture.md ("Data-parallel training").
 */
import { createHash } from 'node:crypto';
import { rocAucImpl, selectThresholdImpl, splitSortedImpl } from '../kernels/classification-metrics.js';
import { createRng, sampleIndicesImpl } from '../kernels/rng.js';
import type { Collective } from '../distributed/collective.js';
import type { ChannelData } from '../channel-data.js';
import type { LinearLearnerConfig } from './config.js';
import { binaryScores, METRIC_SUMS, metricSums, metricsFromSums, type Dataset, type LinearParams, type LinearTask, type Metrics } from './evaluate.js';
import { encodeLinearModel, writeLinearModel, type LinearModel, type ModelInfo } from './model.js';
import { labelScaled, labelScalingFromMoments, normalizationFromMoments, type LabelScaling, type Normalization } from './normalization.js';

/** Per-column mean and population standard deviation over every host's rows, ignoring NaN cells. */
export async function globalMoments(c: Collective, x: Float64Array, rows: number, d: number): Promise<{ mean: Float64Array; std: Float64Array }> {
  const sums = new Float64Array(2 * d);
  columnSumsImpl(x, rows, d, sums.subarray(0, d), sums.subarray(d));
  await c.allreduceSum(sums);
  const mean = new Float64Array(d);
  for (let j = 0; j < d; j++) mean[j] = sums[d + j] > 0 ? sums[j] / sums[d + j] : 0;
  // Deviations from the global mean in a second pass: Σx² − (Σx)²/n would cancel when means dwarf the spread.
  const dev = new Float64Array(d);
  columnSquaredDeviationsImpl(x, rows, d, mean, dev);
  await c.allreduceSum(dev);
  const std = new Float64Array(d);
  for (let j = 0; j < d; j++) std[j] = sums[d + j] > 0 ? Math.sqrt(dev[j] / sums[d + j]) : 0;
  return { mean, std };
}

/** Per column, the sum and the number of non-NaN cells. */
export function columnSumsImpl(x: Float64Array, rows: number, d: number, outSum: Float64Array, outCount: Float64Array): void {
  const nan = new Float64Array(d);
  for (let r = 0, off = 0; r < rows; r++, off += d) {
    for (let j = 0; j < d; j++) {
      const v = x[off + j];
      if (v === v) outSum[j] += v;
      else nan[j]++;
    }
  }
  for (let j = 0; j < d; j++) outCount[j] = rows - nan[j];
}

/** Per column, Σ (x − mean)² over non-NaN cells. */
export function columnSquaredDeviationsImpl(x: Float64Array, rows: number, d: number, mean: Float64Array, out: Float64Array): void {
  for (let r = 0, off = 0; r < rows; r++, off += d) {
    for (let j = 0; j < d; j++) {
      const v = x[off + j] - mean[j];
      if (v === v) out[j] += v * v;
    }
  }
}

/** The feature transform fitted on every host's training rows. */
export async function globalNormalization(c: Collective, data: Dataset, cfg: LinearLearnerConfig): Promise<Normalization> {
  const { mean, std } = await globalMoments(c, data.x, data.rows, data.d);
  return normalizationFromMoments(mean, std, cfg);
}

/** The label transform fitted on every host's training labels. */
export async function globalLabelScaling(c: Collective, data: Dataset, cfg: LinearLearnerConfig): Promise<LabelScaling> {
  if (!labelScaled(cfg)) return { shift: 0, scale: 1 };
  const { mean, std } = await globalMoments(c, data.y, data.rows, 1);
  return labelScalingFromMoments(mean[0], std[0], cfg);
}

/**
 * The decision threshold, chosen as on one host (see train.ts `chooseThreshold`) by algo-1 on
 * every host's scores of `data`, or, beyond `num_calibration_samples` rows in all, on each
 * host's seeded sample of a share of them proportional to its rows; broadcast to every host.
 */
export async function globalThreshold(c: Collective, model: LinearParams, data: Dataset, globalRows: number, cfg: LinearLearnerConfig): Promise<number> {
  let scores = binaryScores(model, data);
  let labels = data.y;
  let n = data.rows;
  if (globalRows > cfg.calibrationSamples) {
    const pick = sampleIndicesImpl(n, Math.round((cfg.calibrationSamples * n) / globalRows), createRng((cfg.seed ^ 0x5eed) + c.rank));
    const s = new Float64Array(pick.length);
    const l = new Float64Array(pick.length);
    for (let i = 0; i < pick.length; i++) {
      s[i] = scores[pick[i]];
      l[i] = labels[pick[i]];
    }
    [scores, labels, n] = [s, l, pick.length];
  }
  const parts = await c.gather(encodeScored(scores, labels, n));
  const threshold = new Float64Array(1);
  if (parts) {
    const all = decodeScored(parts);
    threshold[0] = selectThresholdImpl(splitSortedImpl(all.scores, all.labels, all.n), {
      criterion: cfg.criterion,
      beta: cfg.fBeta,
      targetPrecision: cfg.targetPrecision,
      targetRecall: cfg.targetRecall,
      preferred: 0.5,
    });
  }
  return (await broadcastFloats(c, threshold))[0];
}

/**
 * The final metrics of every channel over all hosts' rows: one allreduce of the metric sums; for
 * a binary classifier, the scores gathered by algo-1, which computes the AUCs and broadcasts them.
 */
export async function globalFinalMetrics(
  c: Collective,
  model: LinearParams,
  channels: ChannelData[],
  task: LinearTask,
  threshold: number,
): Promise<Record<string, Metrics>> {
  const binary = task.predictorType === 'binary_classifier';
  const sums = new Float64Array(channels.length * METRIC_SUMS);
  let aucs: Float64Array = new Float64Array(channels.length);
  for (let i = 0; i < channels.length; i++) {
    const { data } = channels[i];
    const local = metricSums(model, data, task, threshold);
    sums.set(local.sums, i * METRIC_SUMS);
    if (!binary) continue;
    const parts = await c.gather(encodeScored(local.outputs, data.y, data.rows));
    if (parts) {
      const all = decodeScored(parts);
      aucs[i] = rocAucImpl(splitSortedImpl(all.scores, all.labels, all.n));
    }
  }
  await c.allreduceSum(sums);
  if (binary) aucs = await broadcastFloats(c, aucs);
  const out: Record<string, Metrics> = {};
  channels.forEach((ch, i) => {
    out[ch.name] = metricsFromSums(sums.subarray(i * METRIC_SUMS, (i + 1) * METRIC_SUMS), task, true);
    if (binary) out[ch.name].roc_auc_score = aucs[i];
  });
  return out;
}

/**
 * Checks that every host ended with the same model files (the digests of their bytes, gathered
 * by every host) and writes them on algo-1 only, whose model folder becomes the artifact.
 * Returns the digest.
 * @throws Error naming the hosts whose model differs (a bug: every host takes the same steps).
 */
export async function writeFromMaster(c: Collective, dir: string, model: LinearModel, info: ModelInfo): Promise<string> {
  const files = encodeLinearModel(model, info);
  const digest = createHash('sha256').update(files.blob).update(files.manifest).digest();
  const digests = (await c.allgather(digest)).map((b) => Buffer.from(b).toString('hex'));
  const differ = c.hosts.filter((_, r) => digests[r] !== digests[0]);
  if (differ.length > 0) throw new Error(`linear-learner: the model on ${differ.join(', ')} differs from ${c.hosts[0]}'s; hosts must end with identical models`);
  if (c.rank === 0) await writeLinearModel(dir, files);
  return digests[0];
}

/** Binary scores and 0/1 labels of `n` rows: n float64 scores, then n label bytes. */
function encodeScored(scores: Float64Array, labels: Float64Array, n: number): Uint8Array {
  const out = new Uint8Array(9 * n);
  new Float64Array(out.buffer, 0, n).set(scores.subarray(0, n));
  for (let i = 0; i < n; i++) out[8 * n + i] = labels[i] > 0.5 ? 1 : 0;
  return out;
}

/** Every host's {@link encodeScored} rows, in rank order. */
function decodeScored(parts: Uint8Array[]): { scores: Float64Array; labels: Float64Array; n: number } {
  const n = parts.reduce((sum, p) => sum + p.length / 9, 0);
  const scores = new Float64Array(n);
  const labels = new Float64Array(n);
  let at = 0;
  for (const p of parts) {
    const k = p.length / 9;
    if (!Number.isInteger(k)) throw new Error('linear-learner: a host sent a malformed score message');
    // Copied out: a received message need not be 8-byte aligned.
    scores.set(new Float64Array(p.slice(0, 8 * k).buffer), at);
    for (let i = 0; i < k; i++) labels[at + i] = p[8 * k + i];
    at += k;
  }
  return { scores, labels, n };
}

/** algo-1's float64 values on every host. */
async function broadcastFloats(c: Collective, values: Float64Array): Promise<Float64Array> {
  const bytes = await c.broadcast(c.rank === 0 ? new Uint8Array(values.buffer, values.byteOffset, values.byteLength) : undefined);
  return new Float64Array(bytes.slice().buffer);
}
