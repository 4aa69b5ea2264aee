import type { CreateTableBuilder, Kysely } from 'kysely';

/*
 * Table shapes shared by migrations: status jobs (training, transform, evaluation), status
 * histories, list indexes. Applied migrations must keep producing the exact same DDL: change
 * these only by adding new helpers.
 */

type TableBuilder = CreateTableBuilder<string, never>;

/** A job's identity and status: the columns before the kind's own details. */
export function jobHeadColumns(t: TableBuilder): TableBuilder {
  return t
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('arn', 'text', (c) => c.notNull())
    .addColumn('spec', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('secondary_status', 'text', (c) => c.notNull())
    .addColumn('failure_reason', 'text');
}

/** A job's timestamps (epoch ms): the columns after the kind's own details. */
export function jobTimeColumns(t: TableBuilder): TableBuilder {
  return t
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('started_at', 'bigint')
    .addColumn('ended_at', 'bigint');
}

/** Serves lists ordered by (created_at, name) and their keyset. */
export async function createdIndex(db: Kysely<unknown>, table: string): Promise<void> {
  await db.schema.createIndex(`${table}_created_idx`).on(table).columns(['created_at', 'name']).execute();
}

/** The secondary-status history of the rows of `owner`, one row per status entered. */
export async function transitionsTable(db: Kysely<unknown>, table: string, owner: string): Promise<void> {
  await db.schema
    .createTable(table)
    .addColumn('owner_name', 'text', (c) => c.notNull().references(`${owner}.name`))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('start_time', 'bigint', (c) => c.notNull())
    .addColumn('end_time', 'bigint')
    .addColumn('message', 'text')
    .addPrimaryKeyConstraint(`${table}_pk`, ['owner_name', 'seq'])
    .execute();
}

/**
 * A job table (head columns, `details`, timestamps) with its status and list indexes, and its
 * transitions table `transitions`.
 */
export async function statusJobTables(
  db: Kysely<unknown>,
  table: string,
  transitions: string,
  details: (t: TableBuilder) => TableBuilder,
): Promise<void> {
  await db.schema.createTable(table).$call(jobHeadColumns).$call(details).$call(jobTimeColumns).execute();
  await db.schema.createIndex(`${table}_status_idx`).on(table).column('status').execute();
  await createdIndex(db, table);
  await transitionsTable(db, transitions, table);
}
