import { createHash } from 'node:crypto';
import type { PipelineStep } from '../contracts/pipeline.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { MetadataStore } from '../store/metadata-store.js';
import type { PipelineStepStatus } from '../store/pipeline-store.js';
import { bodyOf, resolveReferences, type PipelineGraph } from './definition.js';
import { NonRetryableError, reasonOf, runStep, type StepServices } from './steps.js';

/** Raised into running steps when the server shuts down: the execution is left as it is (see recover). */
export class ShutdownError extends Error {}

export interface ExecutionHandle {
  readonly abort: AbortController;
  readonly done: Promise<void>;
}

export interface RunnerDeps {
  store: MetadataStore;
  services: StepServices;
  clock: Clock;
  log: Logger;
}

interface Plan {
  execution: string;
  pipeline: string;
  /** Prefix of the names of resources the steps create (unique per execution). */
  resourcePrefix: string;
  graph: PipelineGraph;
  params: Record<string, unknown>;
}

const FINISHED: ReadonlySet<PipelineStepStatus> = new Set(['Succeeded', 'Failed', 'Skipped', 'Stopped']);

/**
 * Runs one execution: a step starts when every step it depends on has finished, independent steps
 * run in parallel; a step under a condition's branch not taken is Skipped, and so is everything
 * depending on a skipped step. A failed step (after its retries) lets running steps finish, starts
 * nothing more, and fails the execution. Aborting stops the running steps (their jobs too).
 */
export function runExecution(plan: Plan, deps: RunnerDeps): ExecutionHandle {
  const abort = new AbortController();
  const done = execute(plan, deps, abort.signal).catch((e: unknown) => {
    if (abort.signal.reason instanceof ShutdownError) return;
    deps.log.error({ err: e, execution: plan.execution }, 'pipeline execution crashed');
    return finishExecution(deps, plan.execution, 'Failed', `internal error: ${reasonOf(e)}`).catch(() => undefined);
  });
  return { abort, done };
}

async function execute(plan: Plan, deps: RunnerDeps, signal: AbortSignal): Promise<void> {
  const { store, clock, log } = deps;
  const repo = store.pipelines;
  const status = new Map<string, PipelineStepStatus>(plan.graph.order.map((n) => [n, 'Pending']));
  const outputs: Record<string, Record<string, unknown>> = {};
  const running = new Map<string, Promise<void>>();
  let failure: string | undefined;

  const setStep = (name: string, s: PipelineStepStatus, patch: Parameters<typeof repo.updateStep>[2] = {}) => {
    status.set(name, s);
    return repo.updateStep(plan.execution, name, { ...patch, status: s });
  };

  const launch = (step: PipelineStep) => {
    status.set(step.name, 'Executing');
    const p = runWithRetries(step).then(
      (r) => {
        if (r.status === 'Failed' && !failure) failure = `step '${step.name}' failed: ${r.reason}`;
      },
      (e: unknown) => {
        if (!failure) failure = `step '${step.name}' failed: ${reasonOf(e)}`;
      },
    ).finally(() => running.delete(step.name));
    running.set(step.name, p);
  };

  const runWithRetries = async (step: PipelineStep): Promise<{ status: PipelineStepStatus; reason?: string }> => {
    const maxAttempts = step.retry?.maxAttempts ?? 1;
    const backoffMs = (step.retry?.backoffSeconds ?? 1) * 1000;
    const startedAt = clock.now();
    const resources: Record<string, string> = {};
    for (let attempt = 1; ; attempt++) {
      try {
        const body = await pinDatasetVersions(step, resolveReferences(bodyOf(step), plan.params, (n) => outputs[n]) as Record<string, unknown>, deps.services);
        const cacheKey = hashOf({ pipeline: plan.pipeline, step: step.name, type: step.type, body });
        if (step.cache && attempt === 1) {
          const hit = await repo.findCached(cacheKey);
          if (hit) {
            outputs[step.name] = hit.outputs ?? {};
            await setStep(step.name, 'Succeeded', {
              attempts: 0, cacheKey, cachedFrom: hit.execution, outputs: hit.outputs ?? {}, ...(hit.resources ? { resources: hit.resources } : {}),
              startedAt, endedAt: clock.now(),
            });
            log.info({ step: step.name, from: hit.execution }, 'pipeline step reused from cache');
            return { status: 'Succeeded' };
          }
        }
        await setStep(step.name, 'Executing', { attempts: attempt, cacheKey, startedAt, failureReason: null });
        const resourceName = `${plan.resourcePrefix}-${step.name}${attempt > 1 ? `-a${attempt}` : ''}`;
        const result = await runStep(step.type, {
          body, resourceName, execution: plan.execution, params: plan.params, outputs, signal,
          created: async (kind, name) => {
            resources[attempt > 1 && resources[kind] ? `${kind}#${attempt}` : kind] = name;
            await repo.updateStep(plan.execution, step.name, { resources });
          },
        }, deps.services);
        outputs[step.name] = result.outputs;
        await setStep(step.name, 'Succeeded', { outputs: result.outputs, endedAt: clock.now() });
        return { status: 'Succeeded' };
      } catch (e) {
        if (signal.reason instanceof ShutdownError) throw e;
        const reason = reasonOf(e);
        if (signal.aborted) {
          await setStep(step.name, 'Stopped', { failureReason: 'stopped', endedAt: clock.now() });
          return { status: 'Stopped' };
        }
        if (attempt >= maxAttempts || e instanceof NonRetryableError) {
          await setStep(step.name, 'Failed', { failureReason: maxAttempts > 1 ? `${reason} (after ${attempt} attempts)` : reason, endedAt: clock.now() });
          return { status: 'Failed', reason };
        }
        log.warn({ step: step.name, attempt, reason }, 'pipeline step failed; retrying');
        await repo.updateStep(plan.execution, step.name, { failureReason: `attempt ${attempt}: ${reason}` });
        await abortableSleep(backoffMs * 2 ** (attempt - 1), signal);
      }
    }
  };

  for (;;) {
    if (!failure && !signal.aborted) {
      for (const name of plan.graph.order) {
        if (status.get(name) !== 'Pending') continue;
        const deps_ = [...plan.graph.deps.get(name)!];
        if (!deps_.every((d) => FINISHED.has(status.get(d)!))) continue;
        const skippedDep = deps_.find((d) => status.get(d) !== 'Succeeded');
        const branchOff = (plan.graph.branches.get(name) ?? []).find((b) => status.get(b.condition) === 'Succeeded' && outputs[b.condition]?.value !== b.when);
        if (branchOff) await setStep(name, 'Skipped', { failureReason: `condition '${branchOff.condition}' was ${!branchOff.when}`, endedAt: clock.now() });
        else if (skippedDep) await setStep(name, 'Skipped', { failureReason: `step '${skippedDep}' did not succeed`, endedAt: clock.now() });
        else launch(plan.graph.byName.get(name)!);
      }
    }
    if (running.size === 0) {
      // Another pass may have unblocked steps (skips propagate without running anything).
      const progress = !failure && !signal.aborted && plan.graph.order.some((n) => status.get(n) === 'Pending' && [...plan.graph.deps.get(n)!].every((d) => FINISHED.has(status.get(d)!)));
      if (!progress) break;
      continue;
    }
    await Promise.race(running.values());
  }
  if (signal.reason instanceof ShutdownError) return;
  const why = failure ?? (signal.aborted ? 'stopped' : undefined);
  for (const [name, s] of status) {
    if (s === 'Pending') await setStep(name, 'Skipped', { failureReason: `not run: ${why ?? 'unreachable'}`, endedAt: clock.now() });
  }
  if (failure) await finishExecution(deps, plan.execution, 'Failed', failure);
  else if (signal.aborted) await finishExecution(deps, plan.execution, 'Stopped', 'stopped by request');
  else await finishExecution(deps, plan.execution, 'Succeeded');
  log.info({ status: failure ? 'Failed' : signal.aborted ? 'Stopped' : 'Succeeded' }, 'pipeline execution ended');
}

