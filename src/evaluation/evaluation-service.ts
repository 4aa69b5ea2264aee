import { readFile } from 'node:fs/promises';
import type { PredictionRecord } from '../algorithms/algorithm.js';
import { builtinAlgorithm } from '../algorithms/registry.js';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import type { CreateEvaluationJobRequest, EvaluationJob, EvaluationJobListQuery, EvaluationServing, EvaluationSummary, EvaluationTask } from '../contracts/evaluation-job.js';
import type { CreateTrainingJobRequest } from '../contracts/training-job.js';
import type { Clock } from '../core/clock.js';
import { failedPrecondition, isPlatformError, validationError } from '../core/errors.js';
import { arnOf, isValidName } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import type { DatasetService } from '../data/dataset-service.js';
import { parseNumericCsv, type NumericTable } from '../data/numeric-table.js';
import type { ModelService, ModelSpec } from '../serving/model-service.js';
import type { EvaluationJobPatch, EvaluationJobRecord } from '../store/evaluation-registry-store.js';
import type { MetadataStore, TrainingJobRecord } from '../store/metadata-store.js';
import { resolveScriptSource } from '../training/script-spec.js';
import type { TrainingService } from '../training/training-service.js';
import { trainingJobPredictor, withModelPredictor, type PredictFn, type PredictorDeps } from './predictors.js';
import { foldSummary, headline, metricsOf, taskOfHyperparameters, taskOfLabels, toArrays, type TaskMetrics } from './scoring.js';
import { holdoutSplit, kfoldAssign } from './split.js';
import type { StopRelay } from '../cluster/job-stops.js';

/** What the store keeps of an evaluation job: the request with defaults filled and the dataset version resolved. */
export interface EvaluationSpec {
  model?: string;
  trainingSpec?: Omit<CreateTrainingJobRequest, 'name' | 'inputs'>;
  /** A script trainingSpec's models: how they answer. */
  serving?: EvaluationServing;
  dataset: { name: string; version: number };
  targetColumn?: string;
  method: { type: 'holdout'; testShare: number; stratified?: boolean; seed: number } | { type: 'kfold'; k: number; stratified?: boolean; seed: number };
  /** Given, or known at create from the model's or training spec's hyperparameters; else inferred from the labels when the job runs. */
  task?: EvaluationTask;
  threshold: number;
  tags?: Record<string, string>;
}

/** Artifact key of an evaluation's report. */
export const reportKey = (name: string) => `evaluation-jobs/${name}/report.json`;
/** Artifact prefix of one fold's training rows (headerless CSV, label first), a training channel's artifactPrefix. */
export const foldTrainPrefix = (name: string, fold: string) => `evaluation-jobs/${name}/folds/${fold}/train/`;
/** The longest evaluation name that leaves room for `-fold-10` in its training jobs' names. */
const MAX_TRAINING_EVAL_NAME = 63 - '-fold-10'.length;
/** Reports carry every test row's prediction up to this many rows. */
const MAX_REPORTED_PREDICTIONS = 200_000;

export interface EvaluationDeps extends PredictorDeps {
  store: MetadataStore;
  artifacts: ArtifactStore;
  datasets: DatasetService;
  training: Pick<TrainingService, 'create' | 'stop'>;
  /** Makes the models of a script trainingSpec (they answer through a runtime of your code). */
  models?: Pick<ModelService, 'createModel'>;
  clock: Clock;
  /** How often child training jobs are polled. @defaultValue 250 */
  pollMs?: number;
  /**
   * Several API nodes (cluster/cluster-node.ts): only the leader runs jobs; elsewhere a new job
   * is stored queued and the leader's `dispatch` picks it up. @defaultValue one node, always the leader
   */
  dispatcher?: { readonly leader: boolean; readonly id: string };
  /** Several API nodes: reaches the node running a job that is stopped through this one. */
  stops?: StopRelay;
}

