import type { ArtifactStore } from '../artifacts/artifact-store.js';
import type { EvaluationSummary } from '../contracts/evaluation-job.js';
import type {
  ApprovalStatus, CreateModelPackageGroupRequest, ModelPackage, ModelPackageGroup, RegisterModelPackageRequest, ServedVersions,
} from '../contracts/model-registry.js';
import type { Clock } from '../core/clock.js';
import { failedPrecondition, validationError } from '../core/errors.js';
import { arnOf, isValidName } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import { builtinAlgorithm } from '../algorithms/registry.js';
import type { EndpointConfigSpec, ModelSpec } from '../serving/model-service.js';
import type { ModelPackageGroupRecord, ModelPackageRecord, RegistryEventRecord, RegistryEventType } from '../store/evaluation-registry-store.js';
import type { ListQuery, MetadataStore } from '../store/metadata-store.js';

export interface RegistryDeps {
  store: MetadataStore;
  artifacts: ArtifactStore;
  clock: Clock;
  log: Logger;
}

/** What a version keeps beyond its indexed lineage. */
interface PackageSpec {
  artifactUri: string;
  runtime?: string;
  algorithm?: string;
  evaluationReportUri?: string;
  datasets: Array<{ name: string; version?: number }>;
  metrics: Record<string, number>;
  description?: string;
}

/**
 * The model registry (issue 7, item 2): groups of numbered versions, each pointing to a model
 * artifact with its lineage (model, training job, evaluation, datasets); approval with who, when
 * and why; aliases instead of fixed stages; and an append-only event log per group, including
 * "deployed to endpoint X", which with the endpoint deployment log answers which version
 * served an endpoint at a given time.
 */
export class RegistryService {
  constructor(private readonly deps: RegistryDeps) {}

  async createGroup(req: CreateModelPackageGroupRequest, actor?: string): Promise<ModelPackageGroup> {
    if (!isValidName(req.name)) throw validationError(`invalid name '${req.name}'`, { field: 'name' });
    const g = await this.deps.store.modelRegistry.createGroup({
      name: req.name, arn: arnOf('model-package-group', req.name), ...(req.description ? { description: req.description } : {}),
      ...(req.tags ? { tags: req.tags } : {}), at: this.deps.clock.now(), ...(actor ? { actor } : {}),
    });
    return toGroup(g, new Map());
  }

  async getGroup(name: string): Promise<ModelPackageGroup> {
    const reg = this.deps.store.modelRegistry;
    return toGroup(await reg.getGroup(name), await reg.aliases(name));
  }

