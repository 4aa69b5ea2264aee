import type { Kysely, Migration } from 'kysely';

/*
 * Autoscaling of endpoint variants: one target-tracking policy per (endpoint, variant), and the
 * append-only log of the autoscaler's decisions. No foreign key to `endpoints`: the endpoint
 * service deletes both with the endpoint. Same portable types as 0001.
 */
export const endpointScaling: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('endpoint_scaling_policies')
      .addColumn('endpoint_name', 'text', (c) => c.notNull())
      .addColumn('variant_name', 'text', (c) => c.notNull())
      .addColumn('policy', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('endpoint_scaling_policies_pk', ['endpoint_name', 'variant_name'])
      .execute();
    await db.schema
      .createTable('endpoint_scaling_events')
      .addColumn('endpoint_name', 'text', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('variant_name', 'text', (c) => c.notNull())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('from_count', 'integer', (c) => c.notNull())
      .addColumn('to_count', 'integer', (c) => c.notNull())
      .addColumn('detail', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('endpoint_scaling_events_pk', ['endpoint_name', 'seq'])
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('endpoint_scaling_events').execute();
    await db.schema.dropTable('endpoint_scaling_policies').execute();
  },
};
