/**
 * A training job on a cluster executor (Slurm), seen from the server: submit one gang job of N
 * hosts, mirror Slurm's state into the job's status (Pending with Slurm's reason while it waits),
 * collect every host's log lines through the artifact store (prefixed `[algo-N]`), stop with
 * scancel, and on a node failure either fail with that reason or — with `retryStrategy` —
 * submit again, the hosts resuming from the job's checkpoints. The hosts do the rest
 * (src/jobs/slurm/host-runner.ts); the server never touches their files.
 *
 * Submitting and watching are separate: a server that shuts down stops watching and leaves the
 * Slurm job running (InProgress, with `runtime: {executor, jobId, attempt}`); the next server, or
 * the next leader, watches it again with {@link resumeClusterJob}.
 */
import { randomInt } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
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
/** Range of the collective's port (see HostPlan.collectivePort). */
const COLLECTIVE_PORTS = [20000, 29500] as const;
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
type Watched = Outcome | { phase: 'detached' };

/** A submitted Slurm job of the training job: the runtime handle a record keeps while it runs. */
export interface ClusterRuntime {
  jobId: string;
  attempt: number;
}

/** The cluster job a record's runtime handle names, if it is one of this executor's. */
export function clusterRuntimeOf(runtime: Record<string, unknown> | undefined, kind: string): ClusterRuntime | undefined {
  if (runtime?.executor !== kind || typeof runtime.jobId !== 'string') return undefined;
  return { jobId: runtime.jobId, attempt: typeof runtime.attempt === 'number' ? runtime.attempt : 1 };
}

/** What a resumed watch starts from. */
interface Resumed {
  /** Per host, the lines of the attempt the log already holds. */
  skip: ReadonlyMap<string, number>;
  /** Slurm was running the job when the last watch ended. */
  running: boolean;
}

export async function runClusterJob(ctx: ClusterRunContext): Promise<void> {
  await rm(ctx.folder.root, { recursive: true, force: true }).catch(() => undefined);
  await rm(ctx.folder.logFile, { force: true }).catch(() => undefined);
  const log = new JobLog(ctx.folder.logFile);
  await supervise(ctx, log, new MetricBuffer(ctx), async () => {
    log.append(`[stratus] training job ${ctx.name}: ${describe(ctx.spec)} on ${ctx.spec.resources.instanceCount} × ${ctx.spec.resources.instanceType} (${ctx.cluster.kind})`);
    return submitAttempt(ctx, log, 1);
  });
}

/**
 * Watches a training job's Slurm job again (a server restart, or a new leader): the log so far —
 * this node's live file after a crash, else the copy the last watcher stored — is kept, and the
 * host lines it already holds are not appended again. Then as {@link runClusterJob}.
 */
export async function resumeClusterJob(ctx: ClusterRunContext, from: ClusterRuntime, record: TrainingJobRecord): Promise<void> {
  const previous = await previousLog(ctx);
  await rm(ctx.folder.root, { recursive: true, force: true }).catch(() => undefined);
  await writeFile(ctx.folder.logFile, previous, { mode: 0o600 });
  const log = new JobLog(ctx.folder.logFile);
  const metrics = new MetricBuffer(ctx);
  const hostLines = previous.split('\n').filter((l) => HOST_LINE.test(l));
  // Metric steps go on from where they were: the master's lines so far advance the counters.
  for (const line of hostLines) if (line.startsWith('[algo-1] ')) metrics.replay(line.slice('[algo-1] '.length));
  ctx.control.tail.push(...hostLines.slice(-TAIL_LINES));
  const running = record.secondaryStatus === 'Training';
  if (running && record.startedAt) ctx.control.trainingStartedAt = record.startedAt.getTime();
  log.append(`[stratus] watching Slurm job ${from.jobId} (attempt ${from.attempt}) again after a server restart`);
  await supervise(ctx, log, metrics, async () => ({ id: from.jobId, attempt: from.attempt }), { skip: linesPerHost(previous, from), running });
}

const HOST_LINE = /^\[(algo-\d+)\] /;
const submittedLine = (attempt: number, id: string) => `[stratus] attempt ${attempt}: submitted as Slurm job ${id} `;

