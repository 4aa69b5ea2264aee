import type { BuiltinAlgorithm, MetricDefinition } from '../algorithms/algorithm.js';
import { builtinAlgorithm } from '../algorithms/registry.js';
import type { CreateTrainingJobRequest } from '../contracts/training-job.js';
import { validationError } from '../core/errors.js';
import { DEFAULT_INSTANCE_TYPE, instanceType } from '../core/instance-types.js';
import { compileMetricDefinitions } from '../jobs/metric-extractor.js';
import { checkRelativePath, normalizeScript, type ScriptSpec } from './script-spec.js';

export interface ResolvedInput {
  channel: string;
  /** A dataset version, resolved to its number at creation... */
  dataset?: string;
  version?: number;
  /** ...or an artifact key prefix (every object under it). */
  artifactPrefix?: string;
  targetColumn?: string;
  contentType?: string;
  /** With several hosts: every object to every host (default), or every N-th object by key to each. */
  distribution?: 'FullyReplicated' | 'ShardedByS3Key';
}

/** Where a job keeps checkpoints: a folder inside its job folder, mirrored under an artifact prefix. */
export interface CheckpointSpec {
  /** Relative to the job folder. */
  localPath: string;
  /** Artifact key prefix, under `checkpoints/`. */
  artifactPrefix: string;
}

/** A create request after validation, with every default filled in: what the store keeps. */
export interface NormalizedTrainingJobSpec {
  /** A built-in algorithm's name; absent for a script job. */
  algorithm?: string;
  /** Your own training code; absent for a built-in algorithm. */
  script?: ScriptSpec;
  hyperparameters: Record<string, string>;
  inputs: ResolvedInput[];
  /** Variables the job declared for its process. */
  environment?: Record<string, string>;
  checkpoint?: CheckpointSpec;
  retryOf?: string;
  /** How often a job whose host failed is started again (from its checkpoints); cluster executors only. */
  retryStrategy?: { maximumRetryAttempts: number };
  resources: { instanceType: string; instanceCount: number };
  stoppingCondition: { maxRuntimeInSeconds: number };
  metricDefinitions: MetricDefinition[];
  tags?: Record<string, string>;
}

/** What normalizing needs from the rest of the platform (datasets, artifacts, other jobs). */
export interface SpecResolvers {
  /** The dataset version an input channel uses (the latest when it names none). */
  version(input: CreateTrainingJobRequest['inputs'][number] & { dataset: string }): Promise<number>;
  /** Checks that an input's artifact prefix holds objects; ValidationError otherwise. */
  prefix(prefix: string, field: string): Promise<void>;
  /** The artifact URI of a script's source bundle; ValidationError when there is none. */
  source(source: string): Promise<string>;
  /** The checkpoint config of the job a retry retries; ValidationError when it cannot be retried. */
  retried(name: string): Promise<CheckpointSpec>;
}

const asString = (v: string | number | boolean) => (typeof v === 'string' ? v : String(v));

/** Environment names a job may not set: the platform's own, and the job contract's. */
const RESERVED_ENV = /^(STRATUS_|SM_)/i;

/**
 * Validates what the schema cannot: exactly one of algorithm and script, the algorithm's
 * hyperparameters (names and ranges) and channels, the instance type, metric regexes, the
 * environment, checkpoints; and resolves dataset versions, the source bundle and a retried job.
 */
export async function normalizeSpec(req: CreateTrainingJobRequest, resolve: SpecResolvers): Promise<NormalizedTrainingJobSpec> {
  if ((req.algorithm === undefined) === (req.script === undefined)) {
    const field = req.algorithm === undefined ? 'algorithm' : 'script';
    throw validationError('give exactly one of algorithm (a built-in algorithm) and script (your own training code)', { field });
  }
  const rawHps = Object.fromEntries(Object.entries(req.hyperparameters ?? {}).map(([k, v]) => [k, asString(v)]));
  const algorithm = req.algorithm === undefined ? undefined : builtinAlgorithm(req.algorithm);
  const hyperparameters = algorithm ? algorithm.validateHyperparameters(rawHps) : checkScriptHyperparameters(rawHps);
  checkChannels(algorithm, req.inputs.map((i) => i.channel));
  const type = instanceType(req.resources?.instanceType ?? DEFAULT_INSTANCE_TYPE);
  const metricDefinitions = [...(algorithm?.metricDefinitions ?? []), ...(req.metricDefinitions ?? [])];
  compileMetricDefinitions(metricDefinitions);
  const environment = checkEnvironment(req.environment);
  return {
    ...(algorithm ? { algorithm: algorithm.name } : {}),
    ...(req.script ? { script: await normalizeScript(req.script, resolve.source) } : {}),
    hyperparameters,
    inputs: await Promise.all(req.inputs.map((i, n) => resolveInput(i, n, resolve))),
    ...(environment ? { environment } : {}),
    ...(await checkpointOf(req, resolve)),
    ...(req.retryStrategy ? { retryStrategy: { maximumRetryAttempts: req.retryStrategy.maximumRetryAttempts } } : {}),
    resources: { instanceType: type.name, instanceCount: req.resources?.instanceCount ?? 1 },
    stoppingCondition: { maxRuntimeInSeconds: req.stoppingCondition?.maxRuntimeInSeconds ?? 86400 },
    metricDefinitions,
    ...(req.tags ? { tags: req.tags } : {}),
  };
}

