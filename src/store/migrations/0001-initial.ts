import type { Kysely, Migration } from 'kysely';
import { createdIndex, jobHeadColumns, jobTimeColumns, transitionsTable } from './table-shapes.js';

/*
 * Only portable types: text, integer, bigint (epoch ms, sizes), double precision. Times are
 * bigint epoch milliseconds; JSON is text; booleans are 0/1 integers.
 */

async function datasets(db: Kysely<unknown>) {
  await db.schema
    .createTable('datasets')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('arn', 'text', (c) => c.notNull())
    .addColumn('latest_version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('dataset_versions')
    .addColumn('dataset_name', 'text', (c) => c.notNull().references('datasets.name'))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('uri', 'text', (c) => c.notNull())
    .addColumn('format', 'text', (c) => c.notNull())
    .addColumn('size_bytes', 'bigint', (c) => c.notNull())
    .addColumn('header', 'integer', (c) => c.notNull())
    .addColumn('row_count', 'bigint', (c) => c.notNull())
    .addColumn('columns', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('dataset_versions_pk', ['dataset_name', 'version'])
    .execute();
}

async function trainingJobs(db: Kysely<unknown>) {
  await db.schema
    .createTable('training_jobs')
    .$call(jobHeadColumns)
    .addColumn('model_artifact_uri', 'text')
    .addColumn('output_artifact_uri', 'text')
    .addColumn('log_uri', 'text')
    .$call(jobTimeColumns)
    .addColumn('billable_seconds', 'double precision')
    .addColumn('runtime', 'text')
    .execute();
  await db.schema.createIndex('training_jobs_status_idx').on('training_jobs').column('status').execute();
  await transitionsTable(db, 'training_job_transitions', 'training_jobs');
  // No primary key: a job may log the same (name, step) twice; readers order by timestamp too.
  await db.schema
    .createTable('training_job_metrics')
    .addColumn('job_name', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('step', 'bigint', (c) => c.notNull())
    .addColumn('value', 'double precision')
    .addColumn('timestamp', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('training_job_metrics_idx')
    .on('training_job_metrics')
    .columns(['job_name', 'name', 'step'])
    .execute();
}

async function specTable(db: Kysely<unknown>, table: string) {
  await db.schema
    .createTable(table)
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('arn', 'text', (c) => c.notNull())
    .addColumn('spec', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
}

async function endpoints(db: Kysely<unknown>) {
  await db.schema
    .createTable('endpoints')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('arn', 'text', (c) => c.notNull())
    .addColumn('config_name', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('failure_reason', 'text')
    .addColumn('variants', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await transitionsTable(db, 'endpoint_transitions', 'endpoints');
}

async function apiKeys(db: Kysely<unknown>) {
  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('scope', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('api_keys_scope_idx').on('api_keys').column('scope').execute();
}

/** Lists are ordered by (created_at, name); these indexes serve that order and its keyset. */
async function listIndexes(db: Kysely<unknown>) {
  for (const table of ['datasets', 'training_jobs', 'models', 'endpoint_configs', 'endpoints']) await createdIndex(db, table);
}

const DROP_ORDER = [
  'api_keys',
  'endpoint_transitions',
  'endpoints',
  'endpoint_configs',
  'models',
  'training_job_metrics',
  'training_job_transitions',
  'training_jobs',
  'dataset_versions',
  'datasets',
];

/** The initial schema. */
export const initial: Migration = {
  async up(db) {
    await datasets(db);
    await trainingJobs(db);
    await specTable(db, 'models');
    await specTable(db, 'endpoint_configs');
    await endpoints(db);
    await apiKeys(db);
    await listIndexes(db);
  },
  async down(db) {
    // Children before parents, for the foreign keys.
    for (const table of DROP_ORDER) await db.schema.dropTable(table).execute();
  },
};