/** This node's live log (a crash left it), else the stored copy (a clean shutdown, or another node's job). */
async function previousLog(ctx: ClusterRunContext): Promise<string> {
  if (existsSync(ctx.folder.logFile)) return readFile(ctx.folder.logFile, 'utf8');
  const stored = await ctx.artifacts.stat(ctx.keys.log).catch(() => undefined);
  if (!stored) return '';
  const text = (await ctx.artifacts.getBytes(ctx.keys.log)).toString('utf8');
  return text === '' || text.endsWith('\n') ? text : `${text}\n`;
}

/** Per host, the lines of the attempt's host logs that `log` holds (after the attempt's submission line). */
function linesPerHost(log: string, from: ClusterRuntime): Map<string, number> {
  const lines = log.split('\n');
  const marker = submittedLine(from.attempt, from.jobId);
  const start = lines.findLastIndex((l) => l.startsWith(marker));
  const counts = new Map<string, number>();
  if (start < 0) return counts;
  for (const line of lines.slice(start + 1)) {
    const host = HOST_LINE.exec(line)?.[1];
    if (host) counts.set(host, (counts.get(host) ?? 0) + 1);
  }
  return counts;
}

/**
 * Watches attempt after attempt until the job ends (or the server detaches), then the final status,
 * the stored log and the clean-up. Never throws for the job's own failure.
 */
async function supervise(ctx: ClusterRunContext, log: JobLog, metrics: MetricBuffer, first: () => Promise<Submitted>, resumed?: Resumed): Promise<void> {
  ctx.control.log = log;
  const attempts = 1 + (ctx.spec.retryStrategy?.maximumRetryAttempts ?? 0);
  let detached = false;
  try {
    let current = await first();
    for (;;) {
      const outcome = await watchAttempt(ctx, log, metrics, current, resumed);
      resumed = undefined;
      if (outcome.phase === 'detached') {
        detached = true;
        log.append(`[stratus] the server stopped watching Slurm job ${current.id}; it keeps running and the next server watches it again`);
        break;
      }
      if (outcome.phase === 'node-failed' && outcome.attempt < attempts && !ctx.control.stopRequested) {
        const next = outcome.attempt + 1;
        const reason = await nodeFailure(ctx, outcome);
        log.append(`[stratus] ${reason}: starting attempt ${next} of ${attempts}, resuming from the job's checkpoints`);
        await ctx.update({ secondaryStatus: 'Starting', statusMessage: `${reason}; retrying (attempt ${next} of ${attempts})` });
        current = await submitAttempt(ctx, log, next);
        continue;
      }
      await conclude(ctx, log, outcome);
      break;
    }
  } catch (e) {
    await fail(ctx, log, e);
  } finally {
    await metrics.flush();
    // A detached job goes on: its hosts keep their token and their logs in the store.
    if (!detached) await ctx.jobTokens?.revokeJobTokens(ctx.name).catch((e: unknown) => ctx.log.warn({ err: e, job: ctx.name }, 'could not revoke the job token'));
    await log.close();
    const stored = await ctx.artifacts.put(ctx.keys.log, createReadStream(ctx.folder.logFile)).then(() => true, () => false);
    if (!detached) await ctx.artifacts.delete(`training-jobs/${ctx.name}/hosts`).catch(() => undefined);
    await rm(ctx.folder.root, { recursive: true, force: true }).catch(() => undefined);
    // A detached job's log stays here when the store did not take it: the next watch here reads it.
    if (!detached || stored) await rm(ctx.folder.logFile, { force: true }).catch(() => undefined);
  }
}

const describe = (spec: NormalizedTrainingJobSpec) =>
  spec.script ? `script ${spec.script.entryPoint ?? spec.script.command!.join(' ')} from ${spec.script.source}` : spec.algorithm;

async function apiAccess(ctx: ClusterRunContext): Promise<Record<string, string>> {
  if (!ctx.apiUrl || !ctx.jobTokens) return {};
  return { STRATUS_API_URL: ctx.apiUrl, STRATUS_JOB_TOKEN: await ctx.jobTokens.issueJobToken(ctx.name) };
}

interface Submitted {
  id: string;
  attempt: number;
}

