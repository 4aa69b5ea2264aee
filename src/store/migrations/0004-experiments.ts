import { sql, type Kysely, type Migration } from 'kysely';

/*
 * Experiments and run tracking: every training job is a run of one experiment (a name kept on the
 * job; an experiment exists while it has runs, so it needs no table of its own), and a run can log
 * params beyond its hyperparameters. Same portable types as 0001.
 */
export const experiments: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('training_jobs').addColumn('experiment', 'text', (c) => c.notNull().defaultTo('Default')).execute();
    await db.schema.createIndex('training_jobs_experiment_idx').on('training_jobs').columns(['experiment', 'created_at', 'name']).execute();
    await db.schema
      .createTable('training_job_params')
      .addColumn('job_name', 'text', (c) => c.notNull().references('training_jobs.name'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('value', 'text', (c) => c.notNull())
      .addColumn('logged_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('training_job_params_pk', ['job_name', 'name'])
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('training_job_params').execute();
    await db.schema.dropIndex('training_jobs_experiment_idx').execute();
    // SQLite before 3.35 cannot drop a column; both supported dialects here can.
    await sql`alter table training_jobs drop column experiment`.execute(db);
  },
};
