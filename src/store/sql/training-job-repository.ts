import type { Updateable } from 'kysely';
import { notFound } from '../../core/errors.js';
import type {
  ListQuery,
  MetricPoint,
  Page,
  TrainingJobPatch,
  TrainingJobRecord,
  TrainingJobRepository,
  TrainingJobStatus,
} from '../metadata-store.js';
import { compact, fromJson, orUndefined, toJson } from './codec.js';
import { appendMetrics, readMetrics } from './metrics.js';
import { inTransaction, type Db, type TrainingJobTable } from './schema.js';
import { newStatusJobRow, statusJobChanges, statusJobFields, StatusJobRepository } from './status-job-repository.js';

const KIND = 'TrainingJob';
const TRANSITIONS = 'training_job_transitions';
const ACTIVE: TrainingJobStatus[] = ['InProgress', 'Stopping'];
/** The experiment of a job created without one. */
export const DEFAULT_EXPERIMENT = 'Default';

function toRecord(row: TrainingJobTable, transitions: TrainingJobRecord['transitions']): TrainingJobRecord {
  return compact({
    ...statusJobFields(row, transitions),
    experiment: row.experiment,
    modelArtifactUri: orUndefined(row.model_artifact_uri),
    outputArtifactUri: orUndefined(row.output_artifact_uri),
    logUri: orUndefined(row.log_uri),
    billableSeconds: orUndefined(row.billable_seconds),
    runtime: row.runtime === null ? undefined : fromJson<Record<string, unknown>>(row.runtime),
  });
}

/** The row changes of a patch; undefined fields are left alone, `runtime: null` clears. */
function toUpdate(patch: TrainingJobPatch, at: Date): Updateable<TrainingJobTable> {
  const runtime = patch.runtime === undefined ? undefined : patch.runtime === null ? null : toJson(patch.runtime);
  return compact({
    ...statusJobChanges(patch, at),
    model_artifact_uri: patch.modelArtifactUri,
    output_artifact_uri: patch.outputArtifactUri,
    log_uri: patch.logUri,
    billable_seconds: patch.billableSeconds,
    runtime,
  });
}

function newJobRow(r: { name: string; arn: string; spec: Record<string, unknown>; at: Date }, experiment: string): TrainingJobTable {
  return {
    ...newStatusJobRow(r),
    experiment,
    model_artifact_uri: null,
    output_artifact_uri: null,
    log_uri: null,
    billable_seconds: null,
    runtime: null,
  };
}

/** Training jobs with their secondary-status history and metrics. */
export class SqlTrainingJobRepository extends StatusJobRepository<TrainingJobTable, TrainingJobRecord, TrainingJobPatch> implements TrainingJobRepository {
  constructor(db: Db) {
    super(db, { table: 'training_jobs', transitions: TRANSITIONS, kind: KIND, active: ACTIVE, toRecord, toUpdate });
  }

  create(r: { name: string; arn: string; spec: Record<string, unknown>; at: Date; experiment?: string }): Promise<TrainingJobRecord> {
    return this.insert(newJobRow(r, r.experiment ?? DEFAULT_EXPERIMENT), r.at);
  }

  list(q: ListQuery & { status?: TrainingJobStatus; experiment?: string } = {}): Promise<Page<TrainingJobRecord>> {
    const { experiment } = q;
    return this.page(q, (query) => (experiment === undefined ? query : query.where('experiment', '=', experiment)));
  }

  appendMetrics(jobName: string, points: MetricPoint[]): Promise<void> {
    return inTransaction(this.db, async (tx) => {
      // Write before reading: a SQLite transaction that starts with a read cannot wait for a
      // writer in another process, it fails with SQLITE_BUSY. A missing job rolls the insert back.
      await appendMetrics(tx, jobName, points);
      await this.requireJob(tx, jobName);
    });
  }

  async metrics(jobName: string, name?: string): Promise<MetricPoint[]> {
    await this.requireJob(this.db, jobName);
    return readMetrics(this.db, jobName, name);
  }

  private async requireJob(db: Db, name: string): Promise<void> {
    const row = await db.selectFrom('training_jobs').select('name').where('name', '=', name).executeTakeFirst();
    if (!row) throw notFound(KIND, name);
  }
}
