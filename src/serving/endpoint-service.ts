import type { DeploymentConfig } from '../contracts/deployment.js';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import type { CreateEndpointRequest, Endpoint, EndpointVariantState, UpdateWeightsRequest } from '../contracts/endpoint.js';
import { sleep, type Clock } from '../core/clock.js';
import { failedPrecondition, httpStatusOf, isPlatformError, notFound, PlatformError, validationError } from '../core/errors.js';
import { arnOf } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import type { EndpointPatch, EndpointRecord, EndpointStatus, ListQuery, MetadataStore } from '../store/metadata-store.js';
import { CaptureWriter } from './capture.js';
import type { ClusterMetrics, GreenSource } from './cluster-metrics.js';
import { EndpointMetrics } from './endpoint-metrics.js';
import { Fleet, type FleetRequest, type FleetTrace } from './fleet.js';
import type { EndpointConfigSpec, ModelService } from './model-service.js';
import { FleetObservers } from './observers.js';
import type { InvokeRequest, InvokeResult } from './runtimes/runtime.js';
import type { ModelRuntimes } from './runtimes/runtimes.js';
import { DEFAULT_DEPLOYMENT, describePlan, planDeployment, Rollout, shiftTraffic } from './rollout.js';
import { greenShareOf, pendingDeploymentOf, storedRollout, type StoredRollout } from './rollout-state.js';
import { ShadowFleet, SHADOW_AGREEMENT_TOLERANCE, type ShadowComparison } from './shadow.js';
import { VariantPool } from './variant-pool.js';

export interface EndpointDeps {
  store: MetadataStore;
  models: ModelService;
  runtimes: ModelRuntimes;
  clock: Clock;
  log: Logger;
  /** Where data capture writes; without it, capture configs are accepted but write nothing. */
  artifacts?: Pick<ArtifactStore, 'put'>;
  /** @defaultValue a new registry */
  metrics?: EndpointMetrics;
  /** This API node (cluster/cluster-node.ts): named as the driver of the updates it runs. */
  node?: { readonly id: string };
  /** Several API nodes: every node's invocations, for the metrics API and the rollback alarms. */
  clusterMetrics?: Pick<ClusterMetrics, 'series' | 'greenWindow'>;
}

/** Per-invocation context from the HTTP layer. */
export interface InvokeOptions {
  /** `performance.now()` when the request arrived; the overhead latency is measured from it. */
  startedAt?: number;
  /** The caller's `X-Amzn-SageMaker-Inference-Id`, kept in captured records. */
  inferenceId?: string;
}

const toView = (r: EndpointRecord): Endpoint => ({
  name: r.name,
  arn: r.arn,
  config: r.configName,
  status: r.status,
  ...(r.failureReason ? { failureReason: r.failureReason } : {}),
  variants: r.variants as EndpointVariantState[],
  statusHistory: r.transitions.map((t) => ({
    status: t.status,
    startTime: t.startTime.toISOString(),
    ...(t.endTime ? { endTime: t.endTime.toISOString() } : {}),
    ...(t.message ? { message: t.message } : {}),
  })),
  url: `/endpoints/${r.name}/invocations`,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
});

const initialVariants = (spec: EndpointConfigSpec): EndpointVariantState[] =>
  spec.variants.map((v) => ({
    name: v.name,
    model: v.model,
    instanceType: v.instanceType,
    currentWeight: v.weight,
    desiredWeight: v.weight,
    currentInstanceCount: v.instanceCount,
    desiredInstanceCount: v.instanceCount,
  }));

/**
 * Endpoints: a fleet of replicas (worker threads or processes, by the model's runtime) per endpoint, built from its config. Updates are
 * blue/green: the new fleet starts beside the old one, traffic switches at once, the old fleet
 * finishes its in-flight requests and stops. One change at a time per endpoint.
 */
export class EndpointService {
  #fleets = new Map<string, Fleet>();
  /** The config each running fleet was built from (cluster sync compares it with the stored one). */
  #fleetConfigs = new Map<string, string>();
  /**
   * Endpoints in the middle of an update: both fleets, routed by the rollout. The node driving
   * the update (#driving) moves its steps; every other node follows the stored step (#follow).
   */
  #rollouts = new Map<string, Rollout>();
  /** Endpoints whose update this node drives, from the update call (or adoption) to its end. */
  #driving = new Set<string>();
  /** Cancels an update's shift or termination wait (delete, shutdown). */
  #cancels = new Map<string, AbortController>();
  #ops = new Map<string, Promise<void>>();
  /** Invocation metrics of every endpoint and variant (issue 5, items 2 and 7). */
  readonly metrics: EndpointMetrics;

