import { httpStatusOf, isPlatformError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { CaptureWriter } from './capture.js';
import type { EndpointMetrics, LatencyPercentiles } from './endpoint-metrics.js';
import type { InvokeRequest, InvokeResult } from './runtimes/runtime.js';
import type { VariantPool } from './variant-pool.js';

/**
 * Shadow variants (issue 5, item 3; SageMaker's ShadowProductionVariants). A shadow gets a copy
 * of a sampled share of live requests after the production answer is ready; its answers and
 * errors never reach the caller. Each answer is recorded in the endpoint metrics under the
 * shadow's name, captured when the endpoint captures data, and compared with production's.
 */

/** What the store keeps of a shadow variant, defaults filled in. */
export interface ShadowVariantSpec {
  name: string;
  model: string;
  instanceType: string;
  instanceCount: number;
  samplingPercentage: number;
}

/** Scalar outputs without a label agree when they differ by at most this much. */
export const SHADOW_AGREEMENT_TOLERANCE = 0.01;
/** Shadow requests in flight per shadow variant before more copies are skipped. */
const MAX_IN_FLIGHT = 64;

/** One prediction as the comparison sees it. */
interface Prediction {
  label?: number | string;
  values: number[];
}

/** Parses a model's answer into predictions: JSON (`{predictions:[…]}`, arrays, records with `score`/`predicted_label`), JSON lines or CSV. */
export function parsePredictions(body: Buffer | string, contentType: string | undefined): Prediction[] | undefined {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  const base = (contentType ?? '').split(';')[0].trim().toLowerCase();
  try {
    if (base === 'application/json') {
      const doc: unknown = JSON.parse(text);
      const rows = Array.isArray(doc) ? doc : doc && typeof doc === 'object' && Array.isArray((doc as { predictions?: unknown }).predictions) ? (doc as { predictions: unknown[] }).predictions : [doc];
      return rows.map(toPrediction);
    }
    if (base === 'application/jsonlines' || base === 'application/x-jsonlines') {
      return text.split('\n').filter((l) => l.trim() !== '').map((l) => toPrediction(JSON.parse(l)));
    }
    if (base === 'text/csv' || base === '') {
      return text.split('\n').filter((l) => l.trim() !== '').map((l) => {
        const values = l.split(',').map(Number);
        if (values.some((v) => !Number.isFinite(v))) throw new Error('not numeric');
        return { values };
      });
    }
  } catch {
    return undefined;
  }
  return undefined;
}

function toPrediction(row: unknown): Prediction {
  if (typeof row === 'number') return { values: [row] };
  if (Array.isArray(row)) return { values: row.filter((v): v is number => typeof v === 'number') };
  if (row && typeof row === 'object') {
    const r = row as Record<string, unknown>;
    const label = typeof r.predicted_label === 'number' || typeof r.predicted_label === 'string' ? r.predicted_label : undefined;
    const score = r.score ?? r.scores ?? r.probabilities;
    const values = typeof score === 'number' ? [score]
      : Array.isArray(score) ? score.filter((v): v is number => typeof v === 'number')
      : Object.values(r).flatMap((v) => (typeof v === 'number' ? [v] : Array.isArray(v) ? v.filter((x): x is number => typeof x === 'number') : []));
    return label === undefined ? { values } : { label, values };
  }
  throw new Error('not a prediction');
}

const argmax = (v: number[]) => v.reduce((best, x, i) => (x > v[best] ? i : best), 0);

/** A binary classifier's label from a lone probability (≥ 0.5 is 1), when the other side names labels. */
const thresholded = (p: Prediction) => (p.values.length === 1 && p.values[0] >= 0 && p.values[0] <= 1 ? (p.values[0] >= 0.5 ? 1 : 0) : undefined);

/** Whether two predictions agree: same label, else same argmax, else |diff| ≤ tolerance. */
function agrees(a: Prediction, b: Prediction): boolean {
  if (a.label !== undefined || b.label !== undefined) {
    const la = a.label ?? thresholded(a);
    const lb = b.label ?? thresholded(b);
    if (la !== undefined && lb !== undefined) return la === lb;
  }
  if (a.values.length > 1 && a.values.length === b.values.length) return argmax(a.values) === argmax(b.values);
  if (a.values.length === 1 && b.values.length === 1) return Math.abs(a.values[0] - b.values[0]) <= SHADOW_AGREEMENT_TOLERANCE;
  return false;
}

/** Latency and errors of one side of a comparison, over the last hour. */
export interface ShadowSideStats {
  invocations: number;
  errorRate: number;
  modelLatencyMs: Pick<LatencyPercentiles, 'p50' | 'p99'>;
}

/** The comparison report of one shadow variant against production. */
export interface ShadowComparison {
  variant: string;
  model: string;
  samplingPercentage: number;
  /** Copies sent to the shadow. */
  mirrored: number;
  /** Copies not sent because the shadow already had too many in flight. */
  skipped: number;
  /** Copies sent and not answered yet. */
  inFlight: number;
  /** Copies the shadow failed (never seen by callers). */
  shadowErrors: number;
  /** Requests where both answered and both answers could be read. */
  requestsCompared: number;
  /** Predictions (rows) compared. */
  predictionsCompared: number;
  /** Share of compared predictions that agree; null before any comparison. */
  agreementRate: number | null;
  /** Mean and max |production − shadow| over the compared numeric outputs; null before any. */
  meanAbsoluteDifference: number | null;
  maxAbsoluteDifference: number | null;
  /** Answers that could not be compared (unreadable, or a different number of rows). */
  incomparable: number;
  shadow: ShadowSideStats;
  production: ShadowSideStats;
}

interface Counters {
  mirrored: number;
  skipped: number;
  shadowErrors: number;
  requestsCompared: number;
  predictionsCompared: number;
  agreeing: number;
  diffSum: number;
  diffCount: number;
  diffMax: number;
  incomparable: number;
}

/** One running shadow variant. */
export interface ShadowTarget {
  spec: ShadowVariantSpec;
  pool: VariantPool;
}

export interface ShadowFleetDeps {
  endpoint: string;
  metrics: EndpointMetrics;
  log: Logger;
  /** The capture writer of the shadows' endpoint config, when it captures. */
  capture: () => CaptureWriter | undefined;
  /** @defaultValue Math.random */
  random?: () => number;
}

/** The shadow variants of one endpoint, with their comparison counters. */
export class ShadowFleet {
  #counters: Counters[];
  #inFlight: number[];
  #idle = new Set<() => void>();
  readonly #random: () => number;

  constructor(readonly targets: ShadowTarget[], private readonly deps: ShadowFleetDeps) {
    this.#counters = targets.map(() => ({ mirrored: 0, skipped: 0, shadowErrors: 0, requestsCompared: 0, predictionsCompared: 0, agreeing: 0, diffSum: 0, diffCount: 0, diffMax: 0, incomparable: 0 }));
    this.#inFlight = targets.map(() => 0);
    this.#random = deps.random ?? Math.random;
  }

  /**
   * Copies a sampled share of one request to each shadow, after the caller has its answer
   * (`setImmediate`). Never throws; nothing it does reaches the caller.
   */
  mirror(req: InvokeRequest, production: InvokeResult | undefined, inferenceId: string | undefined): void {
    for (let i = 0; i < this.targets.length; i++) {
      if (!(this.#random() * 100 < this.targets[i].spec.samplingPercentage)) continue;
      if (this.#inFlight[i] >= MAX_IN_FLIGHT) {
        this.#counters[i].skipped++;
        continue;
      }
      this.#inFlight[i]++;
      this.#counters[i].mirrored++;
      setImmediate(() => {
        this.#send(i, req, production, inferenceId)
          .catch((e: unknown) => this.deps.log.warn({ endpoint: this.deps.endpoint, err: e }, 'shadow comparison failed'))
          .finally(() => {
            this.#inFlight[i]--;
            if (this.#inFlight.every((n) => n === 0)) for (const f of this.#idle) f();
          });
      });
    }
  }

  async #send(i: number, req: InvokeRequest, production: InvokeResult | undefined, inferenceId: string | undefined) {
    const { spec, pool } = this.targets[i];
    const c = this.#counters[i];
    const t0 = performance.now();
    let result: InvokeResult;
    try {
      result = await pool.invoke(req);
    } catch (e) {
      const ms = performance.now() - t0;
      c.shadowErrors++;
      const status = isPlatformError(e) ? httpStatusOf(e.code) : 500;
      this.deps.metrics.recordInvocation({ endpoint: this.deps.endpoint, variant: spec.name, status, modelMs: ms, totalMs: ms }, { shadow: true });
      return;
    }
    const ms = performance.now() - t0;
    this.deps.metrics.recordInvocation({ endpoint: this.deps.endpoint, variant: spec.name, status: 200, modelMs: ms, totalMs: ms }, { shadow: true });
    this.deps.capture()?.offer(spec.name, req, result, inferenceId);
    if (production) this.#compare(c, production, result);
  }

  #compare(c: Counters, production: InvokeResult, shadow: InvokeResult) {
    const a = parsePredictions(production.body, production.contentType);
    const b = parsePredictions(shadow.body, shadow.contentType);
    if (!a || !b || a.length !== b.length) {
      c.incomparable++;
      return;
    }
    c.requestsCompared++;
    for (let r = 0; r < a.length; r++) {
      c.predictionsCompared++;
      if (agrees(a[r], b[r])) c.agreeing++;
      const n = Math.min(a[r].values.length, b[r].values.length);
      for (let k = 0; k < n; k++) {
        const d = Math.abs(a[r].values[k] - b[r].values[k]);
        c.diffSum += d;
        c.diffCount++;
        if (d > c.diffMax) c.diffMax = d;
      }
    }
  }

  /** The comparison report of every shadow, with latency and error rates over `windowSeconds`. */
  comparison(windowSeconds = 3600): ShadowComparison[] {
    const { metrics, endpoint } = this.deps;
    const side = (variant: string | undefined): ShadowSideStats => {
      const w = metrics.window(endpoint, variant, windowSeconds);
      return { invocations: w.invocations, errorRate: w.errorRate, modelLatencyMs: { p50: w.modelLatencyMs.p50, p99: w.modelLatencyMs.p99 } };
    };
    const production = side(undefined);
    return this.targets.map(({ spec }, i) => {
      const c = this.#counters[i];
      return {
        variant: spec.name,
        model: spec.model,
        samplingPercentage: spec.samplingPercentage,
        mirrored: c.mirrored,
        skipped: c.skipped,
        inFlight: this.#inFlight[i],
        shadowErrors: c.shadowErrors,
        requestsCompared: c.requestsCompared,
        predictionsCompared: c.predictionsCompared,
        agreementRate: c.predictionsCompared ? c.agreeing / c.predictionsCompared : null,
        meanAbsoluteDifference: c.diffCount ? c.diffSum / c.diffCount : null,
        maxAbsoluteDifference: c.diffCount ? c.diffMax : null,
        incomparable: c.incomparable,
        shadow: side(spec.name),
        production,
      };
    });
  }

  /** Resolves once no shadow request is in flight. */
  idle(): Promise<void> {
    if (this.#inFlight.every((n) => n === 0)) return Promise.resolve();
    return new Promise((resolve) => {
      const f = () => {
        this.#idle.delete(f);
        resolve();
      };
      this.#idle.add(f);
    });
  }

  async stop(): Promise<void> {
    await Promise.all(this.targets.map((t) => t.pool.stop()));
  }
}
