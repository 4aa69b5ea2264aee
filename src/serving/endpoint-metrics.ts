/**
 * Per-endpoint, per-variant invocation metrics (issue 5, items 2 and 7): counts of invocations,
 * 4xx and 5xx, and the model and overhead latency distributions, kept in memory for the last hour.
 *
 * Memory is bounded and the hot path allocates nothing: each variant owns two rings of time
 * buckets (1 s buckets for the last 5 minutes, 30 s buckets for the last hour), and each bucket a
 * fixed log-scale latency histogram in a typed array. Percentiles are read from the histograms
 * (about ±12 % of the value: bins are 10 per decade). Cumulative totals since start feed the
 * Prometheus exposition (`prometheusText`). On several API nodes, cluster-metrics.ts publishes
 * these buckets (`buckets`) and passes the other nodes' back to `window` and `series` (`remote`).
 */

/** Bins per decade of the latency histograms. */
const PER_DECADE = 10;
/** Upper bound of bin 0, in ms (10 µs). Bin i covers (B·10^((i-1)/10), B·10^(i/10)]. */
const BASE_MS = 0.01;
/** 71 bounded bins up to 100 s, plus one overflow bin. */
export const LATENCY_BINS = 72;
const UPPER_MS = Float64Array.from({ length: LATENCY_BINS }, (_, i) => (i === LATENCY_BINS - 1 ? Infinity : BASE_MS * 10 ** (i / PER_DECADE)));
/** The bins exposed as Prometheus `le` buckets: every 5th (two per decade, 10 µs … 100 s). */
const PROM_BINS = Array.from({ length: 15 }, (_, k) => k * 5);

/** The latency bin of `ms` (for histograms merged with these, e.g. a rollout's, cluster-metrics.ts). */
export const binOf = (ms: number): number => {
  if (!(ms > BASE_MS)) return 0;
  const i = Math.ceil(PER_DECADE * Math.log10(ms / BASE_MS) - 1e-9);
  return i >= LATENCY_BINS ? LATENCY_BINS - 1 : i;
};

/** Counter slots per bucket. */
const C_INV = 0;
const C_4XX = 1;
const C_5XX = 2;
const COUNTERS = 3;

/** A ring of time buckets, each with three counters and two latency histograms. */
class BucketRing {
  readonly counts: Float64Array;
  readonly model: Uint32Array;
  readonly overhead: Uint32Array;
  /** The bucket number (time / bucketSeconds) each slot holds, or -1. */
  readonly epoch: Float64Array;

  constructor(readonly slots: number, readonly bucketSeconds: number) {
    this.counts = new Float64Array(slots * COUNTERS);
    this.model = new Uint32Array(slots * LATENCY_BINS);
    this.overhead = new Uint32Array(slots * LATENCY_BINS);
    this.epoch = new Float64Array(slots).fill(-1);
  }

  /** The slot for bucket `n`, cleared if it held an older bucket. */
  slotFor(n: number): number {
    const s = n % this.slots;
    if (this.epoch[s] !== n) {
      this.epoch[s] = n;
      this.counts.fill(0, s * COUNTERS, (s + 1) * COUNTERS);
      this.model.fill(0, s * LATENCY_BINS, (s + 1) * LATENCY_BINS);
      this.overhead.fill(0, s * LATENCY_BINS, (s + 1) * LATENCY_BINS);
    }
    return s;
  }

  record(nowMs: number, status: number, modelBin: number, overheadBin: number) {
    const s = this.slotFor(Math.floor(nowMs / 1000 / this.bucketSeconds));
    const c = s * COUNTERS;
    this.counts[c + C_INV]++;
    if (status >= 500) this.counts[c + C_5XX]++;
    else if (status >= 400) this.counts[c + C_4XX]++;
    if (modelBin >= 0) this.model[s * LATENCY_BINS + modelBin]++;
    if (overheadBin >= 0) this.overhead[s * LATENCY_BINS + overheadBin]++;
  }

  /** The buckets in [from, to] this ring holds, as plain rows (for publishing, cluster-metrics.ts). */
  exportInto(from: number, to: number, each: (bucket: number, counts: [number, number, number], model: number[], overhead: number[]) => void) {
    for (let n = Math.max(from, to - this.slots + 1); n <= to; n++) {
      const s = n % this.slots;
      if (this.epoch[s] !== n) continue;
      const c = s * COUNTERS;
      const o = s * LATENCY_BINS;
      each(n, [this.counts[c + C_INV], this.counts[c + C_4XX], this.counts[c + C_5XX]], Array.from(this.model.subarray(o, o + LATENCY_BINS)), Array.from(this.overhead.subarray(o, o + LATENCY_BINS)));
    }
  }

