import type { RollbackAlarm } from '../contracts/deployment.js';
import { httpStatusOf, PlatformError } from '../core/errors.js';

/** Counts and latency percentiles of the requests one fleet (or variant) answered over a window. */
export interface WindowStats {
  invocations: number;
  /** Every failed request, the caller's (4xx) and the server's or model's (5xx). */
  errors: number;
  /** Failures that are not the caller's fault: see {@link isServerFault}. */
  errors5xx: number;
  p50LatencyMs: number;
  p90LatencyMs: number;
  p99LatencyMs: number;
}

/**
 * True when a failed invocation is the server's or the model's fault, not the caller's: the
 * platform's 5xx codes, and a ModelError unless the model itself answered a 4xx. SageMaker's
 * Invocation5XXErrors counts the same way (its ModelError is a 424 to the caller).
 */
export function isServerFault(e: unknown): boolean {
  if (!(e instanceof PlatformError)) return true;
  if (e.code === 'ModelError') {
    const original = Number(e.details?.originalStatusCode);
    return !(original >= 400 && original < 500);
  }
  return httpStatusOf(e.code) >= 500;
}

/** One second of outcomes: counts, and every latency (ms) in arrival order. */
export interface OutcomeBucket {
  second: number;
  invocations: number;
  errors: number;
  errors5xx: number;
  latencies: number[];
}

/**
 * Outcomes of requests in one-second buckets, kept for `retainSeconds`. Small and exact (every
 * latency of the window is kept), which suits the fleets of one rollout.
 */
export class OutcomeWindow {
  #buckets: OutcomeBucket[] = [];

  constructor(private readonly retainSeconds = 3600, private readonly now: () => number = Date.now) {}

  record(latencyMs: number, outcome: 'ok' | '4xx' | '5xx') {
    const second = Math.floor(this.now() / 1000);
    let b = this.#buckets.at(-1);
    if (!b || b.second !== second) {
      b = { second, invocations: 0, errors: 0, errors5xx: 0, latencies: [] };
      this.#buckets.push(b);
      const oldest = second - this.retainSeconds;
      while (this.#buckets[0].second < oldest) this.#buckets.shift();
    }
    b.invocations++;
    if (outcome !== 'ok') b.errors++;
    if (outcome === '5xx') b.errors5xx++;
    b.latencies.push(latencyMs);
  }

  /** The per-second buckets of seconds from..to (epoch seconds, both included), oldest first. */
  buckets(from: number, to: number): ReadonlyArray<Readonly<OutcomeBucket>> {
    return this.#buckets.filter((b) => b.second >= from && b.second <= to);
  }

  /** The last `seconds` seconds, the current (partial) second included. */
  window(seconds: number): WindowStats {
    const from = Math.floor(this.now() / 1000) - seconds + 1;
    const stats = { invocations: 0, errors: 0, errors5xx: 0 };
    const latencies: number[] = [];
    for (const b of this.#buckets) {
      if (b.second < from) continue;
      stats.invocations += b.invocations;
      stats.errors += b.errors;
      stats.errors5xx += b.errors5xx;
      for (const l of b.latencies) latencies.push(l);
    }
    latencies.sort((a, b) => a - b);
    return { ...stats, p50LatencyMs: percentile(latencies, 0.5), p90LatencyMs: percentile(latencies, 0.9), p99LatencyMs: percentile(latencies, 0.99) };
  }
}

/** Nearest-rank percentile of sorted values; 0 for none. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** An alarm that fired: what it saw. */
export interface AlarmBreach {
  alarm: RollbackAlarm;
  value: number;
  invocations: number;
}

/** The alarm's metric over `stats`; undefined when the window holds no request (never breaches). */
export function alarmValue(alarm: RollbackAlarm, stats: WindowStats): number | undefined {
  if (stats.invocations === 0) return undefined;
  switch (alarm.metric) {
    case 'errorRate':
      return stats.errors / stats.invocations;
    case '5xxRate':
      return stats.errors5xx / stats.invocations;
    case 'p99LatencyMs':
      return stats.p99LatencyMs;
  }
}

/** The first alarm whose metric is above its threshold, reading each alarm's own window. */
export function firstBreach(alarms: readonly RollbackAlarm[], windowOf: (seconds: number) => WindowStats): AlarmBreach | undefined {
  for (const alarm of alarms) {
    const stats = windowOf(alarm.windowSeconds);
    const value = alarmValue(alarm, stats);
    if (value !== undefined && value > alarm.threshold) return { alarm, value, invocations: stats.invocations };
  }
  return undefined;
}

/** e.g. `alarm 'errors' (errorRate 0.5 > 0.05 over 10 s, 12 requests)` */
export function describeBreach(b: AlarmBreach): string {
  const value = Number.isInteger(b.value) || b.value >= 100 ? String(Math.round(b.value)) : b.value.toPrecision(3).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
  return `alarm '${b.alarm.name}' (${b.alarm.metric} ${value} > ${b.alarm.threshold} over ${b.alarm.windowSeconds} s, ${b.invocations} request${b.invocations === 1 ? '' : 's'})`;
}
