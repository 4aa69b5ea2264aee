import type { Static } from '@sinclair/typebox';
import type { EvaluationJob, EvaluationJobList } from '../../../src/contracts/evaluation-job.js';
import type {
  AliasResult, ApprovalStatus, LineageResult, ModelPackage, ModelPackageGroup, ModelPackageGroupList, ModelPackageList, RegistryEventList,
} from '../../../src/contracts/model-registry.js';
import type {
  MonitoringAlarmList, MonitoringBaseline, MonitoringReport, MonitoringReportList, MonitoringSchedule, MonitoringScheduleList,
} from '../../../src/contracts/monitoring.js';
import type {
  CreateOnlineEvaluationRequest, OnlineEvaluation, OnlineEvaluationGroundTruth, OnlineEvaluationReport, PromoteOnlineEvaluationRequest,
} from '../../../src/contracts/online-evaluation.js';
import type { ParameterValue, Pipeline, PipelineExecution, PipelineExecutionList, PipelineList } from '../../../src/contracts/pipeline.js';
import type { EndpointTimeline, RetrainingPolicy, RetrainingPolicyList, RetrainingPolicyRequest } from '../../../src/contracts/retraining.js';
import { json, send, type ListArgs } from './api.js';

const enc = encodeURIComponent;
const page = (a: ListArgs) => ({ limit: a.limit, nextToken: a.nextToken });

export type GroupSummary = Static<typeof ModelPackageGroupList>['items'][number];
export type RegistryEvent = Static<typeof RegistryEventList>['items'][number];
export type ExecutionSummary = PipelineExecutionList['items'][number];

/**
 * The loop's resources (issue 7): evaluation jobs, the model registry, pipelines, monitoring,
 * an endpoint's retraining policy, timeline and online evaluations. Same transport as `api`.
 */
