import { Type, type Static } from '@sinclair/typebox';
import { ListQuery, Name, PageOf, Timestamp } from './common.js';

/* Model monitoring (issue 7, item 4): baselines, schedules, reports and alarms. */

export const CreateMonitoringBaselineRequest = Type.Object(
  {
    name: Name,
    dataset: Type.Object({ name: Name, version: Type.Optional(Type.Integer({ minimum: 1 })) }, { additionalProperties: false }),
    targetColumn: Type.Optional(Type.String({
      minLength: 1, maxLength: 256,
      description: 'A column left out of the features (the label): its name (`_c0` … for a header-less CSV). Captured requests carry the remaining columns, in order.',
    })),
    featureNames: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 256 }), {
      maxItems: 2000, description: 'Names given to the feature columns (after the target is removed), in order; default: the dataset\'s column names.',
    })),
    sampleSize: Type.Optional(Type.Integer({ minimum: 100, maximum: 10_000, description: 'Values kept per feature for drift tests (a uniform random sample). Default 10,000.' })),
  },
  { additionalProperties: false },
);
export type CreateMonitoringBaselineRequest = Static<typeof CreateMonitoringBaselineRequest>;

export const MonitoringBaselineStatus = Type.Union([Type.Literal('InProgress'), Type.Literal('Completed'), Type.Literal('Failed')]);

export const MonitoringBaseline = Type.Object({
  name: Name,
  arn: Type.String(),
  dataset: Type.Object({ name: Type.String(), version: Type.Integer() }),
  targetColumn: Type.Optional(Type.String()),
  status: MonitoringBaselineStatus,
  failureReason: Type.Optional(Type.String()),
  statisticsUri: Type.Optional(Type.String({ description: 'statistics.json in the artifact store.' })),
  constraintsUri: Type.Optional(Type.String({ description: 'constraints.json in the artifact store.' })),
  rows: Type.Optional(Type.Integer()),
  features: Type.Optional(Type.Array(Type.Object({ name: Type.String(), inferredType: Type.String() }))),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type MonitoringBaseline = Static<typeof MonitoringBaseline>;
export const MonitoringBaselineList = PageOf(MonitoringBaseline);
export type MonitoringBaselineList = Static<typeof MonitoringBaselineList>;

export const MonitoringThresholds = Type.Object(
  {
    driftPValue: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1, description: 'A KS or chi-square p-value below this is drift. Default 0.01.' })),
    psi: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'A population stability index above this is drift. Default 0.2.' })),
    completenessMargin: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'Allowed drop of completeness below the baseline\'s. Default 0.05.' })),
    rangeMargin: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'Share of values allowed outside the baseline\'s min..max. Default 0.01.' })),
    newCategoryShare: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'Share of values allowed in categories the baseline never saw. Default 0.01.' })),
    minRecords: Type.Optional(Type.Integer({ minimum: 1, description: 'Fewer captured records than this: no drift verdict. Default 30.' })),
  },
  { additionalProperties: false },
);
export type MonitoringThresholds = Static<typeof MonitoringThresholds>;

export const ModelQualityConfig = Type.Object(
  {
    problemType: Type.Union([Type.Literal('binary'), Type.Literal('multiclass'), Type.Literal('regression')]),
    threshold: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'Binary: a score ≥ threshold is positive. Default 0.5.' })),
    minimums: Type.Optional(Type.Record(Type.String(), Type.Number(), { description: 'A metric below its minimum is a violation, e.g. {"accuracy": 0.9}.' })),
    maximums: Type.Optional(Type.Record(Type.String(), Type.Number(), { description: 'A metric above its maximum is a violation, e.g. {"rmse": 3}.' })),
  },
  { additionalProperties: false },
);
export type ModelQualityConfig = Static<typeof ModelQualityConfig>;

export const CreateMonitoringScheduleRequest = Type.Object(
  {
    name: Name,
    endpoint: Name,
    baseline: Name,
    periodSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 7 * 86400, description: 'Seconds between runs. Default 3600 (unless cron is given).' })),
    cron: Type.Optional(Type.String({
      minLength: 9, maxLength: 200,
      description: "Run at these times instead of every periodSeconds: a 5-field cron in UTC ('0 * * * *'), or SageMaker's 'cron(0 * ? * * *)'.",
    })),
    thresholds: Type.Optional(MonitoringThresholds),
    featureNames: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { maxItems: 2000, description: 'Only these features are checked; default all.' })),
    modelQuality: Type.Optional(ModelQualityConfig),
  },
  { additionalProperties: false },
);
export type CreateMonitoringScheduleRequest = Static<typeof CreateMonitoringScheduleRequest>;

export const MonitoringScheduleStatus = Type.Union([Type.Literal('Scheduled'), Type.Literal('Stopped')]);

export const MonitoringRunSummary = Type.Object({
  at: Timestamp,
  status: Type.Union([Type.Literal('Completed'), Type.Literal('CompletedWithViolations'), Type.Literal('NoData'), Type.Literal('Failed')]),
  records: Type.Integer(),
  violations: Type.Integer(),
  reportKey: Type.Optional(Type.String()),
  failureReason: Type.Optional(Type.String()),
});
export type MonitoringRunSummary = Static<typeof MonitoringRunSummary>;

