import type { EndpointDeploymentRecord, EndpointDeploymentRepository } from '../evaluation-registry-store.js';
import { compact, fromJson, orUndefined, toDate, toJson, toMillis } from './codec.js';
import type { EndpointDeploymentTable } from './registry-schema.js';
import { inTransaction, type Db } from './schema.js';

const toRecord = (row: EndpointDeploymentTable): EndpointDeploymentRecord => compact({
  endpoint: row.endpoint_name,
  seq: Number(row.seq),
  at: toDate(row.at),
  config: orUndefined(row.config_name),
  models: fromJson<EndpointDeploymentRecord['models']>(row.models),
});

/** The append-only log of what each endpoint served from when. */
export class SqlEndpointDeploymentRepository implements EndpointDeploymentRepository {
  constructor(private readonly db: Db) {}

  record(r: Omit<EndpointDeploymentRecord, 'seq'>): Promise<EndpointDeploymentRecord> {
    return inTransaction(this.db, async (tx) => {
      const { last } = await tx
        .selectFrom('endpoint_deployments')
        .select((eb) => eb.fn.max('seq').as('last'))
        .where('endpoint_name', '=', r.endpoint)
        .executeTakeFirstOrThrow();
      const row: EndpointDeploymentTable = {
        endpoint_name: r.endpoint, seq: Number(last ?? 0) + 1, at: toMillis(r.at), config_name: r.config ?? null, models: toJson(r.models),
      };
      await tx.insertInto('endpoint_deployments').values(row).execute();
      return toRecord(row);
    });
  }

  async history(endpoint: string): Promise<EndpointDeploymentRecord[]> {
    const rows = await this.db.selectFrom('endpoint_deployments').selectAll().where('endpoint_name', '=', endpoint).orderBy('seq').execute();
    return rows.map(toRecord);
  }

  async at(endpoint: string, at: Date): Promise<EndpointDeploymentRecord | undefined> {
    const row = await this.db
      .selectFrom('endpoint_deployments')
      .selectAll()
      .where('endpoint_name', '=', endpoint)
      .where('at', '<=', toMillis(at))
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row && toRecord(row);
  }
}