  constructor(private readonly deps: EndpointDeps) {
    this.metrics = deps.metrics ?? new EndpointMetrics();
  }

  async create(req: CreateEndpointRequest): Promise<Endpoint> {
    const config = await this.deps.models.configSpec(req.config);
    const record = await this.deps.store.endpoints.create({
      name: req.name,
      arn: arnOf('endpoint', req.name),
      configName: req.config,
      variants: initialVariants(config),
      at: this.deps.clock.now(),
    });
    this.#enqueue(req.name, () => this.#deploy(record.name, initialVariants(config), 'Endpoint created'));
    return toView(record);
  }

  /** The endpoint; while an update shifts traffic, its stored step (the same through every node). */
  async get(name: string) {
    const record = await this.deps.store.endpoints.get(name);
    const state = storedRollout(record);
    const view = toView(record);
    return state && record.status === 'Updating' && state.step > 0 ? { ...view, pendingDeployment: pendingDeploymentOf(state) } : view;
  }

  async list(q: ListQuery & { status?: EndpointStatus }) {
    const page = await this.deps.store.endpoints.list(q);
    return {
      items: page.items.map((r) => {
        const { statusHistory: _h, ...rest } = toView(r);
        return rest;
      }),
      ...(page.nextToken ? { nextToken: page.nextToken } : {}),
    };
  }