export const MonitoringSchedule = Type.Object({
  name: Name,
  arn: Type.String(),
  endpoint: Type.String(),
  baseline: Type.String(),
  /** Seconds between runs (absent when the schedule has a cron). */
  periodSeconds: Type.Optional(Type.Integer()),
  /** The cron (UTC) the schedule runs on. */
  cron: Type.Optional(Type.String()),
  /** When the next scheduled run is due (absent while Stopped). */
  nextRunAt: Type.Optional(Timestamp),
  thresholds: Type.Object({
    driftPValue: Type.Number(), psi: Type.Number(), completenessMargin: Type.Number(), rangeMargin: Type.Number(), newCategoryShare: Type.Number(), minRecords: Type.Integer(),
  }),
  featureNames: Type.Optional(Type.Array(Type.String())),
  modelQuality: Type.Optional(ModelQualityConfig),
  status: MonitoringScheduleStatus,
  lastRunAt: Type.Optional(Timestamp),
  lastResult: Type.Optional(MonitoringRunSummary),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type MonitoringSchedule = Static<typeof MonitoringSchedule>;
export const MonitoringScheduleList = PageOf(MonitoringSchedule);
export type MonitoringScheduleList = Static<typeof MonitoringScheduleList>;

export const MonitoringListQuery = ListQuery;

export const MonitoringViolation = Type.Object({
  feature: Type.String(),
  kind: Type.Union([
    Type.Literal('completeness'), Type.Literal('data_type'), Type.Literal('out_of_range'), Type.Literal('new_category'),
    Type.Literal('drift_ks'), Type.Literal('drift_chi_square'), Type.Literal('drift_psi'), Type.Literal('missing_column'), Type.Literal('model_quality'),
  ]),
  description: Type.String(),
  value: Type.Optional(Type.Number()),
  threshold: Type.Optional(Type.Number()),
});
export type MonitoringViolation = Static<typeof MonitoringViolation>;

export const FeatureReport = Type.Object({
  name: Type.String(),
  inferredType: Type.String(),
  count: Type.Integer(),
  missing: Type.Integer(),
  completeness: Type.Number(),
  typeViolations: Type.Integer(),
  outOfRange: Type.Optional(Type.Integer()),
  newCategories: Type.Optional(Type.Array(Type.String())),
  mean: Type.Optional(Type.Number()),
  ks: Type.Optional(Type.Object({ statistic: Type.Number(), pValue: Type.Number(), method: Type.String() })),
  chiSquare: Type.Optional(Type.Object({ statistic: Type.Number(), pValue: Type.Number(), dof: Type.Integer() })),
  psi: Type.Optional(Type.Number()),
});

export const MonitoringReport = Type.Object({
  schedule: Type.String(),
  endpoint: Type.String(),
  baseline: Type.String(),
  at: Timestamp,
  status: MonitoringRunSummary.properties.status,
  records: Type.Integer(),
  objects: Type.Array(Type.String(), { description: 'Capture objects read by this run.' }),
  skippedRecords: Type.Integer({ description: 'Captured records that could not be read (content type, shape).' }),
  features: Type.Array(FeatureReport),
  violations: Type.Array(MonitoringViolation),
  modelQuality: Type.Optional(Type.Object({
    problemType: Type.String(),
    labels: Type.Integer({ description: 'Ground-truth labels uploaded since the last run.' }),
    joined: Type.Integer({ description: 'Labels matched to a captured prediction by inference id.' }),
    metrics: Type.Record(Type.String(), Type.Number()),
  })),
});
export type MonitoringReport = Static<typeof MonitoringReport>;

export const MonitoringReportList = Type.Object({
  items: Type.Array(Type.Object({ key: Type.String(), at: Timestamp, status: Type.String(), records: Type.Integer(), violations: Type.Integer() })),
});
export type MonitoringReportList = Static<typeof MonitoringReportList>;

export const MonitoringAlarm = Type.Object({
  schedule: Type.String(),
  seq: Type.Integer(),
  at: Timestamp,
  reportKey: Type.String(),
  violations: Type.Integer(),
  features: Type.Array(Type.String()),
  kinds: Type.Array(Type.String()),
});
export type MonitoringAlarm = Static<typeof MonitoringAlarm>;
export const MonitoringAlarmList = Type.Object({ items: Type.Array(MonitoringAlarm) });
export type MonitoringAlarmList = Static<typeof MonitoringAlarmList>;

export const GroundTruthRequest = Type.Object(
  {
    labels: Type.Array(Type.Object({ inferenceId: Type.String({ minLength: 1, maxLength: 256 }), label: Type.Number() }, { additionalProperties: false }), { minItems: 1, maxItems: 100_000 }),
  },
  { additionalProperties: false },
);
export type GroundTruthRequest = Static<typeof GroundTruthRequest>;
export const GroundTruthResult = Type.Object({ accepted: Type.Integer(), key: Type.String() });
export type GroundTruthResult = Static<typeof GroundTruthResult>;

export const ReportKeyParams = Type.Object({ name: Name, key: Type.String({ minLength: 1 }) }, { additionalProperties: false });
