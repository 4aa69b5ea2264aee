import { describe, expect, it } from 'vitest';
import { at, expectCode, type StoreContext } from './context.js';

export function monitoringCases(ctx: StoreContext): void {
  describe('monitoring', () => {
    it('creates baselines, refuses duplicates, updates and lists them', async () => {
      const r = ctx.store.monitoring;
      const spec = { dataset: { name: 'd', version: 2 }, targetColumn: '_c0' };
      const created = await r.createBaseline({ name: 'b1', arn: 'arn:b1', spec, at: at(1) });
      expect(created).toEqual({ name: 'b1', arn: 'arn:b1', spec, status: 'InProgress', createdAt: at(1), updatedAt: at(1) });
      await expectCode(r.createBaseline({ name: 'b1', arn: 'arn:b1', spec, at: at(2) }), 'ResourceInUse');
      await r.createBaseline({ name: 'b2', arn: 'arn:b2', spec, at: at(3) });
      const done = await r.updateBaseline('b1', { status: 'Completed', statisticsUri: 's', constraintsUri: 'c', summary: { rows: 3 } }, at(5));
      expect(done).toMatchObject({ status: 'Completed', statisticsUri: 's', constraintsUri: 'c', summary: { rows: 3 }, updatedAt: at(5), createdAt: at(1) });
      expect(await r.getBaseline('b1')).toEqual(done);
      expect(await r.findBaseline('nope')).toBeUndefined();
      await expectCode(r.getBaseline('nope'), 'NotFound');
      await expectCode(r.updateBaseline('nope', { status: 'Failed' }, at(6)), 'NotFound');
      expect((await r.listBaselines()).items.map((b) => b.name)).toEqual(['b2', 'b1']);
      expect((await r.listBaselines({ status: 'Completed' })).items.map((b) => b.name)).toEqual(['b1']);
      const page = await r.listBaselines({ limit: 1 });
      expect(page.items.map((b) => b.name)).toEqual(['b2']);
      expect((await r.listBaselines({ limit: 1, nextToken: page.nextToken })).items.map((b) => b.name)).toEqual(['b1']);
    });

    it('keeps a schedule with its cursor and last result, and deletes it with its alarms', async () => {
      const r = ctx.store.monitoring;
      const spec = { endpoint: 'ep', baseline: 'b1', periodSeconds: 60 };
      const s = await r.createSchedule({ name: 's1', arn: 'arn:s1', spec, at: at(1) });
      expect(s).toEqual({ name: 's1', arn: 'arn:s1', spec, status: 'Scheduled', cursor: {}, createdAt: at(1), updatedAt: at(1) });
      await expectCode(r.createSchedule({ name: 's1', arn: 'arn:s1', spec, at: at(1) }), 'ResourceInUse');
      const u = await r.updateSchedule('s1', { cursor: { 'ep/AllTraffic/': 'k2' }, lastRunAt: at(4), lastResult: { violations: 2 } }, at(4));
      expect(u).toMatchObject({ cursor: { 'ep/AllTraffic/': 'k2' }, lastRunAt: at(4), lastResult: { violations: 2 }, status: 'Scheduled' });
      expect((await r.updateSchedule('s1', { status: 'Stopped' }, at(5))).lastResult).toEqual({ violations: 2 });
      expect((await r.listSchedules({ status: 'Stopped' })).items.map((x) => x.name)).toEqual(['s1']);
      expect((await r.listSchedules({ status: 'Scheduled' })).items).toEqual([]);

      for (let i = 0; i < 3; i++) await r.appendAlarm({ schedule: 's1', at: at(10 + i), reportKey: `k${i}`, violations: i + 1, detail: { i } });
      await r.appendAlarm({ schedule: 'other', at: at(20), reportKey: 'x', violations: 1, detail: {} });
      const alarms = await r.alarms('s1');
      expect(alarms.map((a) => a.seq)).toEqual([3, 2, 1]);
      expect(alarms[0]).toEqual({ schedule: 's1', seq: 3, at: at(12), reportKey: 'k2', violations: 3, detail: { i: 2 } });
      expect(await r.alarms('s1', { limit: 1 })).toHaveLength(1);
      await r.deleteSchedule('s1');
      await expectCode(r.deleteSchedule('s1'), 'NotFound');
      expect(await r.alarms('s1')).toEqual([]);
      expect(await r.alarms('other')).toHaveLength(1);
      expect(await r.findSchedule('s1')).toBeUndefined();
    });
  });
}