  /**
   * Moves the endpoint to another config without dropping requests: the new (green) fleet starts
   * beside the old (blue) one, then traffic shifts by `deployment` (all at once, canary or
   * linear, with a bake after each step) while its alarms watch green; a breach, a timeout or a
   * green fleet that cannot start leaves blue serving. See rollout.ts.
   * @throws ValidationError for a deployment policy that does not fit; FailedPrecondition unless InService.
   */
  async update(name: string, configName: string, deployment: DeploymentConfig = DEFAULT_DEPLOYMENT): Promise<Endpoint> {
    const current = await this.#requireInService(name);
    const config = await this.deps.models.configSpec(configName);
    const variants = initialVariants(config);
    const steps = planDeployment(deployment, variants.reduce((n, v) => n + v.currentInstanceCount, 0));
    const state: StoredRollout = { config: configName, variants, deployment, steps, step: 0, startedAt: this.deps.clock.now().toISOString(), driver: this.#nodeId };
    this.#driving.add(name);
    let updated: EndpointRecord;
    try {
      updated = await this.#patch(name, {
        status: 'Updating',
        statusMessage: `Updating: starting config '${configName}' (${describePlan(deployment, steps)})`,
        failureReason: null,
        rollout: state as unknown as Record<string, unknown>,
      });
    } catch (e) {
      this.#driving.delete(name);
      throw e;
    }
    this.#enqueue(name, () => this.#rollOut(name, current.configName, state));
    return toView(updated);
  }

  get #nodeId(): string {
    return this.deps.node?.id ?? 'this node';
  }

  async #rollOut(name: string, blueConfig: string, state: StoredRollout) {
    try {
      const blue = this.#fleets.get(name);
      let green: Fleet;
      try {
        if (!blue) throw new PlatformError('Unavailable', 'the endpoint has no running fleet');
        // Its shadows and capture start with it, before any traffic reaches it.
        green = await this.#buildFleet(name, state.config, state.variants, 'required');
      } catch (e) {
        const reason = `update to config '${state.config}' failed: ${(e as Error).message}; still serving '${blueConfig}'`;
        this.deps.log.error({ endpoint: name, err: e }, 'endpoint update failed');
        await this.#patch(name, { status: 'InService', statusMessage: reason, failureReason: reason, rollout: null });
        return;
      }
      const rollout = new Rollout(blue, green, { config: state.config, steps: state.steps.length, startedAt: new Date(state.startedAt) });
      this.#rollouts.set(name, rollout);
      await this.#drive(name, rollout, blueConfig, state, 0);
    } finally {
      this.#driving.delete(name);
    }
  }

  /** Shifts traffic from step `fromStep` (0-based) on, cancellable by delete and shutdown. */
  async #drive(name: string, rollout: Rollout, blueConfig: string, state: StoredRollout, fromStep: number) {
    const abort = new AbortController();
    this.#cancels.set(name, abort);
    try {
      await this.#shift(name, rollout, abort, blueConfig, state, fromStep);
    } finally {
      this.#cancels.delete(name);
    }
  }

  async #shift(name: string, rollout: Rollout, abort: AbortController, blueConfig: string, state: StoredRollout, fromStep: number) {
    const { blue, green } = rollout;
    const { config: configName, variants, deployment } = state;
    const signal = abort.signal;
    // A node that stalled past its heartbeat may find that the leader took its update over: it
    // then stops driving and follows the stored steps like any other node (the rollout stays).
    const takenOver = new Error('another node took the update over');
    const stillMine = async () => {
      const record = await this.deps.store.endpoints.find(name);
      const mine = record !== undefined && storedRollout(record)?.driver === state.driver;
      if (!mine) this.deps.log.warn({ endpoint: name, config: configName }, 'endpoint update taken over by another node; following it');
      return mine;
    };
    // Each step is stored with the status, so every node's router follows it (syncLocal).
    const withStep = () => ({ ...state, step: rollout.step }) as unknown as Record<string, unknown>;
    const outcome = await shiftTraffic(rollout, deployment, {
      steps: state.steps,
      config: configName,
      signal,
      fromStep,
      startedAtMs: Date.parse(state.startedAt),
      ...(this.deps.clusterMetrics ? { alarmWindow: (s: number) => this.deps.clusterMetrics!.greenWindow(name, rollout, s) } : {}),
      onStep: async (message) => {
        if (await stillMine()) await this.#patch(name, { status: 'Updating', statusMessage: message, rollout: withStep() });
        else abort.abort(takenOver);
      },
    });
    if (signal.reason === takenOver || (!signal.aborted && !(await stillMine()))) return;
    if (outcome.completed) {
      // One synchronous hand-over: the next request finds green as the endpoint's only fleet.
      this.#fleets.set(name, green);
      this.#fleetConfigs.set(name, configName);
      this.#rollouts.delete(name);
      await this.#patch(name, { configName, variants, status: 'InService', statusMessage: `Serving config '${configName}'`, rollout: null });
      this.deps.log.info({ endpoint: name, config: configName, retriedOnBlue: rollout.retriedOnBlue }, 'endpoint update completed');
      const wait = deployment.terminationWaitSeconds ?? 0;
      if (wait > 0) await sleep(wait * 1000, signal).catch(() => undefined);
      await blue.stop();
      return;
    }
    if (signal.aborted) {
      // Deleted or shutting down: no status to report. In a cluster the leader resumes the
      // update (adoptOrphanRollouts); a single node's restart restores blue's config.
      await rollout.rollBack();
      this.#rollouts.delete(name);
      return;
    }
    this.deps.log.warn({ endpoint: name, config: configName, reason: outcome.reason }, 'endpoint update rolling back');
    await this.#patch(name, { status: 'RollingBack', statusMessage: `RollingBack: ${outcome.reason}; all traffic back to config '${blueConfig}'`, rollout: withStep() });
    await rollout.rollBack();
    this.#rollouts.delete(name);
    const reason = `rolled back: ${outcome.reason}; update to config '${configName}' abandoned, serving config '${blueConfig}'`;
    await this.#patch(name, { status: 'InService', statusMessage: reason, failureReason: reason, rollout: null });
  }

  /**
   * Several API nodes, on the leader: takes over each update whose driving node is not among
   * `live` (node ids); it goes on from its stored step here, or its rollback is finished.
   */
  async adoptOrphanRollouts(live: ReadonlySet<string>): Promise<void> {
    for (const e of await this.deps.store.endpoints.listAll()) {
      const state = storedRollout(e);
      if (!state || this.#driving.has(e.name) || (e.status !== 'Updating' && e.status !== 'RollingBack')) continue;
      if (state.driver !== this.#nodeId && live.has(state.driver)) continue;
      this.#driving.add(e.name);
      void this.#enqueue(e.name, () => this.#adopt(e.name, state.driver));
    }
  }

  async #adopt(name: string, dead: string) {
    try {
      const record = await this.deps.store.endpoints.find(name);
      const state = record && storedRollout(record);
      if (!record || !state || state.driver !== dead) return;
      const me = this.#nodeId;
      if (record.status === 'RollingBack') {
        await this.#endFollowing(name, record);
        const reason = `rolled back: node ${dead} died while rolling back the update to config '${state.config}'; node ${me} finished it, serving config '${record.configName}'`;
        await this.#patch(name, { status: 'InService', statusMessage: reason, failureReason: reason, rollout: null });
        return;
      }
      if (record.status !== 'Updating') return;
      await this.#follow(name, record, state);
      const rollout = this.#rollouts.get(name);
      if (!rollout) {
        const reason = `update to config '${state.config}' abandoned: node ${dead} died while driving it and node ${me} could not start the new config's replicas; still serving '${record.configName}'`;
        await this.#patch(name, { status: 'InService', statusMessage: reason, failureReason: reason, rollout: null });
        return;
      }
      // The step under way starts again with a full bake: the alarms now read this node's requests.
      const fromStep = Math.max(0, state.step - 1);
      const mine: StoredRollout = { ...state, driver: me };
      this.deps.log.warn({ endpoint: name, config: state.config, deadNode: dead, step: fromStep + 1 }, 'resuming an endpoint update whose node died');
      await this.#patch(name, {
        status: 'Updating',
        statusMessage: `Updating: node ${me} resumes the update to config '${state.config}' at step ${fromStep + 1} of ${state.steps.length} (node ${dead} died)`,
        rollout: mine as unknown as Record<string, unknown>,
      });
      await this.#drive(name, rollout, record.configName, mine, fromStep);
    } finally {
      this.#driving.delete(name);
    }
  }

  /**
   * Follows an update another node drives: starts green here beside blue (once; blue too on a
   * node that joined mid-update), then routes by the stored step. A node that cannot start green
   * keeps serving blue and says so in its log.
   */
  async #follow(name: string, record: EndpointRecord, state: StoredRollout) {
    let rollout = this.#rollouts.get(name);
    if (rollout && rollout.plan.config !== state.config) {
      this.#rollouts.delete(name);
      await rollout.rollBack();
      rollout = undefined;
    }
    if (!rollout) {
      let green: Fleet;
      let blue: Fleet;
      try {
        blue = this.#fleets.get(name) ?? (await this.#deployLocal(name, record));
        green = await this.#buildFleet(name, state.config, state.variants, 'best-effort');
      } catch (e) {
        this.deps.log.warn({ endpoint: name, config: state.config, err: e }, 'could not start the new config to follow an update; this node serves the old one until it completes');
        return;
      }
      rollout = new Rollout(blue, green, { config: state.config, steps: state.steps.length, startedAt: new Date(state.startedAt) });
      this.#rollouts.set(name, rollout);
      this.deps.log.info({ endpoint: name, config: state.config, driver: state.driver }, 'following an endpoint update (cluster sync)');
    }
    rollout.step = state.step;
    rollout.greenShare = greenShareOf(state);
  }

  /** A followed update is over: green becomes the fleet if the endpoint now serves its config, else green stops. */
  async #endFollowing(name: string, record: EndpointRecord | undefined) {
    const rollout = this.#rollouts.get(name);
    if (!rollout) return;
    this.#rollouts.delete(name);
    if (record?.status !== 'InService' || record.configName !== rollout.plan.config) {
      await rollout.rollBack();
      return;
    }
    this.#fleets.set(name, rollout.green);
    this.#fleetConfigs.set(name, record.configName);
    this.deps.log.info({ endpoint: name, config: record.configName }, 'endpoint update completed (cluster sync)');
    await rollout.blue.stop();
  }

  /** The driving node learns of a delete through another node: its shift ends (delete() on this node cancels directly). */
  async #cancelIfDeleted(name: string) {
    const record = await this.deps.store.endpoints.find(name).catch(() => undefined);
    if (!record || record.status === 'Deleting') this.#cancels.get(name)?.abort(new Error('cancelled: the endpoint is being deleted'));
  }

  /** Changes weights and instance counts of live variants (UpdateEndpointWeightsAndCapacities). */
  async updateWeights(name: string, req: UpdateWeightsRequest): Promise<Endpoint> {
    const record = await this.#requireInService(name);
    const variants = structuredClone(record.variants as EndpointVariantState[]);
    for (const change of req.variants) {
      const v = variants.find((x) => x.name === change.name);
      if (!v) throw validationError(`endpoint '${name}' has no variant '${change.name}'; variants: ${variants.map((x) => x.name).join(', ')}`, { variant: change.name });
      if (change.weight !== undefined) v.desiredWeight = change.weight;
      if (change.instanceCount !== undefined) v.desiredInstanceCount = change.instanceCount;
    }
    if (variants.every((v) => v.desiredWeight === 0)) throw validationError('at least one variant needs a weight above 0', { field: 'variants' });
    const updated = await this.#patch(name, { status: 'Updating', statusMessage: 'Updating weights and capacities', variants });
    this.#enqueue(name, async () => {
      const fleet = this.#fleets.get(name);
      for (const v of variants) {
        await fleet?.pool(v.name).scale(v.desiredInstanceCount);
        fleet?.setWeight(v.name, v.desiredWeight);
        v.currentWeight = v.desiredWeight;
        v.currentInstanceCount = v.desiredInstanceCount;
      }
      await this.#patch(name, { status: 'InService', statusMessage: 'Weights and capacities updated', variants });
    });
    return toView(updated);
  }

  /** The stored status and live variant state, for the autoscaler; undefined once deleted. */
  async find(name: string): Promise<{ status: EndpointStatus; variants: EndpointVariantState[] } | undefined> {
    const r = await this.deps.store.endpoints.find(name);
    return r && { status: r.status, variants: r.variants as EndpointVariantState[] };
  }

  /** The variant's summed request time so far, in ms (VariantPool.busyMs); undefined when it is not running. */
  busyMs(name: string, variant: string): number | undefined {
    return this.#fleets.get(name)?.pools.find((p) => p.name === variant)?.busyMs;
  }

  /**
   * Resizes one live variant (the autoscaler's path): replicas are added or drained in place, the
   * variant state records the count, and the status history is left alone (the scaling events
   * record it). Resolves false when the endpoint cannot change now: not InService, mid-update,
   * or the variant is gone.
   */
  async scaleVariant(name: string, variant: string, count: number): Promise<boolean> {
    let done = false;
    await this.#enqueue(name, async () => {
      const record = await this.deps.store.endpoints.find(name);
      const fleet = this.#fleets.get(name);
      if (!record || record.status !== 'InService' || !fleet || this.#rollouts.has(name)) return;
      const variants = structuredClone(record.variants as EndpointVariantState[]);
      const v = variants.find((x) => x.name === variant);
      if (!v || !fleet.pools.some((p) => p.name === variant)) return;
      await fleet.pool(variant).scale(count);
      v.currentInstanceCount = v.desiredInstanceCount = count;
      await this.#patch(name, { variants });
      done = true;
    });
    return done;
  }

  async delete(name: string): Promise<void> {
    await this.deps.store.endpoints.get(name);
    await this.#patch(name, { status: 'Deleting', statusMessage: 'Deleting' });
    this.#cancels.get(name)?.abort(new Error('cancelled: the endpoint is being deleted'));
    await this.#ops.get(name)?.catch(() => undefined);
    // An update this node followed (another node drove it) still has its green fleet here.
    const followed = this.#rollouts.get(name);
    this.#rollouts.delete(name);
    await followed?.rollBack();
    const fleet = this.#fleets.get(name);
    this.#fleets.delete(name);
    this.#fleetConfigs.delete(name);
    await fleet?.stop();
    this.metrics.drop(name);
    await this.deps.store.endpointScaling.deleteEndpoint(name);
    await this.deps.store.endpoints.delete(name);
  }

  /**
   * Answers one request from the endpoint's fleet (or its rollout), then, off the caller's path,
   * records metrics, offers the pair to data capture and copies it to shadow variants.
   */
  invoke(name: string, req: InvokeRequest, targetVariant?: string, opts: InvokeOptions = {}): Promise<InvokeResult & { variant: string }> {
    const fleet = this.#rollouts.get(name) ?? this.#fleets.get(name);
    // Not async: the hot path hands back #observed's own promise, with no extra await.
    return fleet ? this.#observed(name, fleet, req, targetVariant, opts) : this.#notServing(name);
  }

  async #notServing(name: string): Promise<never> {
    const record = await this.deps.store.endpoints.find(name);
    if (!record) throw notFound('endpoint', name);
    if (record.status === 'InService') {
      // InService in the store but no replicas here yet: this node is still starting them.
      throw new PlatformError('Unavailable', `endpoint '${name}' is InService but its replicas on this node are still starting; retry in a moment`, { status: record.status });
    }
    throw new PlatformError('Unavailable', `endpoint '${name}' is ${record.status}, not InService; wait until it is InService`, { status: record.status });
  }

  async #observed(
    name: string,
    fleet: { invoke(req: FleetRequest, target?: string): Promise<InvokeResult & { variant: string }> },
    req: InvokeRequest,
    target: string | undefined,
    opts: InvokeOptions,
  ): Promise<InvokeResult & { variant: string }> {
    const startedAt = opts.startedAt ?? performance.now();
    // Also says which fleet took the request: its config's shadows and capture observe it.
    const trace: FleetTrace = { variant: undefined, modelMs: -1, fleet: undefined };
    // Capture and shadows get the request as the caller sent it, without the trace.
    const plain: InvokeRequest = req.trace ? { body: req.body, contentType: req.contentType, accept: req.accept } : req;
    let result: InvokeResult & { variant: string };
    try {
      result = await fleet.invoke({ body: req.body, contentType: req.contentType, accept: req.accept, trace }, target);
    } catch (e) {
      if (trace.variant !== undefined) {
        const status = isPlatformError(e) ? httpStatusOf(e.code) : 500;
        this.metrics.recordInvocation({ endpoint: name, variant: trace.variant, status, modelMs: trace.modelMs, totalMs: performance.now() - startedAt });
        trace.fleet?.observers.failed(plain, opts.inferenceId);
      }
      throw e;
    }
    this.metrics.recordInvocation({ endpoint: name, variant: result.variant, status: 200, modelMs: trace.modelMs, totalMs: performance.now() - startedAt });
    trace.fleet?.observers.answered(result.variant, plain, result, opts.inferenceId);
    return result;
  }

  /** Time series of the endpoint's invocations per variant (GET …/metrics). */
  async metricsOf(name: string, periodSeconds: number, windowSeconds: number) {
    await this.deps.store.endpoints.get(name);
    const capture = this.#fleets.get(name)?.observers.capture?.stats;
    const series = this.deps.clusterMetrics ? await this.deps.clusterMetrics.series(name, periodSeconds, windowSeconds) : this.metrics.series(name, periodSeconds, windowSeconds);
    return { endpoint: name, ...series, ...(capture ? { capture: { ...capture } } : {}) };
  }

  /** Prometheus exposition: the invocation metrics plus data capture and shadow counters. */
  prometheusText(): string {
    const lines = [
      '# HELP stratus_data_capture_records_total Data capture records, by outcome (captured, dropped, written).',
      '# TYPE stratus_data_capture_records_total counter',
    ];
    for (const [name, { observers }] of this.#fleets) {
      const c = observers.capture;
      if (c) for (const outcome of ['captured', 'dropped', 'written'] as const) lines.push(`stratus_data_capture_records_total{endpoint="${name}",outcome="${outcome}"} ${c.stats[outcome]}`);
    }
    lines.push('# HELP stratus_shadow_requests_total Requests copied to shadow variants, by outcome (mirrored, skipped, failed).', '# TYPE stratus_shadow_requests_total counter');
    for (const [name, { observers }] of this.#fleets) {
      for (const c of observers.shadows?.comparison() ?? []) {
        const l = `endpoint="${name}",variant="${c.variant}"`;
        lines.push(`stratus_shadow_requests_total{${l},outcome="mirrored"} ${c.mirrored}`, `stratus_shadow_requests_total{${l},outcome="skipped"} ${c.skipped}`, `stratus_shadow_requests_total{${l},outcome="failed"} ${c.shadowErrors}`);
      }
    }
    return this.metrics.prometheusText() + lines.join('\n') + '\n';
  }

  /** How each shadow variant's answers compare with production's (GET …/shadow-comparison). */
  async shadowComparison(name: string): Promise<{ endpoint: string; tolerance: number; shadows: ShadowComparison[] }> {
    await this.deps.store.endpoints.get(name);
    return { endpoint: name, tolerance: SHADOW_AGREEMENT_TOLERANCE, shadows: this.#fleets.get(name)?.observers.shadows?.comparison() ?? [] };
  }

  /** Data capture counters of an endpoint's serving config; undefined when it does not capture. */
  captureStats(name: string) {
    return this.#fleets.get(name)?.observers.capture?.stats;
  }

  /** Resolves once buffered capture records are written and shadow copies answered, both fleets' during an update (tests). */
  async flushObservers(name: string): Promise<void> {
    const rollout = this.#rollouts.get(name);
    const fleets = new Set([this.#fleets.get(name), rollout?.blue, rollout?.green]);
    await Promise.all([...fleets].map((f) => f?.observers.flush()));
  }

  /** Starts the shadow variants and data capture of an endpoint config, for the fleet that serves it. */
  async #startObservers(name: string, configName: string): Promise<FleetObservers> {
    const spec = await this.deps.models.configSpec(configName);
    const targets: ConstructorParameters<typeof ShadowFleet>[0] = [];
    try {
      for (const v of spec.shadowVariants ?? []) {
        const model = await this.deps.store.models.get(v.model);
        const runtime = await this.deps.runtimes.forModel(model, `shadow variant '${v.name}'`);
        const pool = new VariantPool(v.name, v.model, runtime, this.deps.log);
        targets.push({ spec: v, pool });
        await pool.start(v.instanceCount);
      }
    } catch (e) {
      await Promise.all(targets.map((t) => t.pool.stop()));
      throw e;
    }
    const capture = spec.dataCapture?.enabled && this.deps.artifacts
      ? new CaptureWriter({ endpoint: name, spec: spec.dataCapture, store: this.deps.artifacts, log: this.deps.log.child({ endpoint: name }) })
      : undefined;
    const shadows = targets.length ? new ShadowFleet(targets, { endpoint: name, metrics: this.metrics, log: this.deps.log, capture: () => capture }) : undefined;
    return shadows || capture ? new FleetObservers(shadows, capture) : FleetObservers.NONE;
  }

  /** After a restart: every endpoint comes back from its stored config and variant state. */
  async recover(): Promise<void> {
    for (const e of await this.deps.store.endpoints.listAll()) {
      if (e.status === 'Deleting') {
        await this.deps.store.endpoints.delete(e.name);
      } else if (e.status !== 'Failed') {
        const variants = (e.variants as EndpointVariantState[]).map((v) => ({ ...v, currentWeight: v.desiredWeight, currentInstanceCount: v.desiredInstanceCount }));
        await this.#patch(e.name, { status: 'Creating', statusMessage: 'Restoring after a server restart', variants, rollout: null });
        this.#enqueue(e.name, () => this.#deploy(e.name, variants, 'Restored after a server restart'));
      }
    }
  }

  /** The updates this node routes now, driven here or followed (cluster-metrics.ts publishes their green requests). */
  rolloutsHere(): GreenSource[] {
    return [...this.#rollouts].map(([endpoint, rollout]) => ({ endpoint, rollout }));
  }

  /** Names of the endpoints with replicas on this node. */
  localNames(): string[] {
    return [...this.#fleets.keys()];
  }

  /**
   * Several API nodes (endpoint-sync.ts): makes this node's replicas match the stored endpoint
   * and writes nothing, since the node that took the API call owns the status. An update under
   * way is followed (its green fleet started here, traffic split by the stored step); when it
   * completes green takes over here too, when it rolls back green goes. For an InService
   * endpoint a new config replaces the local fleet, new weights and instance counts apply in
   * place; a deleted, Deleting or Failed endpoint loses its local replicas. Runs after the
   * endpoint's pending changes; on the node driving the update it only watches for a delete.
   */
  syncLocal(name: string): Promise<void> {
    if (this.#driving.has(name)) return this.#cancelIfDeleted(name);
    return this.#enqueue(name, async () => {
      if (this.#driving.has(name)) return;
      const record = await this.deps.store.endpoints.find(name);
      const state = record && storedRollout(record);
      if (record?.status === 'Updating' && state) return this.#follow(name, record, state);
      await this.#endFollowing(name, record);
      const fleet = this.#fleets.get(name);
      if (!record || record.status === 'Deleting' || record.status === 'Failed') {
        if (!fleet) return;
        this.#fleets.delete(name);
        this.#fleetConfigs.delete(name);
        await fleet.stop();
        this.metrics.drop(name);
        this.deps.log.info({ endpoint: name }, 'endpoint replicas removed (cluster sync)');
        return;
      }
      if (record.status !== 'InService') return;
      const variants = record.variants as EndpointVariantState[];
      const sameVariants = fleet && variants.length === fleet.pools.length && variants.every((v) => fleet.pools.some((p) => p.name === v.name));
      if (fleet && sameVariants && this.#fleetConfigs.get(name) === record.configName) {
        for (const v of variants) {
          await fleet.pool(v.name).scale(v.currentInstanceCount);
          fleet.setWeight(v.name, v.currentWeight);
        }
        return;
      }
      await this.#deployLocal(name, record);
      await fleet?.stop();
    });
  }

  /** Starts this node's replicas of the stored config and variants (cluster sync), in place of any it had. */
  async #deployLocal(name: string, record: EndpointRecord): Promise<Fleet> {
    const next = await this.#buildFleet(name, record.configName, record.variants as EndpointVariantState[], 'best-effort');
    this.#fleets.set(name, next);
    this.#fleetConfigs.set(name, record.configName);
    this.deps.log.info({ endpoint: name, config: record.configName }, 'endpoint replicas deployed (cluster sync)');
    return next;
  }

  /** Resolves once every pending change (deploys, updates) has finished. */
  async settled(name: string): Promise<void> {
    await this.#ops.get(name);
  }

  async close(): Promise<void> {
    for (const c of this.#cancels.values()) c.abort(new Error('cancelled: the server is shutting down'));
    await Promise.allSettled(this.#ops.values());
    // Green fleets of updates this node followed (a driven update rolled back when cancelled).
    await Promise.all([...this.#rollouts.values()].map((r) => r.green.stop()));
    this.#rollouts.clear();
    await Promise.all([...this.#fleets.values()].map((f) => f.stop()));
    this.#fleets.clear();
  }

  async #deploy(name: string, variants: EndpointVariantState[], message: string) {
    try {
      const configName = (await this.deps.store.endpoints.get(name)).configName;
      this.#fleets.set(name, await this.#buildFleet(name, configName, variants, 'required'));
      this.#fleetConfigs.set(name, configName);
      await this.#patch(name, { status: 'InService', statusMessage: message, failureReason: null });
    } catch (e) {
      const reason = (e as Error).message;
      this.deps.log.error({ endpoint: name, err: e }, 'endpoint deployment failed');
      await this.#patch(name, { status: 'Failed', statusMessage: reason, failureReason: reason });
    }
  }

  /**
   * Starts the replicas of a config's variants, and its shadow variants and data capture. A
   * shadow that cannot start fails the fleet when `observers` is 'required' (the node that takes
   * the API call); a node following the change serves without it and logs why ('best-effort').
   */
  async #buildFleet(name: string, configName: string, variants: EndpointVariantState[], observers: 'required' | 'best-effort'): Promise<Fleet> {
    const pools: VariantPool[] = [];
    let watching = FleetObservers.NONE;
    try {
      for (const v of variants) {
        const model = await this.deps.store.models.get(v.model);
        const runtime = await this.deps.runtimes.forModel(model, `variant '${v.name}'`);
        const pool = new VariantPool(v.name, v.model, runtime, this.deps.log);
        pools.push(pool);
        await pool.start(v.currentInstanceCount);
      }
      watching = await this.#startObservers(name, configName).catch((e: unknown) => {
        if (observers === 'required') throw e;
        this.deps.log.warn({ endpoint: name, config: configName, err: e }, 'shadow variants or data capture did not start');
        return FleetObservers.NONE;
      });
    } catch (e) {
      await Promise.all(pools.map((p) => p.stop()));
      throw e;
    }
    return new Fleet(pools, variants.map((v) => v.currentWeight), watching);
  }

  async #requireInService(name: string) {
    const record = await this.deps.store.endpoints.get(name);
    if (record.status !== 'InService') {
      throw failedPrecondition(`endpoint '${name}' is ${record.status}; it can change only when InService`, { status: record.status });
    }
    return record;
  }

  #patch(name: string, patch: EndpointPatch) {
    return this.deps.store.endpoints.update(name, patch, this.deps.clock.now());
  }

  /** Runs `op` after the endpoint's pending changes; resolves when it has run (it never rejects). */
  #enqueue(name: string, op: () => Promise<void>): Promise<void> {
    const prev = this.#ops.get(name) ?? Promise.resolve();
    const next = prev.then(op).catch((e: unknown) => this.deps.log.error({ endpoint: name, err: e }, 'endpoint operation failed'));
    this.#ops.set(name, next);
    return next;
  }
}
