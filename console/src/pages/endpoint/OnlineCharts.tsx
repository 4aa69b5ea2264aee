import type { OnlineEvaluationReport } from '../../../../src/contracts/online-evaluation.js';
import { COLORS } from '../../components/LineChart.js';
import { fmtNum } from '../../components/Status.js';
import { pooledDifferenceInterval, wilsonInterval, type Interval } from '../../lib/online-stats.js';

type VariantResult = OnlineEvaluationReport['variants'][number];
const BASELINE_COLOR = '#94a3b8';
const pct = (level: number) => `${Number((level * 100).toPrecision(4))} %`;

/** Both variants' metrics as paired bars (candidate beside baseline), for the metrics in [0, 1]. */
export function PairedBars({ names, baseline, candidate }: { names: string[]; baseline: Record<string, number>; candidate: Record<string, number> }) {
  const rates = names.filter((n) => [baseline[n], candidate[n]].every((v) => v !== undefined && v >= 0 && v <= 1 + 1e-9));
  if (rates.length === 0) return null;
  const W = 480;
  const row = 34;
  const H = rates.length * row + 8;
  const L = 110;
  const sx = (v: number) => (v * (W - L - 60));
  return (
    <figure className="chart" data-chart="online-metrics">
      <figcaption>Candidate and baseline side by side</figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={rates.map((n) => `${n}: candidate ${fmtNum(candidate[n])}, baseline ${fmtNum(baseline[n])}`).join('; ')}>
        {rates.map((n, i) => (
          <g key={n} transform={`translate(0,${i * row + 4})`}>
            <text x={L - 8} y={18} textAnchor="end" className="tick">{n}</text>
            <rect x={L} y={2} height={12} width={Math.max(1, sx(candidate[n]))} fill={COLORS[0]} />
            <text x={L + sx(candidate[n]) + 4} y={12} className="tick">{fmtNum(candidate[n])}</text>
            <rect x={L} y={16} height={12} width={Math.max(1, sx(baseline[n]))} fill={BASELINE_COLOR} />
            <text x={L + sx(baseline[n]) + 4} y={26} className="tick">{fmtNum(baseline[n])}</text>
          </g>
        ))}
      </svg>
      <ul className="legend"><li><span className="swatch" style={{ background: COLORS[0] }} />candidate</li><li><span className="swatch" style={{ background: BASELINE_COLOR }} />baseline</li></ul>
    </figure>
  );
}

interface TestRow { role: 'candidate' | 'baseline'; variant: string; value: number; interval?: Interval }

/** What the test chart draws: the tested metric per variant, and the difference with its interval. */
export function testFigures(d: OnlineEvaluationReport, base: VariantResult, cand: VariantResult) {
  const level = 1 - d.test.alpha;
  const value = (v: VariantResult) => v.metrics[d.test.metric] ?? Number.NaN;
  const row = (v: VariantResult, role: TestRow['role']): TestRow => ({
    role, variant: v.variant, value: value(v),
    ...(d.test.kind === 'two-proportion-z' && v.correct !== undefined ? { interval: wilsonInterval(v.correct, v.joined, level) } : {}),
  });
  const difference = d.test.kind === 'two-proportion-z'
    ? pooledDifferenceInterval(cand.correct ?? 0, cand.joined, base.correct ?? 0, base.joined, level)
    : d.test.interval;
  return { rows: [row(cand, 'candidate'), row(base, 'baseline')], difference, level: difference?.level ?? level };
}

function Whisker({ x1, x2, y }: { x1: number; x2: number; y: number }) {
  return (
    <g className="whisker" stroke="#111827" strokeWidth={1.5}>
      <line x1={x1} x2={x2} y1={y} y2={y} />
      <line x1={x1} x2={x1} y1={y - 5} y2={y + 5} />
      <line x1={x2} x2={x2} y1={y - 5} y2={y + 5} />
    </g>
  );
}