async function finishExecution(deps: RunnerDeps, name: string, status: 'Succeeded' | 'Failed' | 'Stopped', failureReason?: string) {
  const at = deps.clock.now();
  await deps.store.pipelines.updateExecution(name, { status, ...(failureReason ? { failureReason } : {}), endedAt: at }, at);
}

/**
 * Dataset inputs given without a version are pinned to the latest when the step starts, so the
 * cache key changes with new data and the step's record says what it read.
 */
async function pinDatasetVersions(step: PipelineStep, body: Record<string, unknown>, svc: StepServices): Promise<Record<string, unknown>> {
  const latest = async (dataset: unknown) => (await svc.datasets.getVersion(String(dataset))).version;
  if (step.type === 'processing') {
    const inputs = body.inputs as Record<string, { dataset?: string; version?: number }>;
    for (const input of Object.values(inputs)) if (input.dataset !== undefined) input.version ??= await latest(input.dataset);
  }
  if (step.type === 'training') {
    const req = body.request as { inputs?: Array<{ dataset?: string; version?: number }> };
    for (const input of req.inputs ?? []) if (input.dataset && input.version === undefined) input.version = await latest(input.dataset);
  }
  if (step.type === 'evaluation' || step.type === 'transform') {
    const req = body.request as { dataset?: { name?: string; version?: number }; input?: { dataset?: string; version?: number } };
    if (req.dataset?.name && req.dataset.version === undefined) req.dataset.version = await latest(req.dataset.name);
    if (req.input?.dataset && req.input.version === undefined) req.input.version = await latest(req.input.dataset);
  }
  return body;
}

/** sha256 of a canonical JSON (keys sorted). */
export function hashOf(v: unknown): string {
  const canonical = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(canonical);
    if (typeof x === 'object' && x !== null) return Object.fromEntries(Object.keys(x).sort().map((k) => [k, canonical((x as Record<string, unknown>)[k])]));
    return x;
  };
  return createHash('sha256').update(JSON.stringify(canonical(v))).digest('hex');
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}
