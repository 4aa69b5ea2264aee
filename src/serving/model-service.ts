import type { ArtifactStore } from '../artifacts/artifact-store.js';
import { UPLOADS_PREFIX } from '../contracts/artifact.js';
import type { CreateModelRequest, FeatureImportance, Model } from '../contracts/model.js';
import type { CreateEndpointConfigRequest, EndpointConfig } from '../contracts/endpoint.js';
import type { Clock } from '../core/clock.js';
import { failedPrecondition, isPlatformError, PlatformError, validationError } from '../core/errors.js';
import { arnOf } from '../core/ids.js';
import { DEFAULT_INSTANCE_TYPE, instanceType } from '../core/instance-types.js';
import type { BuiltinAlgorithm, ModelExport } from '../algorithms/algorithm.js';
import { BUILTIN_ALGORITHMS, builtinAlgorithm, findBuiltinAlgorithm } from '../algorithms/registry.js';
import type { EndpointConfigRecord, ListQuery, MetadataStore, ModelRecord } from '../store/metadata-store.js';
import type { ModelCache } from './model-cache.js';

/** What the store keeps of a model. */
export interface ModelSpec {
  algorithm: string;
  artifactUri: string;
  trainingJob?: string;
  tags?: Record<string, string>;
}

/** What the store keeps of an endpoint config: variants with defaults filled in. */
export interface EndpointConfigSpec {
  variants: Array<{ name: string; model: string; instanceType: string; instanceCount: number; weight: number }>;
  tags?: Record<string, string>;
}

export const toModel = (r: ModelRecord): Model => {
  const spec = r.spec as unknown as ModelSpec;
  return {
    name: r.name,
    arn: r.arn,
    algorithm: spec.algorithm,
    artifactUri: spec.artifactUri,
    ...(spec.trainingJob ? { trainingJob: spec.trainingJob } : {}),
    ...(spec.tags ? { tags: spec.tags } : {}),
    createdAt: r.createdAt.toISOString(),
  };
};

export const toEndpointConfig = (r: EndpointConfigRecord): EndpointConfig => {
  const spec = r.spec as unknown as EndpointConfigSpec;
  return { name: r.name, arn: r.arn, variants: spec.variants, ...(spec.tags ? { tags: spec.tags } : {}), createdAt: r.createdAt.toISOString() };
};

type WithImportance = BuiltinAlgorithm & Required<Pick<BuiltinAlgorithm, 'featureImportance'>>;

/** The algorithm, if it can rank features; else a ValidationError naming those that can. */
function importanceOf(algorithm: string, what: string): WithImportance {
  const impl = findBuiltinAlgorithm(algorithm);
  if (impl?.featureImportance) return impl as WithImportance;
  const able = Object.values(BUILTIN_ALGORITHMS as Record<string, BuiltinAlgorithm>).filter((a) => a.featureImportance).map((a) => a.name);
  throw validationError(
    `${what} uses algorithm '${algorithm}', which has no feature importance; algorithms with feature importance: ${able.join(', ') || 'none'}`,
    { field: 'algorithm', algorithm, algorithmsWithImportance: able },
  );
}

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
    if (req.trainingJob) {
      if (req.artifactUri) throw validationError('give either trainingJob or artifactUri, not both', { field: 'artifactUri' });
      const job = await this.deps.store.trainingJobs.get(req.trainingJob);
      if (job.status !== 'Completed' || !job.modelArtifactUri) {
        throw failedPrecondition(`training job '${job.name}' is ${job.status}; a model needs a Completed job with a model artifact`, { status: job.status });
      }
      const algorithm = String((job.spec as { algorithm: string }).algorithm);
      return { algorithm, artifactUri: job.modelArtifactUri, trainingJob: job.name, ...tags };
    }
    if (!req.artifactUri || !req.algorithm) {
      throw validationError('a model needs a trainingJob, or an artifactUri together with the algorithm that reads it', { field: 'trainingJob' });
    }
    builtinAlgorithm(req.algorithm);
    await this.#assertArtifactExists(req.artifactUri);
    return { algorithm: req.algorithm, artifactUri: req.artifactUri, ...tags };
  }

  /** Fails now, with how to fix it, rather than when an endpoint first loads the model. */
  async #assertArtifactExists(uri: string): Promise<void> {
    const { artifacts } = this.deps;
    let key: string;
    try {
      key = artifacts.keyOf(uri);
    } catch (e) {
      if (!isPlatformError(e)) throw e;
      throw validationError(`artifactUri: ${e.message}; upload the file with PUT /api/v1/artifacts/${UPLOADS_PREFIX}<path> and use the uri it returns`, { field: 'artifactUri' });
    }
    if (await artifacts.stat(key)) return;
    throw validationError(
      `artifact '${uri}' not found; upload it with PUT /api/v1/artifacts/${UPLOADS_PREFIX}<path> (stratus artifacts upload <file>) and use the uri it returns`,
      { field: 'artifactUri', key },
    );
  }

  /**
   * Per-feature importance of a model, most important first.
   * @param type the algorithm's importance type (XGBoost: gain, weight, cover, total_gain, total_cover).
   * @throws PlatformError ValidationError when the model's algorithm has no feature importance, or for an unknown type.
   */
  async featureImportance(name: string, type: string): Promise<FeatureImportance> {
    const record = await this.deps.store.models.get(name);
    const { algorithm } = record.spec as unknown as ModelSpec;
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
    const { algorithm } = record.spec as unknown as ModelSpec;
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
    const user = await this.#endpointUsing((spec) => spec.variants.some((v) => v.model === name));
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
    return { variants, ...(req.tags ? { tags: req.tags } : {}) };
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
