import type { Updateable } from 'kysely';
import type {
  ListQuery,
  Page,
  TransformJobPatch,
  TransformJobRecord,
  TransformJobRepository,
  TransformJobStatus,
} from '../metadata-store.js';
import { compact, fromJson, orUndefined, toJson } from './codec.js';
import type { Db, TransformJobTable } from './schema.js';
import { newStatusJobRow, statusJobChanges, statusJobFields, StatusJobRepository } from './status-job-repository.js';

const KIND = 'TransformJob';
const TRANSITIONS = 'transform_job_transitions';
const ACTIVE: TransformJobStatus[] = ['InProgress', 'Stopping'];

function toRecord(row: TransformJobTable, transitions: TransformJobRecord['transitions']): TransformJobRecord {
  return compact({
    ...statusJobFields(row, transitions),
    progress: fromJson<Record<string, unknown>>(row.progress),
    outputArtifactUri: orUndefined(row.output_artifact_uri),
  });
}

/** The row changes of a patch; undefined fields are left alone. */
function toUpdate(patch: TransformJobPatch, at: Date): Updateable<TransformJobTable> {
  return compact({
    ...statusJobChanges(patch, at),
    progress: patch.progress === undefined ? undefined : toJson(patch.progress),
    output_artifact_uri: patch.outputArtifactUri,
  });
}

/** Transform jobs with their secondary-status history. */
export class SqlTransformJobRepository extends StatusJobRepository<TransformJobTable, TransformJobRecord, TransformJobPatch> implements TransformJobRepository {
  constructor(db: Db) {
    super(db, { table: 'transform_jobs', transitions: TRANSITIONS, kind: KIND, active: ACTIVE, toRecord, toUpdate });
  }

  create(r: { name: string; arn: string; spec: Record<string, unknown>; progress: Record<string, unknown>; at: Date }): Promise<TransformJobRecord> {
    return this.insert({ ...newStatusJobRow(r), progress: toJson(r.progress), output_artifact_uri: null }, r.at);
  }

  list(q: ListQuery & { status?: TransformJobStatus } = {}): Promise<Page<TransformJobRecord>> {
    return this.page(q);
  }
}
