import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { MonitoringBaseline, MonitoringReport, MonitoringSchedule } from '../../sdk/index.js';
import type { ContextOf } from '../context.js';
import { CliError } from '../errors.js';
import { fields, listTable } from '../format.js';
import { collectKeyValue, datasetRef, positiveInt } from '../parse.js';

/** Ground truth from a CSV of `inferenceId,label` lines. */
export async function readLabels(path: string, shown: string): Promise<Array<{ inferenceId: string; label: number }>> {
  const text = await readFile(path, 'utf8');
  return text.split(/\r?\n/).filter((l) => l.trim() !== '').map((l, i) => {
    const [inferenceId, label] = l.split(',').map((c) => c.trim());
    if (!inferenceId || label === undefined || !Number.isFinite(Number(label))) throw new CliError(`${shown} line ${i + 1}: expected inferenceId,label`);
    return { inferenceId, label: Number(label) };
  });
}

const renderBaseline = (b: MonitoringBaseline) => fields([
  ['baseline', b.name], ['status', b.status], ['dataset', `${b.dataset.name}:${b.dataset.version}`], ['target column', b.targetColumn],
  ['rows', b.rows], ['features', b.features?.map((f) => `${f.name}:${f.inferredType}`).join(' ')], ['statistics', b.statisticsUri],
  ['constraints', b.constraintsUri], ['failure', b.failureReason],
]);

const scheduleOf = (s: MonitoringSchedule) => (s.cron !== undefined ? `cron ${s.cron} (UTC)` : `every ${s.periodSeconds} s`);

const renderSchedule = (s: MonitoringSchedule) => fields([
  ['schedule', s.name], ['status', s.status], ['endpoint', s.endpoint], ['baseline', s.baseline], ['runs', scheduleOf(s)], ['next run', s.nextRunAt],
  ['thresholds', Object.entries(s.thresholds).map(([k, v]) => `${k}=${v}`).join(' ')],
  ['model quality', s.modelQuality ? `${s.modelQuality.problemType} ${Object.entries(s.modelQuality.minimums ?? {}).map(([k, v]) => `${k}≥${v}`).concat(Object.entries(s.modelQuality.maximums ?? {}).map(([k, v]) => `${k}≤${v}`)).join(' ')}` : undefined],
  ['last run', s.lastResult ? `${s.lastResult.at} ${s.lastResult.status}: ${s.lastResult.records} records, ${s.lastResult.violations} violations${s.lastResult.failureReason ? ` (${s.lastResult.failureReason})` : ''}` : undefined],
]);

const renderReport = (r: MonitoringReport) =>
  `${r.schedule} at ${r.at}: ${r.status}, ${r.records} records from ${r.objects.length} capture objects\n` +
  listTable('features', ['FEATURE', 'TYPE', 'MISSING', 'OUT OF RANGE', 'KS P', 'CHI2 P', 'PSI'], r.features.map((f) => [
    f.name, f.inferredType, f.missing, f.outOfRange, f.ks ? f.ks.pValue.toExponential(2) : undefined, f.chiSquare ? f.chiSquare.pValue.toExponential(2) : undefined,
    f.psi === undefined ? undefined : f.psi.toFixed(4),
  ])) + '\n' +
  (r.modelQuality ? `model quality (${r.modelQuality.problemType}, ${r.modelQuality.joined} of ${r.modelQuality.labels} labels joined): ${Object.entries(r.modelQuality.metrics).map(([k, v]) => `${k}=${Number(v.toFixed(4))}`).join(' ')}\n` : '') +
  (r.violations.length ? listTable('violations', ['FEATURE', 'KIND', 'DESCRIPTION'], r.violations.map((v) => [v.feature, v.kind, v.description])) : 'no violations');

