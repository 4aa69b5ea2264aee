/** The Stratus SDK: a typed client of the REST API. Depends on `contracts/` only. */
export { StratusClient, type StratusClientOptions } from './client.js';
export { StratusApiError, type ClientErrorCode } from './errors.js';
export { findLocalToken } from './local-token.js';
export { listAll } from './paginate.js';
export type { WaitOptions } from './poll.js';
export { parseSse, SseParser, type ServerSentEvent } from './sse.js';
export type { ProgressCallback } from './upload-body.js';
export type { AlgorithmsApi } from './resources/algorithms.js';
export type { ArtifactsApi, ArtifactUploadOptions } from './resources/artifacts.js';
export type { ClusterApi, ClusterNode, ClusterNodeList, ExecutorStatus, SlurmView } from './resources/cluster.js';
export type { DatasetsApi, UploadOptions } from './resources/datasets.js';
export type { EndpointConfigsApi } from './resources/endpoint-configs.js';
export type { EndpointsApi, InvokeOptions, InvokeResult } from './resources/endpoints.js';
export type { ExperimentsApi } from './resources/experiments.js';
export { RunContext, runContext, type RunContextOptions } from './run-context.js';
export type { ModelsApi } from './resources/models.js';
export type { NamedResourceApi } from './resources/named-resource.js';
export { isTerminal, TERMINAL_JOB_STATUSES, type LogEvent, type TrainingJobsApi } from './resources/training-jobs.js';
export type { TransformJobsApi } from './resources/transform-jobs.js';
export type { EvaluationJobsApi } from './resources/evaluation-jobs.js';
export type { MonitoringApi } from './resources/monitoring.js';
export type {
  CreateMonitoringBaselineRequest, CreateMonitoringScheduleRequest, MonitoringAlarm, MonitoringBaseline, MonitoringReport, MonitoringSchedule,
} from '../contracts/monitoring.js';
export type { OnlineEvaluationsApi } from './resources/online-evaluations.js';
export type {
  CreateOnlineEvaluationRequest, OnlineEvaluation, OnlineEvaluationConclusion, OnlineEvaluationDecision, OnlineEvaluationReport, PromoteOnlineEvaluationRequest, Promotion,
} from '../contracts/online-evaluation.js';
export type { ModelPackageGroupsApi } from './resources/model-package-groups.js';
export { isExecutionDone, type PipelinesApi } from './resources/pipelines.js';
export {
  condition, deploy, evaluation, fail, output, param, pipeline, PipelineBuilder, processing, registerModel, training, transform,
  type ParamRef, type Ref, type Refable, type StepOptions, type StepRef,
} from './pipeline-builder.js';
export type { Pipeline, PipelineDefinition, PipelineExecution, PipelineStep, PipelineStepExecution } from '../contracts/pipeline.js';
export type { CreateEvaluationJobRequest, EvaluationJob, EvaluationReport } from '../contracts/evaluation-job.js';
export type { ApprovalStatus, ModelPackage, ModelPackageGroup, RegisterModelPackageRequest, ServedVersions } from '../contracts/model-registry.js';
export { parseAlarmSpec } from '../contracts/deployment.js';
/** Every request and response type of the API (the contracts' static types). */
export type * from './types.js';
