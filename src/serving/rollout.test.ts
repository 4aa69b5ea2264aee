import { describe, expect, it } from 'vitest';
import type { DeploymentConfig } from '../contracts/deployment.js';
import { PlatformError } from '../core/errors.js';
import type { Fleet } from './fleet.js';
import { describePlan, planDeployment, Rollout, shiftTraffic, trafficSteps } from './rollout.js';
import type { InvokeRequest } from './runtimes/runtime.js';

const REQ: InvokeRequest = { body: '1,2', contentType: 'text/csv', accept: undefined };
const PLAN = { config: 'c2', steps: 1, startedAt: new Date() };

/** A fleet of named variants answering with `answer`; counts its calls. */
function fakeFleet(variants: string[], answer: (variant: string) => Promise<string>) {
  const calls = { n: 0 };
  const fleet = {
    pools: variants.map((name) => ({ name })),
    async invoke(_req: InvokeRequest, target?: string) {
      calls.n++;
      const variant = target ?? variants[0];
      return { body: await answer(variant), contentType: 'text/plain', variant };
    },
    async stop() {},
  } as unknown as Fleet;
  return { fleet, calls };
}

describe('trafficSteps', () => {
  it('plans all at once, canary and linear shifts', () => {
    expect(trafficSteps({ type: 'ALL_AT_ONCE', waitIntervalSeconds: 0 }, 2)).toEqual([1]);
    expect(trafficSteps({ type: 'CANARY', waitIntervalSeconds: 1, canarySize: { type: 'CAPACITY_PERCENT', value: 10 } }, 2)).toEqual([0.1, 1]);
    expect(trafficSteps({ type: 'CANARY', waitIntervalSeconds: 1, canarySize: { type: 'INSTANCE_COUNT', value: 1 } }, 4)).toEqual([0.25, 1]);
    expect(trafficSteps({ type: 'CANARY', waitIntervalSeconds: 1, canarySize: { type: 'INSTANCE_COUNT', value: 5 } }, 4)).toEqual([1]);
    expect(trafficSteps({ type: 'LINEAR', waitIntervalSeconds: 1, linearStepSize: { type: 'CAPACITY_PERCENT', value: 25 } }, 2)).toEqual([0.25, 0.5, 0.75, 1]);
    expect(trafficSteps({ type: 'LINEAR', waitIntervalSeconds: 1, linearStepSize: { type: 'INSTANCE_COUNT', value: 1 } }, 3)).toEqual([1 / 3, 2 / 3, 1]);
  });

  it('says what a canary or linear policy misses, and checks the maximum execution time', () => {
    expect(() => trafficSteps({ type: 'CANARY', waitIntervalSeconds: 1 }, 1)).toThrow(/CANARY needs canarySize/);
    expect(() => trafficSteps({ type: 'LINEAR', waitIntervalSeconds: 1 }, 1)).toThrow(/LINEAR needs linearStepSize/);
    const policy: DeploymentConfig = { trafficRouting: { type: 'LINEAR', waitIntervalSeconds: 10, linearStepSize: { type: 'CAPACITY_PERCENT', value: 50 } }, maximumExecutionTimeoutSeconds: 20 };
    expect(() => planDeployment(policy, 1)).toThrow('maximumExecutionTimeoutSeconds (20) must be longer than the bake time of all 2 steps (20 s)');
    expect(describePlan({ ...policy, rollback: { alarms: [{ name: 'e', metric: 'errorRate', threshold: 0.1, windowSeconds: 5 }] } }, [0.5, 1])).toBe(
      "LINEAR 50% → 100%, baking 10 s per step, rollback alarms 'e'",
    );
  });
});

describe('Rollout', () => {
  it('sends green its share and retries its server faults on blue; caller faults are not retried', async () => {
    const blue = fakeFleet(['a'], async () => 'blue');
    let fault: PlatformError = new PlatformError('ModelError', 'boom', { originalStatusCode: 500 });
    const green = fakeFleet(['a'], async () => Promise.reject(fault));
    const r = new Rollout(blue.fleet, green.fleet, PLAN);
    expect((await r.invoke(REQ)).body).toBe('blue');
    expect(green.calls.n).toBe(0);
    r.greenShare = 1;
    expect((await r.invoke(REQ)).body).toBe('blue');
    expect(r.retriedOnBlue).toBe(1);
    expect(r.greenStats.window(10)).toMatchObject({ invocations: 1, errors5xx: 1 });
    fault = new PlatformError('ValidationError', 'bad row');
    await expect(r.invoke(REQ)).rejects.toThrow('bad row');
    expect(r.greenStats.window(10)).toMatchObject({ invocations: 2, errors: 2, errors5xx: 1 });
  });

  it('sends a named variant to the fleet that has it', async () => {
    const r = new Rollout(fakeFleet(['old'], async () => 'blue').fleet, fakeFleet(['new'], async () => 'green').fleet, PLAN);
    expect((await r.invoke(REQ, 'new')).body).toBe('green');
    expect((await r.invoke(REQ, 'old')).body).toBe('blue');
  });
});

