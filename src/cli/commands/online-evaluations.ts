import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { OnlineEvaluation, OnlineEvaluationReport } from '../../sdk/index.js';
import type { ContextOf } from '../context.js';
import { CliError } from '../errors.js';
import { fields, listTable, table } from '../format.js';
import { positiveInt } from '../parse.js';
import { deploymentFrom, deploymentOptions, type DeploymentFlags } from './endpoint-rollouts.js';
import { readLabels } from './monitor.js';

const PROBLEM_TYPES = ['binary', 'multiclass', 'regression'] as const;

interface CreateFlags extends DeploymentFlags {
  endpoint: string; candidate: string; baseline?: string; duration: number; problemType?: string; threshold?: number; alpha?: number;
  autoDecide?: boolean; minimumLabelled?: number; resetCandidateWeight?: boolean;
}

const describeDecision = (d: NonNullable<OnlineEvaluation['decision']>) =>
  d.automatic ? `automatic when the period ends (at least ${d.minimumLabelled} labels per variant${d.resetCandidateWeight ? "; the candidate's weight goes to 0 if the baseline is kept" : ''})` : 'by request';

const renderEvaluation = (e: OnlineEvaluation) => fields([
  ['online evaluation', e.name], ['status', e.status], ['endpoint', `${e.endpoint} (config ${e.config})`],
  ['candidate', `${e.candidateVariant}${e.candidateIsShadow ? ' (shadow)' : ''}`], ['baseline', e.baselineVariant], ['problem type', e.problemType],
  ['period', `${e.startedAt} → ${e.endsAt}`],
  ['decision', e.decision ? describeDecision(e.decision) : undefined],
  ['conclusion', e.conclusion ? `${e.conclusion.outcome} (${e.conclusion.reason}) at ${e.conclusion.at}: ${e.conclusion.message}` : undefined],
  ['promotion', e.promotion ? `${e.promotion.outcome}: config ${e.promotion.config} at ${e.promotion.at}${e.promotion.forced ? ' (forced)' : ''}${e.promotion.automatic ? ' (automatic)' : ''}${e.promotion.failureReason ? ` — ${e.promotion.failureReason}` : ''}` : undefined],
]);

const num = (v: number | undefined) => (v === undefined ? undefined : Number(v.toPrecision(4)));

const renderReport = (r: OnlineEvaluationReport) => {
  const metrics = [...new Set(r.variants.flatMap((v) => Object.keys(v.metrics)))];
  const t = r.test;
  return [
    `${r.name} (${r.status}, ${r.problemType}): ${r.labels} labels`,
    table(['VARIANT', 'ROLE', 'CAPTURED', 'JOINED', ...metrics.map((m) => m.toUpperCase())], r.variants.map((v) => [
      `${v.variant}${v.shadow ? ' (shadow)' : ''}`, v.role, v.captured, v.joined, ...metrics.map((m) => num(v.metrics[m])),
    ])),
    `${t.kind === 'bootstrap' ? `bootstrap (${t.paired ? 'paired' : 'independent'}, ${t.samples} resamples)` : 'two-proportion z-test'} on ${t.metric}: ` +
      `candidate − baseline = ${num(t.difference)}${t.interval ? ` [${num(t.interval.lower)}, ${num(t.interval.upper)}]` : ''}, p = ${t.pValue.toPrecision(3)}` +
      ` → ${t.significant ? `${t.better} is better` : `not significant at ${t.alpha}`}`,
  ].join('\n');
};

