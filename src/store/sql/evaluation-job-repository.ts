import type { Updateable } from 'kysely';
import { notFound } from '../../core/errors.js';
import type { EvaluationJobPatch, EvaluationJobRecord, EvaluationJobRepository, EvaluationJobStatus } from '../evaluation-registry-store.js';
import type { ListQuery, Page } from '../metadata-store.js';
import { compact, fromJson, orUndefined, toDate, toJson, toMillis, toOptionalDate, toOptionalMillis } from './codec.js';
import { insertUnique } from './errors.js';
import { fetchPage, mapPage } from './pagination.js';
import type { EvaluationJobTable } from './registry-schema.js';
import { inTransaction, type Db } from './schema.js';
import { advanceTransition, loadTransitions } from './transitions.js';

const KIND = 'EvaluationJob';
const TRANSITIONS = 'evaluation_job_transitions';
const ACTIVE: EvaluationJobStatus[] = ['InProgress', 'Stopping'];

function toRecord(row: EvaluationJobTable, transitions: EvaluationJobRecord['transitions']): EvaluationJobRecord {
  return compact({
    name: row.name,
    arn: row.arn,
    spec: fromJson<Record<string, unknown>>(row.spec),
    status: row.status,
    secondaryStatus: row.secondary_status,
    transitions,
    failureReason: orUndefined(row.failure_reason),
    summary: row.summary === null ? undefined : fromJson<Record<string, unknown>>(row.summary),
    reportUri: orUndefined(row.report_uri),
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
    startedAt: toOptionalDate(row.started_at),
    endedAt: toOptionalDate(row.ended_at),
  });
}

/** The row changes of a patch; undefined fields are left alone. */
function toUpdate(patch: EvaluationJobPatch, at: Date): Updateable<EvaluationJobTable> {
  return compact({
    status: patch.status,
    secondary_status: patch.secondaryStatus,
    failure_reason: patch.failureReason,
    summary: patch.summary === undefined ? undefined : toJson(patch.summary),
    report_uri: patch.reportUri,
    started_at: toOptionalMillis(patch.startedAt),
    ended_at: toOptionalMillis(patch.endedAt),
    updated_at: toMillis(at),
  });
}

/** Evaluation jobs with their secondary-status history (same shape as transform jobs). */
export class SqlEvaluationJobRepository implements EvaluationJobRepository {
  constructor(private readonly db: Db) {}

  create(r: { name: string; arn: string; spec: Record<string, unknown>; at: Date }): Promise<EvaluationJobRecord> {
    const at = toMillis(r.at);
    const row: EvaluationJobTable = {
      name: r.name,
      arn: r.arn,
      spec: toJson(r.spec),
      status: 'InProgress',
      secondary_status: 'Starting',
      failure_reason: null,
      summary: null,
      report_uri: null,
      created_at: at,
      updated_at: at,
      started_at: null,
      ended_at: null,
    };
    return inTransaction(this.db, async (tx) => {
      await insertUnique(KIND, r.name, () => tx.insertInto('evaluation_jobs').values(row).execute());
      await advanceTransition(tx, TRANSITIONS, r.name, { status: row.secondary_status, at: r.at });
      return toRecord(row, [{ status: row.secondary_status, startTime: r.at }]);
    });
  }

  async find(name: string): Promise<EvaluationJobRecord | undefined> {
    const row = await this.db.selectFrom('evaluation_jobs').selectAll().where('name', '=', name).executeTakeFirst();
    return row && (await this.withTransitions(this.db, [row]))[0];
  }

  async get(name: string): Promise<EvaluationJobRecord> {
    const found = await this.find(name);
    if (!found) throw notFound(KIND, name);
    return found;
  }

  async list(q: ListQuery & { status?: EvaluationJobStatus } = {}): Promise<Page<EvaluationJobRecord>> {
    let query = this.db.selectFrom('evaluation_jobs').selectAll();
    if (q.status) query = query.where('status', '=', q.status);
    return mapPage(await fetchPage(query, q), (rows) => this.withTransitions(this.db, rows));
  }

  async listActive(): Promise<EvaluationJobRecord[]> {
    const rows = await this.db
      .selectFrom('evaluation_jobs')
      .selectAll()
      .where('status', 'in', ACTIVE)
      .orderBy('created_at')
      .orderBy('name')
      .execute();
    return this.withTransitions(this.db, rows);
  }

  update(name: string, patch: EvaluationJobPatch, at: Date): Promise<EvaluationJobRecord> {
    return inTransaction(this.db, async (tx) => {
      // Updating the job row first takes its lock before the transition rows are touched.
      const row = await tx
        .updateTable('evaluation_jobs')
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

  private async withTransitions(db: Db, rows: EvaluationJobTable[]): Promise<EvaluationJobRecord[]> {
    const history = await loadTransitions(db, TRANSITIONS, rows.map((r) => r.name));
    return rows.map((r) => toRecord(r, history.get(r.name) ?? []));
  }
}
