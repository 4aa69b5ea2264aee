import { useState } from 'react';
import { Bars } from '../../components/Bars.js';
import { Heatmap } from '../../components/Heatmap.js';
import { COLORS, LineChart, type Series } from '../../components/LineChart.js';
import { fmtNum } from '../../components/Status.js';
import {
  METRIC_LABELS, orderedMetricNames, type BinaryMetrics, type EvaluationReportDoc, type MulticlassMetrics, type RegressionMetrics, type Task, type TaskMetrics,
} from '../../lib/evaluation-report.js';

const num = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? '—' : fmtNum(v));
const label = (name: string) => METRIC_LABELS[name] ?? name;

/** Headline metrics as cards; with k-fold, each card says mean ± std. */
export function MetricCards({ summary }: { summary: EvaluationReportDoc['summary'] }) {
  return (
    <ul className="metric-cards" aria-label="Metrics">
      {orderedMetricNames(Object.keys(summary)).map((name) => {
        const m = summary[name];
        return (
          <li key={name} className="metric-card" data-metric={name}>
            <span className="name">{label(name)}</span>
            <span className="value">{num(m.mean)}</span>
            {m.std !== undefined && <span className="spread" title="standard deviation over the folds">± {num(m.std)} std</span>}
          </li>
        );
      })}
    </ul>
  );
}

/** ROC curve (with the chance diagonal), PR curve, confusion matrix at the threshold, threshold sweep. */
function BinaryDetail({ m, threshold }: { m: BinaryMetrics; threshold: number }) {
  const roc: Series[] = [
    { label: `ROC (AUC ${num(m.rocAuc)})`, markers: true, points: m.rocCurve.fpr.map((x, i) => ({ x, y: m.rocCurve.tpr[i] })) },
    { label: 'chance', dashed: true, color: '#94a3b8', points: [{ x: 0, y: 0 }, { x: 1, y: 1 }] },
  ];
  const base = m.count ? m.positives / m.count : 0;
  const pr: Series[] = [
    { label: `precision-recall (AP ${num(m.prAuc)})`, markers: true, color: COLORS[2], points: m.prCurve.recall.map((x, i) => ({ x, y: m.prCurve.precision[i] })) },
    { label: `positive share (${num(base)})`, dashed: true, color: '#94a3b8', points: [{ x: 0, y: base }, { x: 1, y: base }] },
  ];
  const keys = ['precision', 'recall', 'f1', 'accuracy', 'specificity'] as const;
  const sweep: Series[] = [
    ...keys.map((k) => ({ label: k, points: m.thresholdSweep.map((t) => ({ x: t.threshold, y: t[k] })) })),
    { label: `threshold used (${threshold})`, dashed: true, color: '#111827', points: [{ x: threshold, y: 0 }, { x: threshold, y: 1 }] },
  ];
  const c = m.confusionMatrix;
  return (
    <>
      <div className="charts">
        <LineChart id="roc" title="ROC curve" series={roc} xLabel="false positive rate" yLabel="true positive rate" xDomain={[0, 1]} yDomain={[0, 1]} lastInLegend={false} />
        <LineChart id="pr" title="Precision-recall curve" series={pr} xLabel="recall" yLabel="precision" xDomain={[0, 1]} yDomain={[0, 1]} lastInLegend={false} />
        <LineChart id="sweep" title="Threshold sweep" series={sweep} xLabel="threshold" xDomain={[0, 1]} yDomain={[0, 1]} lastInLegend={false} />
        <Heatmap title={`Confusion matrix at threshold ${threshold}`} rowLabels={['0 (negative)', '1 (positive)']} colLabels={['0', '1']} values={[[c.tn, c.fp], [c.fn, c.tp]]} />
      </div>
      <p className="muted small">{m.count} test rows: {m.positives} positive, {m.negatives} negative. A row is predicted positive when its score ≥ the threshold.</p>
    </>
  );
}

