import type { EvaluationJobStatus } from '../evaluation-registry-store.js';

/* Row types of migration 0006 (evaluation jobs, model registry, endpoint deployments); see schema.ts. */

export interface EvaluationJobTable {
  name: string;
  arn: string;
  spec: string;
  status: EvaluationJobStatus;
  secondary_status: string;
  failure_reason: string | null;
  summary: string | null;
  report_uri: string | null;
  created_at: number;
  updated_at: number;
  started_at: number | null;
  ended_at: number | null;
}

export interface ModelPackageGroupTable {
  name: string;
  arn: string;
  description: string | null;
  tags: string | null;
  latest_version: number;
  created_at: number;
  updated_at: number;
}

export interface ModelPackageTable {
  group_name: string;
  version: number;
  arn: string;
  spec: string;
  model_name: string | null;
  training_job: string | null;
  evaluation_job: string | null;
  approval_status: string;
  approval: string | null;
  created_at: number;
  updated_at: number;
}

export interface ModelPackageAliasTable {
  group_name: string;
  alias: string;
  version: number;
  updated_at: number;
}

export interface ModelPackageEventTable {
  group_name: string;
  seq: number;
  at: number;
  type: string;
  version: number | null;
  actor: string | null;
  detail: string;
}

export interface EndpointDeploymentTable {
  endpoint_name: string;
  seq: number;
  at: number;
  config_name: string | null;
  models: string;
}
