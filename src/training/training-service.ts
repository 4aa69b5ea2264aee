import { createReadStream, existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import { objectsUnderPrefix } from '../artifacts/prefix.js';
import type { CreateTrainingJobRequest, LogMetricsRequest, LogParamsRequest, TrainingJob, TrainingJobListQuery } from '../contracts/training-job.js';
import type { Clock } from '../core/clock.js';
import { failedPrecondition, PlatformError, validationError } from '../core/errors.js';
import { arnOf, isValidName } from '../core/ids.js';
import { instanceType } from '../core/instance-types.js';
import type { Logger } from '../core/logger.js';
import type { DatasetService } from '../data/dataset-service.js';
import type { ClusterExecutor, Executor } from '../jobs/executor.js';
import { JobLog } from '../jobs/job-log.js';
import { jobFolder } from '../jobs/job-folder.js';
import type { JobUserSource } from '../jobs/job-users.js';
import type { Scheduler } from '../jobs/scheduler.js';
import type { MetadataStore, TrainingJobPatch, TrainingJobRecord } from '../store/metadata-store.js';
import { normalizeSpec, type CheckpointSpec, type NormalizedTrainingJobSpec } from './job-spec.js';
import { toTrainingJob } from './job-view.js';
import { runJob, type RunControl } from './job-run.js';
import { clusterRuntimeOf, resumeClusterJob, runClusterJob, type ClusterRuntime, type ClusterSettings } from './cluster-run.js';
import { logMetrics, logParams } from './run-logging.js';
import { resolveScriptSource } from './script-spec.js';
import type { StopRelay } from '../cluster/job-stops.js';

export interface TrainingDeps {
  store: MetadataStore;
  artifacts: ArtifactStore;
  datasets: DatasetService;
  executor: Executor;
  scheduler: Scheduler;
  clock: Clock;
  log: Logger;
  /** Folder holding the job folders, and beside each its log (`<name>.log`). */
  jobsDir: string;
  /** Where each local job gets the OS user it runs as (see jobs/job-users.ts); absent: the server's own. */
  jobUsers?: JobUserSource;
  /** Interpreter of script jobs' `.py` entry points (config `python`). */
  python: string;
  /** Issues each running job its own API token (metrics and params only); absent: jobs get none. */
  jobTokens?: JobTokens;
  /** A cluster executor (Slurm): when set, every training job runs there instead of locally. */
  cluster?: { executor: ClusterExecutor; settings: ClusterSettings };
  /**
   * Several API nodes (cluster/cluster-node.ts): only the leader starts jobs; elsewhere a new job
   * is stored queued and the leader's `dispatch` picks it up. @defaultValue always the leader
   */
  dispatcher?: { readonly leader: boolean };
  /** Several API nodes: reaches the node running a job that is stopped through this one (cluster/job-stops.ts). */
  stops?: StopRelay;
}

/** The part of the AuthService that training needs. */
export interface JobTokens {
  issueJobToken(jobName: string): Promise<string>;
  revokeJobTokens(jobName: string): Promise<void>;
}

/** Artifact keys of a job's outputs. */
export const jobKeys = (name: string) => ({
  model: `training-jobs/${name}/output/model.tar.gz`,
  output: `training-jobs/${name}/output/output.tar.gz`,
  log: `training-jobs/${name}/logs/algo-1.log`,
});

/** Training jobs: validation at create, a queue, one child process per job, and the status machine. */
export class TrainingService {
  #running = new Map<string, RunControl>();
  /** Jobs being created here: stored, not yet in #running; dispatch must not start them too. */
  #creating = new Set<string>();
  #apiUrl: string | undefined;
  /** Set by close(): no job is started or watched again from then on. */
  #closing = false;

  constructor(private readonly deps: TrainingDeps) {}

  /**
   * The API's URL as jobs reach it (set by the server once it listens). Jobs started after this
   * get `STRATUS_API_URL` and a token of their own (`STRATUS_JOB_TOKEN`) to log metrics and params.
   */
  setApiUrl(url: string): void {
    this.#apiUrl = url;
  }

  /** Whether jobs may ask for more than one instance: only a cluster executor places them. */
  get multiInstance(): boolean {
    return this.deps.cluster !== undefined;
  }

  async create(req: CreateTrainingJobRequest): Promise<TrainingJob> {
    if (!isValidName(req.name)) throw failedPrecondition(`invalid name '${req.name}'`);
    if ((req.resources?.instanceCount ?? 1) > 1 && !this.multiInstance) {
      throw validationError(
        `resources.instanceCount ${(req.resources?.instanceCount ?? 1)}: this server runs jobs on one machine (executor 'local'); multi-instance training needs the Slurm executor (STRATUS_EXECUTOR=slurm, see docs/cluster.md)`,
        { field: 'resources.instanceCount' },
      );
    }
    const spec = await normalizeSpec(req, {
      version: async (input) => (await this.deps.datasets.getVersion(input.dataset, input.version)).version,
      source: (source) => this.#resolveSource(source),
      retried: (name) => this.#retried(name),
      prefix: (prefix, field) => this.#checkInputPrefix(prefix, field),
    });
    if (spec.checkpoint) await this.#checkPrefixFree(spec.checkpoint.artifactPrefix);
    const now = this.deps.clock.now();
    const mine = !this.#creating.has(req.name);
    this.#creating.add(req.name);
    try {
      const record = await this.deps.store.trainingJobs.create({
        name: req.name,
        arn: arnOf('training-job', req.name),
        spec: spec as unknown as Record<string, unknown>,
        at: now,
        ...(req.experiment ? { experiment: req.experiment } : {}),
      });
      const leader = this.deps.dispatcher?.leader ?? true;
      this.deps.log.info({ job: req.name, algorithm: spec.algorithm, script: spec.script?.source, queuedForLeader: !leader }, 'training job created');
      if (leader) this.#start(record.name, spec);
      return toTrainingJob(record, []);
    } finally {
      if (mine) this.#creating.delete(req.name);
    }
  }

  /** The URI of a script's source bundle (a URI of this store, or a key); ValidationError when absent. */
  #resolveSource(source: string): Promise<string> {
    return resolveScriptSource(this.deps.artifacts, source);
  }

  /** An input channel's artifact prefix must name at least one object. */
  async #checkInputPrefix(prefix: string, field: string): Promise<void> {
    let found: unknown[];
    try {
      found = await objectsUnderPrefix(this.deps.artifacts, prefix, 1);
    } catch (e) {
      throw validationError(`${field} '${prefix}' is not a valid artifact key prefix: ${(e as Error).message}`, { field });
    }
    if (found.length === 0) {
      throw validationError(`${field} '${prefix}' holds no objects; upload files under it with PUT /api/v1/artifacts/uploads/<path>`, { field });
    }
  }

  /** The checkpoints of a job being retried: it must have ended without completing and have kept some. */
  async #retried(name: string): Promise<CheckpointSpec> {
    const job = await this.deps.store.trainingJobs.find(name);
    if (!job) throw validationError(`retryOf: training job '${name}' does not exist`, { field: 'retryOf' });
    if (job.status !== 'Failed' && job.status !== 'Stopped') {
      throw new PlatformError('FailedPrecondition', `retryOf: training job '${name}' is ${job.status}; only a Failed or Stopped job can be retried`, { field: 'retryOf', status: job.status });
    }
    const checkpoint = (job.spec as unknown as NormalizedTrainingJobSpec).checkpoint;
    if (!checkpoint) throw validationError(`retryOf: training job '${name}' kept no checkpoints (it had no checkpointConfig)`, { field: 'retryOf' });
    return checkpoint;
  }

  /** Two running jobs syncing one checkpoint prefix would overwrite each other's files. */
  async #checkPrefixFree(prefix: string) {
    for (const job of await this.deps.store.trainingJobs.listActive()) {
      if ((job.spec as unknown as NormalizedTrainingJobSpec).checkpoint?.artifactPrefix === prefix) {
        throw new PlatformError('ResourceInUse', `checkpoint prefix '${prefix}' is in use by running training job '${job.name}'`, { field: 'checkpointConfig.artifactPrefix', job: job.name });
      }
    }
  }

  #start(name: string, spec: NormalizedTrainingJobSpec) {
    const control: RunControl = { abort: new AbortController(), log: undefined, stopRequested: undefined, tail: [] };
    const common = this.#runContext(name, spec, control);
    const type = instanceType(spec.resources.instanceType);
    const demand = { cpus: type.cpus * spec.resources.instanceCount, memoryMiB: type.memoryMiB * spec.resources.instanceCount };
    const cluster = this.deps.cluster;
    this.#track(name, control, cluster ? runClusterJob({ ...common, cluster: cluster.executor, settings: cluster.settings }) : runJob({ ...common, demand }));
  }

  /**
   * Watches a cluster job of an earlier server run (or of a node that died) again: its Slurm job
   * went on without a server. A job that was Stopping is cancelled again.
   */
  #resume(job: TrainingJobRecord, runtime: ClusterRuntime) {
    const cluster = this.deps.cluster!;
    const control: RunControl = { abort: new AbortController(), log: undefined, stopRequested: undefined, tail: [] };
    if (job.status === 'Stopping') {
      control.stopRequested = 'Stopped';
      control.abort.abort(new Error('stopped'));
    }
    const common = this.#runContext(job.name, job.spec as unknown as NormalizedTrainingJobSpec, control);
    this.deps.log.info({ job: job.name, slurmJob: runtime.jobId, attempt: runtime.attempt }, 'watching a running cluster training job again');
    this.#track(job.name, control, resumeClusterJob({ ...common, cluster: cluster.executor, settings: cluster.settings }, runtime, job));
  }

  #runContext(name: string, spec: NormalizedTrainingJobSpec, control: RunControl) {
    const folder = jobFolder(join(this.deps.jobsDir, name), this.#logPath(name));
    return { ...this.deps, name, spec, folder, control, keys: jobKeys(name), apiUrl: this.#apiUrl, update: (p: TrainingJobPatch) => this.#update(name, p) };
  }

  #track(name: string, control: RunControl, run: Promise<void>) {
    this.#running.set(name, control);
    run
      .catch((e: unknown) => this.deps.log.error({ err: e, job: name }, 'training job runner crashed'))
      .finally(() => this.#running.delete(name));
  }

  /** The cluster job a record's runtime handle names, when this server has that cluster executor. */
  #clusterRuntime(job: TrainingJobRecord): ClusterRuntime | undefined {
    const cluster = this.deps.cluster?.executor;
    return cluster ? clusterRuntimeOf(job.runtime, cluster.kind) : undefined;
  }

  #update(name: string, patch: TrainingJobPatch) {
    return this.deps.store.trainingJobs.update(name, patch, this.deps.clock.now());
  }

  async get(name: string): Promise<TrainingJob> {
    const record = await this.deps.store.trainingJobs.get(name);
    return toTrainingJob(record, await this.deps.store.trainingJobs.metrics(name));
  }

  async list(q: TrainingJobListQuery) {
    const page = await this.deps.store.trainingJobs.list(q);
    return {
      items: page.items.map((r) => {
        const j = toTrainingJob(r, []);
        return {
          name: j.name, arn: j.arn, ...(j.algorithm ? { algorithm: j.algorithm } : {}), experiment: j.experiment, status: j.status, secondaryStatus: j.secondaryStatus,
          createdAt: j.createdAt, updatedAt: j.updatedAt,
          ...(j.endedAt ? { endedAt: j.endedAt } : {}),
          ...(j.failureReason ? { failureReason: j.failureReason } : {}),
        };
      }),
      ...(page.nextToken ? { nextToken: page.nextToken } : {}),
    };
  }

  /**
   * Asks a running job to stop: Stopping now, Stopped once its process has exited. In a cluster
   * the job may run on another node (or wait in the queue): Stopping is stored and announced,
   * and the node running it stops it (stopLocal), or the leader ends a queued one (dispatch).
   */
  async stop(name: string): Promise<TrainingJob> {
    const record = await this.deps.store.trainingJobs.get(name);
    const control = this.#running.get(name);
    const refuse = (status: string) => failedPrecondition(`training job '${name}' is ${status}; only an InProgress job can be stopped`, { status });
    if (record.status !== 'InProgress' || (!control && !this.deps.stops)) throw refuse(record.status);
    if (control) control.stopRequested = 'Stopped';
    const stopping = await this.deps.store.trainingJobs.updateIf(name, ['InProgress'], { status: 'Stopping', secondaryStatus: 'Stopping', statusMessage: 'Stop requested' }, this.deps.clock.now());
    if (!stopping) {
      if (control) control.stopRequested = undefined;
      throw refuse((await this.deps.store.trainingJobs.get(name)).status);
    }
    if (control) control.abort.abort(new Error('stopped'));
    else await this.deps.stops!.announce(name);
    return this.get(name);
  }

  /** A stop taken by another node: ends the job if it runs here (its status is already Stopping). */
  stopLocal(name: string): void {
    const control = this.#running.get(name);
    if (!control || control.stopRequested) return;
    this.deps.log.info({ job: name }, 'training job stopped through another node');
    control.stopRequested = 'Stopped';
    control.abort.abort(new Error('stopped'));
  }

  /** Stops the jobs running here whose stored status is Stopping (a stop whose announcement was lost). */
  async applyStoredStops(): Promise<void> {
    if (this.#running.size === 0) return;
    for (const job of await this.deps.store.trainingJobs.listActive()) {
      if (job.status === 'Stopping') this.stopLocal(job.name);
    }
  }

  /** Metric points a running job logs itself (same series as its regex metrics); see run-logging.ts. */
  logMetrics(name: string, req: LogMetricsRequest) {
    return logMetrics(this.deps, name, req);
  }

  /** Params a running job logs beside its hyperparameters. */
  logParams(name: string, req: LogParamsRequest) {
    return logParams(this.deps, name, req);
  }

  async metrics(name: string, metricName?: string) {
    await this.deps.store.trainingJobs.get(name);
    const points = await this.deps.store.trainingJobs.metrics(name, metricName);
    return { metrics: points.map((p) => ({ name: p.name, value: p.value, step: p.step, timestamp: p.timestamp.toISOString() })) };
  }

  /** The log so far: the live file while the job runs, the stored copy afterwards. */
  async readLog(name: string): Promise<string> {
    await this.deps.store.trainingJobs.get(name);
    const live = this.#logPath(name);
    if (existsSync(live)) return readFile(live, 'utf8');
    const stored = await this.deps.artifacts.stat(jobKeys(name).log);
    return stored ? (await this.deps.artifacts.getBytes(jobKeys(name).log)).toString('utf8') : '';
  }

  /** The live log of a running job, or undefined when the job is not running. */
  liveLog(name: string): JobLog | undefined {
    const log = this.#running.get(name)?.log;
    return log && !log.closed ? log : undefined;
  }

  /**
   * After a restart: no job may stay InProgress forever. A cluster job whose Slurm job was
   * submitted is watched again (it ran on without the server). Any other job whose process
   * belonged to the previous server run is ended and marked Failed ('interrupted'), its partial
   * log kept.
   */
  async recover(): Promise<void> {
    for (const job of await this.deps.store.trainingJobs.listActive()) {
      if (this.#running.has(job.name) || this.#closing) continue;
      const runtime = this.#clusterRuntime(job);
      if (runtime) {
        this.#resume(job, runtime);
        continue;
      }
      const folder = join(this.deps.jobsDir, job.name);
      const killed = job.runtime ? await this.#killOrphan(job.runtime, folder) : false;
      await this.#keepLog(job.name);
      await this.#update(job.name, interruptedPatch(job, this.deps.clock.now(), killed));
      await this.deps.jobTokens?.revokeJobTokens(job.name);
      await rm(folder, { recursive: true, force: true });
      await rm(this.#logPath(job.name), { force: true });
      this.deps.log.warn({ job: job.name }, 'training job interrupted by a server restart');
    }
  }

  /** Names of the jobs this node runs (admitted or waiting for capacity), for its cluster heartbeat. */
  runningJobs(): string[] {
    return [...this.#running.keys(), ...this.#creating];
  }

  /**
   * Cluster mode, on the leader only: starts the queued jobs that no live node holds (created
   * through a follower, or left waiting for capacity by a node that died), watches again the
   * cluster jobs no node watches (their Slurm job runs on), and fails the other jobs a dead node
   * had begun: their process and folder were on that node.
   * @param held jobs that live nodes' heartbeats list
   * @param lostBy for jobs of nodes whose heartbeat stopped, the node's id
   */
  async dispatch(held: ReadonlySet<string>, lostBy: ReadonlyMap<string, string>): Promise<void> {
    for (const job of await this.deps.store.trainingJobs.listActive()) {
      if (this.#closing) return;
      if (this.#running.has(job.name) || this.#creating.has(job.name) || held.has(job.name)) continue;
      const runtime = this.#clusterRuntime(job);
      if (runtime) {
        this.#resume(job, runtime);
        continue;
      }
      if (job.status === 'InProgress' && (job.secondaryStatus === 'Starting' || job.secondaryStatus === 'Pending')) {
        this.deps.log.info({ job: job.name, from: lostBy.get(job.name) }, 'dispatching a queued training job');
        this.#start(job.name, job.spec as unknown as NormalizedTrainingJobSpec);
        continue;
      }
      const node = lostBy.get(job.name);
      if (job.status === 'Stopping') {
        await this.#endStopped(job, node);
        continue;
      }
      const reason = `interrupted: ${node ? `node ${node} died` : 'no live node runs it'} while the job was ${job.secondaryStatus}; create a new job to train again`;
      await this.#update(job.name, interruptedPatch(job, this.deps.clock.now(), false, reason));
      await this.deps.jobTokens?.revokeJobTokens(job.name);
      this.deps.log.warn({ job: job.name, node }, 'training job interrupted: its node died');
    }
  }

  /** A job stopped through some node that no live node runs: queued (never started), or its node died. */
  async #endStopped(job: TrainingJobRecord, node: string | undefined) {
    const began = job.transitions.some((t) => !['Starting', 'Pending', 'Stopping'].includes(t.status));
    const reason = began ? `stopped: ${node ? `node ${node} died` : 'no live node ran it'} while the job was stopping` : 'Stopped before it started';
    await this.#update(job.name, { status: 'Stopped', secondaryStatus: 'Stopped', statusMessage: reason, endedAt: this.deps.clock.now(), runtime: null });
    await this.deps.jobTokens?.revokeJobTokens(job.name);
    this.deps.log.info({ job: job.name, node }, 'training job stopped while no node ran it');
  }

  /** Ends the local process group a job of an earlier server run left (cluster jobs are watched again instead). */
  #killOrphan(runtime: Record<string, unknown>, folder: string): Promise<boolean> {
    return this.deps.executor.killOrphan(runtime, folder);
  }

  /** A job's live log: beside its folder, where the job (which owns the folder) cannot replace it with a link. */
  #logPath(name: string) {
    return join(this.deps.jobsDir, `${name}.log`);
  }

  async #keepLog(name: string) {
    const path = this.#logPath(name);
    if (!existsSync(path)) return;
    await this.deps.artifacts.put(jobKeys(name).log, createReadStream(path)).catch(() => undefined);
  }

  /**
   * Server shutdown. Local jobs are ended and marked Failed as interrupted; cluster jobs are left
   * running on the cluster (InProgress, with their runtime handle) for the next server or leader
   * to watch again.
   */
  async close(): Promise<void> {
    this.#closing = true;
    for (const control of this.#running.values()) {
      if (this.deps.cluster) {
        control.detached = true;
        continue;
      }
      control.stopRequested = 'Interrupted';
      control.abort.abort(new Error('server shutting down'));
    }
    const deadline = Date.now() + 10_000;
    while (this.#running.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  }
}

function interruptedPatch(job: TrainingJobRecord, now: Date, killed: boolean, why?: string): TrainingJobPatch {
  const reason = why ?? `interrupted: the server stopped while the job was ${job.secondaryStatus}${killed ? ' (its process was ended)' : ''}; create a new job to train again`;
  return job.status === 'Stopping'
    ? { status: 'Stopped', secondaryStatus: 'Stopped', statusMessage: reason, endedAt: now, runtime: null }
    : { status: 'Failed', secondaryStatus: 'Interrupted', statusMessage: reason, failureReason: reason, endedAt: now, runtime: null };
}

