import type { Logger } from '../core/logger.js';
import type { EndpointMetricBucketRecord, EndpointMetricsRepository } from '../store/metadata-store.js';
import type { OutcomeBucket, OutcomeWindow, WindowStats } from './alarms.js';
import {
  binOf,
  LATENCY_BINS,
  percentiles,
  seriesRange,
  windowRange,
  type EndpointMetrics,
  type MetricsWindow,
  type VariantMetricsSeries,
} from './endpoint-metrics.js';

/**
 * Cluster-wide endpoint metrics (docs/cluster.md, "Metrics, alarms and autoscaling"). Every
 * API node keeps its own invocations in memory (EndpointMetrics, and each update's green
 * OutcomeWindow); this publishes them to the store every second as one row per node, endpoint,
 * series and time bucket (1 s and 30 s), read from those aggregated structures, never per
 * request. Readers add the other nodes' rows to their own memory: counts sum, and latency
 * histograms merge exactly because every node bins alike. Only built in cluster mode.
 */

/** 1 s buckets are read for windows up to this many seconds; 30 s buckets for up to an hour. */
const FINE_SECONDS = 300;
const COARSE = 30;
const HOUR = 3600;
/** How often old rows are pruned (every node prunes; a delete of nothing is cheap). */
const PRUNE_EVERY_MS = 30_000;

/** An update's new config as this node routes to it: its key and its requests here. */
export interface GreenSource {
  endpoint: string;
  rollout: { readonly plan: { config: string; startedAt: Date }; readonly greenStats: OutcomeWindow };
}

/** The series name of an update's green rows: the config and the update's start, unique per update. */
export const greenSeries = (plan: { config: string; startedAt: Date }) => `${plan.config}@${plan.startedAt.toISOString()}`;

export interface ClusterMetricsDeps {
  store: { endpointMetrics: EndpointMetricsRepository };
  metrics: EndpointMetrics;
  /** This node; its id is read at each publish (it is set once the server listens). */
  node: { readonly id: string };
  /** The updates this node routes now (driving or following). */
  rollouts: () => Iterable<GreenSource>;
  log: Logger;
  /** Milliseconds since the epoch; the same clock as `metrics`'. @defaultValue Date.now */
  now?: () => number;
  /** @defaultValue 1000 */
  publishEveryMs?: number;
}

type Row = EndpointMetricBucketRecord;

const rowKey = (r: Pick<Row, 'endpoint' | 'kind' | 'series' | 'resolution' | 'bucket'>) => `${r.endpoint}\n${r.kind}\n${r.series}\n${r.resolution}\n${r.bucket}`;

export class ClusterMetrics {
  readonly #deps: ClusterMetricsDeps;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> = Promise.resolve();
  /** Invocations last written per row key, for the rows the next publish may write again. */
  #written = new Map<string, number>();
  /** The second of the last successful publish: its bucket may have grown since. */
  #since: number | undefined;
  /** Endpoints this node has rows of; an endpoint gone from memory loses its rows. */
  #endpoints = new Set<string>();
  #prunedAt = 0;

  constructor(deps: ClusterMetricsDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
  }

