import { describe, expect, it } from 'vitest';
import { EndpointMetrics } from './endpoint-metrics.js';

const at = (start: number) => {
  const clock = { t: start };
  return { clock, metrics: new EndpointMetrics({ now: () => clock.t }) };
};

describe('EndpointMetrics', () => {
  it('counts invocations and errors by status class over a window', () => {
    const { metrics } = at(1_700_000_000_000);
    for (let i = 0; i < 90; i++) metrics.recordInvocation({ endpoint: 'e', variant: 'a', status: 200, modelMs: 1, totalMs: 1.5 });
    for (let i = 0; i < 6; i++) metrics.recordInvocation({ endpoint: 'e', variant: 'a', status: 400, modelMs: -1, totalMs: 0.2 });
    for (let i = 0; i < 4; i++) metrics.recordInvocation({ endpoint: 'e', variant: 'a', status: 503, modelMs: -1, totalMs: 0.2 });
    const w = metrics.window('e', 'a', 60);
    expect(w).toMatchObject({ invocations: 100, errors4xx: 6, errors5xx: 4, errorRate: 0.1 });
    expect(metrics.window('e', undefined, 60).invocations).toBe(100);
    expect(metrics.window('e', 'other', 60).invocations).toBe(0);
    expect(metrics.window('nope', undefined, 60).modelLatencyMs.p50).toBeNull();
  });

  it('estimates latency percentiles within a bin (about 12 %)', () => {
    const { metrics } = at(1_700_000_000_000);
    for (let i = 1; i <= 1000; i++) metrics.recordInvocation({ endpoint: 'e', variant: 'a', status: 200, modelMs: i / 100, totalMs: i / 100 + 0.5 });
    const w = metrics.window('e', 'a', 10);
    expect(w.modelLatencyMs.p50!).toBeGreaterThan(5 * 0.88);
    expect(w.modelLatencyMs.p50!).toBeLessThan(5 * 1.13);
    expect(w.modelLatencyMs.p99!).toBeGreaterThan(9.9 * 0.88);
    expect(w.modelLatencyMs.p99!).toBeLessThan(9.9 * 1.13);
    expect(w.overheadLatencyMs.p90!).toBeGreaterThan(0.5 * 0.88);
    expect(w.overheadLatencyMs.p90!).toBeLessThan(0.5 * 1.13);
  });

  it('forgets what left the window and reuses ring slots', () => {
    const { clock, metrics } = at(1_700_000_000_000);
    metrics.recordInvocation({ endpoint: 'e', variant: 'a', status: 500, modelMs: 1, totalMs: 2 });
    clock.t += 30_000;
    metrics.recordInvocation({ endpoint: 'e', variant: 'a', status: 200, modelMs: 1, totalMs: 2 });
    expect(metrics.window('e', 'a', 10)).toMatchObject({ invocations: 1, errors5xx: 0 });
    expect(metrics.window('e', 'a', 60)).toMatchObject({ invocations: 2, errors5xx: 1 });
    clock.t += 300_000; // the 1 s ring has wrapped: its old slots must not count again
    expect(metrics.window('e', 'a', 60).invocations).toBe(0);
    expect(metrics.window('e', 'a', 3600).invocations).toBe(2);
    clock.t += 3_600_000;
    expect(metrics.window('e', 'a', 3600).invocations).toBe(0);
  });

  it('keeps shadow variants out of the endpoint total', () => {
    const { metrics } = at(1_700_000_000_000);
    metrics.recordInvocation({ endpoint: 'e', variant: 'a', status: 200, modelMs: 1, totalMs: 2 });
    metrics.recordInvocation({ endpoint: 'e', variant: 's', status: 200, modelMs: 1, totalMs: 1 }, { shadow: true });
    expect(metrics.window('e', undefined, 60).invocations).toBe(1);
    expect(metrics.window('e', 's', 60).invocations).toBe(1);
    expect(metrics.variants('e')).toEqual([{ name: 'a', shadow: false }, { name: 's', shadow: true }]);
  });

  it('builds a time series with one point per period', () => {
    const { clock, metrics } = at(1_700_000_000_000);
    for (let i = 0; i < 5; i++) {
      metrics.recordInvocation({ endpoint: 'e', variant: 'a', status: 200, modelMs: 1, totalMs: 2 });
      clock.t += 10_000;
    }
    const s = metrics.series('e', 10, 60);
    expect(s.period).toBe(10);
    expect(s.variants[0].points).toHaveLength(6);
    expect(s.variants[0].points.reduce((n, p) => n + p.invocations, 0)).toBe(5);
    expect(s.variants[0].summary.invocations).toBe(5);
    const long = metrics.series('e', 60, 3600);
    expect(long.period).toBe(60);
    expect(long.variants[0].points).toHaveLength(60);
    expect(long.variants[0].points.reduce((n, p) => n + p.invocations, 0)).toBe(5);
  });

  it('writes Prometheus counters and cumulative histograms', () => {
    const { metrics } = at(1_700_000_000_000);
    metrics.recordInvocation({ endpoint: 'e', variant: 'a', status: 200, modelMs: 2, totalMs: 3 });
    metrics.recordInvocation({ endpoint: 'e', variant: 'a', status: 424, modelMs: 50, totalMs: 51 });
    const text = metrics.prometheusText();
    expect(text).toContain('stratus_endpoint_invocations_total{endpoint="e",variant="a",shadow="false"} 2');
    expect(text).toContain('stratus_endpoint_invocation_errors_total{endpoint="e",variant="a",shadow="false",class="4xx"} 1');
    expect(text).toContain('stratus_endpoint_model_latency_seconds_bucket{endpoint="e",variant="a",shadow="false",le="0.01"} 1');
    expect(text).toContain('stratus_endpoint_model_latency_seconds_bucket{endpoint="e",variant="a",shadow="false",le="+Inf"} 2');
    expect(text).toContain('stratus_endpoint_model_latency_seconds_count{endpoint="e",variant="a",shadow="false"} 2');
    expect(text).toMatch(/stratus_endpoint_model_latency_seconds_sum\{[^}]*\} 0\.052/);
  });
});
