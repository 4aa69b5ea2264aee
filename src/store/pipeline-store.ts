/**
 * Repository of pipelines (migration 0009): pipelines with immutable numbered definition versions,
 * their executions, and one row per step of an execution. Part of the MetadataStore seam (see
 * metadata-store.ts): `find*` returns undefined, `get*` throws NotFound, JSON fields come back parsed.
 */
import type { ListQuery, Page } from './metadata-store.js';

export interface PipelineRecord {
  name: string;
  arn: string;
  latestVersion: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface PipelineVersionRecord {
  pipeline: string;
  version: number;
  definition: Record<string, unknown>;
  createdAt: Date;
}

export type PipelineExecutionStatus = 'Executing' | 'Stopping' | 'Stopped' | 'Failed' | 'Succeeded';
export type PipelineStepStatus = 'Pending' | 'Executing' | 'Succeeded' | 'Failed' | 'Skipped' | 'Stopped';

export interface PipelineExecutionRecord {
  name: string;
  arn: string;
  pipeline: string;
  pipelineVersion: number;
  parameters: Record<string, unknown>;
  /** How it started: { type: 'manual' | 'schedule' | 'dataset' | 'alarm', ... }. */
  trigger: Record<string, unknown>;
  status: PipelineExecutionStatus;
  failureReason?: string;
  createdAt: Date;
  updatedAt: Date;
  endedAt?: Date;
}

export interface PipelineStepRecord {
  execution: string;
  step: string;
  type: string;
  status: PipelineStepStatus;
  attempts: number;
  /** Hash of the step's resolved inputs (set once resolved). */
  cacheKey?: string;
  cachedFrom?: string;
  outputs?: Record<string, unknown>;
  resources?: Record<string, string>;
  failureReason?: string;
  startedAt?: Date;
  endedAt?: Date;
}

export interface PipelineStepPatch {
  status?: PipelineStepStatus;
  attempts?: number;
  cacheKey?: string;
  cachedFrom?: string;
  outputs?: Record<string, unknown>;
  resources?: Record<string, string>;
  failureReason?: string | null;
  startedAt?: Date;
  endedAt?: Date;
}

export interface PipelineRepository {
  /** Creates the pipeline with version 1, or adds the next version when `update` (NotFound if absent); ResourceInUse on a duplicate create. */
  putVersion(r: { name: string; arn: string; definition: Record<string, unknown>; at: Date; update: boolean }): Promise<PipelineVersionRecord>;
  find(name: string): Promise<PipelineRecord | undefined>;
  get(name: string): Promise<PipelineRecord>;
  list(q?: ListQuery): Promise<Page<PipelineRecord>>;
  /** Every pipeline's latest definition (triggers and schedules are read from these). */
  latestDefinitions(): Promise<PipelineVersionRecord[]>;
  /** Default: the latest version. */
  getVersion(name: string, version?: number): Promise<PipelineVersionRecord>;
  /** Deletes the pipeline, its versions, executions and step rows; NotFound when absent. */
  delete(name: string): Promise<void>;

  /** Inserts an Executing execution with its steps (all Pending). */
  createExecution(e: Omit<PipelineExecutionRecord, 'status' | 'updatedAt' | 'endedAt' | 'failureReason'>, steps: Array<{ step: string; type: string }>): Promise<PipelineExecutionRecord>;
  findExecution(name: string): Promise<PipelineExecutionRecord | undefined>;
  getExecution(name: string): Promise<PipelineExecutionRecord>;
  listExecutions(q?: ListQuery & { pipeline?: string; status?: PipelineExecutionStatus }): Promise<Page<PipelineExecutionRecord>>;
  updateExecution(name: string, patch: { status?: PipelineExecutionStatus; failureReason?: string; endedAt?: Date }, at: Date): Promise<PipelineExecutionRecord>;
  /** In definition order. */
  steps(execution: string): Promise<PipelineStepRecord[]>;
  updateStep(execution: string, step: string, patch: PipelineStepPatch): Promise<PipelineStepRecord>;
  /** The newest Succeeded, not itself cached, step run with this cache key, if any. */
  findCached(cacheKey: string): Promise<PipelineStepRecord | undefined>;
}
