import { describe, expect, it } from 'vitest';
import type { RollbackAlarm } from '../contracts/deployment.js';
import { PlatformError } from '../core/errors.js';
import { alarmValue, describeBreach, firstBreach, isServerFault, OutcomeWindow, percentile } from './alarms.js';

const alarm = (metric: RollbackAlarm['metric'], threshold: number, windowSeconds = 10): RollbackAlarm => ({ name: metric, metric, threshold, windowSeconds });

describe('isServerFault', () => {
  it("counts the server's and the model's failures, not the caller's", () => {
    expect(isServerFault(new PlatformError('Unavailable', 'x'))).toBe(true);
    expect(isServerFault(new PlatformError('ModelTimeout', 'x'))).toBe(true);
    expect(isServerFault(new PlatformError('ModelError', 'x', { originalStatusCode: 500 }))).toBe(true);
    expect(isServerFault(new PlatformError('ModelError', 'x'))).toBe(true);
    expect(isServerFault(new PlatformError('ModelError', 'x', { originalStatusCode: 400 }))).toBe(false);
    expect(isServerFault(new PlatformError('ValidationError', 'x'))).toBe(false);
    expect(isServerFault(new Error('unexpected'))).toBe(true);
  });
});

describe('OutcomeWindow', () => {
  it('counts outcomes per window and forgets seconds outside it', () => {
    let now = 1_000_000;
    const w = new OutcomeWindow(60, () => now);
    w.record(5, 'ok');
    w.record(7, '4xx');
    now += 5000;
    w.record(100, '5xx');
    w.record(1, 'ok');
    expect(w.window(1)).toMatchObject({ invocations: 2, errors: 1, errors5xx: 1, p99LatencyMs: 100, p50LatencyMs: 1 });
    expect(w.window(10)).toMatchObject({ invocations: 4, errors: 2, errors5xx: 1 });
    now += 120_000;
    w.record(3, 'ok');
    expect(w.window(3600)).toMatchObject({ invocations: 1, errors: 0 });
  });

  it('takes nearest-rank percentiles', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 0.5)).toBe(50);
    expect(percentile(sorted, 0.99)).toBe(99);
    expect(percentile([], 0.99)).toBe(0);
  });
});

describe('alarms', () => {
  const stats = { invocations: 20, errors: 10, errors5xx: 4, p50LatencyMs: 2, p90LatencyMs: 8, p99LatencyMs: 250 };

  it('reads each metric, and never breaches on an empty window', () => {
    expect(alarmValue(alarm('errorRate', 0), stats)).toBe(0.5);
    expect(alarmValue(alarm('5xxRate', 0), stats)).toBe(0.2);
    expect(alarmValue(alarm('p99LatencyMs', 0), stats)).toBe(250);
    expect(alarmValue(alarm('errorRate', 0), { ...stats, invocations: 0 })).toBeUndefined();
  });

  it('reports the first breach, in words', () => {
    const windows: number[] = [];
    const breach = firstBreach([alarm('5xxRate', 0.5, 5), alarm('errorRate', 0.05, 10), alarm('p99LatencyMs', 100)], (s) => (windows.push(s), stats));
    expect(windows).toEqual([5, 10]);
    expect(describeBreach(breach!)).toBe("alarm 'errorRate' (errorRate 0.5 > 0.05 over 10 s, 20 requests)");
    expect(describeBreach(firstBreach([alarm('p99LatencyMs', 100)], () => ({ ...stats, p99LatencyMs: 1234.5 }))!)).toBe("alarm 'p99LatencyMs' (p99LatencyMs 1235 > 100 over 10 s, 20 requests)");
    expect(firstBreach([alarm('errorRate', 0.5)], () => stats)).toBeUndefined();
  });
});
