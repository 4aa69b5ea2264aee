import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import type { Logger } from '../../core/logger.js';
import { initial } from './0001-initial.js';
import { transformJobs } from './0002-transform-jobs.js';
import { sagemakerCompat } from './0003-sagemaker-compat.js';
import { experiments } from './0004-experiments.js';
import { endpointScaling } from './0005-endpoint-scaling.js';
import { evaluationRegistry } from './0006-evaluation-registry.js';
import { clusterNodes } from './0007-cluster-nodes.js';
import { monitoring } from './0008-monitoring.js';
import { pipelines } from './0009-pipelines.js';
import { endpointRollouts } from './0010-endpoint-rollouts.js';
import { endpointMetricBuckets } from './0011-endpoint-metric-buckets.js';

/**
 * Every migration, in order. Listed in code rather than found by scanning a folder, so bundling
 * and `tsx` cannot change what runs. Append new ones; never edit or reorder applied ones.
 */
export const migrations: Readonly<Record<string, Migration>> = Object.freeze({
  '0001_initial': initial,
  '0002_transform_jobs': transformJobs,
  '0003_sagemaker_compat': sagemakerCompat,
  '0004_experiments': experiments,
  '0005_endpoint_scaling': endpointScaling,
  '0006_evaluation_registry': evaluationRegistry,
  '0007_cluster_nodes': clusterNodes,
  '0008_monitoring': monitoring,
  '0009_pipelines': pipelines,
  '0010_endpoint_rollouts': endpointRollouts,
  '0011_endpoint_metric_buckets': endpointMetricBuckets,
});

const provider: MigrationProvider = { getMigrations: async () => ({ ...migrations }) };

export interface MigrateOptions {
  /** Postgres schema holding Kysely's bookkeeping tables; set with `?schema=` store URLs. */
  schema?: string;
  log?: Logger;
}

/**
 * Applies pending migrations in one transaction (both dialects have transactional DDL) under
 * Kysely's migration lock, so processes opening the same database at once apply each once.
 * @throws the failing migration's error; nothing of that run stays applied.
 */
export async function migrateToLatest<DB>(db: Kysely<DB>, opts: MigrateOptions = {}): Promise<void> {
  const migrator = new Migrator({ db, provider, migrationTableSchema: opts.schema });
  const { error, results = [] } = await migrator.migrateToLatest();
  for (const r of results) {
    if (r.status === 'Success') opts.log?.info({ migration: r.migrationName }, 'store migration applied');
    if (r.status === 'Error') opts.log?.error({ migration: r.migrationName }, 'store migration failed');
  }
  if (error) throw error;
}