interface Control {
  abort: AbortController;
  /** Why the run is being ended from outside; `Requeued`: this cluster node shuts down, another reruns it. */
  ending?: 'Stopped' | 'Interrupted' | 'Requeued';
  children: Set<string>;
  /** A run started again after its node died: training jobs of the earlier run are reused, not created. */
  rerun: boolean;
  done: Promise<void>;
}

/** Statuses a job passes before it does any work. */
const NOT_BEGUN = new Set(['Starting', 'Stopping']);

class EvaluationFailure extends Error {}

/** One evaluated split: the rows tested, the model that predicted them, the metrics. */
interface Part {
  label: string;
  trainingJob?: string;
  testRows: number[];
  metrics: TaskMetrics;
  predictions?: { values: number[]; probabilities?: number[][] };
}

/**
 * Evaluation jobs (issue 7, item 1): a model, or a training spec trained once per split, scored
 * on held-out rows of a dataset version. Runs in the server process like batch transform; child
 * training jobs run as ordinary training jobs.
 */
export class EvaluationService {
  #running = new Map<string, Control>();
  /** Jobs being stored here, not yet in #running: the leader's dispatch must not start them too. */
  #creating = new Set<string>();

  constructor(private readonly deps: EvaluationDeps) {}

  async create(req: CreateEvaluationJobRequest): Promise<EvaluationJob> {
    if (!isValidName(req.name)) throw validationError(`invalid name '${req.name}'`, { field: 'name' });
    const spec = await this.#normalize(req);
    const mine = !this.#creating.has(req.name);
    this.#creating.add(req.name);
    try {
      const record = await this.deps.store.evaluationJobs.create({
        name: req.name, arn: arnOf('evaluation-job', req.name), spec: spec as unknown as Record<string, unknown>, at: this.deps.clock.now(),
      });
      const leader = this.deps.dispatcher?.leader ?? true;
      this.deps.log.info({ evaluationJob: req.name, model: spec.model, method: spec.method.type, dataset: spec.dataset, queuedForLeader: !leader }, 'evaluation job created');
      if (leader) this.#start(req.name, spec);
      return await this.#view(record);
    } finally {
      if (mine) this.#creating.delete(req.name);
    }
  }

