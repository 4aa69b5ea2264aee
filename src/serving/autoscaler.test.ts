import { describe, expect, it } from 'vitest';
import { decide, resolvePolicy, type Observation } from './autoscaler.js';

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
