import type {
  Pipeline, PipelineDefinition, PipelineExecution, PipelineExecutionListQuery, PipelineStepExecution, StartPipelineExecutionRequest, UpdatePipelineRequest,
} from '../contracts/pipeline.js';
import type { Clock } from '../core/clock.js';
import { failedPrecondition, notFound } from '../core/errors.js';
import { randomSuffix } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import type { ListQuery, MetadataStore } from '../store/metadata-store.js';
import type { PipelineExecutionRecord, PipelineStepRecord, PipelineVersionRecord } from '../store/pipeline-store.js';
import { firstMatch, MinuteWindow, parseCron } from '../core/cron.js';
import { resolveParameters, validateDefinition } from './definition.js';
import { runExecution, ShutdownError, type ExecutionHandle } from './runner.js';
import type { StepServices } from './steps.js';

export interface PipelineDeps {
  store: MetadataStore;
  services: StepServices;
  clock: Clock;
  log: Logger;
  /** How often the cron loop looks at the clock. @defaultValue 5000 */
  scheduleTickMs?: number;
}

/** What started an execution. */
export type PipelineTriggerInfo =
  | { type: 'manual' }
  | { type: 'schedule'; cron: string; at: string }
  | { type: 'dataset'; dataset: string; version: number }
  | { type: 'monitoring-alarm'; schedule: string; seq: number }
  /** Started for an endpoint by its retraining policy (retraining-service.ts). */
  | { type: 'retraining-policy'; endpoint: string; cause: 'manual' }
  | { type: 'retraining-policy'; endpoint: string; cause: 'monitoring-alarm'; schedule: string; seq: number }
  | { type: 'retraining-policy'; endpoint: string; cause: 'schedule'; cron: string; at: string };

const ACTIVE = new Set(['Executing', 'Stopping']);

/**
 * Pipelines: versioned definitions, executions run by runner.ts, and the three ways they start —
 * on demand, on a cron schedule (a loop started by `startSchedules()`), and on events (dataset versions,
 * monitoring alarms; the platform forwards them to `onDatasetVersion` / `onMonitoringAlarm`).
 */
export class PipelineService {
  readonly #running = new Map<string, ExecutionHandle>();
  #timer: NodeJS.Timeout | undefined;
  readonly #minutes = new MinuteWindow();

  constructor(private readonly deps: PipelineDeps) {}

  /** Creates a pipeline (version 1). @throws ValidationError for a bad definition; ResourceInUse when the name exists. */
  async create(def: PipelineDefinition): Promise<Pipeline> {
    validateDefinition(def);
    const v = await this.deps.store.pipelines.putVersion({ name: def.name, arn: pipelineArn(def.name), definition: def, at: this.deps.clock.now(), update: false });
    return this.#view(v);
  }

  /** Adds the next version of a pipeline's definition; executions already started keep theirs. */
  async update(name: string, body: UpdatePipelineRequest): Promise<Pipeline> {
    const def: PipelineDefinition = { ...body, name };
    validateDefinition(def);
    await this.deps.store.pipelines.get(name);
    const v = await this.deps.store.pipelines.putVersion({ name, arn: pipelineArn(name), definition: def, at: this.deps.clock.now(), update: true });
    return this.#view(v);
  }

  async get(name: string, version?: number): Promise<Pipeline> {
    return this.#view(await this.deps.store.pipelines.getVersion(name, version));
  }

  async list(q: ListQuery) {
    const page = await this.deps.store.pipelines.list(q);
    return {
      items: page.items.map((p) => ({ name: p.name, arn: p.arn, latestVersion: p.latestVersion, createdAt: p.createdAt.toISOString(), updatedAt: p.updatedAt.toISOString() })),
      ...(page.nextToken ? { nextToken: page.nextToken } : {}),
    };
  }

  /** @throws ResourceInUse (409) while an execution of it runs. */
  async delete(name: string): Promise<void> {
    const active = await this.deps.store.pipelines.listExecutions({ pipeline: name, status: 'Executing', limit: 1 });
    if (active.items.length > 0) throw failedPrecondition(`pipeline '${name}' has a running execution (${active.items[0].name}); stop it first`);
    await this.deps.store.pipelines.delete(name);
  }

