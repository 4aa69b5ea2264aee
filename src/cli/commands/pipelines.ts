import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import type { PipelineDefinition, PipelineExecution, StratusClient } from '../../sdk/index.js';
import type { ContextOf } from '../context.js';
import { CliError } from '../errors.js';
import { fields, formatTime, listTable, secondsBetween, formatDuration, section, table } from '../format.js';
import { collectKeyValue, positiveInt } from '../parse.js';
import { resolveSource } from '../source-bundle.js';

/**
 * Script sources of processing and training steps that name a local folder or .tar.gz (relative
 * to the definition file) are packed and uploaded, and replaced by the uploaded bundle's URI.
 */
async function uploadLocalSources(client: StratusClient, def: PipelineDefinition, baseDir: string): Promise<PipelineDefinition> {
  for (const step of def.steps ?? []) {
    const body = step as unknown as { script?: { source?: unknown }; request?: { script?: { source?: unknown }; trainingSpec?: { script?: { source?: unknown } } } };
    for (const script of [body.script, body.request?.script, body.request?.trainingSpec?.script]) {
      if (typeof script?.source !== 'string' || !existsSync(resolve(baseDir, script.source))) continue;
      script.source = await resolveSource(client, `${def.name ?? 'pipeline'}-${step.name}`, script.source, baseDir);
    }
  }
  return def;
}

/** Reads a pipeline definition from a .json, .yaml or .yml file. */
async function readDefinition(file: string): Promise<PipelineDefinition> {
  const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new CliError(`cannot read ${file}: ${e.code ?? e.message}`);
  });
  try {
    return (/\.ya?ml$/i.test(file) ? parseYaml(text) : JSON.parse(text)) as PipelineDefinition;
  } catch (e) {
    throw new CliError(`${file} is not valid ${/\.ya?ml$/i.test(file) ? 'YAML' : 'JSON'}: ${(e as Error).message.split('\n')[0]}`);
  }
}

const stepRows = (e: PipelineExecution) => e.steps.map((s) => [
  s.name, s.type, s.status, s.attempts,
  s.startedAt ? formatDuration(secondsBetween(s.startedAt, s.endedAt)) : '',
  s.cachedFrom ? `cached from ${s.cachedFrom}` : Object.entries(s.resources ?? {}).map(([k, v]) => `${k}=${v}`).join(' '),
  s.failureReason ?? '',
]);

/** The per-step table of an execution. */
export function renderExecution(e: PipelineExecution): string {
  return [
    fields([
      ['Execution', e.name], ['Pipeline', `${e.pipeline} (version ${e.pipelineVersion})`], ['Status', e.status], ['Failure reason', e.failureReason],
      ['Trigger', String(e.trigger.type ?? '')], ['Parameters', JSON.stringify(e.parameters)], ['Created', formatTime(e.createdAt)], ['Ended', formatTime(e.endedAt)],
    ]),
    section('Steps', table(['STEP', 'TYPE', 'STATUS', 'TRIES', 'TIME', 'RESOURCES', 'REASON'], stepRows(e))),
  ].join('\n');
}

