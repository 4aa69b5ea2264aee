import { describe, expect, it } from 'vitest';
import { at, expectCode, type StoreContext } from './context.js';

/** AccessKeyRepository, ResourceTagRepository, ResourceDocumentRepository. */
export function sagemakerCompatCases(ctx: StoreContext): void {
  describe('access keys', () => {
    it('creates, finds, lists oldest first and deletes keys', async () => {
      const { accessKeys } = ctx.store;
      await accessKeys.create({ id: 'KEY2', secret: 'sealed-2', role: 'reader', createdAt: at(2) });
      await accessKeys.create({ id: 'KEY1', secret: 'sealed-1', role: 'admin', createdAt: at(1) });
      expect(await accessKeys.find('KEY1')).toEqual({ id: 'KEY1', secret: 'sealed-1', role: 'admin', createdAt: at(1) });
      expect(await accessKeys.find('NONE')).toBeUndefined();
      expect((await accessKeys.list()).map((k) => k.id)).toEqual(['KEY1', 'KEY2']);
      await accessKeys.delete('KEY1');
      expect(await accessKeys.find('KEY1')).toBeUndefined();
      await expectCode(accessKeys.delete('KEY1'), 'NotFound');
    });

    it('rejects a duplicate id with ResourceInUse', async () => {
      const { accessKeys } = ctx.store;
      await accessKeys.create({ id: 'KEY1', secret: 's', role: 'admin', createdAt: at(1) });
      await expectCode(accessKeys.create({ id: 'KEY1', secret: 't', role: 'reader', createdAt: at(2) }), 'ResourceInUse');
    });
  });

  describe('resource tags', () => {
    const ref = { kind: 'model', name: 'm1', createdAt: at(10) };

    it('records set and deleted keys, the latest change per key winning', async () => {
      const { resourceTags } = ctx.store;
      expect(await resourceTags.changes(ref)).toEqual({});
      await resourceTags.record(ref, { team: 'ml', stage: 'dev' });
      await resourceTags.record(ref, { stage: 'prod', owner: null });
      expect(await resourceTags.changes(ref)).toEqual({ owner: null, stage: 'prod', team: 'ml' });
      expect(await resourceTags.changes({ ...ref, kind: 'endpoint' })).toEqual({});
    });

    it('ignores, then replaces, the tags of a deleted resource of the same name', async () => {
      const { resourceTags } = ctx.store;
      await resourceTags.record(ref, { team: 'ml' });
      const reborn = { ...ref, createdAt: at(20) };
      expect(await resourceTags.changes(reborn)).toEqual({});
      await resourceTags.record(reborn, { team: 'data' });
      expect(await resourceTags.changes(reborn)).toEqual({ team: 'data' });
      expect(await resourceTags.changes(ref)).toEqual({});
    });
  });

  describe('resource documents', () => {
    it('stores one document per resource incarnation', async () => {
      const { resourceDocuments } = ctx.store;
      const ref = { kind: 'model', name: 'm1', createdAt: at(10) };
      await resourceDocuments.put(ref, { ModelDataUrl: 's3://b/k', nested: { a: [1, 2] } });
      expect(await resourceDocuments.find(ref)).toEqual({ ModelDataUrl: 's3://b/k', nested: { a: [1, 2] } });
      expect(await resourceDocuments.find({ ...ref, createdAt: at(11) })).toBeUndefined();
      await resourceDocuments.put({ ...ref, createdAt: at(11) }, { v: 2 });
      expect(await resourceDocuments.find({ ...ref, createdAt: at(11) })).toEqual({ v: 2 });
      expect(await resourceDocuments.find(ref)).toBeUndefined();
    });

    it('puts a document conditionally: one of concurrent writers with the same expectation wins', async () => {
      const { resourceDocuments } = ctx.store;
      const ref = { kind: 'claim', name: 'c1', createdAt: at(10) };
      const first = await Promise.all([1, 2, 3].map((n) => resourceDocuments.putIf(ref, { holder: n }, undefined)));
      expect(first.filter(Boolean)).toHaveLength(1);
      const held = await resourceDocuments.find(ref);
      expect(held).toEqual({ holder: first.indexOf(true) + 1 });
      expect(await resourceDocuments.putIf(ref, { holder: 9 }, undefined)).toBe(false);
      expect(await resourceDocuments.putIf(ref, { holder: 9 }, { holder: 0 })).toBe(false);
      const next = await Promise.all([4, 5].map((n) => resourceDocuments.putIf(ref, { holder: n, nested: { a: [1] } }, held)));
      expect(next.filter(Boolean)).toHaveLength(1);
      const now = await resourceDocuments.find(ref);
      expect(await resourceDocuments.putIf(ref, { done: true }, now)).toBe(true);
      expect(await resourceDocuments.find(ref)).toEqual({ done: true });
      // a document of a deleted incarnation of the name is no document for the new one
      const reborn = { ...ref, createdAt: at(20) };
      expect(await resourceDocuments.putIf(reborn, { done: true }, { done: true })).toBe(false);
      expect(await resourceDocuments.putIf(reborn, { holder: 1 }, undefined)).toBe(true);
      expect(await resourceDocuments.find(reborn)).toEqual({ holder: 1 });
      expect(await resourceDocuments.find(ref)).toBeUndefined();
    });
  });
}
