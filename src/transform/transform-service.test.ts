import { describe, expect, it } from 'vitest';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import { systemClock } from '../core/clock.js';
import { createLogger } from '../core/logger.js';
import type { DatasetService } from '../data/dataset-service.js';
import { openMetadataStore } from '../store/open-store.js';
import { emptyProgress } from './runner.js';
import { TransformService } from './transform-service.js';

describe('TransformService.recover', () => {
  it('fails jobs a previous server left InProgress and ends Stopping ones as Stopped', async () => {
    const store = await openMetadataStore('sqlite::memory:');
    try {
      const at = new Date(Date.UTC(2024, 0, 1));
      for (const name of ['running', 'stopping', 'done']) {
        await store.transformJobs.create({ name, arn: `arn:${name}`, spec: { model: 'm' }, progress: { ...emptyProgress() }, at });
      }
      await store.transformJobs.update('stopping', { status: 'Stopping', secondaryStatus: 'Stopping' }, at);
      await store.transformJobs.update('done', { status: 'Completed', secondaryStatus: 'Completed' }, at);
      const service = new TransformService({
        store,
        artifacts: {} as ArtifactStore,
        datasets: {} as DatasetService,
        startModel: () => Promise.reject(new Error('no model in this test')),
        clock: systemClock,
        log: createLogger({ level: 'silent' }),
      });
      await service.recover();
      const running = await store.transformJobs.get('running');
      expect(running).toMatchObject({ status: 'Failed', secondaryStatus: 'Interrupted' });
      expect(running.failureReason).toMatch(/^interrupted by a server restart/);
      expect(running.endedAt).toBeInstanceOf(Date);
      expect(await store.transformJobs.get('stopping')).toMatchObject({ status: 'Stopped', secondaryStatus: 'Stopped' });
      expect(await store.transformJobs.get('done')).toMatchObject({ status: 'Completed' });
    } finally {
      await store.close();
    }
  });
});

describe('TransformService.dispatch (cluster leader)', () => {
  it('starts queued jobs, runs again those a dead node began, ends unheld Stopping ones, leaves held ones alone', async () => {
    const store = await openMetadataStore('sqlite::memory:');
    try {
      const at = new Date(Date.UTC(2024, 0, 1));
      for (const name of ['queued', 'lost', 'stopped-queued', 'held']) {
        await store.transformJobs.create({ name, arn: `arn:${name}`, spec: { model: 'm' }, progress: { ...emptyProgress() }, at });
      }
      await store.transformJobs.update('lost', { secondaryStatus: 'Transforming', progress: { ...emptyProgress(), recordsProcessed: 7 } }, at);
      await store.transformJobs.update('held', { secondaryStatus: 'Transforming' }, at);
      await store.transformJobs.update('stopped-queued', { status: 'Stopping', secondaryStatus: 'Stopping' }, at);
      const service = new TransformService({
        store,
        artifacts: {} as ArtifactStore,
        datasets: {} as DatasetService,
        // A run that starts fails at once (no model here): its Failed transition shows it started.
        startModel: () => Promise.reject(new Error('no model in this test')),
        clock: systemClock,
        log: createLogger({ level: 'silent' }),
        dispatcher: { leader: true, id: 'h:2:2' },
      });
      await service.dispatch(new Set(['held']), new Map([['lost', 'h:1:1']]));
      const ended = async (name: string) => {
        for (;;) {
          const job = await store.transformJobs.get(name);
          if (job.status !== 'InProgress') return job;
          await new Promise((r) => setTimeout(r, 20));
        }
      };
      expect((await ended('queued')).transitions.map((t) => t.status)).toEqual(['Starting', 'Failed']);
      const lost = await ended('lost');
      expect(lost.transitions.map((t) => [t.status, t.message])).toEqual([
        ['Starting', undefined],
        ['Transforming', undefined],
        ['Starting', 'restarted from the start on node h:2:2: node h:1:1 died while the job was Transforming'],
        ['Failed', lost.failureReason],
      ]);
      expect(await store.transformJobs.get('stopped-queued')).toMatchObject({ status: 'Stopped', secondaryStatus: 'Stopped' });
      expect((await store.transformJobs.get('stopped-queued')).transitions.at(-1)?.message).toBe('Stopped before it started');
      expect(await store.transformJobs.get('held')).toMatchObject({ status: 'InProgress', secondaryStatus: 'Transforming' });
    } finally {
      await store.close();
    }
  });
});

describe('TransformService.close on a cluster node', () => {
  it('puts a running job back in the queue for the leader instead of failing it', async () => {
    const store = await openMetadataStore('sqlite::memory:');
    try {
      const at = new Date(Date.UTC(2024, 0, 1));
      await store.models.create({ name: 'm', arn: 'arn:m', spec: {}, at });
      const spec = { model: 'm', input: { artifactKey: 'in.csv', contentType: 'text/csv', splitType: 'Line' }, instanceCount: 1 };
      await store.transformJobs.create({ name: 'busy', arn: 'arn:busy', spec, progress: { ...emptyProgress() }, at });
      let modelStarting!: () => void;
      const starting = new Promise<void>((r) => (modelStarting = r));
      const service = new TransformService({
        store,
        artifacts: { getBytes: async () => Buffer.from('1,2\n') } as unknown as ArtifactStore,
        datasets: {} as DatasetService,
        // The replicas start slowly: the node shuts down meanwhile.
        startModel: () => (modelStarting(), new Promise((r) => setTimeout(() => r({ invoke: async () => '', stop: async () => undefined }), 50))),
        clock: systemClock,
        log: createLogger({ level: 'silent' }),
        dispatcher: { leader: true, id: 'h:1:1' },
      });
      await service.dispatch(new Set(), new Map());
      await starting;
      expect(service.runningJobs()).toEqual(['busy']);
      await service.close();
      const job = await store.transformJobs.get('busy');
      expect(job).toMatchObject({ status: 'InProgress', secondaryStatus: 'Starting' });
      expect(job.transitions.at(-1)?.message).toMatch(/^requeued: node h:1:1 shut down/);
      expect(service.runningJobs()).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
