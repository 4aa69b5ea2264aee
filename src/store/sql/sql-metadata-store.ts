import { systemClock, type Clock } from '../../core/clock.js';
import type {
  ApiKeyRepository,
  DatasetRepository,
  EndpointConfigRecord,
  EndpointRepository,
  ImmutableRepository,
  MetadataStore,
  ModelRecord,
  Repositories,
  TrainingJobRepository,
} from '../metadata-store.js';
import { SqlApiKeyRepository } from './api-key-repository.js';
import { SqlDatasetRepository } from './dataset-repository.js';
import { SqlEndpointRepository } from './endpoint-repository.js';
import type { Db } from './schema.js';
import { SqlSpecRepository } from './spec-repository.js';
import { SqlTrainingJobRepository } from './training-job-repository.js';

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
    models: new SqlSpecRepository(db, 'models', 'Model'),
    endpointConfigs: new SqlSpecRepository(db, 'endpoint_configs', 'EndpointConfig'),
    endpoints: new SqlEndpointRepository(db),
    apiKeys: new SqlApiKeyRepository(db),
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
  readonly models: ImmutableRepository<ModelRecord>;
  readonly endpointConfigs: ImmutableRepository<EndpointConfigRecord>;
  readonly endpoints: EndpointRepository;
  readonly apiKeys: ApiKeyRepository;
  readonly #db: Db;
  readonly #clock: Clock;

  constructor(db: Db, opts: SqlMetadataStoreOptions) {
    this.#db = db;
    this.#clock = opts.clock ?? systemClock;
    this.dialect = opts.dialect;
    const repos = createRepositories(db, this.#clock);
    this.datasets = repos.datasets;
    this.trainingJobs = repos.trainingJobs;
    this.models = repos.models;
    this.endpointConfigs = repos.endpointConfigs;
    this.endpoints = repos.endpoints;
    this.apiKeys = repos.apiKeys;
  }

  transaction<T>(fn: (tx: Repositories) => Promise<T>): Promise<T> {
    return this.#db.transaction().execute((trx) => fn(createRepositories(trx, this.#clock)));
  }

  async close(): Promise<void> {
    await this.#db.destroy();
  }
}
