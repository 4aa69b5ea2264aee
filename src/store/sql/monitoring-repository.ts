import type { Updateable } from 'kysely';
import { notFound } from '../../core/errors.js';
import type { ListQuery, Page } from '../metadata-store.js';
import type {
  MonitoringAlarmRecord, MonitoringBaselinePatch, MonitoringBaselineRecord, MonitoringBaselineStatus, MonitoringRepository,
  MonitoringSchedulePatch, MonitoringScheduleRecord, MonitoringScheduleStatus,
} from '../monitoring-store.js';
import { compact, fromJson, orUndefined, toDate, toJson, toMillis, toOptionalDate, toOptionalMillis } from './codec.js';
import { insertUnique } from './errors.js';
import type { MonitoringAlarmTable, MonitoringBaselineTable, MonitoringScheduleTable } from './monitoring-schema.js';
import { fetchPage, mapPage } from './pagination.js';
import { inTransaction, type Db } from './schema.js';

const parsed = (text: string | null) => (text === null ? undefined : fromJson<Record<string, unknown>>(text));

const toBaseline = (r: MonitoringBaselineTable): MonitoringBaselineRecord => compact({
  name: r.name,
  arn: r.arn,
  spec: fromJson<Record<string, unknown>>(r.spec),
  status: r.status,
  failureReason: orUndefined(r.failure_reason),
  statisticsUri: orUndefined(r.statistics_uri),
  constraintsUri: orUndefined(r.constraints_uri),
  summary: parsed(r.summary),
  createdAt: toDate(r.created_at),
  updatedAt: toDate(r.updated_at),
});

const toSchedule = (r: MonitoringScheduleTable): MonitoringScheduleRecord => compact({
  name: r.name,
  arn: r.arn,
  spec: fromJson<Record<string, unknown>>(r.spec),
  status: r.status,
  cursor: fromJson<Record<string, string>>(r.cursor),
  lastRunAt: toOptionalDate(r.last_run_at),
  lastResult: parsed(r.last_result),
  createdAt: toDate(r.created_at),
  updatedAt: toDate(r.updated_at),
});

const toAlarm = (r: MonitoringAlarmTable): MonitoringAlarmRecord => ({
  schedule: r.schedule_name,
  seq: Number(r.seq),
  at: toDate(r.at),
  reportKey: r.report_key,
  violations: Number(r.violations),
  detail: fromJson<Record<string, unknown>>(r.detail),
});

/** Baselines, schedules and alarms (tables of migration 0008). */
export class SqlMonitoringRepository implements MonitoringRepository {
  constructor(private readonly db: Db) {}

  async createBaseline(r: { name: string; arn: string; spec: Record<string, unknown>; at: Date }): Promise<MonitoringBaselineRecord> {
    const at = toMillis(r.at);
    const row: MonitoringBaselineTable = {
      name: r.name, arn: r.arn, spec: toJson(r.spec), status: 'InProgress', failure_reason: null,
      statistics_uri: null, constraints_uri: null, summary: null, created_at: at, updated_at: at,
    };
    await insertUnique('MonitoringBaseline', r.name, () => this.db.insertInto('monitoring_baselines').values(row).execute());
    return toBaseline(row);
  }

  async findBaseline(name: string): Promise<MonitoringBaselineRecord | undefined> {
    const row = await this.db.selectFrom('monitoring_baselines').selectAll().where('name', '=', name).executeTakeFirst();
    return row && toBaseline(row);
  }

  async getBaseline(name: string): Promise<MonitoringBaselineRecord> {
    const found = await this.findBaseline(name);
    if (!found) throw notFound('MonitoringBaseline', name);
    return found;
  }

  async listBaselines(q: ListQuery & { status?: MonitoringBaselineStatus } = {}): Promise<Page<MonitoringBaselineRecord>> {
    let query = this.db.selectFrom('monitoring_baselines').selectAll();
    if (q.status) query = query.where('status', '=', q.status);
    return mapPage(await fetchPage(query, q), (rows) => rows.map(toBaseline));
  }

