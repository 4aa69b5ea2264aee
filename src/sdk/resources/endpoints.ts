import { INFERENCE_ID_HEADER, INVOKED_VARIANT_HEADER, TARGET_VARIANT_HEADER } from '../../contracts/index.js';
import { StratusApiError } from '../errors.js';
import { pollUntil, type WaitOptions } from '../poll.js';
import { pathOf, type Transport } from '../transport.js';
import type { EndpointTimeline, RetrainingPolicy, RetrainingPolicyList, RetrainingPolicyListQuery, RetrainingPolicyRequest } from '../../contracts/retraining.js';
import type { PipelineExecution } from '../../contracts/pipeline.js';
import type {
  CreateEndpointRequest,
  Endpoint,
  EndpointList,
  EndpointListOptions,
  EndpointMetrics,
  ShadowComparisonReport,
  EndpointStatus,
  DeploymentConfig,
  ScalingEventList,
  ScalingPolicy,
  ScalingPolicyList,
  ScalingPolicyRequest,
  UpdateWeightsRequest,
} from '../types.js';
import { NamedResourceApi } from './named-resource.js';

/** Options of {@link EndpointsApi.invoke}. */
export interface InvokeOptions {
  /** `text/csv`, `application/json` or `application/jsonlines`. @defaultValue `'text/csv'` */
  contentType?: string;
  /** The response format, e.g. `text/csv`. @defaultValue the model's default (JSON) */
  accept?: string;
  /** Sends the request to this production variant instead of a weighted pick. */
  targetVariant?: string;
  /** Kept as `eventMetadata.inferenceId` in data capture records (1–64 characters). */
  inferenceId?: string;
  signal?: AbortSignal;
}

/** The answer of an invocation. */
export interface InvokeResult {
  body: string;
  contentType: string;
  /** The production variant that answered. */
  variant: string | undefined;
}

/** Endpoints: live inference services built from an endpoint config. */
export class EndpointsApi extends NamedResourceApi<Endpoint, CreateEndpointRequest, EndpointList['items'][number], EndpointListOptions> {
  constructor(transport: Transport) {
    super(transport, '/api/v1/endpoints');
  }

  /**
   * Moves the endpoint to another config without downtime (`Updating`, then `InService`). With a
   * `deployment`, traffic shifts in steps and an alarm breach rolls back to the old config
   * (`RollingBack`, then `InService` with `failureReason`).
   * @example
   * await client.endpoints.update('bc', 'bc-config-2', {
   *   trafficRouting: { type: 'CANARY', waitIntervalSeconds: 60, canarySize: { type: 'CAPACITY_PERCENT', value: 10 } },
   *   rollback: { alarms: [{ name: 'errors', metric: 'errorRate', threshold: 0.05, windowSeconds: 60 }] },
   * });
   */
  update(name: string, config: string, deployment?: DeploymentConfig): Promise<Endpoint> {
    return this.transport.json({ method: 'PUT', path: pathOf(this.base, name), body: deployment ? { config, deployment } : { config } });
  }

  /**
   * Sets a variant's autoscaling policy (target tracking on invocations per instance per minute).
   * @example
   * await client.endpoints.setScaling('bc', 'AllTraffic', { minInstances: 1, maxInstances: 4, targetInvocationsPerInstancePerMinute: 600 });
   */
  setScaling(name: string, variant: string, policy: ScalingPolicyRequest): Promise<ScalingPolicy> {
    return this.transport.json({ method: 'PUT', path: pathOf(this.base, name, 'variants', variant, 'scaling'), body: policy });
  }

  /** The endpoint's autoscaling policies. */
  scaling(name: string): Promise<ScalingPolicyList> {
    return this.transport.json({ path: pathOf(this.base, name, 'scaling') });
  }

  /** Removes a variant's autoscaling policy; its instance count stays where it is. */
  async deleteScaling(name: string, variant: string): Promise<void> {
    await this.transport.json({ method: 'DELETE', path: pathOf(this.base, name, 'variants', variant, 'scaling') });
  }

  /** Autoscaling decisions, newest first. */
  scalingEvents(name: string, query: { variant?: string; limit?: number } = {}): Promise<ScalingEventList> {
    return this.transport.json({ path: pathOf(this.base, name, 'scaling-events'), query });
  }

  /**
   * Invocations, 4xx/5xx and model/overhead latency percentiles per variant (shadows included),
   * one point per `period` seconds over the last `window` seconds (at most 3600).
   * @example
   * const { variants } = await client.endpoints.metrics('bc', { period: 60, window: 3600 });
   * console.log(variants[0].summary.modelLatencyMs.p99);
   */
  metrics(name: string, query: { period?: number; window?: number } = {}): Promise<EndpointMetrics> {
    return this.transport.json({ path: pathOf(this.base, name, 'metrics'), query });
  }

