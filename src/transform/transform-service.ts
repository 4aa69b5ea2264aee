import { readFile } from 'node:fs/promises';
import { posix } from 'node:path';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import type { CreateTransformJobRequest, TransformJob, TransformJobListQuery, TransformProgress } from '../contracts/transform-job.js';
import type { Clock } from '../core/clock.js';
import { failedPrecondition, isPlatformError, validationError } from '../core/errors.js';
import { arnOf, isValidName } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import type { DatasetService } from '../data/dataset-service.js';
import type { MetadataStore, TransformJobPatch, TransformJobRecord } from '../store/metadata-store.js';
import type { RecordFormat } from './assembler.js';
import { parseFilter } from './filters.js';
import type { ModelRunner, StartModelRunner } from './model-runner.js';
import { emptyProgress, runTransform, TransformFailure } from './runner.js';
import type { StopRelay } from '../cluster/job-stops.js';

export interface TransformDeps {
  store: MetadataStore;
  artifacts: ArtifactStore;
  datasets: DatasetService;
  startModel: StartModelRunner;
  clock: Clock;
  log: Logger;
  /** How often progress is written to the store. @defaultValue 1000 */
  progressIntervalMs?: number;
  /**
   * Several API nodes (cluster/cluster-node.ts): only the leader runs jobs; elsewhere a new job
   * is stored queued and the leader's `dispatch` picks it up. @defaultValue one node, always the leader
   */
  dispatcher?: { readonly leader: boolean; readonly id: string };
  /** Several API nodes: reaches the node running a job that is stopped through this one. */
  stops?: StopRelay;
}

/** What the store keeps of a transform job: the request with defaults filled and the version resolved. */
export interface TransformSpec {
  model: string;
  /** A dataset version, or one artifact (read without a header). */
  input: { dataset?: string; version?: number; artifactKey?: string; contentType: RecordFormat; splitType: 'Line' | 'None' };
  output: { assembleWith: 'Line' | 'None' };
  accept: RecordFormat;
  batchStrategy: 'MultiRecord' | 'SingleRecord';
  maxPayloadInMB: number;
  maxRecordsPerBatch?: number;
  maxConcurrentTransforms: number;
  instanceCount: number;
  dataProcessing: { inputFilter: string; outputFilter: string; joinSource: 'Input' | 'None' };
  maxRecordErrors: number;
  environment?: Record<string, string>;
  tags?: Record<string, string>;
}

/** Artifact key of a job's output for one input file (SageMaker: `<S3OutputPath>/<input object>.out`). */
export const transformOutputKey = (job: string, inputFile: string) => `transform-jobs/${job}/output/${inputFile}.out`;

const FORMAT_OF: Record<RecordFormat, string> = { 'text/csv': 'csv', 'application/jsonlines': 'jsonl' };

interface Control {
  abort: AbortController;
  /** Why the run is being ended from outside, if it is; `Requeued`: this cluster node shuts down, another reruns it. */
  ending?: 'Stopped' | 'Interrupted' | 'Requeued';
  done: Promise<void>;
}

/** Statuses a job passes before it transforms anything: a job in them has done no work yet. */
const NOT_BEGUN = new Set(['Starting', 'Stopping']);

/** Batch transform jobs: run a model over a dataset version, predictions to the artifact store. */
export class TransformService {
  #running = new Map<string, Control>();
  /** Jobs being stored here, not yet in #running: the leader's dispatch must not start them too. */
  #creating = new Set<string>();

  constructor(private readonly deps: TransformDeps) {}

  async create(req: CreateTransformJobRequest): Promise<TransformJob> {
    if (!isValidName(req.name)) throw validationError(`invalid name '${req.name}'`, { field: 'name' });
    const spec = await this.#normalize(req);
    const mine = !this.#creating.has(req.name);
    this.#creating.add(req.name);
    try {
      const record = await this.deps.store.transformJobs.create({
        name: req.name,
        arn: arnOf('transform-job', req.name),
        spec: spec as unknown as Record<string, unknown>,
        progress: emptyProgress(),
        at: this.deps.clock.now(),
      });
      const leader = this.deps.dispatcher?.leader ?? true;
      this.deps.log.info({ transformJob: req.name, model: spec.model, dataset: spec.input.dataset, version: spec.input.version, artifactKey: spec.input.artifactKey, queuedForLeader: !leader }, 'transform job created');
      if (leader) this.#start(req.name, spec);
      return toTransformJob(record);
    } finally {
      if (mine) this.#creating.delete(req.name);
    }
  }

