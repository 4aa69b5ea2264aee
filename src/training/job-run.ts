import { createReadStream, existsSync } from 'node:fs';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { packDirectory } from '../artifacts/archive.js';
import { channelContentType } from '../jobs/channel-content-type.js';
import { JobLog } from '../jobs/job-log.js';
import { channelDir, prepareJobFolder, trainingEnvironment, type JobFolder } from '../jobs/job-folder.js';
import { MetricExtractor } from '../jobs/metric-extractor.js';
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
}

interface RunContext extends TrainingDeps {
  name: string;
  spec: NormalizedTrainingJobSpec;
  folder: JobFolder;
  control: RunControl;
  demand: Demand;
  keys: { model: string; output: string; log: string };
  update(p: TrainingJobPatch): Promise<TrainingJobRecord>;
}

const BOOTSTRAP = fileURLToPath(new URL('../core/tsx-bootstrap.mjs', import.meta.url));
const RUNNER = fileURLToPath(new URL('../jobs/builtin-runner.ts', import.meta.url));
const STOP_GRACE_MS = 10_000;
const MAX_FAILURE_REASON = 1024;

/** Runs one training job from admission to a final status. Never throws for a job's own failure. */
export async function runJob(ctx: RunContext): Promise<void> {
  await rm(ctx.folder.root, { recursive: true, force: true }).catch(() => undefined);
  const log = new JobLog(ctx.folder.logFile);
  let release: (() => void) | undefined;
  try {
    await prepareFolder(ctx);
    ctx.control.log = log;
    log.append(`[stratus] training job ${ctx.name}: ${ctx.spec.algorithm} on ${ctx.spec.resources.instanceType}`);
    release = await admit(ctx);
    await ctx.update({ secondaryStatus: 'Downloading', statusMessage: 'Downloading input data', startedAt: ctx.clock.now() });
    await downloadInputs(ctx);
    const exit = await train(ctx, log);
    await finish(ctx, log, exit);
  } catch (e) {
    await fail(ctx, log, e);
  } finally {
    release?.();
    await log.close();
    await ctx.artifacts.put(ctx.keys.log, createReadStream(ctx.folder.logFile)).catch(() => undefined);
    await rm(ctx.folder.root, { recursive: true, force: true }).catch(() => undefined);
  }
}

async function prepareFolder(ctx: RunContext) {
  await prepareJobFolder(ctx.folder, contractOf(ctx));
}

function contractOf(ctx: RunContext) {
  return {
    jobName: ctx.name,
    hyperparameters: ctx.spec.hyperparameters,
    channels: ctx.spec.inputs.map((i) => ({ name: i.channel, contentType: i.contentType ?? 'text/csv' })),
    instanceType: ctx.spec.resources.instanceType,
    hosts: ['algo-1'],
    currentHost: 'algo-1',
    cpus: ctx.scheduler.fit(ctx.demand).cpus,
  };
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
  const dataConfig: Record<string, string> = {};
  for (const input of ctx.spec.inputs) {
    const version = await ctx.datasets.getVersion(input.dataset, input.version);
    const file = join(channelDir(ctx.folder, input.channel), `${input.dataset}-v${version.version}.${version.format}`);
    await ctx.artifacts.download(ctx.artifacts.keyOf(version.uri), file);
    dataConfig[input.channel] = channelContentType({ header: version.header, targetColumn: input.targetColumn, contentType: input.contentType });
  }
  // Rewrite inputdataconfig.json now that each channel's header is known.
  const path = join(ctx.folder.configDir, 'inputdataconfig.json');
  const config = JSON.parse(await readFile(path, 'utf8')) as Record<string, Record<string, string>>;
  for (const [channel, contentType] of Object.entries(dataConfig)) config[channel].ContentType = contentType;
  await writeFile(path, JSON.stringify(config, null, 1));
}

