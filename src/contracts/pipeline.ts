import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { ListQuery, Name, PageOf, Timestamp } from './common.js';
import { DeploymentConfig } from './deployment.js';

/*
 * Pipelines (issue 7, item 3): a DAG of typed steps with parameters, defined as JSON (or YAML)
 * through the API. Values anywhere inside a step's body may be references, resolved when the step
 * starts:
 *   {"$param": "dataset"}                          a pipeline parameter
 *   {"$step": "train", "output": "modelArtifact"}  an output of an earlier step (also a DAG edge)
 * A condition step's `expression` reads `params.<name>` and `steps.<step>.<output>`; see
 * src/pipelines/expression.ts for its grammar.
 */

export const PipelineParameterType = Type.Union([Type.Literal('string'), Type.Literal('number'), Type.Literal('integer'), Type.Literal('boolean')]);
export type PipelineParameterType = Static<typeof PipelineParameterType>;

// Number first: the API's Ajv coerces types, and would otherwise turn 0.9 into '0.9' (string parameters convert back).
export const ParameterValue = Type.Union([Type.Number(), Type.Boolean(), Type.String({ maxLength: 4096 })]);
export type ParameterValue = Static<typeof ParameterValue>;

export const PipelineParameter = Type.Object(
  { name: Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]{0,62}$' }), type: PipelineParameterType, default: Type.Optional(ParameterValue), description: Type.Optional(Type.String({ maxLength: 1024 })) },
  { additionalProperties: false },
);
export type PipelineParameter = Static<typeof PipelineParameter>;

/** A JSON value in which references may appear (checked by the service, not the schema). */
const Body = (description: string) => Type.Record(Type.String(), Type.Unknown(), { description });
const Ref = <T extends TSchema>(t: T) => Type.Union([t, Type.Object({ $param: Type.String() }, { additionalProperties: false }), Type.Object({ $step: Type.String(), output: Type.String() }, { additionalProperties: false })]);

export const StepRetry = Type.Object(
  {
    /** Tries in all, the first included. */
    maxAttempts: Type.Integer({ minimum: 1, maximum: 10 }),
    /** Wait before the second try; doubled before each further one. @defaultValue 1 */
    backoffSeconds: Type.Optional(Type.Number({ minimum: 0, maximum: 3600 })),
  },
  { additionalProperties: false },
);

const common = {
  name: Type.String({ pattern: '^[A-Za-z0-9](-*[A-Za-z0-9]){0,39}$', description: 'Unique in the pipeline; at most 40 characters.' }),
  dependsOn: Type.Optional(Type.Array(Type.String(), { maxItems: 50 })),
  /** Reuse the outputs of an earlier Succeeded run of this step whose resolved inputs were the same. @defaultValue false */
  cache: Type.Optional(Type.Boolean()),
  retry: Type.Optional(StepRetry),
  description: Type.Optional(Type.String({ maxLength: 1024 })),
};

const IoName = Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]{0,62}$' });
const DataFormat = Type.Union([Type.Literal('csv'), Type.Literal('parquet'), Type.Literal('jsonl')]);

/** Your own processing code (SageMaker Processing's contract), instead of `sql`. */
export const ProcessingScript = Type.Object(
  {
    source: Ref(Type.String({ minLength: 1, maxLength: 2048, description: 'Artifact URI (or key) of a .tar.gz of your code; `stratus pipelines create` packs and uploads a local folder or .tar.gz named here.' })),
    entryPoint: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'File in the bundle to run: .py, .js/.mjs, .ts/.mts, .sh or an executable, as for training scripts.' })),
    command: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 4096 }), { minItems: 1, maxItems: 256, description: 'An explicit argv instead of an entry point.' })),
    /** Arguments after the entry point (SageMaker's ContainerArguments). */
    arguments: Type.Optional(Type.Array(Ref(Type.String({ maxLength: 4096 })), { maxItems: 100 })),
  },
  { additionalProperties: false },
);

