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