/**
 * The test drawn: the tested metric of each variant as a bar (accuracy with its Wilson interval
 * at 1 − α), then candidate − baseline on an axis through 0 with its interval (the z-test's pooled
 * standard error at 1 − α; the bootstrap's percentile interval). The difference's interval clears 0
 * when the test is significant.
 */
export function TestChart({ report: d, base, cand }: { report: OnlineEvaluationReport; base: VariantResult; cand: VariantResult }) {
  const { rows, difference, level } = testFigures(d, base, cand);
  if (rows.some((r) => !Number.isFinite(r.value))) return null;
  const W = 480;
  const L = 110;
  const R = 70;
  const span = W - L - R;
  const accuracy = d.test.metric === 'accuracy';
  const top = Math.max(...rows.map((r) => r.interval?.upper ?? r.value), 1e-9);
  const max = accuracy ? 1 : top * 1.1;
  const sx = (v: number) => L + (v / max) * span;
  const diff = d.test.difference;
  const reach = Math.max(Math.abs(diff), Math.abs(difference?.lower ?? 0), Math.abs(difference?.upper ?? 0), 1e-9) * 1.15;
  const dx = (v: number) => L + ((v + reach) / (2 * reach)) * span;
  const diffY = rows.length * 30 + 34;
  const H = diffY + 34;
  const tone = d.test.better === 'candidate' ? 'var(--ok)' : d.test.better === 'baseline' ? 'var(--bad)' : '#6b7280';
  const bounds = difference ? ` [${fmtNum(difference.lower)}, ${fmtNum(difference.upper)}]` : '';
  const describe = [
    ...rows.map((r) => `${r.role} ${r.variant} ${d.test.metric} ${fmtNum(r.value)}${r.interval ? ` [${fmtNum(r.interval.lower)}, ${fmtNum(r.interval.upper)}]` : ''}`),
    `difference ${fmtNum(diff)}${bounds}`,
  ].join('; ');
  return (
    <figure className="chart" data-chart="online-test">
      <figcaption>
        {d.test.metric === 'accuracy' ? 'Accuracy' : 'Mean absolute error'} of each variant{accuracy ? ` (${pct(level)} Wilson intervals)` : ''}, and the difference candidate − baseline{difference ? ` (${pct(level)} interval)` : ''}
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={describe}>
        {rows.map((r, i) => {
          const y = i * 30 + 4;
          return (
            <g key={r.role} data-role={r.role} data-value={r.value} data-lower={r.interval?.lower} data-upper={r.interval?.upper}>
              <text x={L - 8} y={y + 14} textAnchor="end" className="tick">{r.role}</text>
              <rect x={L} y={y + 3} height={16} width={Math.max(1, sx(r.value) - L)} fill={r.role === 'candidate' ? COLORS[0] : BASELINE_COLOR} />
              {r.interval && <Whisker x1={sx(r.interval.lower)} x2={sx(r.interval.upper)} y={y + 11} />}
              <text x={sx(r.interval?.upper ?? r.value) + 6} y={y + 15} className="tick">{fmtNum(r.value)}</text>
            </g>
          );
        })}
        <text x={L - 8} y={diffY + 4} textAnchor="end" className="tick">difference</text>
        <line x1={L} x2={L + span} y1={diffY} y2={diffY} stroke="#dde1e7" />
        <line x1={dx(0)} x2={dx(0)} y1={diffY - 14} y2={diffY + 14} stroke="#6b7280" strokeDasharray="3 3" />
        <text x={dx(0)} y={diffY + 26} textAnchor="middle" className="tick">0</text>
        <g data-testid="difference" data-difference={diff} data-lower={difference?.lower} data-upper={difference?.upper} data-level={difference?.level}>
          {difference && <Whisker x1={dx(difference.lower)} x2={dx(difference.upper)} y={diffY} />}
          <circle cx={dx(diff)} cy={diffY} r={5} style={{ fill: tone }} />
          <text x={L + span + 6} y={diffY + 4} className="tick">{diff >= 0 ? '+' : ''}{fmtNum(diff)}</text>
        </g>
      </svg>
    </figure>
  );
}
