import type { Updateable } from 'kysely';
import { notFound } from '../../core/errors.js';
import type {
  EndpointPatch,
  EndpointRecord,
  EndpointRepository,
  EndpointStatus,
  ListQuery,
  Page,
} from '../metadata-store.js';
import { compact, fromJson, orUndefined, toDate, toJson, toMillis } from './codec.js';
import { insertUnique } from './errors.js';
import { fetchPage, mapPage } from './pagination.js';
import { inTransaction, type Db, type EndpointTable } from './schema.js';
import { advanceTransition, deleteTransitions, loadTransitions } from './transitions.js';

const KIND = 'Endpoint';
const TRANSITIONS = 'endpoint_transitions';

function toRecord(row: EndpointTable, transitions: EndpointRecord['transitions']): EndpointRecord {
  return compact({
    name: row.name,
    arn: row.arn,
    configName: row.config_name,
    status: row.status,
    failureReason: orUndefined(row.failure_reason),
    variants: fromJson<unknown[]>(row.variants),
    rollout: row.rollout === null ? undefined : fromJson<Record<string, unknown>>(row.rollout),
    transitions,
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  });
}

/** The row changes of a patch; undefined fields are left alone, `failureReason: null` clears. */
function toUpdate(patch: EndpointPatch, at: Date): Updateable<EndpointTable> {
  return compact({
    config_name: patch.configName,
    status: patch.status,
    failure_reason: patch.failureReason,
    variants: patch.variants === undefined ? undefined : toJson(patch.variants),
    rollout: patch.rollout === undefined ? undefined : patch.rollout === null ? null : toJson(patch.rollout),
    updated_at: toMillis(at),
  });
}

/** Endpoints with their status history. */
export class SqlEndpointRepository implements EndpointRepository {
  constructor(private readonly db: Db) {}

  create(r: { name: string; arn: string; configName: string; variants: unknown[]; at: Date }): Promise<EndpointRecord> {
    const at = toMillis(r.at);
    const row: EndpointTable = {
      name: r.name,
      arn: r.arn,
      config_name: r.configName,
      status: 'Creating',
      failure_reason: null,
      variants: toJson(r.variants),
      rollout: null,
      created_at: at,
      updated_at: at,
    };
    return inTransaction(this.db, async (tx) => {
      await insertUnique(KIND, r.name, () => tx.insertInto('endpoints').values(row).execute());
      await advanceTransition(tx, TRANSITIONS, r.name, { status: row.status, at: r.at });
      return toRecord(row, [{ status: row.status, startTime: r.at }]);
    });
  }

  async find(name: string): Promise<EndpointRecord | undefined> {
    const row = await this.db.selectFrom('endpoints').selectAll().where('name', '=', name).executeTakeFirst();
    return row && (await this.withTransitions(this.db, [row]))[0];
  }

  async get(name: string): Promise<EndpointRecord> {
    const found = await this.find(name);
    if (!found) throw notFound(KIND, name);
    return found;
  }

  async list(q: ListQuery & { status?: EndpointStatus } = {}): Promise<Page<EndpointRecord>> {
    let query = this.db.selectFrom('endpoints').selectAll();
    if (q.status) query = query.where('status', '=', q.status);
    return mapPage(await fetchPage(query, q), (rows) => this.withTransitions(this.db, rows));
  }

  async listAll(): Promise<EndpointRecord[]> {
    const rows = await this.db.selectFrom('endpoints').selectAll().orderBy('created_at').orderBy('name').execute();
    return this.withTransitions(this.db, rows);
  }

  update(name: string, patch: EndpointPatch, at: Date): Promise<EndpointRecord> {
    return inTransaction(this.db, async (tx) => {
      // Updating the endpoint row first takes its lock before the transition rows are touched.
      const row = await tx
        .updateTable('endpoints')
        .set(toUpdate(patch, at))
        .where('name', '=', name)
        .returningAll()
        .executeTakeFirst();
      if (!row) throw notFound(KIND, name);
      if (patch.status !== undefined) {
        await advanceTransition(tx, TRANSITIONS, name, { status: patch.status, at, message: patch.statusMessage });
      }
      return (await this.withTransitions(tx, [row]))[0];
    });
  }

  delete(name: string): Promise<void> {
    return inTransaction(this.db, async (tx) => {
      await deleteTransitions(tx, TRANSITIONS, name);
      const { numDeletedRows } = await tx.deleteFrom('endpoints').where('name', '=', name).executeTakeFirst();
      if (numDeletedRows === 0n) throw notFound(KIND, name);
    });
  }

  private async withTransitions(db: Db, rows: EndpointTable[]): Promise<EndpointRecord[]> {
    const history = await loadTransitions(db, TRANSITIONS, rows.map((r) => r.name));
    return rows.map((r) => toRecord(r, history.get(r.name) ?? []));
  }
}
