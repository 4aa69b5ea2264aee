import { describe, expect, it } from 'vitest';
import { at, expectCode, type StoreContext } from './context.js';

const newEval = (name: string, seconds = 0) => ({ name, arn: `arn:stratus:evaluation-job/${name}`, spec: { model: 'm', method: { type: 'holdout' } }, at: at(seconds) });
const arnOf = (group: string) => (v: number) => `arn:stratus:model-package/${group}/${v}`;

/** Evaluation jobs, the model registry and the endpoint deployment log (migration 0006). */
export function evaluationRegistryCases(ctx: StoreContext): void {
  describe('evaluation jobs', () => {
    it('runs the lifecycle with transitions, a summary and a report uri', async () => {
      const { evaluationJobs } = ctx.store;
      const created = await evaluationJobs.create(newEval('ev-1', 1));
      expect(created).toMatchObject({ status: 'InProgress', secondaryStatus: 'Starting', spec: { model: 'm' } });
      await expectCode(evaluationJobs.create(newEval('ev-1')), 'ResourceInUse');
      await evaluationJobs.update('ev-1', { secondaryStatus: 'Evaluating', startedAt: at(2) }, at(2));
      expect((await evaluationJobs.listActive()).map((j) => j.name)).toEqual(['ev-1']);
      const done = await evaluationJobs.update('ev-1', {
        status: 'Completed', secondaryStatus: 'Completed', endedAt: at(5), summary: { metrics: { auc: 0.9 } }, reportUri: 'file:///r.json',
      }, at(5));
      expect(done).toMatchObject({ status: 'Completed', summary: { metrics: { auc: 0.9 } }, reportUri: 'file:///r.json', endedAt: at(5) });
      expect(done.transitions.map((t) => t.status)).toEqual(['Starting', 'Evaluating', 'Completed']);
      expect(done.transitions[0].endTime).toEqual(at(2));
      expect(await evaluationJobs.listActive()).toEqual([]);
      await evaluationJobs.create(newEval('ev-2', 3));
      expect((await evaluationJobs.list({ status: 'InProgress' })).items.map((j) => j.name)).toEqual(['ev-2']);
      expect((await evaluationJobs.list()).items.map((j) => j.name)).toEqual(['ev-2', 'ev-1']);
      await expectCode(evaluationJobs.get('nope'), 'NotFound');
    });
  });

  describe('model registry', () => {
    it('numbers versions per group, keeps lineage both ways and approval with who/when/why', async () => {
      const reg = ctx.store.modelRegistry;
      await reg.createGroup({ name: 'churn', arn: 'arn:g/churn', description: 'd', at: at(0), actor: 'admin' });
      await expectCode(reg.createGroup({ name: 'churn', arn: 'x', at: at(0) }), 'ResourceInUse');
      await reg.createGroup({ name: 'other', arn: 'arn:g/other', at: at(1) });
      const v1 = await reg.registerVersion({ group: 'churn', arnOf: arnOf('churn'), spec: { artifactUri: 'a1' }, model: 'm1', trainingJob: 'tj1', at: at(2) });
      const v2 = await reg.registerVersion({ group: 'churn', arnOf: arnOf('churn'), spec: { artifactUri: 'a2' }, model: 'm2', evaluationJob: 'ev1', at: at(3) });
      const o1 = await reg.registerVersion({ group: 'other', arnOf: arnOf('other'), spec: {}, model: 'm1', at: at(3) });
      expect([v1.version, v2.version, o1.version]).toEqual([1, 2, 1]);
      expect(v1).toMatchObject({ arn: 'arn:stratus:model-package/churn/1', approvalStatus: 'PendingManualApproval', model: 'm1', trainingJob: 'tj1' });
      await expectCode(reg.registerVersion({ group: 'nope', arnOf: arnOf('nope'), spec: {}, at: at(3) }), 'NotFound');
      expect((await reg.getGroup('churn')).latestVersion).toBe(2);
      expect((await reg.versionsFrom({ model: 'm1' })).map((v) => `${v.group}/${v.version}`)).toEqual(['churn/1', 'other/1']);
      expect((await reg.versionsFrom({ trainingJob: 'tj1' })).map((v) => v.version)).toEqual([1]);
      expect((await reg.versionsFrom({ evaluationJob: 'ev1' })).map((v) => v.version)).toEqual([2]);
      expect(await reg.versionsFrom({ model: [] })).toEqual([]);

      const approved = await reg.setApproval('churn', 2, 'Approved', { by: 'admin:k1', at: at(4), reason: 'auc 0.97 beats v1' });
      expect(approved).toMatchObject({ approvalStatus: 'Approved', approval: { by: 'admin:k1', at: at(4), reason: 'auc 0.97 beats v1' } });
      expect(await reg.getVersion('churn', 2)).toEqual(approved);
      await expectCode(reg.setApproval('churn', 9, 'Approved', { by: 'x', at: at(4) }), 'NotFound');

      const page1 = await reg.listVersions('churn', { limit: 1 });
      expect(page1.items.map((v) => v.version)).toEqual([2]);
      const page2 = await reg.listVersions('churn', { limit: 1, nextToken: page1.nextToken });
      expect(page2).toEqual({ items: [expect.objectContaining({ version: 1 })] });
      expect((await reg.listVersions('churn', { approvalStatus: 'Approved' })).items.map((v) => v.version)).toEqual([2]);
    });

    it('moves aliases as events and keeps an append-only history; delete removes everything', async () => {
      const reg = ctx.store.modelRegistry;
      await reg.createGroup({ name: 'g', arn: 'arn:g/g', at: at(0) });
      await reg.registerVersion({ group: 'g', arnOf: arnOf('g'), spec: {}, at: at(1) });
      await reg.registerVersion({ group: 'g', arnOf: arnOf('g'), spec: {}, at: at(2) });
      expect(await reg.setAlias('g', 'production', 1, at(3), 'admin')).toEqual({ alias: 'production', version: 1 });
      expect(await reg.setAlias('g', 'production', 2, at(4), 'admin')).toEqual({ alias: 'production', version: 2, previous: 1 });
      await reg.setAlias('g', 'candidate', 1, at(5));
      await expectCode(reg.setAlias('g', 'x', 7, at(5)), 'NotFound');
      expect([...(await reg.aliases('g'))]).toEqual([['candidate', 1], ['production', 2]]);
      await reg.deleteAlias('g', 'candidate', at(6));
      await expectCode(reg.deleteAlias('g', 'candidate', at(6)), 'NotFound');
      await reg.appendEvent({ group: 'g', at: at(7), type: 'deployed', version: 2, detail: { endpoint: 'e' } });
      const events = await reg.events('g');
      expect(events.map((e) => [e.seq, e.type, e.version])).toEqual([
        [1, 'group_created', undefined], [2, 'registered', 1], [3, 'registered', 2], [4, 'alias_moved', 1], [5, 'alias_moved', 2],
        [6, 'alias_moved', 1], [7, 'alias_deleted', 1], [8, 'deployed', 2],
      ]);
      expect(events[4]).toMatchObject({ at: at(4), actor: 'admin', detail: { alias: 'production', from: 1, to: 2 } });
      expect((await reg.events('g', { type: 'alias_moved' })).length).toBe(3);
      expect((await reg.events('g', { since: 6 })).map((e) => e.seq)).toEqual([7, 8]);
      await reg.deleteGroup('g');
      expect(await reg.findGroup('g')).toBeUndefined();
      expect(await reg.events('g')).toEqual([]);
      expect(await reg.findVersion('g', 1)).toBeUndefined();
      await expectCode(reg.deleteGroup('g'), 'NotFound');
    });
  });

  describe('endpoint deployments', () => {
    it('answers what an endpoint served at a time', async () => {
      const d = ctx.store.endpointDeployments;
      await d.record({ endpoint: 'e', at: at(10), config: 'c1', models: [{ variant: 'A', model: 'm1' }] });
      await d.record({ endpoint: 'e', at: at(20), config: 'c2', models: [{ variant: 'A', model: 'm2' }, { variant: 'S', model: 'm3', shadow: true }] });
      await d.record({ endpoint: 'e', at: at(30), models: [] });
      expect(await d.at('e', at(5))).toBeUndefined();
      expect(await d.at('e', at(10))).toMatchObject({ seq: 1, config: 'c1' });
      expect(await d.at('e', at(25))).toMatchObject({ seq: 2, models: [{ model: 'm2' }, { model: 'm3', shadow: true }] });
      expect((await d.at('e', at(31)))?.config).toBeUndefined();
      expect((await d.history('e')).map((r) => r.seq)).toEqual([1, 2, 3]);
      expect(await d.history('other')).toEqual([]);
    });
  });
}
