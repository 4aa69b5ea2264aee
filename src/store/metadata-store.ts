/**
 * The MetadataStore seam: one Kysely implementation over SQLite (embedded) and PostgreSQL
 * (scale-out). Split into repositories per aggregate; `transaction` runs several writes atomically.
 * Records are plain data; JSON-valued fields are stored as JSON text and returned parsed.
 * Times are `Date`s. `find*` returns undefined when absent; `get*` throws NotFound.
 */
import type { EndpointDeploymentRepository, EvaluationJobRepository, ModelRegistryRepository } from './evaluation-registry-store.js';
import type { MonitoringRepository } from './monitoring-store.js';
import type { PipelineRepository } from './pipeline-store.js';

export interface Page<T> {
  items: T[];
  /** Opaque cursor for the next page; absent on the last page. */
  nextToken?: string;
}

export interface ListQuery {
  /** Default 50, max 100. */
  limit?: number;
  nextToken?: string;
  /** Only records whose name contains this substring. */
  nameContains?: string;
  /** Newest first by default. */
  order?: 'asc' | 'desc';
}

export interface StatusTransition {
  status: string;
  startTime: Date;
  endTime?: Date;
  message?: string;
}

// ---- datasets -----------------------------------------------------------------------------

export interface DatasetRecord {
  name: string;
  arn: string;
  latestVersion: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface DatasetVersionRecord {
  datasetName: string;
  version: number;
  /** Artifact URI of the stored file. */
  uri: string;
  /** 'csv' | 'parquet' | 'jsonl' */
  format: string;
  sizeBytes: number;
  /** Whether the CSV's first line is a header. */
  header: boolean;
  rows: number;
  /** Columns with inferred types and statistics (contracts' DatasetColumn[]). */
  columns: unknown[];
  createdAt: Date;
}

export interface DatasetRepository {
  /** Creates the dataset if needed and adds the next version atomically; returns the version written. */
  addVersion(v: Omit<DatasetVersionRecord, 'version' | 'createdAt'> & { arn: string }): Promise<DatasetVersionRecord>;
  find(name: string): Promise<DatasetRecord | undefined>;
  get(name: string): Promise<DatasetRecord>;
  list(q?: ListQuery): Promise<Page<DatasetRecord>>;
  listVersions(name: string): Promise<DatasetVersionRecord[]>;
  /** The given version, or the latest when `version` is undefined. Throws NotFound. */
  getVersion(name: string, version?: number): Promise<DatasetVersionRecord>;
  /** Deletes the dataset and all its versions; returns the deleted versions (to remove their files). */
  delete(name: string): Promise<DatasetVersionRecord[]>;
}

// ---- training jobs ------------------------------------------------------------------------

export type TrainingJobStatus = 'InProgress' | 'Completed' | 'Failed' | 'Stopping' | 'Stopped';

export interface TrainingJobRecord {
  name: string;
  arn: string;
  /** The create request as accepted (contracts' CreateTrainingJobRequest). */
  spec: Record<string, unknown>;
  /** The experiment the job is a run of ('Default' unless the create named one). */
  experiment: string;
  status: TrainingJobStatus;
  secondaryStatus: string;
  /** Secondary status history, oldest first. */
  transitions: StatusTransition[];
  failureReason?: string;
  modelArtifactUri?: string;
  outputArtifactUri?: string;
  logUri?: string;
  createdAt: Date;
  updatedAt: Date;
  startedAt?: Date;
  endedAt?: Date;
  billableSeconds?: number;
  /** Executor's handle on the running process (pid, host). */
  runtime?: Record<string, unknown>;
}

export interface TrainingJobPatch {
  status?: TrainingJobStatus;
  /** When set, closes the open transition (endTime = at) and appends a new one. */
  secondaryStatus?: string;
  statusMessage?: string;
  failureReason?: string;
  modelArtifactUri?: string;
  outputArtifactUri?: string;
  logUri?: string;
  startedAt?: Date;
  endedAt?: Date;
  billableSeconds?: number;
  runtime?: Record<string, unknown> | null;
}

export interface MetricPoint {
  name: string;
  value: number;
  step: number;
  timestamp: Date;
}

export interface TrainingJobRepository {
  /** Inserts with status InProgress / secondary Starting. Throws ResourceInUse on a duplicate name. */
  create(r: { name: string; arn: string; spec: Record<string, unknown>; at: Date; experiment?: string }): Promise<TrainingJobRecord>;
  find(name: string): Promise<TrainingJobRecord | undefined>;
  get(name: string): Promise<TrainingJobRecord>;
  list(q?: ListQuery & { status?: TrainingJobStatus; experiment?: string }): Promise<Page<TrainingJobRecord>>;
  /** Jobs whose status is InProgress or Stopping (for the scheduler and restart reconciliation). */
  listActive(): Promise<TrainingJobRecord[]>;
  /** Applies a patch in one transaction and returns the updated record. */
  update(name: string, patch: TrainingJobPatch, at: Date): Promise<TrainingJobRecord>;
  /** Like update, but only while the status is one of `statuses` (one statement); undefined when it is not, or the job is missing. */
  updateIf(name: string, statuses: readonly TrainingJobStatus[], patch: TrainingJobPatch, at: Date): Promise<TrainingJobRecord | undefined>;
  appendMetrics(jobName: string, points: MetricPoint[]): Promise<void>;
  /** Points ordered by (name, step, timestamp); filtered by metric name when given. */
  metrics(jobName: string, name?: string): Promise<MetricPoint[]>;
}

// ---- experiments and runs (a run is a training job) ----------------------------------------

/** An experiment as its runs make it: it exists while some training job names it. */
export interface ExperimentRecord {
  name: string;
  runCount: number;
  /** Runs per status. */
  statusCounts: Partial<Record<TrainingJobStatus, number>>;
  /** When its first run was created. */
  createdAt: Date;
  /** The latest change to any of its runs. */
  lastActivityAt: Date;
}

export interface ExperimentRepository {
  /** Experiments by name (ascending), paged; `nameContains` filters. */
  list(q?: Omit<ListQuery, 'order'>): Promise<Page<ExperimentRecord>>;
  find(name: string): Promise<ExperimentRecord | undefined>;
  /** Throws NotFound when no run names it. */
  get(name: string): Promise<ExperimentRecord>;
}

/** What runs record beyond the training job itself: logged params, and metric summaries. */
export interface RunRepository {
  /** Sets params on a job (a name logged again takes the new value). Throws NotFound for a missing job. */
  logParams(jobName: string, params: Record<string, string>, at: Date): Promise<void>;
  /** Logged params of each job (jobs without any are absent from the map). */
  params(jobNames: string[]): Promise<Map<string, Record<string, string>>>;
  /** The last point of each metric series of each job, by (step, timestamp); sorted by metric name. */
  finalMetrics(jobNames: string[]): Promise<Map<string, MetricPoint[]>>;
  /** The highest step recorded for each of the named metrics of a job (absent: none yet). */
  lastSteps(jobName: string, names: string[]): Promise<Map<string, number>>;
}

// ---- transform jobs -----------------------------------------------------------------------

export type TransformJobStatus = 'InProgress' | 'Completed' | 'Failed' | 'Stopping' | 'Stopped';

export interface TransformJobRecord {
  name: string;
  arn: string;
  /** The create request as accepted, defaults filled and the dataset version resolved. */
  spec: Record<string, unknown>;
  status: TransformJobStatus;
  secondaryStatus: string;
  /** Secondary status history, oldest first. */
  transitions: StatusTransition[];
  failureReason?: string;
  /** Record counts and failed positions (contracts' TransformProgress). */
  progress: Record<string, unknown>;
  outputArtifactUri?: string;
  createdAt: Date;
  updatedAt: Date;
  startedAt?: Date;
  endedAt?: Date;
}

export interface TransformJobPatch {
  status?: TransformJobStatus;
  /** When set, closes the open transition (endTime = at) and appends a new one. */
  secondaryStatus?: string;
  statusMessage?: string;
  failureReason?: string;
  progress?: Record<string, unknown>;
  outputArtifactUri?: string;
  startedAt?: Date;
  endedAt?: Date;
}

export interface TransformJobRepository {
  /** Inserts with status InProgress / secondary Starting. Throws ResourceInUse on a duplicate name. */
  create(r: { name: string; arn: string; spec: Record<string, unknown>; progress: Record<string, unknown>; at: Date }): Promise<TransformJobRecord>;
  find(name: string): Promise<TransformJobRecord | undefined>;
  get(name: string): Promise<TransformJobRecord>;
  list(q?: ListQuery & { status?: TransformJobStatus }): Promise<Page<TransformJobRecord>>;
  /** Jobs whose status is InProgress or Stopping (restart reconciliation). */
  listActive(): Promise<TransformJobRecord[]>;
  /** Applies a patch in one transaction and returns the updated record. */
  update(name: string, patch: TransformJobPatch, at: Date): Promise<TransformJobRecord>;
  /** Like update, but only while the status is one of `statuses` (one statement); undefined when it is not, or the job is missing. */
  updateIf(name: string, statuses: readonly TransformJobStatus[], patch: TransformJobPatch, at: Date): Promise<TransformJobRecord | undefined>;
}

// ---- models, endpoint configs, endpoints --------------------------------------------------

export interface ModelRecord {
  name: string;
  arn: string;
  /** contracts' CreateModelRequest plus resolved artifact and algorithm. */
  spec: Record<string, unknown>;
  createdAt: Date;
}

export interface EndpointConfigRecord {
  name: string;
  arn: string;
  spec: Record<string, unknown>;
  createdAt: Date;
}

export type EndpointStatus = 'Creating' | 'InService' | 'Updating' | 'RollingBack' | 'Deleting' | 'Failed' | 'OutOfService';

export interface EndpointRecord {
  name: string;
  arn: string;
  configName: string;
  status: EndpointStatus;
  failureReason?: string;
  /** Live per-variant state (weights, instance counts), contracts' EndpointVariantState[]. */
  variants: unknown[];
  /** The update under way, serving's StoredRollout (serving/rollout-state.ts); absent when none. */
  rollout?: Record<string, unknown>;
  transitions: StatusTransition[];
  createdAt: Date;
  updatedAt: Date;
}

export interface EndpointPatch {
  configName?: string;
  /** When set, closes the open transition and appends a new one. */
  status?: EndpointStatus;
  statusMessage?: string;
  /** null clears it. */
  failureReason?: string | null;
  variants?: unknown[];
  /** null clears it (the update ended). */
  rollout?: Record<string, unknown> | null;
}

/** Same shape for models and endpoint configs: immutable once created. */
export interface ImmutableRepository<R extends { name: string }> {
  /** Throws ResourceInUse on a duplicate name. */
  create(r: Omit<R, 'createdAt'> & { at: Date }): Promise<R>;
  find(name: string): Promise<R | undefined>;
  get(name: string): Promise<R>;
  list(q?: ListQuery): Promise<Page<R>>;
  /** Throws NotFound when absent. */
  delete(name: string): Promise<void>;
}

export interface EndpointRepository {
  create(r: { name: string; arn: string; configName: string; variants: unknown[]; at: Date }): Promise<EndpointRecord>;
  find(name: string): Promise<EndpointRecord | undefined>;
  get(name: string): Promise<EndpointRecord>;
  list(q?: ListQuery & { status?: EndpointStatus }): Promise<Page<EndpointRecord>>;
  listAll(): Promise<EndpointRecord[]>;
  update(name: string, patch: EndpointPatch, at: Date): Promise<EndpointRecord>;
  delete(name: string): Promise<void>;
}

/** A variant's autoscaling policy: contracts' ScalingPolicyRequest with defaults filled in. */
export interface ScalingPolicyRecord {
  endpoint: string;
  variant: string;
  policy: Record<string, unknown>;
  updatedAt: Date;
}

/** One autoscaling decision. */
export interface ScalingEventRecord {
  endpoint: string;
  variant: string;
  at: Date;
  action: string;
  fromInstances: number;
  toInstances: number;
  /** What drove it: measured rates, the reason in words. */
  detail: Record<string, unknown>;
}

/** Autoscaling policies and the log of scaling decisions, per endpoint. */
export interface EndpointScalingRepository {
  /** Creates or replaces the policy of (endpoint, variant). */
  putPolicy(r: ScalingPolicyRecord): Promise<void>;
  /** Throws NotFound when the variant has no policy. */
  deletePolicy(endpoint: string, variant: string): Promise<void>;
  /** Policies of one endpoint, or of every endpoint; ordered by endpoint, variant. */
  policies(endpoint?: string): Promise<ScalingPolicyRecord[]>;
  appendEvent(e: ScalingEventRecord): Promise<void>;
  /** Newest first. */
  events(endpoint: string, q?: { variant?: string; limit?: number }): Promise<ScalingEventRecord[]>;
  /** Forgets an endpoint's policies and events (the endpoint was deleted). */
  deleteEndpoint(endpoint: string): Promise<void>;
}

/**
 * One API node's invocations of one endpoint series in one time bucket (cluster-wide metrics,
 * serving/cluster-metrics.ts). Histograms count requests per latency bin of
 * serving/endpoint-metrics.ts; trailing empty bins may be left out.
 */
export interface EndpointMetricBucketRecord {
  node: string;
  endpoint: string;
  /** A production or shadow variant's requests, or an update's new config's ('green'). */
  kind: 'production' | 'shadow' | 'green';
  /** The variant's name; for 'green', the update (`<config>@<startedAt>`). */
  series: string;
  /** Bucket length in seconds. */
  resolution: number;
  /** Epoch seconds / resolution, rounded down. */
  bucket: number;
  invocations: number;
  errors4xx: number;
  errors5xx: number;
  modelLatency: number[];
  overheadLatency: number[];
}

export interface EndpointMetricBucketQuery {
  endpoint: string;
  resolution: number;
  /** Bucket range, both ends included. */
  from: number;
  to: number;
  kind?: EndpointMetricBucketRecord['kind'];
  series?: string;
  /** Leaves this node's rows out (it reads its own from memory). */
  excludeNode?: string;
}

/** The per-node metric buckets every API node of a cluster publishes (migration 0011). */
export interface EndpointMetricsRepository {
  /** Creates or replaces each row, keyed by node, endpoint, kind, series, resolution and bucket. */
  put(rows: readonly EndpointMetricBucketRecord[]): Promise<void>;
  /** Ordered by bucket, kind, series, node. */
  rows(q: EndpointMetricBucketQuery): Promise<EndpointMetricBucketRecord[]>;
  /** Deletes the rows of `resolution` before bucket `before`; resolves how many went. */
  prune(resolution: number, before: number): Promise<number>;
  /** Deletes one node's rows of an endpoint (the node stopped serving it, or it was deleted). */
  deleteNodeEndpoint(node: string, endpoint: string): Promise<void>;
}

// ---- auth --------------------------------------------------------------------------------

export type Role = 'admin' | 'reader' | 'job';

export interface ApiKeyRecord {
  id: string;
  /** sha256 of the token, hex. Tokens themselves are never stored. */
  tokenHash: string;
  role: Role;
  /** For job-scoped keys: `training-job:<name>`, the job whose metrics and params the key may write. */
  scope?: string;
  createdAt: Date;
}

export interface ApiKeyRepository {
  create(r: ApiKeyRecord): Promise<void>;
  findByHash(tokenHash: string): Promise<ApiKeyRecord | undefined>;
  deleteByScope(scope: string): Promise<void>;
  count(role?: Role): Promise<number>;
}

// ---- SageMaker compatibility: access keys, tags, documents ---------------------------------

/** A SigV4 access key pair. The secret is kept as the AuthService sealed it (encrypted). */
export interface AccessKeyRecord {
  /** The access key id, e.g. `STRATUS4ABC…`. */
  id: string;
  /** The secret as stored (sealed by the caller); never the plain secret. */
  secret: string;
  role: Role;
  createdAt: Date;
}

export interface AccessKeyRepository {
  /** Throws ResourceInUse on a duplicate id. */
  create(r: AccessKeyRecord): Promise<void>;
  find(id: string): Promise<AccessKeyRecord | undefined>;
  /** Every key, oldest first. */
  list(): Promise<AccessKeyRecord[]>;
  /** Throws NotFound when absent. */
  delete(id: string): Promise<void>;
}

/**
 * One incarnation of a resource: its kind ('model', 'endpoint', …), name and creation time.
 * Rows written for an earlier resource of the same name (deleted since) are never returned.
 */
export interface ResourceRef {
  kind: string;
  name: string;
  createdAt: Date;
}

export interface ResourceTagRepository {
  /** Tags set or deleted after creation: a null value marks a deleted key. */
  changes(ref: ResourceRef): Promise<Record<string, string | null>>;
  /** Records each key's new value (null: deleted), replacing what the key had. */
  record(ref: ResourceRef, changes: Record<string, string | null>): Promise<void>;
}

export interface ResourceDocumentRepository {
  /** Stores (or replaces) the document of a resource. */
  put(ref: ResourceRef, document: Record<string, unknown>): Promise<void>;
  find(ref: ResourceRef): Promise<Record<string, unknown> | undefined>;
  /**
   * Compare-and-set: stores `document` only if this incarnation's document is still `expected`
   * (as `find` returned it; `undefined`: none yet). Concurrent callers with the same `expected`:
   * exactly one gets true.
   */
  putIf(ref: ResourceRef, document: Record<string, unknown>, expected: Record<string, unknown> | undefined): Promise<boolean>;
}

// ---- the store ----------------------------------------------------------------------------

export interface Repositories {
  datasets: DatasetRepository;
  trainingJobs: TrainingJobRepository;
  experiments: ExperimentRepository;
  runs: RunRepository;
  transformJobs: TransformJobRepository;
  models: ImmutableRepository<ModelRecord>;
  endpointConfigs: ImmutableRepository<EndpointConfigRecord>;
  endpoints: EndpointRepository;
  endpointScaling: EndpointScalingRepository;
  endpointMetrics: EndpointMetricsRepository;
  apiKeys: ApiKeyRepository;
  accessKeys: AccessKeyRepository;
  resourceTags: ResourceTagRepository;
  resourceDocuments: ResourceDocumentRepository;
  evaluationJobs: EvaluationJobRepository;
  modelRegistry: ModelRegistryRepository;
  endpointDeployments: EndpointDeploymentRepository;
  monitoring: MonitoringRepository;
  pipelines: PipelineRepository;
}

export interface MetadataStore extends Repositories {
  /** Runs `fn` in one database transaction; repositories passed to it write inside it. */
  transaction<T>(fn: (tx: Repositories) => Promise<T>): Promise<T>;
  /** 'sqlite' | 'postgres' */
  readonly dialect: string;
  close(): Promise<void>;
}
