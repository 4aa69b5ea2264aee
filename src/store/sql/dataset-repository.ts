import type { Clock } from '../../core/clock.js';
import { notFound } from '../../core/errors.js';
import type {
  DatasetRecord,
  DatasetRepository,
  DatasetVersionRecord,
  ListQuery,
  Page,
} from '../metadata-store.js';
import { fromJson, toDate, toJson, toMillis } from './codec.js';
import { fetchPage, mapPage } from './pagination.js';
import { inTransaction, type Db, type DatasetTable, type DatasetVersionTable } from './schema.js';

const toDataset = (row: DatasetTable): DatasetRecord => ({
  name: row.name,
  arn: row.arn,
  latestVersion: row.latest_version,
  createdAt: toDate(row.created_at),
  updatedAt: toDate(row.updated_at),
});

const toVersion = (row: DatasetVersionTable): DatasetVersionRecord => ({
  datasetName: row.dataset_name,
  version: row.version,
  uri: row.uri,
  format: row.format,
  sizeBytes: Number(row.size_bytes),
  header: row.header === 1,
  rows: Number(row.row_count),
  columns: fromJson<unknown[]>(row.columns),
  createdAt: toDate(row.created_at),
});

type NewVersion = Parameters<DatasetRepository['addVersion']>[0];

/** Datasets and their immutable, numbered versions. */
export class SqlDatasetRepository implements DatasetRepository {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  addVersion(v: NewVersion): Promise<DatasetVersionRecord> {
    const at = toMillis(this.clock.now());
    return inTransaction(this.db, async (tx) => {
      // Insert-if-absent then increment: the UPDATE's row lock serializes concurrent writers.
      await tx
        .insertInto('datasets')
        .values({ name: v.datasetName, arn: v.arn, latest_version: 0, created_at: at, updated_at: at })
        .onConflict((oc) => oc.column('name').doNothing())
        .execute();
      const { latest_version } = await tx
        .updateTable('datasets')
        .set((eb) => ({ latest_version: eb('latest_version', '+', 1), updated_at: at }))
        .where('name', '=', v.datasetName)
        .returning('latest_version')
        .executeTakeFirstOrThrow();
      const row: DatasetVersionTable = {
        dataset_name: v.datasetName,
        version: latest_version,
        uri: v.uri,
        format: v.format,
        size_bytes: v.sizeBytes,
        header: v.header ? 1 : 0,
        row_count: v.rows,
        columns: toJson(v.columns),
        created_at: at,
      };
      await tx.insertInto('dataset_versions').values(row).execute();
      return toVersion(row);
    });
  }

  async find(name: string): Promise<DatasetRecord | undefined> {
    const row = await this.db.selectFrom('datasets').selectAll().where('name', '=', name).executeTakeFirst();
    return row && toDataset(row);
  }

  async get(name: string): Promise<DatasetRecord> {
    const found = await this.find(name);
    if (!found) throw notFound('Dataset', name);
    return found;
  }

  async list(q?: ListQuery): Promise<Page<DatasetRecord>> {
    const page = await fetchPage(this.db.selectFrom('datasets').selectAll(), q);
    return mapPage(page, (rows) => rows.map(toDataset));
  }

  async listVersions(name: string): Promise<DatasetVersionRecord[]> {
    const rows = await this.db
      .selectFrom('dataset_versions')
      .selectAll()
      .where('dataset_name', '=', name)
      .orderBy('version')
      .execute();
    // A dataset always has at least one version, so no rows means no dataset.
    if (rows.length === 0) throw notFound('Dataset', name);
    return rows.map(toVersion);
  }

  async getVersion(name: string, version?: number): Promise<DatasetVersionRecord> {
    let query = this.db.selectFrom('dataset_versions').selectAll().where('dataset_name', '=', name);
    query = version === undefined ? query.orderBy('version', 'desc').limit(1) : query.where('version', '=', version);
    const row = await query.executeTakeFirst();
    if (row) return toVersion(row);
    if (version === undefined || !(await this.find(name))) throw notFound('Dataset', name);
    throw notFound('DatasetVersion', `${name}:${version}`);
  }

  delete(name: string): Promise<DatasetVersionRecord[]> {
    return inTransaction(this.db, async (tx) => {
      const rows = await tx.deleteFrom('dataset_versions').where('dataset_name', '=', name).returningAll().execute();
      const { numDeletedRows } = await tx.deleteFrom('datasets').where('name', '=', name).executeTakeFirst();
      if (numDeletedRows === 0n) throw notFound('Dataset', name);
      return rows.map(toVersion).sort((a, b) => a.version - b.version);
    });
  }
}
