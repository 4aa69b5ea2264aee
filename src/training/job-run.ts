import { createReadStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { arnOf } from '../core/ids.js';
import { CheckpointSync } from '../jobs/checkpoint-sync.js';
import { JobLog } from '../jobs/job-log.js';
import { prepareJobFolder, type JobFolder } from '../jobs/job-folder.js';
import { handOverJobFolder, sealJobFolder, type JobUser } from '../jobs/job-sandbox.js';
import type { JobUserLease } from '../jobs/job-users.js';
import { MetricExtractor } from '../jobs/metric-extractor.js';
import { downloadChannels, MAX_FAILURE_REASON, processFailureReason, resolveHostInputs, uploadOutputs } from './host-io.js';
import { contractFor, JobFailure, prepareCode, trainingLaunch } from './job-launch.js';
import type { ProcessExit } from '../jobs/executor.js';
import type { Demand } from '../jobs/scheduler.js';
import type { MetricPoint, TrainingJobPatch, TrainingJobRecord } from '../store/metadata-store.js';
import type { NormalizedTrainingJobSpec } from './job-spec.js';
import type { TrainingDeps } from './training-service.js';

/** How a run is steered from outside: abort to stop it; `stopRequested` says why. */
export interface RunControl {
  abort: AbortController;
  log: JobLog | undefined;
  stopRequested: 'Stopped' | 'MaxRuntimeExceeded' | 'Interrupted' | undefined;
  /** When the training process started (ms), for billable time. */
  trainingStartedAt?: number;
  /** The process's last log lines (for a failure reason). */
  tail: string[];
  /**
   * A cluster job only: the server stops watching (it shuts down) and leaves the cluster job
   * running, InProgress with its runtime handle, for the next leader to watch again.
   */
  detached?: boolean;
}

interface RunContext extends TrainingDeps {
  name: string;
  spec: NormalizedTrainingJobSpec;
  folder: JobFolder;
  control: RunControl;
  demand: Demand;
  keys: { model: string; output: string; log: string };
  update(p: TrainingJobPatch): Promise<TrainingJobRecord>;
  /** Interpreter of `.py` entry points (config `python`). */
  python: string;
  /** The API's URL as the job reaches it; without it the job gets no token. */
  apiUrl: string | undefined;
  /** The OS user the process runs as, leased for this run from `jobUsers`; absent: the server's own. */
  jobUser?: JobUser;
}

const STOP_GRACE_MS = 10_000;
/** How often a running job's new checkpoints are copied to the artifact store. */
const CHECKPOINT_INTERVAL_MS = 2_000;
/** Log lines of the process kept for a failure reason when it wrote no output/failure. */
const TAIL_LINES = 15;

/** Runs one training job from admission to a final status. Never throws for a job's own failure. */
export async function runJob(ctx: RunContext): Promise<void> {
  await rm(ctx.folder.root, { recursive: true, force: true }).catch(() => undefined);
  await rm(ctx.folder.logFile, { force: true }).catch(() => undefined);
  const log = new JobLog(ctx.folder.logFile);
  let release: (() => void) | undefined;
  let lease: JobUserLease | undefined;
  try {
    await prepareFolder(ctx);
    ctx.control.log = log;
    log.append(`[stratus] training job ${ctx.name}: ${describeCode(ctx.spec)} on ${ctx.spec.resources.instanceType}`);
    release = await admit(ctx);
    // A user of its own while it runs, so jobs running at the same time cannot read each other's folders.
    lease = await ctx.jobUsers?.lease();
    const run: RunContext = lease ? { ...ctx, jobUser: lease.user } : ctx;
    await ctx.update({ secondaryStatus: 'Downloading', statusMessage: 'Downloading input data', startedAt: ctx.clock.now() });
    await downloadInputs(run);
    await prepareCode(run.spec, run.folder, run.artifacts);
    const checkpoints = await restoreCheckpoints(run, log);
    // Everything the server writes is in place: the folder becomes the job user's.
    if (run.jobUser) await handOverJobFolder(run.folder.root, run.jobUser);
    const exit = await train(run, log, checkpoints);
    await finish(run, log, exit);
  } catch (e) {
    await fail(ctx, log, e);
  } finally {
    release?.();
    await ctx.jobTokens?.revokeJobTokens(ctx.name).catch((e: unknown) => ctx.log.warn({ err: e, job: ctx.name }, 'could not revoke the job token'));
    await log.close();
    await ctx.artifacts.put(ctx.keys.log, createReadStream(ctx.folder.logFile)).catch(() => undefined);
    await lease?.stopProcesses().catch(() => undefined);
    await rm(ctx.folder.root, { recursive: true, force: true }).catch(() => undefined);
    await rm(ctx.folder.logFile, { force: true }).catch(() => undefined);
    // Last: nothing of the job's may be left for the next holder of its user.
    await lease?.release().catch((e: unknown) => ctx.log.warn({ err: e, job: ctx.name }, 'could not return the job user'));
  }
}

const describeCode = (spec: NormalizedTrainingJobSpec) =>
  spec.script ? `script ${spec.script.entryPoint ?? spec.script.command!.join(' ')} from ${spec.script.source}` : spec.algorithm;

async function prepareFolder(ctx: RunContext) {
  await prepareJobFolder(ctx.folder, contractOf(ctx));
  if (ctx.spec.checkpoint) await mkdir(join(ctx.folder.root, ctx.spec.checkpoint.localPath), { recursive: true });
}

function contractOf(ctx: RunContext) {
  return contractFor(ctx.name, arnOf('training-job', ctx.name), ctx.spec, ctx.folder, ctx.scheduler.fit(ctx.demand).cpus);
}

/** Restores the job's checkpoint prefix into its checkpoint folder; undefined without checkpoints. */
async function restoreCheckpoints(ctx: RunContext, log: JobLog): Promise<CheckpointSync | undefined> {
  const c = ctx.spec.checkpoint;
  if (!c) return undefined;
  const sync = new CheckpointSync(ctx.artifacts, join(ctx.folder.root, c.localPath), c.artifactPrefix, (m) => log.append(`[stratus] ${m}`), {
    within: ctx.folder.root,
    ...(ctx.jobUser ? { owner: ctx.jobUser.uid } : {}),
  });
  const restored = await sync.restore();
  if (restored > 0) log.append(`[stratus] restored ${restored} checkpoint file(s) from ${c.artifactPrefix}/ into ${c.localPath}/`);
  return sync;
}

async function admit(ctx: RunContext) {
  const { scheduler, demand } = ctx;
  const free = scheduler.state().free;
  if (free.cpus < scheduler.fit(demand).cpus || scheduler.state().waiting > 0) {
    await ctx.update({ secondaryStatus: 'Pending', statusMessage: `Waiting for capacity: needs ${scheduler.fit(demand).cpus} CPUs, ${free.cpus} free` });
  }
  return scheduler.admit(demand, ctx.control.abort.signal);
}

async function downloadInputs(ctx: RunContext) {
  await downloadChannels(ctx.artifacts, await resolveHostInputs(ctx.spec, ctx.datasets, ctx.artifacts), ctx.folder);
}

async function train(ctx: RunContext, log: JobLog, checkpoints: CheckpointSync | undefined): Promise<ProcessExit> {
  ctx.control.abort.signal.throwIfAborted();
  await ctx.update({ secondaryStatus: 'Training', statusMessage: 'Training the model' });
  const metrics = new MetricBuffer(ctx);
  ctx.control.trainingStartedAt = ctx.clock.now().getTime();
  const tail = ctx.control.tail;
  const proc = ctx.executor.launch({
    ...trainingLaunch(ctx.spec, ctx.folder, contractOf(ctx), ctx.python, await apiAccess(ctx)),
    ...(ctx.jobUser ? { uid: ctx.jobUser.uid, gid: ctx.jobUser.gid } : {}),
    onLine: (line) => {
      log.append(line);
      metrics.add(line);
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
    },
  });
  checkpoints?.start(CHECKPOINT_INTERVAL_MS);
  await ctx.update({ runtime: proc.handle });
  let killTimer: NodeJS.Timeout | undefined;
  const onAbort = () => (killTimer = stopProcess(proc.kill));
  ctx.control.abort.signal.addEventListener('abort', onAbort, { once: true });
  if (ctx.control.abort.signal.aborted) onAbort(); // stopped while the runtime handle was stored
  const timer = setTimeout(() => {
    ctx.control.stopRequested = 'MaxRuntimeExceeded';
    log.append(`[stratus] MaxRuntimeInSeconds (${ctx.spec.stoppingCondition.maxRuntimeInSeconds} s) exceeded: stopping the job`);
    ctx.control.abort.abort(new Error('max runtime exceeded'));
  }, ctx.spec.stoppingCondition.maxRuntimeInSeconds * 1000);
  try {
    return await proc.exited;
  } finally {
    clearTimeout(timer);
    clearTimeout(killTimer); // the group is gone: a late SIGKILL could only hit a reused pid
    ctx.control.abort.signal.removeEventListener('abort', onAbort);
    // From here the server reads what the job wrote: first take the folder back, so nothing the
    // job left running can swap a file for a link while it is read (jobs/job-sandbox.ts).
    const unsealed = ctx.jobUser ? await sealJobFolder(ctx.folder.root, ctx.jobUser).then(() => undefined, (e: unknown) => e as Error) : undefined;
    await metrics.flush();
    // The last checkpoints, also those of a stopped or failed job: a retry resumes from them.
    if (!unsealed) await checkpoints?.stop().catch((e: unknown) => log.append(`[stratus] checkpoints not synced: ${(e as Error).message}`));
    else await checkpoints?.halt();
    // eslint-disable-next-line no-unsafe-finally -- the job's outputs cannot be read safely
    if (unsealed) throw new Error(`cannot take back the job folder to read its outputs: ${unsealed.message}`);
  }
}

/**
 * The job's own way into the API: the server's URL and a token that may only post this job's
 * metrics and params (revoked when the job ends). None when the platform runs without a server.
 */
async function apiAccess(ctx: RunContext): Promise<Record<string, string>> {
  if (!ctx.apiUrl || !ctx.jobTokens) return {};
  return { STRATUS_API_URL: ctx.apiUrl, STRATUS_JOB_TOKEN: await ctx.jobTokens.issueJobToken(ctx.name) };
}

/** SIGTERM first, SIGKILL after a grace period, as SageMaker stops a container. */
function stopProcess(kill: (s: NodeJS.Signals) => void): NodeJS.Timeout {
  kill('SIGTERM');
  return setTimeout(() => kill('SIGKILL'), STOP_GRACE_MS).unref();
}

async function finish(ctx: RunContext, log: JobLog, exit: ProcessExit) {
  const stop = ctx.control.stopRequested;
  if (stop === 'Interrupted') throw new Error('interrupted: the server shut down while the job was running; create a new job to train again');
  if (!stop && exit.code !== 0) {
    throw new JobFailure(await failureReason(ctx, exit));
  }
  await ctx.update({ secondaryStatus: 'Uploading', statusMessage: 'Uploading the model artifact', runtime: null });
  const uploaded = await uploadOutputs(ctx.artifacts, ctx.folder, ctx.keys);
  const end = ctx.clock.now();
  const patch = { ...uploaded, endedAt: end, billableSeconds: billable(ctx, end) };
  if (stop) {
    log.append(`[stratus] job stopped (${stop})`);
    await ctx.update({ ...patch, status: 'Stopped', secondaryStatus: stop, statusMessage: stop === 'Stopped' ? 'Stopped by request' : 'MaxRuntimeInSeconds exceeded' });
  } else {
    log.append('[stratus] job completed');
    await ctx.update({ ...patch, status: 'Completed', secondaryStatus: 'Completed', statusMessage: 'Training job completed' });
  }
}

function billable(ctx: RunContext, end: Date) {
  const start = ctx.control.trainingStartedAt ?? end.getTime();
  return Math.max(1, Math.ceil((end.getTime() - start) / 1000)) * ctx.spec.resources.instanceCount;
}

const failureReason = (ctx: RunContext, exit: ProcessExit) => processFailureReason(ctx.folder, exit, ctx.control.tail, '', ctx.jobUser?.uid);

async function fail(ctx: RunContext, log: JobLog, e: unknown) {
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

/** Collects metrics from log lines and writes them to the store in batches. */
export class MetricBuffer {
  #extractor: MetricExtractor;
  #pending: MetricPoint[] = [];
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> = Promise.resolve();

  constructor(private readonly ctx: Pick<RunContext, 'name' | 'spec' | 'store' | 'clock' | 'log'>) {
    this.#extractor = new MetricExtractor(ctx.spec.metricDefinitions);
  }

  /** A line whose points were stored before (a watch resumed after a restart): only advances the steps. */
  replay(line: string) {
    this.#extractor.extract(line);
  }

  add(line: string) {
    const found = this.#extractor.extract(line);
    if (found.length === 0) return;
    const timestamp = this.ctx.clock.now();
    for (const m of found) this.#pending.push({ ...m, timestamp });
    this.#timer ??= setTimeout(() => void this.flush(), 250);
  }

  flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#pending.splice(0);
    if (batch.length > 0) {
      this.#writing = this.#writing.then(() => this.ctx.store.trainingJobs.appendMetrics(this.ctx.name, batch)).catch((e: unknown) => {
        this.ctx.log.warn({ err: e, job: this.ctx.name }, 'could not store metrics');
      });
    }
    return this.#writing;
  }
}
