import { describe, expect, it } from 'vitest';
import type { EndpointMetricBucketRecord } from '../../../src/store/metadata-store.js';
import type { StoreContext } from './context.js';

const bucket = (over: Partial<EndpointMetricBucketRecord>): EndpointMetricBucketRecord => ({
  node: 'n1',
  endpoint: 'ep',
  kind: 'production',
  series: 'AllTraffic',
  resolution: 1,
  bucket: 1_700_000_000,
  invocations: 3,
  errors4xx: 1,
  errors5xx: 0,
  modelLatency: [0, 0, 2, 1],
  overheadLatency: [3],
  ...over,
});

/** 72 bins, the last (overflow) one used: trailing bins survive the sparse encoding. */
const overflowOnly = Array.from({ length: 72 }, (_, i) => (i === 71 ? 5 : 0));

export function endpointMetricsCases(ctx: StoreContext): void {
  describe('endpointMetrics', () => {
    it('upserts one row per node, series and bucket, and reads a range without one node', async () => {
      const r = ctx.store.endpointMetrics;
      await r.put([bucket({}), bucket({ node: 'n2', invocations: 5, modelLatency: [], overheadLatency: overflowOnly })]);
      // A later publish of the same bucket replaces the row (counts only grow within a bucket).
      await r.put([bucket({ invocations: 4, errors5xx: 1, modelLatency: [0, 0, 3, 1] })]);
      await r.put([bucket({ bucket: 1_700_000_001 }), bucket({ kind: 'shadow', series: 'sh' }), bucket({ endpoint: 'other' }), bucket({ resolution: 30, bucket: 56_666_666 })]);
      const all = await r.rows({ endpoint: 'ep', resolution: 1, from: 1_700_000_000, to: 1_700_000_001 });
      expect(all.map((x) => `${x.bucket}/${x.kind}/${x.series}/${x.node}/${x.invocations}`)).toEqual([
        '1700000000/production/AllTraffic/n1/4',
        '1700000000/production/AllTraffic/n2/5',
        '1700000000/shadow/sh/n1/3',
        '1700000001/production/AllTraffic/n1/3',
      ]);
      expect(all[0]).toEqual(bucket({ invocations: 4, errors5xx: 1, modelLatency: [0, 0, 3, 1] }));
      expect(all[1].overheadLatency[71]).toBe(5);
      expect(all[1].modelLatency).toEqual([]);
      expect((await r.rows({ endpoint: 'ep', resolution: 1, from: 1_700_000_000, to: 1_700_000_000, excludeNode: 'n1' })).map((x) => x.node)).toEqual(['n2']);
      expect((await r.rows({ endpoint: 'ep', resolution: 1, from: 0, to: 2e9, kind: 'shadow', series: 'sh' })).map((x) => x.series)).toEqual(['sh']);
      expect((await r.rows({ endpoint: 'ep', resolution: 30, from: 0, to: 2e9 })).map((x) => x.bucket)).toEqual([56_666_666]);
    });

    it('prunes old buckets of one resolution and forgets a node\'s rows of an endpoint', async () => {
      const r = ctx.store.endpointMetrics;
      await r.put([bucket({ bucket: 10 }), bucket({ bucket: 11 }), bucket({ bucket: 12, node: 'n2' }), bucket({ resolution: 30, bucket: 1 }), bucket({ endpoint: 'other', bucket: 12 })]);
      expect(await r.prune(1, 12)).toBe(2);
      expect((await r.rows({ endpoint: 'ep', resolution: 1, from: 0, to: 100 })).map((x) => x.bucket)).toEqual([12]);
      expect(await r.rows({ endpoint: 'ep', resolution: 30, from: 0, to: 100 })).toHaveLength(1);
      await r.deleteNodeEndpoint('n1', 'ep');
      expect((await r.rows({ endpoint: 'ep', resolution: 1, from: 0, to: 100 })).map((x) => x.node)).toEqual(['n2']);
      expect(await r.rows({ endpoint: 'ep', resolution: 30, from: 0, to: 100 })).toEqual([]);
      expect(await r.rows({ endpoint: 'other', resolution: 1, from: 0, to: 100 })).toHaveLength(1);
    });
  });
}
