import type { CapacitySize, DeploymentConfig, TrafficRouting } from '../contracts/deployment.js';
import { sleep } from '../core/clock.js';
import { validationError } from '../core/errors.js';
import { describeBreach, firstBreach, isServerFault, OutcomeWindow, type WindowStats } from './alarms.js';
import type { Fleet, FleetRequest } from './fleet.js';
import type { InvokeResult } from './runtimes/runtime.js';

/**
 * Safe updates: a blue/green deployment whose traffic moves from the old (blue) fleet to the new
 * (green) one in steps, with alarms on green's own requests and an automatic rollback.
 *
 * The zero-failure rule: a request sent to green that fails with a server or model fault (5xx,
 * ModelError unless the model answered 4xx, a replica that went away) is retried once on blue,
 * which keeps serving until the shift completes. Green's alarms still see the failure. Caller
 * faults (4xx) are not retried: blue would refuse them too.
 */

/** When nothing is asked for: everything at once, no bake, no alarms (the previous behaviour). */
export const DEFAULT_DEPLOYMENT: DeploymentConfig = { trafficRouting: { type: 'ALL_AT_ONCE', waitIntervalSeconds: 0 } };

/**
 * Green's share of the traffic after each step, ascending and ending with 1. `greenInstances`
 * is the new fleet's instance count, the base of INSTANCE_COUNT sizes.
 * @throws ValidationError when CANARY lacks canarySize or LINEAR lacks linearStepSize.
 */
export function trafficSteps(routing: TrafficRouting, greenInstances: number): number[] {
  const fraction = (size: CapacitySize) =>
    Math.min(1, size.type === 'CAPACITY_PERCENT' ? size.value / 100 : size.value / Math.max(1, greenInstances));
  switch (routing.type) {
    case 'ALL_AT_ONCE':
      return [1];
    case 'CANARY': {
      if (!routing.canarySize) throw validationError('trafficRouting type CANARY needs canarySize, e.g. {"type":"CAPACITY_PERCENT","value":10}', { field: 'deployment.trafficRouting.canarySize' });
      const canary = fraction(routing.canarySize);
      return canary >= 1 ? [1] : [canary, 1];
    }
    case 'LINEAR': {
      if (!routing.linearStepSize) throw validationError('trafficRouting type LINEAR needs linearStepSize, e.g. {"type":"CAPACITY_PERCENT","value":25}', { field: 'deployment.trafficRouting.linearStepSize' });
      const step = fraction(routing.linearStepSize);
      const steps: number[] = [];
      for (let k = 1; k * step < 1 - 1e-9; k++) steps.push(k * step);
      return [...steps, 1];
    }
  }
}

/** `10%`, `33.3%` */
export const percent = (share: number) => `${Number((share * 100).toFixed(1))}%`;

/** One line describing the plan, for the status history. */
export function describePlan(policy: DeploymentConfig, steps: readonly number[]): string {
  const bake = policy.trafficRouting.waitIntervalSeconds;
  const alarms = policy.rollback?.alarms.map((a) => `'${a.name}'`).join(', ');
  return [
    `${policy.trafficRouting.type} ${steps.map(percent).join(' → ')}`,
    bake > 0 ? `baking ${bake} s per step` : undefined,
    alarms ? `rollback alarms ${alarms}` : undefined,
  ].filter(Boolean).join(', ');
}

/**
 * Checks a policy against the config it deploys and returns green's steps.
 * @throws ValidationError for a missing step size, or a maximum execution time shorter than the bakes.
 */
export function planDeployment(policy: DeploymentConfig, greenInstances: number): number[] {
  const steps = trafficSteps(policy.trafficRouting, greenInstances);
  const bakes = steps.length * policy.trafficRouting.waitIntervalSeconds;
  const max = policy.maximumExecutionTimeoutSeconds;
  if (max !== undefined && max <= bakes) {
    throw validationError(`maximumExecutionTimeoutSeconds (${max}) must be longer than the bake time of all ${steps.length} steps (${bakes} s)`, { field: 'deployment.maximumExecutionTimeoutSeconds' });
  }
  return steps;
}

/**
 * Both fleets of an endpoint during an update, routing each request to green with probability
 * `greenShare`. Green's outcomes are recorded apart, so its alarms read green alone.
 */
export class Rollout {
  greenShare = 0;
  /** 1-based index of the step under way; 0 before the first. */
  step = 0;
  /** Requests green failed with a server fault that blue then answered. */
  retriedOnBlue = 0;
  readonly greenStats = new OutcomeWindow(3600);

  constructor(
    readonly blue: Fleet,
    readonly green: Fleet,
    /** What the endpoint shows while shifting (`pendingDeployment`). */
    readonly plan: { config: string; steps: number; startedAt: Date },
  ) {}

