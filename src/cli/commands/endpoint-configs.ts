import type { Command } from 'commander';
import type { EndpointConfig, EndpointConfigList, ProductionVariant } from '../../sdk/index.js';
import type { ContextOf } from '../context.js';
import { fields, formatTime, listTable, section, table } from '../format.js';
import { collectVariant, positiveInt } from '../parse.js';

/** `stratus endpoint-configs create|list|describe|delete`. */
export function registerEndpointConfigs(program: Command, ctxOf: ContextOf): void {
  const configs = program.command('endpoint-configs').description("endpoint configs: an endpoint's production variants");

  configs
    .command('create <name>')
    .description('create an endpoint config')
    .requiredOption(
      '--variant <spec>',
      'a production variant: name=v1,model=m1[,weight=0.5][,count=1][,type=ml.m5.large] (repeatable)',
      collectVariant,
      [],
    )
    .action(async (name: string, flags: { variant: ProductionVariant[] }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const config = await ctx.client.endpointConfigs.create({ name, variants: flags.variant });
      ctx.output(config, (c) => `created endpoint config ${c.name} with variants ${c.variants.map((v) => v.name).join(', ')}`);
    });

  configs
    .command('list')
    .description('list endpoint configs')
    .option('--limit <n>', 'at most this many', positiveInt)
    .option('--name-contains <text>', 'only names containing this')
    .action(async (flags: { limit?: number; nameContains?: string }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      ctx.output(await ctx.client.endpointConfigs.list(flags), renderList);
    });

  configs
    .command('describe <name>')
    .description('show an endpoint config')
    .action(async (name: string, _flags: object, cmd: Command) => {
      const ctx = ctxOf(cmd);
      ctx.output(await ctx.client.endpointConfigs.get(name), renderConfig);
    });

  configs
    .command('delete <name>')
    .description('delete an endpoint config')
    .action(async (name: string, _flags: object, cmd: Command) => {
      const ctx = ctxOf(cmd);
      await ctx.client.endpointConfigs.delete(name);
      ctx.info(`deleted endpoint config ${name}`);
    });
}

function renderList(list: EndpointConfigList): string {
  return listTable(
    'endpoint configs',
    ['name', 'variants', 'created'],
    list.items.map((c) => [c.name, c.variants.map((v) => `${v.name}→${v.model}`).join(', '), formatTime(c.createdAt)]),
  );
}

function renderConfig(c: EndpointConfig): string {
  const variants = table(
    ['variant', 'model', 'instance type', 'count', 'weight'],
    c.variants.map((v) => [v.name, v.model, v.instanceType, v.instanceCount, v.weight]),
  );
  return `${fields([['Name', c.name], ['ARN', c.arn], ['Created', formatTime(c.createdAt)]])}${section('Variants', variants)}`;
}