  /** Adds buckets [from, to] (bucket numbers) into `acc`. */
  sumInto(from: number, to: number, acc: Accumulator) {
    for (let n = Math.max(from, to - this.slots + 1); n <= to; n++) {
      const s = n % this.slots;
      if (this.epoch[s] !== n) continue;
      const c = s * COUNTERS;
      acc.invocations += this.counts[c + C_INV];
      acc.errors4xx += this.counts[c + C_4XX];
      acc.errors5xx += this.counts[c + C_5XX];
      const o = s * LATENCY_BINS;
      for (let b = 0; b < LATENCY_BINS; b++) {
        acc.model[b] += this.model[o + b];
        acc.overhead[b] += this.overhead[o + b];
      }
    }
  }
}

class Accumulator {
  invocations = 0;
  errors4xx = 0;
  errors5xx = 0;
  readonly model = new Float64Array(LATENCY_BINS);
  readonly overhead = new Float64Array(LATENCY_BINS);

  reset() {
    this.invocations = this.errors4xx = this.errors5xx = 0;
    this.model.fill(0);
    this.overhead.fill(0);
  }

  /** Adds another node's bucket: counts add, and histograms merge exactly (same bins). */
  addRemote(r: RemoteBucket) {
    this.invocations += r.invocations;
    this.errors4xx += r.errors4xx;
    this.errors5xx += r.errors5xx;
    for (let b = 0; b < r.modelLatency.length && b < LATENCY_BINS; b++) this.model[b] += r.modelLatency[b];
    for (let b = 0; b < r.overheadLatency.length && b < LATENCY_BINS; b++) this.overhead[b] += r.overheadLatency[b];
  }
}

/** Another API node's bucket of one series, as the store keeps it (EndpointMetricBucketRecord). */
export interface RemoteBucket {
  kind: 'production' | 'shadow' | 'green';
  series: string;
  resolution: number;
  bucket: number;
  invocations: number;
  errors4xx: number;
  errors5xx: number;
  modelLatency: ArrayLike<number>;
  overheadLatency: ArrayLike<number>;
}

/** One of this node's buckets, to publish. */
export type LocalBucket = Omit<RemoteBucket, 'modelLatency' | 'overheadLatency'> & { endpoint: string; modelLatency: number[]; overheadLatency: number[] };

/** The buckets a window or series reads: numbers from..to (both included) of `resolution` seconds. */
export interface BucketRange {
  resolution: number;
  from: number;
  to: number;
}

/** Latency percentiles in milliseconds; null when nothing was measured. */
export interface LatencyPercentiles {
  p50: number | null;
  p90: number | null;
  p99: number | null;
}

/** What one variant (or a whole endpoint) did over a window. */
export interface MetricsWindow {
  invocations: number;
  /** Requests answered with a 4xx status (bad input, a model's own 4xx, …). */
  errors4xx: number;
  /** Requests answered with a 5xx status (model timeout, no replica, internal). */
  errors5xx: number;
  /** (4xx + 5xx) / invocations; 0 when there were none. */
  errorRate: number;
  /** Time inside the replica (ms). */
  modelLatencyMs: LatencyPercentiles;
  /** Total time minus model time (ms): parsing, routing, serialization. */
  overheadLatencyMs: LatencyPercentiles;
}

/** One invocation as the metrics see it. */
export interface InvocationSample {
  endpoint: string;
  variant: string;
  /** The HTTP status the caller got (200, or the error code's status). */
  status: number;
  /** Time inside the replica in ms; negative when the request never reached one. */
  modelMs: number;
  /** Total time from request arrival to the answer, in ms. */
  totalMs: number;
}

function percentile(hist: Float64Array, total: number, q: number): number | null {
  if (total <= 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let b = 0; b < LATENCY_BINS; b++) {
    const n = hist[b];
    if (n === 0) continue;
    if (seen + n >= rank) {
      const lo = b === 0 ? 0 : UPPER_MS[b - 1];
      const hi = b === LATENCY_BINS - 1 ? UPPER_MS[b - 1] * 10 ** (1 / PER_DECADE) : UPPER_MS[b];
      const frac = Math.min(1, Math.max(0, (rank - seen) / n));
      return Number((lo + (hi - lo) * frac).toPrecision(4));
    }
    seen += n;
  }
  return null;
}

