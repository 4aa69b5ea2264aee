import { Option, type Command } from 'commander';
import type { CreateTransformJobRequest, StratusClient, TransformJob, TransformJobList, TransformJobStatus } from '../../sdk/index.js';
import type { CliContext, ContextOf } from '../context.js';
import { CliError } from '../errors.js';
import { fields, formatDuration, formatTime, listTable, secondsBetween, section, table } from '../format.js';
import { collectKeyValue, datasetRef, positiveInt, type DatasetRef } from '../parse.js';
import { StatusLine } from '../progress.js';

const STATUSES = ['InProgress', 'Completed', 'Failed', 'Stopping', 'Stopped'];

/** The options of `stratus transform`, parsed. */
export interface TransformFlags {
  model: string;
  dataset: DatasetRef;
  contentType?: 'text/csv' | 'application/jsonlines';
  splitType?: 'Line' | 'None';
  batchStrategy?: 'MultiRecord' | 'SingleRecord';
  batchSize?: number;
  maxPayloadMb?: number;
  maxConcurrent?: number;
  instanceCount?: number;
  joinSource?: 'Input' | 'None';
  inputFilter?: string;
  outputFilter?: string;
  accept?: 'text/csv' | 'application/jsonlines';
  assembleWith?: 'Line' | 'None';
  maxRecordErrors?: number;
  env: [string, string][];
  wait?: boolean;
}

const nonNegativeInt = (value: string) => (value === '0' ? 0 : positiveInt(value));
const FORMATS = ['text/csv', 'application/jsonlines'];

/** `stratus transform <name> …` (start a batch transform) and `stratus transforms list|describe|stop`. */
export function registerTransform(program: Command, ctxOf: ContextOf): void {
  program
    .command('transform <name>')
    .description("run a model over a dataset (batch transform); predictions go to transform-jobs/<name>/output/")
    .requiredOption('--model <model>', 'the model to run')
    .requiredOption('--dataset <dataset[:version]>', 'the input dataset (default version: the latest)', datasetRef)
    .addOption(new Option('--content-type <type>', 'input format').choices(FORMATS))
    .addOption(new Option('--split-type <type>', 'Line: a record per line; None: the whole file in one request').choices(['Line', 'None']))
    .addOption(new Option('--batch-strategy <strategy>', 'MultiRecord: mini-batches; SingleRecord: a record per request').choices(['MultiRecord', 'SingleRecord']))
    .option('--batch-size <n>', 'at most this many records per request', positiveInt)
    .option('--max-payload-mb <mb>', 'largest request body in MB (default 6)', positiveInt)
    .option('--max-concurrent <n>', 'requests in flight at once (default 2)', positiveInt)
    .option('--instance-count <n>', 'model replicas to start (default 1)', positiveInt)
    .addOption(new Option('--join-source <source>', 'Input: write each input record joined with its prediction').choices(['Input', 'None']))
    .option('--input-filter <jsonpath>', "the part of each record sent to the model, e.g. '$[1:]' to drop an id column")
    .option('--output-filter <jsonpath>', "the part of each (joined) output record kept, e.g. '$[0,-1]'")
    .addOption(new Option('--accept <type>', "predictions' format (default: the input's)").choices(FORMATS))
    .addOption(new Option('--assemble-with <how>', 'Line: one output line per record; None: outputs concatenated').choices(['Line', 'None']))
    .option('--max-record-errors <n>', 'bad records to skip (with an empty output line) before failing (default 0)', nonNegativeInt)
    .option('--env <NAME=value>', 'an environment variable for the model (repeatable)', collectKeyValue, [])
    .option('--wait', 'show progress until the job ends; exit non-zero unless it completes')
    .action(async (name: string, flags: TransformFlags, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const created = await ctx.client.transformJobs.create(transformRequest(name, flags));
      if (!flags.wait) {
        return ctx.output(created, (j) => `started transform job ${j.name} (${j.status}); watch it with \`stratus transforms describe ${j.name}\``);
      }
      const job = await watchTransform(ctx, name);
      ctx.output(job, renderTransformJob);
      assertTransformCompleted(job);
    });

  const transforms = program.command('transforms').description('inspect and stop batch transform jobs');
  transforms
    .command('list')
    .description('list transform jobs, newest first')
    .addOption(new Option('--status <status>', 'only jobs in this status').choices(STATUSES))
    .option('--limit <n>', 'at most this many', positiveInt)
    .option('--name-contains <text>', 'only names containing this')
    .action(async (flags: { status?: TransformJobStatus; limit?: number; nameContains?: string }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      ctx.output(await ctx.client.transformJobs.list(flags), renderTransformList);
    });
  transforms
    .command('describe <name>')
    .description('show a transform job: status history, progress, bad records, output')
    .action(async (name: string, _flags: object, cmd: Command) => {
      const ctx = ctxOf(cmd);
      ctx.output(await ctx.client.transformJobs.get(name), renderTransformJob);
    });
  transforms
    .command('stop <name>')
    .description('stop a running transform job')
    .action(async (name: string, _flags: object, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const job = await ctx.client.transformJobs.stop(name);
      if (ctx.json) ctx.output(job, () => '');
      else ctx.info(`stopping transform job ${name} (${job.status})`);
    });
}

