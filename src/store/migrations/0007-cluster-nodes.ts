import type { Kysely, Migration } from 'kysely';

/*
 * Several API nodes on one database (issue 9, item 4): named leases (the dispatcher lease is
 * `dispatcher`) and one heartbeat row per live node. Times are epoch milliseconds, as in 0001.
 * Both tables are used only on PostgreSQL; on SQLite the one process is always the leader.
 */
export const clusterNodes: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('leases')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('holder', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('cluster_nodes')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('started_at', 'bigint', (c) => c.notNull())
      .addColumn('heartbeat_at', 'bigint', (c) => c.notNull())
      // JSON array of the names of the training jobs this node runs (see cluster/job-ownership).
      .addColumn('jobs', 'text', (c) => c.notNull())
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('cluster_nodes').execute();
    await db.schema.dropTable('leases').execute();
  },
};
