import type { MonitoringBaselineStatus, MonitoringScheduleStatus } from '../monitoring-store.js';

/* Row types of migration 0008 (model monitoring); see schema.ts. */

export interface MonitoringBaselineTable {
  name: string;
  arn: string;
  spec: string;
  status: MonitoringBaselineStatus;
  failure_reason: string | null;
  statistics_uri: string | null;
  constraints_uri: string | null;
  summary: string | null;
  created_at: number;
  updated_at: number;
}

export interface MonitoringScheduleTable {
  name: string;
  arn: string;
  spec: string;
  status: MonitoringScheduleStatus;
  cursor: string;
  last_run_at: number | null;
  last_result: string | null;
  created_at: number;
  updated_at: number;
}

export interface MonitoringAlarmTable {
  schedule_name: string;
  seq: number;
  at: number;
  report_key: string;
  violations: number;
  detail: string;
}