/** Per-class precision, recall, F1 and support, F1 as bars, and the confusion matrix as a heat-map. */
function MulticlassDetail({ m }: { m: MulticlassMetrics }) {
  const names = m.labels.map(String);
  return (
    <>
      <div className="grid2">
        <div>
          <div className="table-wrap">
            <table className="compact" aria-label="Per-class metrics">
              <thead><tr><th scope="col">Class</th><th scope="col">Precision</th><th scope="col">Recall</th><th scope="col">F1</th><th scope="col">Support</th></tr></thead>
              <tbody>
                {m.perClass.map((r) => (
                  <tr key={r.label} data-class={r.label}><th scope="row">{r.label}</th><td>{num(r.precision)}</td><td>{num(r.recall)}</td><td>{num(r.f1)}</td><td>{r.support}</td></tr>
                ))}
                {(['macro', 'micro', 'weighted'] as const).map((avg) => (
                  <tr key={avg}><th scope="row">{avg} average</th><td>{num(m[avg].precision)}</td><td>{num(m[avg].recall)}</td><td>{num(m[avg].f1)}</td><td>{avg === 'weighted' ? m.count : ''}</td></tr>
                ))}
              </tbody>
            </table>
          </div>
          <Bars title="F1 per class" items={m.perClass.map((r) => ({ label: `class ${r.label}`, value: r.f1 }))} />
        </div>
        <Heatmap title="Confusion matrix" rowLabels={names} colLabels={names} values={m.confusionMatrix} />
      </div>
    </>
  );
}

/** Residual quantiles (y − ŷ) as a box plot: whiskers min–max, box 25–75 %, 5 % and 95 % ticks, median line. */
function ResidualBox({ q }: { q: RegressionMetrics['residualQuantiles'] }) {
  const at = (p: number) => q.find((x) => Math.abs(x.q - p) < 1e-9)?.value;
  const [min, p5, p25, p50, p75, p95, max] = [0, 0.05, 0.25, 0.5, 0.75, 0.95, 1].map(at);
  if ([min, p25, p50, p75, max].some((v) => v === undefined)) return null;
  const lo = Math.min(min!, 0);
  const hi = Math.max(max!, 0);
  const W = 480;
  const sx = (v: number) => 16 + ((v - lo) / (hi - lo || 1)) * (W - 32);
  return (
    <figure className="chart" data-chart="residuals">
      <figcaption>Residuals (y − ŷ): quantiles</figcaption>
      <svg viewBox={`0 0 ${W} 70`} role="img" aria-label={`residual quantiles: min ${num(min)}, 25 % ${num(p25)}, median ${num(p50)}, 75 % ${num(p75)}, max ${num(max)}`}>
        <line x1={sx(0)} x2={sx(0)} y1={4} y2={50} className="grid" strokeDasharray="3 3" />
        <line x1={sx(min!)} x2={sx(max!)} y1={27} y2={27} stroke="#64748b" />
        {[min!, max!].map((v, i) => <line key={i} x1={sx(v)} x2={sx(v)} y1={18} y2={36} stroke="#64748b" />)}
        {[p5, p95].map((v, i) => v !== undefined && <line key={`t${i}`} x1={sx(v)} x2={sx(v)} y1={21} y2={33} stroke="#64748b" strokeWidth={2} />)}
        <rect x={sx(p25!)} y={14} width={Math.max(1, sx(p75!) - sx(p25!))} height={26} fill="#bfdbfe" stroke="#2563eb" />
        <line x1={sx(p50!)} x2={sx(p50!)} y1={14} y2={40} stroke="#1e3a8a" strokeWidth={3} />
        <text x={sx(lo)} y={64} className="tick">{num(lo)}</text>
        <text x={sx(hi)} y={64} textAnchor="end" className="tick">{num(hi)}</text>
        <text x={sx(0)} y={64} textAnchor="middle" className="tick">0</text>
      </svg>
    </figure>
  );
}

function RegressionDetail({ m }: { m: RegressionMetrics }) {
  return (
    <div className="grid2">
      <div className="table-wrap">
        <table className="compact" aria-label="Residual quantiles">
          <thead><tr><th scope="col">Quantile</th><th scope="col">y − ŷ</th></tr></thead>
          <tbody>{m.residualQuantiles.map((r) => <tr key={r.q}><th scope="row">{r.q === 0 ? 'min' : r.q === 1 ? 'max' : `${r.q * 100} %`}</th><td>{num(r.value)}</td></tr>)}</tbody>
        </table>
      </div>
      <ResidualBox q={m.residualQuantiles} />
    </div>
  );
}

