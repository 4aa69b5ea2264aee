/**
 * What one host of a training job does with the artifact store: copy its share of the input
 * channels into the job folder, and (on the master host) pack and upload the model and output.
 * Both executors call these: the local executor on the server's machine, the Slurm executor's
 * host runner on each cluster host, which sees the store and nothing else of the server.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { packDirectory } from '../artifacts/archive.js';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import { objectsUnderPrefix } from '../artifacts/prefix.js';
import type { DatasetService } from '../data/dataset-service.js';
import { channelContentType } from '../jobs/channel-content-type.js';
import { channelDir, type JobFolder } from '../jobs/job-folder.js';
import { isRealDirUnder, readJobText } from '../jobs/job-sandbox.js';
import { JobFailure } from './job-launch.js';
import type { NormalizedTrainingJobSpec } from './job-spec.js';

/** An input channel resolved to artifact keys, so a host needs no metadata store to fetch it. */
export interface HostInput {
  channel: string;
  /** ContentType in inputdataconfig.json (with the header and label column of a dataset). */
  contentType: string;
  distribution: 'FullyReplicated' | 'ShardedByS3Key';
  /** Every object under an artifact prefix, or one dataset file saved under `fileName`. */
  source: { prefix: string } | { key: string; fileName: string };
}

/** Which share of the channels a host gets: host `index` of `count`. */
export interface Shard {
  index: number;
  count: number;
}

/** Resolves a job's channels (dataset versions → their artifact keys); runs where the metadata store is. */
export async function resolveHostInputs(spec: NormalizedTrainingJobSpec, datasets: DatasetService, artifacts: ArtifactStore): Promise<HostInput[]> {
  const out: HostInput[] = [];
  for (const input of spec.inputs) {
    const distribution = input.distribution ?? 'FullyReplicated';
    if (input.artifactPrefix !== undefined) {
      out.push({ channel: input.channel, distribution, contentType: channelContentType({ header: false, contentType: input.contentType }), source: { prefix: input.artifactPrefix } });
      continue;
    }
    const version = await datasets.getVersion(input.dataset!, input.version);
    out.push({
      channel: input.channel,
      distribution,
      contentType: channelContentType({ header: version.header, targetColumn: input.targetColumn, contentType: input.contentType }),
      source: { key: artifacts.keyOf(version.uri), fileName: `${input.dataset}-v${version.version}.${version.format}` },
    });
  }
  return out;
}

/**
 * Copies each channel (this host's share of a `ShardedByS3Key` one: every `count`-th object in key
 * order, starting at `index`) into `input/data/<channel>/` and records each channel's ContentType
 * and distribution in inputdataconfig.json.
 * @throws JobFailure when a prefix has become empty since the job was created.
 */
export async function downloadChannels(artifacts: ArtifactStore, inputs: HostInput[], folder: JobFolder, shard: Shard = { index: 0, count: 1 }): Promise<void> {
  for (const input of inputs) await downloadInput(artifacts, input, channelDir(folder, input.channel), shard);
  const path = join(folder.configDir, 'inputdataconfig.json');
  const config = JSON.parse(await readFile(path, 'utf8')) as Record<string, Record<string, string>>;
  for (const input of inputs) {
    config[input.channel] = { ...config[input.channel], ContentType: input.contentType, S3DistributionType: input.distribution };
  }
  await writeFile(path, JSON.stringify(config, null, 1));
}

/**
 * Copies one input (this host's share of a `ShardedByS3Key` one) into `dir`: a dataset file under
 * its file name, or every object under a prefix at its path relative to the prefix.
 * @throws JobFailure when a prefix holds no objects, or an object would land outside `dir`.
 */
export async function downloadInput(artifacts: ArtifactStore, input: Pick<HostInput, 'source' | 'distribution'>, dir: string, shard: Shard = { index: 0, count: 1 }): Promise<void> {
  const mine = <T>(items: T[]) => (input.distribution === 'ShardedByS3Key' ? items.filter((_, i) => i % shard.count === shard.index) : items);
  if ('key' in input.source) {
    for (const s of mine([input.source])) await artifacts.download(s.key, join(dir, s.fileName));
    return;
  }
  const objects = (await objectsUnderPrefix(artifacts, input.source.prefix)).sort((a, b) => (a.info.key < b.info.key ? -1 : a.info.key > b.info.key ? 1 : 0));
  if (objects.length === 0) throw new JobFailure(`ClientError: no objects found under artifact prefix '${input.source.prefix}' given as input data`);
  for (const o of mine(objects)) {
    const path = resolve(dir, o.relative);
    if (relative(dir, path).split(sep)[0] === '..') throw new JobFailure(`ClientError: object '${o.info.key}' would land outside its channel folder`);
    await artifacts.download(o.info.key, path);
  }
}

/** Artifact keys a job's outputs go to. */
export interface OutputKeys {
  model: string;
  output: string;
}

/** Packs `model/` and `output/data/` (when they hold files) and uploads them; returns their URIs. */
export async function uploadOutputs(artifacts: ArtifactStore, folder: JobFolder, keys: OutputKeys): Promise<{ modelArtifactUri?: string; outputArtifactUri?: string }> {
  const out: { modelArtifactUri?: string; outputArtifactUri?: string } = {};
  // model/ and output/data are the job's: a symlink in their place is not followed (nor, by the
  // packer, any symlink inside them: it is stored as a link).
  if ((await isRealDirUnder(folder.root, folder.modelDir)) && (await hasFiles(folder.modelDir))) out.modelArtifactUri = (await artifacts.put(keys.model, packDirectory(folder.modelDir))).uri;
  if ((await isRealDirUnder(folder.root, folder.outputDataDir)) && (await hasFiles(folder.outputDataDir))) out.outputArtifactUri = (await artifacts.put(keys.output, packDirectory(folder.outputDataDir))).uri;
  return out;
}

const hasFiles = async (dir: string) => existsSync(dir) && (await readdir(dir)).length > 0;

/** SageMaker keeps the first 1024 characters of a failure reason. */
export const MAX_FAILURE_REASON = 1024;

/**
 * Why a training process failed: `output/failure` as the job wrote it, else how it ended and the
 * last lines of its log (where a traceback ends).
 */
export async function processFailureReason(
  folder: Pick<JobFolder, 'failureFile' | 'root'>, exit: { code: number | null; signal: string | null }, tail: string[], where = '', owner?: number, what = 'training process',
): Promise<string> {
  // The job controls output/failure: read without following a link it may have put there.
  const written = ((await readJobText(folder.failureFile, folder.root, owner, 4 * MAX_FAILURE_REASON)) ?? '').trim();
  if (written) return written.slice(0, MAX_FAILURE_REASON);
  const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
  const head = `AlgorithmError: the ${what}${where} ${how}`;
  const text = tail.join('\n');
  if (!text) return `${head}; it printed nothing`;
  const room = MAX_FAILURE_REASON - head.length - 30;
  return `${head}; the last lines of its log:\n${text.length > room ? `…${text.slice(-room)}` : text}`;
}
