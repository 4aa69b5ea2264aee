import type { EndpointConfigSpec } from '../serving/model-service.js';
import type { PipelineDefinition, StartPipelineExecutionRequest } from '../contracts/pipeline.js';
import type { EndpointTimeline, RetrainingPolicy, RetrainingPolicyList, RetrainingPolicyListQuery, RetrainingPolicyRequest, TimelineEntry } from '../contracts/retraining.js';
import type { Clock } from '../core/clock.js';
import { failedPrecondition, notFound, validationError } from '../core/errors.js';
import type { PlatformEventMap } from '../core/events.js';
import type { Logger } from '../core/logger.js';
import type { MetadataStore, ResourceRef } from '../store/metadata-store.js';
import { firstMatch, MinuteWindow, parseCron } from '../core/cron.js';
import type { PipelineService, PipelineTriggerInfo } from './pipeline-service.js';

export interface RetrainingDeps {
  store: MetadataStore;
  pipelines: PipelineService;
  clock: Clock;
  log: Logger;
  /** How often the cron loop looks at the clock. @defaultValue 5000 */
  tickMs?: number;
  /** Online evaluations of the endpoint (their start and promotion) on its timeline. */
  onlineEvaluations?: { timelineEntries(endpoint: string): Promise<TimelineEntry[]> };
}

/** What a policy document holds (a resource document of the endpoint's incarnation). */
interface PolicyDocument extends RetrainingPolicyRequest {
  createdAt: string;
  updatedAt: string;
  deleted?: boolean;
}

const KIND = 'endpoint-retraining-policy';

/**
 * The loop (issue 7, item 5): an endpoint's retraining policy, and what starts it — a monitoring
 * alarm of the named schedule (the platform forwards `monitoring.alarm` to `onAlarm`), a cron
 * (`start()`'s loop), or a request. Each execution of the policy's pipeline gets `endpoint` and
 * `productionModel` (the endpoint's heaviest production variant's model) as parameters when the
 * pipeline declares them, and a trigger `{type: 'retraining-policy', endpoint, cause, …}` that the
 * endpoint's timeline finds it by.
 *
 * Policies are stored as a resource document of the endpoint's incarnation (store.resourceDocuments),
 * so they survive a restart, need no table of their own, and an endpoint deleted and created again
 * starts without one.
 */
export class RetrainingService {
  #timer: NodeJS.Timeout | undefined;
  readonly #minutes = new MinuteWindow();

  constructor(private readonly deps: RetrainingDeps) {}

