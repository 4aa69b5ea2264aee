import type { Kysely, Migration } from 'kysely';
import { statusJobTables } from './table-shapes.js';

/* Batch transform jobs and their status history; same portable types as 0001. */

/** Adds `transform_jobs` and `transform_job_transitions`. */
export const transformJobs: Migration = {
  async up(db: Kysely<unknown>) {
    await statusJobTables(db, 'transform_jobs', 'transform_job_transitions', (t) =>
      t.addColumn('progress', 'text', (c) => c.notNull()).addColumn('output_artifact_uri', 'text'),
    );
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('transform_job_transitions').execute();
    await db.schema.dropTable('transform_jobs').execute();
  },
};
