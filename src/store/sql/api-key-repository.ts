import type { ApiKeyRecord, ApiKeyRepository, Role } from '../metadata-store.js';
import { compact, orUndefined, toDate, toMillis } from './codec.js';
import { insertUnique } from './errors.js';
import type { ApiKeyTable, Db } from './schema.js';

const toRecord = (row: ApiKeyTable): ApiKeyRecord =>
  compact({
    id: row.id,
    tokenHash: row.token_hash,
    role: row.role,
    scope: orUndefined(row.scope),
    createdAt: toDate(row.created_at),
  });

/** API keys, looked up by the hash of their token. */
export class SqlApiKeyRepository implements ApiKeyRepository {
  constructor(private readonly db: Db) {}

  async create(r: ApiKeyRecord): Promise<void> {
    const row: ApiKeyTable = {
      id: r.id,
      token_hash: r.tokenHash,
      role: r.role,
      scope: r.scope ?? null,
      created_at: toMillis(r.createdAt),
    };
    await insertUnique('ApiKey', r.id, () => this.db.insertInto('api_keys').values(row).execute());
  }

  async findByHash(tokenHash: string): Promise<ApiKeyRecord | undefined> {
    const row = await this.db.selectFrom('api_keys').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
    return row && toRecord(row);
  }

  async deleteByScope(scope: string): Promise<void> {
    await this.db.deleteFrom('api_keys').where('scope', '=', scope).execute();
  }

  async count(role?: Role): Promise<number> {
    let query = this.db.selectFrom('api_keys').select((eb) => eb.fn.countAll().as('n'));
    if (role) query = query.where('role', '=', role);
    const { n } = await query.executeTakeFirstOrThrow();
    return Number(n);
  }
}