  async updateBaseline(name: string, patch: MonitoringBaselinePatch, at: Date): Promise<MonitoringBaselineRecord> {
    const set: Updateable<MonitoringBaselineTable> = compact({
      status: patch.status,
      failure_reason: patch.failureReason,
      statistics_uri: patch.statisticsUri,
      constraints_uri: patch.constraintsUri,
      summary: patch.summary === undefined ? undefined : toJson(patch.summary),
      updated_at: toMillis(at),
    });
    const row = await this.db.updateTable('monitoring_baselines').set(set).where('name', '=', name).returningAll().executeTakeFirst();
    if (!row) throw notFound('MonitoringBaseline', name);
    return toBaseline(row);
  }

  async createSchedule(r: { name: string; arn: string; spec: Record<string, unknown>; at: Date }): Promise<MonitoringScheduleRecord> {
    const at = toMillis(r.at);
    const row: MonitoringScheduleTable = {
      name: r.name, arn: r.arn, spec: toJson(r.spec), status: 'Scheduled', cursor: '{}',
      last_run_at: null, last_result: null, created_at: at, updated_at: at,
    };
    await insertUnique('MonitoringSchedule', r.name, () => this.db.insertInto('monitoring_schedules').values(row).execute());
    return toSchedule(row);
  }

  async findSchedule(name: string): Promise<MonitoringScheduleRecord | undefined> {
    const row = await this.db.selectFrom('monitoring_schedules').selectAll().where('name', '=', name).executeTakeFirst();
    return row && toSchedule(row);
  }

  async getSchedule(name: string): Promise<MonitoringScheduleRecord> {
    const found = await this.findSchedule(name);
    if (!found) throw notFound('MonitoringSchedule', name);
    return found;
  }

  async listSchedules(q: ListQuery & { status?: MonitoringScheduleStatus } = {}): Promise<Page<MonitoringScheduleRecord>> {
    let query = this.db.selectFrom('monitoring_schedules').selectAll();
    if (q.status) query = query.where('status', '=', q.status);
    return mapPage(await fetchPage(query, q), (rows) => rows.map(toSchedule));
  }

  async updateSchedule(name: string, patch: MonitoringSchedulePatch, at: Date): Promise<MonitoringScheduleRecord> {
    const set: Updateable<MonitoringScheduleTable> = compact({
      status: patch.status,
      cursor: patch.cursor === undefined ? undefined : toJson(patch.cursor),
      last_run_at: toOptionalMillis(patch.lastRunAt),
      last_result: patch.lastResult === undefined ? undefined : toJson(patch.lastResult),
      updated_at: toMillis(at),
    });
    const row = await this.db.updateTable('monitoring_schedules').set(set).where('name', '=', name).returningAll().executeTakeFirst();
    if (!row) throw notFound('MonitoringSchedule', name);
    return toSchedule(row);
  }

  deleteSchedule(name: string): Promise<void> {
    return inTransaction(this.db, async (tx) => {
      const { numDeletedRows } = await tx.deleteFrom('monitoring_schedules').where('name', '=', name).executeTakeFirst();
      if (numDeletedRows === 0n) throw notFound('MonitoringSchedule', name);
      await tx.deleteFrom('monitoring_alarms').where('schedule_name', '=', name).execute();
    });
  }

  appendAlarm(a: Omit<MonitoringAlarmRecord, 'seq'>): Promise<MonitoringAlarmRecord> {
    return inTransaction(this.db, async (tx) => {
      const { last } = await tx
        .selectFrom('monitoring_alarms')
        .select((eb) => eb.fn.max('seq').as('last'))
        .where('schedule_name', '=', a.schedule)
        .executeTakeFirstOrThrow();
      const row: MonitoringAlarmTable = {
        schedule_name: a.schedule, seq: Number(last ?? 0) + 1, at: toMillis(a.at), report_key: a.reportKey, violations: a.violations, detail: toJson(a.detail),
      };
      await tx.insertInto('monitoring_alarms').values(row).execute();
      return toAlarm(row);
    });
  }

  async alarms(schedule: string, q: { limit?: number } = {}): Promise<MonitoringAlarmRecord[]> {
    const rows = await this.db.selectFrom('monitoring_alarms').selectAll().where('schedule_name', '=', schedule).orderBy('seq', 'desc').limit(q.limit ?? 100).execute();
    return rows.map(toAlarm);
  }
}
