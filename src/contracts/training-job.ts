import { Type, type Static } from '@sinclair/typebox';
import { ListQuery, Name, PageOf, StatusTransition, Tags, Timestamp } from './common.js';

export const HyperparameterValue = Type.Union([Type.String({ maxLength: 2500 }), Type.Number(), Type.Boolean()]);

export const InputChannel = Type.Object(
  {
    channel: Type.String({ pattern: '^[A-Za-z0-9.\\-_]{1,64}$', description: 'e.g. train, validation, test' }),
    dataset: Name,
    /** Default: the latest version at job creation. */
    version: Type.Optional(Type.Integer({ minimum: 1 })),
    /** With a header: the label column (default `target`). Without: the label is the first column. */
    targetColumn: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    contentType: Type.Optional(Type.String({ maxLength: 256 })),
  },
  { additionalProperties: false },
);
export type InputChannel = Static<typeof InputChannel>;

export const MetricDefinition = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 255 }), regex: Type.String({ minLength: 1, maxLength: 500 }) },
  { additionalProperties: false },
);

export const ResourceConfig = Type.Object(
  {
    instanceType: Type.String({ default: 'ml.m5.large' }),
    instanceCount: Type.Integer({ minimum: 1, maximum: 1, default: 1, description: 'Multi-instance training arrives with cluster mode.' }),
  },
  { additionalProperties: false },
);

export const StoppingCondition = Type.Object(
  { maxRuntimeInSeconds: Type.Integer({ minimum: 1, maximum: 2419200, default: 86400 }) },
  { additionalProperties: false },
);

export const CreateTrainingJobRequest = Type.Object(
  {
    name: Name,
    algorithm: Type.String({ description: 'A built-in algorithm name, e.g. linear-learner.' }),
    hyperparameters: Type.Optional(Type.Record(Type.String({ maxLength: 256 }), HyperparameterValue, { maxProperties: 100 })),
    inputs: Type.Array(InputChannel, { minItems: 1, maxItems: 20 }),
    resources: Type.Optional(ResourceConfig),
    stoppingCondition: Type.Optional(StoppingCondition),
    metricDefinitions: Type.Optional(Type.Array(MetricDefinition, { maxItems: 40 })),
    tags: Type.Optional(Tags),
  },
  { additionalProperties: false },
);
export type CreateTrainingJobRequest = Static<typeof CreateTrainingJobRequest>;

export const TrainingJobStatus = Type.Union([Type.Literal('InProgress'), Type.Literal('Completed'), Type.Literal('Failed'), Type.Literal('Stopping'), Type.Literal('Stopped')]);
export type TrainingJobStatus = 'InProgress' | 'Completed' | 'Failed' | 'Stopping' | 'Stopped';

export const FinalMetric = Type.Object({ name: Type.String(), value: Type.Number(), timestamp: Timestamp });

export const TrainingJob = Type.Object({
  name: Name,
  arn: Type.String(),
  algorithm: Type.String(),
  hyperparameters: Type.Record(Type.String(), Type.String()),
  inputs: Type.Array(
    Type.Object({ channel: Type.String(), dataset: Type.String(), version: Type.Integer(), targetColumn: Type.Optional(Type.String()), contentType: Type.Optional(Type.String()) }),
  ),
  resources: Type.Object({ instanceType: Type.String(), instanceCount: Type.Integer() }),
  stoppingCondition: Type.Object({ maxRuntimeInSeconds: Type.Integer() }),
  metricDefinitions: Type.Array(MetricDefinition),
  tags: Type.Optional(Tags),
  status: TrainingJobStatus,
  secondaryStatus: Type.String(),
  statusHistory: Type.Array(StatusTransition),
  failureReason: Type.Optional(Type.String()),
  modelArtifact: Type.Optional(Type.String({ description: 'URI of model.tar.gz' })),
  outputArtifact: Type.Optional(Type.String()),
  finalMetrics: Type.Array(FinalMetric),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  startedAt: Type.Optional(Timestamp),
  endedAt: Type.Optional(Timestamp),
  trainingTimeSeconds: Type.Optional(Type.Number()),
  billableSeconds: Type.Optional(Type.Number()),
});
export type TrainingJob = Static<typeof TrainingJob>;

export const TrainingJobSummary = Type.Pick(TrainingJob, ['name', 'arn', 'algorithm', 'status', 'secondaryStatus', 'createdAt', 'updatedAt', 'endedAt', 'failureReason']);
export const TrainingJobList = PageOf(TrainingJobSummary);
export type TrainingJobList = Static<typeof TrainingJobList>;

export const TrainingJobListQuery = Type.Composite([ListQuery, Type.Object({ status: Type.Optional(TrainingJobStatus) })], { additionalProperties: false });
export type TrainingJobListQuery = Static<typeof TrainingJobListQuery>;

export const MetricPoint = Type.Object({ name: Type.String(), value: Type.Number(), step: Type.Integer(), timestamp: Timestamp });
export type MetricPoint = Static<typeof MetricPoint>;
export const MetricSeries = Type.Object({ metrics: Type.Array(MetricPoint) });
export const MetricsQuery = Type.Object({ name: Type.Optional(Type.String()) }, { additionalProperties: false });

export const LogsQuery = Type.Object(
  { follow: Type.Optional(Type.Boolean({ default: false })), offset: Type.Optional(Type.Integer({ minimum: 0 })) },
  { additionalProperties: false },
);

export const HyperparameterSpec = Type.Object({
  name: Type.String(),
  type: Type.String(),
  description: Type.String(),
  default: Type.Optional(Type.String()),
  required: Type.Optional(Type.Boolean()),
  min: Type.Optional(Type.Number()),
  max: Type.Optional(Type.Number()),
  enum: Type.Optional(Type.Array(Type.String())),
});
export const AlgorithmInfo = Type.Object({
  name: Type.String(),
  description: Type.String(),
  hyperparameters: Type.Array(HyperparameterSpec),
  metricDefinitions: Type.Array(MetricDefinition),
  channels: Type.Object({ required: Type.Array(Type.String()), optional: Type.Array(Type.String()) }),
});
export type AlgorithmInfo = Static<typeof AlgorithmInfo>;
export const AlgorithmList = Type.Object({ items: Type.Array(AlgorithmInfo) });
