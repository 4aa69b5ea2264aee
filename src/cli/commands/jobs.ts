import { Option, type Command } from 'commander';
import type { MetricSeries, TrainingJob, TrainingJobList, TrainingJobStatus } from '../../sdk/index.js';
import type { ContextOf } from '../context.js';
import { CliError } from '../errors.js';
import { fields, formatDuration, formatTime, listTable, secondsBetween, section, table } from '../format.js';
import { positiveInt } from '../parse.js';
import { renderImportance } from './models.js';

const STATUSES = ['InProgress', 'Completed', 'Failed', 'Stopping', 'Stopped'];

/** `stratus jobs list|describe|logs|metrics|importance|stop`. */
export function registerJobs(program: Command, ctxOf: ContextOf): void {
  const jobs = program.command('jobs').description('inspect and control training jobs');

  jobs
    .command('list')
    .description('list training jobs, newest first')
    .addOption(new Option('--status <status>', 'only jobs in this status').choices(STATUSES))
    .option('--limit <n>', 'at most this many', positiveInt)
    .option('--name-contains <text>', 'only names containing this')
    .action(async (flags: { status?: TrainingJobStatus; limit?: number; nameContains?: string }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      ctx.output(await ctx.client.trainingJobs.list(flags), renderJobList);
    });

  jobs
    .command('describe <name>')
    .description('show a job: status history, inputs, hyperparameters, final metrics')
    .action(async (name: string, _flags: object, cmd: Command) => {
      const ctx = ctxOf(cmd);
      ctx.output(await ctx.client.trainingJobs.get(name), renderJob);
    });

  jobs
    .command('logs <name>')
    .description("print a job's log")
    .option('-f, --follow', 'keep printing new lines until the job ends')
    .action(async (name: string, flags: { follow?: boolean }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      if (!flags.follow) return void ctx.io.stdout.write(await ctx.client.trainingJobs.logs(name));
      for await (const ev of ctx.client.trainingJobs.followLogs(name)) {
        if (ev.type === 'log') ctx.io.stdout.write(`${ev.line}\n`);
        else ctx.info(`job ${name} ended: ${ev.status}`);
      }
    });

  jobs
    .command('metrics <name>')
    .description("print a job's metric points")
    .option('--metric <name>', 'only this metric')
    .action(async (name: string, flags: { metric?: string }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      ctx.output(await ctx.client.trainingJobs.metrics(name, { name: flags.metric }), renderMetrics);
    });

  jobs
    .command('importance <name>')
    .description("show how much each feature counts in a completed job's model (xgboost)")
    .option('--type <type>', 'importance type: gain, weight, cover, total_gain or total_cover', 'gain')
    .action(async (name: string, flags: { type: string }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      ctx.output(await ctx.client.trainingJobs.featureImportance(name, flags.type), renderImportance);
    });

  jobs
    .command('stop <name>')
    .description('stop a running job')
    .action(async (name: string, _flags: object, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const job = await ctx.client.trainingJobs.stop(name);
      if (ctx.json) ctx.output(job, () => '');
      else ctx.info(`stopping training job ${name} (${job.status})`);
    });
}

function renderJobList(list: TrainingJobList): string {
  return listTable(
    'training jobs',
    ['name', 'algorithm', 'status', 'created', 'duration'],
    list.items.map((j) => [j.name, j.algorithm ?? 'script', j.status, formatTime(j.createdAt), formatDuration(secondsBetween(j.createdAt, j.endedAt))]),
  );
}

/** The text of `jobs describe`. */
export function renderJob(job: TrainingJob): string {
  const summary = fields([
    ['Name', job.name],
    ['Algorithm', job.algorithm],
    ['Source', job.script?.source],
    ['Entry point', job.script?.entryPoint],
    ['Command', job.script?.command?.join(' ')],
    ['Checkpoints', job.checkpointConfig ? `${job.checkpointConfig.localPath}/ ⇄ ${job.checkpointConfig.artifactPrefix}/` : undefined],
    ['Retry of', job.retryOf],
    ['Status', job.secondaryStatus && job.secondaryStatus !== job.status ? `${job.status} (${job.secondaryStatus})` : job.status],
    ['Failure reason', job.failureReason],
    ['Created', formatTime(job.createdAt)],
    ['Ended', formatTime(job.endedAt)],
    ['Training time', job.trainingTimeSeconds === undefined ? undefined : formatDuration(job.trainingTimeSeconds)],
    ['Instance', `${job.resources.instanceType} x ${job.resources.instanceCount}`],
    ['Model artifact', job.modelArtifact],
  ]);
  const history = table(
    ['status', 'start', 'end', 'message'],
    job.statusHistory.map((t) => [t.status, formatTime(t.startTime), formatTime(t.endTime), t.message]),
  );
  const inputs = table(['channel', 'dataset or artifact prefix', 'version', 'target column'], job.inputs.map((i) => [i.channel, i.dataset ?? i.artifactPrefix, i.version, i.targetColumn]));
  const hps = Object.entries(job.hyperparameters);
  const metrics = job.finalMetrics.map((m) => [m.name, m.value]);
  return [
    summary,
    section('Status history', history),
    section('Inputs', inputs),
    section('Hyperparameters', table(['name', 'value'], hps)),
    section('Final metrics', table(['metric', 'value'], metrics)),
  ].join('\n');
}

function renderMetrics(series: MetricSeries): string {
  return listTable('metrics yet', ['metric', 'step', 'value', 'time'], series.metrics.map((m) => [m.name, m.step, m.value, formatTime(m.timestamp)]));
}

/** Fails the command unless the job completed. */
export function assertCompleted(job: TrainingJob): void {
  if (job.status === 'Completed') return;
  const reason = job.failureReason ? `: ${job.failureReason}` : '';
  throw new CliError(`training job ${job.name} ${job.status.toLowerCase()}${reason}`, 1, `see its log with \`stratus jobs logs ${job.name}\``);
}
