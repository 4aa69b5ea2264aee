import type { ScalingEvent, ScalingEventList, ScalingPolicy, ScalingPolicyList, ScalingPolicyRequest } from '../contracts/deployment.js';
import type { EndpointVariantState } from '../contracts/endpoint.js';
import type { Clock } from '../core/clock.js';
import { validationError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { MetadataStore, ScalingEventRecord, ScalingPolicyRecord } from '../store/metadata-store.js';

/**
 * Autoscaling of endpoint variants: target tracking on invocations per instance per minute
 * (Application Auto Scaling's SageMakerVariantInvocationsPerInstance), optionally also on the
 * replicas' busy share, with scale-out and scale-in cooldowns. Policies and decisions are stored,
 * so they survive a restart; a loop evaluates every policy each `intervalMs`.
 *
 * On several API nodes only the leader evaluates, from every node's invocations (ClusterMetrics):
 * each node runs the variant's instance count, so the rate per instance is the cluster's rate
 * over (instances × nodes). The busy share is the leader's own replicas'. Resizes go through
 * EndpointService.scaleVariant, whose stored change every node applies.
 */

/** Invocation counts of a variant over a window: EndpointMetrics (one node) or ClusterMetrics (every node) satisfies it. */
export interface InvocationWindows {
  window(endpoint: string, variant: string | undefined, seconds: number): { invocations: number } | Promise<{ invocations: number }>;
}

/** What the autoscaler needs from the endpoints. */
export interface ScalableEndpoints {
  /** The endpoint's stored state, or undefined once it is gone. */
  find(name: string): Promise<{ status: string; variants: EndpointVariantState[] } | undefined>;
  /** Resizes a live variant; false when the endpoint could not change now (not InService, mid-update, variant gone). */
  scaleVariant(name: string, variant: string, count: number): Promise<boolean>;
  /** The variant's summed request time so far, in ms; undefined when it is not running. Sampled for the busy share. */
  busyMs?(name: string, variant: string): number | undefined;
}

export interface AutoscalerDeps {
  store: MetadataStore;
  endpoints: ScalableEndpoints;
  metrics: InvocationWindows;
  clock: Clock;
  log: Logger;
  /** How often every policy is evaluated. @defaultValue 1000 */
  intervalMs?: number;
  /** Several API nodes: only the leader evaluates (one decision per cluster). @defaultValue always the leader */
  dispatcher?: { readonly leader: boolean };
  /** Several API nodes: how many nodes serve (each runs every variant's instance count). @defaultValue 1 */
  nodes?: () => Promise<number>;
}

const DEFAULT_COOLDOWN_SECONDS = 300;
const DEFAULT_WINDOW_SECONDS = 60;

/** A policy with its defaults filled in. */
export type ResolvedPolicy = Required<Omit<ScalingPolicyRequest, 'targetCpuPercent'>> & Pick<ScalingPolicyRequest, 'targetCpuPercent'>;

export const resolvePolicy = (r: ScalingPolicyRequest): ResolvedPolicy => ({
  ...r,
  scaleOutCooldownSeconds: r.scaleOutCooldownSeconds ?? DEFAULT_COOLDOWN_SECONDS,
  scaleInCooldownSeconds: r.scaleInCooldownSeconds ?? DEFAULT_COOLDOWN_SECONDS,
  metricWindowSeconds: r.metricWindowSeconds ?? DEFAULT_WINDOW_SECONDS,
});

/** What one evaluation saw. */
export interface Observation {
  /** The variant's instance count on each node. */
  current: number;
  /** Over every node serving. */
  invocationsPerMinute: number;
  /** Nodes serving the variant, `current` instances each. @defaultValue 1 */
  nodes?: number;
  cpuPercent?: number;
  /** Epoch ms. */
  now: number;
  /** Epoch ms of the last scale-out and scale-in of this variant (0: never). */
  lastScaleOut: number;
  lastScaleIn: number;
}

export interface Decision {
  action: ScalingEvent['action'];
  to: number;
  reason: string;
}

/**
 * Target tracking: desired = ceil(invocations per minute / target per instance), and with a CPU
 * target also ceil(current × busy% / target%); the larger wins (scale out when either asks, in
 * only when both allow), clamped to [min, max]. A count outside [min, max] is corrected at once.
 * Scale-out waits out the scale-out cooldown; scale-in waits out both cooldowns.
 */
export function decide(p: ResolvedPolicy, o: Observation): Decision | undefined {
  const nodes = Math.max(1, o.nodes ?? 1);
  const byRate = Math.ceil(o.invocationsPerMinute / (p.targetInvocationsPerInstancePerMinute * nodes) - 1e-9);
  const byCpu = p.targetCpuPercent !== undefined && o.cpuPercent !== undefined ? Math.ceil((o.current * o.cpuPercent) / p.targetCpuPercent - 1e-9) : 0;
  const desired = Math.min(p.maxInstances, Math.max(p.minInstances, byRate, byCpu));
  const measured = `${round(o.invocationsPerMinute)} invocations/min over ${p.metricWindowSeconds} s${nodes > 1 ? ` on ${nodes} nodes` : ''}${o.cpuPercent !== undefined ? `, ${round(o.cpuPercent)}% busy` : ''}`;
  if (o.current < p.minInstances || o.current > p.maxInstances) {
    return { action: 'clamp', to: Math.min(p.maxInstances, Math.max(p.minInstances, o.current)), reason: `instance count ${o.current} outside the policy's ${p.minInstances}..${p.maxInstances}` };
  }
  const sinceOut = (o.now - o.lastScaleOut) / 1000;
  const sinceIn = (o.now - o.lastScaleIn) / 1000;
  if (desired > o.current && sinceOut >= p.scaleOutCooldownSeconds) {
    return { action: 'scale-out', to: desired, reason: `${measured}; target ${p.targetInvocationsPerInstancePerMinute}/instance${p.targetCpuPercent !== undefined ? ` and ${p.targetCpuPercent}% busy` : ''} needs ${desired}` };
  }
  if (desired < o.current && sinceIn >= p.scaleInCooldownSeconds && sinceOut >= p.scaleOutCooldownSeconds) {
    return { action: 'scale-in', to: desired, reason: `${measured}; target ${p.targetInvocationsPerInstancePerMinute}/instance${p.targetCpuPercent !== undefined ? ` and ${p.targetCpuPercent}% busy` : ''} needs ${desired}` };
  }
  return undefined;
}

const round = (x: number) => Number(x.toFixed(1));

const toPolicyView = (r: ScalingPolicyRecord): ScalingPolicy => ({
  endpoint: r.endpoint,
  variant: r.variant,
  ...(r.policy as ResolvedPolicy),
  updatedAt: r.updatedAt.toISOString(),
});

const toEventView = (r: ScalingEventRecord): ScalingEvent => ({
  endpoint: r.endpoint,
  variant: r.variant,
  at: r.at.toISOString(),
  action: r.action as ScalingEvent['action'],
  fromInstances: r.fromInstances,
  toInstances: r.toInstances,
  ...(typeof r.detail.invocationsPerMinute === 'number' ? { invocationsPerMinute: r.detail.invocationsPerMinute } : {}),
  ...(typeof r.detail.cpuPercent === 'number' ? { cpuPercent: r.detail.cpuPercent } : {}),
  reason: String(r.detail.reason ?? ''),
});

/** The autoscaling service: policies, the evaluation loop, the decision log. */
export class Autoscaler {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  /** Last scale-out / scale-in per `endpoint/variant`, loaded from the stored events on first use. */
  #last = new Map<string, { out: number; in: number }>();
  /** busyMs samples per `endpoint/variant`, oldest first, kept for the policy's window. */
  #busy = new Map<string, Array<{ t: number; busyMs: number }>>();
  /** False while another node leads: the caches above are then stale, and reloaded on taking over. */
  #leading = true;

  constructor(private readonly deps: AutoscalerDeps) {}

  /**
   * Sets (or replaces) a variant's policy; it applies from the next evaluation.
   * @throws NotFound for an unknown endpoint; ValidationError for an unknown variant or min > max.
   */
  async putPolicy(endpoint: string, variant: string, req: ScalingPolicyRequest): Promise<ScalingPolicy> {
    const record = await this.deps.store.endpoints.get(endpoint);
    const variants = record.variants as EndpointVariantState[];
    if (!variants.some((v) => v.name === variant)) {
      throw validationError(`endpoint '${endpoint}' has no variant '${variant}'; variants: ${variants.map((v) => v.name).join(', ')}`, { variant });
    }
    if (req.minInstances > req.maxInstances) throw validationError(`minInstances (${req.minInstances}) is above maxInstances (${req.maxInstances})`, { field: 'minInstances' });
    const stored: ScalingPolicyRecord = { endpoint, variant, policy: resolvePolicy(req), updatedAt: this.deps.clock.now() };
    await this.deps.store.endpointScaling.putPolicy(stored);
    return toPolicyView(stored);
  }

  async policies(endpoint: string): Promise<ScalingPolicyList> {
    await this.deps.store.endpoints.get(endpoint);
    return { items: (await this.deps.store.endpointScaling.policies(endpoint)).map(toPolicyView) };
  }

  /** @throws NotFound when the variant has no policy. */
  async deletePolicy(endpoint: string, variant: string): Promise<void> {
    await this.deps.store.endpointScaling.deletePolicy(endpoint, variant);
  }

  /** Decisions, newest first. */
  async events(endpoint: string, q: { variant?: string; limit?: number } = {}): Promise<ScalingEventList> {
    await this.deps.store.endpoints.get(endpoint);
    return { items: (await this.deps.store.endpointScaling.events(endpoint, q)).map(toEventView) };
  }

  /** Forgets an endpoint's policies and decisions (it was deleted). */
  async forget(endpoint: string): Promise<void> {
    await this.deps.store.endpointScaling.deleteEndpoint(endpoint);
    for (const key of this.#last.keys()) if (key.startsWith(`${endpoint}/`)) this.#last.delete(key);
  }

  /** Starts the evaluation loop (after restart reconciliation). */
  start(): void {
    if (this.#timer) return;
    const every = this.deps.intervalMs ?? 1000;
    const loop = () => {
      this.#running = this.tick()
        .catch((e: unknown) => this.deps.log.error({ err: e }, 'autoscaler evaluation failed'))
        .finally(() => {
          if (this.#timer) this.#timer = setTimeout(loop, every);
        });
    };
    this.#timer = setTimeout(loop, every);
  }

  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  /**
   * Evaluates every stored policy once, on the leader only; one policy's failure does not stop
   * the others.
   */
  async tick(): Promise<void> {
    if (!this.#leader()) return;
    const policies = await this.deps.store.endpointScaling.policies();
    const nodes = policies.length && this.deps.nodes ? await this.deps.nodes() : 1;
    for (const record of policies) {
      if (!this.#leader()) return;
      await this.#evaluate(record, nodes).catch((e: unknown) => this.deps.log.error({ err: e, endpoint: record.endpoint, variant: record.variant }, 'autoscaling evaluation failed'));
    }
  }

  /** Whether this node decides now; a node that takes the lead over forgets what it cached before. */
  #leader(): boolean {
    const leader = this.deps.dispatcher?.leader ?? true;
    if (leader && !this.#leading) {
      this.#last.clear();
      this.#busy.clear();
    }
    this.#leading = leader;
    return leader;
  }

  async #evaluate(record: ScalingPolicyRecord, nodes: number): Promise<void> {
    const policy = record.policy as ResolvedPolicy;
    const endpoint = await this.deps.endpoints.find(record.endpoint);
    if (!endpoint) {
      await this.forget(record.endpoint);
      return;
    }
    if (endpoint.status !== 'InService') return;
    const variant = endpoint.variants.find((v) => v.name === record.variant);
    if (!variant) return;
    const key = `${record.endpoint}/${record.variant}`;
    const last = this.#last.get(key) ?? (await this.#loadLast(record.endpoint, record.variant));
    this.#last.set(key, last);
    const seconds = policy.metricWindowSeconds;
    const observation: Observation = {
      current: variant.currentInstanceCount,
      invocationsPerMinute: ((await this.deps.metrics.window(record.endpoint, record.variant, seconds)).invocations / seconds) * 60,
      nodes,
      cpuPercent: policy.targetCpuPercent === undefined ? undefined : this.#busyPercent(key, record, seconds, variant.currentInstanceCount),
      now: this.deps.clock.now().getTime(),
      lastScaleOut: last.out,
      lastScaleIn: last.in,
    };
    const decision = decide(policy, observation);
    if (!decision || decision.to === observation.current) return;
    if (!(await this.deps.endpoints.scaleVariant(record.endpoint, record.variant, decision.to))) return;
    const at = this.deps.clock.now();
    if (decision.to > observation.current) last.out = at.getTime();
    else last.in = at.getTime();
    await this.deps.store.endpointScaling.appendEvent({
      endpoint: record.endpoint,
      variant: record.variant,
      at,
      action: decision.action,
      fromInstances: observation.current,
      toInstances: decision.to,
      detail: { reason: decision.reason, invocationsPerMinute: round(observation.invocationsPerMinute), ...(observation.cpuPercent !== undefined ? { cpuPercent: round(observation.cpuPercent) } : {}) },
    });
    this.deps.log.info({ endpoint: record.endpoint, variant: record.variant, from: observation.current, to: decision.to, reason: decision.reason }, 'endpoint variant scaled');
  }

  /**
   * Busy share of the variant's instances over the window, in percent: request time per
   * instance-second (above 100 when requests queue). Undefined until two samples exist.
   */
  #busyPercent(key: string, r: { endpoint: string; variant: string }, seconds: number, instances: number): number | undefined {
    const busyMs = this.deps.endpoints.busyMs?.(r.endpoint, r.variant);
    if (busyMs === undefined) return undefined;
    const t = this.deps.clock.now().getTime();
    let samples = this.#busy.get(key) ?? [];
    // A smaller total means a new fleet (an update replaced the pool): start over.
    if (samples.length && samples.at(-1)!.busyMs > busyMs) samples = [];
    samples.push({ t, busyMs });
    while (samples.length > 2 && samples[1].t <= t - seconds * 1000) samples.shift();
    this.#busy.set(key, samples);
    const first = samples[0];
    if (samples.length < 2 || t <= first.t) return undefined;
    return ((busyMs - first.busyMs) / ((t - first.t) * Math.max(1, instances))) * 100;
  }

  async #loadLast(endpoint: string, variant: string) {
    const last = { out: 0, in: 0 };
    for (const e of await this.deps.store.endpointScaling.events(endpoint, { variant, limit: 50 })) {
      if (e.toInstances > e.fromInstances && !last.out) last.out = e.at.getTime();
      if (e.toInstances < e.fromInstances && !last.in) last.in = e.at.getTime();
    }
    return last;
  }
}
