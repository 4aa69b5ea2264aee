import type { Updateable } from 'kysely';
import type { EvaluationJobPatch, EvaluationJobRecord, EvaluationJobRepository, EvaluationJobStatus } from '../evaluation-registry-store.js';
import type { ListQuery, Page } from '../metadata-store.js';
import { compact, fromJson, orUndefined, toDate, toJson, toMillis, toOptionalDate, toOptionalMillis } from './codec.js';
import type { EvaluationJobTable } from './registry-schema.js';
import type { Db } from './schema.js';
import { StatusJobRepository } from './status-job-repository.js';

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
export class SqlEvaluationJobRepository extends StatusJobRepository<EvaluationJobTable, EvaluationJobRecord, EvaluationJobPatch> implements EvaluationJobRepository {
  constructor(db: Db) {
    super(db, { table: 'evaluation_jobs', transitions: TRANSITIONS, kind: KIND, active: ACTIVE, toRecord, toUpdate });
  }

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
    return this.insert(row, r.at);
  }

  list(q: ListQuery & { status?: EvaluationJobStatus } = {}): Promise<Page<EvaluationJobRecord>> {
    return this.page(q);
  }
}
