/**
 * A training job on a cluster executor (Slurm), seen from the server: submit one gang job of N
 * hosts, mirror Slurm's state into the job's status (Pending with Slurm's reason while it waits),
 * collect every host's log lines through the artifact store (prefixed `[algo-N]`), stop with
 * scancel, and on a node failure either fail with that reason or — with `retryStrategy` —
 * submit again, the hosts resuming from the job's checkpoints. The hosts do the rest
 * (src/jobs/slurm/host-runner.ts); the server never touches their files.
 */
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { S3Settings } from '../core/config.js';
import { arnOf } from '../core/ids.js';
import { instanceType } from '../core/instance-types.js';
import type { ClusterExecutor, ClusterJobState } from '../jobs/executor.js';
import { JobLog } from '../jobs/job-log.js';
import type { JobFolder } from '../jobs/job-folder.js';
import { LogCollector } from '../jobs/slurm/log-relay.js';
import { pendingMessage, slurmPhase, type SlurmPhase } from '../jobs/slurm/slurm-states.js';
import type { TrainingJobPatch, TrainingJobRecord } from '../store/metadata-store.js';
import { MAX_FAILURE_REASON, resolveHostInputs, type HostInput } from './host-io.js';
import { encodeHostPlan, HOST_PLAN_ENV, hostsPrefix, type HostPlan } from './host-plan.js';
import { MetricBuffer, type RunControl } from './job-run.js';
import type { NormalizedTrainingJobSpec } from './job-spec.js';
import type { TrainingDeps } from './training-service.js';

const BOOTSTRAP = fileURLToPath(new URL('../core/tsx-bootstrap.mjs', import.meta.url));
const HOST_RUNNER = fileURLToPath(new URL('../jobs/slurm/host-runner.ts', import.meta.url));
const TAIL_LINES = 15;
/** How many polls in a row Slurm may not know a job before it counts as lost. */
const MAX_UNKNOWN_POLLS = 30;

/** Where the cluster's hosts find the store and build job folders. */
export interface ClusterSettings {
  artifactUrl: string;
  s3: S3Settings;
  workDir: string;
  pollMs: number;
}

export interface ClusterRunContext extends Omit<TrainingDeps, 'cluster'> {
  cluster: ClusterExecutor;
  settings: ClusterSettings;
  name: string;
  spec: NormalizedTrainingJobSpec;
  /** The server's folder of the job: only its combined log lives there. */
  folder: JobFolder;
  control: RunControl;
  keys: { model: string; output: string; log: string };
  update(p: TrainingJobPatch): Promise<TrainingJobRecord>;
  apiUrl: string | undefined;
}

type Outcome = SlurmPhase & { slurm: ClusterJobState; id: string; attempt: number };

export async function runClusterJob(ctx: ClusterRunContext): Promise<void> {
  await rm(ctx.folder.root, { recursive: true, force: true }).catch(() => undefined);
  await rm(ctx.folder.logFile, { force: true }).catch(() => undefined);
  const log = new JobLog(ctx.folder.logFile);
  ctx.control.log = log;
  const metrics = new MetricBuffer(ctx);
  const { instanceCount } = ctx.spec.resources;
  const attempts = 1 + (ctx.spec.retryStrategy?.maximumRetryAttempts ?? 0);
  try {
    log.append(`[stratus] training job ${ctx.name}: ${describe(ctx.spec)} on ${instanceCount} × ${ctx.spec.resources.instanceType} (${ctx.cluster.kind})`);
    const inputs = await resolveHostInputs(ctx.spec, ctx.datasets, ctx.artifacts);
    const apiEnv = await apiAccess(ctx);
    for (let attempt = 1; ; attempt++) {
      const outcome = await runAttempt(ctx, log, metrics, attempt, inputs, apiEnv);
      if (outcome.phase === 'node-failed' && attempt < attempts && !ctx.control.stopRequested) {
        const reason = await nodeFailure(ctx, outcome);
        log.append(`[stratus] ${reason}: starting attempt ${attempt + 1} of ${attempts}, resuming from the job's checkpoints`);
        await ctx.update({ secondaryStatus: 'Starting', statusMessage: `${reason}; retrying (attempt ${attempt + 1} of ${attempts})` });
        continue;
      }
      await conclude(ctx, log, outcome);
      break;
    }
  } catch (e) {
    await fail(ctx, log, e);
  } finally {
    await metrics.flush();
    await ctx.jobTokens?.revokeJobTokens(ctx.name).catch((e: unknown) => ctx.log.warn({ err: e, job: ctx.name }, 'could not revoke the job token'));
    await log.close();
    await ctx.artifacts.put(ctx.keys.log, createReadStream(ctx.folder.logFile)).catch(() => undefined);
    await ctx.artifacts.delete(`training-jobs/${ctx.name}/hosts`).catch(() => undefined);
    await rm(ctx.folder.root, { recursive: true, force: true }).catch(() => undefined);
    await rm(ctx.folder.logFile, { force: true }).catch(() => undefined);
  }
}

