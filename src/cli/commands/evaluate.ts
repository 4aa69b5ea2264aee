import { Option, type Command } from 'commander';
import type { CreateEvaluationJobRequest, EvaluationJob, EvaluationReport } from '../../sdk/index.js';
import type { CliContext, ContextOf } from '../context.js';
import { CliError } from '../errors.js';
import { fields, listTable, section, table } from '../format.js';
import { collectKeyValue, datasetRef, positiveInt, type DatasetRef } from '../parse.js';
import { resolveSource } from '../source-bundle.js';

interface EvaluateFlags {
  model?: string;
  algorithm?: string;
  source?: string;
  entryPoint?: string;
  serving?: 'python' | 'container' | 'onnx';
  hp: [string, string][];
  dataset: DatasetRef;
  target?: string;
  kfold?: number;
  testShare?: number;
  seed?: number;
  stratified?: boolean;
  task?: 'binary' | 'multiclass' | 'regression';
  threshold?: number;
  wait?: boolean;
}

const share = (v: string) => {
  const n = Number(v);
  if (!(n > 0 && n < 1)) throw new CliError(`expected a share between 0 and 1, got '${v}'`);
  return n;
};
const nonNegative = (v: string) => (v === '0' ? 0 : positiveInt(v));
const hpValue = (v: string): string | number | boolean => (v === 'true' ? true : v === 'false' ? false : v !== '' && Number.isFinite(Number(v)) ? Number(v) : v);

/** `stratus evaluate <name> …` and `stratus evaluations list|describe|report|stop`. */
export function registerEvaluate(program: Command, ctxOf: ContextOf): void {
  program
    .command('evaluate <name>')
    .description('evaluate a model on a hold-out split, or cross-validate a training spec (--algorithm or --source, --kfold)')
    .option('--model <model>', 'the model to evaluate on the hold-out rows')
    .option('--algorithm <algorithm>', 'train this built-in algorithm per split instead (k-fold needs it or --source)')
    .option('--source <dir|tar.gz|uri>', 'or train your script per split: a folder (packed and uploaded), a .tar.gz, or an artifact URI')
    .option('--entry-point <file>', 'the file of --source to run, e.g. train.py')
    .addOption(new Option('--serving <runtime>', "how --source's models answer (python: an inference.py in the model's code/ folder)").choices(['python', 'container', 'onnx']).default('python'))
    .option('--hp <name=value>', 'a hyperparameter of --algorithm or --source (repeatable)', collectKeyValue, [])
    .requiredOption('--dataset <dataset[:version]>', 'the dataset (default version: the latest)', datasetRef)
    .option('--target <column>', 'the label column of a dataset with a header (default: target)')
    .option('--kfold <k>', 'k-fold cross-validation with k folds (5–10)', positiveInt)
    .option('--test-share <share>', 'hold-out share (default 0.2)', share)
    .option('--seed <n>', 'split seed (default 0)', nonNegative)
    .option('--no-stratified', 'do not keep class shares in the split')
    .addOption(new Option('--task <task>', 'default: from the model or the labels').choices(['binary', 'multiclass', 'regression']))
    .option('--threshold <t>', 'binary decision threshold (default 0.5)', Number)
    .option('--wait', 'wait for the report and print it; exit non-zero unless it completes')
    .action(async (name: string, flags: EvaluateFlags, cmd: Command) => {
      const ctx = ctxOf(cmd);
      if (flags.source && !flags.entryPoint) throw new CliError('--source needs --entry-point, the file to run (e.g. train.py)');
      const source = flags.source ? await resolveSource(ctx.client, name, flags.source, ctx.io.cwd) : undefined;
      const created = await ctx.client.evaluationJobs.create(evaluationRequest(name, { ...flags, ...(source ? { source } : {}) }));
      if (!flags.wait) return ctx.output(created, (j) => `started evaluation job ${j.name} (${j.status}); see it with \`stratus evaluations describe ${j.name}\``);
      const job = await ctx.client.evaluationJobs.waitFor(name, { intervalMs: 500 });
      if (job.status !== 'Completed') {
        ctx.output(job, renderEvaluation);
        throw new CliError(`evaluation job ${name} ${job.status}${job.failureReason ? `: ${job.failureReason}` : ''}`);
      }
      await printReport(ctx, job);
    });

  const evaluations = program.command('evaluations').description('inspect evaluation jobs');
  evaluations.command('list').description('list evaluation jobs, newest first').option('--limit <n>', 'at most this many', positiveInt)
    .action(async (flags: { limit?: number }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      ctx.output(await ctx.client.evaluationJobs.list(flags), (p) => listTable('evaluation jobs', ['NAME', 'TASK', 'MODEL', 'STATUS', 'CREATED'], p.items.map((j) => [j.name, j.task, j.model, j.status, j.createdAt])));
    });
  evaluations.command('describe <name>').description('status history and summary metrics')
    .action(async (name: string, _f: object, cmd: Command) => {
      const ctx = ctxOf(cmd);
      ctx.output(await ctx.client.evaluationJobs.get(name), renderEvaluation);
    });
  evaluations.command('report <name>').description('the report of a Completed job (with an ASCII ROC curve for binary tasks)')
    .action(async (name: string, _f: object, cmd: Command) => {
      const ctx = ctxOf(cmd);
      await printReport(ctx, await ctx.client.evaluationJobs.get(name));
    });
  evaluations.command('stop <name>').description('stop a running evaluation job and its training jobs')
    .action(async (name: string, _f: object, cmd: Command) => {
      const ctx = ctxOf(cmd);
      ctx.output(await ctx.client.evaluationJobs.stop(name), (j) => `stopping evaluation job ${j.name} (${j.status})`);
    });
}