/** The create request for the flags given. */
export function transformRequest(name: string, flags: TransformFlags): CreateTransformJobRequest {
  const req: CreateTransformJobRequest = {
    name,
    model: flags.model,
    input: {
      ...flags.dataset,
      ...(flags.contentType ? { contentType: flags.contentType } : {}),
      ...(flags.splitType ? { splitType: flags.splitType } : {}),
    },
  };
  if (flags.batchStrategy) req.batchStrategy = flags.batchStrategy;
  if (flags.batchSize) req.maxRecordsPerBatch = flags.batchSize;
  if (flags.maxPayloadMb) req.maxPayloadInMB = flags.maxPayloadMb;
  if (flags.maxConcurrent) req.maxConcurrentTransforms = flags.maxConcurrent;
  if (flags.instanceCount) req.instanceCount = flags.instanceCount;
  if (flags.joinSource || flags.inputFilter || flags.outputFilter) {
    req.dataProcessing = {
      ...(flags.joinSource ? { joinSource: flags.joinSource } : {}),
      ...(flags.inputFilter ? { inputFilter: flags.inputFilter } : {}),
      ...(flags.outputFilter ? { outputFilter: flags.outputFilter } : {}),
    };
  }
  if (flags.accept) req.accept = flags.accept;
  if (flags.assembleWith) req.output = { assembleWith: flags.assembleWith };
  if (flags.maxRecordErrors !== undefined) req.maxRecordErrors = flags.maxRecordErrors;
  if (flags.env?.length) req.environment = Object.fromEntries(flags.env);
  return req;
}

/** Polls the job every second with a progress bar on stderr; resolves with the ended job. */
export async function watchTransform(ctx: CliContext, name: string): Promise<TransformJob> {
  const client: StratusClient = ctx.client;
  const first = await client.transformJobs.get(name);
  const status = new StatusLine(ctx.io.stderr, Date.parse(first.createdAt) || Date.now());
  try {
    return await client.transformJobs.waitFor(name, {
      intervalMs: 1000,
      onUpdate: (job) => status.set(progressText(job), `${job.status}/${job.secondaryStatus}`),
    });
  } finally {
    status.stop();
  }
}

/** `name: InProgress / Transforming  [#####-------]  41%  41,000/100,000 records  2 bad`. */
export function progressText(job: TransformJob): string {
  const p = job.progress;
  const secondary = job.secondaryStatus !== job.status ? ` / ${job.secondaryStatus}` : '';
  const head = `${job.name}: ${job.status}${secondary}`;
  if (p.recordsTotal === undefined) return head;
  const frac = p.recordsTotal > 0 ? Math.min(1, p.recordsProcessed / p.recordsTotal) : 1;
  const width = 24;
  const filled = Math.round(frac * width);
  const bad = p.recordsFailed > 0 ? `  ${p.recordsFailed} bad` : '';
  const count = `${p.recordsProcessed.toLocaleString('en-US')}/${p.recordsTotal.toLocaleString('en-US')} records`;
  return `${head}  [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${`${Math.round(frac * 100)}%`.padStart(4)}  ${count}${bad}`;
}

function assertTransformCompleted(job: TransformJob): void {
  if (job.status === 'Completed') return;
  const reason = job.failureReason ? `: ${job.failureReason}` : '';
  throw new CliError(`transform job ${job.name} ${job.status.toLowerCase()}${reason}`, 1, `see \`stratus transforms describe ${job.name}\``);
}

function renderTransformList(list: TransformJobList): string {
  return listTable(
    'transform jobs',
    ['name', 'model', 'status', 'created', 'duration'],
    list.items.map((j) => [j.name, j.model, j.status, formatTime(j.createdAt), formatDuration(secondsBetween(j.createdAt, j.endedAt))]),
  );
}

/** The text of `transforms describe`. */
export function renderTransformJob(job: TransformJob): string {
  const p = job.progress;
  const dp = job.dataProcessing;
  const summary = fields([
    ['Name', job.name],
    ['Model', job.model],
    ['Input', `${job.input.artifactKey ?? `${job.input.dataset}:${job.input.version}`} (${job.input.contentType}, split ${job.input.splitType})`],
    ['Status', job.secondaryStatus !== job.status ? `${job.status} (${job.secondaryStatus})` : job.status],
    ['Failure reason', job.failureReason],
    ['Records', p.recordsTotal === undefined ? undefined : `${p.recordsProcessed}/${p.recordsTotal} processed, ${p.recordsOut} predicted, ${p.recordsFailed} bad`],
    ['Requests', p.requests],
    ['Batching', `${job.batchStrategy}, ≤ ${job.maxPayloadInMB} MB${job.maxRecordsPerBatch ? `, ≤ ${job.maxRecordsPerBatch} records` : ''}, ${job.maxConcurrentTransforms} in flight, ${job.instanceCount} replica(s)`],
    ['Data processing', `input ${dp.inputFilter}, join ${dp.joinSource}, output ${dp.outputFilter}; accept ${job.accept}, assemble ${job.output.assembleWith}`],
    ['Created', formatTime(job.createdAt)],
    ['Ended', formatTime(job.endedAt)],
    ['Transform time', job.transformTimeSeconds === undefined ? undefined : formatDuration(job.transformTimeSeconds)],
    ['Output', job.outputArtifact],
  ]);
  const history = table(['status', 'start', 'end', 'message'], job.statusHistory.map((t) => [t.status, formatTime(t.startTime), formatTime(t.endTime), t.message]));
  const parts = [summary, section('Status history', history)];
  if (p.failedRecords.length) parts.push(section('Bad records', table(['file', 'line', 'message'], p.failedRecords.map((f) => [f.file, f.line, f.message]))));
  return parts.join('\n');
}
