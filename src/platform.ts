import { mkdir, rmdir } from 'node:fs/promises';
import { setUpJobSandbox, type JobSandbox } from './jobs/job-sandbox.js';
import { join } from 'node:path';
import { ArtifactService } from './artifacts/artifact-service.js';
import type { ArtifactStore } from './artifacts/artifact-store.js';
import { OrphanSweeper } from './artifacts/orphan-sweeper.js';
import { openArtifactStore } from './artifacts/uri.js';
import { AccessKeyService, sealingMismatch } from './auth/access-key-service.js';
import { AuthService } from './auth/auth-service.js';
import { SecretBox } from './auth/secret-box.js';
import { systemClock, type Clock } from './core/clock.js';
import type { StratusConfig } from './core/config.js';
import { PlatformEvents } from './core/events.js';
import { createLogger, type Logger } from './core/logger.js';
import { ClusterNode } from './cluster/cluster-node.js';
import { JobStops } from './cluster/job-stops.js';
import { heartbeatJobs, runLeaderDuties } from './cluster/leader-duties.js';
import { PgClusterStore } from './cluster/pg-cluster-store.js';
import { DatasetService } from './data/dataset-service.js';
import { EvaluationService } from './evaluation/evaluation-service.js';
import { ExperimentService } from './experiments/experiment-service.js';
import type { Executor } from './jobs/executor.js';
import { LocalExecutor } from './jobs/local-executor.js';
import { SlurmExecutor } from './jobs/slurm/slurm-executor.js';
import { Scheduler } from './jobs/scheduler.js';
import { Autoscaler } from './serving/autoscaler.js';
import { ClusterMetrics, type GreenSource } from './serving/cluster-metrics.js';
import { EndpointMetrics } from './serving/endpoint-metrics.js';
import { EndpointService } from './serving/endpoint-service.js';
import { announceEndpointChanges, EndpointSync } from './serving/endpoint-sync.js';
import { ModelCache } from './serving/model-cache.js';
import { killOrphanReplicas } from './serving/runtimes/orphans.js';
import { clearReplicaFolders, replicaRoot } from './serving/runtimes/replica-sandbox.js';
import { MonitoringService } from './monitoring/monitoring-service.js';
import { OnlineEvaluationService } from './monitoring/online-evaluation.js';
import { PipelineService } from './pipelines/pipeline-service.js';
import { RetrainingService } from './pipelines/retraining-service.js';
import { ScriptProcessor } from './pipelines/script-processing.js';
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
  /** Where local job folders live and which OS user job processes run as. */
  readonly jobSandbox: JobSandbox;
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
  /** This API node among those sharing the database: its id, and whether it dispatches jobs. */
  readonly cluster: ClusterNode;
  /** In-process platform events: `events.on('monitoring.alarm', …)`. */
  readonly events: PlatformEvents;
  /** Model monitoring: baselines, schedules, reports, alarms (issue 7, item 4). */
  readonly monitoring: MonitoringService;
  /** Pipelines and their executions, schedules and event triggers (issue 7, item 3). */
  readonly pipelines: PipelineService;
  /** Endpoints' retraining policies and timelines (issue 7, item 5). */
  readonly retraining: RetrainingService;
  /** Online evaluations of candidate variants against production (issue 7, item 7). */
  readonly onlineEvaluations: OnlineEvaluationService;
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

/**
 * Access keys sealed under the configured key (or the data folder's key file). A cluster node
 * that cannot unseal the stored keys refuses to start: it would answer every SigV4 call with an
 * error; a single node logs it (its configured pair is sealed again under its key).
 */
async function openAccessKeys(config: StratusConfig, store: MetadataStore, clock: Clock, log: Logger, cluster: PgClusterStore | undefined) {
  const box = await SecretBox.forConfig(config);
  const accessKeys = new AccessKeyService({ store, clock, box });
  const unsealable = await accessKeys.unsealable();
  if (cluster && unsealable.length > 0) {
    await cluster.close();
    await store.close();
    throw sealingMismatch(unsealable, box.source);
  }
  if (unsealable.length > 0) log.error({ keys: unsealable }, sealingMismatch(unsealable, box.source).message);
  if (cluster && config.sealingKey === undefined) {
    log.warn({ keyFile: box.source }, 'cluster mode without STRATUS_SEALING_KEY: access keys are sealed under this node\'s own key file, which every other node then needs too');
  }
  return accessKeys;
}

