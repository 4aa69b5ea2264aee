import { useState } from 'react';
import { api } from '../../lib/api.js';
import { useLoad } from '../../lib/hooks.js';
import type { VariantMetrics } from '../../../../src/sdk/types.js';
import { ErrorNotice } from '../../components/ErrorNotice.js';
import { COLORS, LineChart, type Series } from '../../components/LineChart.js';
import { fmtNum } from '../../components/Status.js';

/** Windows offered, with a period that gives a readable number of points. */
const WINDOWS = [
  { label: 'Last 5 minutes', window: 300, period: 10 },
  { label: 'Last 15 minutes', window: 900, period: 30 },
  { label: 'Last hour', window: 3600, period: 60 },
];
const ms = (v: number | null) => (v === null ? '—' : `${fmtNum(Math.round(v * 10) / 10)} ms`);
const pct = (v: number) => `${(v * 100).toFixed(v > 0 && v < 0.01 ? 2 : 1)} %`;

function clock(withSeconds: boolean) {
  return (t: number) => new Date(t * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', ...(withSeconds ? { second: '2-digit' } : {}) });
}

const label = (v: VariantMetrics) => (v.shadow ? `${v.variant} (shadow)` : v.variant);
const at = (ts: string) => Date.parse(ts) / 1000;

/** Per-variant traffic, errors and latency from the endpoint's own metrics (GET …/metrics). */
export function EndpointMetricsPanel({ name, refreshKey }: { name: string; refreshKey: number }) {
  const [w, setW] = useState(0);
  const { window, period } = WINDOWS[w];
  const m = useLoad(() => api.endpointMetrics(name, period, window), [name, period, window, refreshKey], { pollMs: 5000 });
  const variants = m.data?.variants ?? [];
  const color = (i: number) => COLORS[i % COLORS.length];
  const traffic: Series[] = variants.map((v, i) => ({ label: label(v), color: color(i), dashed: v.shadow, points: v.points.map((p) => ({ x: at(p.timestamp), y: p.invocations })) }));
  const errors: Series[] = variants.flatMap((v, i) => [
    { label: `${label(v)} 4xx`, color: color(i), points: v.points.map((p) => ({ x: at(p.timestamp), y: p.errors4xx })) },
    { label: `${label(v)} 5xx`, color: color(i), dashed: true, points: v.points.map((p) => ({ x: at(p.timestamp), y: p.errors5xx })) },
  ]);
  const latency = (key: 'modelLatencyMs' | 'overheadLatencyMs'): Series[] => variants.flatMap((v, i) => [
    { label: `${label(v)} p50`, color: color(i), points: v.points.filter((p) => p[key].p50 !== null).map((p) => ({ x: at(p.timestamp), y: p[key].p50 as number })) },
    { label: `${label(v)} p99`, color: color(i), dashed: true, points: v.points.filter((p) => p[key].p99 !== null).map((p) => ({ x: at(p.timestamp), y: p[key].p99 as number })) },
  ]).filter((s) => s.points.length > 0);
  const total = variants.reduce((n, v) => n + v.summary.invocations, 0);
  const anyErrors = variants.some((v) => v.summary.errors4xx + v.summary.errors5xx > 0);
  const xFormat = clock(window <= 900);
  return (
    <div className="card" aria-labelledby="metrics-title">
      <div className="head-row">
        <h2 id="metrics-title">Traffic and latency</h2>
        <div className="field inline">
          <label htmlFor="metrics-window">Window</label>
          <select id="metrics-window" value={w} onChange={(e) => setW(Number(e.target.value))}>
            {WINDOWS.map((o, i) => <option key={o.label} value={i}>{o.label}</option>)}
          </select>
        </div>
      </div>
      <ErrorNotice error={m.error} onRetry={m.reload} context="Could not load the endpoint metrics" />
      {m.data && (total === 0 ? (
        <p className="muted" data-testid="metrics-empty">No requests in this window. Send one with “Try it” (or from a client); the charts refresh every 5 s.</p>
      ) : (
        <>
          <div className="table-wrap">
            <table className="compact" aria-label="Variant metrics over the window">
              <thead><tr><th scope="col">Variant</th><th scope="col">Invocations</th><th scope="col">4xx</th><th scope="col">5xx</th><th scope="col">Error rate</th><th scope="col">Model p50 / p99</th><th scope="col">Overhead p50 / p99</th></tr></thead>
              <tbody>
                {variants.map((v) => (
                  <tr key={v.variant}>
                    <th scope="row">{v.variant}{v.shadow && <span className="tag">shadow</span>}</th>
                    <td>{v.summary.invocations}</td><td>{v.summary.errors4xx}</td><td>{v.summary.errors5xx}</td><td>{pct(v.summary.errorRate)}</td>
                    <td>{ms(v.summary.modelLatencyMs.p50)} / {ms(v.summary.modelLatencyMs.p99)}</td>
                    <td>{ms(v.summary.overheadLatencyMs.p50)} / {ms(v.summary.overheadLatencyMs.p99)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <p className="muted small">One point per {m.data.period} s. Dashed: shadow variants (traffic), 5xx (errors), p99 (latency). A shadow's answers never reach callers.</p>
          <div className="charts">
            <LineChart id="invocations" title="Invocations per period" series={traffic} xLabel="time" xFormat={xFormat} />
            {anyErrors ? <LineChart id="errors" title="Errors per period (4xx, 5xx)" series={errors} xLabel="time" xFormat={xFormat} />
              : <div className="chart-note"><strong>Errors</strong><p className="muted small">No 4xx or 5xx answers in this window.</p></div>}
            <LineChart id="model-latency" title="Model latency, ms (p50, p99)" series={latency('modelLatencyMs')} xLabel="time" xFormat={xFormat} />
            <LineChart id="overhead-latency" title="Overhead latency, ms (p50, p99)" series={latency('overheadLatencyMs')} xLabel="time" xFormat={xFormat} />
          </div>
          {m.data.capture && (
            <p className="small muted">Data capture: {m.data.capture.captured} captured, {m.data.capture.dropped} dropped, {m.data.capture.written} written in {m.data.capture.files} files.</p>
          )}
        </>
      ))}
      {!m.data && m.loading && <p className="muted" role="status">Loading metrics…</p>}
    </div>
  );
}

/** How each shadow variant's answers compare with production's. */
export function ShadowPanel({ name }: { name: string }) {
  const r = useLoad(() => api.shadowComparison(name), [name], { pollMs: 10_000 });
  const d = r.data;
  const rate = (v: number | null) => (v === null ? '—' : pct(v));
  return (
    <div className="card">
      <h2>Shadow comparison</h2>
      <ErrorNotice error={r.error} onRetry={r.reload} context="Could not load the shadow comparison" />
      {d && d.shadows.length === 0 && <p className="muted">This endpoint has no shadow variants.</p>}
      {d && d.shadows.length > 0 && (
        <>
          <div className="table-wrap">
            <table className="compact" aria-label="Shadow comparison">
              <thead><tr><th scope="col">Shadow</th><th scope="col">Sampled</th><th scope="col">Mirrored / skipped</th><th scope="col">Compared</th><th scope="col">Agreement</th><th scope="col">Mean / max |Δ|</th><th scope="col">Errors (shadow / prod)</th><th scope="col">Model p50 (shadow / prod)</th><th scope="col">Model p99 (shadow / prod)</th></tr></thead>
              <tbody>
                {d.shadows.map((s) => (
                  <tr key={s.variant}>
                    <th scope="row">{s.variant} <span className="muted small">{s.model}</span></th>
                    <td>{s.samplingPercentage} %</td>
                    <td>{s.mirrored} / {s.skipped}{s.inFlight ? ` (${s.inFlight} in flight)` : ''}</td>
                    <td>{s.predictionsCompared} predictions in {s.requestsCompared} requests{s.incomparable ? `, ${s.incomparable} incomparable` : ''}</td>
                    <td className={s.agreementRate !== null && s.agreementRate < 0.95 ? 'bad-text' : undefined}>{rate(s.agreementRate)}</td>
                    <td>{s.meanAbsoluteDifference === null ? '—' : fmtNum(s.meanAbsoluteDifference)} / {s.maxAbsoluteDifference === null ? '—' : fmtNum(s.maxAbsoluteDifference)}</td>
                    <td>{pct(s.shadow.errorRate)} / {pct(s.production.errorRate)}</td>
                    <td>{ms(s.shadow.modelLatencyMs.p50)} / {ms(s.production.modelLatencyMs.p50)}</td>
                    <td>{ms(s.shadow.modelLatencyMs.p99)} / {ms(s.production.modelLatencyMs.p99)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <p className="muted small">Agreement: same predicted label, else same argmax, else |difference| ≤ {d.tolerance}. Counts since the endpoint (config) started; latencies and error rates over the last hour.</p>
        </>
      )}
    </div>
  );
}
