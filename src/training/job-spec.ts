import type { BuiltinAlgorithm, MetricDefinition } from '../algorithms/algorithm.js';
import { builtinAlgorithm } from '../algorithms/registry.js';
import type { CreateTrainingJobRequest } from '../contracts/training-job.js';
import { validationError } from '../core/errors.js';
import { DEFAULT_INSTANCE_TYPE, instanceType } from '../core/instance-types.js';
import { compileMetricDefinitions } from '../jobs/metric-extractor.js';

export interface ResolvedInput {
  channel: string;
  dataset: string;
  version: number;
  targetColumn?: string;
  contentType?: string;
}

/** A create request after validation, with every default filled in: what the store keeps. */
export interface NormalizedTrainingJobSpec {
  algorithm: string;
  hyperparameters: Record<string, string>;
  inputs: ResolvedInput[];
  resources: { instanceType: string; instanceCount: number };
  stoppingCondition: { maxRuntimeInSeconds: number };
  metricDefinitions: MetricDefinition[];
  tags?: Record<string, string>;
}

const asString = (v: string | number | boolean) => (typeof v === 'string' ? v : String(v));

/**
 * Validates what the schema cannot: the algorithm, its hyperparameters (names and ranges), its
 * channels, the instance type and metric regexes. Dataset versions are resolved by the caller.
 */
export async function normalizeSpec(
  req: CreateTrainingJobRequest,
  resolveVersion: (i: CreateTrainingJobRequest['inputs'][number]) => Promise<number>,
): Promise<NormalizedTrainingJobSpec> {
  const algorithm = builtinAlgorithm(req.algorithm);
  const rawHps = Object.fromEntries(Object.entries(req.hyperparameters ?? {}).map(([k, v]) => [k, asString(v)]));
  const hyperparameters = algorithm.validateHyperparameters(rawHps);
  checkChannels(algorithm, req.inputs.map((i) => i.channel));
  const type = instanceType(req.resources?.instanceType ?? DEFAULT_INSTANCE_TYPE);
  const metricDefinitions = [...algorithm.metricDefinitions, ...(req.metricDefinitions ?? [])];
  compileMetricDefinitions(metricDefinitions);
  return {
    algorithm: algorithm.name,
    hyperparameters,
    inputs: await Promise.all(
      req.inputs.map(async (i) => ({
        channel: i.channel,
        dataset: i.dataset,
        version: await resolveVersion(i),
        ...(i.targetColumn ? { targetColumn: i.targetColumn } : {}),
        ...(i.contentType ? { contentType: i.contentType } : {}),
      })),
    ),
    resources: { instanceType: type.name, instanceCount: req.resources?.instanceCount ?? 1 },
    stoppingCondition: { maxRuntimeInSeconds: req.stoppingCondition?.maxRuntimeInSeconds ?? 86400 },
    metricDefinitions,
    ...(req.tags ? { tags: req.tags } : {}),
  };
}

function checkChannels(algorithm: BuiltinAlgorithm, channels: string[]) {
  const seen = new Set<string>();
  for (const c of channels) {
    if (seen.has(c)) throw validationError(`channel '${c}' is given twice`, { field: 'inputs' });
    seen.add(c);
    if (!algorithm.channels.required.includes(c) && !algorithm.channels.optional.includes(c)) {
      const known = [...algorithm.channels.required, ...algorithm.channels.optional].join(', ');
      throw validationError(`${algorithm.name} does not read a channel named '${c}'; its channels are: ${known}`, { field: 'inputs', channel: c });
    }
  }
  for (const r of algorithm.channels.required) {
    if (!seen.has(r)) throw validationError(`${algorithm.name} needs a '${r}' channel in inputs`, { field: 'inputs', channel: r });
  }
}