/** `stratus online-evaluations create|list|describe|report|ground-truth|promote|delete`. */
export function registerOnlineEvaluations(program: Command, ctxOf: ContextOf): void {
  const online = program.command('online-evaluations').alias('online-eval')
    .description('compare a candidate variant (shadow or weighted) with production on live traffic, and promote it');
  deploymentOptions(online.command('create <name>').description('start comparing a candidate variant of an endpoint with production')
    .requiredOption('--endpoint <endpoint>').requiredOption('--candidate <variant>', 'a shadow or production variant of the current config')
    .option('--baseline <variant>', 'default: the heaviest other production variant')
    .requiredOption('--duration <seconds>', 'how long to collect traffic', positiveInt)
    .option('--problem-type <type>', 'binary (default), multiclass or regression')
    .option('--threshold <p>', 'binary: a score at or above it is positive (default 0.5)', Number)
    .option('--alpha <p>', 'significance level (default 0.05)', Number)
    .option('--auto-decide', 'when the period ends, promote a significantly better candidate (with the traffic-shifting flags below), else keep the baseline')
    .option('--minimum-labelled <n>', 'with --auto-decide: labelled answers each variant needs (default 30)', positiveInt)
    .option('--reset-candidate-weight', 'with --auto-decide: set a weighted candidate\'s weight to 0 when the baseline is kept'))
    .action(async (name: string, f: CreateFlags, cmd: Command) => {
      const ctx = ctxOf(cmd);
      if (f.problemType && !(PROBLEM_TYPES as readonly string[]).includes(f.problemType)) throw new CliError('--problem-type must be binary, multiclass or regression');
      if (!f.autoDecide && (f.minimumLabelled !== undefined || f.resetCandidateWeight)) throw new CliError('--minimum-labelled and --reset-candidate-weight go with --auto-decide');
      const deployment = deploymentFrom(f);
      ctx.output(await ctx.client.onlineEvaluations.create({
        name, endpoint: f.endpoint, candidateVariant: f.candidate, durationSeconds: f.duration,
        ...(f.baseline ? { baselineVariant: f.baseline } : {}),
        ...(f.problemType ? { problemType: f.problemType as (typeof PROBLEM_TYPES)[number] } : {}),
        ...(f.threshold !== undefined ? { threshold: f.threshold } : {}),
        ...(f.alpha !== undefined ? { alpha: f.alpha } : {}),
        ...(deployment ? { deployment } : {}),
        ...(f.autoDecide ? {
          decision: { automatic: true, ...(f.minimumLabelled !== undefined ? { minimumLabelled: f.minimumLabelled } : {}), ...(f.resetCandidateWeight ? { resetCandidateWeight: true } : {}) },
        } : {}),
      }), renderEvaluation);
    });
  online.command('list').description('list online evaluations').action(async (_f: object, cmd: Command) => {
    const ctx = ctxOf(cmd);
    ctx.output(await ctx.client.onlineEvaluations.list(), (p) => listTable('online evaluations', ['NAME', 'STATUS', 'ENDPOINT', 'CANDIDATE', 'BASELINE', 'PROMOTION', 'CONCLUSION'],
      p.items.map((e) => [e.name, e.status, e.endpoint, e.candidateVariant, e.baselineVariant, e.promotion?.outcome, e.conclusion && `${e.conclusion.outcome} (${e.conclusion.reason})`])));
  });
  online.command('describe <name>').description('an online evaluation').action(async (name: string, _f: object, cmd: Command) => {
    const ctx = ctxOf(cmd);
    ctx.output(await ctx.client.onlineEvaluations.get(name), renderEvaluation);
  });
  online.command('report <name>').description("both variants' metrics side by side and the test of their difference").action(async (name: string, _f: object, cmd: Command) => {
    const ctx = ctxOf(cmd);
    ctx.output(await ctx.client.onlineEvaluations.report(name), renderReport);
  });
  online.command('ground-truth <name> <file>').description('upload labels: a CSV of `inferenceId,label` lines')
    .action(async (name: string, file: string, _f: object, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const labels = await readLabels(resolve(ctx.io.cwd, file), file);
      ctx.output(await ctx.client.onlineEvaluations.groundTruth(name, labels), (r) => `uploaded ${r.accepted} labels for ${name}`);
    });
  deploymentOptions(online.command('promote <name>')
    .description("make the candidate the endpoint's only production variant (refused unless significantly better, or --force)")
    .option('--force', 'promote even without a significant win'))
    .action(async (name: string, f: DeploymentFlags & { force?: boolean }, cmd: Command) => {
      const ctx = ctxOf(cmd);
      const deployment = deploymentFrom(f);
      const e = await ctx.client.onlineEvaluations.promote(name, { ...(f.force ? { force: true } : {}), ...(deployment ? { deployment } : {}) });
      ctx.output(e, (x) => `promoting ${x.candidateVariant} on ${x.endpoint}: config ${x.promotion?.config} (${x.promotion?.outcome}); follow with \`stratus endpoints describe ${x.endpoint}\``);
    });
  online.command('delete <name>').description('delete an online evaluation and its labels').action(async (name: string, _f: object, cmd: Command) => {
    const ctx = ctxOf(cmd);
    await ctx.client.onlineEvaluations.delete(name);
    ctx.output({ deleted: name }, () => `deleted online evaluation ${name}`);
  });
}