/** The pictures and tables of one split's metrics (the hold-out, or one fold). */
export function TaskDetail({ task, metrics, threshold }: { task: Task; metrics: TaskMetrics; threshold: number }) {
  if (task === 'binary') return <BinaryDetail m={metrics as BinaryMetrics} threshold={threshold} />;
  if (task === 'multiclass') return <MulticlassDetail m={metrics as MulticlassMetrics} />;
  return <RegressionDetail m={metrics as RegressionMetrics} />;
}

/** k-fold: each metric's value per fold beside its mean ± std, the folds' ROC curves overlaid, and one fold in detail. */
function FoldsDetail({ report }: { report: EvaluationReportDoc }) {
  const folds = report.folds ?? [];
  const [fold, setFold] = useState(0);
  const names = orderedMetricNames(Object.keys(report.summary));
  const rocs: Series[] = report.task === 'binary'
    ? folds.map((f) => {
      const m = f.metrics as BinaryMetrics;
      return { label: `fold ${f.fold + 1}`, points: m.rocCurve.fpr.map((x, i) => ({ x, y: m.rocCurve.tpr[i] })) };
    })
    : [];
  const shown = folds[fold];
  return (
    <>
      <div className="table-wrap">
        <table className="compact" aria-label="Metrics per fold">
          <thead><tr><th scope="col">Metric</th><th scope="col">Mean ± std</th>{folds.map((f) => <th scope="col" key={f.fold}>Fold {f.fold + 1}</th>)}</tr></thead>
          <tbody>
            {names.map((n) => {
              const s = report.summary[n];
              return (
                <tr key={n} data-metric={n}>
                  <th scope="row">{label(n)}</th>
                  <td className="num-cell">{num(s.mean)} ± {num(s.std)}</td>
                  {(s.values ?? []).map((v, i) => <td key={i} className="num-cell">{num(v)}</td>)}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {rocs.length > 0 && (
        <div className="charts">
          <LineChart id="roc-folds" title="ROC curve of each fold" series={rocs} xLabel="false positive rate" yLabel="true positive rate" xDomain={[0, 1]} yDomain={[0, 1]} lastInLegend={false} />
        </div>
      )}
      {shown && (
        <>
          <div className="head-row">
            <h3>Fold {shown.fold + 1} in detail</h3>
            <div className="field inline">
              <label htmlFor="fold-pick">Fold</label>
              <select id="fold-pick" value={fold} onChange={(e) => setFold(Number(e.target.value))}>
                {folds.map((f, i) => <option key={f.fold} value={i}>Fold {f.fold + 1}{f.trainingJob ? ` (${f.trainingJob})` : ''}</option>)}
              </select>
            </div>
          </div>
          <TaskDetail task={report.task} metrics={shown.metrics} threshold={report.threshold} />
        </>
      )}
    </>
  );
}

/** The whole report: metric cards, then the hold-out's pictures or the folds'. */
export function ReportView({ report }: { report: EvaluationReportDoc }) {
  const m = report.method;
  return (
    <div className="card" data-testid="evaluation-report" data-task={report.task}>
      <h2>Report</h2>
      <p className="muted small">
        {report.task} · {m.type === 'kfold' ? `${m.k}-fold cross-validation` : `hold-out of ${((m.testShare ?? 0.2) * 100).toFixed(0)} %`}
        {m.stratified ? ', stratified' : ''}{m.seed !== undefined ? `, seed ${m.seed}` : ''} · {report.rows.test} of {report.rows.total} rows scored
        {report.featureNames ? ` · ${report.featureNames.length} features` : ''}
      </p>
      <MetricCards summary={report.summary} />
      {report.holdout ? <TaskDetail task={report.task} metrics={report.holdout.metrics} threshold={report.threshold} /> : <FoldsDetail report={report} />}
    </div>
  );
}