  async #normalize(req: CreateEvaluationJobRequest): Promise<EvaluationSpec> {
    const { store } = this.deps;
    if ((req.model === undefined) === (req.trainingSpec === undefined)) {
      throw validationError('give exactly one of model (evaluate an existing model) and trainingSpec (train one per split)', { field: req.model === undefined ? 'model' : 'trainingSpec' });
    }
    const m = req.method ?? { type: 'holdout' as const };
    if (m.type === 'kfold' && req.model !== undefined) {
      throw validationError('k-fold cross-validation trains one model per fold: give trainingSpec instead of model', { field: 'trainingSpec' });
    }
    let task = req.task;
    if (req.model !== undefined) {
      const model = await store.models.find(req.model);
      if (!model) throw validationError(`model '${req.model}' does not exist`, { field: 'model' });
      const ms = model.spec as unknown as ModelSpec;
      if (!task && ms.trainingJob) {
        const job = await store.trainingJobs.find(ms.trainingJob);
        if (job) task = taskOfHyperparameters(ms.algorithm, (job.spec as { hyperparameters?: Record<string, unknown> }).hyperparameters ?? {});
      }
    } else {
      const ts = req.trainingSpec!;
      if (req.name.length > MAX_TRAINING_EVAL_NAME) {
        throw validationError(`an evaluation that trains needs a name of at most ${MAX_TRAINING_EVAL_NAME} characters (its jobs are named <name>-fold-<i>)`, { field: 'name' });
      }
      if ((ts.algorithm === undefined) === (ts.script === undefined)) {
        throw validationError('trainingSpec needs exactly one of algorithm (built-in) and script (your code)', { field: ts.algorithm === undefined ? 'trainingSpec.algorithm' : 'trainingSpec.script' });
      }
      if (ts.script) await this.#checkScriptSpec(ts.script.source, req.serving);
      else {
        if (req.serving) throw validationError('serving applies to a script trainingSpec; a built-in algorithm serves its own models', { field: 'serving' });
        const raw = Object.fromEntries(Object.entries(ts.hyperparameters ?? {}).map(([k, v]) => [k, String(v)]));
        const hp = builtinAlgorithm(ts.algorithm!).validateHyperparameters(raw);
        task ??= taskOfHyperparameters(ts.algorithm!, hp);
      }
    }
    if (!(await store.datasets.find(req.dataset.name))) throw validationError(`dataset '${req.dataset.name}' does not exist`, { field: 'dataset.name' });
    const version = await store.datasets.getVersion(req.dataset.name, req.dataset.version).catch((e: unknown) => {
      if (isPlatformError(e) && e.code === 'NotFound') throw validationError(`dataset '${req.dataset.name}' has no version ${req.dataset.version}`, { field: 'dataset.version' });
      throw e;
    });
    if (version.format !== 'csv') throw validationError(`dataset '${req.dataset.name}' version ${version.version} is ${version.format}; evaluation reads CSV`, { field: 'dataset' });
    if (req.targetColumn && !version.header) throw validationError('targetColumn needs a dataset with a header; without one the label is the first column', { field: 'targetColumn' });
    const method: EvaluationSpec['method'] = m.type === 'kfold'
      ? { type: 'kfold', k: m.k, ...(m.stratified !== undefined ? { stratified: m.stratified } : {}), seed: m.seed ?? 0 }
      : { type: 'holdout', testShare: m.testShare ?? 0.2, ...(m.stratified !== undefined ? { stratified: m.stratified } : {}), seed: m.seed ?? 0 };
    return {
      ...(req.model !== undefined ? { model: req.model } : {}),
      ...(req.trainingSpec ? { trainingSpec: req.trainingSpec } : {}),
      ...(req.serving ? { serving: req.serving } : {}),
      dataset: { name: req.dataset.name, version: version.version },
      ...(req.targetColumn ? { targetColumn: req.targetColumn } : {}),
      method,
      ...(task ? { task } : {}),
      threshold: req.threshold ?? 0.5,
      ...(req.tags ? { tags: req.tags } : {}),
    };
  }

  #start(name: string, spec: EvaluationSpec, rerun = false) {
    const control = { abort: new AbortController(), children: new Set<string>(), rerun } as Control;
    control.done = this.#run(name, spec, control)
      .catch((e: unknown) => this.deps.log.error({ err: e, evaluationJob: name }, 'evaluation job runner crashed'))
      .finally(() => this.#running.delete(name));
    this.#running.set(name, control);
  }

  async #readTable(spec: EvaluationSpec): Promise<NumericTable> {
    const version = await this.deps.store.datasets.getVersion(spec.dataset.name, spec.dataset.version);
    const buf = await this.deps.datasets.withLocalFile(version.uri, (path) => readFile(path));
    return parseNumericCsv(buf, { header: version.header, ...(spec.targetColumn ? { targetColumn: spec.targetColumn } : {}), source: `dataset '${spec.dataset.name}' version ${spec.dataset.version}` });
  }

  async #run(name: string, spec: EvaluationSpec, control: Control): Promise<void> {
    const { store, artifacts, clock } = this.deps;
    const log = this.deps.log.child({ evaluationJob: name });
    const signal = control.abort.signal;
    const update = (patch: EvaluationJobPatch) => store.evaluationJobs.update(name, patch, clock.now());
    try {
      const table = await this.#readTable(spec);
      if (table.labels.length !== table.rows) throw new EvaluationFailure('ClientError: the dataset has no label column');
      const task = spec.task ?? taskOfLabels(table.labels);
      const stratified = spec.method.stratified ?? task !== 'regression';
      await update({ secondaryStatus: spec.trainingSpec ? 'Training' : 'Evaluating', startedAt: clock.now(), statusMessage: `${task}, ${describeMethod(spec, stratified)}` });
      const splits = spec.method.type === 'kfold'
        ? foldsOf(kfoldAssign(table.labels, { k: spec.method.k, stratified, seed: spec.method.seed }), spec.method.k)
        : [{ label: 'holdout', test: holdoutSplit(table.labels, { testShare: spec.method.testShare, stratified, seed: spec.method.seed }) }];
      const predictors = spec.trainingSpec
        ? await this.#trainAll(name, spec, table, splits, control)
        : undefined;
      if (signal.aborted) throw signal.reason;
      if (predictors) await update({ secondaryStatus: 'Evaluating', statusMessage: `${splits.length} model(s) trained` });
      const parts: Part[] = [];
      const score = async (predict: PredictFn, i: number) => {
        for (const [j, split] of splits.entries()) {
          if (i >= 0 && i !== j) continue;
          const rows = rowsOf(split.test);
          const { features, labels } = subset(table, rows);
          const records: PredictionRecord[] = await predict(features, rows.length, table.cols);
          const arrays = toArrays(task, records);
          parts[j] = {
            label: split.label,
            ...(predictors ? { trainingJob: predictors[j].job } : {}),
            testRows: rows,
            metrics: metricsOf(task, labels, arrays, spec.threshold),
            ...(table.rows <= MAX_REPORTED_PREDICTIONS ? { predictions: { values: [...arrays.values], ...(arrays.probabilities ? { probabilities: chunk(arrays.probabilities, arrays.classCount!) } : {}) } } : {}),
          };
        }
      };
      if (predictors) for (const [j, p] of predictors.entries()) await p.use((predict) => score(predict, j));
      else await withModelPredictor(this.deps, await store.models.get(spec.model!), (predict) => score(predict, -1));
      if (signal.aborted) throw signal.reason;
      await update({ secondaryStatus: 'Uploading' });
      const { summary, report } = reportOf(name, spec, task, stratified, table, parts);
      const info = await artifacts.put(reportKey(name), Buffer.from(JSON.stringify(report, nanToNull)));
      // Only while still InProgress: a stop taken by another node (Stopping, not yet announced here) wins.
      const completed = await store.evaluationJobs.updateIf(name, ['InProgress'], { status: 'Completed', secondaryStatus: 'Completed', endedAt: clock.now(), summary: { ...summary, stratified } as unknown as Record<string, unknown>, reportUri: info.uri }, clock.now());
      if (!completed) {
        control.ending ??= 'Stopped';
        throw new Error('stopped through another node');
      }
      log.info({ task, metrics: Object.fromEntries(Object.entries(summary.metrics).map(([k, v]) => [k, v.mean])) }, 'evaluation job completed');
    } catch (e) {
      // A requeued run leaves its training jobs running: the rerun on another node reuses them.
      if (control.ending !== 'Requeued') await this.#stopChildren(control, log);
      const end = { endedAt: clock.now() };
      if (control.ending === 'Stopped') {
        await update({ status: 'Stopped', secondaryStatus: 'Stopped', ...end });
        log.info('evaluation job stopped');
        return;
      }
      if (control.ending === 'Requeued') {
        await update({ secondaryStatus: 'Starting', statusMessage: `requeued: node ${this.deps.dispatcher?.id} shut down while the job ran; another node runs it again from the start` });
        log.info('evaluation job requeued for another node');
        return;
      }
      const reason = control.ending === 'Interrupted'
        ? 'interrupted: the server stopped while the job ran; create a new job to run it again'
        : e instanceof EvaluationFailure || isPlatformError(e) ? (e as Error).message : `InternalServerError: ${(e as Error).message}`;
      if (!(e instanceof EvaluationFailure) && !isPlatformError(e) && !control.ending) log.error({ err: e }, 'evaluation job failed unexpectedly');
      await update({ status: 'Failed', secondaryStatus: 'Failed', failureReason: reason.slice(0, 1024), statusMessage: reason.slice(0, 1024), ...end });
      log.info({ reason }, 'evaluation job failed');
    }
  }

  /** Writes each split's training rows, trains one job per split, waits for all; their predictors in split order. */
  async #trainAll(name: string, spec: EvaluationSpec, table: NumericTable, splits: Array<{ label: string; test: Uint8Array }>, control: Control) {
    const { artifacts, training } = this.deps;
    const jobs: string[] = [];
    for (const split of splits) {
      const job = `${name}-${split.label === 'holdout' ? 'holdout' : `fold-${split.label}`}`;
      const prefix = foldTrainPrefix(name, split.label);
      // A rerun reuses the training jobs its first run created (running or ended), as it cannot make new ones of the same name.
      if (!control.rerun || !(await this.deps.store.trainingJobs.find(job))) {
        await artifacts.put(`${prefix}data.csv`, Buffer.from(trainingCsv(table, split.test)));
        await training.create({ ...(spec.trainingSpec as Omit<CreateTrainingJobRequest, 'name' | 'inputs'>), name: job, inputs: [{ channel: 'train', artifactPrefix: prefix, contentType: 'text/csv' }] });
      }
      control.children.add(job);
      jobs.push(job);
    }
    const done = await Promise.all(jobs.map((j) => this.#waitFor(j, control.abort.signal)));
    control.children.clear();
    const failed = done.find((j) => j.status !== 'Completed');
    if (failed) throw new EvaluationFailure(`training job '${failed.name}' ${failed.status}${failed.failureReason ? `: ${failed.failureReason}` : ''}`);
    return Promise.all(done.map(async (j) => ({ job: j.name, use: await this.#predictorOf(j, spec) })));
  }

  /**
   * How a split's model predicts: a built-in one in this process; a script's through a replica of
   * its runtime (`serving`), as a Model named like its training job, started for the scoring only.
   */
  async #predictorOf(job: TrainingJobRecord, spec: EvaluationSpec): Promise<<T>(fn: (predict: PredictFn) => Promise<T>) => Promise<T>> {
    if (!spec.serving) {
      const predict = await trainingJobPredictor(this.deps, job, `.evaluation-jobs/${job.name}-${job.createdAt.getTime()}`);
      return (fn) => fn(predict);
    }
    const { store, models } = this.deps;
    if (!models) throw new EvaluationFailure('script models need the model service, which this server lacks');
    if (!(await store.models.find(job.name))) await models.createModel({ name: job.name, trainingJob: job.name, ...spec.serving });
    const model = await store.models.get(job.name);
    return (fn) => withModelPredictor(this.deps, model, fn);
  }

  /** A script trainingSpec: its source and the serving code must exist, and serving must be given. */
  async #checkScriptSpec(source: string, serving: EvaluationServing | undefined): Promise<void> {
    if (!serving) {
      throw validationError("a script trainingSpec needs serving: how its models answer (runtime 'python' with an inference.py, 'container', or 'onnx')", { field: 'serving' });
    }
    await resolveScriptSource(this.deps.artifacts, source, 'trainingSpec.script.source');
    if (serving.source !== undefined) await resolveScriptSource(this.deps.artifacts, serving.source, 'serving.source');
  }

  async #waitFor(job: string, signal: AbortSignal): Promise<TrainingJobRecord> {
    for (;;) {
      const r = await this.deps.store.trainingJobs.get(job);
      if (r.status !== 'InProgress' && r.status !== 'Stopping') return r;
      if (signal.aborted) throw signal.reason;
      await new Promise((res) => setTimeout(res, this.deps.pollMs ?? 250));
    }
  }

  async #stopChildren(control: Control, log: Logger) {
    for (const job of control.children) {
      await this.deps.training.stop(job).catch((e: unknown) => log.debug({ err: e, job }, 'child training job not stopped'));
    }
  }

  async get(name: string): Promise<EvaluationJob> {
    return this.#view(await this.deps.store.evaluationJobs.get(name));
  }

  /** The full report of a Completed job. */
  async report(name: string): Promise<Record<string, unknown>> {
    const job = await this.deps.store.evaluationJobs.get(name);
    if (job.status !== 'Completed' || !job.reportUri) {
      throw failedPrecondition(`evaluation job '${name}' is ${job.status}; its report exists once it is Completed`, { status: job.status });
    }
    return JSON.parse((await this.deps.artifacts.getBytes(reportKey(name))).toString('utf8')) as Record<string, unknown>;
  }

  async list(q: EvaluationJobListQuery) {
    const page = await this.deps.store.evaluationJobs.list(q);
    return {
      items: page.items.map((r) => {
        const spec = r.spec as unknown as EvaluationSpec;
        const task = spec.task ?? (r.summary as EvaluationSummary | undefined)?.task;
        return {
          name: r.name, arn: r.arn, ...(spec.model ? { model: spec.model } : {}), ...(task ? { task } : {}), status: r.status,
          createdAt: r.createdAt.toISOString(), updatedAt: r.updatedAt.toISOString(),
          ...(r.endedAt ? { endedAt: r.endedAt.toISOString() } : {}), ...(r.failureReason ? { failureReason: r.failureReason } : {}),
        };
      }),
      ...(page.nextToken ? { nextToken: page.nextToken } : {}),
    };
  }

  /**
   * Stopping now, Stopped once its training jobs are stopped. In a cluster the job may run on
   * another node or wait in the queue: Stopping is stored and announced; the node running it
   * stops it, or the leader ends a queued one.
   */
  async stop(name: string): Promise<EvaluationJob> {
    const record = await this.deps.store.evaluationJobs.get(name);
    const control = this.#running.get(name);
    const refuse = (status: string) => failedPrecondition(`evaluation job '${name}' is ${status}; only an InProgress job can be stopped`, { status });
    if (record.status !== 'InProgress' || control?.ending || (!control && !this.deps.stops)) throw refuse(record.status);
    if (control) control.ending = 'Stopped';
    const stopping = await this.deps.store.evaluationJobs.updateIf(name, ['InProgress'], { status: 'Stopping', secondaryStatus: 'Stopping', statusMessage: 'Stop requested' }, this.deps.clock.now());
    if (!stopping) {
      if (control) control.ending = undefined;
      throw refuse((await this.deps.store.evaluationJobs.get(name)).status);
    }
    if (control) control.abort.abort(new Error('stopped'));
    else await this.deps.stops!.announce(name);
    return this.#view(stopping);
  }

  /** A stop taken by another node: ends the job if it runs here (its status is already Stopping). */
  stopLocal(name: string): void {
    const control = this.#running.get(name);
    if (!control || control.ending) return;
    this.deps.log.info({ evaluationJob: name }, 'evaluation job stopped through another node');
    control.ending = 'Stopped';
    control.abort.abort(new Error('stopped'));
  }

  /** Stops the jobs running here whose stored status is Stopping (a stop whose announcement was lost). */
  async applyStoredStops(): Promise<void> {
    if (this.#running.size === 0) return;
    for (const job of await this.deps.store.evaluationJobs.listActive()) {
      if (job.status === 'Stopping') this.stopLocal(job.name);
    }
  }

  /** Names of the jobs this node runs or is storing, for its cluster heartbeat. */
  runningJobs(): string[] {
    return [...this.#running.keys(), ...this.#creating];
  }

  /**
   * Cluster mode, on the leader only: starts each queued job no live node holds, and runs again
   * from the start each job a dead node had begun (the status history says so; training jobs it
   * had created are reused). A job stopped while no node ran it ends Stopped.
   */
  async dispatch(held: ReadonlySet<string>, lostBy: ReadonlyMap<string, string>): Promise<void> {
    const { store, clock, log } = this.deps;
    for (const job of await store.evaluationJobs.listActive()) {
      if (this.#running.has(job.name) || this.#creating.has(job.name) || held.has(job.name)) continue;
      const node = lostBy.get(job.name);
      const lost = node ? `node ${node} died` : 'no live node ran it';
      const began = job.transitions.some((t) => !NOT_BEGUN.has(t.status));
      if (job.status === 'Stopping') {
        const message = began ? `stopped: ${lost} while the job was stopping` : 'Stopped before it started';
        await store.evaluationJobs.updateIf(job.name, ['Stopping'], { status: 'Stopped', secondaryStatus: 'Stopped', statusMessage: message, endedAt: clock.now() }, clock.now());
        continue;
      }
      if (job.secondaryStatus === 'Starting' && !node) {
        log.info({ evaluationJob: job.name }, 'dispatching a queued evaluation job');
        this.#start(job.name, job.spec as unknown as EvaluationSpec, began);
        continue;
      }
      const message = `restarted from the start on node ${this.deps.dispatcher?.id}: ${lost} while the job was ${job.secondaryStatus}`;
      if (!(await store.evaluationJobs.updateIf(job.name, ['InProgress'], { secondaryStatus: 'Starting', statusMessage: message }, clock.now()))) continue;
      log.warn({ evaluationJob: job.name, node }, 'evaluation job restarted: its node died');
      this.#start(job.name, job.spec as unknown as EvaluationSpec, true);
    }
  }

  async recover(): Promise<void> {
    for (const job of await this.deps.store.evaluationJobs.listActive()) {
      if (this.#running.has(job.name)) continue;
      const reason = 'interrupted by a server restart; create a new job to run it again';
      const now = this.deps.clock.now();
      await this.deps.store.evaluationJobs.update(job.name, job.status === 'Stopping'
        ? { status: 'Stopped', secondaryStatus: 'Stopped', statusMessage: reason, endedAt: now }
        : { status: 'Failed', secondaryStatus: 'Interrupted', statusMessage: reason, failureReason: reason, endedAt: now }, now);
    }
  }

  /** Ends every running job (server shutdown): Failed as interrupted, or, on a cluster node, requeued. */
  async close(): Promise<void> {
    const running = [...this.#running.values()];
    for (const c of running) {
      c.ending ??= this.deps.dispatcher ? 'Requeued' : 'Interrupted';
      c.abort.abort(new Error('server shutting down'));
    }
    await Promise.all(running.map((c) => c.done));
  }

  async #view(r: EvaluationJobRecord): Promise<EvaluationJob> {
    const spec = r.spec as unknown as EvaluationSpec;
    const summary = r.summary as (EvaluationSummary & { stratified?: boolean }) | undefined;
    const task = spec.task ?? summary?.task;
    const registered = await this.deps.store.modelRegistry.versionsFrom({ evaluationJob: r.name });
    const { stratified: _s, ...shown } = summary ?? ({} as EvaluationSummary & { stratified?: boolean });
    return {
      name: r.name,
      arn: r.arn,
      ...(spec.model ? { model: spec.model } : {}),
      ...(spec.trainingSpec ? { trainingSpec: spec.trainingSpec as Record<string, unknown> } : {}),
      ...(spec.serving ? { serving: spec.serving } : {}),
      dataset: spec.dataset,
      ...(spec.targetColumn ? { targetColumn: spec.targetColumn } : {}),
      method: { ...spec.method, stratified: spec.method.stratified ?? summary?.stratified ?? task !== 'regression' },
      ...(task ? { task } : {}),
      threshold: spec.threshold,
      ...(spec.tags ? { tags: spec.tags } : {}),
      status: r.status,
      secondaryStatus: r.secondaryStatus,
      statusHistory: r.transitions.map((t) => ({
        status: t.status, startTime: t.startTime.toISOString(),
        ...(t.endTime ? { endTime: t.endTime.toISOString() } : {}), ...(t.message ? { message: t.message } : {}),
      })),
      ...(r.failureReason ? { failureReason: r.failureReason } : {}),
      ...(summary ? { summary: shown as EvaluationSummary } : {}),
      ...(r.reportUri ? { reportUri: r.reportUri } : {}),
      registeredVersions: registered.map((v) => ({ group: v.group, version: v.version })),
      createdAt: r.createdAt.toISOString(),
      updatedAt: r.updatedAt.toISOString(),
      ...(r.startedAt ? { startedAt: r.startedAt.toISOString() } : {}),
      ...(r.endedAt ? { endedAt: r.endedAt.toISOString() } : {}),
    };
  }
}

const describeMethod = (spec: EvaluationSpec, stratified: boolean) => {
  const m = spec.method;
  const how = `${stratified ? 'stratified' : 'unstratified'}, seed ${m.seed}`;
  return m.type === 'kfold' ? `${m.k}-fold (${how})` : `hold-out ${m.testShare} (${how})`;
};

function foldsOf(assignment: Int32Array, k: number) {
  return Array.from({ length: k }, (_, i) => ({ label: String(i), test: Uint8Array.from(assignment, (f) => (f === i ? 1 : 0)) }));
}

function rowsOf(test: Uint8Array): number[] {
  const rows: number[] = [];
  for (let i = 0; i < test.length; i++) if (test[i]) rows.push(i);
  return rows;
}

function subset(t: NumericTable, rows: number[]) {
  const features = new Float64Array(rows.length * t.cols);
  const labels = new Float64Array(rows.length);
  rows.forEach((r, i) => {
    features.set(t.features.subarray(r * t.cols, (r + 1) * t.cols), i * t.cols);
    labels[i] = t.labels[r];
  });
  return { features, labels };
}

/** The training rows (not in `test`) as headerless CSV, label first: what built-in algorithms read from a prefix. */
function trainingCsv(t: NumericTable, test: Uint8Array): string {
  const lines: string[] = [];
  for (let r = 0; r < t.rows; r++) {
    if (test[r]) continue;
    const cells = [String(t.labels[r])];
    for (let c = 0; c < t.cols; c++) {
      const v = t.features[r * t.cols + c];
      cells.push(Number.isNaN(v) ? '' : String(v));
    }
    lines.push(cells.join(','));
  }
  return `${lines.join('\n')}\n`;
}

function chunk(a: Float64Array, k: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < a.length; i += k) out.push([...a.subarray(i, i + k)]);
  return out;
}

/** JSON has no NaN: undefined metrics (AUC of one class) are written as null. */
const nanToNull = (_k: string, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v);

function reportOf(name: string, spec: EvaluationSpec, task: EvaluationTask, stratified: boolean, table: NumericTable, parts: Part[]) {
  const testRows = parts.reduce((n, p) => n + p.testRows.length, 0);
  const perPart = parts.map((p) => headline(task, p.metrics));
  const metrics = spec.method.type === 'kfold'
    ? foldSummary(perPart)
    : Object.fromEntries(Object.entries(perPart[0]).map(([k, v]) => [k, { mean: v }]));
  const trainingJobs = parts.flatMap((p) => (p.trainingJob ? [p.trainingJob] : []));
  const summary: EvaluationSummary = {
    task, rows: { total: table.rows, test: testRows }, metrics: metrics as EvaluationSummary['metrics'], ...(trainingJobs.length ? { trainingJobs } : {}),
  };
  const report = {
    name,
    task,
    dataset: spec.dataset,
    ...(spec.targetColumn ? { targetColumn: spec.targetColumn } : {}),
    ...(spec.model ? { model: spec.model } : {}),
    method: { ...spec.method, stratified },
    threshold: spec.threshold,
    featureNames: table.featureNames,
    rows: summary.rows,
    summary: metrics,
    ...(spec.method.type === 'kfold'
      ? { folds: parts.map((p, i) => ({ fold: i, ...partReport(p) })) }
      : { holdout: partReport(parts[0]) }),
  };
  return { summary, report };
}

const partReport = (p: Part) => ({
  ...(p.trainingJob ? { trainingJob: p.trainingJob } : {}),
  testRows: p.testRows,
  metrics: p.metrics,
  ...(p.predictions ? { predictions: p.predictions } : {}),
});
