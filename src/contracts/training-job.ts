import { Type, type Static } from '@sinclair/typebox';
import { NAME_PATTERN } from '../core/ids.js';
import { ListQuery, Name, PageOf, StatusTransition, Tags, Timestamp } from './common.js';

export const HyperparameterValue = Type.Union([Type.String({ maxLength: 2500 }), Type.Number(), Type.Boolean()]);

export const InputChannel = Type.Object(
  {
    channel: Type.String({ pattern: '^[A-Za-z0-9.\\-_]{1,64}$', description: 'e.g. train, validation, test' }),
    /** A dataset of this platform. Give this or artifactPrefix, not both. */
    dataset: Type.Optional(Name),
    /** Default: the latest version at job creation. */
    version: Type.Optional(Type.Integer({ minimum: 1 })),
    artifactPrefix: Type.Optional(Type.String({
      minLength: 1,
      maxLength: 1024,
      description: 'An artifact key prefix (S3-style string prefix): every object under it is copied into input/data/<channel>/, keeping its path relative to the prefix (an object named exactly by the prefix keeps its file name). Give this or dataset. CSV read from here has no header (label first).',
    })),
    /** With a header: the label column (default `target`). Without: the label is the first column. */
    targetColumn: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    contentType: Type.Optional(Type.String({ maxLength: 256 })),
    distribution: Type.Optional(Type.Union([Type.Literal('FullyReplicated'), Type.Literal('ShardedByS3Key')], {
      description: "With several instances: 'FullyReplicated' (default) copies every object to every host; 'ShardedByS3Key' gives each host every N-th object by key (a dataset is one object).",
    })),
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
    instanceCount: Type.Integer({ minimum: 1, maximum: 64, default: 1, description: 'Hosts the job runs on together; more than 1 needs the Slurm executor (cluster mode).' }),
  },
  { additionalProperties: false },
);

export const StoppingCondition = Type.Object(
  { maxRuntimeInSeconds: Type.Integer({ minimum: 1, maximum: 2419200, default: 86400 }) },
  { additionalProperties: false },
);

/** A relative path inside a folder (checked further by the service: no `..`, no absolute path). */
const RelativePath = (description: string) => Type.String({ minLength: 1, maxLength: 256, description });

/**
 * Your own training code (SageMaker script mode): a source bundle extracted into the job's
 * `code/` folder and an entry point run there with the job contract's environment.
 */
export const TrainingScript = Type.Object(
  {
    source: Type.String({
      minLength: 1,
      maxLength: 2048,
      description: 'Artifact URI (or key) of a .tar.gz of your code, e.g. one uploaded with PUT /api/v1/artifacts/uploads/<path>.',
    }),
    entryPoint: Type.Optional(RelativePath(
      'File in the bundle to run: .py with the configured Python, .js/.mjs with node, .ts/.mts with node and tsx, .sh with /bin/sh, any other file executed directly. Hyperparameters follow as --name value.',
    )),
    command: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 4096 }), {
      minItems: 1,
      maxItems: 256,
      description: 'An explicit argv run in code/ instead of an entry point (hyperparameters are not appended; read SM_HPS or SM_USER_ARGS).',
    })),
  },
  { additionalProperties: false },
);
export type TrainingScript = Static<typeof TrainingScript>;

/** Where a job's checkpoints live locally and in the artifact store (SageMaker's CheckpointConfig). */
export const CheckpointConfig = Type.Object(
  {
    localPath: Type.Optional(RelativePath("Folder inside the job folder. Default: 'checkpoints' (SM_CHECKPOINT_DIR).")),
    artifactPrefix: Type.Optional(Type.String({
      pattern: '^checkpoints/',
      maxLength: 512,
      description: "Artifact key prefix under checkpoints/. Default: 'checkpoints/<job name>'. A job with the same prefix starts from what is there.",
    })),
  },
  { additionalProperties: false },
);
export type CheckpointConfig = Static<typeof CheckpointConfig>;

/** Variables added to the training process's environment (not STRATUS_* or SM_*). */
export const JobEnvironment = Type.Record(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]{0,127}$' }), Type.String({ maxLength: 4096 }), { maxProperties: 100 });

