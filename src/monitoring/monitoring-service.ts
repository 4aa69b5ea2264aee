import type { ArtifactStore } from '../artifacts/artifact-store.js';
import { randomUUID } from 'node:crypto';
import type {
  CreateMonitoringBaselineRequest, CreateMonitoringScheduleRequest, GroundTruthRequest, GroundTruthResult, MonitoringAlarm, MonitoringBaseline, MonitoringBaselineList,
  MonitoringReport, MonitoringReportList, MonitoringRunSummary, MonitoringSchedule, MonitoringScheduleList,
} from '../contracts/monitoring.js';
import type { Clock } from '../core/clock.js';
import { parseCron, type CronSchedule } from '../core/cron.js';
import { failedPrecondition, notFound, validationError } from '../core/errors.js';
import type { PlatformEvents } from '../core/events.js';
import { arnOf } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import type { DatasetService } from '../data/dataset-service.js';
import { sampleTable, type DatasetColumnStats, type TableFormat } from '../data/statistics.js';
import type { ListQuery } from '../store/metadata-store.js';
import type { MonitoringBaselineRecord, MonitoringScheduleRecord } from '../store/monitoring-store.js';
import type { MetadataStore } from '../store/metadata-store.js';
import { analyzeRows, DEFAULT_THRESHOLDS, type Thresholds } from './analyze.js';
import { computeBaseline, type BaselineConstraints, type BaselineSamples, type BaselineStatistics } from './baseline.js';
import { parseCaptureObject, type CapturedRow } from './capture-rows.js';
import { capturedPredictions, qualityMetrics, qualityViolations, type ModelQualitySpec, type Prediction } from './model-quality.js';

export interface MonitoringServiceDeps {
  store: MetadataStore;
  artifacts: ArtifactStore;
  datasets: DatasetService;
  events: PlatformEvents;
  clock: Clock;
  log: Logger;
  /** How often the loop looks for due schedules. @defaultValue 1000 */
  tickMs?: number;
}

interface BaselineDocs {
  statistics: BaselineStatistics;
  constraints: BaselineConstraints;
  samples: BaselineSamples;
}

const DEFAULT_PERIOD_SECONDS = 3600;
const DEFAULT_SAMPLE_SIZE = 10_000;
const baselinePrefix = (name: string) => `monitoring-baselines/${name}/`;
const reportPrefix = (schedule: string) => `monitoring-reports/${schedule}/`;
const groundTruthPrefix = (schedule: string) => `monitoring-ground-truth/${schedule}/`;
/** The cursor entry of ground-truth objects (variant names cannot start with '#'). */
const GROUND_TRUTH_CURSOR = '#ground-truth';
const reportKeyAt = (schedule: string, at: Date) => `${reportPrefix(schedule)}${at.toISOString().replace(/[:.]/g, '-')}.json`;

/**
 * Model monitoring (issue 7, item 4): baselines computed from dataset versions, schedules that
 * read an endpoint's captured requests each period and check data quality and drift against a
 * baseline, reports in the artifact store, alarms in the store and on `platform.events`.
 */
export class MonitoringService {
  readonly #pending = new Set<Promise<void>>();
  readonly #running = new Map<string, Promise<MonitoringReport>>();
  readonly #docs = new Map<string, BaselineDocs>();
  #timer: NodeJS.Timeout | undefined;
  #ticking = false;
  #closed = false;

  constructor(private readonly deps: MonitoringServiceDeps) {}

  // ---- baselines -----------------------------------------------------------------------------

  async createBaseline(req: CreateMonitoringBaselineRequest): Promise<MonitoringBaseline> {
    const version = await this.deps.datasets.getVersion(req.dataset.name, req.dataset.version);
    const columns = version.columns as DatasetColumnStats[];
    if (req.targetColumn !== undefined && !columns.some((c) => c.name === req.targetColumn)) {
      throw validationError(`targetColumn '${req.targetColumn}' is not a column of dataset ${version.datasetName} v${version.version} (${columns.map((c) => c.name).slice(0, 10).join(', ')}…)`, { field: 'targetColumn' });
    }
    const featureCount = columns.length - (req.targetColumn === undefined ? 0 : 1);
    if (req.featureNames && req.featureNames.length !== featureCount) {
      throw validationError(`featureNames has ${req.featureNames.length} names but the dataset has ${featureCount} feature columns`, { field: 'featureNames' });
    }
    const spec = {
      dataset: { name: version.datasetName, version: version.version },
      ...(req.targetColumn !== undefined ? { targetColumn: req.targetColumn } : {}),
      ...(req.featureNames ? { featureNames: req.featureNames } : {}),
      sampleSize: req.sampleSize ?? DEFAULT_SAMPLE_SIZE,
    };
    const record = await this.deps.store.monitoring.createBaseline({ name: req.name, arn: arnOf('monitoring-baseline', req.name), spec, at: this.deps.clock.now() });
    this.#track(this.#computeBaseline(record.name, spec, version));
    return toBaseline(record);
  }

