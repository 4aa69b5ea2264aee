import { systemClock, type Clock } from '../../core/clock.js';
import type {
  AccessKeyRepository,
  ApiKeyRepository,
  DatasetRepository,
  EndpointConfigRecord,
  EndpointRepository,
  EndpointMetricsRepository,
  EndpointScalingRepository,
  ExperimentRepository,
  ImmutableRepository,
  MetadataStore,
  ModelRecord,
  Repositories,
  ResourceDocumentRepository,
  ResourceTagRepository,
  RunRepository,
  TrainingJobRepository,
  TransformJobRepository,
} from '../metadata-store.js';
import type { EndpointDeploymentRepository, EvaluationJobRepository, ModelRegistryRepository } from '../evaluation-registry-store.js';
import { SqlEndpointDeploymentRepository } from './endpoint-deployment-repository.js';
import { SqlEvaluationJobRepository } from './evaluation-job-repository.js';
import { SqlModelRegistryRepository } from './model-registry-repository.js';
import { SqlMonitoringRepository } from './monitoring-repository.js';
import type { MonitoringRepository } from '../monitoring-store.js';
import type { PipelineRepository } from '../pipeline-store.js';
import { SqlPipelineRepository } from './pipeline-repository.js';
import { SqlAccessKeyRepository } from './access-key-repository.js';
import { SqlApiKeyRepository } from './api-key-repository.js';
import { SqlDatasetRepository } from './dataset-repository.js';
import { SqlEndpointRepository } from './endpoint-repository.js';
import { SqlEndpointMetricsRepository } from './endpoint-metrics-repository.js';
import { SqlEndpointScalingRepository } from './endpoint-scaling-repository.js';
import { SqlExperimentRepository } from './experiment-repository.js';
import type { Db } from './schema.js';
import { SqlResourceDocumentRepository, SqlResourceTagRepository } from './resource-annotation-repositories.js';
import { SqlRunRepository } from './run-repository.js';
import { SqlSpecRepository } from './spec-repository.js';
import { SqlTrainingJobRepository } from './training-job-repository.js';
import { SqlTransformJobRepository } from './transform-job-repository.js';

/** Which database a SqlMetadataStore runs on. */
export type SqlDialectName = 'sqlite' | 'postgres';

export interface SqlMetadataStoreOptions {
  dialect: SqlDialectName;
  /** Source of the times the store stamps itself (dataset versions). @defaultValue systemClock */
  clock?: Clock;
}

/** Repositories bound to one Kysely instance or transaction. */
export function createRepositories(db: Db, clock: Clock): Repositories {
  return {
    datasets: new SqlDatasetRepository(db, clock),
    trainingJobs: new SqlTrainingJobRepository(db),
    experiments: new SqlExperimentRepository(db),
    runs: new SqlRunRepository(db),
    transformJobs: new SqlTransformJobRepository(db),
    models: new SqlSpecRepository(db, 'models', 'Model'),
    endpointConfigs: new SqlSpecRepository(db, 'endpoint_configs', 'EndpointConfig'),
    endpoints: new SqlEndpointRepository(db),
    endpointScaling: new SqlEndpointScalingRepository(db),
    endpointMetrics: new SqlEndpointMetricsRepository(db),
    apiKeys: new SqlApiKeyRepository(db),
    accessKeys: new SqlAccessKeyRepository(db),
    resourceTags: new SqlResourceTagRepository(db),
    resourceDocuments: new SqlResourceDocumentRepository(db),
    evaluationJobs: new SqlEvaluationJobRepository(db),
    modelRegistry: new SqlModelRegistryRepository(db),
    endpointDeployments: new SqlEndpointDeploymentRepository(db),
    monitoring: new SqlMonitoringRepository(db),
    pipelines: new SqlPipelineRepository(db),
  };
}

/**
 * The MetadataStore over a migrated Kysely database, SQLite or PostgreSQL alike. Build it with
 * `openMetadataStore`, which creates the driver and applies migrations; this class owns `db`
 * and destroys it on `close`.
 *
 * On SQLite, Kysely's driver holds the single connection for the whole of a transaction, so
 * concurrent callers queue behind it instead of interleaving. Inside `transaction(fn)`, use only
 * the repositories passed to `fn`: on SQLite, calling the store's own would wait forever for
 * the connection the transaction holds.
 */
export class SqlMetadataStore implements MetadataStore {
  readonly dialect: SqlDialectName;
  readonly datasets: DatasetRepository;
  readonly trainingJobs: TrainingJobRepository;
  readonly experiments: ExperimentRepository;
  readonly runs: RunRepository;
  readonly transformJobs: TransformJobRepository;
  readonly models: ImmutableRepository<ModelRecord>;
  readonly endpointConfigs: ImmutableRepository<EndpointConfigRecord>;
  readonly endpoints: EndpointRepository;
  readonly endpointScaling: EndpointScalingRepository;
  readonly endpointMetrics: EndpointMetricsRepository;
  readonly apiKeys: ApiKeyRepository;
  readonly accessKeys: AccessKeyRepository;
  readonly resourceTags: ResourceTagRepository;
  readonly resourceDocuments: ResourceDocumentRepository;
  readonly evaluationJobs: EvaluationJobRepository;
  readonly modelRegistry: ModelRegistryRepository;
  readonly endpointDeployments: EndpointDeploymentRepository;
  readonly monitoring: MonitoringRepository;
  readonly pipelines: PipelineRepository;
  readonly #db: Db;
  readonly #clock: Clock;

  constructor(db: Db, opts: SqlMetadataStoreOptions) {
    this.#db = db;
    this.#clock = opts.clock ?? systemClock;
    this.dialect = opts.dialect;
    const repos = createRepositories(db, this.#clock);
    this.datasets = repos.datasets;
    this.trainingJobs = repos.trainingJobs;
    this.experiments = repos.experiments;
    this.runs = repos.runs;
    this.transformJobs = repos.transformJobs;
    this.models = repos.models;
    this.endpointConfigs = repos.endpointConfigs;
    this.endpoints = repos.endpoints;
    this.endpointScaling = repos.endpointScaling;
    this.endpointMetrics = repos.endpointMetrics;
    this.apiKeys = repos.apiKeys;
    this.accessKeys = repos.accessKeys;
    this.resourceTags = repos.resourceTags;
    this.resourceDocuments = repos.resourceDocuments;
    this.evaluationJobs = repos.evaluationJobs;
    this.modelRegistry = repos.modelRegistry;
    this.endpointDeployments = repos.endpointDeployments;
    this.monitoring = repos.monitoring;
    this.pipelines = repos.pipelines;
  }

  transaction<T>(fn: (tx: Repositories) => Promise<T>): Promise<T> {
    return this.#db.transaction().execute((trx) => fn(createRepositories(trx, this.#clock)));
  }

  async close(): Promise<void> {
    await this.#db.destroy();
  }
}
