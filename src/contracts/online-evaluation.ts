import { Type, type Static } from '@sinclair/typebox';
import { Name, Timestamp } from './common.js';
import { DeploymentConfig } from './deployment.js';

/*
 * Online evaluation (issue 7, item 7): a candidate variant already in the endpoint's config (a
 * shadow, or a weighted production variant) is compared with the production variant over a
 * period of live traffic: captured predictions joined with ground truth by inference id, both
 * variants' metrics side by side, and a test — a two-proportion z-test on accuracy
 * (classification), a seeded bootstrap of the mean absolute error (regression). `promote` then
 * makes the candidate the endpoint's only production variant through a blue/green update.
 */

export const OnlineProblemType = Type.Union([Type.Literal('binary'), Type.Literal('multiclass'), Type.Literal('regression')]);

/**
 * The automatic decision when the period ends (since v1, issue 7 item 7): a candidate significantly better with
 * at least `minimumLabelled` labelled answers on both sides is promoted (as `promote` does, with
 * the evaluation's `deployment`); otherwise the baseline is kept, with the reason.
 */
export const OnlineEvaluationDecision = Type.Object(
  {
    /** Decide when the period ends; false: promote by request only. */
    automatic: Type.Boolean(),
    /** Labelled answers each variant needs within the period; with fewer the baseline is kept (TooFewLabels). @defaultValue 30 */
    minimumLabelled: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
    /** When the baseline is kept, set a weighted candidate's weight to 0 (it stays deployed, without traffic). Not for a shadow. @defaultValue false */
    resetCandidateWeight: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type OnlineEvaluationDecision = Static<typeof OnlineEvaluationDecision>;

/** How an automatic decision ended, and why. */
export const OnlineEvaluationConclusion = Type.Object({
  at: Timestamp,
  /** Promoted: the candidate was promoted (by this decision or, earlier, by request); KeptBaseline: it was not; Abandoned: the endpoint no longer serves the evaluated config. */
  outcome: Type.Union([Type.Literal('Promoted'), Type.Literal('KeptBaseline'), Type.Literal('Abandoned')]),
  reason: Type.Union([
    Type.Literal('CandidateBetter'), Type.Literal('PromotedByRequest'), Type.Literal('NotSignificant'), Type.Literal('BaselineBetter'),
    Type.Literal('TooFewLabels'), Type.Literal('PromotionFailed'), Type.Literal('EndpointChanged'),
  ]),
  /** The reason in words, with the numbers. */
  message: Type.String(),
  /** Labelled answers of each side within the period, when the report was read. */
  labelled: Type.Optional(Type.Object({ baseline: Type.Integer(), candidate: Type.Integer() })),
  /** The test the decision read. */
  test: Type.Optional(Type.Object({
    metric: Type.String(), difference: Type.Number(), pValue: Type.Number(), significant: Type.Boolean(),
    better: Type.Union([Type.Literal('candidate'), Type.Literal('baseline'), Type.Null()]),
  })),
  /** KeptBaseline with `resetCandidateWeight`: whether the candidate's weight was set to 0. */
  candidateWeightReset: Type.Optional(Type.Boolean()),
});
export type OnlineEvaluationConclusion = Static<typeof OnlineEvaluationConclusion>;

/** Running during the period (and, with an automatic decision, until it is made); Completed after it without one; Concluded once decided. */
export const OnlineEvaluationStatus = Type.Union([Type.Literal('Running'), Type.Literal('Completed'), Type.Literal('Concluded')]);
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
    /** What the labels are: classes 0/1, classes 0..K−1, or values. @defaultValue 'binary' */
    problemType: Type.Optional(OnlineProblemType),
    /** Regression: the bootstrap's resamples and seed. @defaultValue { samples: 2000, seed: 0 } */
    bootstrap: Type.Optional(Type.Object(
      { samples: Type.Optional(Type.Integer({ minimum: 100, maximum: 100_000 })), seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1 })) },
      { additionalProperties: false },
    )),
    /** How `promote` shifts traffic to the candidate (canary, linear, rollback alarms); all at once when absent. Also the automatic promotion's policy. */
    deployment: Type.Optional(DeploymentConfig),
    /** Decide without a request when the period ends. @defaultValue none: promote by request only */
    decision: Type.Optional(OnlineEvaluationDecision),
  },
  { additionalProperties: false },
);
export type CreateOnlineEvaluationRequest = Static<typeof CreateOnlineEvaluationRequest>;

