import { notFound } from '../../core/errors.js';
import type { AccessKeyRecord, AccessKeyRepository } from '../metadata-store.js';
import { toDate, toMillis } from './codec.js';
import { insertUnique } from './errors.js';
import type { AccessKeyTable, Db } from './schema.js';

const toRecord = (row: AccessKeyTable): AccessKeyRecord => ({ id: row.id, secret: row.secret, role: row.role, createdAt: toDate(row.created_at) });

/** SigV4 access keys, looked up by id. */
export class SqlAccessKeyRepository implements AccessKeyRepository {
  constructor(private readonly db: Db) {}

  async create(r: AccessKeyRecord): Promise<void> {
    const row: AccessKeyTable = { id: r.id, secret: r.secret, role: r.role, created_at: toMillis(r.createdAt) };
    await insertUnique('AccessKey', r.id, () => this.db.insertInto('access_keys').values(row).execute());
  }

  async find(id: string): Promise<AccessKeyRecord | undefined> {
    const row = await this.db.selectFrom('access_keys').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toRecord(row);
  }

  async list(): Promise<AccessKeyRecord[]> {
    const rows = await this.db.selectFrom('access_keys').selectAll().orderBy('created_at').orderBy('id').execute();
    return rows.map(toRecord);
  }

  async delete(id: string): Promise<void> {
    const { numDeletedRows } = await this.db.deleteFrom('access_keys').where('id', '=', id).executeTakeFirst();
    if (numDeletedRows === 0n) throw notFound('access key', id);
  }
}
