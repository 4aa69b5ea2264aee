import { accessSync, constants, existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { SecretBox, sealingKeyFile } from '../auth/secret-box.js';
import { parseSealingKey, type StratusConfig } from '../core/config.js';
import { migrations } from '../store/migrations/index.js';
import { parsePostgresUrl } from '../store/open-store.js';
import type { CheckResult } from './cluster-check.js';

/** What the check reads from the metadata store, without changing it (no migration, no schema). */
interface DatabaseState {
  /** e.g. `PostgreSQL 15.2 at db:5432/stratus as stratus, schema public`. */
  where: string;
  /** Names of the applied migrations (none for a database not created yet). */
  applied: string[];
  /** Whether this user may create the tables pending migrations need. */
  canCreate: boolean;
  /** Stored SigV4 access keys, sealed. */
  accessKeys: { id: string; secret: string }[];
  /** API nodes with a heartbeat under 4 s old (PostgreSQL). */
  liveNodes?: number;
}

class StoreUnreachable extends Error {
  constructor(message: string, readonly fix: string) {
    super(message);
  }
}

const HEARTBEAT_TTL_MS = 4_000;

/** The metadata store's check and the sealing key's: one reading of the database serves both. */
export async function checkMetadata(config: StratusConfig): Promise<CheckResult[]> {
  const postgres = /^postgres(ql)?:\/\//.test(config.databaseUrl);
  let state: DatabaseState;
  try {
    state = postgres ? await readPostgres(config.databaseUrl) : readSqlite(sqlitePath(config.databaseUrl));
  } catch (e) {
    const fix = e instanceof StoreUnreachable ? e.fix : 'check STRATUS_DATABASE_URL';
    return [
      { check: 'metadata store', status: 'fail', detail: (e as Error).message, fix },
      postgres ? await sealingKeyConfigured(config) : await sealingKeyOfOneNode(config),
    ];
  }
  return [migrationResult(state, postgres), postgres ? await sealingKeyConfigured(config, state) : await sealingKeyOfOneNode(config, state)];
}

function migrationResult(state: DatabaseState, postgres: boolean): CheckResult {
  const known = Object.keys(migrations);
  const unknown = state.applied.filter((m) => !known.includes(m));
  const pending = known.filter((m) => !state.applied.includes(m));
  const nodes = state.liveNodes === undefined ? '' : `; ${state.liveNodes} API node(s) heartbeating`;
  const oneNode = postgres ? '' : ' (one node: a cluster needs PostgreSQL)';
  if (unknown.length > 0) {
    return {
      check: 'metadata store', status: 'fail',
      detail: `${state.where}: has ${unknown.length} migration(s) this Stratus does not know (${unknown.join(', ')}): a newer version set it up`,
      fix: 'run the same Stratus version on every node (upgrade this one)',
    };
  }
  if (pending.length > 0 && !state.canCreate) {
    return {
      check: 'metadata store', status: 'fail',
      detail: `${state.where}: ${pending.length} migration(s) pending, and this user may not create tables there`,
      fix: postgres ? 'GRANT CREATE ON SCHEMA <schema> TO <user> (ON DATABASE when the schema does not exist yet), or run the first start as the owner' : 'let the server’s user write the database’s folder',
    };
  }
  if (pending.length === known.length) {
    return { check: 'metadata store', status: 'pass', detail: `${state.where}: empty; the first server start applies ${known.length} migrations${oneNode}${nodes}` };
  }
  if (pending.length > 0) {
    return {
      check: 'metadata store', status: 'warn',
      detail: `${state.where}: ${state.applied.length} of ${known.length} migrations applied; the next server start applies ${pending.join(', ')}${nodes}`,
      fix: 'nodes of an older version must not run beside it: upgrade every node together',
    };
  }
  return { check: 'metadata store', status: 'pass', detail: `${state.where}: ${known.length} of ${known.length} migrations applied${oneNode}${nodes}` };
}

/** Cluster mode: every node must seal access keys under one configured key, the one the stored keys were sealed with. */
async function sealingKeyConfigured(config: StratusConfig, state?: DatabaseState): Promise<CheckResult> {
  if (config.sealingKey === undefined) {
    const keyFile = sealingKeyFile(config.home);
    return {
      check: 'sealing key', status: 'fail',
      detail: 'PostgreSQL (cluster mode) without STRATUS_SEALING_KEY: each node would seal SigV4 access keys under its own key file, and the others could not open them',
      fix: existsSync(keyFile)
        ? `give every node the same STRATUS_SEALING_KEY (or STRATUS_SEALING_KEY_FILE): the content of ${keyFile} if this node created the access keys`
        : 'generate one key (openssl rand -base64 32) and give every node the same STRATUS_SEALING_KEY, or STRATUS_SEALING_KEY_FILE naming a file that holds it',
    };
  }
  const box = SecretBox.fromKey(parseSealingKey(config.sealingKey, 'STRATUS_SEALING_KEY'));
  return sealingResult(box, 'configured (STRATUS_SEALING_KEY or STRATUS_SEALING_KEY_FILE)', state);
}

/** One node: the configured key, else the data folder's key file (created at first start, so never here). */
async function sealingKeyOfOneNode(config: StratusConfig, state?: DatabaseState): Promise<CheckResult> {
  if (config.sealingKey !== undefined) return sealingResult(SecretBox.fromKey(parseSealingKey(config.sealingKey, 'STRATUS_SEALING_KEY')), 'configured', state);
  const file = sealingKeyFile(config.home);
  if (!existsSync(file)) return { check: 'sealing key', status: 'pass', detail: `one node: ${file}, created at first start` };
  let key: Buffer;
  try {
    key = parseSealingKey((await readFile(file, 'utf8')).trim(), file);
  } catch (e) {
    return { check: 'sealing key', status: 'fail', detail: (e as Error).message, fix: `restore ${file}, or set STRATUS_SEALING_KEY` };
  }
  return sealingResult(SecretBox.fromKey(key), `one node: ${file}`, state);
}

function sealingResult(box: SecretBox, source: string, state: DatabaseState | undefined): CheckResult {
  if (!state) return { check: 'sealing key', status: 'warn', detail: `${source}; not compared with the stored access keys (the metadata store is unreachable)` };
  const bad = state.accessKeys.filter((k) => !opens(box, k)).map((k) => k.id);
  if (bad.length > 0) {
    return {
      check: 'sealing key', status: 'fail',
      detail: `${bad.length} of ${state.accessKeys.length} access key(s) in the database (${bad.slice(0, 3).join(', ')}${bad.length > 3 ? ', …' : ''}) were sealed under another key`,
      fix: 'set STRATUS_SEALING_KEY to the key the node that created them used (its <home>/access-key-sealing.key), the same on every node',
    };
  }
  const opened = state.accessKeys.length === 0 ? 'no access keys stored yet' : `opens all ${state.accessKeys.length} stored access key(s)`;
  return { check: 'sealing key', status: 'pass', detail: `${source}; ${opened}` };
}

function opens(box: SecretBox, key: { id: string; secret: string }): boolean {
  try {
    box.open(key.secret, key.id);
    return true;
  } catch {
    return false;
  }
}

function sqlitePath(url: string): string {
  const rest = url.slice('sqlite:'.length);
  return rest.startsWith('//') ? rest.slice(2) : rest;
}

/** A SQLite file opened read-only; a missing one is a database the first start creates. */
function readSqlite(path: string): DatabaseState {
  if (!existsSync(path)) {
    return { where: `SQLite at ${path} (not created yet)`, applied: [], canCreate: writableAncestor(dirname(path)), accessKeys: [] };
  }
  let db: SqliteDatabase.Database;
  try {
    db = new SqliteDatabase(path, { readonly: true, fileMustExist: true });
  } catch (e) {
    throw new StoreUnreachable(`cannot open SQLite ${path}: ${(e as Error).message}`, 'check STRATUS_DATABASE_URL and the file’s permissions');
  }
  try {
    const has = (table: string) => db.prepare(`select 1 from sqlite_master where type = 'table' and name = ?`).get(table) !== undefined;
    const applied = has('kysely_migration') ? (db.prepare('select name from kysely_migration order by name').all() as { name: string }[]).map((r) => r.name) : [];
    const accessKeys = has('access_keys') ? (db.prepare('select id, secret from access_keys').all() as { id: string; secret: string }[]) : [];
    return { where: `SQLite at ${path}`, applied, canCreate: writableAncestor(path), accessKeys };
  } finally {
    db.close();
  }
}

/** Whether `path`, or the nearest folder above it that exists, is writable (the server creates the rest). */
function writableAncestor(path: string): boolean {
  let p = path;
  while (!existsSync(p) && dirname(p) !== p) p = dirname(p);
  try {
    accessSync(p, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

async function readPostgres(url: string): Promise<DatabaseState> {
  const { connectionString, schema: wanted, options } = parsePostgresUrl(url);
  const u = new URL(connectionString);
  const target = `${u.hostname || 'localhost'}:${u.port || '5432'}${u.pathname || '/'}${u.username ? ` as ${decodeURIComponent(u.username)}` : ''}`;
  const client = new pg.Client({ connectionString, options, connectionTimeoutMillis: 5_000, query_timeout: 10_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (e) {
    await client.end().catch(() => undefined);
    throw new StoreUnreachable(`cannot connect to PostgreSQL at ${target}: ${(e as Error).message}`, pgFix(e));
  }
  try {
    const info = (await client.query<{ version: string; schema: string | null }>(`select current_setting('server_version') as version, current_schema() as schema`)).rows[0];
    const schema = wanted ?? info.schema ?? 'public';
    const where = `PostgreSQL ${info.version.split(' ')[0]} at ${target}, schema ${schema}`;
    const exists = (await client.query('select 1 from pg_namespace where nspname = $1', [schema])).rowCount! > 0;
    const canCreate = exists
      ? (await client.query<{ ok: boolean }>(`select has_schema_privilege($1, 'CREATE') as ok`, [schema])).rows[0].ok
      : (await client.query<{ ok: boolean }>(`select has_database_privilege(current_database(), 'CREATE') as ok`)).rows[0].ok;
    const table = async (name: string) => (await client.query<{ t: string | null }>('select to_regclass($1) as t', [`${pg.escapeIdentifier(schema)}.${name}`])).rows[0].t !== null;
    const q = (name: string) => `${pg.escapeIdentifier(schema)}.${name}`;
    const applied = exists && (await table('kysely_migration')) ? (await client.query<{ name: string }>(`select name from ${q('kysely_migration')} order by name`)).rows.map((r) => r.name) : [];
    const accessKeys = exists && (await table('access_keys')) ? (await client.query<{ id: string; secret: string }>(`select id, secret from ${q('access_keys')}`)).rows : [];
    const liveNodes = exists && (await table('cluster_nodes'))
      ? Number((await client.query<{ n: string }>(`select count(*) as n from ${q('cluster_nodes')} where heartbeat_at >= $1`, [Date.now() - HEARTBEAT_TTL_MS])).rows[0].n)
      : 0;
    return { where, applied, canCreate, accessKeys, liveNodes };
  } finally {
    await client.end().catch(() => undefined);
  }
}

function pgFix(e: unknown): string {
  const code = (e as { code?: string }).code ?? '';
  if (code === '28P01' || code === '28000') return 'check the user and password in STRATUS_DATABASE_URL, and that pg_hba.conf admits this host';
  if (code === '3D000') return 'create the database (createdb -O <user> <name>), or fix its name in STRATUS_DATABASE_URL';
  return 'check the host and port in STRATUS_DATABASE_URL, that PostgreSQL listens there (listen_addresses) and that pg_hba.conf admits this host';
}
