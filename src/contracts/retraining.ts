import { Type, type Static } from '@sinclair/typebox';
import { ListQuery, Name, PageOf, Timestamp } from './common.js';
import { ParameterValue } from './pipeline.js';

/*
 * The loop (issue 7, item 5): an endpoint's retraining policy names a pipeline that runs when a
 * monitoring schedule of the endpoint raises an alarm, on a cron schedule, or on demand; every
 * execution gets the endpoint's name (`endpoint`) and its current production model
 * (`productionModel`) as parameters, when the pipeline declares them.
 */
export const RetrainingPolicyRequest = Type.Object(
  {
    /** The pipeline to run. */
    pipeline: Name,
    /** Run when this monitoring schedule (of this endpoint) raises an alarm. */
    onAlarmOf: Type.Optional(Name),
    /** Run on a 5-field cron, UTC. */
    schedule: Type.Optional(Type.Object({ cron: Type.String({ minLength: 9, maxLength: 200 }) }, { additionalProperties: false })),
    /** Further parameters of every execution (the pipeline's defaults apply to the rest). */
    parameters: Type.Optional(Type.Record(Type.String(), ParameterValue)),
  },
  { additionalProperties: false },
);
export type RetrainingPolicyRequest = Static<typeof RetrainingPolicyRequest>;

export const RetrainingPolicy = Type.Composite([
  Type.Object({ endpoint: Type.String() }),
  RetrainingPolicyRequest,
  Type.Object({ createdAt: Timestamp, updatedAt: Timestamp }),
]);
export type RetrainingPolicy = Static<typeof RetrainingPolicy>;

/** `GET /retraining-policies`: the endpoints' policies by endpoint name; `endpoint` answers an empty page for one without. */
export const RetrainingPolicyListQuery = Type.Composite(
  [Type.Omit(ListQuery, ['nameContains']), Type.Object({ endpoint: Type.Optional(Name) })],
  { additionalProperties: false },
);
export type RetrainingPolicyListQuery = Static<typeof RetrainingPolicyListQuery>;
export const RetrainingPolicyList = PageOf(RetrainingPolicy);
export type RetrainingPolicyList = Static<typeof RetrainingPolicyList>;

export const RunRetrainingRequest = Type.Object(
  { parameters: Type.Optional(Type.Record(Type.String(), ParameterValue)) },
  { additionalProperties: false },
);
export type RunRetrainingRequest = Static<typeof RunRetrainingRequest>;

export const TimelineEntryKind = Type.Union([
  Type.Literal('endpoint-status'), Type.Literal('monitoring-alarm'), Type.Literal('pipeline-execution'), Type.Literal('registry'), Type.Literal('online-evaluation'),
]);

export const TimelineEntry = Type.Object({
  at: Timestamp,
  kind: TimelineEntryKind,
  /** One line in words. */
  summary: Type.String(),
  detail: Type.Record(Type.String(), Type.Unknown()),
});
export type TimelineEntry = Static<typeof TimelineEntry>;

export const EndpointTimeline = Type.Object({ endpoint: Type.String(), items: Type.Array(TimelineEntry) });
export type EndpointTimeline = Static<typeof EndpointTimeline>;