export const loopApi = {
  evaluationJobs: (a: ListArgs = {}) => json<EvaluationJobList>('GET', '/api/v1/evaluation-jobs', { query: { ...page(a), nameContains: a.nameContains, status: a.status } }),
  evaluationJob: (name: string) => json<EvaluationJob>('GET', `/api/v1/evaluation-jobs/${enc(name)}`),
  evaluationReport: (name: string) => json<Record<string, unknown>>('GET', `/api/v1/evaluation-jobs/${enc(name)}/report`),
  stopEvaluationJob: (name: string) => json<EvaluationJob>('POST', `/api/v1/evaluation-jobs/${enc(name)}/stop`),

  groups: (a: ListArgs = {}) => json<Static<typeof ModelPackageGroupList>>('GET', '/api/v1/model-package-groups', { query: { ...page(a), nameContains: a.nameContains } }),
  group: (name: string) => json<ModelPackageGroup>('GET', `/api/v1/model-package-groups/${enc(name)}`),
  versions: (group: string, a: ListArgs & { approvalStatus?: ApprovalStatus } = {}) =>
    json<Static<typeof ModelPackageList>>('GET', `/api/v1/model-package-groups/${enc(group)}/versions`, { query: { ...page(a), approvalStatus: a.approvalStatus } }),
  setApproval: (group: string, version: number, approvalStatus: ApprovalStatus, reason?: string) =>
    json<ModelPackage>('PUT', `/api/v1/model-package-groups/${enc(group)}/versions/${version}/approval`, { json: { approvalStatus, ...(reason ? { reason } : {}) } }),
  setAlias: (group: string, alias: string, version: number) =>
    json<Static<typeof AliasResult>>('PUT', `/api/v1/model-package-groups/${enc(group)}/aliases/${enc(alias)}`, { json: { version } }),
  deleteAlias: (group: string, alias: string) => json<void>('DELETE', `/api/v1/model-package-groups/${enc(group)}/aliases/${enc(alias)}`),
  registryEvents: (group: string) => json<Static<typeof RegistryEventList>>('GET', `/api/v1/model-package-groups/${enc(group)}/events`),
  lineage: (q: { model?: string; trainingJob?: string; evaluationJob?: string }) => json<Static<typeof LineageResult>>('GET', '/api/v1/model-package-lineage', { query: q }),

  pipelines: (a: ListArgs = {}) => json<PipelineList>('GET', '/api/v1/pipelines', { query: { ...page(a), nameContains: a.nameContains } }),
  pipeline: (name: string, version?: number) => json<Pipeline>('GET', `/api/v1/pipelines/${enc(name)}`, { query: { version } }),
  executions: (pipeline: string, a: ListArgs = {}) =>
    json<PipelineExecutionList>('GET', `/api/v1/pipelines/${enc(pipeline)}/executions`, { query: { ...page(a), status: a.status } }),
  execution: (id: string) => json<PipelineExecution>('GET', `/api/v1/pipeline-executions/${enc(id)}`),
  startExecution: (pipeline: string, parameters: Record<string, ParameterValue>, version?: number) =>
    json<PipelineExecution>('POST', `/api/v1/pipelines/${enc(pipeline)}/executions`, { json: { parameters, ...(version ? { version } : {}) } }),
  stopExecution: (id: string) => json<PipelineExecution>('POST', `/api/v1/pipeline-executions/${enc(id)}/stop`),
  /** A training job's log as text (what a step's job printed). */
  trainingLog: async (name: string) => (await send('GET', `/api/v1/training-jobs/${enc(name)}/logs`)).text(),

  schedules: (a: ListArgs = {}) => json<MonitoringScheduleList>('GET', '/api/v1/monitoring-schedules', { query: { ...page(a), nameContains: a.nameContains } }),
  schedule: (name: string) => json<MonitoringSchedule>('GET', `/api/v1/monitoring-schedules/${enc(name)}`),
  baseline: (name: string) => json<MonitoringBaseline>('GET', `/api/v1/monitoring-baselines/${enc(name)}`),
  reports: (name: string) => json<MonitoringReportList>('GET', `/api/v1/monitoring-schedules/${enc(name)}/reports`),
  report: (name: string, key: string) => json<MonitoringReport>('GET', `/api/v1/monitoring-schedules/${enc(name)}/reports/${enc(key.slice(key.lastIndexOf('/') + 1))}`),
  alarms: (name: string, limit = 50) => json<MonitoringAlarmList>('GET', `/api/v1/monitoring-schedules/${enc(name)}/alarms`, { query: { limit } }),
  runSchedule: (name: string) => json<MonitoringReport>('POST', `/api/v1/monitoring-schedules/${enc(name)}/run`),
  setScheduleRunning: (name: string, running: boolean) => json<MonitoringSchedule>('POST', `/api/v1/monitoring-schedules/${enc(name)}/${running ? 'start' : 'stop'}`),

  /** The endpoint's policy as a list of none or one: no 404 (which the browser logs as an error) for an endpoint without. */
  retrainingPolicies: (endpoint: string) => json<RetrainingPolicyList>('GET', '/api/v1/retraining-policies', { query: { endpoint } }),
  putRetrainingPolicy: (endpoint: string, req: RetrainingPolicyRequest) => json<RetrainingPolicy>('PUT', `/api/v1/endpoints/${enc(endpoint)}/retraining-policy`, { json: req }),
  deleteRetrainingPolicy: (endpoint: string) => json<void>('DELETE', `/api/v1/endpoints/${enc(endpoint)}/retraining-policy`),
  runRetraining: (endpoint: string) => json<PipelineExecution>('POST', `/api/v1/endpoints/${enc(endpoint)}/retraining-policy/run`, { json: {} }),
  timeline: (endpoint: string) => json<EndpointTimeline>('GET', `/api/v1/endpoints/${enc(endpoint)}/timeline`),

  onlineEvaluations: () => json<{ items: OnlineEvaluation[] }>('GET', '/api/v1/online-evaluations'),
  onlineEvaluationReport: (name: string) => json<OnlineEvaluationReport>('GET', `/api/v1/online-evaluations/${enc(name)}/report`),
  createOnlineEvaluation: (req: CreateOnlineEvaluationRequest) => json<OnlineEvaluation>('POST', '/api/v1/online-evaluations', { json: req }),
  deleteOnlineEvaluation: (name: string) => json<void>('DELETE', `/api/v1/online-evaluations/${enc(name)}`),
  onlineGroundTruth: (name: string, labels: OnlineEvaluationGroundTruth['labels']) =>
    json<{ accepted: number }>('POST', `/api/v1/online-evaluations/${enc(name)}/ground-truth`, { json: { labels } }),
  promoteOnlineEvaluation: (name: string, req: PromoteOnlineEvaluationRequest) => json<OnlineEvaluation>('POST', `/api/v1/online-evaluations/${enc(name)}/promote`, { json: req }),
};
