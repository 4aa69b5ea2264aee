import { useId } from 'react';

/**
 * `dashed`: drawn with a dashed stroke (e.g. a shadow variant, or a p99 beside a p50);
 * `markers`: each point drawn as a dot too (curves whose points are data, such as ROC).
 */
export interface Series { label: string; points: { x: number; y: number }[]; dashed?: boolean; color?: string; markers?: boolean }

export const COLORS = ['#2563eb', '#dc2626', '#059669', '#d97706', '#7c3aed', '#0891b2'];
const W = 480;
const H = 220;
const PAD = { l: 52, r: 12, t: 12, b: 30 };

function ticks(min: number, max: number, n = 4): number[] {
  if (min === max) return [min];
  const step = (max - min) / n;
  return Array.from({ length: n + 1 }, (_, i) => min + i * step);
}
const fmt = (v: number) => (Math.abs(v) >= 1000 || (Math.abs(v) < 0.01 && v !== 0) ? v.toExponential(1) : Number(v.toPrecision(3)).toString());

/**
 * A small SVG line chart: several series on shared axes, with a legend. No chart library.
 * `xDomain`/`yDomain` fix an axis's range (e.g. [0, 1] for rates) instead of fitting the data;
 * `lastInLegend: false` leaves each series' last value out of the legend (a curve has no "last").
 */
export function LineChart({ title, series, xLabel = 'step', yLabel, xFormat = fmt, id: chartId, xDomain, yDomain, lastInLegend = true }: {
  title: string; series: Series[]; xLabel?: string; yLabel?: string; xFormat?: (v: number) => string; id?: string;
  xDomain?: [number, number]; yDomain?: [number, number]; lastInLegend?: boolean;
}) {
  const id = useId();
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) return null;
  let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (const p of all) {
    x0 = Math.min(x0, p.x); x1 = Math.max(x1, p.x); y0 = Math.min(y0, p.y); y1 = Math.max(y1, p.y);
  }
  if (xDomain) [x0, x1] = xDomain;
  if (yDomain) [y0, y1] = yDomain;
  if (x0 === x1) { x0 -= 1; x1 += 1; }
  if (y0 === y1) { const d = Math.abs(y0) * 0.1 || 1; y0 -= d; y1 += d; }
  const sx = (x: number) => PAD.l + ((x - x0) / (x1 - x0)) * (W - PAD.l - PAD.r);
  const sy = (y: number) => H - PAD.b - ((y - y0) / (y1 - y0)) * (H - PAD.t - PAD.b);
  const last = series.map((s) => s.points.at(-1)?.y);
  return (
    <figure className="chart" data-chart={chartId}>
      <figcaption id={id}>{title}</figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby={id} preserveAspectRatio="xMidYMid meet">
        <desc>{series.map((s, i) => `${s.label}: ${s.points.length} points, last ${fmt(last[i] ?? NaN)}`).join('; ')}</desc>
        {ticks(y0, y1).map((t) => (
          <g key={`y${t}`}>
            <line x1={PAD.l} x2={W - PAD.r} y1={sy(t)} y2={sy(t)} className="grid" />
            <text x={PAD.l - 6} y={sy(t) + 4} textAnchor="end" className="tick">{fmt(t)}</text>
          </g>
        ))}
        {ticks(x0, x1).map((t) => (
          <text key={`x${t}`} x={sx(t)} y={H - PAD.b + 16} textAnchor="middle" className="tick">{xFormat(t)}</text>
        ))}
        <text x={W - PAD.r} y={H - 4} textAnchor="end" className="tick">{xLabel}</text>
        {yLabel && <text x={PAD.l + 4} y={PAD.t + 10} className="tick">{yLabel}</text>}
        {series.map((s, i) => {
          const color = s.color ?? COLORS[i % COLORS.length];
          const d = s.points.map((p, j) => `${j ? 'L' : 'M'}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join('');
          return (
            <g key={s.label} data-series={s.label}>
              <path d={d} fill="none" stroke={color} strokeWidth={2} strokeDasharray={s.dashed ? '6 4' : undefined} className="series" />
              {(s.markers || s.points.length === 1) && s.points.map((p, j) => (
                <circle key={j} cx={sx(p.x)} cy={sy(p.y)} r={s.markers ? 2.2 : 3} fill={color} className="point" />
              ))}
            </g>
          );
        })}
      </svg>
      <ul className="legend">
        {series.map((s, i) => (
          <li key={s.label}><span className={`swatch${s.dashed ? ' dashed' : ''}`} style={{ background: s.color ?? COLORS[i % COLORS.length] }} />{s.label}{lastInLegend && last[i] !== undefined ? ` (${fmt(last[i])})` : ''}</li>
        ))}
      </ul>
    </figure>
  );
}
