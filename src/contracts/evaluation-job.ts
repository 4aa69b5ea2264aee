import { Type, type Static } from '@sinclair/typebox';
import { ListQuery, Name, PageOf, StatusTransition, Timestamp } from './common.js';
import { ModelEnvironment } from './model.js';
import { CreateTrainingJobRequest } from './training-job.js';

export const EvaluationTask = Type.Union([Type.Literal('binary'), Type.Literal('multiclass'), Type.Literal('regression')]);
export type EvaluationTask = Static<typeof EvaluationTask>;

export const HoldoutMethod = Type.Object(
  {
    type: Type.Literal('holdout'),
    testShare: Type.Optional(Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1, description: 'Share of rows held out for testing. Default 0.2.' })),
    stratified: Type.Optional(Type.Boolean({ description: 'Keep class shares in the split. Default: true for classification, false for regression.' })),
    seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1, description: 'Default 0.' })),
  },
  { additionalProperties: false },
);
export const KFoldMethod = Type.Object(
  {
    type: Type.Literal('kfold'),
    k: Type.Integer({ minimum: 5, maximum: 10 }),
    stratified: Type.Optional(Type.Boolean({ description: 'Default: true for classification, false for regression.' })),
    seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1, description: 'Default 0.' })),
  },
  { additionalProperties: false },
);
export const EvaluationMethod = Type.Union([HoldoutMethod, KFoldMethod]);
export type EvaluationMethod = Static<typeof EvaluationMethod>;

/** A training job request without what the evaluation decides: name, inputs, retries and checkpoints. */
export const EvaluationTrainingSpec = Type.Omit(CreateTrainingJobRequest, ['name', 'inputs', 'retryOf', 'checkpointConfig'], { additionalProperties: false });
export type EvaluationTrainingSpec = Static<typeof EvaluationTrainingSpec>;

/** How the models of a script trainingSpec answer: a Model's serving fields (see CreateModelRequest). */
export const EvaluationServing = Type.Object(
  {
    runtime: Type.Union([Type.Literal('python'), Type.Literal('container'), Type.Literal('onnx')]),
    source: Type.Optional(Type.String({ minLength: 1, maxLength: 2048, description: 'python/container: a .tar.gz of inference code; python without it uses the model artifact\'s code/ folder.' })),
    entryPoint: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    command: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 4096 }), { minItems: 1, maxItems: 256 })),
    environment: Type.Optional(ModelEnvironment),
  },
  { additionalProperties: false },
);
export type EvaluationServing = Static<typeof EvaluationServing>;

export const CreateEvaluationJobRequest = Type.Object(
  {
    name: Name,
    model: Type.Optional(Type.String({ maxLength: 63, description: 'A model to evaluate on the hold-out rows. Give this or trainingSpec.' })),
    trainingSpec: Type.Optional(EvaluationTrainingSpec),
    /** With a script trainingSpec: how each split's model answers (each becomes a Model named like its training job). */
    serving: Type.Optional(EvaluationServing),
    dataset: Type.Object({ name: Name, version: Type.Optional(Type.Integer({ minimum: 1 })) }, { additionalProperties: false }),
    targetColumn: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'With a header: the label column (default `target`). Without one, the label is the first column.' })),
    method: Type.Optional(EvaluationMethod),
    task: Type.Optional(EvaluationTask),
    threshold: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'Binary: a row is predicted positive when its score ≥ threshold. Default 0.5.' })),
    tags: Type.Optional(Type.Record(Type.String({ minLength: 1, maxLength: 128 }), Type.String({ maxLength: 256 }), { maxProperties: 50 })),
  },
  { additionalProperties: false },
);
export type CreateEvaluationJobRequest = Static<typeof CreateEvaluationJobRequest>;

export const EvaluationJobStatus = Type.Union([Type.Literal('InProgress'), Type.Literal('Completed'), Type.Literal('Failed'), Type.Literal('Stopping'), Type.Literal('Stopped')]);

export const MetricSummary = Type.Object({
  mean: Type.Number(),
  std: Type.Optional(Type.Number({ description: 'k-fold: population standard deviation (ddof 0) over the folds.' })),
  values: Type.Optional(Type.Array(Type.Number(), { description: 'k-fold: the value of each fold.' })),
});

export const EvaluationSummary = Type.Object({
  task: EvaluationTask,
  rows: Type.Object({ total: Type.Integer(), test: Type.Integer() }),
  metrics: Type.Record(Type.String(), MetricSummary),
  trainingJobs: Type.Optional(Type.Array(Type.String())),
});
export type EvaluationSummary = Static<typeof EvaluationSummary>;

export const EvaluationJob = Type.Object({
  name: Name,
  arn: Type.String(),
  model: Type.Optional(Type.String()),
  trainingSpec: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  serving: Type.Optional(EvaluationServing),
  dataset: Type.Object({ name: Type.String(), version: Type.Integer() }),
  targetColumn: Type.Optional(Type.String()),
  method: Type.Object({ type: Type.String(), testShare: Type.Optional(Type.Number()), k: Type.Optional(Type.Integer()), stratified: Type.Boolean(), seed: Type.Integer() }),
  task: Type.Optional(EvaluationTask),
  threshold: Type.Number(),
  tags: Type.Optional(Type.Record(Type.String(), Type.String())),
  status: EvaluationJobStatus,
  secondaryStatus: Type.String(),
  statusHistory: Type.Array(StatusTransition),
  failureReason: Type.Optional(Type.String()),
  summary: Type.Optional(EvaluationSummary),
  reportUri: Type.Optional(Type.String({ description: 'The full report (JSON), also at GET /api/v1/evaluation-jobs/{name}/report.' })),
  registeredVersions: Type.Array(Type.Object({ group: Type.String(), version: Type.Integer() }), { description: 'Model package versions registered from this evaluation.' }),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  startedAt: Type.Optional(Timestamp),
  endedAt: Type.Optional(Timestamp),
});
export type EvaluationJob = Static<typeof EvaluationJob>;

export const EvaluationJobSummary = Type.Pick(EvaluationJob, ['name', 'arn', 'model', 'task', 'status', 'createdAt', 'updatedAt', 'endedAt', 'failureReason']);
export const EvaluationJobList = PageOf(EvaluationJobSummary);
export type EvaluationJobList = Static<typeof EvaluationJobList>;
export const EvaluationJobListQuery = Type.Composite([ListQuery, Type.Object({ status: Type.Optional(EvaluationJobStatus) })], { additionalProperties: false });
export type EvaluationJobListQuery = Static<typeof EvaluationJobListQuery>;

/** The report document (`evaluation-jobs/<name>/report.json`); its metric objects are described in docs/architecture.md. */
export const EvaluationReport = Type.Record(Type.String(), Type.Unknown());
export type EvaluationReport = Record<string, unknown>;