  /** Publishes every `publishEveryMs` until stop(). */
  start(): void {
    if (this.#timer) return;
    const every = this.#deps.publishEveryMs ?? 1000;
    const loop = () => {
      this.#running = this.publish()
        .catch((err: unknown) => this.#deps.log.warn({ err }, 'publishing endpoint metrics failed'))
        .finally(() => {
          if (this.#timer) this.#timer = setTimeout(loop, every);
        });
    };
    this.#timer = setTimeout(loop, every);
  }

  /** Stops the loop after one last publish, so the requests of the last second count too. */
  async stop(): Promise<void> {
    const wasRunning = this.#timer !== undefined;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
    if (wasRunning) await this.publish().catch((err: unknown) => this.#deps.log.warn({ err }, 'publishing endpoint metrics failed'));
  }

  /**
   * Writes this node's buckets changed since the last publish (the bucket it was in included:
   * requests may have landed in it after), then forgets the rows of endpoints it dropped and,
   * every 30 s, prunes rows past their window.
   */
  async publish(): Promise<void> {
    const now = this.#now();
    const second = Math.floor(now / 1000);
    const since = this.#since ?? second - FINE_SECONDS;
    const candidates = [
      ...this.#deps.metrics.buckets(1, since, second),
      ...this.#deps.metrics.buckets(COARSE, Math.floor(since / COARSE), Math.floor(second / COARSE)),
      ...this.#greenBuckets(since, second),
    ];
    const node = this.#deps.node.id;
    const written = new Map<string, number>();
    const rows: Row[] = [];
    for (const c of candidates) {
      const key = rowKey(c);
      written.set(key, c.invocations);
      // Counts only grow within a bucket: the same count means the same row.
      if (this.#written.get(key) !== c.invocations) rows.push({ ...c, node });
    }
    await this.#deps.store.endpointMetrics.put(rows);
    this.#written = written;
    this.#since = second;
    await this.#forgetDropped(node, rows);
    if (now - this.#prunedAt >= PRUNE_EVERY_MS) {
      this.#prunedAt = now;
      // A few buckets more than a window reads, for clocks a little apart.
      await this.#deps.store.endpointMetrics.prune(1, second - FINE_SECONDS - 5);
      await this.#deps.store.endpointMetrics.prune(COARSE, Math.floor(second / COARSE) - HOUR / COARSE - 1);
    }
  }

  /** Cluster-wide: what `variant` (or every production variant) did over the last `seconds`. */
  async window(endpoint: string, variant: string | undefined, seconds: number): Promise<MetricsWindow> {
    const range = windowRange(seconds, this.#now());
    const remote = await this.#deps.store.endpointMetrics.rows({
      endpoint, ...range, excludeNode: this.#deps.node.id,
      ...(variant === undefined ? { kind: 'production' as const } : { series: variant }),
    });
    return this.#deps.metrics.window(endpoint, variant, seconds, remote);
  }

  /** Cluster-wide time series per variant (GET /endpoints/{name}/metrics). */
  async series(endpoint: string, periodSeconds: number, windowSeconds: number): Promise<{ period: number; window: number; variants: VariantMetricsSeries[] }> {
    const range = seriesRange(periodSeconds, windowSeconds, this.#now());
    const remote = await this.#deps.store.endpointMetrics.rows({ endpoint, ...range, excludeNode: this.#deps.node.id });
    return this.#deps.metrics.series(endpoint, periodSeconds, windowSeconds, remote);
  }

  /**
   * Cluster-wide outcomes of an update's new config over the last `seconds`, for its rollback
   * alarms: every node's green requests. Percentiles come from the merged histograms (within
   * about 12 %), where one node reads its exact latencies.
   */
  async greenWindow(endpoint: string, rollout: GreenSource['rollout'], seconds: number): Promise<WindowStats> {
    const range = windowRange(seconds, this.#now());
    const remote = await this.#deps.store.endpointMetrics
      .rows({ endpoint, ...range, kind: 'green', series: greenSeries(rollout.plan), excludeNode: this.#deps.node.id })
      .catch((err: unknown) => {
        // The update goes on, judged on this node's requests until the store answers again.
        this.#deps.log.warn({ err, endpoint }, "could not read other nodes' requests for the rollback alarms");
        return [];
      });
    const local = rollout.greenStats.buckets(range.from * range.resolution, (range.to + 1) * range.resolution - 1);
    const hist = new Float64Array(LATENCY_BINS);
    const stats = { invocations: 0, errors: 0, errors5xx: 0 };
    for (const b of local) {
      stats.invocations += b.invocations;
      stats.errors += b.errors;
      stats.errors5xx += b.errors5xx;
      for (const ms of b.latencies) hist[binOf(ms)]++;
    }
    for (const r of remote) {
      stats.invocations += r.invocations;
      stats.errors += r.errors4xx + r.errors5xx;
      stats.errors5xx += r.errors5xx;
      for (let i = 0; i < r.modelLatency.length && i < LATENCY_BINS; i++) hist[i] += r.modelLatency[i];
    }
    const p = percentiles(hist);
    return { ...stats, p50LatencyMs: p.p50 ?? 0, p90LatencyMs: p.p90 ?? 0, p99LatencyMs: p.p99 ?? 0 };
  }

  /** This node's green requests of every update it routes, as rows: 1 s buckets and 30 s sums. */
  #greenBuckets(since: number, second: number): Omit<Row, 'node'>[] {
    const out: Omit<Row, 'node'>[] = [];
    for (const { endpoint, rollout } of this.#deps.rollouts()) {
      const series = greenSeries(rollout.plan);
      const base = { endpoint, kind: 'green' as const, series };
      for (const b of rollout.greenStats.buckets(since, second)) out.push({ ...base, resolution: 1, bucket: b.second, ...greenCounts([b]) });
      const firstCoarse = Math.floor(since / COARSE);
      const coarse = rollout.greenStats.buckets(firstCoarse * COARSE, second);
      for (let c = firstCoarse; c <= Math.floor(second / COARSE); c++) {
        const inside = coarse.filter((b) => Math.floor(b.second / COARSE) === c);
        if (inside.length) out.push({ ...base, resolution: COARSE, bucket: c, ...greenCounts(inside) });
      }
    }
    return out;
  }

  /** Deletes this node's rows of endpoints it no longer has metrics of (deleted, or removed here). */
  async #forgetDropped(node: string, rows: readonly Row[]) {
    const local = new Set(this.#deps.metrics.endpoints());
    for (const r of rows) this.#endpoints.add(r.endpoint);
    for (const endpoint of this.#endpoints) {
      if (local.has(endpoint) || rows.some((r) => r.endpoint === endpoint)) continue;
      await this.#deps.store.endpointMetrics.deleteNodeEndpoint(node, endpoint);
      this.#endpoints.delete(endpoint);
    }
  }
}

/** Counts and a latency histogram (in the model slot) of some seconds of green outcomes. */
function greenCounts(buckets: readonly Readonly<OutcomeBucket>[]) {
  const modelLatency = new Array<number>(LATENCY_BINS).fill(0);
  let invocations = 0;
  let errors = 0;
  let errors5xx = 0;
  for (const b of buckets) {
    invocations += b.invocations;
    errors += b.errors;
    errors5xx += b.errors5xx;
    for (const ms of b.latencies) modelLatency[binOf(ms)]++;
  }
  return { invocations, errors4xx: errors - errors5xx, errors5xx, modelLatency, overheadLatency: [] as number[] };
}