  async invoke(req: FleetRequest, target?: string): Promise<InvokeResult & { variant: string }> {
    if (!this.#toGreen(target)) return this.blue.invoke(req, target);
    const t0 = performance.now();
    try {
      const result = await this.green.invoke(req, target);
      this.greenStats.record(performance.now() - t0, 'ok');
      return result;
    } catch (e) {
      const fault = isServerFault(e);
      this.greenStats.record(performance.now() - t0, fault ? '5xx' : '4xx');
      if (!fault || (target !== undefined && !has(this.blue, target))) throw e;
      this.retriedOnBlue++;
      return this.blue.invoke(req, target);
    }
  }

  #toGreen(target: string | undefined): boolean {
    if (target !== undefined) {
      const inGreen = has(this.green, target);
      const inBlue = has(this.blue, target);
      if (inGreen !== inBlue) return inGreen;
    }
    return this.greenShare > 0 && Math.random() < this.greenShare;
  }

  /** All traffic back to blue; green finishes (or hands to blue) its in-flight requests and stops. */
  async rollBack(): Promise<void> {
    this.greenShare = 0;
    await this.green.stop();
  }
}

const has = (fleet: Fleet, variant: string) => fleet.pools.some((p) => p.name === variant);

export type ShiftOutcome = { completed: true } | { completed: false; reason: string };

export interface ShiftOptions {
  /** Green's share after each step, from {@link planDeployment}. */
  steps: readonly number[];
  /** Records a step ("Updating: canary 10% to config 'x'") in the status history. */
  onStep(message: string): Promise<void>;
  /** The new config's name, for the messages. */
  config: string;
  /** Aborted when the endpoint is deleted mid-shift. */
  signal?: AbortSignal;
  /** How often alarms are evaluated. @defaultValue 1000 */
  evaluateEveryMs?: number;
  /** 0-based index of the first step to take: a resumed rollout starts again at its current step. @defaultValue 0 */
  fromStep?: number;
  /** When the update began (ms), the base of maximumExecutionTimeoutSeconds. @defaultValue now */
  startedAtMs?: number;
  /**
   * Green's outcomes over the last `seconds` as the alarms read them. @defaultValue this node's
   * (`rollout.greenStats`); on several API nodes, every node's (cluster-metrics.ts).
   */
  alarmWindow?: (seconds: number) => Promise<WindowStats>;
}

/**
 * Moves traffic to green step by step, baking `waitIntervalSeconds` after each step while the
 * alarms are evaluated every second on green's requests. Resolves `{ completed: false, reason }`
 * on a breach, a timeout or an abort; the caller then rolls back.
 */
export async function shiftTraffic(rollout: Rollout, policy: DeploymentConfig, opts: ShiftOptions): Promise<ShiftOutcome> {
  const every = opts.evaluateEveryMs ?? 1000;
  const alarms = policy.rollback?.alarms ?? [];
  const bakeMs = policy.trafficRouting.waitIntervalSeconds * 1000;
  const max = policy.maximumExecutionTimeoutSeconds;
  const deadline = max === undefined ? Infinity : (opts.startedAtMs ?? Date.now()) + max * 1000;
  const windows = new Map<number, WindowStats>();
  const check = async (): Promise<string | undefined> => {
    if (opts.signal?.aborted) return opts.signal.reason instanceof Error ? opts.signal.reason.message : 'cancelled';
    if (opts.alarmWindow) for (const a of alarms) windows.set(a.windowSeconds, await opts.alarmWindow(a.windowSeconds));
    const breach = firstBreach(alarms, (s) => windows.get(s) ?? rollout.greenStats.window(s));
    if (breach) return describeBreach(breach);
    if (Date.now() > deadline) return `the update did not finish within maximumExecutionTimeoutSeconds (${max} s)`;
    return undefined;
  };
  for (const [i, share] of opts.steps.entries()) {
    if (i < (opts.fromStep ?? 0)) continue;
    rollout.greenShare = share;
    rollout.step = i + 1;
    const kind = policy.trafficRouting.type === 'CANARY' && i === 0 && share < 1 ? 'canary' : 'shifting';
    await opts.onStep(`Updating: ${kind} ${percent(share)} to config '${opts.config}'${bakeMs > 0 ? ` (baking ${bakeMs / 1000} s)` : ''}`);
    const bakeUntil = Date.now() + bakeMs;
    for (;;) {
      const reason = await check();
      if (reason) return { completed: false, reason };
      const left = bakeUntil - Date.now();
      if (left <= 0) break;
      await sleep(Math.min(every, left)).catch(() => undefined);
    }
  }
  return { completed: true };
}
