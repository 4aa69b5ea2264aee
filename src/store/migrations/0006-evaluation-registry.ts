import type { Kysely, Migration } from 'kysely';
import { createdIndex, statusJobTables } from './table-shapes.js';

/*
 * Evaluation jobs (with their status history), the model registry (groups, versions, aliases, an
 * append-only event log per group) and the log of what each endpoint served from when
 * (`endpoint_deployments`), which answers "which version served endpoint X at time T". Same
 * portable types as 0001. No foreign keys to models, jobs or endpoints: a version keeps its
 * lineage (names) after those are deleted, and the deployment log outlives the endpoint.
 */
export const evaluationRegistry: Migration = {
  async up(db: Kysely<unknown>) {
    await statusJobTables(db, 'evaluation_jobs', 'evaluation_job_transitions', (t) =>
      t.addColumn('summary', 'text').addColumn('report_uri', 'text'),
    );

    await db.schema
      .createTable('model_package_groups')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('arn', 'text', (c) => c.notNull())
      .addColumn('description', 'text')
      .addColumn('tags', 'text')
      .addColumn('latest_version', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await createdIndex(db, 'model_package_groups');
    await db.schema
      .createTable('model_packages')
      .addColumn('group_name', 'text', (c) => c.notNull().references('model_package_groups.name'))
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('arn', 'text', (c) => c.notNull())
      .addColumn('spec', 'text', (c) => c.notNull())
      .addColumn('model_name', 'text')
      .addColumn('training_job', 'text')
      .addColumn('evaluation_job', 'text')
      .addColumn('approval_status', 'text', (c) => c.notNull())
      .addColumn('approval', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('model_packages_pk', ['group_name', 'version'])
      .execute();
    await db.schema.createIndex('model_packages_model_idx').on('model_packages').column('model_name').execute();
    await db.schema.createIndex('model_packages_training_job_idx').on('model_packages').column('training_job').execute();
    await db.schema.createIndex('model_packages_evaluation_job_idx').on('model_packages').column('evaluation_job').execute();
    await db.schema
      .createTable('model_package_aliases')
      .addColumn('group_name', 'text', (c) => c.notNull().references('model_package_groups.name'))
      .addColumn('alias', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('model_package_aliases_pk', ['group_name', 'alias'])
      .execute();
    await db.schema
      .createTable('model_package_events')
      .addColumn('group_name', 'text', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('version', 'integer')
      .addColumn('actor', 'text')
      .addColumn('detail', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('model_package_events_pk', ['group_name', 'seq'])
      .execute();

    await db.schema
      .createTable('endpoint_deployments')
      .addColumn('endpoint_name', 'text', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('config_name', 'text')
      .addColumn('models', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('endpoint_deployments_pk', ['endpoint_name', 'seq'])
      .execute();
  },
  async down(db: Kysely<unknown>) {
    for (const t of ['endpoint_deployments', 'model_package_events', 'model_package_aliases', 'model_packages', 'model_package_groups', 'evaluation_job_transitions', 'evaluation_jobs']) {
      await db.schema.dropTable(t).execute();
    }
  },
};