/** `stratus pipelines create|update|list|describe|run|executions|execution|stop`. */
export function registerPipelines(program: Command, ctxOf: ContextOf): void {
  const pipelines = program.command('pipelines').description('pipelines: DAGs of processing, training, evaluation, condition, register, deploy, transform and fail steps');

  pipelines.command('create').description('create a pipeline from a JSON or YAML definition').requiredOption('-f, --file <file>', 'the definition (.json, .yaml, .yml)')
    .action(async (flags: { file: string }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const def = await uploadLocalSources(ctx.client, await readDefinition(resolve(ctx.io.cwd, flags.file)), dirname(resolve(ctx.io.cwd, flags.file)));
      ctx.output(await ctx.client.pipelines.create(def), (p) => `created pipeline ${p.name} (version ${p.version})`);
    });
  pipelines.command('update <name>').description('add the next version of a pipeline from a definition file').requiredOption('-f, --file <file>', 'the definition')
    .action(async (name: string, flags: { file: string }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const def = await uploadLocalSources(ctx.client, { ...(await readDefinition(resolve(ctx.io.cwd, flags.file))), name }, dirname(resolve(ctx.io.cwd, flags.file)));
      ctx.output(await ctx.client.pipelines.update(name, def), (p) => `pipeline ${p.name} is now at version ${p.version}`);
    });
  pipelines.command('list').description('list pipelines').option('--limit <n>', 'at most this many', positiveInt)
    .action(async (flags: { limit?: number }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      ctx.output(await ctx.client.pipelines.list(flags), (p) => listTable('pipelines', ['NAME', 'VERSION', 'UPDATED'], p.items.map((x) => [x.name, x.latestVersion, x.updatedAt])));
    });
  pipelines.command('describe <name>').description("a pipeline's definition (latest version unless --version)").option('--version <n>', 'a version', positiveInt)
    .action(async (name: string, flags: { version?: number }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      ctx.output(await ctx.client.pipelines.get(name, flags.version), (p) => {
        const def = p.definition as unknown as PipelineDefinition;
        return [
          fields([['Name', p.name], ['Version', `${p.version} of ${p.latestVersion}`], ['Schedule', def.schedule?.cron], ['Trigger', def.trigger ? JSON.stringify(def.trigger) : undefined]]),
          section('Parameters', table(['NAME', 'TYPE', 'DEFAULT'], (def.parameters ?? []).map((x) => [x.name, x.type, x.default === undefined ? '' : String(x.default)]))),
          section('Steps', table(['STEP', 'TYPE', 'DEPENDS ON', 'CACHE', 'RETRIES'], def.steps.map((s) => [s.name, s.type, (s.dependsOn ?? []).join(','), s.cache ? 'yes' : '', s.retry ? String(s.retry.maxAttempts) : '']))),
        ].join('\n');
      });
    });
  pipelines.command('run <name>').description('start an execution')
    .option('-p, --param <name=value>', 'a parameter (repeatable)', collectKeyValue, [])
    .option('--wait', 'show progress until it ends; exit non-zero unless it succeeds')
    .action(async (name: string, flags: { param: [string, string][]; wait?: boolean }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const started = await ctx.client.pipelines.start(name, Object.fromEntries(flags.param));
      if (!flags.wait) return ctx.output(started, (e) => `started execution ${e.name}; follow it with \`stratus pipelines execution ${e.name}\``);
      ctx.info(`started execution ${started.name}`);
      const seen = new Map<string, string>();
      const done = await ctx.client.pipelines.waitForExecution(started.name, {
        intervalMs: 500,
        onUpdate: (e) => {
          for (const s of e.steps) {
            if (seen.get(s.name) === s.status) continue;
            seen.set(s.name, s.status);
            if (s.status !== 'Pending') ctx.info(`  ${s.name}: ${s.status}${s.cachedFrom ? ' (cached)' : ''}${s.failureReason && s.status !== 'Executing' ? ` — ${s.failureReason}` : ''}`);
          }
        },
      });
      ctx.output(done, renderExecution);
      if (done.status !== 'Succeeded') throw new CliError(`execution ${done.name} ${done.status}${done.failureReason ? `: ${done.failureReason}` : ''}`);
    });
  pipelines.command('executions <name>').description("a pipeline's executions, newest first").option('--limit <n>', 'at most this many', positiveInt)
    .action(async (name: string, flags: { limit?: number }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      ctx.output(await ctx.client.pipelines.executions(name, flags), (p) => listTable('executions', ['EXECUTION', 'STATUS', 'TRIGGER', 'PARAMETERS', 'CREATED'], p.items.map((e) => [e.name, e.status, String(e.trigger.type ?? ''), JSON.stringify(e.parameters), e.createdAt])));
    });
  pipelines.command('execution <id>').description('an execution with its per-step status table')
    .action(async (id: string, _f: object, cmd: Command) => {
      const ctx = ctxOf(cmd);
      ctx.output(await ctx.client.pipelines.execution(id), renderExecution);
    });
  pipelines.command('logs <id> <step>').description("a step's log: the logs of the jobs it ran (a processing script, a training job)")
    .action(async (id: string, step: string, _f: object, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const text = await ctx.client.pipelines.stepLog(id, step);
      ctx.io.stdout.write(text.endsWith('\n') || text === '' ? text : `${text}\n`);
    });
  pipelines.command('stop <id>').description('stop an execution (and the jobs of its running steps)')
    .action(async (id: string, _f: object, cmd: Command) => {
      const ctx = ctxOf(cmd);
      ctx.output(await ctx.client.pipelines.stopExecution(id), (e) => `stopping execution ${e.name} (${e.status})`);
    });
}
