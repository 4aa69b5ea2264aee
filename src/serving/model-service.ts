import type { ArtifactStore } from '../artifacts/artifact-store.js';
import { UPLOADS_PREFIX } from '../contracts/artifact.js';
import type { CreateModelRequest, FeatureImportance, Model, ModelRuntime } from '../contracts/model.js';
import type { CreateEndpointConfigRequest, EndpointConfig } from '../contracts/endpoint.js';
import type { Clock } from '../core/clock.js';
import { failedPrecondition, isPlatformError, PlatformError, validationError } from '../core/errors.js';
import { arnOf } from '../core/ids.js';
import { DEFAULT_INSTANCE_TYPE, instanceType } from '../core/instance-types.js';
import type { BuiltinAlgorithm, ModelExport } from '../algorithms/algorithm.js';
import { BUILTIN_ALGORITHMS, builtinAlgorithm, findBuiltinAlgorithm } from '../algorithms/registry.js';
import type { EndpointConfigRecord, ListQuery, MetadataStore, ModelRecord } from '../store/metadata-store.js';
import { dataCaptureSpec, type DataCaptureSpec } from './capture.js';
import type { ModelCache } from './model-cache.js';
import type { ShadowVariantSpec } from './shadow.js';

/** What the store keeps of a model. */
export interface ModelSpec {
  /** Absent in models stored before runtimes existed: those are `builtin`. */
  runtime?: ModelRuntime;
  /** The built-in algorithm (runtime builtin only). */
  algorithm?: string;
  artifactUri: string;
  /** Code bundle (.tar.gz artifact URI) of a container or python model. */
  source?: string;
  entryPoint?: string;
  command?: string[];
  environment?: Record<string, string>;
  trainingJob?: string;
  tags?: Record<string, string>;
}

export const runtimeOf = (spec: ModelSpec): ModelRuntime => spec.runtime ?? 'builtin';

/** Variables a replica's environment gets from the platform; a model's `environment` cannot set them. */
const RESERVED_ENV = new Set(['SAGEMAKER_BIND_TO_PORT', 'SM_MODEL_DIR']);

/** What the store keeps of an endpoint config: variants with defaults filled in. */
export interface EndpointConfigSpec {
  variants: Array<{ name: string; model: string; instanceType: string; instanceCount: number; weight: number }>;
  /** Copies of a share of live traffic to other models (issue 5, item 3). */
  shadowVariants?: ShadowVariantSpec[];
  dataCapture?: DataCaptureSpec;
  tags?: Record<string, string>;
}

export const toModel = (r: ModelRecord): Model => {
  const spec = r.spec as unknown as ModelSpec;
  return {
    name: r.name,
    arn: r.arn,
    runtime: runtimeOf(spec),
    ...(spec.algorithm ? { algorithm: spec.algorithm } : {}),
    artifactUri: spec.artifactUri,
    ...(spec.source ? { source: spec.source } : {}),
    ...(spec.entryPoint ? { entryPoint: spec.entryPoint } : {}),
    ...(spec.command ? { command: spec.command } : {}),
    ...(spec.environment ? { environment: spec.environment } : {}),
    ...(spec.trainingJob ? { trainingJob: spec.trainingJob } : {}),
    ...(spec.tags ? { tags: spec.tags } : {}),
    createdAt: r.createdAt.toISOString(),
  };
};

export const toEndpointConfig = (r: EndpointConfigRecord): EndpointConfig => {
  const spec = r.spec as unknown as EndpointConfigSpec;
  return {
    name: r.name, arn: r.arn, variants: spec.variants,
    ...(spec.shadowVariants?.length ? { shadowVariants: spec.shadowVariants } : {}),
    ...(spec.dataCapture ? { dataCapture: spec.dataCapture } : {}),
    ...(spec.tags ? { tags: spec.tags } : {}), createdAt: r.createdAt.toISOString(),
  };
};