/** The composition root: builds every service from config, owns shutdown. */
export async function createPlatform(config: StratusConfig, overrides: PlatformOverrides = {}): Promise<Platform> {
  const log = overrides.log ?? createLogger({ level: config.logLevel });
  const clock = overrides.clock ?? systemClock;
  await mkdir(config.home, { recursive: true });
  const jobSandbox = await setUpJobSandbox(config, log);
  const store = overrides.store ?? (await openMetadataStore(config.databaseUrl, { log, clock }));
  const artifacts = overrides.artifacts ?? openArtifactStore(config.artifactUrl, { s3: config.s3 });
  const executor = overrides.executor ?? new LocalExecutor(config.executor);
  const scheduler = new Scheduler(executor.capacity);
  // Several API nodes share a PostgreSQL store (docs/cluster.md, "Several API nodes"); SQLite is one node.
  const clusterStore = !overrides.store && /^postgres(ql)?:\/\//.test(config.databaseUrl) ? new PgClusterStore(config.databaseUrl, log) : undefined;
  let runningJobs: () => string[] = () => [];
  const cluster = new ClusterNode({ store: clusterStore, clock, log, jobs: () => runningJobs() });
  // Stopping a job through any node, and the queue of transform and evaluation jobs (cluster/job-stops.ts).
  const jobStops = clusterStore ? new JobStops(clusterStore, log) : undefined;
  const queued = (kind: 'transform' | 'evaluation') => (jobStops ? { dispatcher: cluster, stops: jobStops.relay(kind) } : {});
  const auth = new AuthService({ store, clock });
  const accessKeys = await openAccessKeys(config, store, clock, log, clusterStore);
  if (config.accessKeyId && config.secretAccessKey) await accessKeys.ensureConfigured(config.accessKeyId, config.secretAccessKey);
  const events = new PlatformEvents();
  const datasets = new DatasetService({ store, artifacts, clock, log, maxUploadBytes: config.maxUploadBytes, events });
  const slurm = config.executor.kind === 'slurm'
    ? {
        executor: new SlurmExecutor({ ...config.slurm, outputDir: config.slurm.workDir }),
        settings: { artifactUrl: config.artifactUrl, s3: config.s3, workDir: config.slurm.workDir, pollMs: config.slurm.pollMs },
      }
    : undefined;
  const training = new TrainingService({
    store, artifacts, datasets, executor, scheduler, clock, log, jobsDir: jobSandbox.jobsDir, python: config.python, jobTokens: auth,
    ...(jobSandbox.users ? { jobUsers: jobSandbox.users } : {}),
    ...(slurm ? { cluster: slurm } : {}), dispatcher: cluster,
    ...(jobStops ? { stops: jobStops.relay('training') } : {}),
  });
  const experiments = new ExperimentService({ store });
  const artifactService = new ArtifactService({ artifacts, log, maxUploadBytes: config.maxUploadBytes });
  const modelCacheRoot = join(config.home, 'model-cache');
  const modelCache = new ModelCache(modelCacheRoot, artifacts);
  const models = new ModelService({ store, artifacts, modelCache, clock });
  const runtimes = new ModelRuntimes({
    modelCache, log, python: config.python, invocationTimeoutMs: config.invocationTimeoutMs,
    maxResponseBytes: config.maxInvocationBytes, workRoot: join(config.home, 'replicas'),
    ...(jobSandbox.users ? { sandbox: { users: jobSandbox.users, root: replicaRoot(jobSandbox.jobsDir, config.home) } } : {}),
  });
  const registry = new RegistryService({ store, artifacts, clock, log });
  // The endpoint service sees a store that tells the registry when an endpoint serves a config (see registry/endpoint-observer.ts).
  const endpointStore = clusterStore ? announceEndpointChanges(store, clusterStore, log) : store;
  // Several API nodes publish their endpoint metrics and read every node's (serving/cluster-metrics.ts).
  const endpointMetrics = new EndpointMetrics();
  const clusterMetrics = clusterStore ? new ClusterMetrics({ store, metrics: endpointMetrics, node: cluster, rollouts: (): GreenSource[] => endpoints.rolloutsHere(), log }) : undefined;
  const endpoints = new EndpointService({
    store: observeEndpointServing(endpointStore, registry, log), models, runtimes, clock, log, artifacts, node: cluster, metrics: endpointMetrics,
    ...(clusterMetrics ? { clusterMetrics } : {}),
  });
  const endpointSync = clusterStore ? new EndpointSync({ store, endpoints, feed: clusterStore, log }) : undefined;
  // In cluster mode the leader alone scales, from every node's invocations.
  const autoscaler = new Autoscaler({
    store, endpoints, metrics: clusterMetrics ?? endpointMetrics, clock, log,
    ...(clusterStore ? { dispatcher: cluster, nodes: async () => (await cluster.nodes()).length } : {}),
  });
  const transforms = new TransformService({ store, artifacts, datasets, startModel: replicaRunners(runtimes), clock, log, ...queued('transform') });
  const evaluations = new EvaluationService({ store, artifacts, datasets, training, models, modelCache, startModel: replicaRunners(runtimes), clock, log, ...queued('evaluation') });
  const jobServices = { training, transform: transforms, evaluation: evaluations };
  // Temp files and multipart uploads of killed writes: swept hourly, by the leader in cluster mode.
  const orphanSweeper = new OrphanSweeper({ artifacts, log: log.child({ component: 'artifacts' }) });
  runningJobs = () => heartbeatJobs(jobServices);
  const monitoring = new MonitoringService({ store, artifacts, datasets, events, clock, log: log.child({ component: 'monitoring' }) });
  const scripts = new ScriptProcessor({
    artifacts, datasets, executor, scheduler, clock, log: log.child({ component: 'processing' }), jobsDir: jobSandbox.jobsDir, python: config.python,
    ...(jobSandbox.users ? { jobUsers: jobSandbox.users } : {}),
  });
  const pipelines = new PipelineService({
    store, clock, log: log.child({ component: 'pipelines' }),
    services: { datasets, artifacts, training, models, endpoints, transforms, evaluations, registry, scripts, log },
  });
  // Event triggers (docs/architecture.md, "Pipelines"): listeners must not throw, so failures are logged.
  events.on('dataset.version', (e) => void pipelines.onDatasetVersion(e.dataset, e.version).catch((err: unknown) => log.error({ err }, 'pipeline dataset trigger failed')));
  events.on('monitoring.alarm', (e) => void pipelines.onMonitoringAlarm(e.schedule, e.seq).catch((err: unknown) => log.error({ err }, 'pipeline alarm trigger failed')));
  // Automatic decisions are the leader's (one per cluster), like dispatching jobs.
  const onlineEvaluations = new OnlineEvaluationService({ store, artifacts, clock, models, endpoints, dispatcher: cluster, log: log.child({ component: 'online-evaluation' }) });
  const retraining = new RetrainingService({ store, pipelines, clock, log: log.child({ component: 'retraining' }), onlineEvaluations });
  events.on('monitoring.alarm', (e) => void retraining.onAlarm(e).catch((err: unknown) => log.error({ err }, 'retraining policy alarm trigger failed')));
  let ready = false;
  return {
    config, log, jobSandbox, store, artifacts, artifactService, auth, accessKeys, datasets, training, experiments, models, endpoints, autoscaler, transforms, evaluations, registry, cluster, events, monitoring, pipelines, retraining, onlineEvaluations,
    get ready() {
      return ready;
    },
    async recover() {
      await killOrphanReplicas([modelCacheRoot, replicaRoot(jobSandbox.jobsDir, config.home)], log);
      await clearReplicaFolders(replicaRoot(jobSandbox.jobsDir, config.home));
      if (endpointSync) {
        // Cluster mode: the first node up recovers what a full stop left; later nodes only copy
        // the endpoints' replicas. Jobs of every kind are the leader's (runLeaderDuties).
        await cluster.join();
        if (await cluster.alone()) {
          await endpoints.recover();
          // Monitoring schedules run on the node that recovered (one loop per cluster).
          await monitoring.recover();
          // Pipeline schedules likewise fire on that node only.
          await pipelines.recover();
          pipelines.startSchedules();
          retraining.start();
        }
        await endpointSync.start();
        clusterMetrics!.start();
        autoscaler.start();
        onlineEvaluations.start();
        await jobStops!.listen(jobServices);
        cluster.start(async (leader) => {
          await jobStops!.poll();
          if (leader) await runLeaderDuties(cluster, { jobs: jobServices, rollouts: endpoints }, log);
          if (leader) orphanSweeper.runIfDue();
        });
        ready = true;
        return;
      }
      orphanSweeper.start();
      await training.recover();
      await endpoints.recover();
      autoscaler.start();
      await transforms.recover();
      await evaluations.recover();
      await monitoring.recover();
      await pipelines.recover();
      pipelines.startSchedules();
      retraining.start();
      onlineEvaluations.start();
      ready = true;
    },
    async close() {
      ready = false;
      // Jobs end before the heartbeat goes, so the next leader takes them over only after that:
      // transform and evaluation jobs first (an evaluation ends before its training jobs do; on a
      // cluster node both are requeued), then training (the cluster jobs this node watches stay
      // listed until their logs are stored).
      await transforms.close();
      await evaluations.close();
      await training.close();
      await cluster.stop();
      await endpointSync?.stop();
      await onlineEvaluations.close();
      await retraining.close();
      await pipelines.close();
      await monitoring.close();
      await autoscaler.stop();
      await endpoints.close();
      await clusterMetrics?.stop();
      await store.close();
      await clusterStore?.close();
      await orphanSweeper.close();
      await artifacts.close?.();
      // The default jobs folder (in the temp folder) goes when no job folder is left in it.
      if (jobSandbox.users && !config.jobsDir) {
        await rmdir(replicaRoot(jobSandbox.jobsDir, config.home)).catch(() => undefined);
        await rmdir(jobSandbox.jobsDir).catch(() => undefined);
      }
    },
  };
}
