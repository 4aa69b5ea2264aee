import { describe, expect, it } from 'vitest';
import type { ImmutableRepository, MetadataStore, ModelRecord } from '../../../src/store/metadata-store.js';
import { at, collectPages, expectCode, type StoreContext } from './context.js';

type SpecRepoName = 'models' | 'endpointConfigs';

const variants = [{ variantName: 'a', modelName: 'm', weight: 1, instanceCount: 1 }];

const newEndpoint = (name: string, seconds = 0) => ({
  name,
  arn: `arn:stratus:endpoint/${name}`,
  configName: 'cfg-1',
  variants,
  at: at(seconds),
});

function repo(store: MetadataStore, name: SpecRepoName): ImmutableRepository<ModelRecord> {
  return store[name];
}

function specRepositoryCases(ctx: StoreContext, name: SpecRepoName): void {
  const create = (n: string, seconds = 0) =>
    repo(ctx.store, name).create({ name: n, arn: `arn:stratus:${name}/${n}`, spec: { n, nested: [1] }, at: at(seconds) });

  describe(name, () => {
    it('creates, reads and deletes records', async () => {
      const r = repo(ctx.store, name);
      const created = await create('m-1', 3);
      expect(created).toEqual({ name: 'm-1', arn: `arn:stratus:${name}/m-1`, spec: { n: 'm-1', nested: [1] }, createdAt: at(3) });
      expect(await r.get('m-1')).toEqual(created);
      await r.delete('m-1');
      expect(await r.find('m-1')).toBeUndefined();
    });

    it('rejects duplicates with ResourceInUse and reports missing records with NotFound', async () => {
      const r = repo(ctx.store, name);
      await create('m-1');
      await expectCode(create('m-1'), 'ResourceInUse');
      await expectCode(r.get('nope'), 'NotFound');
      await expectCode(r.delete('nope'), 'NotFound');
    });

    it('lists in pages, newest first or oldest first, breaking time ties by name', async () => {
      const r = repo(ctx.store, name);
      for (const [n, s] of [['b', 1], ['a', 1], ['c', 1], ['d', 0], ['e', 2]] as const) await create(n, s);
      const desc = await collectPages((nextToken) => r.list({ limit: 2, nextToken }));
      expect(desc.map((p) => p.map((m) => m.name))).toEqual([['e', 'c'], ['b', 'a'], ['d']]);
      const asc = await collectPages((nextToken) => r.list({ limit: 4, order: 'asc', nextToken }));
      expect(asc.map((p) => p.map((m) => m.name))).toEqual([['d', 'a', 'b', 'c'], ['e']]);
    });

    it('returns 50 records by default and at most 100', async () => {
      await ctx.store.transaction(async (tx) => {
        for (let i = 0; i < 120; i++) await tx[name].create({ name: `m-${i}`, arn: `arn:${i}`, spec: {}, at: at(i) });
      });
      const r = repo(ctx.store, name);
      const first = await r.list();
      expect(first.items).toHaveLength(50);
      expect(first.items[0].name).toBe('m-119');
      expect((await r.list({ limit: 500 })).items).toHaveLength(100);
      const rest = await r.list({ limit: 100, nextToken: first.nextToken });
      expect(rest.items).toHaveLength(70);
      expect(rest.nextToken).toBeUndefined();
    });

    it('treats % and _ in nameContains literally', async () => {
      const r = repo(ctx.store, name);
      for (const n of ['a_b', 'axb', '100%', '1000']) await create(n);
      expect((await r.list({ nameContains: '_' })).items.map((m) => m.name)).toEqual(['a_b']);
      expect((await r.list({ nameContains: '0%' })).items.map((m) => m.name)).toEqual(['100%']);
    });
  });
}

