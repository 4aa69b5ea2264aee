/**
 * Repositories of evaluation jobs, the model registry and the endpoint deployment log (migration
 * 0006). Part of the MetadataStore seam (see metadata-store.ts): same conventions — `find*`
 * returns undefined, `get*` throws NotFound, JSON-valued fields come back parsed.
 */
import type { ListQuery, Page, StatusTransition } from './metadata-store.js';

// ---- evaluation jobs -------------------------------------------------------------------------

export type EvaluationJobStatus = 'InProgress' | 'Completed' | 'Failed' | 'Stopping' | 'Stopped';

export interface EvaluationJobRecord {
  name: string;
  arn: string;
  /** The create request as accepted, defaults filled and the dataset version resolved. */
  spec: Record<string, unknown>;
  status: EvaluationJobStatus;
  secondaryStatus: string;
  transitions: StatusTransition[];
  failureReason?: string;
  /** Headline metrics (mean per metric for k-fold), child training jobs; the full report is an artifact. */
  summary?: Record<string, unknown>;
  reportUri?: string;
  createdAt: Date;
  updatedAt: Date;
  startedAt?: Date;
  endedAt?: Date;
}

export interface EvaluationJobPatch {
  status?: EvaluationJobStatus;
  /** When set, closes the open transition (endTime = at) and appends a new one. */
  secondaryStatus?: string;
  statusMessage?: string;
  failureReason?: string;
  summary?: Record<string, unknown>;
  reportUri?: string;
  startedAt?: Date;
  endedAt?: Date;
}

export interface EvaluationJobRepository {
  /** Inserts with status InProgress / secondary Starting. Throws ResourceInUse on a duplicate name. */
  create(r: { name: string; arn: string; spec: Record<string, unknown>; at: Date }): Promise<EvaluationJobRecord>;
  find(name: string): Promise<EvaluationJobRecord | undefined>;
  get(name: string): Promise<EvaluationJobRecord>;
  list(q?: ListQuery & { status?: EvaluationJobStatus }): Promise<Page<EvaluationJobRecord>>;
  listActive(): Promise<EvaluationJobRecord[]>;
  update(name: string, patch: EvaluationJobPatch, at: Date): Promise<EvaluationJobRecord>;
  /** Like update, but only while the status is one of `statuses` (one statement); undefined when it is not, or the job is missing. */
  updateIf(name: string, statuses: readonly EvaluationJobStatus[], patch: EvaluationJobPatch, at: Date): Promise<EvaluationJobRecord | undefined>;
}

// ---- model registry -------------------------------------------------------------------------

export type ApprovalStatus = 'PendingManualApproval' | 'Approved' | 'Rejected';

export interface ModelPackageGroupRecord {
  name: string;
  arn: string;
  description?: string;
  tags?: Record<string, string>;
  /** 0 until the first version is registered. */
  latestVersion: number;
  createdAt: Date;
  updatedAt: Date;
}

/** Who changed the approval, when and why. */
export interface ApprovalRecord {
  by: string;
  at: Date;
  reason?: string;
}

export interface ModelPackageRecord {
  group: string;
  version: number;
  arn: string;
  /** What was registered: artifact, runtime, datasets, metrics, description (contracts' ModelPackage fields). */
  spec: Record<string, unknown>;
  /** Lineage, indexed for the reverse lookups. */
  model?: string;
  trainingJob?: string;
  evaluationJob?: string;
  approvalStatus: ApprovalStatus;
  approval?: ApprovalRecord;
  createdAt: Date;
  updatedAt: Date;
}

export type RegistryEventType = 'group_created' | 'registered' | 'approval_changed' | 'alias_moved' | 'alias_deleted' | 'deployed';

export interface RegistryEventRecord {
  group: string;
  /** 1, 2, … per group, in the order written. */
  seq: number;
  at: Date;
  type: RegistryEventType;
  version?: number;
  /** The identity that caused it (a token's), absent for the platform's own events. */
  actor?: string;
  detail: Record<string, unknown>;
}

export interface ModelRegistryRepository {
  /** Throws ResourceInUse on a duplicate name. Appends `group_created`. */
  createGroup(r: { name: string; arn: string; description?: string; tags?: Record<string, string>; at: Date; actor?: string }): Promise<ModelPackageGroupRecord>;
  findGroup(name: string): Promise<ModelPackageGroupRecord | undefined>;
  getGroup(name: string): Promise<ModelPackageGroupRecord>;
  listGroups(q?: ListQuery): Promise<Page<ModelPackageGroupRecord>>;
  /** Deletes the group with its versions, aliases and events. Throws NotFound. */
  deleteGroup(name: string): Promise<void>;
  /**
   * Adds the group's next version (latest + 1, atomically) with status PendingManualApproval
   * unless given, and appends `registered`. Throws NotFound for a missing group.
   */
  registerVersion(r: {
    group: string; arnOf: (version: number) => string; spec: Record<string, unknown>; model?: string; trainingJob?: string; evaluationJob?: string;
    approvalStatus?: ApprovalStatus; approval?: ApprovalRecord; at: Date; actor?: string;
  }): Promise<ModelPackageRecord>;
  findVersion(group: string, version: number): Promise<ModelPackageRecord | undefined>;
  getVersion(group: string, version: number): Promise<ModelPackageRecord>;
  /** Versions of a group, newest first, optionally by approval status. */
  listVersions(group: string, q?: { approvalStatus?: ApprovalStatus; limit?: number; nextToken?: string }): Promise<Page<ModelPackageRecord>>;
  /** Sets the approval and appends `approval_changed` (from → to, by, reason). Throws NotFound. */
  setApproval(group: string, version: number, status: ApprovalStatus, approval: ApprovalRecord): Promise<ModelPackageRecord>;
  /** Points the alias at a version (NotFound when the version is absent) and appends `alias_moved` (from → to). */
  setAlias(group: string, alias: string, version: number, at: Date, actor?: string): Promise<{ alias: string; version: number; previous?: number }>;
  /** Removes the alias and appends `alias_deleted`. Throws NotFound when absent. */
  deleteAlias(group: string, alias: string, at: Date, actor?: string): Promise<void>;
  /** alias → version of a group. */
  aliases(group: string): Promise<Map<string, number>>;
  appendEvent(e: Omit<RegistryEventRecord, 'seq'>): Promise<RegistryEventRecord>;
  /** Oldest first. */
  events(group: string, q?: { type?: RegistryEventType; since?: number; limit?: number }): Promise<RegistryEventRecord[]>;
  /** Versions registered from a model, a training job or an evaluation job (lineage, reverse direction). */
  versionsFrom(q: { model?: string | string[]; trainingJob?: string; evaluationJob?: string }): Promise<ModelPackageRecord[]>;
}

// ---- what endpoints served, from when -------------------------------------------------------

export interface EndpointDeploymentRecord {
  endpoint: string;
  seq: number;
  /** From this moment the endpoint served these models (until the next record). */
  at: Date;
  /** Absent on the record written when the endpoint went away. */
  config?: string;
  /** variant → model; empty when the endpoint went away. */
  models: Array<{ variant: string; model: string; shadow?: boolean }>;
}

export interface EndpointDeploymentRepository {
  /** Appends a record; returns it. */
  record(r: Omit<EndpointDeploymentRecord, 'seq'>): Promise<EndpointDeploymentRecord>;
  /** The endpoint's records, oldest first. */
  history(endpoint: string): Promise<EndpointDeploymentRecord[]>;
  /** The record in force at `at` (the last one at or before it). */
  at(endpoint: string, at: Date): Promise<EndpointDeploymentRecord | undefined>;
}
