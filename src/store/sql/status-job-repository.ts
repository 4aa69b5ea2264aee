import type { Updateable } from 'kysely';
import { notFound } from '../../core/errors.js';
import type { ListQuery, Page, StatusTransition } from '../metadata-store.js';
import { fromJson, orUndefined, toDate, toJson, toMillis, toOptionalDate, toOptionalMillis } from './codec.js';
import { insertUnique } from './errors.js';
import { fetchPage, mapPage } from './pagination.js';
import { inTransaction, type Db, type TrainingJobTable } from './schema.js';
import { advanceTransition, loadTransitions, type TransitionTableName } from './transitions.js';

/** The job tables: a row per job (name, status, secondary_status, created_at) plus a transitions table. */
export type JobTableName = 'training_jobs' | 'transform_jobs' | 'evaluation_jobs';

/** Kysely cannot type a query over a union of table names: every job table has the columns used here. */
const selectJobs = (db: Db, table: JobTableName) => db.selectFrom(table as 'training_jobs').selectAll();
export type JobRowsQuery = ReturnType<typeof selectJobs>;

/** What distinguishes one kind of job's repository from another. */
export interface JobTableSpec<Row, Rec, Patch> {
  table: JobTableName;
  transitions: TransitionTableName;
  /** Resource kind named in NotFound / ResourceInUse errors. */
  kind: string;
  /** Statuses `listActive` returns. */
  active: readonly string[];
  toRecord(row: Row, transitions: StatusTransition[]): Rec;
  toUpdate(patch: Patch, at: Date): Updateable<Row>;
}

/** The columns every job table has (migrations/table-shapes.ts: jobHeadColumns, jobTimeColumns). */
export interface StatusJobRow<Status extends string> {
  name: string;
  arn: string;
  spec: string;
  status: Status;
  secondary_status: string;
  failure_reason: string | null;
  created_at: number;
  updated_at: number;
  started_at: number | null;
  ended_at: number | null;
}

/** The patch fields every kind of job has. */
export interface StatusJobPatch<Status extends string> {
  status?: Status;
  secondaryStatus?: string;
  failureReason?: string;
  startedAt?: Date;
  endedAt?: Date;
}

/** The record fields every job has, read from its row; the caller adds its kind's own and compacts. */
export function statusJobFields<Status extends string>(row: StatusJobRow<Status>, transitions: StatusTransition[]) {
  return {
    name: row.name,
    arn: row.arn,
    spec: fromJson<Record<string, unknown>>(row.spec),
    status: row.status,
    secondaryStatus: row.secondary_status,
    transitions,
    failureReason: orUndefined(row.failure_reason),
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
    startedAt: toOptionalDate(row.started_at),
    endedAt: toOptionalDate(row.ended_at),
  };
}

/** The row changes of the fields every patch has (undefined: left alone, once compacted); stamps updated_at. */
export function statusJobChanges<Status extends string>(patch: StatusJobPatch<Status>, at: Date) {
  return {
    status: patch.status,
    secondary_status: patch.secondaryStatus,
    failure_reason: patch.failureReason,
    started_at: toOptionalMillis(patch.startedAt),
    ended_at: toOptionalMillis(patch.endedAt),
    updated_at: toMillis(at),
  };
}

/** The common columns of a new job's row: InProgress, secondary status Starting, not started. */
export function newStatusJobRow(r: { name: string; arn: string; spec: Record<string, unknown>; at: Date }): StatusJobRow<'InProgress'> {
  const at = toMillis(r.at);
  return {
    name: r.name,
    arn: r.arn,
    spec: toJson(r.spec),
    status: 'InProgress',
    secondary_status: 'Starting',
    failure_reason: null,
    created_at: at,
    updated_at: at,
    started_at: null,
    ended_at: null,
  };
}

/**
 * The shared half of the training, transform and evaluation job repositories: one row per job
 * whose secondary status changes are appended to a transitions table in the same transaction.
 * Queries name the table through `training_jobs`' type (see `selectJobs`).
 */
