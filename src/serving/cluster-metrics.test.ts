import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../core/logger.js';
import type { EndpointMetricBucketRecord, MetadataStore } from '../store/metadata-store.js';
import { openMetadataStore } from '../store/open-store.js';
import { OutcomeWindow } from './alarms.js';
import { ClusterMetrics, greenSeries, type GreenSource } from './cluster-metrics.js';
import { EndpointMetrics, withNodeLabel } from './endpoint-metrics.js';

const T0 = 1_700_000_000_000;
const log = createLogger({ level: 'silent' });

/** Two nodes' metrics on one store and one clock. */
function cluster(store: MetadataStore) {
  const clock = { t: T0 };
  const now = () => clock.t;
  const writes: EndpointMetricBucketRecord[][] = [];
  const repo = store.endpointMetrics;
  const counting = { endpointMetrics: { ...repo, put: (rows: readonly EndpointMetricBucketRecord[]) => (writes.push([...rows]), repo.put(rows)), rows: repo.rows.bind(repo), prune: repo.prune.bind(repo), deleteNodeEndpoint: repo.deleteNodeEndpoint.bind(repo) } };
  const node = (id: string) => {
    const metrics = new EndpointMetrics({ now });
    const rollouts: GreenSource[] = [];
    const published = new ClusterMetrics({ store: counting, metrics, node: { id }, rollouts: () => rollouts, log, now });
    return { metrics, rollouts, published };
  };
  return { clock, writes, a: node('a'), b: node('b') };
}

const record = (m: EndpointMetrics, variant: string, status: number, modelMs: number, n = 1) => {
  for (let i = 0; i < n; i++) m.recordInvocation({ endpoint: 'e', variant, status, modelMs, totalMs: modelMs + 0.3 });
};

describe('ClusterMetrics', () => {
  let store: MetadataStore;
  beforeEach(async () => {
    store = await openMetadataStore('sqlite::memory:');
  });
  afterEach(() => store.close());

  it('sums every node\'s counts and merges their histograms exactly, on either node', async () => {
    const { clock, a, b } = cluster(store);
    const all = new EndpointMetrics({ now: () => clock.t });
    // Node a serves 30 fast requests, node b 12 slow ones and 3 failures; `all` sees both.
    for (const m of [a.metrics, all]) record(m, 'blue', 200, 0.5, 30);
    for (const m of [b.metrics, all]) {
      record(m, 'blue', 200, 40, 12);
      record(m, 'blue', 503, -1, 3);
    }
    clock.t += 2_000;
    record(b.metrics, 'green', 200, 2, 5);
    record(all, 'green', 200, 2, 5);
    await a.published.publish();
    await b.published.publish();
    for (const node of [a, b]) {
      expect(await node.published.window('e', undefined, 60)).toEqual(all.window('e', undefined, 60));
      expect(await node.published.window('e', 'blue', 10)).toEqual(all.window('e', 'blue', 10));
      expect(await node.published.series('e', 1, 10)).toEqual(all.series('e', 1, 10));
      expect(await node.published.series('e', 60, 3600)).toEqual(all.series('e', 60, 3600));
    }
    expect((await a.published.window('e', undefined, 60)).invocations).toBe(50);
    expect((await a.published.series('e', 60, 600)).variants.map((v) => v.variant)).toEqual(['blue', 'green']);
  });

  it('writes only buckets that changed since the last publish, and forgets an endpoint a node dropped', async () => {
    const { clock, writes, a, b } = cluster(store);
    record(a.metrics, 'blue', 200, 1, 3);
    await a.published.publish();
    // The 1 s and the 30 s bucket.
    expect(writes.at(-1)!.map((r) => `${r.resolution}/${r.invocations}`)).toEqual(['1/3', '30/3']);
    await a.published.publish();
    expect(writes.at(-1)).toEqual([]);
    record(a.metrics, 'blue', 200, 1);
    clock.t += 1_000;
    record(a.metrics, 'blue', 200, 1);
    await a.published.publish();
    expect(writes.at(-1)!.map((r) => `${r.resolution}/${r.bucket - Math.floor(T0 / 1000 / r.resolution)}/${r.invocations}`)).toEqual(['1/0/4', '1/1/1', '30/0/5']);
    expect((await b.published.window('e', 'blue', 60)).invocations).toBe(5);
    a.metrics.drop('e');
    await a.published.publish();
    expect((await b.published.window('e', 'blue', 60)).invocations).toBe(0);
  });

  it('prunes rows past the windows they serve', async () => {
    const { clock, a } = cluster(store);
    record(a.metrics, 'blue', 200, 1);
    await a.published.publish();
    const rows = (resolution: number) => store.endpointMetrics.rows({ endpoint: 'e', resolution, from: 0, to: 1e12 });
    expect(await rows(1)).toHaveLength(1);
    clock.t += 400_000;
    await a.published.publish();
    expect(await rows(1)).toEqual([]);
    expect(await rows(30)).toHaveLength(1);
    clock.t += 3_600_000;
    await a.published.publish();
    expect(await rows(30)).toEqual([]);
  });

  it('reads an update\'s green requests from every node for its alarms', async () => {
    const { clock, a, b } = cluster(store);
    const plan = { config: 'c2', startedAt: new Date(T0 - 5_000) };
    const now = () => clock.t;
    const greenA = new OutcomeWindow(3600, now);
    const greenB = new OutcomeWindow(3600, now);
    a.rollouts.push({ endpoint: 'e', rollout: { plan, greenStats: greenA } });
    b.rollouts.push({ endpoint: 'e', rollout: { plan, greenStats: greenB } });
    // The driving node (a) saw 2 good green requests; node b saw 6 failures, all slow.
    greenA.record(1, 'ok');
    greenA.record(1, 'ok');
    for (let i = 0; i < 6; i++) greenB.record(900, '5xx');
    clock.t += 1_000;
    greenB.record(900, '4xx');
    await b.published.publish();
    const w = await a.published.greenWindow('e', a.rollouts[0].rollout, 10);
    expect(w).toMatchObject({ invocations: 9, errors: 7, errors5xx: 6 });
    expect(w.p99LatencyMs).toBeGreaterThan(900 * 0.88);
    expect(w.p99LatencyMs).toBeLessThan(900 * 1.13);
    expect(w.p50LatencyMs).toBeGreaterThan(700);
    // Windows over 300 s read the 30 s rows.
    expect(await a.published.greenWindow('e', a.rollouts[0].rollout, 600)).toMatchObject({ invocations: 9, errors: 7 });
    // Another update's rows (another start) are not this one's.
    const other = { plan: { config: 'c2', startedAt: new Date(T0) }, greenStats: new OutcomeWindow(3600, now) };
    expect(greenSeries(other.plan)).not.toBe(greenSeries(plan));
    expect((await a.published.greenWindow('e', other, 10)).invocations).toBe(0);
    // Green rows never count as a variant's.
    expect((await a.published.window('e', undefined, 10)).invocations).toBe(0);
  });
});

describe('withNodeLabel', () => {
  it('labels every sample and leaves comments alone', () => {
    const text = '# HELP x_total X.\n# TYPE x_total counter\nx_total{endpoint="e"} 3\ny 1\n';
    expect(withNodeLabel(text, 'h:80:1')).toBe('# HELP x_total X.\n# TYPE x_total counter\nx_total{node="h:80:1",endpoint="e"} 3\ny{node="h:80:1"} 1\n');
  });
});
