import type { Kysely, Migration } from 'kysely';

/*
 * Model monitoring (issue 7, item 4): baselines (statistics and constraints live in the artifact
 * store; the row keeps status and their URIs), monitoring schedules (spec, status, last run,
 * the per-variant capture cursor), and the append-only alarms a violating run raises.
 * Same portable types as 0001.
 */
export const monitoring: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('monitoring_baselines')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('arn', 'text', (c) => c.notNull())
      .addColumn('spec', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('failure_reason', 'text')
      .addColumn('statistics_uri', 'text')
      .addColumn('constraints_uri', 'text')
      .addColumn('summary', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('monitoring_schedules')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('arn', 'text', (c) => c.notNull())
      .addColumn('spec', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('cursor', 'text', (c) => c.notNull())
      .addColumn('last_run_at', 'bigint')
      .addColumn('last_result', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('monitoring_alarms')
      .addColumn('schedule_name', 'text', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('report_key', 'text', (c) => c.notNull())
      .addColumn('violations', 'integer', (c) => c.notNull())
      .addColumn('detail', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('monitoring_alarms_pk', ['schedule_name', 'seq'])
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('monitoring_alarms').execute();
    await db.schema.dropTable('monitoring_schedules').execute();
    await db.schema.dropTable('monitoring_baselines').execute();
  },
};