  async #ref(endpoint: string): Promise<ResourceRef> {
    const e = await this.deps.store.endpoints.find(endpoint);
    if (!e) throw notFound('Endpoint', endpoint);
    return { kind: KIND, name: endpoint, createdAt: e.createdAt };
  }

  async #doc(endpoint: string): Promise<PolicyDocument | undefined> {
    const doc = (await this.deps.store.resourceDocuments.find(await this.#ref(endpoint))) as PolicyDocument | undefined;
    return doc && !doc.deleted ? doc : undefined;
  }

  /** Sets (or replaces) the endpoint's policy. @throws NotFound for the endpoint or pipeline; ValidationError for a bad cron or a schedule of another endpoint. */
  async put(endpoint: string, req: RetrainingPolicyRequest): Promise<RetrainingPolicy> {
    const ref = await this.#ref(endpoint);
    await this.deps.pipelines.get(req.pipeline);
    if (req.schedule) {
      try {
        parseCron(req.schedule.cron);
      } catch (e) {
        throw validationError(`schedule.cron: ${(e as Error).message}`, { field: 'schedule.cron' });
      }
    }
    if (req.onAlarmOf) {
      const s = await this.deps.store.monitoring.findSchedule(req.onAlarmOf);
      if (!s) throw notFound('MonitoringSchedule', req.onAlarmOf);
      if ((s.spec as { endpoint?: string }).endpoint !== endpoint) {
        throw validationError(`monitoring schedule '${req.onAlarmOf}' watches endpoint '${String((s.spec as { endpoint?: string }).endpoint)}', not '${endpoint}'`, { field: 'onAlarmOf' });
      }
    }
    const now = this.deps.clock.now().toISOString();
    const before = await this.#doc(endpoint);
    const doc: PolicyDocument = { ...req, createdAt: before?.createdAt ?? now, updatedAt: now };
    await this.deps.store.resourceDocuments.put(ref, doc as unknown as Record<string, unknown>);
    return view(endpoint, doc);
  }

  /** @throws NotFound when the endpoint has no policy. */
  async get(endpoint: string): Promise<RetrainingPolicy> {
    const doc = await this.#doc(endpoint);
    if (!doc) throw notFound('RetrainingPolicy', endpoint);
    return view(endpoint, doc);
  }

  /**
   * The policies of a page of endpoints (so a page may hold fewer than `limit`, with a `nextToken`
   * while endpoints remain); with `endpoint`, that endpoint's policy or none — no 404 for a client
   * asking whether there is one.
   */
  async list(q: RetrainingPolicyListQuery = {}): Promise<RetrainingPolicyList> {
    if (q.endpoint !== undefined) {
      const doc = (await this.deps.store.endpoints.find(q.endpoint)) && (await this.#doc(q.endpoint));
      return { items: doc ? [view(q.endpoint, doc)] : [] };
    }
    const page = await this.deps.store.endpoints.list({ limit: q.limit ?? 50, ...(q.nextToken ? { nextToken: q.nextToken } : {}) });
    const items: RetrainingPolicy[] = [];
    for (const e of page.items) {
      const doc = await this.#doc(e.name).catch(() => undefined);
      if (doc) items.push(view(e.name, doc));
    }
    return { items, ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
  }

  async delete(endpoint: string): Promise<void> {
    const doc = await this.#doc(endpoint);
    if (!doc) throw notFound('RetrainingPolicy', endpoint);
    await this.deps.store.resourceDocuments.put(await this.#ref(endpoint), { ...doc, deleted: true, updatedAt: this.deps.clock.now().toISOString() });
  }

  /** Starts the policy's pipeline now (`cause: 'manual'`), with extra parameters over the policy's. */
  async run(endpoint: string, parameters: Record<string, unknown> = {}) {
    const doc = await this.#doc(endpoint);
    if (!doc) throw notFound('RetrainingPolicy', endpoint);
    return this.#start(endpoint, doc, { type: 'retraining-policy', endpoint, cause: 'manual' }, parameters);
  }

  /** A monitoring alarm: starts the pipeline of the endpoint's policy when it names that schedule. */
  async onAlarm(e: PlatformEventMap['monitoring.alarm']): Promise<string | undefined> {
    const doc = await this.#doc(e.endpoint).catch(() => undefined);
    if (!doc || doc.onAlarmOf !== e.schedule) return undefined;
    const x = await this.#start(e.endpoint, doc, { type: 'retraining-policy', endpoint: e.endpoint, cause: 'monitoring-alarm', schedule: e.schedule, seq: e.seq });
    return x.name;
  }

  async #start(endpoint: string, doc: PolicyDocument, trigger: PipelineTriggerInfo, extra: Record<string, unknown> = {}) {
    const def = (await this.deps.pipelines.get(doc.pipeline)).definition as unknown as PipelineDefinition;
    const declared = new Set((def.parameters ?? []).map((p) => p.name));
    const ep = await this.deps.store.endpoints.get(endpoint);
    const spec = (await this.deps.store.endpointConfigs.get(ep.configName)).spec as unknown as EndpointConfigSpec;
    const production = [...spec.variants].sort((a, b) => b.weight - a.weight)[0]?.model;
    if (!production) throw failedPrecondition(`endpoint '${endpoint}' serves no production variant`);
    const given: Record<string, unknown> = { endpoint, productionModel: production };
    const parameters = Object.fromEntries(Object.entries(given).filter(([k]) => declared.has(k)));
    Object.assign(parameters, doc.parameters ?? {}, extra);
    this.deps.log.info({ endpoint, pipeline: doc.pipeline, trigger }, 'retraining policy starts its pipeline');
    return this.deps.pipelines.start(doc.pipeline, { parameters: parameters as StartPipelineExecutionRequest['parameters'] }, trigger);
  }

  /** Starts the cron loop. */
  start(): void {
    if (this.#timer) return;
    this.#minutes.reset(this.deps.clock.now());
    this.#timer = setInterval(() => void this.tick().catch((e: unknown) => this.deps.log.error({ err: e }, 'retraining schedule tick failed')), this.deps.tickMs ?? 5000);
    this.#timer.unref();
  }

  /** Starts the policies whose cron matched a minute since the last tick (at most once per endpoint and tick). */
  async tick(now = this.deps.clock.now()): Promise<string[]> {
    const window = this.#minutes.advance(now);
    if (!window) return [];
    const started: string[] = [];
    for (let token: string | undefined, first = true; first || token; first = false) {
      const page = await this.deps.store.endpoints.list({ limit: 100, ...(token ? { nextToken: token } : {}) });
      token = page.nextToken;
      for (const e of page.items) {
        const doc = await this.#doc(e.name).catch(() => undefined);
        if (!doc?.schedule) continue;
        const at = firstMatch(parseCron(doc.schedule.cron), window);
        if (!at) continue;
        try {
          started.push((await this.#start(e.name, doc, { type: 'retraining-policy', endpoint: e.name, cause: 'schedule', cron: doc.schedule.cron, at: at.toISOString() })).name);
        } catch (err) {
          this.deps.log.error({ err, endpoint: e.name }, 'could not start a scheduled retraining');
        }
      }
    }
    return started;
  }

  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /**
   * One timeline per endpoint, oldest first: its status history (create, updates, canary steps,
   * rollbacks), the alarms of monitoring schedules on it, the executions its retraining policy
   * started (with their steps), the registry events of the versions deployed to it, and its
   * online evaluations (started, promoted).
   */
  async timeline(endpoint: string): Promise<EndpointTimeline> {
    const { store } = this.deps;
    const items: TimelineEntry[] = [];
    const ep = await store.endpoints.find(endpoint);
    const history = await store.endpointDeployments.history(endpoint);
    if (!ep && history.length === 0) throw notFound('Endpoint', endpoint);
    for (const t of ep?.transitions ?? []) {
      items.push({ at: t.startTime.toISOString(), kind: 'endpoint-status', summary: t.message ? (t.message.startsWith(`${t.status}:`) ? t.message : `${t.status}: ${t.message}`) : t.status, detail: { status: t.status, ...(t.message ? { message: t.message } : {}) } });
    }
    // Monitoring alarms of the schedules watching this endpoint.
    for (let token: string | undefined, first = true; first || token; first = false) {
      const page = await store.monitoring.listSchedules({ limit: 100, ...(token ? { nextToken: token } : {}) });
      token = page.nextToken;
      for (const s of page.items) {
        if ((s.spec as { endpoint?: string }).endpoint !== endpoint) continue;
        for (const a of await store.monitoring.alarms(s.name, { limit: 1000 })) {
          const features = (a.detail.features as string[] | undefined) ?? [];
          const kinds = (a.detail.kinds as string[] | undefined) ?? [];
          items.push({
            at: a.at.toISOString(), kind: 'monitoring-alarm',
            summary: `alarm ${a.seq} of monitoring schedule '${s.name}': ${a.violations} violation(s)${kinds.length ? ` (${kinds.join(', ')})` : ''}${features.length ? ` on ${features.join(', ')}` : ''}`,
            detail: { schedule: s.name, seq: a.seq, violations: a.violations, reportKey: a.reportKey, features, kinds },
          });
        }
      }
    }
    // Executions started for this endpoint by its retraining policy (whatever pipeline it named then).
    const pipelines = new Set<string>();
    const doc = ep ? await this.#doc(endpoint) : undefined;
    if (doc) pipelines.add(doc.pipeline);
    for (const pipeline of pipelines) {
      for (let token: string | undefined, first = true; first || token; first = false) {
        const page = await store.pipelines.listExecutions({ pipeline, limit: 100, ...(token ? { nextToken: token } : {}) });
        token = page.nextToken;
        for (const x of page.items) {
          const trigger = x.trigger as { type?: string; endpoint?: string; cause?: string };
          if (trigger.type !== 'retraining-policy' || trigger.endpoint !== endpoint) continue;
          const steps = await store.pipelines.steps(x.name);
          items.push({
            at: x.createdAt.toISOString(), kind: 'pipeline-execution',
            summary: `pipeline '${pipeline}' execution ${x.name} (${trigger.cause ?? 'policy'}): ${x.status}${x.failureReason ? ` — ${x.failureReason}` : ''}; ${steps.map((s) => `${s.step} ${s.status}`).join(', ')}`,
            detail: {
              execution: x.name, pipeline, status: x.status, trigger: x.trigger, parameters: x.parameters,
              ...(x.endedAt ? { endedAt: x.endedAt.toISOString() } : {}),
              steps: steps.map((s) => ({ name: s.step, type: s.type, status: s.status, ...(s.failureReason ? { reason: s.failureReason } : {}), ...(s.outputs ? { outputs: s.outputs } : {}) })),
            },
          });
        }
      }
    }
    // Registry events of the versions this endpoint served.
    const models = [...new Set(history.flatMap((h) => h.models.map((m) => m.model)))];
    const versions = models.length ? await store.modelRegistry.versionsFrom({ model: models }) : [];
    const byGroup = new Map<string, Set<number>>();
    for (const v of versions) byGroup.set(v.group, (byGroup.get(v.group) ?? new Set()).add(v.version));
    for (const [group, served] of byGroup) {
      for (const e of await store.modelRegistry.events(group, { limit: 10_000 })) {
        const isDeploy = e.type === 'deployed';
        if (isDeploy ? (e.detail as { endpoint?: string }).endpoint !== endpoint : e.version === undefined || !served.has(e.version)) continue;
        const what = isDeploy
          ? `deployed to variant '${String(e.detail.variant)}' (config '${String(e.detail.config)}')`
          : e.type === 'alias_moved' ? `alias '${String(e.detail.alias)}' moved to it` : e.type.replace(/_/g, ' ');
        items.push({
          at: e.at.toISOString(), kind: 'registry',
          summary: `${group} v${e.version ?? '?'}: ${what}${e.actor ? ` by ${e.actor}` : ''}`,
          detail: { group, seq: e.seq, type: e.type, ...(e.version !== undefined ? { version: e.version } : {}), ...(e.actor ? { actor: e.actor } : {}), ...e.detail },
        });
      }
    }
    if (ep && this.deps.onlineEvaluations) items.push(...(await this.deps.onlineEvaluations.timelineEntries(endpoint)));
    const order: Record<string, number> = { 'monitoring-alarm': 0, 'pipeline-execution': 1, 'online-evaluation': 2, 'endpoint-status': 3, registry: 4 };
    items.sort((a, b) => a.at.localeCompare(b.at) || order[a.kind] - order[b.kind]);
    return { endpoint, items };
  }
}

function view(endpoint: string, doc: PolicyDocument): RetrainingPolicy {
  return {
    endpoint, pipeline: doc.pipeline,
    ...(doc.onAlarmOf ? { onAlarmOf: doc.onAlarmOf } : {}),
    ...(doc.schedule ? { schedule: doc.schedule } : {}),
    ...(doc.parameters ? { parameters: doc.parameters } : {}),
    createdAt: doc.createdAt, updatedAt: doc.updatedAt,
  };
}