  /** Starts an execution of the latest (or the given) version. @throws ValidationError for unknown, missing or mistyped parameters. */
  async start(name: string, req: StartPipelineExecutionRequest = {}, trigger: PipelineTriggerInfo = { type: 'manual' }): Promise<PipelineExecution> {
    const version = await this.deps.store.pipelines.getVersion(name, req.version);
    const def = version.definition as unknown as PipelineDefinition;
    const graph = validateDefinition(def);
    const params = resolveParameters(def, req.parameters ?? {});
    const suffix = randomSuffix(3);
    const execution = `${name}-${suffix}`;
    const record = await this.deps.store.pipelines.createExecution(
      { name: execution, arn: `arn:stratus:default:pipeline-execution/${execution}`, pipeline: name, pipelineVersion: version.version, parameters: params, trigger, createdAt: this.deps.clock.now() },
      def.steps.map((s) => ({ step: s.name, type: s.type })),
    );
    this.deps.log.info({ pipeline: name, execution, trigger: trigger.type }, 'pipeline execution started');
    const handle = runExecution(
      { execution, pipeline: name, resourcePrefix: `${name.slice(0, 12).replace(/-+$/, '')}-${suffix}`, graph, params },
      { store: this.deps.store, services: this.deps.services, clock: this.deps.clock, log: this.deps.log.child({ pipeline: name, execution }) },
    );
    this.#running.set(execution, handle);
    void handle.done.finally(() => this.#running.delete(execution));
    return this.#executionView(record, await this.deps.store.pipelines.steps(execution));
  }

  async listExecutions(q: PipelineExecutionListQuery) {
    const page = await this.deps.store.pipelines.listExecutions(q);
    return { items: page.items.map((e) => this.#executionView(e)), ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
  }

  async getExecution(name: string): Promise<PipelineExecution> {
    const e = await this.deps.store.pipelines.getExecution(name);
    return this.#executionView(e, await this.deps.store.pipelines.steps(name));
  }

  /** Stops an execution: running steps stop (training jobs through their stop), nothing new starts. */
  async stopExecution(name: string): Promise<PipelineExecution> {
    const e = await this.deps.store.pipelines.getExecution(name);
    if (!ACTIVE.has(e.status)) throw failedPrecondition(`execution '${name}' is ${e.status}`);
    const handle = this.#running.get(name);
    const at = this.deps.clock.now();
    if (handle) {
      await this.deps.store.pipelines.updateExecution(name, { status: 'Stopping' }, at);
      handle.abort.abort(new Error('stopped by request'));
    } else {
      await this.deps.store.pipelines.updateExecution(name, { status: 'Stopped', failureReason: 'stopped by request', endedAt: at }, at);
    }
    return this.getExecution(name);
  }

  /**
   * The log of a step: the logs of the jobs it ran (a processing script, a training job), each
   * attempt's in order under a `==> kind name <==` line; live while they run.
   * @throws NotFound for an unknown execution or step.
   */
  async stepLog(execution: string, step: string): Promise<string> {
    await this.deps.store.pipelines.getExecution(execution);
    const record = (await this.deps.store.pipelines.steps(execution)).find((s) => s.step === step);
    if (!record) throw notFound('PipelineStep', `${execution}/${step}`);
    const { scripts, training } = this.deps.services;
    const parts: string[] = [];
    for (const [kind, name] of Object.entries(record.resources ?? {})) {
      const type = kind.split('#')[0];
      const text = type === 'processingJob' ? await scripts?.readLog(name)
        : type === 'trainingJob' ? await training.readLog(name).catch(() => undefined)
        : undefined;
      if (text !== undefined) parts.push(`==> ${type} ${name} <==\n${text}`);
    }
    return parts.join('\n');
  }

  /** Resolves when the execution has ended (in this process). */
  async settled(name: string): Promise<void> {
    await this.#running.get(name)?.done;
  }

  /**
   * Restart reconciliation: an execution left Executing or Stopping by an earlier process is
   * marked Failed ("interrupted by a restart"), its unfinished steps too. The jobs it started
   * are reconciled by their own services; processing scripts still running are ended.
   */
  async recover(): Promise<void> {
    await this.deps.services.scripts?.recover();
    const at = this.deps.clock.now();
    for (const status of ['Executing', 'Stopping'] as const) {
      for (;;) {
        const page = await this.deps.store.pipelines.listExecutions({ status, limit: 100 });
        const left = page.items.filter((e) => !this.#running.has(e.name));
        if (left.length === 0) break;
        for (const e of left) {
          for (const s of await this.deps.store.pipelines.steps(e.name)) {
            if (s.status === 'Executing') await this.deps.store.pipelines.updateStep(e.name, s.step, { status: 'Failed', failureReason: 'interrupted by a restart', endedAt: at });
            if (s.status === 'Pending') await this.deps.store.pipelines.updateStep(e.name, s.step, { status: 'Skipped', failureReason: 'not run: interrupted by a restart', endedAt: at });
          }
          await this.deps.store.pipelines.updateExecution(e.name, { status: 'Failed', failureReason: 'interrupted by a restart', endedAt: at }, at);
          this.deps.log.warn({ execution: e.name }, 'pipeline execution interrupted by a restart');
        }
      }
    }
  }

  /** Starts the cron loop. */
  startSchedules(): void {
    if (this.#timer) return;
    this.#minutes.reset(this.deps.clock.now());
    this.#timer = setInterval(() => void this.tick().catch((e: unknown) => this.deps.log.error({ err: e }, 'pipeline schedule tick failed')), this.deps.scheduleTickMs ?? 5000);
    this.#timer.unref();
  }

  /** Starts the executions whose cron matches a minute that began since the last tick (at most one per pipeline and tick). */
  async tick(now = this.deps.clock.now()): Promise<string[]> {
    const window = this.#minutes.advance(now);
    if (!window) return [];
    const started: string[] = [];
    for (const v of await this.deps.store.pipelines.latestDefinitions()) {
      const def = v.definition as unknown as PipelineDefinition;
      if (!def.schedule) continue;
      const at = firstMatch(parseCron(def.schedule.cron), window);
      if (at) started.push((await this.#startQuietly(def.name, def.schedule.parameters, { type: 'schedule', cron: def.schedule.cron, at: at.toISOString() }))?.name ?? '');
    }
    return started.filter(Boolean);
  }

  /** Starts the pipelines triggered by a new version of `dataset`. */
  async onDatasetVersion(dataset: string, version: number): Promise<string[]> {
    return this.#fire((t) => t.onDatasetVersion === dataset, { type: 'dataset', dataset, version });
  }

  /** Starts the pipelines triggered by an alarm of monitoring schedule `schedule`. */
  async onMonitoringAlarm(schedule: string, seq: number): Promise<string[]> {
    return this.#fire((t) => t.onMonitoringAlarm === schedule, { type: 'monitoring-alarm', schedule, seq });
  }

  async #fire(match: (t: NonNullable<PipelineDefinition['trigger']>) => boolean, trigger: PipelineTriggerInfo): Promise<string[]> {
    const started: string[] = [];
    for (const v of await this.deps.store.pipelines.latestDefinitions()) {
      const def = v.definition as unknown as PipelineDefinition;
      if (!def.trigger || !match(def.trigger)) continue;
      const e = await this.#startQuietly(def.name, def.trigger.parameters, trigger);
      if (e) started.push(e.name);
    }
    return started;
  }

  async #startQuietly(name: string, parameters: Record<string, unknown> | undefined, trigger: PipelineTriggerInfo) {
    try {
      return await this.start(name, { parameters: parameters as StartPipelineExecutionRequest['parameters'] }, trigger);
    } catch (e) {
      this.deps.log.error({ err: e, pipeline: name, trigger }, 'could not start a triggered pipeline execution');
      return undefined;
    }
  }

  /** Stops the cron loop; running executions are left as they are (the next start marks them interrupted). */
  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    const handles = [...this.#running.values()];
    for (const h of handles) h.abort.abort(new ShutdownError('server shutting down'));
    await Promise.all(handles.map((h) => h.done));
  }

  #view(v: PipelineVersionRecord): Promise<Pipeline> {
    return this.deps.store.pipelines.get(v.pipeline).then((p) => ({
      name: p.name, arn: p.arn, version: v.version, latestVersion: p.latestVersion, definition: v.definition, createdAt: p.createdAt.toISOString(), updatedAt: p.updatedAt.toISOString(),
    }));
  }

  #executionView(e: PipelineExecutionRecord, steps?: PipelineStepRecord[]): PipelineExecution {
    const view = {
      name: e.name, arn: e.arn, pipeline: e.pipeline, pipelineVersion: e.pipelineVersion,
      parameters: e.parameters as PipelineExecution['parameters'], trigger: e.trigger, status: e.status,
      ...(e.failureReason ? { failureReason: e.failureReason } : {}),
      steps: (steps ?? []).map(toStepView),
      createdAt: e.createdAt.toISOString(), updatedAt: e.updatedAt.toISOString(),
      ...(e.endedAt ? { endedAt: e.endedAt.toISOString() } : {}),
    };
    return view;
  }
}

const pipelineArn = (name: string) => `arn:stratus:default:pipeline/${name}`;

function toStepView(s: PipelineStepRecord): PipelineStepExecution {
  return {
    name: s.step, type: s.type, status: s.status, attempts: s.attempts,
    ...(s.startedAt ? { startedAt: s.startedAt.toISOString() } : {}),
    ...(s.endedAt ? { endedAt: s.endedAt.toISOString() } : {}),
    ...(s.outputs ? { outputs: s.outputs } : {}),
    ...(s.failureReason ? { failureReason: s.failureReason } : {}),
    ...(s.cachedFrom ? { cachedFrom: s.cachedFrom } : {}),
    ...(s.resources ? { resources: s.resources } : {}),
  };
}
