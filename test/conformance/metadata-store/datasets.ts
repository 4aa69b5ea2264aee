import { describe, expect, it } from 'vitest';
import { collectPages, expectCode, newVersion, type StoreContext } from './context.js';

/** DatasetRepository: versions, lookups, listing, deletion. */
export function datasetCases(ctx: StoreContext): void {
  describe('datasets', () => {
    it('numbers versions 1, 2, 3 and keeps each one', async () => {
      const { datasets } = ctx.store;
      for (const n of [1, 2, 3]) {
        const v = await datasets.addVersion(newVersion('iris', `file:///iris/v${n}.csv`));
        expect(v.version).toBe(n);
      }
      const dataset = await datasets.get('iris');
      expect(dataset).toMatchObject({ name: 'iris', arn: 'arn:stratus:dataset/iris', latestVersion: 3 });
      expect(dataset.createdAt).toBeInstanceOf(Date);
      expect((await datasets.listVersions('iris')).map((v) => v.version)).toEqual([1, 2, 3]);
      expect((await datasets.getVersion('iris')).uri).toBe('file:///iris/v3.csv');
      expect((await datasets.getVersion('iris', 2)).uri).toBe('file:///iris/v2.csv');
    });

    it('round-trips every version field', async () => {
      const written = await ctx.store.datasets.addVersion(newVersion('wine'));
      const read = await ctx.store.datasets.getVersion('wine', 1);
      expect(read).toEqual(written);
      expect(read).toMatchObject({
        datasetName: 'wine',
        format: 'csv',
        sizeBytes: 5_000_000_000,
        header: true,
        rows: 3,
        columns: [{ name: 'x', type: 'number', stats: { min: 0, max: 1.5 } }],
      });
      expect(read.createdAt).toBeInstanceOf(Date);
    });

    it('returns undefined from find and throws NotFound from get for a missing dataset', async () => {
      const { datasets } = ctx.store;
      expect(await datasets.find('nope')).toBeUndefined();
      await expectCode(datasets.get('nope'), 'NotFound');
      await expectCode(datasets.getVersion('nope'), 'NotFound');
      await expectCode(datasets.listVersions('nope'), 'NotFound');
      await expectCode(datasets.delete('nope'), 'NotFound');
    });

    it('throws NotFound for a missing version of an existing dataset', async () => {
      await ctx.store.datasets.addVersion(newVersion('iris'));
      await expectCode(ctx.store.datasets.getVersion('iris', 2), 'NotFound');
    });

    it('deletes a dataset with its versions and returns them', async () => {
      const { datasets } = ctx.store;
      await datasets.addVersion(newVersion('iris', 'file:///a'));
      await datasets.addVersion(newVersion('iris', 'file:///b'));
      await datasets.addVersion(newVersion('other'));
      const deleted = await datasets.delete('iris');
      expect(deleted.map((v) => [v.version, v.uri])).toEqual([
        [1, 'file:///a'],
        [2, 'file:///b'],
      ]);
      expect(await datasets.find('iris')).toBeUndefined();
      await expectCode(datasets.getVersion('iris'), 'NotFound');
      expect((await datasets.get('other')).latestVersion).toBe(1);
      expect((await datasets.addVersion(newVersion('iris'))).version).toBe(1);
    });

    it('lists datasets in pages and filters by name', async () => {
      const { datasets } = ctx.store;
      for (const name of ['alpha', 'beta', 'gamma', 'delta', 'alphabet']) await datasets.addVersion(newVersion(name));
      const pages = await collectPages((nextToken) => datasets.list({ limit: 2, nextToken }));
      expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
      expect(new Set(pages.flat().map((d) => d.name)).size).toBe(5);
      const alphas = await datasets.list({ nameContains: 'ALPHA' });
      expect(alphas.items.map((d) => d.name).sort()).toEqual(['alpha', 'alphabet']);
      expect(alphas.nextToken).toBeUndefined();
    });

    it('numbers 20 concurrent versions of one dataset 1..20 without duplicates', async () => {
      const { datasets } = ctx.store;
      const written = await Promise.all(
        Array.from({ length: 20 }, (_, i) => datasets.addVersion(newVersion('busy', `file:///busy/${i}`))),
      );
      const numbers = written.map((v) => v.version).sort((a, b) => a - b);
      expect(numbers).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect((await datasets.get('busy')).latestVersion).toBe(20);
      expect(new Set((await datasets.listVersions('busy')).map((v) => v.uri)).size).toBe(20);
    });
  });
}
