import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import type { Logger } from '../core/logger.js';
import type { Clock } from '../core/clock.js';
import { validationError } from '../core/errors.js';
import type { MetadataStore } from './metadata-store.js';
import { migrateToLatest } from './migrations/index.js';
import { isUniqueViolation } from './sql/errors.js';
import type { Database } from './sql/schema.js';
import { SqlMetadataStore, type SqlDialectName } from './sql/sql-metadata-store.js';

export interface OpenStoreOptions {
  log?: Logger;
  /** Stamps times the store sets itself (dataset versions). @defaultValue systemClock */
  clock?: Clock;
}

/** How long a SQLite writer waits for another process's lock before SQLITE_BUSY. */
const SQLITE_BUSY_TIMEOUT_MS = 5_000;
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
const PG_INT8 = 20;

/**
 * Opens the metadata store named by `url` and applies pending migrations.
 *
 * - `sqlite:<path>` (relative or absolute; `sqlite:///abs/path` also works): creates the parent
 *   folder, WAL journal, busy timeout. `sqlite::memory:` is a private in-memory database.
 * - `postgres://…` or `postgresql://…`: a pg Pool. `?schema=NAME` (lowercase letters, digits,
 *   `_`) puts every table in that schema, created if missing, by setting the connections'
 *   search_path; tests use a random NAME for isolation and `DROP SCHEMA NAME CASCADE` after.
 *
 * @example const store = await openMetadataStore('sqlite:./data/stratus.db', { log });
 * @throws ValidationError for an unknown scheme or a bad schema name; driver errors otherwise.
 */
export async function openMetadataStore(url: string, opts: OpenStoreOptions = {}): Promise<MetadataStore> {
  if (url.startsWith('sqlite:')) return start(openSqlite(sqlitePath(url)), 'sqlite', opts);
  if (/^postgres(ql)?:\/\//.test(url)) {
    const { connectionString, schema, options } = parsePostgresUrl(url);
    const db = openPostgres(connectionString, options, opts.log);
    return start(db, 'postgres', opts, () => preparePostgres(db, schema));
  }
  const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(url)?.[0] ?? url.slice(0, 16);
  throw validationError(`unsupported store URL '${scheme}…'; use sqlite:<path> or postgres://…`, { scheme });
}

/** Migrates, then wraps; `prepare` returns the Postgres schema Kysely's Migrator must use. */
async function start(
  db: Kysely<Database>,
  dialect: SqlDialectName,
  opts: OpenStoreOptions,
  prepare?: () => Promise<string>,
): Promise<MetadataStore> {
  try {
    const schema = await prepare?.();
    await migrateToLatest(db, { schema, log: opts.log });
  } catch (e) {
    await db.destroy();
    throw e;
  }
  return new SqlMetadataStore(db, { dialect, clock: opts.clock });
}

function sqlitePath(url: string): string {
  const rest = url.slice('sqlite:'.length);
  const path = rest.startsWith('//') ? rest.slice(2) : rest;
  if (path === '') throw validationError('sqlite store URL needs a path, e.g. sqlite:./data/stratus.db');
  return path;
}

function openSqlite(path: string): Kysely<Database> {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const database = new SqliteDatabase(path);
  database.pragma('journal_mode = WAL');
  database.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
  database.pragma('foreign_keys = ON');
  return new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
}

/** Splits Stratus's own `schema` parameter off the URL; pg must not see it. @internal (cluster/ opens its own connections) */
export function parsePostgresUrl(url: string): { connectionString: string; schema?: string; options?: string } {
  const u = new URL(url);
  const schema = u.searchParams.get('schema') ?? undefined;
  if (schema === undefined) return { connectionString: url };
  if (!SCHEMA_NAME.test(schema)) {
    throw validationError('schema must be lowercase letters, digits and _, starting with a letter or _', { schema });
  }
  // pg lets URL parameters override the config object, so a URL `options` must be merged here.
  const options = [u.searchParams.get('options'), `-c search_path=${schema}`].filter(Boolean).join(' ');
  u.searchParams.delete('schema');
  u.searchParams.delete('options');
  return { connectionString: u.toString(), schema, options };
}

function openPostgres(connectionString: string, options: string | undefined, log?: Logger): Kysely<Database> {
  const types = new pg.TypeOverrides();
  // Times and sizes are int8; pg returns those as strings unless told otherwise.
  types.setTypeParser(PG_INT8, Number);
  const pool = new pg.Pool({ connectionString, options, types });
  // Without a listener, an idle connection dropped by the server would crash the process.
  pool.on('error', (err) => log?.warn({ err }, 'idle postgres connection failed'));
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

/**
 * Creates the requested schema, or finds the one unqualified tables land in. Kysely's Migrator
 * must be told the schema: otherwise it takes a `kysely_migration` table in any other schema of
 * the database for its own.
 */
async function preparePostgres(db: Kysely<Database>, schema: string | undefined): Promise<string> {
  if (schema === undefined) {
    const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
    return rows[0]?.schema ?? 'public';
  }
  try {
    await db.schema.createSchema(schema).ifNotExists().execute();
  } catch (e) {
    // Two processes creating the same schema at once: the loser sees a duplicate; that is fine.
    if (!isUniqueViolation(e)) throw e;
  }
  return schema;
}
