import { Type, type Static } from '@sinclair/typebox';
import { ListQuery, Name, PageOf, Timestamp } from './common.js';
import { TrainingJobStatus } from './training-job.js';

/*
 * Experiments and runs. Every training job is a run of one experiment (`experiment` on create,
 * 'Default' otherwise); a run's params are its hyperparameters plus what it logged, its metrics
 * the last value of each metric series (regex and logged alike).
 */

export const Experiment = Type.Object({
  name: Type.String(),
  runCount: Type.Integer(),
  /** Runs per status, e.g. `{ "Completed": 3, "InProgress": 1 }`. */
  statusCounts: Type.Record(Type.String(), Type.Integer()),
  createdAt: Timestamp,
  /** The latest change to any of its runs. */
  lastActivityAt: Timestamp,
});
export type Experiment = Static<typeof Experiment>;

export const ExperimentList = PageOf(Experiment);
export type ExperimentList = Static<typeof ExperimentList>;
export const ExperimentListQuery = Type.Omit(ListQuery, ['order'], { additionalProperties: false });
export type ExperimentListQuery = Static<typeof ExperimentListQuery>;
export const ExperimentParams = Type.Object({ name: Name }, { additionalProperties: false });

/** A final metric value; null stands for NaN (JSON has none). */
const MetricValue = Type.Union([Type.Number(), Type.Null()]);

export const Run = Type.Object({
  /** The training job's name. */
  name: Type.String(),
  experiment: Type.String(),
  status: TrainingJobStatus,
  /** The built-in algorithm; absent for a script job. */
  algorithm: Type.Optional(Type.String()),
  /** A script job's entry point (or command's program). */
  entryPoint: Type.Optional(Type.String()),
  /** Hyperparameters, then logged params (a logged name wins). */
  params: Type.Record(Type.String(), Type.String()),
  /** The last value of each metric series. */
  metrics: Type.Record(Type.String(), MetricValue),
  tags: Type.Record(Type.String(), Type.String()),
  inputs: Type.Array(Type.Object({ channel: Type.String(), dataset: Type.Optional(Type.String()), version: Type.Optional(Type.Integer()), artifactPrefix: Type.Optional(Type.String()) })),
  /** Models created from this run (lineage). */
  models: Type.Array(Type.String()),
  createdAt: Timestamp,
  startedAt: Type.Optional(Timestamp),
  endedAt: Type.Optional(Timestamp),
  durationSeconds: Type.Optional(Type.Number()),
  failureReason: Type.Optional(Type.String()),
});
export type Run = Static<typeof Run>;

export const RunList = PageOf(Run);
export type RunList = Static<typeof RunList>;

export const RunListQuery = Type.Object(
  {
    sortBy: Type.Optional(Type.String({
      pattern: '^(createdAt|name|metric:.+|param:.+)$',
      maxLength: 300,
      default: 'createdAt',
      description: "'createdAt', 'name', 'metric:<name>' (its final value) or 'param:<name>' (numerically when every value is a number). Runs without the value come last.",
    })),
    order: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')], { description: "Default: 'desc' for createdAt, 'asc' otherwise." })),
    status: Type.Optional(TrainingJobStatus),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
    nextToken: Type.Optional(Type.String({ maxLength: 1024 })),
  },
  { additionalProperties: false },
);
export type RunListQuery = Static<typeof RunListQuery>;

export const CompareRunsQuery = Type.Object(
  { runs: Type.String({ minLength: 1, maxLength: 2048, description: 'Comma-separated run (training job) names of this experiment, 1 to 20.' }) },
  { additionalProperties: false },
);

const comparedFields = {
  name: Type.String(),
  /** Whether the runs' values are not all the same. */
  differs: Type.Boolean(),
};
/** One param across the compared runs: a value per run, in the order of `runs`; null where the run has none. */
const ComparedParam = Type.Object({ ...comparedFields, values: Type.Array(Type.Union([Type.String(), Type.Null()])) });
/** One final metric across the compared runs (null: the run has none, or NaN). */
const ComparedMetric = Type.Object({ ...comparedFields, values: Type.Array(Type.Union([Type.Number(), Type.Null()])) });

export const RunComparison = Type.Object({
  experiment: Type.String(),
  runs: Type.Array(Type.String()),
  params: Type.Array(ComparedParam),
  metrics: Type.Array(ComparedMetric),
});
export type RunComparison = Static<typeof RunComparison>;

