import { describe, expect, it } from 'vitest';
import type { MetricPoint } from '../../../src/store/metadata-store.js';
import { at, collectPages, expectCode, type StoreContext } from './context.js';

const newJob = (name: string, seconds: number, experiment?: string) => ({
  name,
  arn: `arn:stratus:training-job/${name}`,
  spec: { algorithm: 'linear-learner', hyperparameters: { epochs: '3' } },
  at: at(seconds),
  ...(experiment === undefined ? {} : { experiment }),
});

const point = (name: string, step: number, value: number, seconds = step): MetricPoint => ({ name, step, value, timestamp: at(seconds) });

/** ExperimentRepository and RunRepository: experiments as groups of training jobs, logged params, final metrics. */
export function experimentCases(ctx: StoreContext): void {
  describe('experiments and runs', () => {
    it("puts a job in the 'Default' experiment unless it names one, and lists jobs of one experiment", async () => {
      const { trainingJobs } = ctx.store;
      expect((await trainingJobs.create(newJob('a', 1))).experiment).toBe('Default');
      expect((await trainingJobs.create(newJob('b', 2, 'churn'))).experiment).toBe('churn');
      await trainingJobs.create(newJob('c', 3, 'churn'));
      expect((await trainingJobs.get('b')).experiment).toBe('churn');
      expect((await trainingJobs.list({ experiment: 'churn' })).items.map((j) => j.name)).toEqual(['c', 'b']);
      expect((await trainingJobs.list({ experiment: 'Default' })).items.map((j) => j.name)).toEqual(['a']);
      expect((await trainingJobs.list({ experiment: 'none' })).items).toEqual([]);
    });

    it('aggregates runs per experiment: counts by status, first creation and last activity', async () => {
      const { trainingJobs, experiments } = ctx.store;
      await trainingJobs.create(newJob('a', 1, 'churn'));
      await trainingJobs.create(newJob('b', 5, 'churn'));
      await trainingJobs.create(newJob('c', 3, 'fraud'));
      await trainingJobs.update('a', { status: 'Completed' }, at(9));
      expect(await experiments.get('churn')).toEqual({
        name: 'churn',
        runCount: 2,
        statusCounts: { Completed: 1, InProgress: 1 },
        createdAt: at(1),
        lastActivityAt: at(9),
      });
      expect(await experiments.find('nope')).toBeUndefined();
      await expectCode(experiments.get('nope'), 'NotFound');
      const page = await experiments.list();
      expect(page.items.map((e) => [e.name, e.runCount])).toEqual([['churn', 2], ['fraud', 1]]);
      expect(page.nextToken).toBeUndefined();
    });

    it('pages experiments by name and filters by a case-insensitive substring', async () => {
      const { trainingJobs, experiments } = ctx.store;
      for (let i = 0; i < 5; i++) await trainingJobs.create(newJob(`j${i}`, i, `exp-${i}`));
      await trainingJobs.create(newJob('other', 9, 'Other_1'));
      const pages = await collectPages((nextToken) => experiments.list({ limit: 2, nextToken, nameContains: 'EXP-' }));
      expect(pages.map((p) => p.map((e) => e.name))).toEqual([['exp-0', 'exp-1'], ['exp-2', 'exp-3'], ['exp-4']]);
      expect((await experiments.list({ nameContains: '_' })).items.map((e) => e.name)).toEqual(['Other_1']);
      await expectCode(experiments.list({ nextToken: 'garbage' }), 'ValidationError');
    });

    it('logs params on a run; a name logged again takes the new value', async () => {
      const { trainingJobs, runs } = ctx.store;
      await trainingJobs.create(newJob('a', 1));
      await trainingJobs.create(newJob('b', 2));
      await runs.logParams('a', { optimizer: 'adam', layers: '3' }, at(2));
      await runs.logParams('a', { layers: '4' }, at(3));
      await runs.logParams('a', {}, at(4));
      const params = await runs.params(['a', 'b']);
      expect(params.get('a')).toEqual({ layers: '4', optimizer: 'adam' });
      expect(params.has('b')).toBe(false);
      await expectCode(runs.logParams('nope', { x: '1' }, at(1)), 'NotFound');
      await expectCode(runs.logParams('nope', {}, at(1)), 'NotFound');
    });

    it('gives the last point of each series (highest step, then latest time) and the last step per metric', async () => {
      const { trainingJobs, runs } = ctx.store;
      await trainingJobs.create(newJob('a', 1));
      await trainingJobs.create(newJob('b', 2));
      await trainingJobs.create(newJob('c', 3));
      await trainingJobs.appendMetrics('a', [point('loss', 0, 0.9), point('loss', 2, 0.3), point('loss', 1, 0.5), point('auc', 0, 0.7), point('auc', 0, 0.8, 5)]);
      await trainingJobs.appendMetrics('b', [point('loss', 0, Number.NaN)]);
      const final = await runs.finalMetrics(['a', 'b', 'c']);
      expect(final.get('a')).toEqual([point('auc', 0, 0.8, 5), point('loss', 2, 0.3)]);
      expect(final.get('b')?.[0].value).toBeNaN();
      expect(final.has('c')).toBe(false);
      const steps = await runs.lastSteps('a', ['loss', 'auc', 'none']);
      expect([...steps.entries()].sort()).toEqual([['auc', 0], ['loss', 2]]);
    });
  });
}
