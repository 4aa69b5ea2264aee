import type { Kysely } from 'kysely';
import type { EndpointStatus, Role, TrainingJobStatus, TransformJobStatus } from '../metadata-store.js';
import type {
  EndpointDeploymentTable, EvaluationJobTable, ModelPackageAliasTable, ModelPackageEventTable, ModelPackageGroupTable, ModelPackageTable,
} from './registry-schema.js';
import type { MonitoringAlarmTable, MonitoringBaselineTable, MonitoringScheduleTable } from './monitoring-schema.js';
import type { PipelineExecutionStepTable, PipelineExecutionTable, PipelineTable, PipelineVersionTable } from './pipeline-schema.js';

/*
 * Row types of the SQL schema (see ../migrations/). Times are epoch milliseconds in `bigint`
 * columns (Postgres int8 is parsed to number by open-store), JSON-valued fields are `text`,
 * booleans are 0/1 integers: the same representation on SQLite and PostgreSQL.
 */

export interface DatasetTable {
  name: string;
  arn: string;
  latest_version: number;
  created_at: number;
  updated_at: number;
}

export interface DatasetVersionTable {
  dataset_name: string;
  version: number;
  uri: string;
  format: string;
  size_bytes: number;
  header: number;
  row_count: number;
  columns: string;
  created_at: number;
}

export interface TrainingJobTable {
  name: string;
  arn: string;
  spec: string;
  status: TrainingJobStatus;
  secondary_status: string;
  failure_reason: string | null;
  model_artifact_uri: string | null;
  output_artifact_uri: string | null;
  log_uri: string | null;
  created_at: number;
  updated_at: number;
  started_at: number | null;
  ended_at: number | null;
  billable_seconds: number | null;
  runtime: string | null;
  /** Added by 0004; 'Default' for jobs created before it. */
  experiment: string;
}

/** Params a run logged beyond its hyperparameters (0004). */
export interface TrainingJobParamTable {
  job_name: string;
  name: string;
  value: string;
  logged_at: number;
}

export interface TransformJobTable {
  name: string;
  arn: string;
  spec: string;
  status: TransformJobStatus;
  secondary_status: string;
  failure_reason: string | null;
  progress: string;
  output_artifact_uri: string | null;
  created_at: number;
  updated_at: number;
  started_at: number | null;
  ended_at: number | null;
}

/** Shared shape of the `*_transitions` tables. */
export interface TransitionTable {
  owner_name: string;
  seq: number;
  status: string;
  start_time: number;
  end_time: number | null;
  message: string | null;
}

export interface MetricTable {
  job_name: string;
  name: string;
  step: number;
  /** NULL stands for NaN: SQLite cannot store NaN. */
  value: number | null;
  timestamp: number;
}

/** Shared shape of `models` and `endpoint_configs`. */
export interface SpecTable {
  name: string;
  arn: string;
  spec: string;
  created_at: number;
}

export interface EndpointTable {
  name: string;
  arn: string;
  config_name: string;
  status: EndpointStatus;
  failure_reason: string | null;
  variants: string;
  /** JSON of the update under way (0010), null when none. */
  rollout: string | null;
  created_at: number;
  updated_at: number;
}

export interface ApiKeyTable {
  id: string;
  token_hash: string;
  role: Role;
  scope: string | null;
  created_at: number;
}

export interface AccessKeyTable {
  id: string;
  secret: string;
  role: Role;
  created_at: number;
}

export interface ResourceTagTable {
  resource_kind: string;
  resource_name: string;
  resource_created_at: number;
  key: string;
  value: string | null;
}

export interface ResourceDocumentTable {
  resource_kind: string;
  resource_name: string;
  resource_created_at: number;
  document: string;
}

/** A variant's autoscaling policy (0005). */
export interface EndpointScalingPolicyTable {
  endpoint_name: string;
  variant_name: string;
  policy: string;
  updated_at: number;
}

/** One autoscaling decision (0005). */
export interface EndpointScalingEventTable {
  endpoint_name: string;
  seq: number;
  variant_name: string;
  at: number;
  action: string;
  from_count: number;
  to_count: number;
  detail: string;
}

/** One node's metrics of one endpoint series in one time bucket (0011). */
export interface EndpointMetricBucketTable {
  endpoint_name: string;
  resolution: number;
  bucket: number;
  kind: string;
  series: string;
  node: string;
  invocations: number;
  errors_4xx: number;
  errors_5xx: number;
  model_latency: string;
  overhead_latency: string;
}

/** The whole schema, as Kysely sees it. */
export interface Database {
  datasets: DatasetTable;
  dataset_versions: DatasetVersionTable;
  training_jobs: TrainingJobTable;
  training_job_transitions: TransitionTable;
  training_job_metrics: MetricTable;
  training_job_params: TrainingJobParamTable;
  models: SpecTable;
  endpoint_configs: SpecTable;
  endpoints: EndpointTable;
  endpoint_transitions: TransitionTable;
  api_keys: ApiKeyTable;
  access_keys: AccessKeyTable;
  resource_tags: ResourceTagTable;
  resource_documents: ResourceDocumentTable;
  transform_jobs: TransformJobTable;
  transform_job_transitions: TransitionTable;
  endpoint_scaling_policies: EndpointScalingPolicyTable;
  endpoint_scaling_events: EndpointScalingEventTable;
  endpoint_metric_buckets: EndpointMetricBucketTable;
  evaluation_jobs: EvaluationJobTable;
  evaluation_job_transitions: TransitionTable;
  model_package_groups: ModelPackageGroupTable;
  model_packages: ModelPackageTable;
  model_package_aliases: ModelPackageAliasTable;
  model_package_events: ModelPackageEventTable;
  endpoint_deployments: EndpointDeploymentTable;
  monitoring_baselines: MonitoringBaselineTable;
  monitoring_schedules: MonitoringScheduleTable;
  monitoring_alarms: MonitoringAlarmTable;
  pipelines: PipelineTable;
  pipeline_versions: PipelineVersionTable;
  pipeline_executions: PipelineExecutionTable;
  pipeline_execution_steps: PipelineExecutionStepTable;
}

/** A Kysely instance or transaction over the Stratus schema. */
export type Db = Kysely<Database>;

/** Runs `fn` in a transaction, reusing the caller's when `db` already is one. */
export function inTransaction<T>(db: Db, fn: (tx: Db) => Promise<T>): Promise<T> {
  return db.isTransaction ? fn(db) : db.transaction().execute(fn);
}
