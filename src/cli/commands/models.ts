import type { Command } from 'commander';
import type { Model, ModelList } from '../../sdk/index.js';
import type { ContextOf } from '../context.js';
import { fields, formatTime, listTable } from '../format.js';
import { positiveInt } from '../parse.js';

/** `stratus models create|list|describe|delete`. */
export function registerModels(program: Command, ctxOf: ContextOf): void {
  const models = program.command('models').description('models: trained artifacts ready to serve');

  models
    .command('create <name>')
    .description('create a model from a completed training job')
    .requiredOption('--job <training-job>', 'the completed training job whose artifact to serve')
    .action(async (name: string, flags: { job: string }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const model = await ctx.client.models.create({ name, trainingJob: flags.job });
      ctx.output(model, (m) => `created model ${m.name} (${m.algorithm}) from training job ${flags.job}`);
    });

  models
    .command('list')
    .description('list models')
    .option('--limit <n>', 'at most this many', positiveInt)
    .option('--name-contains <text>', 'only names containing this')
    .action(async (flags: { limit?: number; nameContains?: string }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      ctx.output(await ctx.client.models.list(flags), renderList);
    });

  models
    .command('describe <name>')
    .description('show a model')
    .action(async (name: string, _flags: object, cmd: Command) => {
      const ctx = ctxOf(cmd);
      ctx.output(await ctx.client.models.get(name), renderModel);
    });

  models
    .command('delete <name>')
    .description('delete a model')
    .action(async (name: string, _flags: object, cmd: Command) => {
      const ctx = ctxOf(cmd);
      await ctx.client.models.delete(name);
      ctx.info(`deleted model ${name}`);
    });
}

function renderList(list: ModelList): string {
  return listTable('models', ['name', 'algorithm', 'training job', 'created'], list.items.map((m) => [m.name, m.algorithm, m.trainingJob, formatTime(m.createdAt)]));
}

function renderModel(m: Model): string {
  return fields([
    ['Name', m.name],
    ['ARN', m.arn],
    ['Algorithm', m.algorithm],
    ['Training job', m.trainingJob],
    ['Artifact', m.artifactUri],
    ['Created', formatTime(m.createdAt)],
  ]);
}
