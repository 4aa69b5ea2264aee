import { describe, expect, it } from 'vitest';
import type { MetricPoint, TrainingJobStatus } from '../../../src/store/metadata-store.js';
import { at, collectPages, expectCode, type StoreContext } from './context.js';

const spec = { algorithm: 'linear-learner', hyperparameters: { epochs: 3, l2: 0.1 }, input: { datasetUri: 'ds://iris' } };

const newJob = (name: string, seconds = 0) => ({ name, arn: `arn:stratus:training-job/${name}`, spec, at: at(seconds) });

const point = (name: string, step: number, value: number, seconds = step): MetricPoint => ({
  name,
  step,
  value,
  timestamp: at(seconds),
});

/** TrainingJobRepository: lifecycle, transitions, listing, metrics. */
export function trainingJobCases(ctx: StoreContext): void {
  describe('training jobs', () => {
    it('creates a job InProgress / Starting with one open transition', async () => {
      const created = await ctx.store.trainingJobs.create(newJob('job-1', 5));
      const read = await ctx.store.trainingJobs.get('job-1');
      expect(read).toEqual(created);
      expect(read).toMatchObject({ name: 'job-1', spec, status: 'InProgress', secondaryStatus: 'Starting' });
      expect(read.createdAt).toEqual(at(5));
      expect(read.updatedAt).toEqual(at(5));
      expect(read.transitions).toEqual([{ status: 'Starting', startTime: at(5) }]);
      expect(read.runtime).toBeUndefined();
    });

    it('rejects a duplicate name with ResourceInUse and reports missing jobs', async () => {
      const { trainingJobs } = ctx.store;
      await trainingJobs.create(newJob('job-1'));
      await expectCode(trainingJobs.create(newJob('job-1')), 'ResourceInUse');
      expect(await trainingJobs.find('nope')).toBeUndefined();
      await expectCode(trainingJobs.get('nope'), 'NotFound');
      await expectCode(trainingJobs.update('nope', { status: 'Failed' }, at(1)), 'NotFound');
    });

    it('closes the open transition and appends one for each secondary status', async () => {
      const { trainingJobs } = ctx.store;
      await trainingJobs.create(newJob('job-1', 0));
      await trainingJobs.update('job-1', { secondaryStatus: 'Training', statusMessage: 'epoch 1' }, at(10));
      const done = await trainingJobs.update(
        'job-1',
        { status: 'Completed', secondaryStatus: 'Completed', endedAt: at(20), billableSeconds: 19.5 },
        at(20),
      );
      expect(done).toMatchObject({ status: 'Completed', secondaryStatus: 'Completed', billableSeconds: 19.5 });
      expect(done.endedAt).toEqual(at(20));
      expect(done.updatedAt).toEqual(at(20));
      expect(done.transitions).toEqual([
        { status: 'Starting', startTime: at(0), endTime: at(10) },
        { status: 'Training', startTime: at(10), endTime: at(20), message: 'epoch 1' },
        { status: 'Completed', startTime: at(20) },
      ]);
      expect(await trainingJobs.get('job-1')).toEqual(done);
    });

    it('changes no transition for a patch with only status, and sets and clears fields', async () => {
      const { trainingJobs } = ctx.store;
      await trainingJobs.create(newJob('job-1'));
      const patched = await trainingJobs.update(
        'job-1',
        {
          status: 'Stopping',
          failureReason: 'oom',
          modelArtifactUri: 'file:///m',
          outputArtifactUri: 'file:///o',
          logUri: 'file:///l',
          startedAt: at(1),
          runtime: { pid: 42, host: 'worker-1' },
        },
        at(3),
      );
      expect(patched.transitions).toEqual([{ status: 'Starting', startTime: at(0) }]);
      expect(patched).toMatchObject({
        status: 'Stopping',
        secondaryStatus: 'Starting',
        failureReason: 'oom',
        modelArtifactUri: 'file:///m',
        outputArtifactUri: 'file:///o',
        logUri: 'file:///l',
        runtime: { pid: 42, host: 'worker-1' },
      });
      expect(patched.startedAt).toEqual(at(1));
      const cleared = await trainingJobs.update('job-1', { runtime: null }, at(4));
      expect(cleared.runtime).toBeUndefined();
      expect(cleared.failureReason).toBe('oom');
    });

    it('updates only while the status is one of those given (a stop cannot overwrite a final status)', async () => {
      const { trainingJobs } = ctx.store;
      await trainingJobs.create(newJob('job-1'));
      const stopping = await trainingJobs.updateIf('job-1', ['InProgress'], { status: 'Stopping', secondaryStatus: 'Stopping', statusMessage: 'Stop requested' }, at(2));
      expect(stopping).toMatchObject({ status: 'Stopping', secondaryStatus: 'Stopping' });
      expect(await trainingJobs.updateIf('job-1', ['InProgress'], { status: 'Completed', secondaryStatus: 'Completed' }, at(3))).toBeUndefined();
      const read = await trainingJobs.get('job-1');
      expect(read.status).toBe('Stopping');
      expect(read.transitions.map((t) => t.status)).toEqual(['Starting', 'Stopping']);
      expect(await trainingJobs.updateIf('nope', ['InProgress'], { status: 'Stopping' }, at(3))).toBeUndefined();
    });

    it('keeps one open transition under concurrent secondary-status updates', async () => {
      const { trainingJobs } = ctx.store;
      await trainingJobs.create(newJob('job-1'));
      await Promise.all(
        Array.from({ length: 10 }, (_, i) => trainingJobs.update('job-1', { secondaryStatus: `S${i}` }, at(i + 1))),
      );
      const { transitions } = await trainingJobs.get('job-1');
      expect(transitions).toHaveLength(11);
      expect(transitions.filter((t) => t.endTime === undefined)).toHaveLength(1);
      expect(transitions[10].endTime).toBeUndefined();
    });

    it('lists by status and name, newest first, in pages', async () => {
      const { trainingJobs } = ctx.store;
      for (let i = 0; i < 7; i++) await trainingJobs.create(newJob(`job-${i}`, i));
      await trainingJobs.create(newJob('other', 100));
      await trainingJobs.update('job-2', { status: 'Failed' }, at(50));
      await trainingJobs.update('job-4', { status: 'Failed' }, at(50));
      const failed = await trainingJobs.list({ status: 'Failed' });
      expect(failed.items.map((j) => j.name)).toEqual(['job-4', 'job-2']);
      const pages = await collectPages((nextToken) => trainingJobs.list({ nameContains: 'job-', limit: 3, nextToken }));
      expect(pages.map((p) => p.map((j) => j.name))).toEqual([
        ['job-6', 'job-5', 'job-4'],
        ['job-3', 'job-2', 'job-1'],
        ['job-0'],
      ]);
      const asc = await trainingJobs.list({ order: 'asc', limit: 2 });
      expect(asc.items.map((j) => j.name)).toEqual(['job-0', 'job-1']);
      const next = await trainingJobs.list({ order: 'asc', limit: 2, nextToken: asc.nextToken });
      expect(next.items.map((j) => j.name)).toEqual(['job-2', 'job-3']);
      expect(pages[0][0].transitions).toEqual([{ status: 'Starting', startTime: at(6) }]);
    });

    it('rejects a bad nextToken or limit with ValidationError', async () => {
      await expectCode(ctx.store.trainingJobs.list({ nextToken: 'not-a-token' }), 'ValidationError');
      await expectCode(ctx.store.trainingJobs.list({ limit: 0 }), 'ValidationError');
    });

    it('lists InProgress and Stopping jobs as active', async () => {
      const { trainingJobs } = ctx.store;
      const statuses: TrainingJobStatus[] = ['InProgress', 'Completed', 'Failed', 'Stopping', 'Stopped'];
      for (const [i, status] of statuses.entries()) {
        await trainingJobs.create(newJob(`job-${i}`, i));
        if (status !== 'InProgress') await trainingJobs.update(`job-${i}`, { status }, at(10));
      }
      const active = await trainingJobs.listActive();
      expect(active.map((j) => [j.name, j.status])).toEqual([
        ['job-0', 'InProgress'],
        ['job-3', 'Stopping'],
      ]);
    });

    it('returns metrics ordered by name, step and timestamp, optionally of one name', async () => {
      const { trainingJobs } = ctx.store;
      await trainingJobs.create(newJob('job-1'));
      await trainingJobs.appendMetrics('job-1', [point('loss', 2, 0.5), point('acc', 1, 0.7), point('loss', 1, 0.9)]);
      await trainingJobs.appendMetrics('job-1', [point('loss', 1, 0.8, 9), point('acc', 0, 0.1)]);
      const all = await trainingJobs.metrics('job-1');
      expect(all.map((p) => [p.name, p.step, p.value])).toEqual([
        ['acc', 0, 0.1],
        ['acc', 1, 0.7],
        ['loss', 1, 0.9],
        ['loss', 1, 0.8],
        ['loss', 2, 0.5],
      ]);
      expect(all[3].timestamp).toEqual(at(9));
      expect((await trainingJobs.metrics('job-1', 'acc')).map((p) => p.step)).toEqual([0, 1]);
    });

    it('stores NaN, infinite and large batches of metric values', async () => {
      const { trainingJobs } = ctx.store;
      await trainingJobs.create(newJob('job-1'));
      await trainingJobs.appendMetrics('job-1', [point('a', 0, Number.NaN), point('a', 1, Infinity), point('a', 2, -1e-300)]);
      expect((await trainingJobs.metrics('job-1', 'a')).map((p) => p.value)).toEqual([Number.NaN, Infinity, -1e-300]);
      await trainingJobs.appendMetrics('job-1', Array.from({ length: 1200 }, (_, i) => point('b', i, i / 7)));
      const b = await trainingJobs.metrics('job-1', 'b');
      expect(b).toHaveLength(1200);
      expect(b[1199]).toMatchObject({ step: 1199, value: 1199 / 7 });
    });

    it('throws NotFound for metrics of a missing job', async () => {
      await expectCode(ctx.store.trainingJobs.appendMetrics('nope', [point('a', 0, 1)]), 'NotFound');
      await expectCode(ctx.store.trainingJobs.metrics('nope'), 'NotFound');
    });
  });
}
