import { Type, type Static } from '@sinclair/typebox';
import { Name, PageOf, Timestamp } from './common.js';

/*
 * Safe updates (SageMaker's DeploymentConfig: BlueGreenUpdatePolicy + AutoRollbackConfiguration)
 * and autoscaling (Application Auto Scaling's target tracking on SageMakerVariantInvocationsPerInstance).
 * Unlike SageMaker, alarms are defined inline rather than named CloudWatch alarms, and the
 * SageMaker lower bound of 600 s on MaximumExecutionTimeoutInSeconds is not enforced.
 */

/** How much of the new fleet takes traffic in one step (SageMaker's CapacitySize). */
export const CapacitySize = Type.Object(
  {
    /** CAPACITY_PERCENT: that share of the traffic; INSTANCE_COUNT: the share that many of the new fleet's instances make up. */
    type: Type.Union([Type.Literal('CAPACITY_PERCENT'), Type.Literal('INSTANCE_COUNT')]),
    value: Type.Integer({ minimum: 1 }),
  },
  { additionalProperties: false },
);
export type CapacitySize = Static<typeof CapacitySize>;

export const TrafficRouting = Type.Object(
  {
    /** ALL_AT_ONCE: one step of 100 %; CANARY: `canarySize`, then the rest; LINEAR: steps of `linearStepSize`. */
    type: Type.Union([Type.Literal('ALL_AT_ONCE'), Type.Literal('CANARY'), Type.Literal('LINEAR')]),
    /** Bake time after each step, while the alarms watch the new fleet. */
    waitIntervalSeconds: Type.Integer({ minimum: 0, maximum: 3600 }),
    canarySize: Type.Optional(CapacitySize),
    linearStepSize: Type.Optional(CapacitySize),
  },
  { additionalProperties: false },
);
export type TrafficRouting = Static<typeof TrafficRouting>;

/** Metrics an alarm can watch, computed over the new (green) fleet's requests only. */
export const AlarmMetric = Type.Union([Type.Literal('errorRate'), Type.Literal('5xxRate'), Type.Literal('p99LatencyMs')]);
export type AlarmMetric = Static<typeof AlarmMetric>;

/** Breaches when `metric` over the last `windowSeconds` is above `threshold` (a window with no requests never breaches). */
export const RollbackAlarm = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 255 }),
    metric: AlarmMetric,
    threshold: Type.Number({ minimum: 0 }),
    windowSeconds: Type.Integer({ minimum: 1, maximum: 3600 }),
  },
  { additionalProperties: false },
);
export type RollbackAlarm = Static<typeof RollbackAlarm>;

const ALARM_SPEC = /^([^:]+):(errorRate|5xxRate|p99LatencyMs)>([0-9]+(?:\.[0-9]+)?)\/([0-9]+)(s|m)?$/;

/**
 * The short form of an alarm, `name:metric>threshold/window` (window in seconds, or minutes
 * with `m`), as the CLI's `--alarm` takes it.
 * @example parseAlarmSpec('errors:errorRate>0.05/10s') // { name: 'errors', metric: 'errorRate', threshold: 0.05, windowSeconds: 10 }
 * @returns undefined when `text` is not of that form
 */
export function parseAlarmSpec(text: string): RollbackAlarm | undefined {
  const m = ALARM_SPEC.exec(text.trim());
  if (!m) return undefined;
  const [, name, metric, threshold, window, unit] = m;
  return { name, metric: metric as AlarmMetric, threshold: Number(threshold), windowSeconds: Number(window) * (unit === 'm' ? 60 : 1) };
}

export const DeploymentConfig = Type.Object(
  {
    trafficRouting: TrafficRouting,
    /** The whole shift, bakes included, must end within this; otherwise it rolls back. */
    maximumExecutionTimeoutSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 28800 })),
    /** How long the old fleet stays up (without traffic) after the shift completed. @defaultValue 0 */
    terminationWaitSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 3600 })),
    rollback: Type.Optional(Type.Object({ alarms: Type.Array(RollbackAlarm, { minItems: 1, maxItems: 10 }) }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);
export type DeploymentConfig = Static<typeof DeploymentConfig>;

/** An update shifting traffic (SageMaker's PendingDeploymentSummary); absent while the new fleet starts. */
export const PendingDeployment = Type.Object({
  config: Type.String(),
  /** The new fleet's share of the traffic now, 0–100. */
  trafficPercent: Type.Number(),
  /** 1-based step of `steps`. */
  step: Type.Integer(),
  steps: Type.Integer(),
  startedAt: Timestamp,
});
export type PendingDeployment = Static<typeof PendingDeployment>;

// ---- autoscaling ------------------------------------------------------------------------

export const VariantParams = Type.Object({ name: Name, variant: Name }, { additionalProperties: false });
export type VariantParams = Static<typeof VariantParams>;

export const ScalingPolicyRequest = Type.Object(
  {
    minInstances: Type.Integer({ minimum: 1, maximum: 16 }),
    maxInstances: Type.Integer({ minimum: 1, maximum: 16 }),
    /** Target of SageMakerVariantInvocationsPerInstance: invocations per instance per minute. */
    targetInvocationsPerInstancePerMinute: Type.Number({ exclusiveMinimum: 0 }),
    /** Optional second target: mean busy share of the variant's replicas, in percent. */
    targetCpuPercent: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 100 })),
    /** After a scale-out, no further scale-out and no scale-in for this long. @defaultValue 300 */
    scaleOutCooldownSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 86400 })),
    /** After a scale-in, no further scale-in for this long. @defaultValue 300 */
    scaleInCooldownSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 86400 })),
    /** The window the invocation rate is measured over (CloudWatch's 1-minute period). @defaultValue 60 */
    metricWindowSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600 })),
  },
  { additionalProperties: false },
);
export type ScalingPolicyRequest = Static<typeof ScalingPolicyRequest>;

export const ScalingPolicy = Type.Object({
  endpoint: Type.String(),
  variant: Type.String(),
  minInstances: Type.Integer(),
  maxInstances: Type.Integer(),
  targetInvocationsPerInstancePerMinute: Type.Number(),
  targetCpuPercent: Type.Optional(Type.Number()),
  scaleOutCooldownSeconds: Type.Integer(),
  scaleInCooldownSeconds: Type.Integer(),
  metricWindowSeconds: Type.Integer(),
  updatedAt: Timestamp,
});
export type ScalingPolicy = Static<typeof ScalingPolicy>;
export const ScalingPolicyList = Type.Object({ items: Type.Array(ScalingPolicy) });
export type ScalingPolicyList = Static<typeof ScalingPolicyList>;

/** One autoscaling decision. */
export const ScalingEvent = Type.Object({
  endpoint: Type.String(),
  variant: Type.String(),
  at: Timestamp,
  /** scale-out, scale-in, or clamp (the policy's min/max moved the count). */
  action: Type.Union([Type.Literal('scale-out'), Type.Literal('scale-in'), Type.Literal('clamp')]),
  fromInstances: Type.Integer(),
  toInstances: Type.Integer(),
  /** Invocations per minute over the metric window, when it drove the decision. */
  invocationsPerMinute: Type.Optional(Type.Number()),
  cpuPercent: Type.Optional(Type.Number()),
  reason: Type.String(),
});
export type ScalingEvent = Static<typeof ScalingEvent>;
export const ScalingEventList = PageOf(ScalingEvent);
export type ScalingEventList = Static<typeof ScalingEventList>;
export const ScalingEventQuery = Type.Object(
  { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })), variant: Type.Optional(Name) },
  { additionalProperties: false },
);
export type ScalingEventQuery = Static<typeof ScalingEventQuery>;
