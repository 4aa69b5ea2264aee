import type { Command } from 'commander';
import type { CreateTrainingJobRequest, InputChannel } from '../../sdk/index.js';
import type { ContextOf } from '../context.js';
import { UsageError } from '../errors.js';
import { watchJob } from '../job-watch.js';
import { collectKeyValue, datasetRef, positiveInt, type DatasetRef } from '../parse.js';
import { resolveSource } from '../source-bundle.js';
import { assertCompleted, renderJob } from './jobs.js';

/** The options of `stratus train`, parsed. */
export interface TrainFlags {
  algorithm?: string;
  source?: string;
  entryPoint?: string;
  train?: DatasetRef;
  validation?: DatasetRef;
  test?: DatasetRef;
  targetColumn?: string;
  hp: [string, string][];
  metric: [string, string][];
  env: [string, string][];
  checkpointPrefix?: string;
  retryOf?: string;
  instanceType?: string;
  maxRuntime?: number;
  experiment?: string;
  wait?: boolean;
}

/** `stratus train <name> …`: starts a training job, and with `--wait` watches it to the end. */
export function registerTrain(program: Command, ctxOf: ContextOf): void {
  program
    .command('train <name>')
    .description('start a training job: a built-in algorithm (--algorithm) or your own script (--source, --entry-point)')
    .option('--algorithm <name>', 'built-in algorithm, e.g. linear-learner (see `stratus algorithms list`)')
    .option('--source <dir|tar.gz|uri>', 'your training code: a folder (packed and uploaded), a .tar.gz, or an artifact URI')
    .option('--entry-point <file>', 'the file of --source to run, e.g. train.py (.py, .js/.mjs, .ts/.mts, .sh, or an executable)')
    .option('--train <dataset[:version]>', 'the training dataset (default version: the latest)', datasetRef)
    .option('--validation <dataset[:version]>', 'a validation dataset', datasetRef)
    .option('--test <dataset[:version]>', 'a test dataset', datasetRef)
    .option('--target-column <column>', 'the label column of datasets with a header')
    .option('--hp <key=value>', 'a hyperparameter (repeatable); scripts get it as --key value', collectKeyValue, [])
    .option('--metric <name=regex>', 'a metric read from log lines by a regex with one capture group (repeatable)', collectKeyValue, [])
    .option('--env <NAME=value>', 'an environment variable for the training process (repeatable)', collectKeyValue, [])
    .option('--checkpoint-prefix <prefix>', 'keep checkpoints under this artifact prefix (checkpoints/…); a later job with it resumes')
    .option('--retry-of <job>', 'a Failed or Stopped job to resume from: its checkpoints are restored first')
    .option('--instance-type <type>', 'instance type, e.g. ml.m5.large')
    .option('--max-runtime <seconds>', 'stop the job after this many seconds', positiveInt)
    .option('--experiment <name>', "the experiment this job is a run of (default: 'Default'); see `stratus experiments runs <name>`")
    .option('--wait', 'follow the job to its end; exit non-zero unless it completes')
    .action(async (name: string, flags: TrainFlags, cmd: Command) => {
      const ctx = ctxOf(cmd);
      if (!flags.algorithm === !flags.source) throw new UsageError('give either --algorithm (a built-in algorithm) or --source with --entry-point (your own code)');
      if (flags.source && !flags.entryPoint) throw new UsageError('--source needs --entry-point, the file to run (e.g. train.py)');
      if (flags.algorithm && !flags.train) throw new UsageError('a built-in algorithm needs --train <dataset>');
      const source = flags.source ? await resolveSource(ctx.client, name, flags.source, ctx.io.cwd) : undefined;
      const created = await ctx.client.trainingJobs.create(trainRequest(name, flags, source));
      if (!flags.wait) return ctx.output(created, (j) => `started training job ${j.name} (${j.status}); follow it with \`stratus jobs logs -f ${j.name}\``);
      const job = await watchJob(ctx, name);
      ctx.output(job, renderJob);
      assertCompleted(job);
    });
}

/** The create request for the flags given; `sourceUri` is the uploaded `--source`. */
export function trainRequest(name: string, flags: TrainFlags, sourceUri?: string): CreateTrainingJobRequest {
  const inputs: InputChannel[] = [];
  const channels: [string, DatasetRef | undefined][] = [['train', flags.train], ['validation', flags.validation], ['test', flags.test]];
  for (const [channel, ref] of channels) {
    if (!ref) continue;
    const input: InputChannel = { channel, ...ref };
    if (flags.targetColumn) input.targetColumn = flags.targetColumn;
    inputs.push(input);
  }
  const request: CreateTrainingJobRequest = { name, inputs, hyperparameters: Object.fromEntries(flags.hp) };
  if (flags.algorithm) request.algorithm = flags.algorithm;
  if (sourceUri) request.script = { source: sourceUri, entryPoint: flags.entryPoint };
  if (flags.metric?.length) request.metricDefinitions = flags.metric.map(([metric, regex]) => ({ name: metric, regex }));
  if (flags.env?.length) request.environment = Object.fromEntries(flags.env);
  if (flags.checkpointPrefix) request.checkpointConfig = { artifactPrefix: flags.checkpointPrefix };
  if (flags.retryOf) request.retryOf = flags.retryOf;
  if (flags.instanceType) request.resources = { instanceType: flags.instanceType, instanceCount: 1 };
  if (flags.maxRuntime) request.stoppingCondition = { maxRuntimeInSeconds: flags.maxRuntime };
  if (flags.experiment) request.experiment = flags.experiment;
  return request;
}
