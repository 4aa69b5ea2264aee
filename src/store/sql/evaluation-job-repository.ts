import type { Updateable } from 'kysely';
import type { EvaluationJobPatch, EvaluationJobRecord, EvaluationJobRepository, EvaluationJobStatus } from '../evaluation-registry-store.js';
import type { ListQuery, Page } from '../metadata-store.js';
import { compact, fromJson, orUndefined, toJson } from './codec.js';
import type { EvaluationJobTable } from './registry-schema.js';
import type { Db } from './schema.js';
import { newStatusJobRow, statusJobChanges, statusJobFields, StatusJobRepository } from './status-job-repository.js';

const KIND = 'EvaluationJob';
const TRANSITIONS = 'evaluation_job_transitions';
const ACTIVE: EvaluationJobStatus[] = ['InProgress', 'Stopping'];

function toRecord(row: EvaluationJobTable, transitions: EvaluationJobRecord['transitions']): EvaluationJobRecord {
  return compact({
    ...statusJobFields(row, transitions),
    summary: row.summary === null ? undefined : fromJson<Record<string, unknown>>(row.summary),
    reportUri: orUndefined(row.report_uri),
  });
}

/** The row changes of a patch; undefined fields are left alone. */
function toUpdate(patch: EvaluationJobPatch, at: Date): Updateable<EvaluationJobTable> {
  return compact({
    ...statusJobChanges(patch, at),
    summary: patch.summary === undefined ? undefined : toJson(patch.summary),
    report_uri: patch.reportUri,
  });
}

/** Evaluation jobs with their secondary-status history (same shape as transform jobs). */
export class SqlEvaluationJobRepository extends StatusJobRepository<EvaluationJobTable, EvaluationJobRecord, EvaluationJobPatch> implements EvaluationJobRepository {
  constructor(db: Db) {
    super(db, { table: 'evaluation_jobs', transitions: TRANSITIONS, kind: KIND, active: ACTIVE, toRecord, toUpdate });
  }

  create(r: { name: string; arn: string; spec: Record<string, unknown>; at: Date }): Promise<EvaluationJobRecord> {
    return this.insert({ ...newStatusJobRow(r), summary: null, report_uri: null }, r.at);
  }

  list(q: ListQuery & { status?: EvaluationJobStatus } = {}): Promise<Page<EvaluationJobRecord>> {
    return this.page(q);
  }
}
