import type { Kysely, Migration } from 'kysely';

/*
 * Pipelines (issue 7, item 3): named pipelines with immutable, numbered definition versions;
 * executions (parameters, status, trigger) and one row per step of an execution (status,
 * attempts, timing, outputs, the resources it created, and the hash of its resolved inputs,
 * which the step cache looks up). Same portable types as 0001.
 */
export const pipelines: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('pipelines')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('arn', 'text', (c) => c.notNull())
      .addColumn('latest_version', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('pipeline_versions')
      .addColumn('pipeline_name', 'text', (c) => c.notNull().references('pipelines.name'))
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('definition', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('pipeline_versions_pk', ['pipeline_name', 'version'])
      .execute();
    await db.schema
      .createTable('pipeline_executions')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('arn', 'text', (c) => c.notNull())
      .addColumn('pipeline_name', 'text', (c) => c.notNull())
      .addColumn('pipeline_version', 'integer', (c) => c.notNull())
      .addColumn('parameters', 'text', (c) => c.notNull())
      .addColumn('trigger', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('failure_reason', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('ended_at', 'bigint')
      .execute();
    await db.schema.createIndex('pipeline_executions_pipeline_idx').on('pipeline_executions').columns(['pipeline_name', 'created_at']).execute();
    await db.schema.createIndex('pipeline_executions_status_idx').on('pipeline_executions').column('status').execute();
    await db.schema
      .createTable('pipeline_execution_steps')
      .addColumn('execution_name', 'text', (c) => c.notNull().references('pipeline_executions.name'))
      .addColumn('step_name', 'text', (c) => c.notNull())
      .addColumn('position', 'integer', (c) => c.notNull())
      .addColumn('step_type', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('cache_key', 'text')
      .addColumn('cached_from', 'text')
      .addColumn('outputs', 'text')
      .addColumn('resources', 'text')
      .addColumn('failure_reason', 'text')
      .addColumn('started_at', 'bigint')
      .addColumn('ended_at', 'bigint')
      .addPrimaryKeyConstraint('pipeline_execution_steps_pk', ['execution_name', 'step_name'])
      .execute();
    await db.schema.createIndex('pipeline_execution_steps_cache_idx').on('pipeline_execution_steps').columns(['cache_key', 'status']).execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('pipeline_execution_steps').execute();
    await db.schema.dropTable('pipeline_executions').execute();
    await db.schema.dropTable('pipeline_versions').execute();
    await db.schema.dropTable('pipelines').execute();
  },
};
