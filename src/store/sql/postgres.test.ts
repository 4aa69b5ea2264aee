import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { metadataStoreConformance } from '../../../test/conformance/metadata-store.js';
import type { MetadataStore } from '../metadata-store.js';
import { openMetadataStore } from '../open-store.js';

/*
 * Runs against the PostgreSQL server every dev machine and CI has; never skipped. Each store
 * lives in its own random schema (`?schema=`), dropped after its test.
 */
const SERVER_URL = process.env.STRATUS_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const schemas = new Map<MetadataStore, string>();

const randomSchema = () => `stratus_test_${randomBytes(6).toString('hex')}`;

async function query(text: string, values: unknown[] = []): Promise<number | null> {
  const client = new pg.Client({ connectionString: SERVER_URL });
  await client.connect();
  try {
    return (await client.query(text, values)).rowCount;
  } finally {
    await client.end();
  }
}

const dropSchema = (schema: string) => query(`drop schema if exists ${schema} cascade`);

const schemaExists = async (schema: string) =>
  (await query('select 1 from pg_namespace where nspname = $1', [schema])) === 1;

/** The server URL with its database replaced. */
function databaseUrl(database: string): string {
  const u = new URL(SERVER_URL);
  u.pathname = `/${database}`;
  return u.toString();
}

async function openIsolated(): Promise<MetadataStore> {
  const schema = randomSchema();
  const store = await openMetadataStore(`${SERVER_URL}?schema=${schema}`);
  schemas.set(store, schema);
  return store;
}

async function dropIsolated(store: MetadataStore): Promise<void> {
  const schema = schemas.get(store);
  schemas.delete(store);
  if (schema) await dropSchema(schema);
}

metadataStoreConformance('postgres', openIsolated, dropIsolated);

describe('postgres store URL', () => {
  it('creates the schema, reopens it without re-migrating, and keeps data there', async () => {
    const schema = randomSchema();
    try {
      const first = await openMetadataStore(`${SERVER_URL}?schema=${schema}`);
      expect(first.dialect).toBe('postgres');
      await first.models.create({ name: 'm', arn: 'arn:m', spec: {}, at: new Date(0) });
      await first.close();
      expect(await schemaExists(schema)).toBe(true);
      const second = await openMetadataStore(`${SERVER_URL.replace('postgres:', 'postgresql:')}?schema=${schema}`);
      expect((await second.models.get('m')).createdAt).toEqual(new Date(0));
      await second.close();
    } finally {
      await dropSchema(schema);
    }
  });

  it('migrates the default schema of a fresh database even when another schema was migrated', async () => {
    const database = randomSchema();
    await query(`create database ${database}`);
    try {
      const scoped = await openMetadataStore(`${databaseUrl(database)}?schema=other`);
      await scoped.close();
      const plain = await openMetadataStore(databaseUrl(database));
      await plain.apiKeys.create({ id: 'k', tokenHash: 'h', role: 'admin', createdAt: new Date(1) });
      expect(await plain.apiKeys.count()).toBe(1);
      await plain.close();
    } finally {
      await query(`drop database if exists ${database} with (force)`);
    }
  });

  it('rejects a schema name that is not a plain identifier', async () => {
    await expect(openMetadataStore(`${SERVER_URL}?schema=a;drop`)).rejects.toMatchObject({ code: 'ValidationError' });
  });
});
