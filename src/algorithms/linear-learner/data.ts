import { validationError } from '../../core/errors.js';
import { listChannelFiles } from '../../data/numeric-table.js';
import type { TrainContext } from '../algorithm.js';
import { checkSameFeatures, loadChannel, type ChannelData } from '../channel-data.js';
import type { Collective } from '../distributed/collective.js';
import type { LinearLearnerConfig } from './config.js';

const EVAL_CHANNELS = ['validation', 'test'] as const;
const CHANNELS = ['train', ...EVAL_CHANNELS] as const;

/** The label check of a predictor type: a message for a bad label, else undefined. */
export function labelValidator(cfg: LinearLearnerConfig): ((label: number) => string | undefined) | undefined {
  if (cfg.predictorType === 'binary_classifier') {
    return (v) => (v === 0 || v === 1 ? undefined : `label ${v} is not 0 or 1 (predictor_type 'binary_classifier')`);
  }
  if (cfg.predictorType === 'multiclass_classifier') {
    const K = cfg.numClasses;
    return (v) => (Number.isInteger(v) && v >= 0 && v < K ? undefined : `label ${v} is not a class: expected an integer from 0 to ${K - 1} (num_classes is ${K})`);
  }
  return undefined;
}

/** The train channel, then the validation and test channels that are given, read into memory. */
export async function loadChannels(ctx: TrainContext, cfg: LinearLearnerConfig): Promise<ChannelData[]> {
  const train = await loadChannel('linear-learner', 'train', trainInput(ctx), labelValidator(cfg), ctx.signal);
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

function trainInput(ctx: TrainContext) {
  const input = ctx.channels.train;
  if (!input) throw validationError("linear-learner needs a 'train' channel", { field: 'channels' });
  return input;
}

function logChannel(ctx: TrainContext, c: ChannelData): void {
  const mb = c.bytes / 1e6;
  ctx.log(
    `linear-learner: channel '${c.name}': ${c.data.rows} rows × ${c.data.d} features from ${c.files} file(s), ` +
      `${mb.toFixed(1)} MB read in ${c.seconds.toFixed(2)} s (${(mb / Math.max(c.seconds, 1e-9)).toFixed(0)} MB/s)`,
  );
}

/** This host's shards of the channels, and each channel's rows over all hosts. */
export interface Shards {
  /** train first; a channel some host has rows of is here on every host, possibly with 0 rows. */
  channels: ChannelData[];
  globalRows: Record<string, number>;
}

/** What a host tells the others about its shard of a channel. */
interface ShardHeader {
  rows: number;
  d: number;
  featureNames: string[];
  hasHeader: boolean;
}

/**
 * Reads this host's shards (a ShardedByS3Key channel may give a host no files at all) and agrees
 * with the other hosts on which channels exist, their feature count and names (one allgather).
 * Every host gets the same answer, so a mismatch fails every host with the same message.
 * @throws ValidationError for a channel no host has rows of, or shards that disagree on features.
 */
export async function loadShards(ctx: TrainContext, cfg: LinearLearnerConfig, c: Collective): Promise<Shards> {
  trainInput(ctx);
  const local: Record<string, ChannelData> = {};
  for (const name of CHANNELS) {
    const input = ctx.channels[name];
    if (!input || !(await hasFiles(input.path))) continue;
    local[name] = await loadChannel('linear-learner', name, input, labelValidator(cfg), ctx.signal);
    logChannel(ctx, local[name]);
  }
  const mine = Object.fromEntries(
    Object.values(local).map((ch) => [ch.name, { rows: ch.data.rows, d: ch.data.d, featureNames: ch.featureNames, hasHeader: ch.hasHeader }]),
  );
  const parts = await c.allgather(new TextEncoder().encode(JSON.stringify(mine)));
  const all = parts.map((p) => JSON.parse(new TextDecoder().decode(p)) as Record<string, ShardHeader>);
  const reference = referenceShard(all, c, 'train');
  const channels: ChannelData[] = [];
  const globalRows: Record<string, number> = {};
  for (const name of CHANNELS) {
    if (!ctx.channels[name]) continue;
    globalRows[name] = all.reduce((n, h) => n + (h[name]?.rows ?? 0), 0);
    checkShards(all, c, name, reference);
    channels.push(local[name] ?? emptyShard(name, reference.header));
  }
  // Every host names the features alike, whatever its own shard's header says.
  for (const ch of channels) ch.featureNames = reference.header.featureNames;
  ctx.log(
    `linear-learner: data-parallel on ${c.size} hosts (this is ${c.hosts[c.rank]}): ` +
      channels.map((ch) => `'${ch.name}' ${globalRows[ch.name]} rows (${all.map((h) => h[ch.name]?.rows ?? 0).join(' + ')})`).join(', '),
  );
  return { channels, globalRows };
}

/** Whether a channel folder holds files; a host given no objects of a sharded channel may lack the folder. */
async function hasFiles(dir: string): Promise<boolean> {
  try {
    return (await listChannelFiles(dir)).length > 0;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

/** The first host's shard of `name` that has rows. */
function referenceShard(all: Record<string, ShardHeader>[], c: Collective, name: string): { host: string; header: ShardHeader } {
  const rank = all.findIndex((h) => h[name]);
  if (rank < 0) throw validationError(`channel '${name}' has no data files on any of the ${c.size} hosts`, { channel: name });
  return { host: c.hosts[rank], header: all[rank][name] };
}

function checkShards(all: Record<string, ShardHeader>[], c: Collective, name: string, train: { host: string; header: ShardHeader }): void {
  referenceShard(all, c, name);
  all.forEach((headers, rank) => {
    const h = headers[name];
    if (!h) return;
    const where = `channel '${name}' on ${c.hosts[rank]}`;
    if (h.d !== train.header.d) {
      throw validationError(`${where} has ${h.d} features but channel 'train' on ${train.host} has ${train.header.d}`, { channel: name });
    }
    if (h.hasHeader && train.header.hasHeader && h.featureNames.join(',') !== train.header.featureNames.join(',')) {
      throw validationError(`${where} has columns ${h.featureNames.join(', ')} but channel 'train' on ${train.host} has ${train.header.featureNames.join(', ')}`, {
        channel: name,
      });
    }
  });
}

function emptyShard(name: string, like: ShardHeader): ChannelData {
  return {
    name,
    data: { x: new Float64Array(0), y: new Float64Array(0), rows: 0, d: like.d },
    featureNames: like.featureNames,
    hasHeader: false,
    files: 0,
    bytes: 0,
    seconds: 0,
  };
}