type WithImportance = BuiltinAlgorithm & Required<Pick<BuiltinAlgorithm, 'featureImportance'>>;

/** The algorithm, if it can rank features; else a ValidationError naming those that can. */
function importanceOf(algorithm: string | undefined, what: string): WithImportance {
  const impl = algorithm ? findBuiltinAlgorithm(algorithm) : undefined;
  if (impl?.featureImportance) return impl as WithImportance;
  const able = Object.values(BUILTIN_ALGORITHMS as Record<string, BuiltinAlgorithm>).filter((a) => a.featureImportance).map((a) => a.name);
  throw validationError(
    `${what} uses algorithm '${algorithm}', which has no feature importance; algorithms with feature importance: ${able.join(', ') || 'none'}`,
    { field: 'algorithm', algorithm, algorithmsWithImportance: able },
  );
}

/** The model's built-in algorithm; a ValidationError for models of other runtimes. */
function builtinAlgorithmOf(name: string, spec: ModelSpec): string {
  if (spec.algorithm) return spec.algorithm;
  throw validationError(`model '${name}' uses runtime '${runtimeOf(spec)}'; this needs a model of a built-in algorithm`, { field: 'runtime', runtime: runtimeOf(spec) });
}

/** What a runtime may be given, and what it needs, as messages that say what to give. */
const RUNTIME_FIELDS: Record<ModelRuntime, { allowed: Array<keyof CreateModelRequest> }> = {
  builtin: { allowed: ['algorithm'] },
  onnx: { allowed: [] },
  container: { allowed: ['source', 'entryPoint', 'command', 'environment'] },
  python: { allowed: ['source', 'entryPoint', 'environment'] },
};
const SERVING_FIELDS = ['algorithm', 'source', 'entryPoint', 'command', 'environment'] as const;

function checkRuntimeFields(runtime: ModelRuntime, req: CreateModelRequest): void {
  const { allowed } = RUNTIME_FIELDS[runtime];
  for (const field of SERVING_FIELDS) {
    if (req[field] === undefined || allowed.includes(field)) continue;
    const takers = (Object.keys(RUNTIME_FIELDS) as ModelRuntime[]).filter((r) => RUNTIME_FIELDS[r].allowed.includes(field));
    throw validationError(`${field} is not used by runtime '${runtime}'; it applies to runtime ${takers.map((t) => `'${t}'`).join(' or ')}`, { field, runtime });
  }
  if (runtime === 'builtin' && !req.algorithm) {
    throw validationError("runtime 'builtin' needs algorithm: the built-in algorithm that reads the artifact, e.g. xgboost", { field: 'algorithm' });
  }
  if (runtime === 'container') {
    if (!req.entryPoint === !req.command) {
      throw validationError("runtime 'container' needs how to start your server: entryPoint (a file in source, e.g. serve.py) or command (an argv), not both", { field: 'entryPoint' });
    }
    if (req.entryPoint && !req.source) {
      throw validationError(`runtime 'container' with entryPoint '${req.entryPoint}' needs source: the .tar.gz of your code that holds it`, { field: 'source' });
    }
  }
  if (req.entryPoint !== undefined) {
    if (req.entryPoint.startsWith('/') || req.entryPoint.split(/[\\/]/).includes('..')) {
      throw validationError(`entryPoint '${req.entryPoint}' must be a path inside the code bundle, without '..'`, { field: 'entryPoint' });
    }
    if (runtime === 'python' && !req.entryPoint.endsWith('.py')) {
      throw validationError(`runtime 'python' takes entryPoint as the handler module, a .py file (default inference.py); got '${req.entryPoint}'`, { field: 'entryPoint' });
    }
  }
  for (const name of Object.keys(req.environment ?? {})) {
    if (name.startsWith('STRATUS_') || RESERVED_ENV.has(name)) {
      throw validationError(`environment variable '${name}' cannot be set: STRATUS_* never reach a model, and ${[...RESERVED_ENV].join(', ')} are set by the platform`, { field: 'environment', variable: name });
    }
  }
}