/** p50, p90 and p99 of a histogram over this module's bins, in ms. */
export const percentiles = (hist: Float64Array): LatencyPercentiles => {
  let total = 0;
  for (let b = 0; b < LATENCY_BINS; b++) total += hist[b];
  return { p50: percentile(hist, total, 0.5), p90: percentile(hist, total, 0.9), p99: percentile(hist, total, 0.99) };
};

const toWindow = (a: Accumulator): MetricsWindow => ({
  invocations: a.invocations,
  errors4xx: a.errors4xx,
  errors5xx: a.errors5xx,
  errorRate: a.invocations === 0 ? 0 : (a.errors4xx + a.errors5xx) / a.invocations,
  modelLatencyMs: percentiles(a.model),
  overheadLatencyMs: percentiles(a.overhead),
});

const FINE_SECONDS = 300;
const COARSE_BUCKET = 30;
const HOUR = 3600;

/** The resolution a window of `seconds` is read at: 1 s buckets up to 300 s, else 30 s. */
const resolutionOf = (seconds: number): number => (seconds <= FINE_SECONDS ? 1 : COARSE_BUCKET);

/** The bucket range a window of the last `seconds` covers at `nowMs` (the current bucket included). */
export function windowRange(seconds: number, nowMs: number): BucketRange {
  const s = Math.min(HOUR, Math.max(1, Math.ceil(seconds)));
  const resolution = resolutionOf(s);
  const to = Math.floor(nowMs / 1000 / resolution);
  return { resolution, from: to - Math.ceil(s / resolution) + 1, to };
}

/** How `series` cuts a window into periods: seconds per point and the first and last period numbers. */
export function seriesPlan(periodSeconds: number, windowSeconds: number, nowMs: number) {
  const window = Math.min(HOUR, Math.max(1, Math.floor(windowSeconds)));
  const resolution = resolutionOf(window);
  const period = Math.max(resolution, Math.ceil(periodSeconds / resolution) * resolution);
  const last = Math.floor(nowMs / 1000 / period);
  const first = last - Math.ceil(window / period) + 1;
  return { window, resolution, period, first, last };
}

/** Every bucket a series over (period, window) reads, the summary's included. */
export function seriesRange(periodSeconds: number, windowSeconds: number, nowMs: number): BucketRange {
  const { window, resolution, period, first } = seriesPlan(periodSeconds, windowSeconds, nowMs);
  const summary = windowRange(window, nowMs);
  return { resolution, from: Math.min(summary.from, (first * period) / resolution), to: summary.to };
}

/** Everything kept for one variant. */
class VariantSeries {
  readonly fine = new BucketRing(FINE_SECONDS, 1);
  readonly coarse = new BucketRing(HOUR / COARSE_BUCKET, COARSE_BUCKET);
  /** Since start: invocations, 4xx, 5xx. */
  readonly totals = new Float64Array(COUNTERS);
  readonly modelTotal = new Float64Array(LATENCY_BINS);
  readonly overheadTotal = new Float64Array(LATENCY_BINS);
  modelSumMs = 0;
  overheadSumMs = 0;

  constructor(readonly shadow: boolean) {}
}

/** A point of a metrics time series. */
export interface MetricsPoint extends MetricsWindow {
  /** Start of the period (ISO 8601). */
  timestamp: string;
}

export interface VariantMetricsSeries {
  variant: string;
  /** True for a shadow variant (its answers never reached callers). */
  shadow: boolean;
  /** Totals over the whole window. */
  summary: MetricsWindow;
  points: MetricsPoint[];
}

export interface EndpointMetricsOptions {
  /** Milliseconds since the epoch. @defaultValue Date.now */
  now?: () => number;
}

/**
 * The metrics registry of every endpoint. One per platform (built in `platform.ts`); the invoke
 * path calls `recordInvocation`, alarms and autoscaling read `window`.
 *
 * @example
 * metrics.recordInvocation({ endpoint: 'churn', variant: 'blue', status: 200, modelMs: 0.4, totalMs: 0.9 });
 * metrics.window('churn', 'blue', 60).errorRate;
 */
export class EndpointMetrics {
  #series = new Map<string, Map<string, VariantSeries>>();
  #acc = new Accumulator();
  readonly #now: () => number;

  constructor(opts: EndpointMetricsOptions = {}) {
    this.#now = opts.now ?? Date.now;
  }