const describe = (spec: NormalizedTrainingJobSpec) =>
  spec.script ? `script ${spec.script.entryPoint ?? spec.script.command!.join(' ')} from ${spec.script.source}` : spec.algorithm;

async function apiAccess(ctx: ClusterRunContext): Promise<Record<string, string>> {
  if (!ctx.apiUrl || !ctx.jobTokens) return {};
  return { STRATUS_API_URL: ctx.apiUrl, STRATUS_JOB_TOKEN: await ctx.jobTokens.issueJobToken(ctx.name) };
}

/** One Slurm job for the training job, watched until Slurm says it ended. */
async function runAttempt(ctx: ClusterRunContext, log: JobLog, metrics: MetricBuffer, attempt: number, inputs: HostInput[], apiEnv: Record<string, string>): Promise<Outcome> {
  const type = instanceType(ctx.spec.resources.instanceType);
  const nodes = ctx.spec.resources.instanceCount;
  const prefix = hostsPrefix(ctx.name, attempt);
  await ctx.artifacts.delete(prefix).catch(() => undefined);
  const tail = ctx.control.tail;
  const collector = new LogCollector(ctx.artifacts, prefix, (host, line) => {
    log.append(`[${host}] ${line}`);
    // Every host prints the same epochs of a data-parallel job: metrics come from the master.
    if (host === 'algo-1') metrics.add(line);
    tail.push(`[${host}] ${line}`);
    if (tail.length > TAIL_LINES) tail.shift();
  });
  const s3 = { ...ctx.settings.s3 };
  delete (s3 as { accessKeyId?: string }).accessKeyId;
  delete (s3 as { secretAccessKey?: string }).secretAccessKey;
  const plan: HostPlan = {
    job: ctx.name, arn: arnOf('training-job', ctx.name), attempt, spec: ctx.spec, inputs,
    artifactUrl: ctx.settings.artifactUrl, s3, keys: { model: ctx.keys.model, output: ctx.keys.output },
    hostsPrefix: prefix, python: ctx.python, cpusPerHost: type.cpus, workDir: ctx.settings.workDir, apiEnv,
  };
  ctx.control.abort.signal.throwIfAborted();
  const id = await ctx.cluster.submit({
    name: `stratus-${ctx.name}`,
    nodes,
    cpusPerNode: type.cpus,
    memoryMiBPerNode: type.memoryMiB,
    timeLimitSeconds: ctx.spec.stoppingCondition.maxRuntimeInSeconds,
    command: [process.execPath, BOOTSTRAP, HOST_RUNNER],
    env: { [HOST_PLAN_ENV]: encodeHostPlan(plan), HOME: ctx.settings.workDir },
  });
  log.append(`[stratus] attempt ${attempt}: submitted as Slurm job ${id} (${nodes} host(s), ${type.cpus} CPUs and ${type.memoryMiB} MiB each)`);
  await ctx.update({ runtime: { executor: ctx.cluster.kind, jobId: id }, secondaryStatus: 'Starting', statusMessage: `Submitted to Slurm as job ${id}` });

  let seen = '';
  let cancelled = false;
  let unknown = 0;
  let maxTimer: NodeJS.Timeout | undefined;
  try {
    for (;;) {
      if (ctx.control.abort.signal.aborted && !cancelled) {
        cancelled = true;
        log.append(`[stratus] cancelling Slurm job ${id}`);
        await ctx.cluster.cancel(id).catch((e: unknown) => log.append(`[stratus] scancel ${id} failed: ${(e as Error).message}`));
      }
      const state = await ctx.cluster.state(id).catch(() => undefined);
      await collector.poll().catch((e: unknown) => ctx.log.warn({ err: e, job: ctx.name }, 'could not read host logs'));
      if (!state) {
        if (++unknown > MAX_UNKNOWN_POLLS) return { phase: 'failed', reason: `Slurm no longer knows job ${id}`, slurm: { state: '', reason: '', nodes: '' }, id, attempt };
      } else {
        unknown = 0;
        const phase = slurmPhase(state.state, state.reason);
        if (phase.phase === 'waiting') {
          const key = `waiting:${state.reason}`;
          if (key !== seen) {
            seen = key;
            const message = pendingMessage(nodes, state.reason);
            log.append(`[stratus] ${message}`);
            await ctx.update({ secondaryStatus: 'Pending', statusMessage: message });
          }
        } else if (phase.phase === 'running') {
          if (seen !== 'running') {
            seen = 'running';
            ctx.control.trainingStartedAt ??= ctx.clock.now().getTime();
            log.append(`[stratus] running on ${state.nodes}`);
            await ctx.update({ secondaryStatus: 'Training', statusMessage: `Training on ${nodes} host(s): ${state.nodes} (Slurm job ${id})`, startedAt: ctx.clock.now() });
            maxTimer ??= maxRuntimeTimer(ctx, log);
          }
        } else {
          await collector.poll().catch(() => undefined);
          return { ...phase, slurm: state, id, attempt };
        }
      }
      await new Promise((r) => setTimeout(r, ctx.settings.pollMs));
    }
  } finally {
    clearTimeout(maxTimer);
    await metrics.flush();
  }
}

