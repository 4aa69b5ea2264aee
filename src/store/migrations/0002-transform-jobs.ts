import type { Kysely, Migration } from 'kysely';

/* Batch transform jobs and their status history; same portable types as 0001. */

/** Adds `transform_jobs` and `transform_job_transitions`. */
export const transformJobs: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('transform_jobs')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('arn', 'text', (c) => c.notNull())
      .addColumn('spec', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('secondary_status', 'text', (c) => c.notNull())
      .addColumn('failure_reason', 'text')
      .addColumn('progress', 'text', (c) => c.notNull())
      .addColumn('output_artifact_uri', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('started_at', 'bigint')
      .addColumn('ended_at', 'bigint')
      .execute();
    await db.schema.createIndex('transform_jobs_status_idx').on('transform_jobs').column('status').execute();
    await db.schema.createIndex('transform_jobs_created_idx').on('transform_jobs').columns(['created_at', 'name']).execute();
    await db.schema
      .createTable('transform_job_transitions')
      .addColumn('owner_name', 'text', (c) => c.notNull().references('transform_jobs.name'))
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('start_time', 'bigint', (c) => c.notNull())
      .addColumn('end_time', 'bigint')
      .addColumn('message', 'text')
      .addPrimaryKeyConstraint('transform_job_transitions_pk', ['owner_name', 'seq'])
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('transform_job_transitions').execute();
    await db.schema.dropTable('transform_jobs').execute();
  },
};