/** A promotion of the candidate: the config it made and where its rollout stands. */
export const Promotion = Type.Object({
  at: Timestamp,
  /** The endpoint config before and after. */
  fromConfig: Type.String(),
  config: Type.String(),
  /** The candidate: its variant name (kept) and model. */
  variant: Type.String(),
  model: Type.String(),
  /** The candidate was a shadow and became production. */
  fromShadow: Type.Boolean(),
  /** Promoted without a significant win. */
  forced: Type.Boolean(),
  /** Promoted by the automatic decision when the period ended, not by a request. */
  automatic: Type.Optional(Type.Boolean()),
  /** The test when promoted. */
  metric: Type.String(),
  difference: Type.Number(),
  pValue: Type.Number(),
  /** InProgress while traffic shifts, Completed once the endpoint serves the new config, RolledBack when it went back (alarms, a failed start). */
  outcome: Type.Union([Type.Literal('InProgress'), Type.Literal('Completed'), Type.Literal('RolledBack')]),
  failureReason: Type.Optional(Type.String()),
});
export type Promotion = Static<typeof Promotion>;

export const PromoteOnlineEvaluationRequest = Type.Object(
  {
    /** Promote even when the candidate is not significantly better. @defaultValue false */
    force: Type.Optional(Type.Boolean()),
    /** Traffic shifting of this promotion, over the evaluation's `deployment`. */
    deployment: Type.Optional(DeploymentConfig),
  },
  { additionalProperties: false },
);
export type PromoteOnlineEvaluationRequest = Static<typeof PromoteOnlineEvaluationRequest>;

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
  problemType: OnlineProblemType,
  bootstrap: Type.Object({ samples: Type.Integer(), seed: Type.Integer() }),
  deployment: Type.Optional(DeploymentConfig),
  /** The automatic decision, with its defaults filled in. */
  decision: Type.Optional(Type.Object({ automatic: Type.Boolean(), minimumLabelled: Type.Integer(), resetCandidateWeight: Type.Boolean() })),
  status: OnlineEvaluationStatus,
  startedAt: Timestamp,
  endsAt: Timestamp,
  promotion: Type.Optional(Promotion),
  conclusion: Type.Optional(OnlineEvaluationConclusion),
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
  /** Classification: answers of the label's class. */
  correct: Type.Optional(Type.Integer()),
  /** binary: accuracy, precision, recall, f1, specificity, rocAuc, prAuc; multiclass: accuracy, macroF1, weightedF1; regression: rmse, mae, mape, r2. */
  metrics: Type.Record(Type.String(), Type.Number()),
});

export const OnlineEvaluationReport = Type.Object({
  name: Type.String(),
  endpoint: Type.String(),
  status: OnlineEvaluationStatus,
  startedAt: Timestamp,
  endsAt: Timestamp,
  problemType: OnlineProblemType,
  labels: Type.Integer(),
  variants: Type.Array(VariantResult),
  test: Type.Object({
    /** Classification: pooled two-proportion z-test; regression: bootstrap of the mean absolute error. */
    kind: Type.Union([Type.Literal('two-proportion-z'), Type.Literal('bootstrap')]),
    metric: Type.Union([Type.Literal('accuracy'), Type.Literal('mae')]),
    /** candidate − baseline of `metric`. */
    difference: Type.Number(),
    /** z-test only. */
    z: Type.Optional(Type.Number()),
    pValue: Type.Number(),
    alpha: Type.Number(),
    significant: Type.Boolean(),
    /** The variant with the better metric (higher accuracy, lower MAE) when significant, else null. */
    better: Type.Union([Type.Literal('candidate'), Type.Literal('baseline'), Type.Null()]),
    /** Bootstrap: paired by inference id (a shadow candidate) or two independent samples. */
    paired: Type.Optional(Type.Boolean()),
    samples: Type.Optional(Type.Integer()),
    /** Bootstrap: the percentile interval of the difference. */
    interval: Type.Optional(Type.Object({ lower: Type.Number(), upper: Type.Number(), level: Type.Number() })),
  }),
  promotion: Type.Optional(Promotion),
});
export type OnlineEvaluationReport = Static<typeof OnlineEvaluationReport>;
