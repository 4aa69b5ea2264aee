import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../core/logger.js';
import type { MetadataStore } from '../store/metadata-store.js';
import { openMetadataStore } from '../store/open-store.js';
import { Autoscaler, decide, resolvePolicy, type Observation } from './autoscaler.js';

const policy = resolvePolicy({ minInstances: 1, maxInstances: 4, targetInvocationsPerInstancePerMinute: 100, scaleOutCooldownSeconds: 60, scaleInCooldownSeconds: 300 });
const NOW = 1_000_000_000;
const seen = (o: Partial<Observation>): Observation => ({ current: 1, invocationsPerMinute: 0, now: NOW, lastScaleOut: 0, lastScaleIn: 0, ...o });

describe('decide (target tracking)', () => {
  it('fills in SageMaker-like defaults', () => {
    expect(resolvePolicy({ minInstances: 1, maxInstances: 2, targetInvocationsPerInstancePerMinute: 5 })).toMatchObject({ scaleOutCooldownSeconds: 300, scaleInCooldownSeconds: 300, metricWindowSeconds: 60 });
  });

  it('scales out to ceil(rate / target), clamped to max', () => {
    expect(decide(policy, seen({ invocationsPerMinute: 250 }))).toMatchObject({ action: 'scale-out', to: 3 });
    expect(decide(policy, seen({ invocationsPerMinute: 10_000 }))).toMatchObject({ action: 'scale-out', to: 4 });
    expect(decide(policy, seen({ invocationsPerMinute: 100 }))).toBeUndefined();
    expect(decide(policy, seen({ invocationsPerMinute: 250 }))!.reason).toBe('250 invocations/min over 60 s; target 100/instance needs 3');
  });

  it('scales in to the rate, never below min', () => {
    expect(decide(policy, seen({ current: 4, invocationsPerMinute: 150 }))).toMatchObject({ action: 'scale-in', to: 2 });
    expect(decide(policy, seen({ current: 4, invocationsPerMinute: 0 }))).toMatchObject({ action: 'scale-in', to: 1 });
  });

  it('waits out the cooldowns: scale-in waits for both', () => {
    expect(decide(policy, seen({ invocationsPerMinute: 250, lastScaleOut: NOW - 30_000 }))).toBeUndefined();
    expect(decide(policy, seen({ invocationsPerMinute: 250, lastScaleOut: NOW - 60_000 }))).toMatchObject({ to: 3 });
    expect(decide(policy, seen({ invocationsPerMinute: 250, lastScaleIn: NOW - 1000 }))).toMatchObject({ to: 3 });
    expect(decide(policy, seen({ current: 3, lastScaleIn: NOW - 200_000 }))).toBeUndefined();
    expect(decide(policy, seen({ current: 3, lastScaleOut: NOW - 30_000 }))).toBeUndefined();
    expect(decide(policy, seen({ current: 3, lastScaleIn: NOW - 300_000, lastScaleOut: NOW - 300_000 }))).toMatchObject({ action: 'scale-in', to: 1 });
  });

  it('on several nodes, targets the rate per instance over every node\'s instances', () => {
    // 2 nodes × 1 instance: 250/min is 125 per instance, so each node needs ceil(250 / 200) = 2.
    expect(decide(policy, seen({ invocationsPerMinute: 250, nodes: 2 }))).toMatchObject({ action: 'scale-out', to: 2, reason: '250 invocations/min over 60 s on 2 nodes; target 100/instance needs 2' });
    expect(decide(policy, seen({ invocationsPerMinute: 200, nodes: 2 }))).toBeUndefined();
    expect(decide(policy, seen({ current: 3, invocationsPerMinute: 250, nodes: 2 }))).toMatchObject({ action: 'scale-in', to: 2 });
  });

  it('corrects a count outside min..max at once', () => {
    const p = { ...policy, minInstances: 2 };
    expect(decide(p, seen({ current: 1, lastScaleOut: NOW }))).toMatchObject({ action: 'clamp', to: 2 });
    expect(decide(policy, seen({ current: 6, lastScaleIn: NOW }))).toMatchObject({ action: 'clamp', to: 4 });
  });

  it('with a CPU target, scales out when either target asks and in only when both allow', () => {
    const p = { ...policy, targetCpuPercent: 50 };
    expect(decide(p, seen({ current: 2, invocationsPerMinute: 10, cpuPercent: 90 }))).toMatchObject({ action: 'scale-out', to: 4 });
    expect(decide(p, seen({ current: 3, invocationsPerMinute: 10, cpuPercent: 40 }))).toBeUndefined();
    expect(decide(p, seen({ current: 3, invocationsPerMinute: 10, cpuPercent: 20 }))).toMatchObject({ action: 'scale-in', to: 2 });
  });
});

describe('Autoscaler on several nodes', () => {
  let store: MetadataStore | undefined;
  afterEach(() => store?.close());

  it('decides on the leader only, from the rate it is given over every node, and rereads cooldowns on taking the lead', async () => {
    store = await openMetadataStore('sqlite::memory:');
    let t = NOW;
    const dispatcher = { leader: false };
    const resized: number[] = [];
    const variants = [{ name: 'v', model: 'm', instanceType: 'ml.m5.large', currentWeight: 1, desiredWeight: 1, currentInstanceCount: 1, desiredInstanceCount: 1 }];
    const autoscaler = new Autoscaler({
      store,
      clock: { now: () => new Date(t) },
      log: createLogger({ level: 'silent' }),
      // 600 invocations over the 60 s window: 600/min over 2 nodes of 1 instance is 300 per instance.
      metrics: { window: async () => ({ invocations: 600 }) },
      endpoints: {
        find: async () => ({ status: 'InService', variants }),
        scaleVariant: async (_e, _v, count) => (resized.push(count), (variants[0].currentInstanceCount = count), true),
      },
      dispatcher,
      nodes: async () => 2,
    });
    await store.endpointScaling.putPolicy({ endpoint: 'e', variant: 'v', policy: resolvePolicy({ minInstances: 1, maxInstances: 8, targetInvocationsPerInstancePerMinute: 100, scaleOutCooldownSeconds: 60 }), updatedAt: new Date(t) });
    await autoscaler.tick();
    expect(resized).toEqual([]);
    dispatcher.leader = true;
    await autoscaler.tick();
    expect(resized).toEqual([3]);
    const [event] = await store.endpointScaling.events('e');
    expect(event).toMatchObject({ action: 'scale-out', fromInstances: 1, toInstances: 3, detail: { invocationsPerMinute: 600, reason: '600 invocations/min over 60 s on 2 nodes; target 100/instance needs 3' } });

    // Another node leads for a while and scales out to 4; back in the lead, this node waits out
    // that scale-out's cooldown before scaling in to the 3 the rate needs.
    dispatcher.leader = false;
    await autoscaler.tick();
    t += 120_000;
    variants[0].currentInstanceCount = 4;
    await store.endpointScaling.appendEvent({ endpoint: 'e', variant: 'v', at: new Date(t), action: 'scale-out', fromInstances: 3, toInstances: 4, detail: {} });
    dispatcher.leader = true;
    t += 10_000;
    await autoscaler.tick();
    expect(resized).toEqual([3]);
    t += 60_000;
    await autoscaler.tick();
    expect(resized).toEqual([3, 3]);
  });
});