/** MaxRuntimeInSeconds, to the second (Slurm's --time only counts minutes and is the backstop). */
function maxRuntimeTimer(ctx: ClusterRunContext, log: JobLog) {
  return setTimeout(() => {
    ctx.control.stopRequested ??= 'MaxRuntimeExceeded';
    log.append(`[stratus] MaxRuntimeInSeconds (${ctx.spec.stoppingCondition.maxRuntimeInSeconds} s) exceeded: stopping the job`);
    ctx.control.abort.abort(new Error('max runtime exceeded'));
  }, ctx.spec.stoppingCondition.maxRuntimeInSeconds * 1000);
}

async function conclude(ctx: ClusterRunContext, log: JobLog, o: Outcome) {
  const stop = ctx.control.stopRequested;
  if (stop === 'Interrupted') throw new Error('interrupted: the server shut down while the job was running; create a new job to train again');
  const end = ctx.clock.now();
  const done = { ...(await storedOutputs(ctx)), endedAt: end, billableSeconds: billable(ctx, end), runtime: null };
  if (o.phase === 'completed' && !stop) {
    log.append('[stratus] job completed');
    await ctx.update({ ...done, status: 'Completed', secondaryStatus: 'Completed', statusMessage: 'Training job completed' });
    return;
  }
  if (o.phase === 'timeout' || stop === 'MaxRuntimeExceeded') {
    log.append('[stratus] job stopped (MaxRuntimeExceeded)');
    await ctx.update({ ...done, status: 'Stopped', secondaryStatus: 'MaxRuntimeExceeded', statusMessage: 'MaxRuntimeInSeconds exceeded' });
    return;
  }
  if (o.phase === 'cancelled' || (o.phase === 'completed' && stop)) {
    const message = stop === 'Stopped' ? 'Stopped by request' : `Slurm job ${o.id} was cancelled outside Stratus (scancel)`;
    log.append(`[stratus] job stopped: ${message}`);
    await ctx.update({ ...done, status: 'Stopped', secondaryStatus: 'Stopped', statusMessage: message });
    return;
  }
  const reason = o.phase === 'node-failed' ? await nodeFailure(ctx, o) : await hostFailure(ctx, o);
  throw new Error(reason);
}