export function evaluationRequest(name: string, f: EvaluateFlags): CreateEvaluationJobRequest {
  if ([f.model, f.algorithm, f.source].filter(Boolean).length !== 1) throw new CliError('give --model (evaluate a model), --algorithm or --source with --entry-point (train one per split)');
  const stratified = f.stratified === false ? { stratified: false } : {};
  const seed = f.seed !== undefined ? { seed: f.seed } : {};
  const hyperparameters = Object.fromEntries(f.hp.map(([k, v]) => [k, hpValue(v)]));
  return {
    name,
    ...(f.model ? { model: f.model } : {}),
    ...(f.algorithm ? { trainingSpec: { algorithm: f.algorithm, hyperparameters } } : {}),
    ...(f.source ? { trainingSpec: { script: { source: f.source, entryPoint: f.entryPoint }, hyperparameters }, serving: { runtime: f.serving ?? 'python' } } : {}),
    dataset: { name: f.dataset.dataset, ...(f.dataset.version ? { version: f.dataset.version } : {}) },
    ...(f.target ? { targetColumn: f.target } : {}),
    method: f.kfold ? { type: 'kfold', k: f.kfold, ...stratified, ...seed } : { type: 'holdout', ...(f.testShare ? { testShare: f.testShare } : {}), ...stratified, ...seed },
    ...(f.task ? { task: f.task } : {}),
    ...(f.threshold !== undefined ? { threshold: f.threshold } : {}),
  };
}

const fmt = (v: number | undefined) => (v === undefined || v === null ? '' : Number(v.toFixed(4)).toString());

export function renderEvaluation(j: EvaluationJob): string {
  const m = j.method;
  const head = fields([
    ['name', j.name], ['status', j.status], ['task', j.task], ['model', j.model], ['dataset', `${j.dataset.name}:${j.dataset.version}`],
    ['method', m.type === 'kfold' ? `${m.k}-fold, ${m.stratified ? 'stratified' : 'unstratified'}, seed ${m.seed}` : `hold-out ${m.testShare}, ${m.stratified ? 'stratified' : 'unstratified'}, seed ${m.seed}`],
    ['failure', j.failureReason], ['report', j.reportUri],
  ]);
  const metrics = j.summary ? table(['METRIC', 'MEAN', '± STD'], Object.entries(j.summary.metrics).map(([k, v]) => [k, fmt(v.mean), fmt(v.std)])) : '';
  return head + (metrics ? section('Metrics', metrics) : '');
}

async function printReport(ctx: CliContext, job: EvaluationJob) {
  if (job.status !== 'Completed') throw new CliError(`evaluation job ${job.name} is ${job.status}; its report exists once it is Completed`);
  const report = await ctx.client.evaluationJobs.report(job.name);
  ctx.output(ctx.json ? report : job, () => renderEvaluation(job) + rocSection(report));
}

/** A small ASCII ROC curve of a binary report's hold-out (or first fold). */
export function rocSection(report: EvaluationReport): string {
  const part = (report.holdout ?? (report.folds as unknown[] | undefined)?.[0]) as { metrics?: { rocCurve?: { fpr: number[]; tpr: number[] }; rocAuc?: number } } | undefined;
  const curve = part?.metrics?.rocCurve;
  if (!curve) return '';
  return section(`ROC curve (AUC ${fmt(part.metrics!.rocAuc)})`, asciiCurve(curve.fpr, curve.tpr));
}

/** Plots y over x (both in [0, 1]) on a width × height grid, with a diagonal for reference. */
export function asciiCurve(x: number[], y: number[], width = 40, height = 12): string {
  const grid = Array.from({ length: height }, () => Array.from({ length: width }, () => ' '));
  for (let c = 0; c < width; c++) {
    const r = Math.round((c / (width - 1)) * (height - 1));
    grid[height - 1 - r][c] = '.';
  }
  for (let c = 0; c < width; c++) {
    const fx = c / (width - 1);
    let tpr = 0;
    for (let i = 0; i < x.length; i++) if (x[i] <= fx) tpr = Math.max(tpr, y[i]);
    grid[height - 1 - Math.round(tpr * (height - 1))][c] = '*';
  }
  return `${grid.map((row, i) => `${i === 0 ? '1 ' : i === height - 1 ? '0 ' : '  '}|${row.join('')}`).join('\n')}\n   +${'-'.repeat(width)}\n    0${' '.repeat(width - 10)}FPR    1`;
}