describe('shiftTraffic', () => {
  const steps: string[] = [];
  const onStep = async (m: string) => void steps.push(m);

  it('walks the steps and completes when no alarm fires', async () => {
    steps.length = 0;
    const r = new Rollout(fakeFleet(['a'], async () => 'b').fleet, fakeFleet(['a'], async () => 'g').fleet, PLAN);
    const policy: DeploymentConfig = { trafficRouting: { type: 'CANARY', waitIntervalSeconds: 0, canarySize: { type: 'CAPACITY_PERCENT', value: 10 } } };
    expect(await shiftTraffic(r, policy, { steps: [0.1, 1], onStep, config: 'c2' })).toEqual({ completed: true });
    expect(steps).toEqual(["Updating: canary 10% to config 'c2'", "Updating: shifting 100% to config 'c2'"]);
    expect(r.greenShare).toBe(1);
  });

  it('stops at the first breach during a bake', async () => {
    const r = new Rollout(fakeFleet(['a'], async () => 'b').fleet, fakeFleet(['a'], async () => 'g').fleet, PLAN);
    const policy: DeploymentConfig = {
      trafficRouting: { type: 'ALL_AT_ONCE', waitIntervalSeconds: 5 },
      rollback: { alarms: [{ name: 'slow', metric: 'p99LatencyMs', threshold: 50, windowSeconds: 5 }] },
    };
    setTimeout(() => r.greenStats.record(80, 'ok'), 30);
    const t0 = Date.now();
    const outcome = await shiftTraffic(r, policy, { steps: [1], onStep, config: 'c2', evaluateEveryMs: 10 });
    expect(outcome).toEqual({ completed: false, reason: "alarm 'slow' (p99LatencyMs 80 > 50 over 5 s, 1 request)" });
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('reads the alarms from alarmWindow when given (several nodes: every node\'s green requests)', async () => {
    const r = new Rollout(fakeFleet(['a'], async () => 'b').fleet, fakeFleet(['a'], async () => 'g').fleet, PLAN);
    const policy: DeploymentConfig = {
      trafficRouting: { type: 'ALL_AT_ONCE', waitIntervalSeconds: 5 },
      rollback: { alarms: [{ name: 'errors', metric: '5xxRate', threshold: 0.1, windowSeconds: 10 }] },
    };
    // This node saw nothing; another node's failures arrive after a few evaluations.
    const asked: number[] = [];
    const alarmWindow = async (seconds: number) => {
      asked.push(seconds);
      const failed = asked.length >= 3 ? 4 : 0;
      return { invocations: 8, errors: failed, errors5xx: failed, p50LatencyMs: 1, p90LatencyMs: 1, p99LatencyMs: 1 };
    };
    const outcome = await shiftTraffic(r, policy, { steps: [1], onStep, config: 'c2', evaluateEveryMs: 5, alarmWindow });
    expect(outcome).toEqual({ completed: false, reason: "alarm 'errors' (5xxRate 0.5 > 0.1 over 10 s, 8 requests)" });
    expect(new Set(asked)).toEqual(new Set([10]));
    expect(r.greenStats.window(10).invocations).toBe(0);
  });

  it('gives up when cancelled or past the maximum execution time', async () => {
    const r = new Rollout(fakeFleet(['a'], async () => 'b').fleet, fakeFleet(['a'], async () => 'g').fleet, PLAN);
    const abort = new AbortController();
    setTimeout(() => abort.abort(new Error('cancelled: the endpoint is being deleted')), 20);
    const policy: DeploymentConfig = { trafficRouting: { type: 'ALL_AT_ONCE', waitIntervalSeconds: 60 } };
    expect(await shiftTraffic(r, policy, { steps: [1], onStep, config: 'c2', signal: abort.signal, evaluateEveryMs: 5 })).toEqual({ completed: false, reason: 'cancelled: the endpoint is being deleted' });
    const timed = await shiftTraffic(r, { ...policy, maximumExecutionTimeoutSeconds: 0.05 as number }, { steps: [1], onStep, config: 'c2', evaluateEveryMs: 5 });
    expect(timed).toEqual({ completed: false, reason: 'the update did not finish within maximumExecutionTimeoutSeconds (0.05 s)' });
  });
});