export const ProcessingStep = Type.Object(
  {
    ...common,
    type: Type.Literal('processing'),
    /**
     * SQL: tables by alias, each a dataset (version default: the latest when the step starts).
     * Script: folders `processing/input/<name>/` filled from a dataset version or an artifact prefix.
     */
    inputs: Type.Record(IoName, Type.Object({
      dataset: Type.Optional(Ref(Type.String())),
      version: Type.Optional(Ref(Type.Integer({ minimum: 1 }))),
      artifactPrefix: Type.Optional(Ref(Type.String({ minLength: 1, maxLength: 1024, description: 'Script steps: every object under this key prefix.' }))),
    }, { additionalProperties: false }), { maxProperties: 20 }),
    /** DuckDB SQL over the inputs (by alias); its result becomes the output dataset's next version. Header-less CSV columns are `column0`, `column1`, …. Give this or script. */
    sql: Type.Optional(Ref(Type.String({ minLength: 1, maxLength: 65536 }))),
    /** SQL: the dataset the result becomes the next version of. */
    output: Type.Optional(Type.Object({ dataset: Ref(Type.String()), format: Type.Optional(DataFormat), header: Type.Optional(Type.Boolean()) }, { additionalProperties: false })),
    script: Type.Optional(ProcessingScript),
    /**
     * Script: folders `processing/output/<name>/` uploaded when the script ends (to
     * `processing-jobs/<job>/output/<name>/`); with `dataset`, the folder's one file also becomes
     * that dataset's next version (format from `format` or the file's extension).
     */
    outputs: Type.Optional(Type.Record(IoName, Type.Object({
      dataset: Type.Optional(Ref(Type.String())),
      format: Type.Optional(DataFormat),
      header: Type.Optional(Type.Boolean({ description: 'CSV: whether the first line names the columns. Default false.' })),
    }, { additionalProperties: false }), { maxProperties: 20 })),
    /** Script: variables added to its environment (not STRATUS_* or SM_*). */
    environment: Type.Optional(Type.Record(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]{0,127}$' }), Type.String({ maxLength: 4096 }), { maxProperties: 100 })),
    /** Script: what the scheduler admits it by. @defaultValue 'ml.m5.large' */
    instanceType: Type.Optional(Type.String({ maxLength: 64 })),
    /** Script: stopped (and the step failed) after this long. @defaultValue 86400 */
    maxRuntimeInSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 2419200 })),
  },
  { additionalProperties: false },
);

export const TrainingStep = Type.Object(
  { ...common, type: Type.Literal('training'), request: Body('A CreateTrainingJob request without `name` (the step names the job <execution>-<step>).') },
  { additionalProperties: false },
);

export const EvaluationStep = Type.Object(
  { ...common, type: Type.Literal('evaluation'), request: Body('A CreateEvaluationJob request without `name`.') },
  { additionalProperties: false },
);

export const ConditionStep = Type.Object(
  {
    ...common,
    type: Type.Literal('condition'),
    expression: Type.String({ minLength: 1, maxLength: 4096, description: "e.g. steps.train.metrics['validation:roc_auc_score'] >= params.minAuc and not steps.eval.metrics.rocAuc < 0.5" }),
    /** Steps that run only when true (besides every step that depends on this one and is not in `else`). */
    then: Type.Optional(Type.Array(Type.String(), { maxItems: 50 })),
    /** Steps that run only when false. */
    else: Type.Optional(Type.Array(Type.String(), { maxItems: 50 })),
  },
  { additionalProperties: false },
);

export const RegisterModelStep = Type.Object(
  {
    ...common,
    type: Type.Literal('register-model'),
    /** The model package group (created when missing). */
    group: Ref(Type.String()),
    /** A RegisterModelPackage request (model, trainingJob, evaluationJob, metrics, approvalStatus…). */
    request: Body('A RegisterModelPackage request.'),
    /** Point these aliases at the new version. */
    aliases: Type.Optional(Type.Array(Type.String(), { maxItems: 10 })),
  },
  { additionalProperties: false },
);

export const DeployStep = Type.Object(
  {
    ...common,
    type: Type.Literal('deploy'),
    endpoint: Ref(Type.String()),
    /** A model of this platform (typically a training step's `model` output). */
    model: Ref(Type.String()),
    instanceType: Type.Optional(Type.String()),
    instanceCount: Type.Optional(Type.Integer({ minimum: 1, maximum: 16 })),
    /** Traffic shifting of an update (the endpoint exists): all at once when absent. */
    deployment: Type.Optional(DeploymentConfig),
  },
  { additionalProperties: false },
);

export const TransformStep = Type.Object(
  { ...common, type: Type.Literal('transform'), request: Body('A CreateTransformJob request without `name`.') },
  { additionalProperties: false },
);

export const FailStep = Type.Object(
  { ...common, type: Type.Literal('fail'), message: Ref(Type.String({ maxLength: 4096 })) },
  { additionalProperties: false },
);

export const PipelineStep = Type.Union([ProcessingStep, TrainingStep, EvaluationStep, ConditionStep, RegisterModelStep, DeployStep, TransformStep, FailStep]);
export type PipelineStep = Static<typeof PipelineStep>;
export type PipelineStepType = PipelineStep['type'];

export const PipelineTrigger = Type.Object(
  {
    /** Start an execution when a version of this dataset is uploaded. */
    onDatasetVersion: Type.Optional(Type.String({ maxLength: 63 })),
    /** Start an execution when this monitoring schedule raises an alarm. */
    onMonitoringAlarm: Type.Optional(Type.String({ maxLength: 63 })),
    /** Parameters of triggered executions (defaults apply to the rest). */
    parameters: Type.Optional(Type.Record(Type.String(), ParameterValue)),
  },
  { additionalProperties: false },
);

