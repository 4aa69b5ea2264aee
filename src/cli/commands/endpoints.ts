import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { Endpoint, EndpointList } from '../../sdk/index.js';
import type { CliContext, ContextOf } from '../context.js';
import { UsageError } from '../errors.js';
import { fields, formatTime, listTable, section, table } from '../format.js';
import { positiveInt } from '../parse.js';
import { StatusLine } from '../progress.js';
import { registerEndpointMetrics } from './endpoint-metrics.js';
import { deploymentFrom, deploymentOptions, registerEndpointScaling, type DeploymentFlags } from './endpoint-rollouts.js';

interface CreateFlags {
  model?: string;
  config?: string;
  instanceCount?: number;
  instanceType?: string;
  wait?: boolean;
}

interface InvokeFlags {
  body?: string;
  file?: string;
  contentType: string;
  accept?: string;
  variant?: string;
}

/** `stratus endpoints create|update|list|describe|delete|invoke`. */
export function registerEndpoints(program: Command, ctxOf: ContextOf): void {
  const endpoints = program.command('endpoints').description('live inference endpoints');

  endpoints
    .command('create <name>')
    .description('deploy a model (or an existing endpoint config) behind an endpoint')
    .option('--model <model>', 'serve this model as the one variant AllTraffic')
    .option('--config <endpoint-config>', 'use this existing endpoint config instead of --model')
    .option('--instance-count <n>', 'replicas of the model (with --model)', positiveInt)
    .option('--instance-type <type>', 'instance type, e.g. ml.m5.large (with --model)')
    .option('--wait', 'wait until the endpoint is InService')
    .action(async (name: string, flags: CreateFlags, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const config = await configFor(ctx, name, flags);
      const created = await ctx.client.endpoints.create({ name, config });
      const endpoint = flags.wait ? await waitInService(ctx, name) : created;
      ctx.output(endpoint, (e) => `endpoint ${e.name} is ${e.status} (config ${e.config}); invoke it with \`stratus endpoints invoke ${e.name} --body …\``);
    });

  deploymentOptions(
    endpoints
      .command('update <name>')
      .description('move an endpoint to another config without downtime: all at once, or canary/linear traffic shifting with alarm rollback')
      .requiredOption('--config <endpoint-config>', 'the new endpoint config')
      .option('--wait', 'wait until the endpoint is InService again'),
  ).action(async (name: string, flags: DeploymentFlags & { config: string; wait?: boolean }, cmd: Command) => {
    const ctx = ctxOf(cmd);
    const updated = await ctx.client.endpoints.update(name, flags.config, deploymentFrom(flags));
    const endpoint = flags.wait ? await waitInService(ctx, name) : updated;
    ctx.output(endpoint, (e) =>
      e.failureReason && e.status === 'InService' ? `endpoint ${e.name} is InService on config ${e.config}: ${e.failureReason}` : `endpoint ${e.name} is ${e.status} (config ${e.config})`,
    );
  });

  endpoints
    .command('list')
    .description('list endpoints')
    .option('--limit <n>', 'at most this many', positiveInt)
    .option('--name-contains <text>', 'only names containing this')
    .action(async (flags: { limit?: number; nameContains?: string }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      ctx.output(await ctx.client.endpoints.list(flags), renderList);
    });

  endpoints
    .command('describe <name>')
    .description('show an endpoint: status, variants, status history')
    .action(async (name: string, _flags: object, cmd: Command) => {
      const ctx = ctxOf(cmd);
      ctx.output(await ctx.client.endpoints.get(name), renderEndpoint);
    });

  endpoints
    .command('delete <name>')
    .description('delete an endpoint (its config and models stay)')
    .action(async (name: string, _flags: object, cmd: Command) => {
      const ctx = ctxOf(cmd);
      await ctx.client.endpoints.delete(name);
      ctx.info(`deleted endpoint ${name}`);
    });

  endpoints
    .command('invoke <name>')
    .description('send one inference request and print the answer (the variant that answered goes to stderr)')
    .option('--body <text>', 'the request body')
    .option('--file <path>', 'read the request body from a file (default: stdin when piped)')
    .option('--content-type <type>', 'text/csv, application/json or application/jsonlines', 'text/csv')
    .option('--accept <type>', 'the response format, e.g. text/csv')
    .option('--variant <name>', 'send to this production variant')
    .action(async (name: string, flags: InvokeFlags, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const body = await requestBody(ctx, flags);
      const res = await ctx.client.endpoints.invoke(name, body, { contentType: flags.contentType, accept: flags.accept, targetVariant: flags.variant });
      ctx.io.stdout.write(res.body.endsWith('\n') ? res.body : `${res.body}\n`);
      if (res.variant) ctx.info(`variant: ${res.variant}`);
    });

  endpoints
    .command('timeline <name>')
    .description('one timeline, newest last: status history, monitoring alarms, retraining pipeline executions, registry events')
    .option('--last <n>', 'only the newest n entries', positiveInt)
    .action(async (name: string, flags: { last?: number }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const timeline = await ctx.client.endpoints.timeline(name);
      const items = flags.last ? timeline.items.slice(-flags.last) : timeline.items;
      ctx.output({ ...timeline, items }, (t) => table(['time', 'kind', 'what'], t.items.map((i) => [formatTime(i.at), i.kind, i.summary])));
    });

  registerEndpointScaling(endpoints, ctxOf);
  registerEndpointMetrics(endpoints, ctxOf);
}