export const CreateTrainingJobRequest = Type.Object(
  {
    name: Name,
    algorithm: Type.Optional(Type.String({ description: 'A built-in algorithm name, e.g. linear-learner. Give this or script, not both.' })),
    script: Type.Optional(TrainingScript),
    hyperparameters: Type.Optional(Type.Record(Type.String({ maxLength: 256 }), HyperparameterValue, { maxProperties: 100 })),
    inputs: Type.Array(InputChannel, { maxItems: 20, description: 'Input channels; built-in algorithms need at least a train channel.' }),
    environment: Type.Optional(JobEnvironment),
    checkpointConfig: Type.Optional(CheckpointConfig),
    retryOf: Type.Optional(Type.String({ pattern: NAME_PATTERN, maxLength: 63, description: "A Failed or Stopped job this one retries: its checkpoints are restored before the start." })),
    retryStrategy: Type.Optional(Type.Object(
      { maximumRetryAttempts: Type.Integer({ minimum: 0, maximum: 30, description: 'How often a job whose host failed (Slurm NODE_FAIL) is started again, resuming from its checkpoints.' }) },
      { additionalProperties: false },
    )),
    resources: Type.Optional(ResourceConfig),
    stoppingCondition: Type.Optional(StoppingCondition),
    metricDefinitions: Type.Optional(Type.Array(MetricDefinition, { maxItems: 40 })),
    tags: Type.Optional(Tags),
    experiment: Type.Optional(Type.String({ pattern: NAME_PATTERN, maxLength: 63, description: "The experiment this job is a run of (created with its first run). Default: 'Default'." })),
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
  /** The built-in algorithm; absent for a script job. */
  algorithm: Type.Optional(Type.String()),
  script: Type.Optional(TrainingScript),
  environment: Type.Optional(Type.Record(Type.String(), Type.String())),
  checkpointConfig: Type.Optional(Type.Object({ localPath: Type.String(), artifactPrefix: Type.String() })),
  retryOf: Type.Optional(Type.String()),
  retryStrategy: Type.Optional(Type.Object({ maximumRetryAttempts: Type.Integer() })),
  hyperparameters: Type.Record(Type.String(), Type.String()),
  inputs: Type.Array(
    Type.Object({ channel: Type.String(), dataset: Type.Optional(Type.String()), version: Type.Optional(Type.Integer()), artifactPrefix: Type.Optional(Type.String()), targetColumn: Type.Optional(Type.String()), contentType: Type.Optional(Type.String()), distribution: Type.Optional(Type.String()) }),
  ),
  resources: Type.Object({ instanceType: Type.String(), instanceCount: Type.Integer() }),
  stoppingCondition: Type.Object({ maxRuntimeInSeconds: Type.Integer() }),
  metricDefinitions: Type.Array(MetricDefinition),
  tags: Type.Optional(Tags),
  experiment: Type.String(),
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

export const TrainingJobSummary = Type.Pick(TrainingJob, ['name', 'arn', 'algorithm', 'experiment', 'status', 'secondaryStatus', 'createdAt', 'updatedAt', 'endedAt', 'failureReason']);
export const TrainingJobList = PageOf(TrainingJobSummary);
export type TrainingJobList = Static<typeof TrainingJobList>;

export const TrainingJobListQuery = Type.Composite(
  [ListQuery, Type.Object({ status: Type.Optional(TrainingJobStatus), experiment: Type.Optional(Type.String({ pattern: NAME_PATTERN, maxLength: 63 })) })],
  { additionalProperties: false },
);
export type TrainingJobListQuery = Static<typeof TrainingJobListQuery>;

export const MetricPoint = Type.Object({ name: Type.String(), value: Type.Number(), step: Type.Integer(), timestamp: Timestamp });
export type MetricPoint = Static<typeof MetricPoint>;
export const MetricSeries = Type.Object({ metrics: Type.Array(MetricPoint) });
export const MetricsQuery = Type.Object({ name: Type.Optional(Type.String()) }, { additionalProperties: false });

/** Names of logged metrics and params: e.g. `validation:auc`, `train/loss`, `learning_rate`. */
export const RUN_KEY_PATTERN = '^[A-Za-z0-9_.:/-]{1,255}$';
const RunKey = Type.String({ pattern: RUN_KEY_PATTERN, description: 'Letters, digits and _ . : / -; at most 255 characters.' });

/** A metric point a job logs itself (the metrics API, beside regex metrics from its log). */
export const LoggedMetric = Type.Object(
  {
    name: RunKey,
    value: Type.Number({ description: 'A finite number.' }),
    step: Type.Optional(Type.Integer({ minimum: 0, description: 'Default: one past the last step of this metric (0 for the first point).' })),
    timestamp: Type.Optional(Type.String({ format: 'date-time', description: 'Default: when the server receives it.' })),
  },
  { additionalProperties: false },
);
export const LogMetricsRequest = Type.Object({ metrics: Type.Array(LoggedMetric, { minItems: 1, maxItems: 1000 }) }, { additionalProperties: false });
export type LogMetricsRequest = Static<typeof LogMetricsRequest>;
export const LogMetricsResult = Type.Object({ recorded: Type.Integer() });

export const LogParamsRequest = Type.Object(
  { params: Type.Record(RunKey, HyperparameterValue, { minProperties: 1, maxProperties: 100 }) },
  { additionalProperties: false },
);
export type LogParamsRequest = Static<typeof LogParamsRequest>;
export const LogParamsResult = Type.Object({ recorded: Type.Integer() });

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
