import type { Updateable } from 'kysely';
import type {
  ListQuery,
  Page,
  TransformJobPatch,
  TransformJobRecord,
  TransformJobRepository,
  TransformJobStatus,
} from '../metadata-store.js';
import { compact, fromJson, orUndefined, toDate, toJson, toMillis, toOptionalDate, toOptionalMillis } from './codec.js';
import type { Db, TransformJobTable } from './schema.js';
import { StatusJobRepository } from './status-job-repository.js';

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
export class SqlTransformJobRepository extends StatusJobRepository<TransformJobTable, TransformJobRecord, TransformJobPatch> implements TransformJobRepository {
  constructor(db: Db) {
    super(db, { table: 'transform_jobs', transitions: TRANSITIONS, kind: KIND, active: ACTIVE, toRecord, toUpdate });
  }

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
    return this.insert(row, r.at);
  }

  list(q: ListQuery & { status?: TransformJobStatus } = {}): Promise<Page<TransformJobRecord>> {
    return this.page(q);
  }
}
