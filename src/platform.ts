import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ArtifactService } from './artifacts/artifact-service.js';
import type { ArtifactStore } from './artifacts/artifact-store.js';
import { openArtifactStore } from './artifacts/uri.js';
import { AccessKeyService } from './auth/access-key-service.js';
import { AuthService } from './auth/auth-service.js';
import { SecretBox } from './auth/secret-box.js';
import { systemClock, type Clock } from './core/clock.js';
import type { StratusConfig } from './core/config.js';
import { createLogger, type Logger } from './core/logger.js';
import { DatasetService } from './data/dataset-service.js';
import { EvaluationService } from './evaluation/evaluation-service.js';
import { ExperimentService } from './experiments/experiment-service.js';
import type { Executor } from './jobs/executor.js';
import { LocalExecutor } from './jobs/local-executor.js';
import { SlurmExecutor } from './jobs/slurm/slurm-executor.js';
import { Scheduler } from './jobs/scheduler.js';
import { Autoscaler } from './serving/autoscaler.js';
import { EndpointService } from './serving/endpoint-service.js';
import { ModelCache } from './serving/model-cache.js';
import { ModelService } from './serving/model-service.js';
import { ModelRuntimes } from './serving/runtimes/runtimes.js';
import { observeEndpointServing } from './registry/endpoint-observer.js';
import { RegistryService } from './registry/registry-service.js';
import type { MetadataStore } from './store/metadata-store.js';
import { openMetadataStore } from './store/open-store.js';
import { TrainingService } from './training/training-service.js';
import { replicaRunners } from './transform/model-runner.js';
import { TransformService } from './transform/transform-service.js';

/** Every service of a running Stratus, built once from config. */
export interface Platform {
  readonly config: StratusConfig;
  readonly log: Logger;
  readonly store: MetadataStore;
  readonly artifacts: ArtifactStore;
  /** The artifact store as users reach it: read anything, write under uploads/ only. */
  readonly artifactService: ArtifactService;
  readonly auth: AuthService;
  /** SigV4 access keys of the SageMaker-compatible API. */
  readonly accessKeys: AccessKeyService;
  readonly datasets: DatasetService;
  readonly training: TrainingService;
  /** Experiments and runs (every training job is a run). */
  readonly experiments: ExperimentService;
  readonly models: ModelService;
  readonly endpoints: EndpointService;
  /** Autoscaling policies of endpoint variants and the loop that applies them. */
  readonly autoscaler: Autoscaler;
  readonly transforms: TransformService;
  /** Evaluation jobs: hold-out and k-fold reports (issue 7, item 1). */
  readonly evaluations: EvaluationService;
  /** The model registry (issue 7, item 2). */
  readonly registry: RegistryService;
  /** True once restart reconciliation has run. */
  readonly ready: boolean;
  /** Reconciles state left by an earlier run (jobs, endpoints). */
  recover(): Promise<void>;
  close(): Promise<void>;
}

export interface PlatformOverrides {
  log?: Logger;
  clock?: Clock;
  store?: MetadataStore;
  artifacts?: ArtifactStore;
  executor?: Executor;
}

/** The composition root: builds every service from config, owns shutdown. */
export async function createPlatform(config: StratusConfig, overrides: PlatformOverrides = {}): Promise<Platform> {
  const log = overrides.log ?? createLogger({ level: config.logLevel });
  const clock = overrides.clock ?? systemClock;
  await mkdir(config.home, { recursive: true });
  const store = overrides.store ?? (await openMetadataStore(config.databaseUrl, { log, clock }));
  const artifacts = overrides.artifacts ?? openArtifactStore(config.artifactUrl, { s3: config.s3 });
  const executor = overrides.executor ?? new LocalExecutor(config.executor);
  const scheduler = new Scheduler(executor.capacity);
  const auth = new AuthService({ store, clock });
  const accessKeys = new AccessKeyService({ store, clock, box: await SecretBox.open(config.home) });
  if (config.accessKeyId && config.secretAccessKey) await accessKeys.ensureConfigured(config.accessKeyId, config.secretAccessKey);
  const datasets = new DatasetService({ store, artifacts, clock, log, maxUploadBytes: config.maxUploadBytes });
  const cluster = config.executor.kind === 'slurm'
    ? {
        executor: new SlurmExecutor({ ...config.slurm, outputDir: config.slurm.workDir }),
        settings: { artifactUrl: config.artifactUrl, s3: config.s3, workDir: config.slurm.workDir, pollMs: config.slurm.pollMs },
      }
    : undefined;
  const training = new TrainingService({
    store, artifacts, datasets, executor, scheduler, clock, log, jobsDir: join(config.home, 'jobs'), python: config.python, jobTokens: auth,
    ...(cluster ? { cluster } : {}),
  });
  const experiments = new ExperimentService({ store });
  const artifactService = new ArtifactService({ artifacts, log, maxUploadBytes: config.maxUploadBytes });
  const modelCache = new ModelCache(join(config.home, 'model-cache'), artifacts);
  const models = new ModelService({ store, artifacts, modelCache, clock });
  const runtimes = new ModelRuntimes({
    modelCache, log, python: config.python, invocationTimeoutMs: config.invocationTimeoutMs,
    maxResponseBytes: config.maxInvocationBytes, workRoot: join(config.home, 'replicas'),
  });
  const registry = new RegistryService({ store, artifacts, clock, log });
  // The endpoint service sees a store that tells the registry when an endpoint serves a config (see registry/endpoint-observer.ts).
  const endpoints = new EndpointService({ store: observeEndpointServing(store, registry, log), models, runtimes, clock, log, artifacts });
  const autoscaler = new Autoscaler({ store, endpoints, metrics: endpoints.metrics, clock, log });
  const transforms = new TransformService({ store, artifacts, datasets, startModel: replicaRunners(runtimes), clock, log });
  const evaluations = new EvaluationService({ store, artifacts, datasets, training, modelCache, startModel: replicaRunners(runtimes), clock, log });
  let ready = false;
  return {
    config, log, store, artifacts, artifactService, auth, accessKeys, datasets, training, experiments, models, endpoints, autoscaler, transforms, evaluations, registry,
    get ready() {
      return ready;
    },
    async recover() {
      await training.recover();
      await endpoints.recover();
      autoscaler.start();
      await transforms.recover();
      await evaluations.recover();
      ready = true;
    },
    async close() {
      ready = false;
      await training.close();
      await transforms.close();
      await evaluations.close();
      await autoscaler.stop();
      await endpoints.close();
      await store.close();
      await artifacts.close?.();
    },
  };
}
