import { describe, expect, it } from 'vitest';
import { at, expectCode, type StoreContext } from './context.js';

const policy = (min: number) => ({ minInstances: min, maxInstances: 4, targetInvocationsPerInstancePerMinute: 600 });

export function endpointScalingCases(ctx: StoreContext): void {
  describe('endpointScaling', () => {
    it('keeps one policy per variant, replaced by a put and removed by a delete', async () => {
      const r = ctx.store.endpointScaling;
      await r.putPolicy({ endpoint: 'ep', variant: 'b', policy: policy(1), updatedAt: at(1) });
      await r.putPolicy({ endpoint: 'ep', variant: 'a', policy: policy(1), updatedAt: at(2) });
      await r.putPolicy({ endpoint: 'ep', variant: 'a', policy: policy(2), updatedAt: at(3) });
      await r.putPolicy({ endpoint: 'other', variant: 'a', policy: policy(3), updatedAt: at(4) });
      expect(await r.policies('ep')).toEqual([
        { endpoint: 'ep', variant: 'a', policy: policy(2), updatedAt: at(3) },
        { endpoint: 'ep', variant: 'b', policy: policy(1), updatedAt: at(1) },
      ]);
      expect((await r.policies()).map((p) => `${p.endpoint}/${p.variant}`)).toEqual(['ep/a', 'ep/b', 'other/a']);
      await r.deletePolicy('ep', 'b');
      await expectCode(r.deletePolicy('ep', 'b'), 'NotFound');
      expect((await r.policies('ep')).map((p) => p.variant)).toEqual(['a']);
    });

    it('appends events and lists them newest first, by variant, and forgets an endpoint', async () => {
      const r = ctx.store.endpointScaling;
      for (let i = 0; i < 5; i++) {
        await r.appendEvent({ endpoint: 'ep', variant: i % 2 ? 'odd' : 'even', at: at(i), action: 'scale-out', fromInstances: i, toInstances: i + 1, detail: { i } });
      }
      await r.putPolicy({ endpoint: 'ep', variant: 'even', policy: policy(1), updatedAt: at(0) });
      await r.appendEvent({ endpoint: 'kept', variant: 'v', at: at(9), action: 'scale-in', fromInstances: 2, toInstances: 1, detail: {} });
      const all = await r.events('ep');
      expect(all.map((e) => e.detail.i)).toEqual([4, 3, 2, 1, 0]);
      expect(all[0]).toEqual({ endpoint: 'ep', variant: 'even', at: at(4), action: 'scale-out', fromInstances: 4, toInstances: 5, detail: { i: 4 } });
      expect((await r.events('ep', { variant: 'odd' })).map((e) => e.detail.i)).toEqual([3, 1]);
      expect((await r.events('ep', { limit: 2 })).map((e) => e.detail.i)).toEqual([4, 3]);
      await r.deleteEndpoint('ep');
      expect(await r.events('ep')).toEqual([]);
      expect(await r.policies('ep')).toEqual([]);
      expect(await r.events('kept')).toHaveLength(1);
    });
  });
}