/** "node failure on h3": the job's nodes Slurm now sees as down or not responding. */
async function nodeFailure(ctx: ClusterRunContext, o: Outcome): Promise<string> {
  const failed = await ctx.cluster.failedNodes(o.slurm.nodes).catch(() => []);
  return `NodeFailure: node failure on ${failed.length > 0 ? failed.join(', ') : o.slurm.nodes || 'an unknown host'} (Slurm job ${o.id} ended NODE_FAIL)`;
}

/** What the hosts reported (algo-1 first), else Slurm's reason with the last log lines. */
async function hostFailure(ctx: ClusterRunContext, o: Outcome): Promise<string> {
  const reasons: Array<[string, string]> = [];
  for await (const info of ctx.artifacts.list(hostsPrefix(ctx.name, o.attempt))) {
    const m = /\/([^/]+)\/failure$/.exec(info.key);
    if (m) reasons.push([m[1], (await ctx.artifacts.getBytes(info.key)).toString('utf8').trim()]);
  }
  reasons.sort(([a], [b]) => Number(a.slice(5)) - Number(b.slice(5)));
  if (reasons.length > 0) return reasons[0][1];
  const head = 'reason' in o ? `AlgorithmError: ${o.reason} (Slurm job ${o.id})` : `Slurm job ${o.id} failed`;
  const tail = ctx.control.tail.join('\n');
  return tail ? `${head}; the last lines of its log:\n${tail.slice(-(MAX_FAILURE_REASON - head.length - 40))}` : head;
}

async function storedOutputs(ctx: ClusterRunContext): Promise<TrainingJobPatch> {
  const model = await ctx.artifacts.stat(ctx.keys.model).catch(() => undefined);
  const output = await ctx.artifacts.stat(ctx.keys.output).catch(() => undefined);
  return { ...(model ? { modelArtifactUri: model.uri } : {}), ...(output ? { outputArtifactUri: output.uri } : {}) };
}

function billable(ctx: ClusterRunContext, end: Date) {
  const start = ctx.control.trainingStartedAt ?? end.getTime();
  return Math.max(1, Math.ceil((end.getTime() - start) / 1000)) * ctx.spec.resources.instanceCount;
}

async function fail(ctx: ClusterRunContext, log: JobLog, e: unknown) {
  const reason = (e instanceof Error ? e.message : String(e)).slice(0, MAX_FAILURE_REASON);
  log.append(`[stratus] job failed: ${reason}`);
  const current = await ctx.store.trainingJobs.get(ctx.name).catch(() => undefined);
  if (current && current.status !== 'InProgress' && current.status !== 'Stopping') return;
  const stop = ctx.control.stopRequested;
  if (stop === 'Stopped' || stop === 'MaxRuntimeExceeded') {
    await ctx.update({ status: 'Stopped', secondaryStatus: stop, statusMessage: 'Stopped before training started', endedAt: ctx.clock.now(), runtime: null });
    return;
  }
  const secondary = stop === 'Interrupted' ? 'Interrupted' : 'Failed';
  await ctx.update({ status: 'Failed', secondaryStatus: secondary, statusMessage: reason, failureReason: reason, endedAt: ctx.clock.now(), runtime: null });
}