/** Submits one Slurm job (an attempt) for the training job; the record keeps its id as the runtime handle. */
async function submitAttempt(ctx: ClusterRunContext, log: JobLog, attempt: number): Promise<Submitted> {
  const type = instanceType(ctx.spec.resources.instanceType);
  const nodes = ctx.spec.resources.instanceCount;
  const prefix = hostsPrefix(ctx.name, attempt);
  const inputs: HostInput[] = await resolveHostInputs(ctx.spec, ctx.datasets, ctx.artifacts);
  const apiEnv = await apiAccess(ctx);
  await ctx.artifacts.delete(prefix).catch(() => undefined);
  const s3 = { ...ctx.settings.s3 };
  delete (s3 as { accessKeyId?: string }).accessKeyId;
  delete (s3 as { secretAccessKey?: string }).secretAccessKey;
  const plan: HostPlan = {
    job: ctx.name, arn: arnOf('training-job', ctx.name), attempt, spec: ctx.spec, inputs,
    artifactUrl: ctx.settings.artifactUrl, s3, keys: { model: ctx.keys.model, output: ctx.keys.output },
    hostsPrefix: prefix, python: ctx.python, cpusPerHost: type.cpus, workDir: ctx.settings.workDir, apiEnv,
    // Below Linux's ephemeral ports (32768+) and MASTER_PORT's range (29500+); a new one per attempt.
    collectivePort: randomInt(COLLECTIVE_PORTS[0], COLLECTIVE_PORTS[1]),
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
  log.append(`${submittedLine(attempt, id)}(${nodes} host(s), ${type.cpus} CPUs and ${type.memoryMiB} MiB each)`);
  await ctx.update({ runtime: { executor: ctx.cluster.kind, jobId: id, attempt }, secondaryStatus: 'Starting', statusMessage: `Submitted to Slurm as job ${id}` });
  return { id, attempt };
}

/**
 * Mirrors a Slurm job's state into the record and its hosts' logs into the job's log until Slurm
 * says it ended, or until the server detaches (shutdown: the Slurm job is left running).
 */
async function watchAttempt(ctx: ClusterRunContext, log: JobLog, metrics: MetricBuffer, { id, attempt }: Submitted, resumed?: Resumed): Promise<Watched> {
  const nodes = ctx.spec.resources.instanceCount;
  const tail = ctx.control.tail;
  const collector = new LogCollector(ctx.artifacts, hostsPrefix(ctx.name, attempt), (host, line) => {
    log.append(`[${host}] ${line}`);
    // Every host prints the same epochs of a data-parallel job: metrics come from the master.
    if (host === 'algo-1') metrics.add(line);
    tail.push(`[${host}] ${line}`);
    if (tail.length > TAIL_LINES) tail.shift();
  }, resumed?.skip);
  let seen = resumed?.running ? 'running' : '';
  let cancelled = false;
  let unknown = 0;
  let maxTimer = resumed?.running ? maxRuntimeTimer(ctx, log) : undefined;
  try {
    for (;;) {
      if (ctx.control.abort.signal.aborted && !cancelled) {
        cancelled = true;
        log.append(`[stratus] cancelling Slurm job ${id}`);
        await ctx.cluster.cancel(id).catch((e: unknown) => log.append(`[stratus] scancel ${id} failed: ${(e as Error).message}`));
      }
      if (ctx.control.detached) {
        await collector.poll().catch(() => undefined);
        return { phase: 'detached' };
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

/** MaxRuntimeInSeconds from the start of training, to the second (Slurm's --time only counts minutes and is the backstop). */
function maxRuntimeTimer(ctx: ClusterRunContext, log: JobLog) {
  const ran = ctx.clock.now().getTime() - (ctx.control.trainingStartedAt ?? ctx.clock.now().getTime());
  return setTimeout(() => {
    ctx.control.stopRequested ??= 'MaxRuntimeExceeded';
    log.append(`[stratus] MaxRuntimeInSeconds (${ctx.spec.stoppingCondition.maxRuntimeInSeconds} s) exceeded: stopping the job`);
    ctx.control.abort.abort(new Error('max runtime exceeded'));
  }, Math.max(0, ctx.spec.stoppingCondition.maxRuntimeInSeconds * 1000 - ran));
}

async function conclude(ctx: ClusterRunContext, log: JobLog, o: Outcome) {
  const stop = ctx.control.stopRequested;
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