async function configFor(ctx: CliContext, name: string, flags: CreateFlags): Promise<string> {
  if (flags.config && flags.model) throw new UsageError('give --model or --config, not both');
  if (flags.config) return flags.config;
  if (!flags.model) throw new UsageError('give --model <model> or --config <endpoint-config>');
  const config = await ctx.client.endpointConfigs.create({
    name: configName(name),
    variants: [{ name: 'AllTraffic', model: flags.model, instanceCount: flags.instanceCount, instanceType: flags.instanceType }],
  });
  ctx.info(`created endpoint config ${config.name}`);
  return config.name;
}

/** `<endpoint>-config-<ms timestamp>`, the endpoint part cut so the whole stays a valid 63-character name. */
export function configName(endpoint: string, now = Date.now()): string {
  const suffix = `-config-${now}`;
  return `${endpoint.slice(0, 63 - suffix.length).replace(/-+$/, '')}${suffix}`;
}

async function waitInService(ctx: CliContext, name: string): Promise<Endpoint> {
  const status = new StatusLine(ctx.io.stderr);
  try {
    return await ctx.client.endpoints.waitFor(name, 'InService', {
      intervalMs: 500,
      onUpdate: (e) => status.set(`endpoint ${e.name}: ${e.status}`),
    });
  } finally {
    status.stop();
  }
}

async function requestBody(ctx: CliContext, flags: InvokeFlags): Promise<string | Uint8Array> {
  if (flags.body !== undefined && flags.file !== undefined) throw new UsageError('give --body or --file, not both');
  if (flags.body !== undefined) return flags.body;
  if (flags.file !== undefined) return readFile(flags.file);
  if (ctx.io.stdin.isTTY) throw new UsageError('give the request with --body <text> or --file <path>, or pipe it in');
  const chunks: Buffer[] = [];
  for await (const chunk of ctx.io.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}

function renderList(list: EndpointList): string {
  return listTable(
    'endpoints',
    ['name', 'status', 'config', 'variants', 'updated'],
    list.items.map((e) => [e.name, e.status, e.config, e.variants.map((v) => v.name).join(', '), formatTime(e.updatedAt)]),
  );
}

function renderEndpoint(e: Endpoint): string {
  const summary = fields([
    ['Name', e.name],
    ['Status', e.status],
    ['Failure reason', e.failureReason],
    ['Config', e.config],
    ['URL', e.url],
    ['Created', formatTime(e.createdAt)],
    ['Updated', formatTime(e.updatedAt)],
  ]);
  const variants = table(
    ['variant', 'model', 'instance type', 'instances', 'weight'],
    e.variants.map((v) => [v.name, v.model, v.instanceType, `${v.currentInstanceCount}/${v.desiredInstanceCount}`, v.currentWeight]),
  );
  const history = table(['status', 'start', 'end', 'message'], e.statusHistory.map((t) => [t.status, formatTime(t.startTime), formatTime(t.endTime), t.message]));
  return [summary, section('Variants', variants), section('Status history', history)].join('\n');
}