  async listGroups(q: ListQuery) {
    const page = await this.deps.store.modelRegistry.listGroups(q);
    return { items: page.items.map((g) => { const { aliases: _a, ...rest } = toGroup(g, new Map()); return rest; }), ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
  }

  async deleteGroup(name: string): Promise<void> {
    await this.deps.store.modelRegistry.deleteGroup(name);
  }

  /**
   * Registers the next version of a group. From `model`: its artifact, runtime, algorithm and
   * training job. From `evaluationJob` (Completed): its report, its metrics (means) unless
   * `metrics` is given, and its dataset unless `datasets` is. From `trainingJob`: its dataset inputs.
   * @throws ValidationError naming the field for references that do not exist or do not fit.
   */
  async register(group: string, req: RegisterModelPackageRequest, actor?: string): Promise<ModelPackage> {
    const { store } = this.deps;
    await store.modelRegistry.getGroup(group);
    let artifactUri = req.artifactUri;
    let runtime = req.runtime;
    let algorithm = req.algorithm;
    let trainingJob = req.trainingJob;
    if (req.model !== undefined) {
      if (req.artifactUri !== undefined) throw validationError('give model or artifactUri, not both', { field: 'artifactUri' });
      const model = await store.models.find(req.model);
      if (!model) throw validationError(`model '${req.model}' does not exist`, { field: 'model' });
      const ms = model.spec as unknown as ModelSpec;
      artifactUri = ms.artifactUri;
      runtime = ms.runtime ?? 'builtin';
      algorithm = ms.algorithm;
      if (trainingJob !== undefined && ms.trainingJob !== undefined && trainingJob !== ms.trainingJob) {
        throw validationError(`model '${req.model}' comes from training job '${ms.trainingJob}', not '${trainingJob}'`, { field: 'trainingJob' });
      }
      trainingJob ??= ms.trainingJob;
    } else {
      if (!artifactUri) throw validationError('a version needs a model, or an artifactUri with runtime or algorithm', { field: 'model' });
      if (!runtime && !algorithm) throw validationError('an artifactUri needs how to serve it: algorithm (built-in) or runtime', { field: 'runtime' });
      if (algorithm) builtinAlgorithm(algorithm);
      runtime ??= 'builtin';
      const key = (() => {
        try {
          return this.deps.artifacts.keyOf(artifactUri);
        } catch (e) {
          throw validationError(`artifactUri: ${(e as Error).message}`, { field: 'artifactUri' });
        }
      })();
      if (!(await this.deps.artifacts.stat(key))) throw validationError(`artifactUri: artifact '${artifactUri}' not found`, { field: 'artifactUri' });
    }
    let datasets = req.datasets;
    let metrics = req.metrics;
    let evaluationReportUri: string | undefined;
    if (trainingJob !== undefined) {
      const job = await store.trainingJobs.find(trainingJob);
      if (!job) throw validationError(`training job '${trainingJob}' does not exist`, { field: 'trainingJob' });
      datasets ??= ((job.spec as { inputs?: Array<{ dataset?: string; version?: number }> }).inputs ?? [])
        .filter((i) => i.dataset).map((i) => ({ name: i.dataset!, ...(i.version ? { version: i.version } : {}) }));
    }
    if (req.evaluationJob !== undefined) {
      const ev = await store.evaluationJobs.find(req.evaluationJob);
      if (!ev) throw validationError(`evaluation job '${req.evaluationJob}' does not exist`, { field: 'evaluationJob' });
      if (ev.status !== 'Completed') throw failedPrecondition(`evaluation job '${ev.name}' is ${ev.status}; register it once Completed`, { status: ev.status });
      evaluationReportUri = ev.reportUri;
      const summary = ev.summary as EvaluationSummary | undefined;
      metrics ??= Object.fromEntries(Object.entries(summary?.metrics ?? {}).map(([k, v]) => [k, v.mean]));
      const ds = (ev.spec as { dataset?: { name: string; version: number } }).dataset;
      if (!req.datasets && ds && !(datasets ?? []).some((d) => d.name === ds.name && d.version === ds.version)) datasets = [...(datasets ?? []), ds];
    }
    const spec: PackageSpec = {
      artifactUri: artifactUri!, ...(runtime ? { runtime } : {}), ...(algorithm ? { algorithm } : {}),
      ...(evaluationReportUri ? { evaluationReportUri } : {}), datasets: datasets ?? [], metrics: metrics ?? {},
      ...(req.description ? { description: req.description } : {}),
    };
    const at = this.deps.clock.now();
    const approval = req.approvalStatus && req.approvalStatus !== 'PendingManualApproval' ? { by: actor ?? 'unknown', at, reason: 'set at registration' } : undefined;
    const v = await store.modelRegistry.registerVersion({
      group, arnOf: (n) => `${arnOf('model-package', group)}/${n}`, spec: spec as unknown as Record<string, unknown>,
      ...(req.model ? { model: req.model } : {}), ...(trainingJob ? { trainingJob } : {}), ...(req.evaluationJob ? { evaluationJob: req.evaluationJob } : {}),
      ...(req.approvalStatus ? { approvalStatus: req.approvalStatus } : {}), ...(approval ? { approval } : {}), at, ...(actor ? { actor } : {}),
    });
    this.deps.log.info({ group, version: v.version, model: req.model, actor }, 'model version registered');
    return toPackage(v, []);
  }

  async getVersion(group: string, version: number): Promise<ModelPackage> {
    const reg = this.deps.store.modelRegistry;
    return toPackage(await reg.getVersion(group, version), aliasesOf(await reg.aliases(group), version));
  }

  async listVersions(group: string, q: { approvalStatus?: ApprovalStatus; limit?: number; nextToken?: string }) {
    const reg = this.deps.store.modelRegistry;
    await reg.getGroup(group);
    const page = await reg.listVersions(group, q);
    const aliases = await reg.aliases(group);
    return { items: page.items.map((v) => toPackage(v, aliasesOf(aliases, v.version))), ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
  }

  async setApproval(group: string, version: number, status: ApprovalStatus, reason: string | undefined, actor: string): Promise<ModelPackage> {
    const v = await this.deps.store.modelRegistry.setApproval(group, version, status, { by: actor, at: this.deps.clock.now(), ...(reason ? { reason } : {}) });
    this.deps.log.info({ group, version, status, actor }, 'model version approval changed');
    return toPackage(v, aliasesOf(await this.deps.store.modelRegistry.aliases(group), version));
  }

  async setAlias(group: string, alias: string, version: number, actor?: string) {
    const r = await this.deps.store.modelRegistry.setAlias(group, alias, version, this.deps.clock.now(), actor);
    return { group, ...r };
  }

  async deleteAlias(group: string, alias: string, actor?: string) {
    await this.deps.store.modelRegistry.deleteAlias(group, alias, this.deps.clock.now(), actor);
  }

  /** The version an alias points at. */
  async resolveAlias(group: string, alias: string): Promise<ModelPackage> {
    const version = (await this.deps.store.modelRegistry.aliases(group)).get(alias);
    if (version === undefined) throw validationError(`group '${group}' has no alias '${alias}'`, { field: 'alias' });
    return this.getVersion(group, version);
  }

  async events(group: string, q: { type?: string; since?: number } = {}) {
    await this.deps.store.modelRegistry.getGroup(group);
    const items = await this.deps.store.modelRegistry.events(group, { ...(q.type ? { type: q.type as RegistryEventType } : {}), ...(q.since !== undefined ? { since: q.since } : {}) });
    return { items: items.map(toEvent) };
  }

  /** Versions registered from a model, a training job or an evaluation (the reverse direction of lineage). */
  async lineage(q: { model?: string; trainingJob?: string; evaluationJob?: string }) {
    if (q.model === undefined && q.trainingJob === undefined && q.evaluationJob === undefined) {
      throw validationError('give model, trainingJob or evaluationJob', { field: 'model' });
    }
    const items = await this.deps.store.modelRegistry.versionsFrom(q);
    return {
      items: items.map((v) => ({
        group: v.group, version: v.version, ...(v.model ? { model: v.model } : {}), ...(v.trainingJob ? { trainingJob: v.trainingJob } : {}),
        ...(v.evaluationJob ? { evaluationJob: v.evaluationJob } : {}), approvalStatus: v.approvalStatus,
      })),
    };
  }

  /**
   * Records that `endpoint` now serves `config` (called when the endpoint becomes InService on
   * it), and a `deployed` event in every group with a version of one of its models. A repeat of
   * the config already recorded (restart, rollback, scaling) records nothing.
   */
  async recordServing(endpoint: string, config: string, at: Date): Promise<void> {
    const { store } = this.deps;
    const history = await store.endpointDeployments.history(endpoint);
    if (history.at(-1)?.config === config) return;
    const spec = (await store.endpointConfigs.get(config)).spec as unknown as EndpointConfigSpec;
    const models: Array<{ variant: string; model: string; shadow?: boolean }> = [
      ...spec.variants.map((v) => ({ variant: v.name, model: v.model })),
      ...(spec.shadowVariants ?? []).map((v) => ({ variant: v.name, model: v.model, shadow: true })),
    ];
    await store.endpointDeployments.record({ endpoint, at, config, models });
    const versions = await store.modelRegistry.versionsFrom({ model: [...new Set(models.map((m) => m.model))] });
    for (const v of versions) {
      for (const m of models.filter((x) => x.model === v.model)) {
        await store.modelRegistry.appendEvent({
          group: v.group, at, type: 'deployed', version: v.version,
          detail: { endpoint, config, variant: m.variant, model: m.model, ...(m.shadow ? { shadow: true } : {}) },
        });
      }
    }
  }

  /** Records that an endpoint serves nothing any more (deleted). */
  async recordGone(endpoint: string, at: Date): Promise<void> {
    const last = (await this.deps.store.endpointDeployments.history(endpoint)).at(-1);
    if (last && last.config !== undefined) await this.deps.store.endpointDeployments.record({ endpoint, at, models: [] });
  }

  /** Which model (and registered versions) each variant of `endpoint` served at `at`. */
  async servedVersions(endpoint: string, at: Date): Promise<ServedVersions> {
    const { store } = this.deps;
    const rec = await store.endpointDeployments.at(endpoint, at);
    if (!rec && !(await store.endpoints.find(endpoint)) && (await store.endpointDeployments.history(endpoint)).length === 0) {
      throw validationError(`endpoint '${endpoint}' does not exist and has no deployment history`, { field: 'name' });
    }
    const versions = rec ? await store.modelRegistry.versionsFrom({ model: [...new Set(rec.models.map((m) => m.model))] }) : [];
    return {
      endpoint,
      at: at.toISOString(),
      ...(rec?.config ? { config: rec.config } : {}),
      ...(rec ? { since: rec.at.toISOString() } : {}),
      variants: (rec?.models ?? []).map((m) => ({
        ...m,
        versions: versions.filter((v) => v.model === m.model).map((v) => ({ group: v.group, version: v.version })),
      })),
    };
  }
}

const aliasesOf = (aliases: Map<string, number>, version: number) => [...aliases].filter(([, v]) => v === version).map(([a]) => a);

function toGroup(g: ModelPackageGroupRecord, aliases: Map<string, number>): ModelPackageGroup {
  return {
    name: g.name, arn: g.arn, ...(g.description ? { description: g.description } : {}), ...(g.tags ? { tags: g.tags } : {}),
    latestVersion: g.latestVersion, aliases: Object.fromEntries(aliases), createdAt: g.createdAt.toISOString(), updatedAt: g.updatedAt.toISOString(),
  };
}

function toPackage(v: ModelPackageRecord, aliases: string[]): ModelPackage {
  const spec = v.spec as unknown as PackageSpec;
  return {
    group: v.group, version: v.version, arn: v.arn,
    ...(v.model ? { model: v.model } : {}),
    artifactUri: spec.artifactUri,
    ...(spec.runtime ? { runtime: spec.runtime } : {}),
    ...(spec.algorithm ? { algorithm: spec.algorithm } : {}),
    ...(v.trainingJob ? { trainingJob: v.trainingJob } : {}),
    ...(v.evaluationJob ? { evaluationJob: v.evaluationJob } : {}),
    ...(spec.evaluationReportUri ? { evaluationReportUri: spec.evaluationReportUri } : {}),
    datasets: spec.datasets ?? [],
    metrics: spec.metrics ?? {},
    ...(spec.description ? { description: spec.description } : {}),
    approvalStatus: v.approvalStatus,
    ...(v.approval ? { approval: { by: v.approval.by, at: v.approval.at.toISOString(), ...(v.approval.reason ? { reason: v.approval.reason } : {}) } } : {}),
    aliases,
    createdAt: v.createdAt.toISOString(),
    updatedAt: v.updatedAt.toISOString(),
  };
}

const toEvent = (e: RegistryEventRecord) => ({
  seq: e.seq, at: e.at.toISOString(), type: e.type, ...(e.version !== undefined ? { version: e.version } : {}), ...(e.actor ? { actor: e.actor } : {}), detail: e.detail,
});