  async #computeBaseline(
    name: string,
    spec: { dataset: { name: string; version: number }; targetColumn?: string; featureNames?: string[]; sampleSize: number },
    version: Awaited<ReturnType<DatasetService['getVersion']>>,
  ): Promise<void> {
    const { store, artifacts, clock, log } = this.deps;
    try {
      const sampled = await this.deps.datasets.withLocalFile(version.uri, (path) =>
        sampleTable(path, version.format as TableFormat, { header: version.header, rows: spec.sampleSize }),
      );
      const stats = version.columns as DatasetColumnStats[];
      const features = sampled.columns
        .map((sample, i) => ({ sample, stats: stats[i] }))
        .filter(({ sample }) => sample.name !== spec.targetColumn)
        .map(({ sample, stats: s }, i) => ({ name: spec.featureNames?.[i] ?? sample.name, sample, stats: s }));
      const docs = computeBaseline({ baseline: name, dataset: spec.dataset, rows: sampled.rows, features });
      const prefix = baselinePrefix(name);
      const put = (file: string, doc: unknown) => artifacts.put(`${prefix}${file}`, Buffer.from(JSON.stringify(doc, null, file === 'samples.json' ? 0 : 2)));
      const [statistics, constraints] = [await put('statistics.json', docs.statistics), await put('constraints.json', docs.constraints)];
      await put('samples.json', docs.samples);
      await store.monitoring.updateBaseline(name, {
        status: 'Completed',
        statisticsUri: statistics.uri,
        constraintsUri: constraints.uri,
        summary: { rows: sampled.rows, features: docs.statistics.features.map((f) => ({ name: f.name, inferredType: f.inferred_type })) },
      }, clock.now());
      log.info({ baseline: name, rows: sampled.rows, features: features.length }, 'monitoring baseline computed');
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      log.warn({ baseline: name, err: reason }, 'monitoring baseline failed');
      await store.monitoring.updateBaseline(name, { status: 'Failed', failureReason: reason }, clock.now()).catch(() => undefined);
    }
  }

  async getBaseline(name: string): Promise<MonitoringBaseline> {
    return toBaseline(await this.deps.store.monitoring.getBaseline(name));
  }

  async listBaselines(q: ListQuery = {}): Promise<MonitoringBaselineList> {
    const page = await this.deps.store.monitoring.listBaselines(q);
    return { ...page, items: page.items.map(toBaseline) };
  }

  /** `statistics.json` or `constraints.json` of a Completed baseline. */
  async baselineDocument(name: string, which: 'statistics' | 'constraints'): Promise<Record<string, unknown>> {
    const docs = await this.#baselineDocs(name);
    return docs[which] as unknown as Record<string, unknown>;
  }

  async #baselineDocs(name: string): Promise<BaselineDocs> {
    const cached = this.#docs.get(name);
    if (cached) return cached;
    const record = await this.deps.store.monitoring.getBaseline(name);
    if (record.status !== 'Completed') throw failedPrecondition(`baseline '${name}' is ${record.status}${record.failureReason ? `: ${record.failureReason}` : ''}`, { status: record.status });
    const read = async <T>(file: string) => JSON.parse((await this.deps.artifacts.getBytes(`${baselinePrefix(name)}${file}`)).toString('utf8')) as T;
    const docs: BaselineDocs = {
      statistics: await read<BaselineStatistics>('statistics.json'),
      constraints: await read<BaselineConstraints>('constraints.json'),
      samples: await read<BaselineSamples>('samples.json'),
    };
    this.#docs.set(name, docs);
    return docs;
  }

  // ---- schedules -----------------------------------------------------------------------------

  async createSchedule(req: CreateMonitoringScheduleRequest): Promise<MonitoringSchedule> {
    const { store, clock } = this.deps;
    await store.monitoring.getBaseline(req.baseline);
    if (!(await store.endpoints.find(req.endpoint))) throw notFound('Endpoint', req.endpoint);
    if (req.cron !== undefined) checkScheduleCron(req.cron, req.periodSeconds);
    const spec = {
      endpoint: req.endpoint,
      baseline: req.baseline,
      ...(req.cron !== undefined ? { cron: req.cron.trim() } : { periodSeconds: req.periodSeconds ?? DEFAULT_PERIOD_SECONDS }),
      thresholds: { ...DEFAULT_THRESHOLDS, ...req.thresholds },
      ...(req.featureNames ? { featureNames: req.featureNames } : {}),
      ...(req.modelQuality ? { modelQuality: req.modelQuality } : {}),
    };
    return toSchedule(await store.monitoring.createSchedule({ name: req.name, arn: arnOf('monitoring-schedule', req.name), spec, at: clock.now() }));
  }

  async getSchedule(name: string): Promise<MonitoringSchedule> {
    return toSchedule(await this.deps.store.monitoring.getSchedule(name));
  }

  async listSchedules(q: ListQuery = {}): Promise<MonitoringScheduleList> {
    const page = await this.deps.store.monitoring.listSchedules(q);
    return { ...page, items: page.items.map(toSchedule) };
  }

  async setStatus(name: string, status: 'Scheduled' | 'Stopped'): Promise<MonitoringSchedule> {
    return toSchedule(await this.deps.store.monitoring.updateSchedule(name, { status }, this.deps.clock.now()));
  }

  async deleteSchedule(name: string): Promise<void> {
    await this.#running.get(name)?.catch(() => undefined);
    await this.deps.store.monitoring.deleteSchedule(name);
    await this.deps.artifacts.delete(reportPrefix(name));
  }

  /** Runs the schedule now (or joins the run in progress) and returns its report. */
  run(name: string): Promise<MonitoringReport> {
    const running = this.#running.get(name);
    if (running) return running;
    const p = this.#run(name).finally(() => this.#running.delete(name));
    this.#running.set(name, p);
    return p;
  }

  async #run(name: string): Promise<MonitoringReport> {
    const { store, artifacts, clock, log } = this.deps;
    const schedule = await store.monitoring.getSchedule(name);
    const spec = scheduleSpec(schedule);
    const at = clock.now();
    const base: Omit<MonitoringReport, 'status' | 'records' | 'objects' | 'skippedRecords' | 'features' | 'violations'> = {
      schedule: name, endpoint: spec.endpoint, baseline: spec.baseline, at: at.toISOString(),
    };
    try {
      const docs = await this.#baselineDocs(spec.baseline);
      const { rows, objects, skipped, cursor } = await this.#readCaptured(spec.endpoint, schedule.cursor);
      const analysis = analyzeRows(rows, docs, spec.thresholds, spec.featureNames);
      const quality = spec.modelQuality ? await this.#modelQuality(name, spec.endpoint, spec.modelQuality, cursor) : undefined;
      const violations = [...analysis.violations, ...(quality?.violations ?? [])];
      const status: MonitoringRunSummary['status'] = violations.length ? 'CompletedWithViolations' : rows.length === 0 && !quality?.joined ? 'NoData' : 'Completed';
      const report: MonitoringReport = {
        ...base, status, records: rows.length - analysis.malformedRows, objects, skippedRecords: skipped + analysis.malformedRows,
        features: analysis.features, violations,
        ...(quality ? { modelQuality: { problemType: spec.modelQuality!.problemType, labels: quality.labels, joined: quality.joined, metrics: quality.metrics } } : {}),
      };
      const reportKey = reportKeyAt(name, at);
      await artifacts.put(reportKey, Buffer.from(JSON.stringify(report, null, 2)));
      const lastResult: MonitoringRunSummary = { at: report.at, status, records: report.records, violations: report.violations.length, reportKey };
      await store.monitoring.updateSchedule(name, { cursor, lastRunAt: at, lastResult }, clock.now());
      if (report.violations.length) await this.#alarm(name, spec.endpoint, at, reportKey, report);
      return report;
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      log.warn({ schedule: name, err: reason }, 'monitoring run failed');
      const lastResult: MonitoringRunSummary = { at: at.toISOString(), status: 'Failed', records: 0, violations: 0, failureReason: reason };
      await store.monitoring.updateSchedule(name, { lastRunAt: at, lastResult }, clock.now()).catch(() => undefined);
      throw e;
    }
  }

  async #alarm(schedule: string, endpoint: string, at: Date, reportKey: string, report: MonitoringReport): Promise<void> {
    const features = [...new Set(report.violations.map((v) => v.feature))];
    const kinds = [...new Set(report.violations.map((v) => v.kind))];
    const alarm = await this.deps.store.monitoring.appendAlarm({
      schedule, at, reportKey, violations: report.violations.length, detail: { endpoint, features, kinds },
    });
    this.deps.log.warn({ schedule, endpoint, violations: alarm.violations, features }, 'monitoring alarm');
    const errors = this.deps.events.emit('monitoring.alarm', { schedule, endpoint, seq: alarm.seq, at, reportKey, violations: alarm.violations, features, kinds });
    for (const err of errors) this.deps.log.error({ schedule, err: err instanceof Error ? err.message : String(err) }, 'a monitoring.alarm listener threw');
  }

  /**
   * Ground truth uploaded since the last run (advances `cursor` in place), joined by inference
   * id with every prediction captured for the endpoint, scored; labels without a captured
   * prediction are counted, not kept for later runs.
   */
  async #modelQuality(schedule: string, endpoint: string, spec: ModelQualitySpec, cursor: Record<string, string>) {
    const { artifacts } = this.deps;
    const labels = new Map<string, number>();
    const after = cursor[GROUND_TRUTH_CURSOR];
    const keys: string[] = [];
    for await (const info of artifacts.list(groundTruthPrefix(schedule))) if (after === undefined || info.key > after) keys.push(info.key);
    for (const key of keys.sort()) {
      const doc = JSON.parse((await artifacts.getBytes(key)).toString('utf8')) as GroundTruthRequest;
      for (const l of doc.labels) labels.set(l.inferenceId, l.label);
      cursor[GROUND_TRUTH_CURSOR] = key;
    }
    const empty = { labels: labels.size, joined: 0, metrics: {} as Record<string, number>, violations: [] as ReturnType<typeof qualityViolations> };
    if (labels.size === 0) return empty;
    const predictions = new Map<string, Prediction>();
    const { keys: captureKeys } = await this.#captureKeys(endpoint);
    for (const { key } of captureKeys) capturedPredictions((await artifacts.getBytes(key)).toString('utf8'), predictions);
    const y: number[] = [];
    const p: Prediction[] = [];
    for (const [id, label] of labels) {
      const pred = predictions.get(id);
      if (!pred) continue;
      y.push(label);
      p.push(pred);
    }
    if (y.length === 0) return empty;
    const metrics = qualityMetrics(spec, y, p);
    return { labels: labels.size, joined: y.length, metrics, violations: qualityViolations(spec, metrics) };
  }

  /** Uploads ground-truth labels for the schedule's next run. */
  async groundTruth(name: string, req: GroundTruthRequest): Promise<GroundTruthResult> {
    const schedule = await this.deps.store.monitoring.getSchedule(name);
    if (!scheduleSpec(schedule).modelQuality) throw failedPrecondition(`schedule '${name}' has no modelQuality configuration; create it with one to upload ground truth`);
    const key = `${groundTruthPrefix(name)}${this.deps.clock.now().toISOString().replace(/[:.]/g, '-')}-${randomUUID()}.json`;
    await this.deps.artifacts.put(key, Buffer.from(JSON.stringify(req)));
    return { accepted: req.labels.length, key };
  }

  /** Capture objects (`.jsonl`) of the endpoint's production variants, sorted by key. */
  async #captureKeys(endpoint: string): Promise<{ prefix: string; keys: Array<{ key: string; variant: string }> }> {
    const { store, artifacts } = this.deps;
    const record = await store.endpoints.find(endpoint);
    if (!record) throw failedPrecondition(`endpoint '${endpoint}' does not exist`);
    const config = await store.endpointConfigs.find(record.configName);
    const cfg = (config?.spec ?? {}) as { dataCapture?: { destination?: string }; shadowVariants?: Array<{ name: string }> };
    const destination = cfg.dataCapture?.destination ?? 'data-capture/';
    const shadows = new Set((cfg.shadowVariants ?? []).map((v) => v.name));
    const prefix = `${destination.endsWith('/') ? destination : `${destination}/`}${endpoint}/`;
    const keys: Array<{ key: string; variant: string }> = [];
    for await (const info of artifacts.list(prefix)) {
      const variant = info.key.slice(prefix.length).split('/')[0];
      if (!shadows.has(variant) && info.key.endsWith('.jsonl')) keys.push({ key: info.key, variant });
    }
    keys.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return { prefix, keys };
  }

  /** Captured request rows of the endpoint's production variants in objects after the cursor. */
  async #readCaptured(endpoint: string, cursor: Record<string, string>) {
    const { artifacts } = this.deps;
    const { prefix, keys: all } = await this.#captureKeys(endpoint);
    const keys = all.filter(({ key, variant }) => cursor[variant] === undefined || key > cursor[variant]).map(({ key }) => key);
    const next = { ...cursor };
    const rows: CapturedRow[] = [];
    let skipped = 0;
    for (const key of keys) {
      const parsed = parseCaptureObject((await artifacts.getBytes(key)).toString('utf8'));
      for (const r of parsed.rows) rows.push(r);
      skipped += parsed.skipped;
      const variant = key.slice(prefix.length).split('/')[0];
      if (next[variant] === undefined || key > next[variant]) next[variant] = key;
    }
    return { rows, objects: keys, skipped, cursor: next };
  }

  async listReports(name: string): Promise<MonitoringReportList> {
    await this.deps.store.monitoring.getSchedule(name);
    const keys: string[] = [];
    for await (const info of this.deps.artifacts.list(reportPrefix(name))) keys.push(info.key);
    keys.sort().reverse();
    const items: MonitoringReportList['items'] = [];
    for (const key of keys.slice(0, 100)) {
      const r = JSON.parse((await this.deps.artifacts.getBytes(key)).toString('utf8')) as MonitoringReport;
      items.push({ key, at: r.at, status: r.status, records: r.records, violations: r.violations.length });
    }
    return { items };
  }

  async getReport(name: string, key: string): Promise<MonitoringReport> {
    const full = key.startsWith(reportPrefix(name)) ? key : `${reportPrefix(name)}${key}`;
    if (full.includes('..')) throw validationError('bad report key');
    const stat = await this.deps.artifacts.stat(full);
    if (!stat) throw notFound('MonitoringReport', key);
    return JSON.parse((await this.deps.artifacts.getBytes(full)).toString('utf8')) as MonitoringReport;
  }

  async alarms(name: string, q: { limit?: number } = {}): Promise<{ items: MonitoringAlarm[] }> {
    await this.deps.store.monitoring.getSchedule(name);
    const alarms = await this.deps.store.monitoring.alarms(name, q);
    return {
      items: alarms.map((a) => ({
        schedule: a.schedule, seq: a.seq, at: a.at.toISOString(), reportKey: a.reportKey, violations: a.violations,
        features: (a.detail.features as string[] | undefined) ?? [], kinds: (a.detail.kinds as string[] | undefined) ?? [],
      })),
    };
  }

  // ---- lifecycle -----------------------------------------------------------------------------

  /** Marks baselines a previous process left InProgress as Failed, then starts the loop. */
  async recover(): Promise<void> {
    const { store, clock } = this.deps;
    let token: string | undefined;
    do {
      const page = await store.monitoring.listBaselines({ status: 'InProgress', limit: 100, nextToken: token });
      for (const b of page.items) await store.monitoring.updateBaseline(b.name, { status: 'Failed', failureReason: 'interrupted by a server restart; create the baseline again' }, clock.now());
      token = page.nextToken;
    } while (token);
    this.start();
  }

  start(): void {
    if (this.#timer || this.#closed) return;
    this.#timer = setInterval(() => void this.#tick(), this.deps.tickMs ?? 1000);
    this.#timer.unref();
  }

  async #tick(): Promise<void> {
    if (this.#ticking || this.#closed) return;
    this.#ticking = true;
    try {
      const now = this.deps.clock.now().getTime();
      let token: string | undefined;
      do {
        const page = await this.deps.store.monitoring.listSchedules({ status: 'Scheduled', limit: 100, nextToken: token });
        for (const s of page.items) {
          const due = nextRunOf(s)?.getTime();
          if (due !== undefined && due <= now && !this.#running.has(s.name)) this.#track(this.run(s.name).then(() => undefined, () => undefined));
        }
        token = page.nextToken;
      } while (token && !this.#closed);
    } catch (e) {
      this.deps.log.warn({ err: e instanceof Error ? e.message : String(e) }, 'monitoring tick failed');
    } finally {
      this.#ticking = false;
    }
  }

  #track(p: Promise<void>): void {
    this.#pending.add(p);
    void p.finally(() => this.#pending.delete(p));
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await Promise.allSettled([...this.#pending, ...this.#running.values()]);
  }
}

function scheduleSpec(s: MonitoringScheduleRecord) {
  return s.spec as { endpoint: string; baseline: string; periodSeconds?: number; cron?: string; thresholds: Thresholds; featureNames?: string[]; modelQuality?: ModelQualitySpec };
}

/** A schedule's cron must parse (in UTC), come without periodSeconds, and fire at some time. */
function checkScheduleCron(cron: string, periodSeconds: number | undefined): void {
  if (periodSeconds !== undefined) throw validationError('give either periodSeconds or cron, not both', { field: 'cron' });
  let parsed: CronSchedule;
  try {
    parsed = parseCron(cron);
  } catch (e) {
    throw validationError(`cron: ${(e as Error).message}`, { field: 'cron' });
  }
  if (!parsed.next(new Date())) throw validationError(`cron '${cron}' never fires`, { field: 'cron' });
}

/**
 * When a Scheduled schedule runs next: its period after the last run (or its creation), or the
 * first minute its cron names after that. Runs missed while the server was down come down to one.
 */
function nextRunOf(s: MonitoringScheduleRecord): Date | undefined {
  if (s.status !== 'Scheduled') return undefined;
  const spec = scheduleSpec(s);
  const last = s.lastRunAt ?? s.createdAt;
  if (spec.cron !== undefined) return parseCron(spec.cron).next(last);
  return new Date(last.getTime() + (spec.periodSeconds ?? DEFAULT_PERIOD_SECONDS) * 1000);
}

function toBaseline(r: MonitoringBaselineRecord): MonitoringBaseline {
  const spec = r.spec as { dataset: { name: string; version: number }; targetColumn?: string };
  const summary = r.summary as { rows?: number; features?: Array<{ name: string; inferredType: string }> } | undefined;
  return {
    name: r.name, arn: r.arn, dataset: spec.dataset, status: r.status,
    ...(spec.targetColumn !== undefined ? { targetColumn: spec.targetColumn } : {}),
    ...(r.failureReason ? { failureReason: r.failureReason } : {}),
    ...(r.statisticsUri ? { statisticsUri: r.statisticsUri } : {}),
    ...(r.constraintsUri ? { constraintsUri: r.constraintsUri } : {}),
    ...(summary?.rows !== undefined ? { rows: summary.rows } : {}),
    ...(summary?.features ? { features: summary.features } : {}),
    createdAt: r.createdAt.toISOString(), updatedAt: r.updatedAt.toISOString(),
  };
}

function toSchedule(r: MonitoringScheduleRecord): MonitoringSchedule {
  const spec = scheduleSpec(r);
  const next = nextRunOf(r);
  return {
    name: r.name, arn: r.arn, endpoint: spec.endpoint, baseline: spec.baseline,
    ...(spec.cron !== undefined ? { cron: spec.cron } : { periodSeconds: spec.periodSeconds ?? DEFAULT_PERIOD_SECONDS }),
    ...(next ? { nextRunAt: next.toISOString() } : {}),
    thresholds: spec.thresholds,
    ...(spec.featureNames ? { featureNames: spec.featureNames } : {}),
    ...(spec.modelQuality ? { modelQuality: spec.modelQuality } : {}),
    status: r.status,
    ...(r.lastRunAt ? { lastRunAt: r.lastRunAt.toISOString() } : {}),
    ...(r.lastResult ? { lastResult: r.lastResult as MonitoringRunSummary } : {}),
    createdAt: r.createdAt.toISOString(), updatedAt: r.updatedAt.toISOString(),
  };
}