  /**
   * How each shadow variant's predictions, latency and errors compare with production's.
   * @example
   * const { shadows } = await client.endpoints.shadowComparison('bc');
   * console.log(shadows[0].agreementRate);
   */
  shadowComparison(name: string): Promise<ShadowComparisonReport> {
    return this.transport.json({ path: pathOf(this.base, name, 'shadow-comparison') });
  }

  /** Sets the endpoint's retraining policy (issue 7, item 5: the loop). */
  putRetrainingPolicy(name: string, policy: RetrainingPolicyRequest): Promise<RetrainingPolicy> {
    return this.transport.json({ method: 'PUT', path: pathOf(this.base, name, 'retraining-policy'), body: policy });
  }

  retrainingPolicy(name: string): Promise<RetrainingPolicy> {
    return this.transport.json({ path: pathOf(this.base, name, 'retraining-policy') });
  }

  /**
   * The endpoints' retraining policies, by endpoint name (a page may hold fewer than `limit`).
   * @example const [policy] = (await client.endpoints.retrainingPolicies({ endpoint: 'churn' })).items; // undefined: none
   */
  retrainingPolicies(query: RetrainingPolicyListQuery = {}): Promise<RetrainingPolicyList> {
    return this.transport.json({ path: '/api/v1/retraining-policies', query });
  }

  async deleteRetrainingPolicy(name: string): Promise<void> {
    await this.transport.json({ method: 'DELETE', path: pathOf(this.base, name, 'retraining-policy') });
  }

  /** Runs the policy's pipeline now, with parameters over the policy's. */
  runRetraining(name: string, parameters: Record<string, string | number | boolean> = {}): Promise<PipelineExecution> {
    return this.transport.json({ method: 'POST', path: pathOf(this.base, name, 'retraining-policy', 'run'), body: { parameters } });
  }

  /** Status history, monitoring alarms, retraining executions and registry events, oldest first. */
  timeline(name: string): Promise<EndpointTimeline> {
    return this.transport.json({ path: pathOf(this.base, name, 'timeline') });
  }

  /** Changes variants' traffic weights or instance counts in place. */
  updateWeights(name: string, request: UpdateWeightsRequest): Promise<Endpoint> {
    return this.transport.json({ method: 'POST', path: pathOf(this.base, name, 'weights'), body: request });
  }

  /**
   * Polls until the endpoint reaches `status` (default `InService`); throws when it becomes
   * `Failed` on the way.
   * @example
   * await client.endpoints.create({ name: 'bc', config: 'bc-config' });
   * await client.endpoints.waitFor('bc', 'InService', { timeoutMs: 60_000 });
   */
  waitFor(name: string, status: EndpointStatus = 'InService', opts: WaitOptions<Endpoint> = {}): Promise<Endpoint> {
    return pollUntil(`endpoint ${name} to be ${status}`, () => this.get(name), (e) => reached(e, status), opts);
  }

  /**
   * Sends one inference request (the SageMaker runtime call).
   * @example
   * const { body, variant } = await client.endpoints.invoke('bc', '17.99,10.38,122.8,1001');
   */
  async invoke(name: string, body: string | Uint8Array, opts: InvokeOptions = {}): Promise<InvokeResult> {
    const headers: Record<string, string> = { 'content-type': opts.contentType ?? 'text/csv', accept: opts.accept ?? '*/*' };
    if (opts.targetVariant) headers[TARGET_VARIANT_HEADER] = opts.targetVariant;
    if (opts.inferenceId) headers[INFERENCE_ID_HEADER] = opts.inferenceId;
    const res = await this.transport.send({ method: 'POST', path: pathOf('/endpoints', name, 'invocations'), headers, body, signal: opts.signal });
    return {
      body: await res.text(),
      contentType: res.headers.get('content-type') ?? '',
      variant: res.headers.get(INVOKED_VARIANT_HEADER) ?? undefined,
    };
  }
}

function reached(endpoint: Endpoint, status: EndpointStatus): boolean {
  if (endpoint.status === status) return true;
  if (endpoint.status !== 'Failed') return false;
  const reason = endpoint.failureReason ? `: ${endpoint.failureReason}` : '';
  throw new StratusApiError(0, 'EndpointFailed', `endpoint ${endpoint.name} failed${reason}`, { endpoint: endpoint.name });
}
