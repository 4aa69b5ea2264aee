import type { Static } from '@sinclair/typebox';
import type {
  AlgorithmList,
  ArtifactListQuery,
  ExperimentListQuery,
  RunListQuery,
  EndpointConfigList,
  EndpointListQuery,
  ListQuery,
  MetricSeries,
  MetricsQuery,
} from '../contracts/index.js';

export type {
  Experiment,
  ExperimentList,
  LogMetricsRequest,
  LogParamsRequest,
  Run,
  RunComparison,
  RunList,
  AlgorithmInfo,
  Artifact,
  ArtifactList,
  FeatureImportance,
  CreateEndpointConfigRequest,
  CreateEndpointRequest,
  CreateModelRequest,
  CheckpointConfig,
  CreateTrainingJobRequest,
  Dataset,
  DatasetColumn,
  DatasetFormat,
  DatasetList,
  DatasetVersion,
  Endpoint,
  EndpointConfig,
  EndpointList,
  EndpointStatus,
  EndpointVariantState,
  InputChannel,
  MetricPoint,
  Model,
  ModelList,
  ModelRuntime,
  ProductionVariant,
  StatusTransition,
  TrainingJob,
  TrainingScript,
  TrainingJobList,
  TrainingJobListQuery,
  TrainingJobStatus,
  UpdateEndpointRequest,
  UpdateWeightsRequest,
  DataCaptureConfig,
  ShadowVariant,
  EndpointMetrics,
  MetricsWindow,
  VariantMetrics,
  ShadowComparison,
  ShadowComparisonReport,
  CapacitySize,
  DeploymentConfig,
  RollbackAlarm,
  ScalingEvent,
  ScalingEventList,
  ScalingPolicy,
  ScalingPolicyList,
  ScalingPolicyRequest,
  TrafficRouting,
  CreateTransformJobRequest,
  TransformJob,
  TransformJobList,
  TransformJobListQuery,
  TransformJobStatus,
  TransformProgress,
  FailedRecord,
} from '../contracts/index.js';

/** Paging and filtering of a list call. */
export type ListOptions = Static<typeof ListQuery>;
/** A list call's filters for endpoints (adds `status`). */
export type EndpointListOptions = Static<typeof EndpointListQuery>;
/** Filters and paging of an artifact list call (`prefix` is a plain string prefix of the key). */
export type ArtifactListOptions = Static<typeof ArtifactListQuery>;
/** A page of endpoint configs. */
export type EndpointConfigList = Static<typeof EndpointConfigList>;
/** A training job's metric time series. */
export type MetricSeries = Static<typeof MetricSeries>;
/** Filters of a metrics call. */
export type MetricsOptions = Static<typeof MetricsQuery>;
/** Paging and filters of an experiments list call. */
export type ExperimentListOptions = Static<typeof ExperimentListQuery>;
/** Sorting, filters and paging of an experiment's runs. */
export type RunListOptions = Static<typeof RunListQuery>;
/** The built-in algorithms. */
export type AlgorithmList = Static<typeof AlgorithmList>;

/** One page of a list call. */
export interface Page<T> {
  items: T[];
  nextToken?: string;
}
