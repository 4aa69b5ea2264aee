import { Type, type Static } from '@sinclair/typebox';
import { Timestamp } from './common.js';

/** since v1 (issue 5, items 3 and 7). Latencies are in milliseconds; null when nothing was measured. */
const Ms = Type.Union([Type.Number(), Type.Null()]);
const Percentiles = Type.Object({ p50: Ms, p90: Ms, p99: Ms });

/** What a variant did over a period (or over the whole window). */
export const MetricsWindow = Type.Object({
  invocations: Type.Integer(),
  errors4xx: Type.Integer(),
  errors5xx: Type.Integer(),
  errorRate: Type.Number(),
  /** Time inside the replica. */
  modelLatencyMs: Percentiles,
  /** Total time minus model time: HTTP parsing, routing, serialization. */
  overheadLatencyMs: Percentiles,
});
export type MetricsWindow = Static<typeof MetricsWindow>;

export const EndpointMetricsQuery = Type.Object(
  {
    /** Seconds per point (rounded up to the resolution: 1 s for windows up to 300 s, else 30 s). */
    period: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600, default: 60 })),
    /** Seconds back from now (at most one hour is kept). */
    window: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600, default: 3600 })),
  },
  { additionalProperties: false },
);
export type EndpointMetricsQuery = Static<typeof EndpointMetricsQuery>;

export const VariantMetrics = Type.Object({
  variant: Type.String(),
  /** A shadow variant: its answers never reached callers. */
  shadow: Type.Boolean(),
  /** Totals over the whole window. */
  summary: MetricsWindow,
  /** One point per period, oldest first; `timestamp` is the period's start. */
  points: Type.Array(Type.Composite([Type.Object({ timestamp: Timestamp }), MetricsWindow])),
});
export type VariantMetrics = Static<typeof VariantMetrics>;

export const EndpointMetrics = Type.Object({
  endpoint: Type.String(),
  period: Type.Integer(),
  window: Type.Integer(),
  variants: Type.Array(VariantMetrics),
  /** Data capture counters since the endpoint (config) started; absent when it does not capture. */
  capture: Type.Optional(Type.Object({ captured: Type.Integer(), dropped: Type.Integer(), written: Type.Integer(), files: Type.Integer() })),
});
export type EndpointMetrics = Static<typeof EndpointMetrics>;

const SideStats = Type.Object({
  invocations: Type.Integer(),
  errorRate: Type.Number(),
  modelLatencyMs: Type.Object({ p50: Ms, p99: Ms }),
});

/** How one shadow variant's answers compare with production's, since the endpoint (config) started. */
export const ShadowComparison = Type.Object({
  variant: Type.String(),
  model: Type.String(),
  samplingPercentage: Type.Number(),
  /** Copies sent to the shadow. */
  mirrored: Type.Integer(),
  /** Copies not sent because the shadow had too many in flight. */
  skipped: Type.Integer(),
  /** Copies sent and not answered yet. */
  inFlight: Type.Integer(),
  shadowErrors: Type.Integer(),
  requestsCompared: Type.Integer(),
  predictionsCompared: Type.Integer(),
  /** Same predicted label; else same argmax of score vectors; else |difference| ≤ tolerance. */
  agreementRate: Type.Union([Type.Number(), Type.Null()]),
  meanAbsoluteDifference: Type.Union([Type.Number(), Type.Null()]),
  maxAbsoluteDifference: Type.Union([Type.Number(), Type.Null()]),
  /** Answers that could not be compared (unreadable, or a different number of predictions). */
  incomparable: Type.Integer(),
  /** Last hour, from the endpoint metrics. */
  shadow: SideStats,
  production: SideStats,
});
export type ShadowComparison = Static<typeof ShadowComparison>;

export const ShadowComparisonReport = Type.Object({
  endpoint: Type.String(),
  /** Absolute tolerance for scalar outputs without a label. */
  tolerance: Type.Number(),
  shadows: Type.Array(ShadowComparison),
});
export type ShadowComparisonReport = Static<typeof ShadowComparisonReport>;

/** Request header carrying the caller's inference id, kept in captured records (SageMaker's). */
export const INFERENCE_ID_HEADER = 'x-amzn-sagemaker-inference-id';