export abstract class StatusJobRepository<Row extends { name: string; secondary_status: string }, Rec, Patch extends { secondaryStatus?: string; statusMessage?: string }> {
  protected constructor(protected readonly db: Db, private readonly job: JobTableSpec<Row, Rec, Patch>) {}

  /** Inserts a new job row and opens its first transition. */
  protected insert(row: Row, at: Date): Promise<Rec> {
    const { table, transitions, kind } = this.job;
    return inTransaction(this.db, async (tx) => {
      await insertUnique(kind, row.name, () => tx.insertInto(table as 'training_jobs').values(row as unknown as TrainingJobTable).execute());
      await advanceTransition(tx, transitions, row.name, { status: row.secondary_status, at });
      return this.job.toRecord(row, [{ status: row.secondary_status, startTime: at }]);
    });
  }

  protected rows(db: Db = this.db): JobRowsQuery {
    return selectJobs(db, this.job.table);
  }

  async find(name: string): Promise<Rec | undefined> {
    const row = (await this.rows().where('name', '=', name).executeTakeFirst()) as Row | undefined;
    return row && (await this.withTransitions(this.db, [row]))[0];
  }

  async get(name: string): Promise<Rec> {
    const found = await this.find(name);
    if (!found) throw notFound(this.job.kind, name);
    return found;
  }

  /** A page of jobs, filtered by status; `narrow` adds the kind's own filters. */
  protected async page(q: ListQuery & { status?: string }, narrow: (query: JobRowsQuery) => JobRowsQuery = (query) => query): Promise<Page<Rec>> {
    let query = this.rows();
    if (q.status) query = query.where('status', '=', q.status as TrainingJobTable['status']);
    return mapPage(await fetchPage(narrow(query), q), (rows) => this.withTransitions(this.db, rows as unknown as Row[]));
  }

  async listActive(): Promise<Rec[]> {
    const rows = await this.rows()
      .where('status', 'in', this.job.active as TrainingJobTable['status'][])
      .orderBy('created_at')
      .orderBy('name')
      .execute();
    return this.withTransitions(this.db, rows as unknown as Row[]);
  }

  async update(name: string, patch: Patch, at: Date): Promise<Rec> {
    const updated = await this.#update(name, undefined, patch, at);
    if (!updated) throw notFound(this.job.kind, name);
    return updated;
  }

  /**
   * Applies the patch only while the job's status is one of `statuses` (checked and written in
   * one statement, so a node stopping a job cannot overwrite the final status another node just
   * wrote). Resolves undefined when the job is missing or in another status.
   */
  updateIf(name: string, statuses: readonly string[], patch: Patch, at: Date): Promise<Rec | undefined> {
    return this.#update(name, statuses, patch, at);
  }

  #update(name: string, statuses: readonly string[] | undefined, patch: Patch, at: Date): Promise<Rec | undefined> {
    const { table, transitions } = this.job;
    return inTransaction(this.db, async (tx) => {
      // Updating the job row first takes its lock before the transition rows are touched.
      let query = tx
        .updateTable(table as 'training_jobs')
        .set(this.job.toUpdate(patch, at) as Updateable<TrainingJobTable>)
        .where('name', '=', name);
      if (statuses) query = query.where('status', 'in', statuses as TrainingJobTable['status'][]);
      const row = (await query.returningAll().executeTakeFirst()) as Row | undefined;
      if (!row) return undefined;
      if (patch.secondaryStatus !== undefined) {
        await advanceTransition(tx, transitions, name, { status: patch.secondaryStatus, at, message: patch.statusMessage });
      }
      return (await this.withTransitions(tx, [row]))[0];
    });
  }

  protected async withTransitions(db: Db, rows: Row[]): Promise<Rec[]> {
    const history = await loadTransitions(db, this.job.transitions, rows.map((r) => r.name));
    return rows.map((r) => this.job.toRecord(r, history.get(r.name) ?? []));
  }
}