  /** Fills defaults and checks every reference and combination before anything is stored. */
  async #normalize(req: CreateTransformJobRequest): Promise<TransformSpec> {
    const { store } = this.deps;
    if (!(await store.models.find(req.model))) throw validationError(`model '${req.model}' does not exist; create it first`, { field: 'model' });
    const contentType = req.input.contentType ?? 'text/csv';
    const source = await this.#source(req.input, contentType);
    const dp = req.dataProcessing ?? {};
    const spec: TransformSpec = {
      model: req.model,
      input: { ...source, contentType, splitType: req.input.splitType ?? 'Line' },
      output: { assembleWith: req.output?.assembleWith ?? 'Line' },
      accept: req.accept ?? contentType,
      batchStrategy: req.batchStrategy ?? 'MultiRecord',
      maxPayloadInMB: req.maxPayloadInMB ?? 6,
      ...(req.maxRecordsPerBatch ? { maxRecordsPerBatch: req.maxRecordsPerBatch } : {}),
      maxConcurrentTransforms: req.maxConcurrentTransforms ?? 2,
      instanceCount: req.instanceCount ?? 1,
      dataProcessing: { inputFilter: dp.inputFilter ?? '$', outputFilter: dp.outputFilter ?? '$', joinSource: dp.joinSource ?? 'None' },
      maxRecordErrors: req.maxRecordErrors ?? 0,
      ...(req.environment ? { environment: req.environment } : {}),
      ...(req.tags ? { tags: req.tags } : {}),
    };
    parseFilter(spec.dataProcessing.inputFilter, 'dataProcessing.inputFilter');
    parseFilter(spec.dataProcessing.outputFilter, 'dataProcessing.outputFilter');
    const processed = spec.dataProcessing.inputFilter !== '$' || spec.dataProcessing.outputFilter !== '$' || spec.dataProcessing.joinSource === 'Input';
    if (processed && spec.input.splitType === 'None') {
      throw validationError('filters and joinSource Input work on records: they need input.splitType Line', { field: 'input.splitType' });
    }
    if ((spec.dataProcessing.outputFilter !== '$' || spec.dataProcessing.joinSource === 'Input') && spec.output.assembleWith === 'None') {
      throw validationError('outputFilter and joinSource Input need output.assembleWith Line (one output line per record)', { field: 'output.assembleWith' });
    }
    if (spec.dataProcessing.joinSource === 'Input' && spec.accept !== contentType) {
      throw validationError(`joinSource Input joins records of one format: accept must be ${contentType}, like the input`, { field: 'accept' });
    }
    return spec;
  }

  /** The input: exactly one of a dataset version (resolved, format checked) and an existing artifact. */
  async #source(input: CreateTransformJobRequest['input'], contentType: RecordFormat): Promise<{ dataset: string; version: number } | { artifactKey: string }> {
    const { store, artifacts } = this.deps;
    if ((input.dataset === undefined) === (input.artifactKey === undefined)) {
      throw validationError('input needs exactly one of dataset and artifactKey', { field: input.dataset === undefined ? 'input.dataset' : 'input.artifactKey' });
    }
    if (input.artifactKey !== undefined) {
      if (input.version !== undefined) throw validationError('input.version applies to a dataset, not to an artifactKey', { field: 'input.version' });
      const found = await artifacts.stat(input.artifactKey).catch((e: unknown) => {
        throw validationError(`input.artifactKey '${input.artifactKey}' is not a valid artifact key: ${(e as Error).message}`, { field: 'input.artifactKey' });
      });
      if (!found) throw validationError(`input.artifactKey '${input.artifactKey}' does not exist; upload it with PUT /api/v1/artifacts/uploads/<path>`, { field: 'input.artifactKey' });
      return { artifactKey: input.artifactKey };
    }
    const dataset = input.dataset!;
    if (!(await store.datasets.find(dataset))) throw validationError(`dataset '${dataset}' does not exist`, { field: 'input.dataset' });
    const version = await store.datasets.getVersion(dataset, input.version).catch((e: unknown) => {
      if (isPlatformError(e) && e.code === 'NotFound') throw validationError(`dataset '${dataset}' has no version ${input.version}`, { field: 'input.version' });
      throw e;
    });
    if (version.format !== FORMAT_OF[contentType]) {
      throw validationError(`dataset '${dataset}' version ${version.version} is ${version.format}; input.contentType ${contentType} needs ${FORMAT_OF[contentType]}`, { field: 'input.contentType' });
    }
    return { dataset, version: version.version };
  }

  /** The input file's name, text and whether its first line is a header. */
  async #readInput(spec: TransformSpec): Promise<{ file: string; text: string; header: boolean }> {
    const { store, artifacts, datasets } = this.deps;
    if (spec.input.artifactKey !== undefined) {
      return { file: posix.basename(spec.input.artifactKey), text: (await artifacts.getBytes(spec.input.artifactKey)).toString('utf8'), header: false };
    }
    const version = await store.datasets.getVersion(spec.input.dataset!, spec.input.version);
    const file = posix.basename(artifacts.keyOf(version.uri));
    return { file, text: await datasets.withLocalFile(version.uri, (path) => readFile(path, 'utf8')), header: version.header };
  }

  #start(name: string, spec: TransformSpec) {
    const control = { abort: new AbortController() } as Control;
    control.done = this.#run(name, spec, control)
      .catch((e: unknown) => this.deps.log.error({ err: e, transformJob: name }, 'transform job runner crashed'))
      .finally(() => this.#running.delete(name));
    this.#running.set(name, control);
  }

  async #run(name: string, spec: TransformSpec, control: Control): Promise<void> {
    const { store, artifacts, clock } = this.deps;
    const log = this.deps.log.child({ transformJob: name });
    const signal = control.abort.signal;
    const progress = emptyProgress();
    // Every write goes through one chain, so a progress write never lands after the final one.
    let chain: Promise<unknown> = Promise.resolve();
    const update = (patch: TransformJobPatch) => {
      const next = chain.then(() => store.transformJobs.update(name, patch, clock.now()));
      chain = next.catch((e: unknown) => log.warn({ err: e }, 'could not record transform job progress'));
      return next;
    };
    let written = '';
    const timer = setInterval(() => {
      const text = JSON.stringify(progress);
      if (text !== written) void update({ progress: JSON.parse(text) as Record<string, unknown> }).catch(() => undefined);
      written = text;
    }, this.deps.progressIntervalMs ?? 1000);
    let model: ModelRunner | undefined;
    try {
      const record = await store.models.get(spec.model);
      const { file, text, header } = await this.#readInput(spec);
      model = await this.deps.startModel(record, spec.instanceCount, log);
      if (signal.aborted) throw signal.reason;
      await update({ secondaryStatus: 'Transforming', startedAt: clock.now(), statusMessage: `${spec.instanceCount} replica(s) of model ${spec.model}` });
      const output = await runTransform(planOf(spec, file, text, header), model, progress, signal);
      await model.stop();
      model = undefined;
      // A stop accepted while the last batch was in flight wins: the caller saw Stopping.
      if (signal.aborted) throw signal.reason;
      await update({ secondaryStatus: 'Uploading', progress: { ...progress } });
      const info = await artifacts.put(transformOutputKey(name, file), Buffer.from(output, 'utf8'));
      // Only while still InProgress: a stop taken by another node (Stopping, not yet announced here) wins too.
      await chain;
      const completed = await store.transformJobs.updateIf(name, ['InProgress'], { status: 'Completed', secondaryStatus: 'Completed', endedAt: clock.now(), outputArtifactUri: info.uri, progress: { ...progress } }, clock.now());
      if (!completed) {
        control.ending ??= 'Stopped';
        throw new Error('stopped through another node');
      }
      log.info({ records: progress.recordsTotal, failed: progress.recordsFailed }, 'transform job completed');
    } catch (e) {
      const end = { endedAt: clock.now(), progress: { ...progress } };
      if (control.ending === 'Stopped') {
        await update({ status: 'Stopped', secondaryStatus: 'Stopped', ...end });
        log.info('transform job stopped');
      } else if (control.ending === 'Requeued') {
        const message = `requeued: node ${this.deps.dispatcher?.id} shut down while the job was transforming; another node runs it again from the start`;
        await update({ secondaryStatus: 'Starting', statusMessage: message, progress: emptyProgress() as unknown as Record<string, unknown> });
        log.info('transform job requeued for another node');
      } else {
        const reason = control.ending === 'Interrupted'
          ? 'interrupted: the server stopped while the job ran; create a new job to run it again'
          : e instanceof TransformFailure || isPlatformError(e) ? e.message : `InternalServerError: ${(e as Error).message}`;
        if (!(e instanceof TransformFailure) && !isPlatformError(e) && !control.ending) log.error({ err: e }, 'transform job failed unexpectedly');
        await update({ status: 'Failed', secondaryStatus: 'Failed', failureReason: reason.slice(0, 1024), statusMessage: reason.slice(0, 1024), ...end });
        log.info({ reason }, 'transform job failed');
      }
    } finally {
      clearInterval(timer);
      await model?.stop().catch((e: unknown) => log.warn({ err: e }, 'could not stop the transform replicas'));
      await chain;
    }
  }

  async get(name: string): Promise<TransformJob> {
    return toTransformJob(await this.deps.store.transformJobs.get(name));
  }

  async list(q: TransformJobListQuery) {
    const page = await this.deps.store.transformJobs.list(q);
    return {
      items: page.items.map((r) => ({
        name: r.name,
        arn: r.arn,
        model: (r.spec as unknown as TransformSpec).model,
        status: r.status,
        createdAt: r.createdAt.toISOString(),
        updatedAt: r.updatedAt.toISOString(),
        ...(r.endedAt ? { endedAt: r.endedAt.toISOString() } : {}),
        ...(r.failureReason ? { failureReason: r.failureReason } : {}),
      })),
      ...(page.nextToken ? { nextToken: page.nextToken } : {}),
    };
  }

  /**
   * Asks a running job to stop: Stopping now, Stopped once requests in flight end and the replicas
   * are gone. In a cluster the job may run on another node or wait in the queue: Stopping is
   * stored and announced; the node running it stops it, or the leader ends a queued one.
   */
  async stop(name: string): Promise<TransformJob> {
    const record = await this.deps.store.transformJobs.get(name);
    const control = this.#running.get(name);
    const refuse = (status: string) => failedPrecondition(`transform job '${name}' is ${status}; only an InProgress job can be stopped`, { status });
    if (record.status !== 'InProgress' || control?.ending || (!control && !this.deps.stops)) throw refuse(record.status);
    if (control) control.ending = 'Stopped';
    const stopping = await this.deps.store.transformJobs.updateIf(name, ['InProgress'], { status: 'Stopping', secondaryStatus: 'Stopping', statusMessage: 'Stop requested' }, this.deps.clock.now());
    if (!stopping) {
      if (control) control.ending = undefined;
      throw refuse((await this.deps.store.transformJobs.get(name)).status);
    }
    if (control) control.abort.abort(new Error('stopped'));
    else await this.deps.stops!.announce(name);
    return toTransformJob(stopping);
  }

  /** A stop taken by another node: ends the job if it runs here (its status is already Stopping). */
  stopLocal(name: string): void {
    const control = this.#running.get(name);
    if (!control || control.ending) return;
    this.deps.log.info({ transformJob: name }, 'transform job stopped through another node');
    control.ending = 'Stopped';
    control.abort.abort(new Error('stopped'));
  }

  /** Stops the jobs running here whose stored status is Stopping (a stop whose announcement was lost). */
  async applyStoredStops(): Promise<void> {
    if (this.#running.size === 0) return;
    for (const job of await this.deps.store.transformJobs.listActive()) {
      if (job.status === 'Stopping') this.stopLocal(job.name);
    }
  }

  /** Names of the jobs this node runs or is storing, for its cluster heartbeat. */
  runningJobs(): string[] {
    return [...this.#running.keys(), ...this.#creating];
  }

  /**
   * Cluster mode, on the leader only: starts each queued job no live node holds, and runs again
   * from the start each job a dead node had begun (its replicas were on that node; the status
   * history says so). A job stopped while no node ran it ends Stopped.
   * @param held jobs that live nodes' heartbeats list
   * @param lostBy for jobs of nodes whose heartbeat stopped, the node's id
   */
  async dispatch(held: ReadonlySet<string>, lostBy: ReadonlyMap<string, string>): Promise<void> {
    const { store, clock, log } = this.deps;
    for (const job of await store.transformJobs.listActive()) {
      if (this.#running.has(job.name) || this.#creating.has(job.name) || held.has(job.name)) continue;
      const node = lostBy.get(job.name);
      const lost = node ? `node ${node} died` : 'no live node ran it';
      if (job.status === 'Stopping') {
        const began = job.transitions.some((t) => !NOT_BEGUN.has(t.status));
        const message = began ? `stopped: ${lost} while the job was stopping` : 'Stopped before it started';
        await store.transformJobs.updateIf(job.name, ['Stopping'], { status: 'Stopped', secondaryStatus: 'Stopped', statusMessage: message, endedAt: clock.now() }, clock.now());
        continue;
      }
      if (job.secondaryStatus === 'Starting' && !node) {
        log.info({ transformJob: job.name }, 'dispatching a queued transform job');
        this.#start(job.name, job.spec as unknown as TransformSpec);
        continue;
      }
      const message = `restarted from the start on node ${this.deps.dispatcher?.id}: ${lost} while the job was ${job.secondaryStatus}`;
      const restarted = await store.transformJobs.updateIf(job.name, ['InProgress'], { secondaryStatus: 'Starting', statusMessage: message, progress: emptyProgress() as unknown as Record<string, unknown> }, clock.now());
      if (!restarted) continue;
      log.warn({ transformJob: job.name, node }, 'transform job restarted: its node died');
      this.#start(job.name, job.spec as unknown as TransformSpec);
    }
  }

  /** After a restart: a job left InProgress (or Stopping) by the previous server run is ended. */
  async recover(): Promise<void> {
    for (const job of await this.deps.store.transformJobs.listActive()) {
      if (this.#running.has(job.name)) continue;
      const reason = 'interrupted by a server restart; create a new job to run it again';
      const now = this.deps.clock.now();
      const patch: TransformJobPatch = job.status === 'Stopping'
        ? { status: 'Stopped', secondaryStatus: 'Stopped', statusMessage: reason, endedAt: now }
        : { status: 'Failed', secondaryStatus: 'Interrupted', statusMessage: reason, failureReason: reason, endedAt: now };
      await this.deps.store.transformJobs.update(job.name, patch, now);
      this.deps.log.warn({ transformJob: job.name }, 'transform job interrupted by a server restart');
    }
  }

  /**
   * Ends every running job (server shutdown): marked Failed as interrupted, or, on a cluster
   * node, put back in the queue for the leader to run again.
   */
  async close(): Promise<void> {
    const running = [...this.#running.values()];
    for (const control of running) {
      control.ending ??= this.deps.dispatcher ? 'Requeued' : 'Interrupted';
      control.abort.abort(new Error('server shutting down'));
    }
    await Promise.all(running.map((c) => c.done));
  }
}

function planOf(spec: TransformSpec, file: string, text: string, header: boolean) {
  const dp = spec.dataProcessing;
  return {
    file,
    text,
    header: header && spec.input.contentType === 'text/csv',
    splitType: spec.input.splitType,
    batchStrategy: spec.batchStrategy,
    maxPayloadBytes: spec.maxPayloadInMB * 2 ** 20,
    ...(spec.maxRecordsPerBatch ? { maxRecordsPerBatch: spec.maxRecordsPerBatch } : {}),
    maxConcurrent: spec.maxConcurrentTransforms,
    maxRecordErrors: spec.maxRecordErrors,
    assembleWith: spec.output.assembleWith,
    processing: {
      contentType: spec.input.contentType,
      accept: spec.accept,
      joinSource: dp.joinSource,
      ...(dp.inputFilter !== '$' ? { inputFilter: parseFilter(dp.inputFilter) } : {}),
      ...(dp.outputFilter !== '$' ? { outputFilter: parseFilter(dp.outputFilter) } : {}),
    },
  };
}

/** The API view of a transform job record. */
export function toTransformJob(r: TransformJobRecord): TransformJob {
  const spec = r.spec as unknown as TransformSpec;
  const transforming = r.transitions.find((t) => t.status === 'Transforming');
  return {
    name: r.name,
    arn: r.arn,
    model: spec.model,
    input: spec.input,
    output: spec.output,
    accept: spec.accept,
    batchStrategy: spec.batchStrategy,
    maxPayloadInMB: spec.maxPayloadInMB,
    ...(spec.maxRecordsPerBatch ? { maxRecordsPerBatch: spec.maxRecordsPerBatch } : {}),
    maxConcurrentTransforms: spec.maxConcurrentTransforms,
    instanceCount: spec.instanceCount,
    dataProcessing: spec.dataProcessing,
    maxRecordErrors: spec.maxRecordErrors,
    ...(spec.environment ? { environment: spec.environment } : {}),
    ...(spec.tags ? { tags: spec.tags } : {}),
    status: r.status,
    secondaryStatus: r.secondaryStatus,
    statusHistory: r.transitions.map((t) => ({
      status: t.status,
      startTime: t.startTime.toISOString(),
      ...(t.endTime ? { endTime: t.endTime.toISOString() } : {}),
      ...(t.message ? { message: t.message } : {}),
    })),
    ...(r.failureReason ? { failureReason: r.failureReason } : {}),
    progress: r.progress as unknown as TransformProgress,
    ...(r.outputArtifactUri ? { outputArtifact: r.outputArtifactUri } : {}),
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
    ...(r.startedAt ? { startedAt: r.startedAt.toISOString() } : {}),
    ...(r.endedAt ? { endedAt: r.endedAt.toISOString() } : {}),
    ...(transforming?.endTime ? { transformTimeSeconds: (transforming.endTime.getTime() - transforming.startTime.getTime()) / 1000 } : {}),
  };
}
