import type { Kysely, Migration } from 'kysely';

/*
 * Cluster-wide endpoint metrics (issue 9, item 4; issue 5): each API node publishes, every
 * second, its invocation counts and latency histograms per endpoint, series (variant, shadow
 * variant, or an update's new config) and time bucket (1 s and 30 s). Readers sum the nodes.
 * Written only in cluster mode (PostgreSQL); a single node keeps its metrics in memory. Rows
 * are pruned by age (5 minutes of 1 s buckets, an hour of 30 s buckets). Histograms are sparse
 * text (`bin:count,…`, bins of serving/endpoint-metrics.ts).
 */
export const endpointMetricBuckets: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('endpoint_metric_buckets')
      .addColumn('endpoint_name', 'text', (c) => c.notNull())
      .addColumn('resolution', 'integer', (c) => c.notNull())
      .addColumn('bucket', 'bigint', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('series', 'text', (c) => c.notNull())
      .addColumn('node', 'text', (c) => c.notNull())
      .addColumn('invocations', 'bigint', (c) => c.notNull())
      .addColumn('errors_4xx', 'bigint', (c) => c.notNull())
      .addColumn('errors_5xx', 'bigint', (c) => c.notNull())
      .addColumn('model_latency', 'text', (c) => c.notNull())
      .addColumn('overhead_latency', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('endpoint_metric_buckets_pk', ['endpoint_name', 'resolution', 'bucket', 'kind', 'series', 'node'])
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('endpoint_metric_buckets').execute();
  },
};
