import { describe, expect, it } from 'vitest';
import { at, expectCode, type StoreContext } from './context.js';

export function pipelineCases(ctx: StoreContext): void {
  describe('pipelines', () => {
    it('versions definitions, lists pipelines and their latest definitions, deletes with executions', async () => {
      const r = ctx.store.pipelines;
      const v1 = await r.putVersion({ name: 'p', arn: 'arn:p', definition: { name: 'p', steps: [1] }, at: at(1), update: false });
      expect(v1).toEqual({ pipeline: 'p', version: 1, definition: { name: 'p', steps: [1] }, createdAt: at(1) });
      await expectCode(r.putVersion({ name: 'p', arn: 'arn:p', definition: {}, at: at(2), update: false }), 'ResourceInUse');
      await expectCode(r.putVersion({ name: 'q', arn: 'arn:q', definition: {}, at: at(2), update: true }), 'NotFound');
      const v2 = await r.putVersion({ name: 'p', arn: 'arn:p', definition: { name: 'p', steps: [2] }, at: at(3), update: true });
      expect(v2.version).toBe(2);
      expect(await r.get('p')).toEqual({ name: 'p', arn: 'arn:p', latestVersion: 2, createdAt: at(1), updatedAt: at(3) });
      expect((await r.getVersion('p', 1)).definition).toEqual({ name: 'p', steps: [1] });
      expect((await r.getVersion('p')).version).toBe(2);
      await expectCode(r.getVersion('p', 9), 'NotFound');
      await r.putVersion({ name: 'o', arn: 'arn:o', definition: { name: 'o' }, at: at(4), update: false });
      expect((await r.list()).items.map((p) => p.name)).toEqual(['o', 'p']);
      expect((await r.latestDefinitions()).map((v) => [v.pipeline, v.version])).toEqual([['o', 1], ['p', 2]]);
      await r.createExecution({ name: 'p-1', arn: 'arn:p-1', pipeline: 'p', pipelineVersion: 2, parameters: {}, trigger: { type: 'manual' }, createdAt: at(5) }, [{ step: 'a', type: 'fail' }]);
      await r.delete('p');
      expect(await r.find('p')).toBeUndefined();
      expect(await r.findExecution('p-1')).toBeUndefined();
      await expectCode(r.delete('p'), 'NotFound');
    });

    it('keeps executions with their steps in order, updates them, and finds cached step runs', async () => {
      const r = ctx.store.pipelines;
      await r.putVersion({ name: 'p', arn: 'arn:p', definition: {}, at: at(1), update: false });
      const e = await r.createExecution(
        { name: 'p-1', arn: 'arn:p-1', pipeline: 'p', pipelineVersion: 1, parameters: { x: 1 }, trigger: { type: 'manual' }, createdAt: at(2) },
        [{ step: 'z', type: 'processing' }, { step: 'a', type: 'training' }],
      );
      expect(e).toEqual({ name: 'p-1', arn: 'arn:p-1', pipeline: 'p', pipelineVersion: 1, parameters: { x: 1 }, trigger: { type: 'manual' }, status: 'Executing', createdAt: at(2), updatedAt: at(2) });
      expect((await r.steps('p-1')).map((s) => [s.step, s.status, s.attempts])).toEqual([['z', 'Pending', 0], ['a', 'Pending', 0]]);
      const s = await r.updateStep('p-1', 'z', { status: 'Succeeded', attempts: 1, cacheKey: 'k1', outputs: { rows: 3 }, resources: { dataset: 'd:1' }, startedAt: at(3), endedAt: at(4) });
      expect(s).toEqual({ execution: 'p-1', step: 'z', type: 'processing', status: 'Succeeded', attempts: 1, cacheKey: 'k1', outputs: { rows: 3 }, resources: { dataset: 'd:1' }, startedAt: at(3), endedAt: at(4) });
      await r.updateStep('p-1', 'a', { status: 'Failed', failureReason: 'boom', cacheKey: 'k2' });
      expect((await r.findCached('k1'))?.execution).toBe('p-1');
      expect(await r.findCached('k2')).toBeUndefined();
      await r.updateStep('p-1', 'a', { failureReason: null });
      expect((await r.steps('p-1'))[1].failureReason).toBeUndefined();
      await expectCode(r.updateStep('p-1', 'nope', { status: 'Failed' }), 'NotFound');
      const done = await r.updateExecution('p-1', { status: 'Failed', failureReason: 'x', endedAt: at(9) }, at(9));
      expect(done).toMatchObject({ status: 'Failed', failureReason: 'x', endedAt: at(9), updatedAt: at(9) });
      await r.createExecution({ name: 'p-2', arn: 'arn:p-2', pipeline: 'p', pipelineVersion: 1, parameters: {}, trigger: {}, createdAt: at(10) }, []);
      expect((await r.listExecutions({ pipeline: 'p' })).items.map((x) => x.name)).toEqual(['p-2', 'p-1']);
      expect((await r.listExecutions({ status: 'Executing' })).items.map((x) => x.name)).toEqual(['p-2']);
      await expectCode(r.createExecution({ name: 'p-2', arn: 'a', pipeline: 'p', pipelineVersion: 1, parameters: {}, trigger: {}, createdAt: at(11) }, []), 'ResourceInUse');
      await expectCode(r.getExecution('nope'), 'NotFound');
    });
  });
}
