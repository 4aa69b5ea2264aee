import { Option, type Command } from 'commander';
import type { ExperimentList, Run, RunComparison, RunList, TrainingJobStatus } from '../../sdk/index.js';
import type { ContextOf } from '../context.js';
import { formatTime, listTable, section, table, type Cell } from '../format.js';
import { positiveInt } from '../parse.js';

const STATUSES = ['InProgress', 'Completed', 'Failed', 'Stopping', 'Stopped'];

/** `--sort validation:auc` → `metric:validation:auc`; `param:…`, `metric:…`, `name` and `createdAt` as given. */
export function sortKey(sort: string): string {
  return /^(metric:|param:)/.test(sort) || sort === 'name' || sort === 'createdAt' ? sort : `metric:${sort}`;
}

/** `stratus experiments list|runs|compare`. */
export function registerExperiments(program: Command, ctxOf: ContextOf): void {
  const experiments = program.command('experiments').description('compare training runs: every training job is a run of an experiment');

  experiments
    .command('list')
    .description('list experiments with their run counts and last activity')
    .option('--limit <n>', 'at most this many', positiveInt)
    .option('--name-contains <text>', 'only names containing this')
    .action(async (flags: { limit?: number; nameContains?: string }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      ctx.output(await ctx.client.experiments.list(flags), renderExperiments);
    });

  experiments
    .command('runs <experiment>')
    .description("an experiment's runs as a table: status, the params that differ (or all with --all-params), final metrics")
    .option('--sort <key>', "sort by a metric (e.g. validation:auc), 'param:<name>', 'name' or 'createdAt' (default, newest first)")
    .option('--desc', 'sort in descending order (with --sort)')
    .addOption(new Option('--status <status>', 'only runs in this status').choices(STATUSES))
    .option('--all-params', 'show every param, not only those that differ between the runs')
    .option('--limit <n>', 'at most this many runs', positiveInt)
    .action(async (name: string, flags: { sort?: string; desc?: boolean; status?: TrainingJobStatus; allParams?: boolean; limit?: number }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const sortBy = flags.sort ? sortKey(flags.sort) : undefined;
      const order = flags.desc ? 'desc' : flags.sort ? 'asc' : undefined;
      const runs = await ctx.client.experiments.runs(name, { sortBy, order, status: flags.status, limit: flags.limit });
      ctx.output(runs, (r) => renderRuns(r, flags.allParams === true));
    });

  experiments
    .command('compare <experiment> <runs...>')
    .description('params and final metrics of some runs side by side; * marks the ones that differ')
    .action(async (name: string, runs: string[], _flags: object, cmd: Command) => {
      const ctx = ctxOf(cmd);
      ctx.output(await ctx.client.experiments.compare(name, runs), renderComparison);
    });
}

function renderExperiments(list: ExperimentList): string {
  return listTable(
    'experiments',
    ['name', 'runs', 'completed', 'in progress', 'last activity', 'created'],
    list.items.map((e) => [e.name, e.runCount, e.statusCounts.Completed ?? 0, e.statusCounts.InProgress ?? 0, formatTime(e.lastActivityAt), formatTime(e.createdAt)]),
  );
}

/** Params whose values are not the same in every run (all of them with `all`). */
function paramColumns(runs: Run[], all: boolean): string[] {
  const names = [...new Set(runs.flatMap((r) => Object.keys(r.params)))].sort();
  return all ? names : names.filter((n) => runs.some((r) => r.params[n] !== runs[0].params[n]));
}

/** The text of `experiments runs`: one row per run, params then metrics as columns. */
export function renderRuns(list: RunList, allParams = false): string {
  const params = paramColumns(list.items, allParams);
  const metrics = [...new Set(list.items.flatMap((r) => Object.keys(r.metrics)))].sort();
  const rows: Cell[][] = list.items.map((r) => [
    r.name,
    r.status,
    ...params.map((p) => r.params[p]),
    ...metrics.map((m) => r.metrics[m]),
    r.models.join(',') || undefined,
  ]);
  return listTable('runs', ['run', 'status', ...params, ...metrics, 'models'], rows);
}

/** The text of `experiments compare`: params and metrics, one column per run. */
export function renderComparison(c: RunComparison): string {
  const rows = (items: RunComparison['params'] | RunComparison['metrics']) => items.map((i) => [`${i.differs ? '* ' : '  '}${i.name}`, ...i.values]);
  return [
    `Experiment: ${c.experiment}`,
    section('Params', table(['name', ...c.runs], rows(c.params))),
    section('Metrics', table(['name', ...c.runs], rows(c.metrics))),
  ].join('\n');
}
