import type { LogMetricsRequest, LogParamsRequest } from '../contracts/training-job.js';
import type { Clock } from '../core/clock.js';
import { failedPrecondition, validationError } from '../core/errors.js';
import type { MetadataStore, MetricPoint } from '../store/metadata-store.js';

/*
 * What a running job logs through the API (`POST /training-jobs/:name/metrics|params`, usually
 * with its own STRATUS_JOB_TOKEN): metric points go to the same series as the regex metrics of
 * its log, params beside its hyperparameters.
 */

interface Deps {
  store: MetadataStore;
  clock: Clock;
}

async function requireInProgress(store: MetadataStore, name: string, what: string) {
  const job = await store.trainingJobs.get(name);
  if (job.status !== 'InProgress') {
    throw failedPrecondition(`training job '${name}' is ${job.status}; ${what} can be logged only while it is InProgress`, { status: job.status });
  }
}

/**
 * Appends points to the job's metric series. A point without a step gets the one after the last
 * step of its metric (0 for the first), counting the points before it in the same request.
 * @throws ValidationError for a value that is not a finite number or a bad timestamp; NotFound;
 *   FailedPrecondition (409) when the job is not InProgress.
 */
export async function logMetrics({ store, clock }: Deps, name: string, req: LogMetricsRequest): Promise<{ recorded: number }> {
  req.metrics.forEach((m, i) => {
    if (typeof m.value !== 'number' || !Number.isFinite(m.value)) {
      throw validationError(`metrics[${i}].value must be a finite number, got ${JSON.stringify(m.value)}`, { field: `metrics[${i}].value` });
    }
    if (m.timestamp !== undefined && Number.isNaN(Date.parse(m.timestamp))) {
      throw validationError(`metrics[${i}].timestamp is not a date-time: ${m.timestamp}`, { field: `metrics[${i}].timestamp` });
    }
  });
  await requireInProgress(store, name, 'metrics');
  const unstepped = [...new Set(req.metrics.filter((m) => m.step === undefined).map((m) => m.name))];
  const next = new Map([...(await store.runs.lastSteps(name, unstepped))].map(([k, v]) => [k, v + 1]));
  const now = clock.now();
  const points: MetricPoint[] = req.metrics.map((m) => {
    const step = m.step ?? next.get(m.name) ?? 0;
    if (m.step === undefined) next.set(m.name, step + 1);
    return { name: m.name, value: m.value, step, timestamp: m.timestamp ? new Date(m.timestamp) : now };
  });
  await store.trainingJobs.appendMetrics(name, points);
  return { recorded: points.length };
}

/** Records params on the run (values as strings; a name logged again takes the new value). */
export async function logParams({ store, clock }: Deps, name: string, req: LogParamsRequest): Promise<{ recorded: number }> {
  await requireInProgress(store, name, 'params');
  const params = Object.fromEntries(Object.entries(req.params).map(([k, v]) => [k, String(v)]));
  await store.runs.logParams(name, params, clock.now());
  return { recorded: Object.keys(params).length };
}

/**
 * Fastify coerces types before validating (`null` would become 0): the raw body's metric values
 * must already be numbers. Run as the route's preValidation.
 */
export function checkRawMetricValues(body: unknown): void {
  const metrics = (body as { metrics?: unknown } | null)?.metrics;
  if (!Array.isArray(metrics)) return;
  metrics.forEach((m: unknown, i) => {
    const value = (m as { value?: unknown } | null)?.value;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw validationError(`metrics[${i}].value must be a finite number, got ${JSON.stringify(value) ?? 'nothing'}`, { field: `metrics[${i}].value` });
    }
  });
}
