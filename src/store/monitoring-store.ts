/**
 * Repository of model monitoring (migration 0008): baselines, schedules and alarms. Part of the
 * MetadataStore seam (see metadata-store.ts): `find*` returns undefined, `get*` throws NotFound,
 * JSON-valued fields come back parsed.
 */
import type { ListQuery, Page } from './metadata-store.js';

export type MonitoringBaselineStatus = 'InProgress' | 'Completed' | 'Failed';

export interface MonitoringBaselineRecord {
  name: string;
  arn: string;
  /** The create request as accepted, the dataset version resolved. */
  spec: Record<string, unknown>;
  status: MonitoringBaselineStatus;
  failureReason?: string;
  statisticsUri?: string;
  constraintsUri?: string;
  /** Rows and per-feature types; the statistics themselves are an artifact. */
  summary?: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}

export interface MonitoringBaselinePatch {
  status?: MonitoringBaselineStatus;
  failureReason?: string;
  statisticsUri?: string;
  constraintsUri?: string;
  summary?: Record<string, unknown>;
}

export type MonitoringScheduleStatus = 'Scheduled' | 'Stopped';

export interface MonitoringScheduleRecord {
  name: string;
  arn: string;
  /** endpoint, baseline, periodSeconds, thresholds, featureNames (contracts' CreateMonitoringSchedule). */
  spec: Record<string, unknown>;
  status: MonitoringScheduleStatus;
  /** Last capture object key read, per variant prefix. */
  cursor: Record<string, string>;
  lastRunAt?: Date;
  /** Summary of the last run (records, violations, report key, status). */
  lastResult?: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}

export interface MonitoringSchedulePatch {
  status?: MonitoringScheduleStatus;
  cursor?: Record<string, string>;
  lastRunAt?: Date;
  lastResult?: Record<string, unknown>;
}

export interface MonitoringAlarmRecord {
  schedule: string;
  /** 1, 2, … per schedule. */
  seq: number;
  at: Date;
  reportKey: string;
  violations: number;
  detail: Record<string, unknown>;
}

export interface MonitoringRepository {
  /** Inserts with status InProgress. Throws ResourceInUse on a duplicate name. */
  createBaseline(r: { name: string; arn: string; spec: Record<string, unknown>; at: Date }): Promise<MonitoringBaselineRecord>;
  findBaseline(name: string): Promise<MonitoringBaselineRecord | undefined>;
  getBaseline(name: string): Promise<MonitoringBaselineRecord>;
  listBaselines(q?: ListQuery & { status?: MonitoringBaselineStatus }): Promise<Page<MonitoringBaselineRecord>>;
  updateBaseline(name: string, patch: MonitoringBaselinePatch, at: Date): Promise<MonitoringBaselineRecord>;
  /** Inserts with status Scheduled and an empty cursor. Throws ResourceInUse on a duplicate name. */
  createSchedule(r: { name: string; arn: string; spec: Record<string, unknown>; at: Date }): Promise<MonitoringScheduleRecord>;
  findSchedule(name: string): Promise<MonitoringScheduleRecord | undefined>;
  getSchedule(name: string): Promise<MonitoringScheduleRecord>;
  listSchedules(q?: ListQuery & { status?: MonitoringScheduleStatus }): Promise<Page<MonitoringScheduleRecord>>;
  updateSchedule(name: string, patch: MonitoringSchedulePatch, at: Date): Promise<MonitoringScheduleRecord>;
  /** Deletes the schedule and its alarms; NotFound when absent. */
  deleteSchedule(name: string): Promise<void>;
  /** Appends an alarm with the schedule's next sequence number. */
  appendAlarm(a: Omit<MonitoringAlarmRecord, 'seq'>): Promise<MonitoringAlarmRecord>;
  /** Newest first. */
  alarms(schedule: string, q?: { limit?: number }): Promise<MonitoringAlarmRecord[]>;
}
