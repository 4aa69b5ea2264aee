import { Option, type Command } from 'commander';
import type { ApprovalStatus, ModelPackage } from '../../sdk/index.js';
import type { ContextOf } from '../context.js';
import { CliError } from '../errors.js';
import { fields, listTable } from '../format.js';
import { collectKeyValue, datasetRef, positiveInt, type DatasetRef } from '../parse.js';

const renderVersion = (v: ModelPackage) => fields([
  ['version', `${v.group}/${v.version}`], ['approval', v.approvalStatus],
  ['approved by', v.approval ? `${v.approval.by} at ${v.approval.at}${v.approval.reason ? ` (${v.approval.reason})` : ''}` : undefined],
  ['aliases', v.aliases.join(', ')], ['model', v.model], ['artifact', v.artifactUri], ['training job', v.trainingJob], ['evaluation job', v.evaluationJob],
  ['datasets', v.datasets.map((d) => `${d.name}${d.version ? `:${d.version}` : ''}`).join(', ')],
  ['metrics', Object.entries(v.metrics).map(([k, x]) => `${k}=${Number(x.toFixed(4))}`).join(' ')],
]);

/** `stratus registry groups|create-group|versions|register|approve|alias|events|served`. */
export function registerRegistry(program: Command, ctxOf: ContextOf): void {
  const registry = program.command('registry').description('the model registry: groups, versions, approval, aliases, events');
  registry.command('groups').description('list model package groups').action(async (_f: object, cmd: Command) => {
    const ctx = ctxOf(cmd);
    ctx.output(await ctx.client.modelPackageGroups.list(), (p) => listTable('groups', ['GROUP', 'LATEST', 'DESCRIPTION'], p.items.map((g) => [g.name, g.latestVersion, g.description])));
  });
  registry.command('create-group <group>').option('--description <text>').description('create a model package group')
    .action(async (group: string, f: { description?: string }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      ctx.output(await ctx.client.modelPackageGroups.create({ name: group, ...(f.description ? { description: f.description } : {}) }), (g) => `created group ${g.name}`);
    });
  registry.command('versions <group>').description('list versions, newest first')
    .addOption(new Option('--approval <status>').choices(['PendingManualApproval', 'Approved', 'Rejected']))
    .action(async (group: string, f: { approval?: ApprovalStatus }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      ctx.output(await ctx.client.modelPackageGroups.versions(group, f.approval ? { approvalStatus: f.approval } : {}), (p) =>
        listTable('versions', ['VERSION', 'APPROVAL', 'ALIASES', 'MODEL', 'EVALUATION', 'CREATED'], p.items.map((v) => [v.version, v.approvalStatus, v.aliases.join(','), v.model, v.evaluationJob, v.createdAt])));
    });
  registry.command('describe <group> <version>').description('one version with its lineage').action(async (group: string, version: string, _f: object, cmd: Command) => {
    const ctx = ctxOf(cmd);
    ctx.output(await ctx.client.modelPackageGroups.version(group, positiveInt(version)), renderVersion);
  });
  registry.command('register <group>').description('register the next version of a group')
    .option('--model <model>', 'a model of this platform')
    .option('--artifact <uri>', 'or an artifact URI (with --algorithm or --runtime)')
    .option('--algorithm <algorithm>').option('--runtime <runtime>')
    .option('--training-job <job>').option('--evaluation-job <job>', 'a Completed evaluation: its report and metrics')
    .option('--dataset <dataset[:version]>', 'a dataset it was trained on (repeatable)', (v: string, prev: DatasetRef[] = []) => [...prev, datasetRef(v)], [])
    .option('--metric <name=value>', 'a metric (repeatable)', collectKeyValue, [])
    .option('--description <text>')
    .action(async (group: string, f: { model?: string; artifact?: string; algorithm?: string; runtime?: 'builtin' | 'onnx' | 'container' | 'python'; trainingJob?: string; evaluationJob?: string; dataset: DatasetRef[]; metric: [string, string][]; description?: string }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const v = await ctx.client.modelPackageGroups.register(group, {
        ...(f.model ? { model: f.model } : {}), ...(f.artifact ? { artifactUri: f.artifact } : {}), ...(f.algorithm ? { algorithm: f.algorithm } : {}),
        ...(f.runtime ? { runtime: f.runtime } : {}), ...(f.trainingJob ? { trainingJob: f.trainingJob } : {}), ...(f.evaluationJob ? { evaluationJob: f.evaluationJob } : {}),
        ...(f.dataset.length ? { datasets: f.dataset.map((d) => ({ name: d.dataset, ...(d.version ? { version: d.version } : {}) })) } : {}),
        ...(f.metric.length ? { metrics: Object.fromEntries(f.metric.map(([k, x]) => [k, Number(x)])) } : {}),
        ...(f.description ? { description: f.description } : {}),
      });
      ctx.output(v, renderVersion);
    });
  registry.command('approve <group> <version>').description('approve (or --reject) a version, with a reason')
    .option('--reject', 'reject instead').option('--pending', 'back to PendingManualApproval').option('--reason <text>')
    .action(async (group: string, version: string, f: { reject?: boolean; pending?: boolean; reason?: string }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      if (f.reject && f.pending) throw new CliError('give --reject or --pending, not both');
      const status: ApprovalStatus = f.reject ? 'Rejected' : f.pending ? 'PendingManualApproval' : 'Approved';
      ctx.output(await ctx.client.modelPackageGroups.approve(group, positiveInt(version), status, f.reason), renderVersion);
    });
  registry.command('alias <group> <alias> <version>').description('point an alias (production, candidate, …) at a version')
    .action(async (group: string, alias: string, version: string, _f: object, cmd: Command) => {
      const ctx = ctxOf(cmd);
      ctx.output(await ctx.client.modelPackageGroups.setAlias(group, alias, positiveInt(version)), (r) => `${r.group}@${r.alias} → ${r.version}${r.previous ? ` (was ${r.previous})` : ''}`);
    });
  registry.command('events <group>').description('the event history of a group').action(async (group: string, _f: object, cmd: Command) => {
    const ctx = ctxOf(cmd);
    ctx.output(await ctx.client.modelPackageGroups.events(group), (p) =>
      listTable('events', ['#', 'AT', 'EVENT', 'VERSION', 'BY', 'DETAIL'], p.items.map((e) => [e.seq, e.at, e.type, e.version, e.actor, JSON.stringify(e.detail)])));
  });
  registry.command('served <endpoint>').description('which versions an endpoint served at a time').option('--at <iso-time>')
    .action(async (endpoint: string, f: { at?: string }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      ctx.output(await ctx.client.modelPackageGroups.servedVersions(endpoint, f.at), (s) =>
        `${s.endpoint} at ${s.at}: ${s.config ? `config ${s.config} since ${s.since}` : 'nothing deployed'}\n` +
        listTable('variants', ['VARIANT', 'MODEL', 'VERSIONS'], s.variants.map((v) => [v.variant + (v.shadow ? ' (shadow)' : ''), v.model, v.versions.map((x) => `${x.group}/${x.version}`).join(', ')])));
    });
}
