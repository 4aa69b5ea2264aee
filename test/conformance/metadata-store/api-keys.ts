import { describe, expect, it } from 'vitest';
import type { ApiKeyRecord } from '../../../src/store/metadata-store.js';
import { at, expectCode, type StoreContext } from './context.js';

const key = (id: string, role: ApiKeyRecord['role'], scope?: string): ApiKeyRecord => ({
  id,
  tokenHash: `hash-${id}`,
  role,
  ...(scope === undefined ? {} : { scope }),
  createdAt: at(1),
});

/** ApiKeyRepository. */
export function apiKeyCases(ctx: StoreContext): void {
  describe('api keys', () => {
    it('finds keys by token hash', async () => {
      const { apiKeys } = ctx.store;
      await apiKeys.create(key('k1', 'admin'));
      await apiKeys.create(key('k2', 'job', 'job-1'));
      expect(await apiKeys.findByHash('hash-k1')).toEqual(key('k1', 'admin'));
      expect(await apiKeys.findByHash('hash-k2')).toEqual(key('k2', 'job', 'job-1'));
      expect(await apiKeys.findByHash('hash-none')).toBeUndefined();
    });

    it('counts keys, by role or in all', async () => {
      const { apiKeys } = ctx.store;
      expect(await apiKeys.count()).toBe(0);
      await apiKeys.create(key('k1', 'admin'));
      await apiKeys.create(key('k2', 'reader'));
      await apiKeys.create(key('k3', 'reader'));
      expect(await apiKeys.count()).toBe(3);
      expect(await apiKeys.count('reader')).toBe(2);
      expect(await apiKeys.count('job')).toBe(0);
    });

    it('deletes the keys of one scope', async () => {
      const { apiKeys } = ctx.store;
      await apiKeys.create(key('k1', 'job', 'job-1'));
      await apiKeys.create(key('k2', 'job', 'job-1'));
      await apiKeys.create(key('k3', 'job', 'job-2'));
      await apiKeys.deleteByScope('job-1');
      expect(await apiKeys.count('job')).toBe(1);
      expect(await apiKeys.findByHash('hash-k3')).toBeDefined();
    });

    it('rejects a duplicate id or token hash with ResourceInUse', async () => {
      const { apiKeys } = ctx.store;
      await apiKeys.create(key('k1', 'admin'));
      await expectCode(apiKeys.create(key('k1', 'reader')), 'ResourceInUse');
      await expectCode(apiKeys.create({ ...key('k2', 'reader'), tokenHash: 'hash-k1' }), 'ResourceInUse');
    });
  });
}
