import type { Updateable } from 'kysely';
import { notFound } from '../../core/errors.js';
import type {
  ListQuery,
  Page,
  TransformJobPatch,
  TransformJobRecord,
  TransformJobRepository,
  TransformJobStatus,
} from '../metadata-store.js';
import { compact, fromJson, orUndefined, toDate, toJson, toMillis, toOptionalDate, toOptionalMillis } from './codec.js';
import { insertUnique } from './errors.js';
import { fetchPage, mapPage } from './pagination.js';
import { inTransaction, type Db, type TransformJobTable } from './schema.js';
import { advanceTransition, loadTransitions } from './transitions.js';

const KIND = 'TransformJob';
const TRANSITIONS = 'transform_job_transitions';
const ACTIVE: TransformJobStatus[] = ['InProgress', 'Stopping'];

function toRecord(row: TransformJobTable, transitions: TransformJobRecord['transitions']): TransformJobRecord {
  return compact({
    name: row.name,
    arn: row.arn,
    spec: fromJson<Record<string, unknown>>(row.spec),
    status: row.status,
    secondaryStatus: row.secondary_status,
    transitions,
    failureReason: orUndefined(row.failure_reason),
    progress: fromJson<Record<string, unknown>>(row.progress),
    outputArtifactUri: orUndefined(row.output_artifact_uri),
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
    startedAt: toOptionalDate(row.started_at),
    endedAt: toOptionalDate(row.ended_at),
  });
}

/** The row changes of a patch; undefined fields are left alone. */
function toUpdate(patch: TransformJobPatch, at: Date): Updateable<TransformJobTable> {
  return compact({
    status: patch.status,
    secondary_status: patch.secondaryStatus,
    failure_reason: patch.failureReason,
    progress: patch.progress === undefined ? undefined : toJson(patch.progress),
    output_artifact_uri: patch.outputArtifactUri,
    started_at: toOptionalMillis(patch.startedAt),
    ended_at: toOptionalMillis(patch.endedAt),
    updated_at: toMillis(at),
  });
}

/** Transform jobs with their secondary-status history. */
export class SqlTransformJobRepository implements TransformJobRepository {
  constructor(private readonly db: Db) {}

  create(r: { name: string; arn: string; spec: Record<string, unknown>; progress: Record<string, unknown>; at: Date }): Promise<TransformJobRecord> {
    const at = toMillis(r.at);
    const row: TransformJobTable = {
      name: r.name,
      arn: r.arn,
      spec: toJson(r.spec),
      status: 'InProgress',
      secondary_status: 'Starting',
      failure_reason: null,
      progress: toJson(r.progress),
      output_artifact_uri: null,
      created_at: at,
      updated_at: at,
      started_at: null,
      ended_at: null,
    };
    return inTransaction(this.db, async (tx) => {
      await insertUnique(KIND, r.name, () => tx.insertInto('transform_jobs').values(row).execute());
      await advanceTransition(tx, TRANSITIONS, r.name, { status: row.secondary_status, at: r.at });
      return toRecord(row, [{ status: row.secondary_status, startTime: r.at }]);
    });
  }

  async find(name: string): Promise<TransformJobRecord | undefined> {
    const row = await this.db.selectFrom('transform_jobs').selectAll().where('name', '=', name).executeTakeFirst();
    return row && (await this.withTransitions(this.db, [row]))[0];
  }

  async get(name: string): Promise<TransformJobRecord> {
    const found = await this.find(name);
    if (!found) throw notFound(KIND, name);
    return found;
  }

  async list(q: ListQuery & { status?: TransformJobStatus } = {}): Promise<Page<TransformJobRecord>> {
    let query = this.db.selectFrom('transform_jobs').selectAll();
    if (q.status) query = query.where('status', '=', q.status);
    return mapPage(await fetchPage(query, q), (rows) => this.withTransitions(this.db, rows));
  }

  async listActive(): Promise<TransformJobRecord[]> {
    const rows = await this.db
      .selectFrom('transform_jobs')
      .selectAll()
      .where('status', 'in', ACTIVE)
      .orderBy('created_at')
      .orderBy('name')
      .execute();
    return this.withTransitions(this.db, rows);
  }

  update(name: string, patch: TransformJobPatch, at: Date): Promise<TransformJobRecord> {
    return inTransaction(this.db, async (tx) => {
      // Updating the job row first takes its lock before the transition rows are touched.
      const row = await tx
        .updateTable('transform_jobs')
        .set(toUpdate(patch, at))
        .where('name', '=', name)
        .returningAll()
        .executeTakeFirst();
      if (!row) throw notFound(KIND, name);
      if (patch.secondaryStatus !== undefined) {
        await advanceTransition(tx, TRANSITIONS, name, { status: patch.secondaryStatus, at, message: patch.statusMessage });
      }
      return (await this.withTransitions(tx, [row]))[0];
    });
  }

  private async withTransitions(db: Db, rows: TransformJobTable[]): Promise<TransformJobRecord[]> {
    const history = await loadTransitions(db, TRANSITIONS, rows.map((r) => r.name));
    return rows.map((r) => toRecord(r, history.get(r.name) ?? []));
  }
}