/** The fields of a request that say how to serve the model, as stored. */
const servingFields = (req: CreateModelRequest): Partial<ModelSpec> => ({
  ...(req.source ? { source: req.source } : {}),
  ...(req.entryPoint ? { entryPoint: req.entryPoint } : {}),
  ...(req.command ? { command: req.command } : {}),
  ...(req.environment ? { environment: req.environment } : {}),
});

const sorted = (fi: { type: string; features: { feature: string; value: number }[] }) => ({
  type: fi.type,
  features: [...fi.features].sort((a, b) => b.value - a.value).map(({ feature, value }) => ({ feature, value })),
});

const pageOf = <R, T>(page: { items: R[]; nextToken?: string }, f: (r: R) => T) => ({
  items: page.items.map(f),
  ...(page.nextToken ? { nextToken: page.nextToken } : {}),
});

/** Models (an artifact plus how to serve it) and endpoint configs (variants of models). */
export class ModelService {
  constructor(private readonly deps: { store: MetadataStore; artifacts: ArtifactStore; modelCache: ModelCache; clock: Clock }) {}

  async createModel(req: CreateModelRequest): Promise<Model> {
    const spec = await this.#modelSpec(req);
    const record = await this.deps.store.models.create({
      name: req.name,
      arn: arnOf('model', req.name),
      spec: spec as unknown as Record<string, unknown>,
      at: this.deps.clock.now(),
    });
    return toModel(record);
  }

