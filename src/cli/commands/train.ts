import type { Command } from 'commander';
import type { CreateTrainingJobRequest, InputChannel } from '../../sdk/index.js';
import type { ContextOf } from '../context.js';
import { watchJob } from '../job-watch.js';
import { collectKeyValue, datasetRef, positiveInt, type DatasetRef } from '../parse.js';
import { assertCompleted, renderJob } from './jobs.js';

/** The options of `stratus train`, parsed. */
export interface TrainFlags {
  algorithm: string;
  train: DatasetRef;
  validation?: DatasetRef;
  test?: DatasetRef;
  targetColumn?: string;
  hp: [string, string][];
  instanceType?: string;
  maxRuntime?: number;
  wait?: boolean;
}

/** `stratus train <name> …`: starts a training job, and with `--wait` watches it to the end. */
export function registerTrain(program: Command, ctxOf: ContextOf): void {
  program
    .command('train <name>')
    .description('start a training job on uploaded datasets')
    .requiredOption('--algorithm <name>', 'built-in algorithm, e.g. linear-learner (see `stratus algorithms list`)')
    .requiredOption('--train <dataset[:version]>', 'the training dataset (default version: the latest)', datasetRef)
    .option('--validation <dataset[:version]>', 'a validation dataset', datasetRef)
    .option('--test <dataset[:version]>', 'a test dataset', datasetRef)
    .option('--target-column <column>', 'the label column of datasets with a header')
    .option('--hp <key=value>', 'a hyperparameter (repeatable)', collectKeyValue, [])
    .option('--instance-type <type>', 'instance type, e.g. ml.m5.large')
    .option('--max-runtime <seconds>', 'stop the job after this many seconds', positiveInt)
    .option('--wait', 'follow the job to its end; exit non-zero unless it completes')
    .action(async (name: string, flags: TrainFlags, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const created = await ctx.client.trainingJobs.create(trainRequest(name, flags));
      if (!flags.wait) return ctx.output(created, (j) => `started training job ${j.name} (${j.status}); follow it with \`stratus jobs logs -f ${j.name}\``);
      const job = await watchJob(ctx, name);
      ctx.output(job, renderJob);
      assertCompleted(job);
    });
}

/** The create request for the flags given. */
export function trainRequest(name: string, flags: TrainFlags): CreateTrainingJobRequest {
  const inputs: InputChannel[] = [];
  const channels: [string, DatasetRef | undefined][] = [['train', flags.train], ['validation', flags.validation], ['test', flags.test]];
  for (const [channel, ref] of channels) {
    if (!ref) continue;
    const input: InputChannel = { channel, ...ref };
    if (flags.targetColumn) input.targetColumn = flags.targetColumn;
    inputs.push(input);
  }
  const request: CreateTrainingJobRequest = { name, algorithm: flags.algorithm, inputs, hyperparameters: Object.fromEntries(flags.hp) };
  if (flags.instanceType) request.resources = { instanceType: flags.instanceType, instanceCount: 1 };
  if (flags.maxRuntime) request.stoppingCondition = { maxRuntimeInSeconds: flags.maxRuntime };
  return request;
}
