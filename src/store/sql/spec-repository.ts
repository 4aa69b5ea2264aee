import { notFound } from '../../core/errors.js';
import type { ImmutableRepository, ListQuery, ModelRecord, Page } from '../metadata-store.js';
import { fromJson, toDate, toJson, toMillis } from './codec.js';
import { insertUnique } from './errors.js';
import { fetchPage, mapPage } from './pagination.js';
import type { Db, SpecTable } from './schema.js';

/** Tables of immutable `{ name, arn, spec }` records. */
export type SpecTableName = 'models' | 'endpoint_configs';

/** ModelRecord and EndpointConfigRecord have the same shape. */
type SpecRecord = ModelRecord;

const toRecord = (row: SpecTable): SpecRecord => ({
  name: row.name,
  arn: row.arn,
  spec: fromJson<Record<string, unknown>>(row.spec),
  createdAt: toDate(row.created_at),
});

/** Models and endpoint configs: created once, read, deleted; never updated. */
export class SqlSpecRepository implements ImmutableRepository<SpecRecord> {
  constructor(
    private readonly db: Db,
    private readonly table: SpecTableName,
    /** Resource kind named in errors, e.g. 'Model'. */
    private readonly kind: string,
  ) {}

  async create(r: Omit<SpecRecord, 'createdAt'> & { at: Date }): Promise<SpecRecord> {
    const row: SpecTable = { name: r.name, arn: r.arn, spec: toJson(r.spec), created_at: toMillis(r.at) };
    await insertUnique(this.kind, r.name, () => this.db.insertInto(this.table).values(row).execute());
    return toRecord(row);
  }

  async find(name: string): Promise<SpecRecord | undefined> {
    const row = await this.db.selectFrom(this.table).selectAll().where('name', '=', name).executeTakeFirst();
    return row && toRecord(row);
  }

  async get(name: string): Promise<SpecRecord> {
    const found = await this.find(name);
    if (!found) throw notFound(this.kind, name);
    return found;
  }

  async list(q?: ListQuery): Promise<Page<SpecRecord>> {
    const page = await fetchPage(this.db.selectFrom(this.table).selectAll(), q);
    return mapPage(page, (rows) => rows.map(toRecord));
  }

  async delete(name: string): Promise<void> {
    const { numDeletedRows } = await this.db.deleteFrom(this.table).where('name', '=', name).executeTakeFirst();
    if (numDeletedRows === 0n) throw notFound(this.kind, name);
  }
}
