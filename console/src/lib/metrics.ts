import type { MetricPoint } from '../../../src/sdk/types.js';
import type { Series } from '../components/LineChart.js';

/**
 * Groups metric points into charts: `train:auc` and `validation:auc` share the chart `auc`
 * (one series each), so train and validation curves are compared on one set of axes.
 */
export function groupMetrics(points: MetricPoint[]): { title: string; series: Series[] }[] {
  const charts = new Map<string, Map<string, { x: number; y: number }[]>>();
  for (const p of points) {
    const colon = p.name.indexOf(':');
    const title = colon > 0 ? p.name.slice(colon + 1) : p.name;
    const label = colon > 0 ? p.name.slice(0, colon) : p.name;
    let chart = charts.get(title);
    if (!chart) charts.set(title, (chart = new Map()));
    let series = chart.get(label);
    if (!series) chart.set(label, (series = []));
    series.push({ x: p.step, y: p.value });
  }
  return [...charts].map(([title, series]) => ({
    title,
    series: [...series].map(([label, pts]) => ({ label, points: pts.filter((q) => Number.isFinite(q.y)).sort((a, b) => a.x - b.x) })),
  }));
}