  async #modelSpec(req: CreateModelRequest): Promise<ModelSpec> {
    const tags = req.tags ? { tags: req.tags } : {};
    const serving = servingFields(req);
    if (req.trainingJob) {
      if (req.artifactUri) throw validationError('give either trainingJob or artifactUri, not both', { field: 'artifactUri' });
      const job = await this.deps.store.trainingJobs.get(req.trainingJob);
      if (job.status !== 'Completed' || !job.modelArtifactUri) {
        throw failedPrecondition(`training job '${job.name}' is ${job.status}; a model needs a Completed job with a model artifact`, { status: job.status });
      }
      const jobAlgorithm = (job.spec as { algorithm?: unknown }).algorithm;
      const runtime = req.runtime ?? 'builtin';
      if (runtime === 'builtin') {
        if (typeof jobAlgorithm !== 'string') {
          throw validationError(
            `training job '${job.name}' ran your own script, so its model needs your inference code: give runtime 'python' (an inference.py in source or in the model's code/ folder), 'container' (source with entryPoint or command), or 'onnx'`,
            { field: 'runtime' },
          );
        }
        checkRuntimeFields('builtin', { ...req, algorithm: jobAlgorithm });
        return { runtime, algorithm: jobAlgorithm, artifactUri: job.modelArtifactUri, trainingJob: job.name, ...tags };
      }
      checkRuntimeFields(runtime, req);
      await this.#assertSources(req);
      return { runtime, artifactUri: job.modelArtifactUri, ...serving, trainingJob: job.name, ...tags };
    }
    const runtime = req.runtime ?? (req.algorithm ? 'builtin' : undefined);
    if (!req.artifactUri || !runtime) {
      throw validationError(
        "a model needs a trainingJob, or an artifactUri with how to serve it: algorithm (a built-in algorithm's artifact), or runtime 'onnx', 'container' or 'python'",
        { field: req.artifactUri ? 'runtime' : 'trainingJob' },
      );
    }
    checkRuntimeFields(runtime, req);
    if (runtime === 'builtin') builtinAlgorithm(req.algorithm!);
    await this.#assertArtifactExists(req.artifactUri, 'artifactUri');
    await this.#assertSources(req);
    return { runtime, ...(runtime === 'builtin' ? { algorithm: req.algorithm } : {}), artifactUri: req.artifactUri, ...serving, ...tags };
  }

  async #assertSources(req: CreateModelRequest): Promise<void> {
    if (req.source) await this.#assertArtifactExists(req.source, 'source');
  }

  /** Fails now, with how to fix it, rather than when an endpoint first loads the model. */
  async #assertArtifactExists(uri: string, field: 'artifactUri' | 'source'): Promise<void> {
    const { artifacts } = this.deps;
    let key: string;
    try {
      key = artifacts.keyOf(uri);
    } catch (e) {
      if (!isPlatformError(e)) throw e;
      throw validationError(`${field}: ${e.message}; upload the file with PUT /api/v1/artifacts/${UPLOADS_PREFIX}<path> and use the uri it returns`, { field });
    }
    if (await artifacts.stat(key)) return;
    throw validationError(
      `${field}: artifact '${uri}' not found; upload it with PUT /api/v1/artifacts/${UPLOADS_PREFIX}<path> (stratus artifacts upload <file>) and use the uri it returns`,
      { field, key },
    );
  }

  /**
   * Per-feature importance of a model, most important first.
   * @param type the algorithm's importance type (XGBoost: gain, weight, cover, total_gain, total_cover).
   * @throws PlatformError ValidationError when the model's algorithm has no feature importance, or for an unknown type.
   */
  async featureImportance(name: string, type: string): Promise<FeatureImportance> {
    const record = await this.deps.store.models.get(name);
    const algorithm = builtinAlgorithmOf(name, record.spec as unknown as ModelSpec);
    const impl = importanceOf(algorithm, `model '${name}'`);
    const dir = await this.deps.modelCache.folderOf(record);
    return { model: name, algorithm, ...sorted(await impl.featureImportance(dir, type)) };
  }

  /**
   * Per-feature importance of a training job's model artifact, most important first.
   * @throws PlatformError ValidationError as {@link featureImportance}; FailedPrecondition (409) when the job is not Completed.
   */
  async trainingJobFeatureImportance(name: string, type: string): Promise<FeatureImportance> {
    const job = await this.deps.store.trainingJobs.get(name);
    const algorithm = String((job.spec as { algorithm?: unknown }).algorithm);
    const impl = importanceOf(algorithm, `training job '${name}'`);
    if (job.status !== 'Completed' || !job.modelArtifactUri) {
      throw failedPrecondition(`training job '${name}' is ${job.status}; feature importance needs a Completed job with a model artifact`, { status: job.status });
    }
    const dir = await this.deps.modelCache.folderOfArtifact(`.training-jobs/${name}-${job.createdAt.getTime()}`, job.modelArtifactUri);
    return { trainingJob: name, algorithm, ...sorted(await impl.featureImportance(dir, type)) };
  }

  /**
   * The model in a portable format its algorithm can write (xgboost: 'onnx', 'xgboost-json').
   * @throws PlatformError ValidationError naming the formats there are, when the algorithm cannot write `format`.
   */
  async exportModel(name: string, format: string): Promise<ModelExport> {
    const record = await this.deps.store.models.get(name);
    const algorithm = builtinAlgorithmOf(name, record.spec as unknown as ModelSpec);
    const impl = builtinAlgorithm(algorithm);
    if (!impl.exportModel || !impl.exportFormats?.includes(format)) {
      const formats = impl.exportFormats ?? [];
      const hint = formats.length ? `formats for ${algorithm}: ${formats.join(', ')}` : `algorithm '${algorithm}' has no export formats`;
      throw validationError(`cannot export model '${name}' as '${format}'; ${hint}`, { field: 'format', formats: [...formats] });
    }
    return impl.exportModel(await this.deps.modelCache.folderOf(record), format);
  }

  async getModel(name: string) {
    return toModel(await this.deps.store.models.get(name));
  }

  async listModels(q: ListQuery) {
    return pageOf(await this.deps.store.models.list(q), toModel);
  }

  async deleteModel(name: string) {
    await this.deps.store.models.get(name);
    const user = await this.#endpointUsing((spec) => [...spec.variants, ...(spec.shadowVariants ?? [])].some((v) => v.model === name));
    if (user) throw new PlatformError('ResourceInUse', `model '${name}' is served by endpoint '${user}'; update or delete the endpoint first`, { endpoint: user });
    await this.deps.store.models.delete(name);
  }

  async createConfig(req: CreateEndpointConfigRequest): Promise<EndpointConfig> {
    const spec = await this.#configSpec(req);
    const record = await this.deps.store.endpointConfigs.create({
      name: req.name,
      arn: arnOf('endpoint-config', req.name),
      spec: spec as unknown as Record<string, unknown>,
      at: this.deps.clock.now(),
    });
    return toEndpointConfig(record);
  }

  async #configSpec(req: CreateEndpointConfigRequest): Promise<EndpointConfigSpec> {
    const names = new Set<string>();
    const variants = [];
    for (const [i, v] of req.variants.entries()) {
      if (names.has(v.name)) throw validationError(`variant name '${v.name}' is used twice`, { field: `variants[${i}].name` });
      names.add(v.name);
      await this.deps.store.models.get(v.model);
      variants.push({
        name: v.name,
        model: v.model,
        instanceType: instanceType(v.instanceType ?? DEFAULT_INSTANCE_TYPE).name,
        instanceCount: v.instanceCount ?? 1,
        weight: v.weight ?? 1,
      });
    }
    if (variants.every((v) => v.weight === 0)) throw validationError('at least one variant needs a weight above 0', { field: 'variants' });
    const shadowVariants: ShadowVariantSpec[] = [];
    for (const [i, v] of (req.shadowVariants ?? []).entries()) {
      if (names.has(v.name)) throw validationError(`variant name '${v.name}' is used twice`, { field: `shadowVariants[${i}].name` });
      names.add(v.name);
      await this.deps.store.models.get(v.model);
      shadowVariants.push({
        name: v.name,
        model: v.model,
        instanceType: instanceType(v.instanceType ?? DEFAULT_INSTANCE_TYPE).name,
        instanceCount: v.instanceCount ?? 1,
        samplingPercentage: v.samplingPercentage,
      });
    }
    return {
      variants,
      ...(shadowVariants.length ? { shadowVariants } : {}),
      ...(req.dataCapture ? { dataCapture: dataCaptureSpec(req.dataCapture) } : {}),
      ...(req.tags ? { tags: req.tags } : {}),
    };
  }

  async getConfig(name: string) {
    return toEndpointConfig(await this.deps.store.endpointConfigs.get(name));
  }

  async configSpec(name: string): Promise<EndpointConfigSpec> {
    return (await this.deps.store.endpointConfigs.get(name)).spec as unknown as EndpointConfigSpec;
  }

  async listConfigs(q: ListQuery) {
    return pageOf(await this.deps.store.endpointConfigs.list(q), toEndpointConfig);
  }

  async deleteConfig(name: string) {
    await this.deps.store.endpointConfigs.get(name);
    const endpoints = await this.deps.store.endpoints.listAll();
    const user = endpoints.find((e) => e.configName === name);
    if (user) throw new PlatformError('ResourceInUse', `endpoint config '${name}' is used by endpoint '${user.name}'; update or delete the endpoint first`, { endpoint: user.name });
    await this.deps.store.endpointConfigs.delete(name);
  }

  async #endpointUsing(uses: (spec: EndpointConfigSpec) => boolean): Promise<string | undefined> {
    for (const e of await this.deps.store.endpoints.listAll()) {
      const config = await this.deps.store.endpointConfigs.find(e.configName);
      if (config && uses(config.spec as unknown as EndpointConfigSpec)) return e.name;
    }
    return undefined;
  }
}