/** One channel: exactly one of a dataset (version resolved now) and an artifact prefix (checked non-empty). */
async function resolveInput(i: CreateTrainingJobRequest['inputs'][number], n: number, resolve: SpecResolvers): Promise<ResolvedInput> {
  const field = `inputs[${n}]`;
  if ((i.dataset === undefined) === (i.artifactPrefix === undefined)) {
    throw validationError(`${field} (channel '${i.channel}') needs exactly one of dataset and artifactPrefix`, { field: `${field}.${i.dataset === undefined ? 'dataset' : 'artifactPrefix'}` });
  }
  const extra = {
    ...(i.targetColumn ? { targetColumn: i.targetColumn } : {}),
    ...(i.contentType ? { contentType: i.contentType } : {}),
    ...(i.distribution ? { distribution: i.distribution } : {}),
  };
  if (i.dataset !== undefined) return { channel: i.channel, dataset: i.dataset, version: await resolve.version({ ...i, dataset: i.dataset }), ...extra };
  if (i.version !== undefined) throw validationError(`${field}.version applies to a dataset, not to an artifactPrefix`, { field: `${field}.version` });
  await resolve.prefix(i.artifactPrefix!, `${field}.artifactPrefix`);
  return { channel: i.channel, artifactPrefix: i.artifactPrefix!, ...extra };
}

/** A script gets its hyperparameters as arguments and SM_HP_<NAME> variables: names must fit both. */
function checkScriptHyperparameters(hps: Record<string, string>): Record<string, string> {
  for (const [name, value] of Object.entries(hps)) {
    if (name === '' || /[=\s\u0000-\u001f]/.test(name)) {
      throw validationError(`hyperparameter name '${name}' cannot be passed to a script: no spaces, '=' or control characters`, { field: 'hyperparameters', name });
    }
    if (value.includes('\u0000')) throw validationError(`hyperparameter '${name}' holds a NUL character`, { field: 'hyperparameters', name });
  }
  return hps;
}

/** A job's declared environment: valid names, no NUL, none of the platform's (STRATUS_*) or the contract's (SM_*). */
export function checkEnvironment(env: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!env || Object.keys(env).length === 0) return undefined;
  for (const name of Object.keys(env)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,127}$/.test(name)) {
      throw validationError(`environment variable name '${name}' is not valid: letters, digits and _, not starting with a digit`, { field: 'environment', name });
    }
    if (env[name].includes('\u0000')) throw validationError(`environment variable '${name}' holds a NUL character`, { field: 'environment', name });
    if (RESERVED_ENV.test(name)) {
      throw validationError(`environment variable '${name}' is reserved: STRATUS_* belong to the platform and SM_* to the job contract`, { field: 'environment', name });
    }
  }
  return { ...env };
}

/** The checkpoint config: the request's, else (for a retry) the retried job's, defaults filled. */
async function checkpointOf(req: CreateTrainingJobRequest, resolve: SpecResolvers): Promise<{ checkpoint?: CheckpointSpec; retryOf?: string }> {
  const retried = req.retryOf === undefined ? undefined : await resolve.retried(req.retryOf);
  const given = req.checkpointConfig;
  if (!given && !retried) return {};
  const localPath = given?.localPath ?? retried?.localPath ?? 'checkpoints';
  checkRelativePath(localPath, 'checkpointConfig.localPath');
  if (/^(input|model|output|code)(\/|$)/.test(localPath) || localPath === 'job.log') {
    throw validationError(`checkpointConfig.localPath '${localPath}' would overlap the job contract's folders; use e.g. 'checkpoints'`, { field: 'checkpointConfig.localPath' });
  }
  const artifactPrefix = (given?.artifactPrefix ?? retried?.artifactPrefix ?? `checkpoints/${req.name}`).replace(/\/+$/, '');
  checkRelativePath(artifactPrefix, 'checkpointConfig.artifactPrefix');
  if (!artifactPrefix.startsWith('checkpoints/')) {
    throw validationError(`checkpointConfig.artifactPrefix must start with checkpoints/, got '${artifactPrefix}'`, { field: 'checkpointConfig.artifactPrefix' });
  }
  return { checkpoint: { localPath, artifactPrefix }, ...(req.retryOf ? { retryOf: req.retryOf } : {}) };
}

function checkChannels(algorithm: BuiltinAlgorithm | undefined, channels: string[]) {
  const seen = new Set<string>();
  for (const c of channels) {
    if (seen.has(c)) throw validationError(`channel '${c}' is given twice`, { field: 'inputs' });
    seen.add(c);
    // A script reads whatever channels it is given.
    if (algorithm && !algorithm.channels.required.includes(c) && !algorithm.channels.optional.includes(c)) {
      const known = [...algorithm.channels.required, ...algorithm.channels.optional].join(', ');
      throw validationError(`${algorithm.name} does not read a channel named '${c}'; its channels are: ${known}`, { field: 'inputs', channel: c });
    }
  }
  for (const r of algorithm?.channels.required ?? []) {
    if (!seen.has(r)) throw validationError(`${algorithm!.name} needs a '${r}' channel in inputs`, { field: 'inputs', channel: r });
  }
}
