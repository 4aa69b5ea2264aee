import { sql, type Expression, type SelectQueryBuilder, type SqlBool } from 'kysely';
import { validationError } from '../../core/errors.js';
import type { ListQuery, Page } from '../metadata-store.js';
import type { Database } from './schema.js';

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 100;

/** Keyset position: the sort key (created_at, name) of the last item returned. */
interface Cursor {
  createdAt: number;
  name: string;
}

/** Columns every listable table has. */
interface Listable {
  created_at: number;
  name: string;
}

export function encodeToken(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.createdAt, c.name])).toString('base64url');
}

export function decodeToken(token: string): Cursor {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && typeof parsed[0] === 'number' && typeof parsed[1] === 'string') {
      return { createdAt: parsed[0], name: parsed[1] };
    }
  } catch {
    // falls through to the validation error
  }
  throw validationError('nextToken is not valid; pass the nextToken of a previous page', { nextToken: token });
}

export function pageLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1) throw validationError('limit must be a positive integer', { limit });
  return Math.min(limit, MAX_LIMIT);
}

/** `%`, `_` and the escape character itself are literal in nameContains. */
function likePattern(contains: string): string {
  return `%${contains.replace(/[!%_]/g, (c) => `!${c}`)}%`;
}

/** Case-insensitive on both dialects (SQLite's LIKE is, Postgres's is not). */
function nameContains(contains: string): Expression<SqlBool> {
  return sql<SqlBool>`lower(${sql.ref('name')}) like lower(${likePattern(contains)}) escape '!'`;
}

function after(c: Cursor, order: 'asc' | 'desc'): Expression<SqlBool> {
  const op = order === 'asc' ? sql.raw('>') : sql.raw('<');
  const createdAt = sql.ref('created_at');
  return sql<SqlBool>`(${createdAt} ${op} ${c.createdAt} or (${createdAt} = ${c.createdAt} and ${sql.ref('name')} ${op} ${c.name}))`;
}

/**
 * Runs a single-table list query one page at a time, ordered by (created_at, name), newest first
 * unless asked otherwise. The token is the last row's sort key, so inserts between pages neither
 * repeat nor skip rows.
 */
export async function fetchPage<TB extends keyof Database, O extends Listable>(
  qb: SelectQueryBuilder<Database, TB, O>,
  q: ListQuery = {},
): Promise<Page<O>> {
  const limit = pageLimit(q.limit);
  const order = q.order ?? 'desc';
  let query = qb.orderBy(sql.ref('created_at'), order).orderBy(sql.ref('name'), order).limit(limit + 1);
  if (q.nameContains) query = query.where(nameContains(q.nameContains));
  if (q.nextToken) query = query.where(after(decodeToken(q.nextToken), order));
  const rows = await query.execute();
  if (rows.length <= limit) return { items: rows };
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextToken: encodeToken({ createdAt: Number(last.created_at), name: last.name }) };
}

/** Maps a page's items, keeping its token. */
export async function mapPage<A, B>(page: Page<A>, fn: (items: A[]) => B[] | Promise<B[]>): Promise<Page<B>> {
  const items = await fn(page.items);
  return page.nextToken === undefined ? { items } : { items, nextToken: page.nextToken };
}
