/** The API contract: TypeBox schemas and their static types, shared by server, SDK, CLI and console. */
export { ErrorBody, ListQuery, NameParams, PageOf, StatusTransition, Tags, Timestamp, Name, Empty } from './common.js';
export { Dataset, DatasetColumn, DatasetFormat, DatasetList, DatasetVersion, DatasetVersionParams, DatasetListQuery, UploadDatasetQuery } from './dataset.js';
export {
  AlgorithmInfo, AlgorithmList, CheckpointConfig, CreateTrainingJobRequest, InputChannel, TrainingScript, LogsQuery, MetricPoint, MetricSeries, MetricsQuery,
  TrainingJob, TrainingJobList, TrainingJobListQuery, TrainingJobStatus, TrainingJobSummary,
  LoggedMetric, LogMetricsRequest, LogMetricsResult, LogParamsRequest, LogParamsResult, RUN_KEY_PATTERN,
} from './training-job.js';
export {
  CompareRunsQuery, Experiment, ExperimentList, ExperimentListQuery, ExperimentParams, Run, RunComparison, RunList, RunListQuery,
} from './experiment.js';
export { CreateModelRequest, FeatureImportance, FeatureImportanceQuery, Model, ModelList, ModelListQuery, ModelRuntime } from './model.js';
export { Artifact, ArtifactList, ArtifactListQuery, ArtifactPathParams, MAX_UPLOAD_PATH_LENGTH, UPLOADS_PREFIX } from './artifact.js';
export {
  CreateEndpointConfigRequest, CreateEndpointRequest, DataCaptureConfig, ShadowVariant, Endpoint, EndpointConfig, EndpointConfigList, EndpointList, EndpointListQuery,
  EndpointStatus, EndpointVariantState, INVOKED_VARIANT_HEADER, ProductionVariant, TARGET_VARIANT_HEADER, UpdateEndpointRequest, UpdateWeightsRequest,
} from './endpoint.js';
export {
  EndpointMetrics, EndpointMetricsQuery, INFERENCE_ID_HEADER, MetricsWindow, ShadowComparison, ShadowComparisonReport, VariantMetrics,
} from './endpoint-metrics.js';
export {
  AlarmMetric, CapacitySize, DeploymentConfig, PendingDeployment, RollbackAlarm, ScalingEvent, ScalingEventList, ScalingEventQuery, ScalingPolicy, ScalingPolicyList,
  ScalingPolicyRequest, TrafficRouting, VariantParams, parseAlarmSpec,
} from './deployment.js';
export {
  CreateTransformJobRequest, DataProcessing, FailedRecord, TransformInput, TransformJob, TransformJobList, TransformJobListQuery,
  TransformJobStatus, TransformJobSummary, TransformProgress,
} from './transform-job.js';
export { AccessKey, AccessKeyList, NewAccessKey } from './access-key.js';
export { ClusterNode, ClusterNodeList, ExecutorStatus, SlurmView } from './cluster.js';
