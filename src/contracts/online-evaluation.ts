import { Type, type Static } from '@sinclair/typebox';
import { Name, Timestamp } from './common.js';

/*
 * Online evaluation (issue 7, item 7): a candidate variant already in the endpoint's config (a
 * shadow, or a weighted production variant) is compared with the production variant over a
 * period of live traffic: captured predictions joined with ground truth by inference id, both
 * variants' metrics side by side, and a two-proportion z-test on accuracy.
 */
export const CreateOnlineEvaluationRequest = Type.Object(
  {
    name: Name,
    endpoint: Name,
    /** A shadow or production variant of the endpoint's current config. */
    candidateVariant: Type.String({ minLength: 1, maxLength: 63 }),
    /** Default: the production variant with the largest weight, other than the candidate. */
    baselineVariant: Type.Optional(Type.String({ minLength: 1, maxLength: 63 })),
    durationSeconds: Type.Integer({ minimum: 1, maximum: 30 * 86400 }),
    /** Binary: a score ≥ threshold is the positive class. @defaultValue 0.5 */
    threshold: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    /** Significance level of the test. @defaultValue 0.05 */
    alpha: Type.Optional(Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1 })),
  },
  { additionalProperties: false },
);
export type CreateOnlineEvaluationRequest = Static<typeof CreateOnlineEvaluationRequest>;

export const OnlineEvaluation = Type.Object({
  name: Type.String(),
  endpoint: Type.String(),
  config: Type.String(),
  candidateVariant: Type.String(),
  candidateIsShadow: Type.Boolean(),
  baselineVariant: Type.String(),
  durationSeconds: Type.Integer(),
  threshold: Type.Number(),
  alpha: Type.Number(),
  status: Type.Union([Type.Literal('Running'), Type.Literal('Completed')]),
  startedAt: Timestamp,
  endsAt: Timestamp,
});
export type OnlineEvaluation = Static<typeof OnlineEvaluation>;

export const OnlineEvaluationGroundTruth = Type.Object(
  { labels: Type.Array(Type.Object({ inferenceId: Type.String({ minLength: 1, maxLength: 256 }), label: Type.Number() }, { additionalProperties: false }), { minItems: 1, maxItems: 100_000 }) },
  { additionalProperties: false },
);
export type OnlineEvaluationGroundTruth = Static<typeof OnlineEvaluationGroundTruth>;

const VariantResult = Type.Object({
  variant: Type.String(),
  role: Type.Union([Type.Literal('baseline'), Type.Literal('candidate')]),
  shadow: Type.Boolean(),
  /** Captured answers with an inference id, within the period. */
  captured: Type.Integer(),
  /** Of those, answers with a label. */
  joined: Type.Integer(),
  correct: Type.Integer(),
  metrics: Type.Record(Type.String(), Type.Number()),
});

export const OnlineEvaluationReport = Type.Object({
  name: Type.String(),
  endpoint: Type.String(),
  status: Type.Union([Type.Literal('Running'), Type.Literal('Completed')]),
  startedAt: Timestamp,
  endsAt: Timestamp,
  labels: Type.Integer(),
  variants: Type.Array(VariantResult),
  test: Type.Object({
    kind: Type.Literal('two-proportion-z'),
    metric: Type.Literal('accuracy'),
    /** candidate − baseline accuracy. */
    difference: Type.Number(),
    z: Type.Number(),
    pValue: Type.Number(),
    alpha: Type.Number(),
    significant: Type.Boolean(),
    /** The variant with the higher accuracy when significant, else null. */
    better: Type.Union([Type.Literal('candidate'), Type.Literal('baseline'), Type.Null()]),
  }),
});
export type OnlineEvaluationReport = Static<typeof OnlineEvaluationReport>;
