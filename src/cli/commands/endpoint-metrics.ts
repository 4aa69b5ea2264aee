import type { Command } from 'commander';
import type { EndpointMetrics, ShadowComparisonReport } from '../../sdk/index.js';
import type { ContextOf } from '../context.js';
import { listTable, section, table } from '../format.js';
import { positiveInt } from '../parse.js';

interface MetricsFlags {
  period?: number;
  window?: number;
}

const BARS = '▁▂▃▄▅▆▇█';

/** A one-line chart of `values` (null: no data, drawn as a space). */
export function sparkline(values: Array<number | null>): string {
  const known = values.filter((v): v is number => v !== null);
  const max = Math.max(0, ...known);
  return values.map((v) => (v === null ? ' ' : max === 0 ? BARS[0] : BARS[Math.min(BARS.length - 1, Math.floor((v / max) * (BARS.length - 1) + 0.5))])).join('');
}

const ms = (v: number | null) => (v === null ? '-' : v < 1 ? v.toPrecision(2) : v.toFixed(1));
const pct = (v: number | null) => (v === null ? '-' : `${(v * 100).toFixed(1)}%`);

/** The per-variant table and sparklines of `stratus endpoints metrics`. */
export function renderMetrics(m: EndpointMetrics): string {
  if (m.variants.length === 0) return `no invocations of ${m.endpoint} in the last ${m.window} s`;
  const rows = m.variants.map((v) => [
    v.shadow ? `${v.variant} (shadow)` : v.variant, v.summary.invocations, v.summary.errors4xx, v.summary.errors5xx, pct(v.summary.errorRate),
    `${ms(v.summary.modelLatencyMs.p50)}/${ms(v.summary.modelLatencyMs.p90)}/${ms(v.summary.modelLatencyMs.p99)}`,
    `${ms(v.summary.overheadLatencyMs.p50)}/${ms(v.summary.overheadLatencyMs.p90)}/${ms(v.summary.overheadLatencyMs.p99)}`,
  ]);
  const out = [`${m.endpoint}: last ${m.window} s, ${m.period} s per point (latency in ms: p50/p90/p99)`, table(['variant', 'invocations', '4xx', '5xx', 'error rate', 'model latency', 'overhead'], rows)];
  const charts = m.variants.flatMap((v) => [
    [`${v.variant} invocations`, sparkline(v.points.map((p) => p.invocations))],
    [`${v.variant} model p99`, sparkline(v.points.map((p) => p.modelLatencyMs.p99))],
  ]);
  out.push(section('over time (oldest left)', table(['series', 'chart'], charts)));
  if (m.capture) out.push(section('data capture', table(['captured', 'dropped', 'written', 'files'], [[m.capture.captured, m.capture.dropped, m.capture.written, m.capture.files]])));
  return out.join('\n');
}

/** The table of `stratus endpoints shadow-comparison`. */
export function renderShadowComparison(r: ShadowComparisonReport): string {
  return listTable(`shadow variants on ${r.endpoint}`, ['shadow', 'mirrored', 'compared', 'agreement', 'mean |diff|', 'max |diff|', 'errors', 'p50 ms (shadow/prod)', 'p99 ms (shadow/prod)'], r.shadows.map((s) => [
    s.variant, s.mirrored, s.requestsCompared, pct(s.agreementRate),
    s.meanAbsoluteDifference === null ? '-' : s.meanAbsoluteDifference.toPrecision(3), s.maxAbsoluteDifference === null ? '-' : s.maxAbsoluteDifference.toPrecision(3),
    `${pct(s.shadow.errorRate)} vs ${pct(s.production.errorRate)}`,
    `${ms(s.shadow.modelLatencyMs.p50)}/${ms(s.production.modelLatencyMs.p50)}`, `${ms(s.shadow.modelLatencyMs.p99)}/${ms(s.production.modelLatencyMs.p99)}`,
  ]));
}

/** `stratus endpoints metrics|shadow-comparison`. */
export function registerEndpointMetrics(endpoints: Command, ctxOf: ContextOf): void {
  endpoints
    .command('metrics <name>')
    .description('invocations, errors and latency per variant (shadows included), with sparklines')
    .option('--period <seconds>', 'seconds per point (default 60; 1 s resolution up to a 300 s window, else 30 s)', positiveInt)
    .option('--window <seconds>', 'how far back, at most 3600 (default 3600)', positiveInt)
    .action(async (name: string, flags: MetricsFlags, cmd: Command) => {
      const ctx = ctxOf(cmd);
      ctx.output(await ctx.client.endpoints.metrics(name, { period: flags.period, window: flags.window }), renderMetrics);
    });

  endpoints
    .command('shadow-comparison <name>')
    .description("how the shadow variants' predictions, latency and errors compare with production")
    .action(async (name: string, _flags: object, cmd: Command) => {
      const ctx = ctxOf(cmd);
      ctx.output(await ctx.client.endpoints.shadowComparison(name), renderShadowComparison);
    });
}