async function train(ctx: RunContext, log: JobLog): Promise<ProcessExit> {
  ctx.control.abort.signal.throwIfAborted();
  await ctx.update({ secondaryStatus: 'Training', statusMessage: 'Training the model' });
  const metrics = new MetricBuffer(ctx);
  ctx.control.trainingStartedAt = ctx.clock.now().getTime();
  const proc = ctx.executor.launch({
    command: process.execPath,
    args: [BOOTSTRAP, RUNNER, ctx.spec.algorithm],
    cwd: ctx.folder.root,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...trainingEnvironment(ctx.folder, contractOf(ctx)) },
    onLine: (line) => {
      log.append(line);
      metrics.add(line);
    },
  });
  await ctx.update({ runtime: proc.handle });
  const onAbort = () => stopProcess(proc.kill);
  ctx.control.abort.signal.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => {
    ctx.control.stopRequested = 'MaxRuntimeExceeded';
    log.append(`[stratus] MaxRuntimeInSeconds (${ctx.spec.stoppingCondition.maxRuntimeInSeconds} s) exceeded: stopping the job`);
    ctx.control.abort.abort(new Error('max runtime exceeded'));
  }, ctx.spec.stoppingCondition.maxRuntimeInSeconds * 1000);
  try {
    return await proc.exited;
  } finally {
    clearTimeout(timer);
    ctx.control.abort.signal.removeEventListener('abort', onAbort);
    await metrics.flush();
  }
}

/** SIGTERM first, SIGKILL after a grace period, as SageMaker stops a container. */
function stopProcess(kill: (s: NodeJS.Signals) => void) {
  kill('SIGTERM');
  setTimeout(() => kill('SIGKILL'), STOP_GRACE_MS).unref();
}

async function finish(ctx: RunContext, log: JobLog, exit: ProcessExit) {
  const stop = ctx.control.stopRequested;
  if (stop === 'Interrupted') throw new Error('interrupted: the server shut down while the job was running; create a new job to train again');
  if (!stop && exit.code !== 0) {
    throw new JobFailure(await failureReason(ctx, exit));
  }
  await ctx.update({ secondaryStatus: 'Uploading', statusMessage: 'Uploading the model artifact', runtime: null });
  const uploaded = await uploadOutputs(ctx);
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

async function uploadOutputs(ctx: RunContext): Promise<TrainingJobPatch> {
  const patch: TrainingJobPatch = {};
  if (await hasFiles(ctx.folder.modelDir)) {
    patch.modelArtifactUri = (await ctx.artifacts.put(ctx.keys.model, packDirectory(ctx.folder.modelDir))).uri;
  }
  if (await hasFiles(ctx.folder.outputDataDir)) {
    patch.outputArtifactUri = (await ctx.artifacts.put(ctx.keys.output, packDirectory(ctx.folder.outputDataDir))).uri;
  }
  return patch;
}

const hasFiles = async (dir: string) => existsSync(dir) && (await readdir(dir)).length > 0;

function billable(ctx: RunContext, end: Date) {
  const start = ctx.control.trainingStartedAt ?? end.getTime();
  return Math.max(1, Math.ceil((end.getTime() - start) / 1000)) * ctx.spec.resources.instanceCount;
}

class JobFailure extends Error {}

async function failureReason(ctx: RunContext, exit: ProcessExit): Promise<string> {
  const written = existsSync(ctx.folder.failureFile) ? (await readFile(ctx.folder.failureFile, 'utf8')).trim() : '';
  if (written) return written.slice(0, MAX_FAILURE_REASON);
  const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
  return `AlgorithmError: the training process ${how}; see the job's logs`;
}

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
class MetricBuffer {
  #extractor: MetricExtractor;
  #pending: MetricPoint[] = [];
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> = Promise.resolve();

  constructor(private readonly ctx: RunContext) {
    this.#extractor = new MetricExtractor(ctx.spec.metricDefinitions);
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