  /** Records one finished invocation. Allocation-free once the variant has been seen. */
  recordInvocation(s: InvocationSample, opts?: { shadow?: boolean }): void {
    const v = this.#variant(s.endpoint, s.variant, opts?.shadow ?? false);
    const now = this.#now();
    const hasModel = s.modelMs >= 0;
    const overheadMs = hasModel ? Math.max(0, s.totalMs - s.modelMs) : s.totalMs;
    const mb = hasModel ? binOf(s.modelMs) : -1;
    const ob = binOf(overheadMs);
    v.fine.record(now, s.status, mb, ob);
    v.coarse.record(now, s.status, mb, ob);
    v.totals[C_INV]++;
    if (s.status >= 500) v.totals[C_5XX]++;
    else if (s.status >= 400) v.totals[C_4XX]++;
    if (hasModel) {
      v.modelTotal[mb]++;
      v.modelSumMs += s.modelMs;
    }
    v.overheadTotal[ob]++;
    v.overheadSumMs += overheadMs;
  }

  /**
   * What happened over the last `seconds` (up to 3600; the current, partial 1 s or 30 s
   * bucket included). Windows up to 300 s are read at 1 s resolution, longer ones at 30 s.
   * Without `variant`, sums every production variant (shadows excluded). `remote`: other
   * nodes' buckets of this endpoint to add (those outside {@link windowRange} are ignored).
   */
  window(endpoint: string, variant: string | undefined, seconds: number, remote: readonly RemoteBucket[] = []): MetricsWindow {
    const acc = this.#acc;
    acc.reset();
    const variants = this.#series.get(endpoint);
    const now = this.#now();
    if (variants) {
      for (const [name, v] of variants) {
        if (variant !== undefined ? name !== variant : v.shadow) continue;
        this.#sum(v, now, seconds, acc);
      }
    }
    const range = windowRange(seconds, now);
    for (const r of remote) {
      if (r.kind === 'green' || (variant !== undefined ? r.series !== variant : r.kind === 'shadow')) continue;
      if (inRange(r, range)) acc.addRemote(r);
    }
    return toWindow(acc);
  }

