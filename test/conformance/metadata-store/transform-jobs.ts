import { describe, expect, it } from 'vitest';
import { at, collectPages, expectCode, type StoreContext } from './context.js';

const spec = { model: 'm', input: { dataset: 'd', version: 2, contentType: 'text/csv', splitType: 'Line' }, maxRecordErrors: 0 };
const progress = { recordsProcessed: 0, recordsOut: 0, recordsFailed: 0, failedRecords: [], requests: 0 };

const newJob = (name: string, seconds = 0) => ({ name, arn: `arn:stratus:transform-job/${name}`, spec, progress, at: at(seconds) });

/** TransformJobRepository: lifecycle, transitions, progress, listing. */
export function transformJobCases(ctx: StoreContext): void {
  describe('transform jobs', () => {
    it('creates a job InProgress / Starting with its spec and progress', async () => {
      const created = await ctx.store.transformJobs.create(newJob('tj-1', 5));
      const read = await ctx.store.transformJobs.get('tj-1');
      expect(read).toEqual(created);
      expect(read).toMatchObject({ name: 'tj-1', spec, progress, status: 'InProgress', secondaryStatus: 'Starting' });
      expect(read.createdAt).toEqual(at(5));
      expect(read.transitions).toEqual([{ status: 'Starting', startTime: at(5) }]);
      expect(read.outputArtifactUri).toBeUndefined();
    });

    it('rejects a duplicate name with ResourceInUse and reports missing jobs', async () => {
      const { transformJobs } = ctx.store;
      await transformJobs.create(newJob('tj-1'));
      await expectCode(transformJobs.create(newJob('tj-1')), 'ResourceInUse');
      expect(await transformJobs.find('nope')).toBeUndefined();
      await expectCode(transformJobs.get('nope'), 'NotFound');
      await expectCode(transformJobs.update('nope', { status: 'Failed' }, at(1)), 'NotFound');
    });

    it('updates progress without a transition and appends one per secondary status', async () => {
      const { transformJobs } = ctx.store;
      await transformJobs.create(newJob('tj-1', 0));
      await transformJobs.update('tj-1', { secondaryStatus: 'Transforming', startedAt: at(2), statusMessage: '2 replicas' }, at(2));
      const mid = await transformJobs.update('tj-1', { progress: { ...progress, recordsProcessed: 500, recordsTotal: 1000 } }, at(3));
      expect(mid.progress).toMatchObject({ recordsProcessed: 500, recordsTotal: 1000 });
      expect(mid.transitions).toHaveLength(2);
      const failed = { file: 'x.csv', line: 7, message: 'row 1, column 2: bad' };
      const done = await transformJobs.update('tj-1', {
        status: 'Completed', secondaryStatus: 'Completed', endedAt: at(9), outputArtifactUri: 'file:///o/x.csv.out',
        progress: { ...progress, recordsProcessed: 1000, recordsOut: 999, recordsFailed: 1, failedRecords: [failed] },
      }, at(9));
      expect(done).toMatchObject({ status: 'Completed', outputArtifactUri: 'file:///o/x.csv.out', startedAt: at(2), endedAt: at(9), updatedAt: at(9) });
      expect(done.progress.failedRecords).toEqual([failed]);
      expect(done.transitions).toEqual([
        { status: 'Starting', startTime: at(0), endTime: at(2) },
        { status: 'Transforming', startTime: at(2), endTime: at(9), message: '2 replicas' },
        { status: 'Completed', startTime: at(9) },
      ]);
      expect(await transformJobs.get('tj-1')).toEqual(done);
    });

    it('lists active jobs and filters lists by status, in pages', async () => {
      const { transformJobs } = ctx.store;
      for (let i = 0; i < 5; i++) await transformJobs.create(newJob(`tj-${i}`, i));
      await transformJobs.update('tj-1', { status: 'Failed', secondaryStatus: 'Failed', failureReason: 'boom' }, at(10));
      await transformJobs.update('tj-3', { status: 'Stopping', secondaryStatus: 'Stopping' }, at(10));
      expect((await transformJobs.listActive()).map((j) => j.name)).toEqual(['tj-0', 'tj-2', 'tj-3', 'tj-4']);
      const failed = await transformJobs.list({ status: 'Failed' });
      expect(failed.items.map((j) => [j.name, j.failureReason])).toEqual([['tj-1', 'boom']]);
      const pages = await collectPages((nextToken) => transformJobs.list({ limit: 2, nextToken }));
      expect(pages.map((p) => p.map((j) => j.name))).toEqual([['tj-4', 'tj-3'], ['tj-2', 'tj-1'], ['tj-0']]);
      expect((await transformJobs.list({ nameContains: 'J-2' })).items.map((j) => j.name)).toEqual(['tj-2']);
    });

    it('writes inside a store transaction and rolls back with it', async () => {
      await expect(ctx.store.transaction(async (tx) => {
        await tx.transformJobs.create(newJob('tj-tx'));
        throw new Error('abort');
      })).rejects.toThrow('abort');
      expect(await ctx.store.transformJobs.find('tj-tx')).toBeUndefined();
    });
  });
}
