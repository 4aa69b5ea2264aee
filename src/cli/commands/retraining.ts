import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import type { RetrainingPolicy, RetrainingPolicyRequest } from '../../contracts/retraining.js';
import type { ContextOf } from '../context.js';
import { CliError, UsageError } from '../errors.js';
import { fields, formatTime, listTable } from '../format.js';
import { collectKeyValue, positiveInt } from '../parse.js';

interface SetFlags {
  file?: string;
  pipeline?: string;
  onAlarmOf?: string;
  cron?: string;
  param: [string, string][];
}

/** Reads a policy from a .json, .yaml or .yml file; the server checks its fields. */
async function readPolicy(file: string): Promise<Record<string, unknown>> {
  const yaml = /\.ya?ml$/i.test(file);
  const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new CliError(`cannot read ${file}: ${e.code ?? e.message}`);
  });
  let value: unknown;
  try {
    value = yaml ? parseYaml(text) : JSON.parse(text);
  } catch (e) {
    throw new CliError(`${file} is not valid ${yaml ? 'YAML' : 'JSON'}: ${(e as Error).message.split('\n')[0]}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new CliError(`${file} must hold an object: {pipeline, onAlarmOf?, schedule?: {cron}, parameters?}`);
  return value as Record<string, unknown>;
}

/** The file's policy (if any) with the flags over it. */
async function policyFrom(cwd: string, f: SetFlags): Promise<RetrainingPolicyRequest> {
  if (!f.file && !f.pipeline) throw new UsageError('give -f <policy file> or --pipeline <pipeline>');
  const policy = f.file ? await readPolicy(resolve(cwd, f.file)) : {};
  if (f.pipeline) policy.pipeline = f.pipeline;
  if (f.onAlarmOf) policy.onAlarmOf = f.onAlarmOf;
  if (f.cron) policy.schedule = { cron: f.cron };
  if (f.param.length) policy.parameters = { ...(policy.parameters as object | undefined), ...Object.fromEntries(f.param) };
  return policy as RetrainingPolicyRequest;
}

const describeParameters = (p: RetrainingPolicy['parameters']) => (p && Object.keys(p).length ? Object.entries(p).map(([k, v]) => `${k}=${v}`).join(' ') : undefined);

const renderPolicy = (p: RetrainingPolicy) => fields([
  ['endpoint', p.endpoint], ['pipeline', p.pipeline],
  ['on alarm of', p.onAlarmOf], ['schedule', p.schedule && `${p.schedule.cron} (UTC)`], ['parameters', describeParameters(p.parameters)],
  ['created', formatTime(p.createdAt)], ['updated', formatTime(p.updatedAt)],
]);


/** `stratus retraining set|get|list|delete|run` (the endpoint's timeline is `stratus endpoints timeline`). */
export function registerRetraining(program: Command, ctxOf: ContextOf): void {
  const retraining = program.command('retraining')
    .description("endpoints' retraining policies: a pipeline run on a monitoring alarm, on a cron or on demand, given `endpoint` and `productionModel`");

  retraining.command('set <endpoint>').description("set (or replace) an endpoint's retraining policy, from a file and/or flags (flags win)")
    .option('-f, --file <file>', 'the policy (.json, .yaml, .yml): {pipeline, onAlarmOf?, schedule?: {cron}, parameters?}')
    .option('--pipeline <pipeline>', 'the pipeline to run')
    .option('--on-alarm-of <schedule>', "run when this monitoring schedule of the endpoint raises an alarm")
    .option('--cron <cron>', 'run on this 5-field cron, UTC (e.g. "0 3 * * *")')
    .option('-p, --param <name=value>', 'a parameter of every execution (repeatable)', collectKeyValue, [])
    .action(async (endpoint: string, f: SetFlags, cmd: Command) => {
      const ctx = ctxOf(cmd);
      ctx.output(await ctx.client.endpoints.putRetrainingPolicy(endpoint, await policyFrom(ctx.io.cwd, f)), renderPolicy);
    });
  retraining.command('get <endpoint>').description("an endpoint's retraining policy").action(async (endpoint: string, _f: object, cmd: Command) => {
    const ctx = ctxOf(cmd);
    ctx.output(await ctx.client.endpoints.retrainingPolicy(endpoint), renderPolicy);
  });
  retraining.command('list').description('list retraining policies').option('--endpoint <endpoint>', "only this endpoint's")
    .action(async (f: { endpoint?: string }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const items: RetrainingPolicy[] = [];
      // A page covers a page of endpoints, so it may hold fewer policies than it could: read them all.
      for (let token: string | undefined, first = true; first || token; first = false) {
        const page = await ctx.client.endpoints.retrainingPolicies({ ...(f.endpoint ? { endpoint: f.endpoint } : {}), ...(token ? { nextToken: token } : {}) });
        items.push(...page.items);
        token = page.nextToken;
      }
      ctx.output({ items }, (p) => listTable('retraining policies', ['ENDPOINT', 'PIPELINE', 'ON ALARM OF', 'SCHEDULE', 'PARAMETERS', 'UPDATED'],
        p.items.map((x) => [x.endpoint, x.pipeline, x.onAlarmOf, x.schedule?.cron, describeParameters(x.parameters), formatTime(x.updatedAt)])));
    });
  retraining.command('delete <endpoint>').description("remove an endpoint's retraining policy").action(async (endpoint: string, _f: object, cmd: Command) => {
    const ctx = ctxOf(cmd);
    await ctx.client.endpoints.deleteRetrainingPolicy(endpoint);
    ctx.output({ deleted: endpoint }, () => `deleted the retraining policy of ${endpoint}`);
  });
  retraining.command('run <endpoint>').description("run the policy's pipeline now")
    .option('-p, --param <name=value>', "a parameter, over the policy's (repeatable)", collectKeyValue, [])
    .action(async (endpoint: string, f: { param: [string, string][] }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      ctx.output(await ctx.client.endpoints.runRetraining(endpoint, Object.fromEntries(f.param)),
        (e) => `started execution ${e.name} of pipeline ${e.pipeline}; follow it with \`stratus pipelines execution ${e.name}\``);
    });
}