  /** The variants with metrics on `endpoint` (here, or in `remote` buckets), production first. */
  variants(endpoint: string, remote: readonly RemoteBucket[] = []): Array<{ name: string; shadow: boolean }> {
    const vs = [...(this.#series.get(endpoint) ?? new Map<string, VariantSeries>())].map(([name, v]) => ({ name, shadow: v.shadow }));
    for (const r of remote) {
      if (r.kind !== 'green' && !vs.some((v) => v.name === r.series)) vs.push({ name: r.series, shadow: r.kind === 'shadow' });
    }
    return vs.sort((a, b) => Number(a.shadow) - Number(b.shadow));
  }

  /** Names of the endpoints with metrics here. */
  endpoints(): string[] {
    return [...this.#series.keys()];
  }

  /**
   * Time series per variant over the last `windowSeconds`, one point per `periodSeconds`
   * (rounded up to the resolution: 1 s for windows up to 300 s, else 30 s), oldest first.
   * `remote`: other nodes' buckets of this endpoint to add ({@link seriesRange} covers them).
   */
  series(endpoint: string, periodSeconds: number, windowSeconds: number, remote: readonly RemoteBucket[] = []): { period: number; window: number; variants: VariantMetricsSeries[] } {
    const now = this.#now();
    const { window, resolution: res, period, first, last } = seriesPlan(periodSeconds, windowSeconds, now);
    const summaryRange = windowRange(window, now);
    const variants = this.#series.get(endpoint) ?? new Map<string, VariantSeries>();
    const acc = this.#acc;
    const out: VariantMetricsSeries[] = [];
    for (const { name, shadow } of this.variants(endpoint, remote)) {
      const v = variants.get(name);
      const theirs = remote.filter((r) => r.series === name && r.kind === (shadow ? 'shadow' : 'production') && r.resolution === res);
      const byPeriod = new Map<number, RemoteBucket[]>();
      for (const r of theirs) {
        const p = Math.floor((r.bucket * res) / period);
        byPeriod.set(p, [...(byPeriod.get(p) ?? []), r]);
      }
      const points: MetricsPoint[] = [];
      for (let p = first; p <= last; p++) {
        acc.reset();
        v?.[res === 1 ? 'fine' : 'coarse'].sumInto((p * period) / res, ((p + 1) * period) / res - 1, acc);
        for (const r of byPeriod.get(p) ?? []) acc.addRemote(r);
        points.push({ timestamp: new Date(p * period * 1000).toISOString(), ...toWindow(acc) });
      }
      acc.reset();
      if (v) this.#sum(v, now, window, acc);
      for (const r of theirs) if (inRange(r, summaryRange)) acc.addRemote(r);
      out.push({ variant: name, shadow, summary: toWindow(acc), points });
    }
    return { period, window, variants: out };
  }

  /**
   * This node's buckets of `resolution` seconds numbered from..to, every endpoint and variant
   * (what cluster-metrics.ts publishes). Allocates: not for the request path.
   */
  buckets(resolution: number, from: number, to: number): LocalBucket[] {
    const out: LocalBucket[] = [];
    for (const [endpoint, variants] of this.#series) {
      for (const [series, v] of variants) {
        const kind = v.shadow ? 'shadow' : 'production';
        (resolution === 1 ? v.fine : v.coarse).exportInto(from, to, (bucket, [invocations, errors4xx, errors5xx], modelLatency, overheadLatency) =>
          out.push({ endpoint, kind, series, resolution, bucket, invocations, errors4xx, errors5xx, modelLatency, overheadLatency }),
        );
      }
    }
    return out;
  }

  /** Forgets an endpoint (deleted). */
  drop(endpoint: string): void {
    this.#series.delete(endpoint);
  }

  /**
   * Prometheus text exposition (format 0.0.4) of every endpoint's counters and latency
   * histograms since the server started.
   */
  prometheusText(): string {
    const lines: string[] = [];
    const each = (f: (labels: string, v: VariantSeries) => void) => {
      for (const [endpoint, variants] of this.#series) {
        for (const [variant, v] of variants) f(`endpoint="${esc(endpoint)}",variant="${esc(variant)}",shadow="${v.shadow}"`, v);
      }
    };
    lines.push('# HELP stratus_endpoint_invocations_total Invocations of an endpoint variant.', '# TYPE stratus_endpoint_invocations_total counter');
    each((l, v) => lines.push(`stratus_endpoint_invocations_total{${l}} ${v.totals[C_INV]}`));
    lines.push('# HELP stratus_endpoint_invocation_errors_total Invocations answered with an error, by status class.', '# TYPE stratus_endpoint_invocation_errors_total counter');
    each((l, v) => {
      lines.push(`stratus_endpoint_invocation_errors_total{${l},class="4xx"} ${v.totals[C_4XX]}`);
      lines.push(`stratus_endpoint_invocation_errors_total{${l},class="5xx"} ${v.totals[C_5XX]}`);
    });
    const histogram = (name: string, help: string, pick: (v: VariantSeries) => [Float64Array, number]) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} histogram`);
      each((l, v) => {
        const [hist, sumMs] = pick(v);
        let cum = 0;
        let b = 0;
        for (const top of PROM_BINS) {
          for (; b <= top; b++) cum += hist[b];
          lines.push(`${name}_bucket{${l},le="${(UPPER_MS[top] / 1000).toPrecision(3).replace(/\.?0+(e|$)/, '$1')}"} ${cum}`);
        }
        for (; b < LATENCY_BINS; b++) cum += hist[b];
        lines.push(`${name}_bucket{${l},le="+Inf"} ${cum}`, `${name}_sum{${l}} ${sumMs / 1000}`, `${name}_count{${l}} ${cum}`);
      });
    };
    histogram('stratus_endpoint_model_latency_seconds', 'Time inside the replica.', (v) => [v.modelTotal, v.modelSumMs]);
    histogram('stratus_endpoint_overhead_latency_seconds', 'Time spent outside the replica (total minus model).', (v) => [v.overheadTotal, v.overheadSumMs]);
    return lines.join('\n') + '\n';
  }

  #sum(v: VariantSeries, now: number, seconds: number, acc: Accumulator) {
    const { resolution, from, to } = windowRange(seconds, now);
    (resolution === 1 ? v.fine : v.coarse).sumInto(from, to, acc);
  }

  #variant(endpoint: string, variant: string, shadow: boolean): VariantSeries {
    let vs = this.#series.get(endpoint);
    if (!vs) this.#series.set(endpoint, (vs = new Map()));
    let v = vs.get(variant);
    if (!v) vs.set(variant, (v = new VariantSeries(shadow)));
    return v;
  }
}

const inRange = (r: RemoteBucket, range: BucketRange) => r.resolution === range.resolution && r.bucket >= range.from && r.bucket <= range.to;

/**
 * Adds `node="<id>"` to every sample of a text exposition. In cluster mode each node exposes its
 * own counts; the label keeps two nodes' series apart however they are scraped.
 */
export function withNodeLabel(text: string, node: string): string {
  const label = `node="${esc(node)}"`;
  return text.replace(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{?)/gm, (_m, name: string, brace: string) => (brace ? `${name}{${label},` : `${name}{${label}}`));
}

const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
