import type { PipelineExecutionStatus, PipelineStepStatus } from '../pipeline-store.js';

/* Row types of migration 0009 (pipelines); see schema.ts. */

export interface PipelineTable {
  name: string;
  arn: string;
  latest_version: number;
  created_at: number;
  updated_at: number;
}

export interface PipelineVersionTable {
  pipeline_name: string;
  version: number;
  definition: string;
  created_at: number;
}

export interface PipelineExecutionTable {
  name: string;
  arn: string;
  pipeline_name: string;
  pipeline_version: number;
  parameters: string;
  trigger: string;
  status: PipelineExecutionStatus;
  failure_reason: string | null;
  created_at: number;
  updated_at: number;
  ended_at: number | null;
}

export interface PipelineExecutionStepTable {
  execution_name: string;
  step_name: string;
  position: number;
  step_type: string;
  status: PipelineStepStatus;
  attempts: number;
  cache_key: string | null;
  cached_from: string | null;
  outputs: string | null;
  resources: string | null;
  failure_reason: string | null;
  started_at: number | null;
  ended_at: number | null;
}