export const PipelineDefinition = Type.Object(
  {
    name: Name,
    description: Type.Optional(Type.String({ maxLength: 1024 })),
    parameters: Type.Optional(Type.Array(PipelineParameter, { maxItems: 50 })),
    steps: Type.Array(PipelineStep, { minItems: 1, maxItems: 100 }),
    /** 5-field cron (minute hour day-of-month month day-of-week), in UTC. */
    schedule: Type.Optional(Type.Object({ cron: Type.String({ minLength: 9, maxLength: 200 }), parameters: Type.Optional(Type.Record(Type.String(), ParameterValue)) }, { additionalProperties: false })),
    trigger: Type.Optional(PipelineTrigger),
  },
  { additionalProperties: false },
);
export type PipelineDefinition = Static<typeof PipelineDefinition>;

/** PUT body: a new version of the definition (its name is the path's). */
export const UpdatePipelineRequest = Type.Omit(PipelineDefinition, ['name'], { additionalProperties: false });
export type UpdatePipelineRequest = Static<typeof UpdatePipelineRequest>;

export const Pipeline = Type.Object({
  name: Type.String(),
  arn: Type.String(),
  version: Type.Integer(),
  latestVersion: Type.Integer(),
  definition: Type.Record(Type.String(), Type.Unknown()),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Pipeline = Static<typeof Pipeline>;
export const PipelineList = PageOf(Type.Object({ name: Type.String(), arn: Type.String(), latestVersion: Type.Integer(), createdAt: Timestamp, updatedAt: Timestamp }));
export type PipelineList = Static<typeof PipelineList>;
export const PipelineQuery = Type.Object({ version: Type.Optional(Type.Integer({ minimum: 1 })) }, { additionalProperties: false });

export const StartPipelineExecutionRequest = Type.Object(
  { parameters: Type.Optional(Type.Record(Type.String(), ParameterValue)), version: Type.Optional(Type.Integer({ minimum: 1, description: 'Default: the latest.' })) },
  { additionalProperties: false },
);
export type StartPipelineExecutionRequest = Static<typeof StartPipelineExecutionRequest>;

export const PipelineExecutionStatus = Type.Union([Type.Literal('Executing'), Type.Literal('Stopping'), Type.Literal('Stopped'), Type.Literal('Failed'), Type.Literal('Succeeded')]);
export type PipelineExecutionStatus = Static<typeof PipelineExecutionStatus>;
export const PipelineStepStatus = Type.Union([
  Type.Literal('Pending'), Type.Literal('Executing'), Type.Literal('Succeeded'), Type.Literal('Failed'), Type.Literal('Skipped'), Type.Literal('Stopped'),
]);
export type PipelineStepStatus = Static<typeof PipelineStepStatus>;

export const PipelineStepExecution = Type.Object({
  name: Type.String(),
  type: Type.String(),
  status: PipelineStepStatus,
  attempts: Type.Integer(),
  startedAt: Type.Optional(Timestamp),
  endedAt: Type.Optional(Timestamp),
  outputs: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  failureReason: Type.Optional(Type.String()),
  /** The execution whose outputs this step reused (cache hit). */
  cachedFrom: Type.Optional(Type.String()),
  /** What the step created, e.g. { trainingJob: 'x' } — their logs are under their own APIs. */
  resources: Type.Optional(Type.Record(Type.String(), Type.String())),
});
export type PipelineStepExecution = Static<typeof PipelineStepExecution>;

export const PipelineExecution = Type.Object({
  name: Type.String(),
  arn: Type.String(),
  pipeline: Type.String(),
  pipelineVersion: Type.Integer(),
  parameters: Type.Record(Type.String(), ParameterValue),
  trigger: Type.Record(Type.String(), Type.Unknown()),
  status: PipelineExecutionStatus,
  failureReason: Type.Optional(Type.String()),
  steps: Type.Array(PipelineStepExecution),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  endedAt: Type.Optional(Timestamp),
});
export type PipelineExecution = Static<typeof PipelineExecution>;
export const PipelineExecutionList = PageOf(Type.Omit(PipelineExecution, ['steps']));
export type PipelineExecutionList = Static<typeof PipelineExecutionList>;
export const PipelineExecutionListQuery = Type.Composite(
  [ListQuery, Type.Object({ pipeline: Type.Optional(Type.String({ maxLength: 63 })), status: Type.Optional(PipelineExecutionStatus) })],
  { additionalProperties: false },
);
export type PipelineExecutionListQuery = Static<typeof PipelineExecutionListQuery>;
export const ExecutionParams = Type.Object({ id: Type.String({ maxLength: 128 }) }, { additionalProperties: false });