function endpointCases(ctx: StoreContext): void {
  describe('endpoints', () => {
    it('creates an endpoint Creating with one open transition', async () => {
      const created = await ctx.store.endpoints.create(newEndpoint('ep-1', 2));
      expect(created).toMatchObject({ name: 'ep-1', configName: 'cfg-1', status: 'Creating', variants });
      expect(created.transitions).toEqual([{ status: 'Creating', startTime: at(2) }]);
      expect(await ctx.store.endpoints.get('ep-1')).toEqual(created);
      await expectCode(ctx.store.endpoints.create(newEndpoint('ep-1')), 'ResourceInUse');
    });

    it('records a transition per status change and sets or clears fields', async () => {
      const { endpoints } = ctx.store;
      await endpoints.create(newEndpoint('ep-1', 0));
      await endpoints.update('ep-1', { status: 'Failed', failureReason: 'bad model', statusMessage: 'load failed' }, at(5));
      const moved = await endpoints.update('ep-1', { configName: 'cfg-2', variants: [] }, at(6));
      expect(moved.transitions).toHaveLength(2);
      expect(moved).toMatchObject({ configName: 'cfg-2', variants: [], failureReason: 'bad model', status: 'Failed' });
      const back = await endpoints.update('ep-1', { status: 'InService', failureReason: null }, at(9));
      expect(back.failureReason).toBeUndefined();
      expect(back.updatedAt).toEqual(at(9));
      expect(back.transitions).toEqual([
        { status: 'Creating', startTime: at(0), endTime: at(5) },
        { status: 'Failed', startTime: at(5), endTime: at(9), message: 'load failed' },
        { status: 'InService', startTime: at(9) },
      ]);
    });

    it('keeps the state of an update under way until it is cleared', async () => {
      const { endpoints } = ctx.store;
      expect((await endpoints.create(newEndpoint('ep-1', 0))).rollout).toBeUndefined();
      const rollout = { config: 'cfg-2', steps: [0.25, 1], step: 1, driver: 'h:1:2' };
      expect((await endpoints.update('ep-1', { status: 'Updating', rollout }, at(1))).rollout).toEqual(rollout);
      expect((await endpoints.update('ep-1', { statusMessage: 'baking' }, at(2))).rollout).toEqual(rollout);
      expect((await endpoints.get('ep-1')).rollout).toEqual(rollout);
      expect((await endpoints.update('ep-1', { status: 'InService', rollout: null }, at(3))).rollout).toBeUndefined();
    });

    it('lists by status and lists all, oldest first', async () => {
      const { endpoints } = ctx.store;
      for (let i = 0; i < 4; i++) await endpoints.create(newEndpoint(`ep-${i}`, i));
      await endpoints.update('ep-1', { status: 'InService' }, at(10));
      await endpoints.update('ep-3', { status: 'InService' }, at(10));
      const inService = await endpoints.list({ status: 'InService' });
      expect(inService.items.map((e) => e.name)).toEqual(['ep-3', 'ep-1']);
      expect(inService.items[0].transitions.map((t) => t.status)).toEqual(['Creating', 'InService']);
      expect((await endpoints.listAll()).map((e) => e.name)).toEqual(['ep-0', 'ep-1', 'ep-2', 'ep-3']);
    });

    it('deletes an endpoint with its history; the name can be reused', async () => {
      const { endpoints } = ctx.store;
      await endpoints.create(newEndpoint('ep-1'));
      await endpoints.update('ep-1', { status: 'InService' }, at(1));
      await endpoints.delete('ep-1');
      expect(await endpoints.find('ep-1')).toBeUndefined();
      await expectCode(endpoints.delete('ep-1'), 'NotFound');
      await expectCode(endpoints.update('ep-1', { status: 'Deleting' }, at(2)), 'NotFound');
      const again = await endpoints.create(newEndpoint('ep-1', 3));
      expect(again.transitions).toEqual([{ status: 'Creating', startTime: at(3) }]);
    });
  });
}

/** Models, endpoint configs and endpoints. */
export function servingCases(ctx: StoreContext): void {
  specRepositoryCases(ctx, 'models');
  specRepositoryCases(ctx, 'endpointConfigs');
  endpointCases(ctx);
}
