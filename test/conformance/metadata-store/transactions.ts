import { describe, expect, it } from 'vitest';
import { at, newVersion, type StoreContext } from './context.js';

const job = (name: string) => ({ name, arn: `arn:stratus:training-job/${name}`, spec: {}, at: at(0) });

/** MetadataStore.transaction: atomicity and isolation of concurrent callers. */
export function transactionCases(ctx: StoreContext): void {
  describe('transactions', () => {
    it('commits every write of a transaction and returns its result', async () => {
      const result = await ctx.store.transaction(async (tx) => {
        await tx.datasets.addVersion(newVersion('iris'));
        await tx.trainingJobs.create(job('job-1'));
        return tx.trainingJobs.update('job-1', { secondaryStatus: 'Training' }, at(1));
      });
      expect(result.transitions).toHaveLength(2);
      expect(await ctx.store.datasets.find('iris')).toBeDefined();
      expect((await ctx.store.trainingJobs.get('job-1')).secondaryStatus).toBe('Training');
    });

    it('leaves nothing written when the function throws', async () => {
      const failing = ctx.store.transaction(async (tx) => {
        await tx.datasets.addVersion(newVersion('iris'));
        await tx.trainingJobs.create(job('job-1'));
        await tx.apiKeys.create({ id: 'k1', tokenHash: 'h', role: 'admin', createdAt: at(0) });
        throw new Error('boom');
      });
      await expect(failing).rejects.toThrow('boom');
      expect(await ctx.store.datasets.find('iris')).toBeUndefined();
      expect(await ctx.store.trainingJobs.find('job-1')).toBeUndefined();
      expect(await ctx.store.apiKeys.count()).toBe(0);
    });

    it('keeps 20 concurrent transactions apart, rolling back only the failing ones', async () => {
      const outcomes = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) =>
          ctx.store.transaction(async (tx) => {
            const v = await tx.datasets.addVersion(newVersion('shared', `file:///shared/${i}`));
            await tx.models.create({ name: `model-${i}`, arn: `arn:m/${i}`, spec: { version: v.version }, at: at(i) });
            if (i % 5 === 4) throw new Error(`fail ${i}`);
            return v.version;
          }),
        ),
      );
      const committed = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
      expect(committed).toHaveLength(16);
      const versions = await ctx.store.datasets.listVersions('shared');
      expect(versions.map((v) => v.version)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
      expect(committed.sort((a, b) => a - b)).toEqual(versions.map((v) => v.version));
      const models = await ctx.store.models.list({ limit: 100 });
      expect(models.items).toHaveLength(16);
      for (const m of models.items) expect(versions.map((v) => v.version)).toContain(m.spec.version);
    });
  });
}