/** `stratus monitor baseline|baselines|schedule|schedules|run|reports|report|alarms|stop|start|delete`. */
export function registerMonitor(program: Command, ctxOf: ContextOf): void {
  const monitor = program.command('monitor').description('model monitoring: baselines, schedules over captured traffic, reports, alarms');
  monitor.command('baseline <name>').description('compute a baseline from a dataset version (and wait for it)')
    .requiredOption('--dataset <dataset[:version]>', 'the training dataset')
    .option('--target <column>', 'the label column, left out of the features (`_c0` for a header-less CSV)')
    .option('--no-wait', 'return at once')
    .action(async (name: string, f: { dataset: string; target?: string; wait: boolean }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const d = datasetRef(f.dataset);
      let b = await ctx.client.monitoring.createBaseline({ name, dataset: { name: d.dataset, ...(d.version ? { version: d.version } : {}) }, ...(f.target ? { targetColumn: f.target } : {}) });
      if (f.wait) b = await ctx.client.monitoring.waitForBaseline(name);
      ctx.output(b, renderBaseline);
    });
  monitor.command('baselines').description('list baselines').action(async (_f: object, cmd: Command) => {
    const ctx = ctxOf(cmd);
    ctx.output(await ctx.client.monitoring.listBaselines(), (p) => listTable('baselines', ['BASELINE', 'STATUS', 'DATASET', 'ROWS', 'CREATED'], p.items.map((b) => [b.name, b.status, `${b.dataset.name}:${b.dataset.version}`, b.rows, b.createdAt])));
  });
  monitor.command('schedule <name>').description('create a monitoring schedule')
    .requiredOption('--endpoint <endpoint>').requiredOption('--baseline <baseline>')
    .option('--period <seconds>', 'seconds between runs (default 3600)', positiveInt)
    .option('--cron <expression>', "run on a cron in UTC instead: '0 * * * *' or 'cron(0 * ? * * *)'")
    .option('--drift-p-value <p>', 'KS / chi-square p-value below which a feature drifted (default 0.01)', Number)
    .option('--psi <value>', 'PSI above which a feature drifted (default 0.2)', Number)
    .option('--model-quality <problemType>', 'also score ground truth: binary, multiclass or regression')
    .option('--min <metric=value>', 'model quality: a metric minimum (repeatable), e.g. accuracy=0.9', collectKeyValue, [])
    .option('--max <metric=value>', 'model quality: a metric maximum (repeatable), e.g. rmse=3', collectKeyValue, [])
    .action(async (name: string, f: { endpoint: string; baseline: string; period?: number; cron?: string; driftPValue?: number; psi?: number; modelQuality?: string; min: [string, string][]; max: [string, string][] }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const thresholds = { ...(f.driftPValue !== undefined ? { driftPValue: f.driftPValue } : {}), ...(f.psi !== undefined ? { psi: f.psi } : {}) };
      if (f.modelQuality && !['binary', 'multiclass', 'regression'].includes(f.modelQuality)) throw new CliError('--model-quality must be binary, multiclass or regression');
      const bounds = (pairs: [string, string][]) => Object.fromEntries(pairs.map(([k, v]) => [k, Number(v)]));
      const modelQuality = f.modelQuality
        ? { problemType: f.modelQuality as 'binary' | 'multiclass' | 'regression', ...(f.min.length ? { minimums: bounds(f.min) } : {}), ...(f.max.length ? { maximums: bounds(f.max) } : {}) }
        : undefined;
      ctx.output(await ctx.client.monitoring.createSchedule({
        name, endpoint: f.endpoint, baseline: f.baseline, ...(f.period ? { periodSeconds: f.period } : {}), ...(f.cron ? { cron: f.cron } : {}), ...(Object.keys(thresholds).length ? { thresholds } : {}),
        ...(modelQuality ? { modelQuality } : {}),
      }), renderSchedule);
    });
  monitor.command('schedules').description('list schedules with their last result').action(async (_f: object, cmd: Command) => {
    const ctx = ctxOf(cmd);
    ctx.output(await ctx.client.monitoring.listSchedules(), (p) => listTable('schedules', ['SCHEDULE', 'STATUS', 'ENDPOINT', 'BASELINE', 'RUNS', 'NEXT RUN', 'LAST RUN', 'RESULT', 'VIOLATIONS'],
      p.items.map((s) => [s.name, s.status, s.endpoint, s.baseline, scheduleOf(s), s.nextRunAt, s.lastResult?.at, s.lastResult?.status, s.lastResult?.violations])));
  });
  monitor.command('describe <schedule>').description('a schedule and its last result').action(async (name: string, _f: object, cmd: Command) => {
    const ctx = ctxOf(cmd);
    ctx.output(await ctx.client.monitoring.getSchedule(name), renderSchedule);
  });
  monitor.command('run <schedule>').description('run a schedule now over what was captured since its last run').action(async (name: string, _f: object, cmd: Command) => {
    const ctx = ctxOf(cmd);
    ctx.output(await ctx.client.monitoring.run(name), renderReport);
  });
  monitor.command('reports <schedule>').description('reports of a schedule, newest first').action(async (name: string, _f: object, cmd: Command) => {
    const ctx = ctxOf(cmd);
    ctx.output(await ctx.client.monitoring.reports(name), (p) => listTable('reports', ['REPORT', 'AT', 'STATUS', 'RECORDS', 'VIOLATIONS'], p.items.map((r) => [r.key.split('/').pop(), r.at, r.status, r.records, r.violations])));
  });
  monitor.command('report <schedule> <file>').description('one report (file name from `monitor reports`)').action(async (name: string, file: string, _f: object, cmd: Command) => {
    const ctx = ctxOf(cmd);
    ctx.output(await ctx.client.monitoring.report(name, file), renderReport);
  });
  monitor.command('alarms <schedule>').description('alarms a schedule raised, newest first').action(async (name: string, _f: object, cmd: Command) => {
    const ctx = ctxOf(cmd);
    ctx.output(await ctx.client.monitoring.alarms(name), (p) => listTable('alarms', ['#', 'AT', 'VIOLATIONS', 'FEATURES', 'KINDS', 'REPORT'], p.items.map((a) => [a.seq, a.at, a.violations, a.features.join(','), a.kinds.join(','), a.reportKey])));
  });
  for (const [verb, what] of [['stop', 'stop running a schedule periodically'], ['start', 'resume a stopped schedule']] as const) {
    monitor.command(`${verb} <schedule>`).description(what).action(async (name: string, _f: object, cmd: Command) => {
      const ctx = ctxOf(cmd);
      ctx.output(await (verb === 'stop' ? ctx.client.monitoring.stopSchedule(name) : ctx.client.monitoring.startSchedule(name)), renderSchedule);
    });
  }
  monitor.command('ground-truth <schedule> <file>').description('upload labels: a CSV of `inferenceId,label` lines')
    .action(async (name: string, file: string, _f: object, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const labels = await readLabels(resolve(ctx.io.cwd, file), file);
      ctx.output(await ctx.client.monitoring.groundTruth(name, labels), (r) => `uploaded ${r.accepted} labels for ${name}`);
    });
  monitor.command('delete <schedule>').description('delete a schedule, its reports and alarms').action(async (name: string, _f: object, cmd: Command) => {
    const ctx = ctxOf(cmd);
    await ctx.client.monitoring.deleteSchedule(name);
    ctx.output({ deleted: name }, () => `deleted schedule ${name}`);
  });
}
