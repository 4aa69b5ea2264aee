import type {
  CreateMonitoringBaselineRequest, CreateMonitoringScheduleRequest, GroundTruthRequest, GroundTruthResult, MonitoringAlarmList, MonitoringBaseline, MonitoringBaselineList,
  MonitoringReport, MonitoringReportList, MonitoringSchedule, MonitoringScheduleList,
} from '../../contracts/monitoring.js';
import { pollUntil, type WaitOptions } from '../poll.js';
import type { ListOptions } from '../types.js';
import { pathOf, type Transport } from '../transport.js';

const BASELINES = '/api/v1/monitoring-baselines';
const SCHEDULES = '/api/v1/monitoring-schedules';

/**
 * Model monitoring: baselines from datasets, schedules over an endpoint's captured traffic,
 * their reports and alarms.
 * @example
 * await client.monitoring.createBaseline({ name: 'bc-base', dataset: { name: 'bc-train' }, targetColumn: '_c0' });
 * await client.monitoring.waitForBaseline('bc-base');
 * await client.monitoring.createSchedule({ name: 'bc-mon', endpoint: 'bc', baseline: 'bc-base', periodSeconds: 3600 });
 * const report = await client.monitoring.run('bc-mon');
 * console.log(report.violations);
 */
export class MonitoringApi {
  constructor(readonly transport: Transport) {}

  createBaseline(request: CreateMonitoringBaselineRequest): Promise<MonitoringBaseline> {
    return this.transport.json({ method: 'POST', path: BASELINES, body: request });
  }

  listBaselines(query: ListOptions = {}): Promise<MonitoringBaselineList> {
    return this.transport.json({ path: BASELINES, query });
  }

  getBaseline(name: string): Promise<MonitoringBaseline> {
    return this.transport.json({ path: pathOf(BASELINES, name) });
  }

  /** `statistics.json` of a Completed baseline (Model Monitor's shape, snake_case). */
  baselineStatistics(name: string): Promise<Record<string, unknown>> {
    return this.transport.json({ path: pathOf(BASELINES, name, 'statistics') });
  }

  baselineConstraints(name: string): Promise<Record<string, unknown>> {
    return this.transport.json({ path: pathOf(BASELINES, name, 'constraints') });
  }

  /** Polls until the baseline is Completed or Failed (it does not throw for a failed one). */
  waitForBaseline(name: string, opts: WaitOptions<MonitoringBaseline> = {}): Promise<MonitoringBaseline> {
    return pollUntil(`monitoring baseline ${name}`, () => this.getBaseline(name), (b) => b.status !== 'InProgress', opts);
  }

  createSchedule(request: CreateMonitoringScheduleRequest): Promise<MonitoringSchedule> {
    return this.transport.json({ method: 'POST', path: SCHEDULES, body: request });
  }

  listSchedules(query: ListOptions = {}): Promise<MonitoringScheduleList> {
    return this.transport.json({ path: SCHEDULES, query });
  }

  getSchedule(name: string): Promise<MonitoringSchedule> {
    return this.transport.json({ path: pathOf(SCHEDULES, name) });
  }

  deleteSchedule(name: string): Promise<void> {
    return this.transport.json({ method: 'DELETE', path: pathOf(SCHEDULES, name) });
  }

  stopSchedule(name: string): Promise<MonitoringSchedule> {
    return this.transport.json({ method: 'POST', path: pathOf(SCHEDULES, name, 'stop') });
  }

  startSchedule(name: string): Promise<MonitoringSchedule> {
    return this.transport.json({ method: 'POST', path: pathOf(SCHEDULES, name, 'start') });
  }

  /** Runs the schedule now over what was captured since its last run; answers the report. */
  run(name: string): Promise<MonitoringReport> {
    return this.transport.json({ method: 'POST', path: pathOf(SCHEDULES, name, 'run') });
  }

  reports(name: string): Promise<MonitoringReportList> {
    return this.transport.json({ path: pathOf(SCHEDULES, name, 'reports') });
  }

  /** One report by its key or file name (`<timestamp>.json`). */
  report(name: string, keyOrFile: string): Promise<MonitoringReport> {
    return this.transport.json({ path: pathOf(SCHEDULES, name, 'reports', keyOrFile.split('/').pop() ?? keyOrFile) });
  }

  /** Uploads ground-truth labels, joined by inference id with captured predictions at the next run. */
  groundTruth(name: string, labels: GroundTruthRequest['labels']): Promise<GroundTruthResult> {
    return this.transport.json({ method: 'POST', path: pathOf(SCHEDULES, name, 'ground-truth'), body: { labels } });
  }

  alarms(name: string, query: { limit?: number } = {}): Promise<MonitoringAlarmList> {
    return this.transport.json({ path: pathOf(SCHEDULES, name, 'alarms'), query });
  }
}
