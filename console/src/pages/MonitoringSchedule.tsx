import { useState } from 'react';
import type { MonitoringReport, MonitoringSchedule } from '../../../src/contracts/monitoring.js';
import { useLoad } from '../lib/hooks.js';
import { loopApi } from '../lib/loop-api.js';
import { fmtSchedule } from '../lib/loop-format.js';
import { Link } from '../lib/router.js';
import { ErrorNotice } from '../components/ErrorNotice.js';
import { LineChart, type Series } from '../components/LineChart.js';
import { fmtAgo, fmtNum, fmtTime, Status } from '../components/Status.js';
import { ThresholdBars, type ThresholdItem } from '../components/ThresholdBars.js';

const enc = encodeURIComponent;
/** Reports read for the model-quality chart (each is one request). */
const QUALITY_REPORTS = 30;
/** −log10 of p-values is capped here (a p-value of 0 would be infinite). */
const MAX_EVIDENCE = 16;

const evidence = (p: number) => Math.min(MAX_EVIDENCE, -Math.log10(Math.max(p, 1e-300)));
const pct = (v: number) => `${(v * 100).toFixed(1)} %`;

/** PSI per feature against its threshold, and the drift tests' p-values (as −log10 p) against theirs. */
function DriftCharts({ report, thresholds }: { report: MonitoringReport; thresholds: MonitoringSchedule['thresholds'] }) {
  const psi: ThresholdItem[] = report.features.filter((f) => f.psi !== undefined).map((f) => ({
    label: f.name, value: f.psi!, text: fmtNum(f.psi!), over: f.psi! > thresholds.psi,
  }));
  const tests: ThresholdItem[] = report.features.flatMap((f) => {
    const t = f.ks ? { p: f.ks.pValue, name: 'KS' } : f.chiSquare ? { p: f.chiSquare.pValue, name: 'χ²' } : undefined;
    return t ? [{ label: `${f.name} (${t.name})`, value: evidence(t.p), text: `p = ${fmtNum(t.p)}`, over: t.p < thresholds.driftPValue }] : [];
  });
  if (psi.length === 0 && tests.length === 0) {
    return <p className="muted small">No drift verdict: fewer than {thresholds.minRecords} captured values per feature in this run.</p>;
  }
  return (
    <div className="charts">
      {tests.length > 0 && (
        <ThresholdBars id="drift-tests" title="Drift tests per feature (KS numeric, χ² categorical)" items={tests} threshold={evidence(thresholds.driftPValue)}
          thresholdText={`Bar length is −log10(p): longer is stronger evidence of drift. Past the line: p < ${thresholds.driftPValue}, drift.`} />
      )}
      {psi.length > 0 && (
        <ThresholdBars id="psi" title="Population stability index per feature" items={psi} threshold={thresholds.psi}
          thresholdText={`Past the line: PSI > ${thresholds.psi}, drift.`} />
      )}
    </div>
  );
}

/** Violations shown before "show all": the model-quality ones first, then the rest in report order. */
const VIOLATIONS_SHOWN = 12;
const firstViolations = (vs: MonitoringReport['violations']) =>
  [...vs.filter((v) => v.kind === 'model_quality'), ...vs.filter((v) => v.kind !== 'model_quality')].slice(0, VIOLATIONS_SHOWN);

function ReportDetail({ schedule, reportKey }: { schedule: MonitoringSchedule; reportKey: string }) {
  const r = useLoad(() => loopApi.report(schedule.name, reportKey), [schedule.name, reportKey]);
  const [allViolations, setAllViolations] = useState(false);
  const d = r.data;
  return (
    <div className="card" data-testid="monitoring-report" aria-labelledby="report-title">
      <div className="head-row">
        <h2 id="report-title">Report of {d ? fmtTime(d.at) : '…'}</h2>
        {d && <Status value={d.status} />}
      </div>
      <ErrorNotice error={r.error} onRetry={r.reload} context="Could not load the report" />
      {d && (
        <>
          <p className="muted small">{d.records} captured records from {d.objects.length} capture files{d.skippedRecords ? `, ${d.skippedRecords} unreadable records skipped` : ''}.</p>
          <DriftCharts report={d} thresholds={schedule.thresholds} />
          <h3>Violations{d.violations.length ? ` (${d.violations.length})` : ''}</h3>
          {d.violations.length === 0 ? <p className="ok-text small">None.</p> : (
            <div className="table-wrap">
              <table className="compact" aria-label="Violations">
                <thead><tr><th scope="col">Feature</th><th scope="col">Kind</th><th scope="col">Value</th><th scope="col">Threshold</th><th scope="col">What</th></tr></thead>
                <tbody>
                  {(allViolations ? d.violations : firstViolations(d.violations)).map((v, i) => (
                    <tr key={i} data-kind={v.kind}><th scope="row">{v.feature}</th><td>{v.kind}</td><td>{v.value === undefined ? '—' : fmtNum(v.value)}</td><td>{v.threshold === undefined ? '—' : fmtNum(v.threshold)}</td><td className="wrap">{v.description}</td></tr>
                  ))}
                </tbody>
              </table>
              {d.violations.length > VIOLATIONS_SHOWN && (
                <button type="button" className="link" onClick={() => setAllViolations(!allViolations)}>
                  {allViolations ? 'Show fewer' : `Show all ${d.violations.length} violations`}
                </button>
              )}
            </div>
          )}
          <details open={d.features.length <= VIOLATIONS_SHOWN}>
          <summary><h3 className="inline-h">Features ({d.features.length})</h3></summary>
          <div className="table-wrap">
            <table className="compact" aria-label="Features">
              <thead><tr><th scope="col">Feature</th><th scope="col">Type</th><th scope="col">Values</th><th scope="col">Complete</th><th scope="col">Type errors</th><th scope="col">Out of range</th><th scope="col">Mean</th><th scope="col">KS / χ² p</th><th scope="col">PSI</th></tr></thead>
              <tbody>
                {d.features.map((f) => (
                  <tr key={f.name}>
                    <th scope="row">{f.name}</th><td>{f.inferredType}</td><td>{f.count}</td><td>{pct(f.completeness)}</td><td>{f.typeViolations}</td>
                    <td>{f.outOfRange ?? (f.newCategories?.length ? `new: ${f.newCategories.join(', ')}` : '—')}</td>
                    <td>{f.mean === undefined ? '—' : fmtNum(f.mean)}</td>
                    <td>{f.ks ? fmtNum(f.ks.pValue) : f.chiSquare ? fmtNum(f.chiSquare.pValue) : '—'}</td>
                    <td>{f.psi === undefined ? '—' : fmtNum(f.psi)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          </details>
          {d.modelQuality && (
            <>
              <h3>Model quality</h3>
              <p className="muted small">{d.modelQuality.joined} of {d.modelQuality.labels} uploaded labels matched a captured prediction ({d.modelQuality.problemType}).</p>
              <ul className="metric-cards">
                {Object.entries(d.modelQuality.metrics).map(([k, v]) => <li key={k} className="metric-card"><span className="name">{k}</span><span className="value">{fmtNum(v)}</span></li>)}
              </ul>
            </>
          )}
        </>
      )}
    </div>
  );
}

/** The model-quality metrics of recent reports, one series per metric, over time. */
function QualityOverTime({ schedule, keys }: { schedule: MonitoringSchedule; keys: string[] }) {
  const recent = keys.slice(0, QUALITY_REPORTS);
  const q = useLoad(() => Promise.all(recent.map((k) => loopApi.report(schedule.name, k))), [schedule.name, recent.join()]);
  const byMetric = new Map<string, { x: number; y: number }[]>();
  for (const r of q.data ?? []) {
    if (!r.modelQuality || r.modelQuality.joined === 0) continue;
    for (const [k, v] of Object.entries(r.modelQuality.metrics)) {
      // Counts are on another scale than the metrics; the report's cards show them.
      if (k !== 'count' && Number.isFinite(v)) (byMetric.get(k) ?? byMetric.set(k, []).get(k)!).push({ x: Date.parse(r.at) / 1000, y: v });
    }
  }
  const series: Series[] = [...byMetric].map(([label, points]) => ({ label, markers: true, points: points.sort((a, b) => a.x - b.x) }));
  const limits = { ...schedule.modelQuality?.minimums, ...schedule.modelQuality?.maximums };
  return (
    <div className="card">
      <h2>Model quality over time</h2>
      <ErrorNotice error={q.error} onRetry={q.reload} context="Could not load the reports" />
      {series.length === 0 ? (
        <p className="muted small">No run has scored labels yet. Upload ground truth by inference id (<code>POST …/monitoring-schedules/{schedule.name}/ground-truth</code>); the next run joins it with the captured predictions.</p>
      ) : (
        <>
          <div className="charts">
            <LineChart id="model-quality" title={`${schedule.modelQuality?.problemType ?? ''} metrics per run`} series={series} xLabel="time"
              xFormat={(t) => new Date(t * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })} />
          </div>
          {Object.keys(limits).length > 0 && (
            <p className="small muted">Limits: {Object.entries(schedule.modelQuality?.minimums ?? {}).map(([k, v]) => `${k} ≥ ${v}`).concat(Object.entries(schedule.modelQuality?.maximums ?? {}).map(([k, v]) => `${k} ≤ ${v}`)).join(', ')}.</p>
          )}
        </>
      )}
    </div>
  );
}

/** A monitoring schedule: its set-up, recent reports (drift per feature, violations), model quality over time, and alarms. */
export default function MonitoringSchedulePage({ params }: { params: Record<string, string> }) {
  const name = params.name;
  const s = useLoad(() => loopApi.schedule(name), [name]);
  const reports = useLoad(() => loopApi.reports(name), [name]);
  const alarms = useLoad(() => loopApi.alarms(name), [name]);
  const [picked, setPicked] = useState('');
  const [busy, setBusy] = useState('');
  const [actionError, setActionError] = useState<unknown>();
  const d = s.data;
  const keys = reports.data?.items.map((r) => r.key) ?? [];
  const shown = picked || keys[0];
  const act = async (what: string, fn: () => Promise<unknown>) => {
    setBusy(what);
    setActionError(undefined);
    try {
      await fn();
      setPicked('');
      s.reload();
      reports.reload();
      alarms.reload();
    } catch (err) {
      setActionError(err);
    } finally {
      setBusy('');
    }
  };
  return (
    <section>
      <p className="crumbs"><Link to="/monitoring">Monitoring</Link> /</p>
      <div className="head-row">
        <h1>{name}</h1>
        {d && <Status value={d.status} />}
        {d && <button type="button" className="primary" disabled={!!busy} onClick={() => void act('run', () => loopApi.runSchedule(name))}>{busy === 'run' ? 'Running…' : 'Run now'}</button>}
        {d && <button type="button" disabled={!!busy} onClick={() => void act('toggle', () => loopApi.setScheduleRunning(name, d.status === 'Stopped'))}>{d.status === 'Stopped' ? 'Resume' : 'Stop'}</button>}
      </div>
      <ErrorNotice error={s.error} onRetry={s.reload} context="Could not load the schedule" />
      <ErrorNotice error={actionError} context="That did not work" />
      {d && (
        <>
          <dl className="facts">
            <div><dt>Endpoint</dt><dd><Link to={`/endpoints/${enc(d.endpoint)}`}>{d.endpoint}</Link></dd></div>
            <div><dt>Baseline</dt><dd>{d.baseline}</dd></div>
            <div><dt>Runs</dt><dd>{fmtSchedule(d)}</dd></div>
            <div><dt>Last run</dt><dd>{d.lastRunAt ? `${fmtAgo(d.lastRunAt)} (${d.lastResult?.status ?? '—'})` : 'not yet'}</dd></div>
            <div><dt>Drift</dt><dd>p &lt; {d.thresholds.driftPValue} or PSI &gt; {d.thresholds.psi}, from {d.thresholds.minRecords} values</dd></div>
            <div><dt>Data quality</dt><dd>completeness −{d.thresholds.completenessMargin}, out of range ≤ {pct(d.thresholds.rangeMargin)}, new categories ≤ {pct(d.thresholds.newCategoryShare)}</dd></div>
          </dl>
          {d.lastResult?.failureReason && <div className="notice error" role="alert"><strong>The last run failed</strong><p>{d.lastResult.failureReason}</p></div>}
          <div className="card">
            <h2>Reports</h2>
            <ErrorNotice error={reports.error} onRetry={reports.reload} context="Could not list the reports" />
            {reports.data && reports.data.items.length === 0 && <p className="muted">No reports yet. The first run comes after one period, or press “Run now”.</p>}
            {reports.data && reports.data.items.length > 0 && (
              <div className="table-wrap">
                <table className="compact" aria-label="Reports">
                  <thead><tr><th scope="col">Run</th><th scope="col">Status</th><th scope="col">Records</th><th scope="col">Violations</th></tr></thead>
                  <tbody>
                    {reports.data.items.slice(0, 10).map((r) => (
                      <tr key={r.key} className={r.key === shown ? 'selected' : undefined}>
                        <th scope="row"><button type="button" className="link" onClick={() => setPicked(r.key)} aria-pressed={r.key === shown}>{fmtTime(r.at)}</button></th>
                        <td><Status value={r.status} /></td><td>{r.records}</td><td className={r.violations ? 'bad-text' : undefined}>{r.violations}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </div>
          {shown && <ReportDetail key={shown} schedule={d} reportKey={shown} />}
          {d.modelQuality && keys.length > 0 && <QualityOverTime schedule={d} keys={keys} />}
          <div className="card">
            <h2>Alarms</h2>
            <ErrorNotice error={alarms.error} onRetry={alarms.reload} context="Could not list the alarms" />
            {alarms.data && (alarms.data.items.length === 0 ? <p className="muted">No alarms: no run has found a violation.</p> : (
              <ul className="event-list" data-testid="alarms">
                {alarms.data.items.map((a) => (
                  <li key={a.seq}>
                    <strong className="bad-text">Alarm {a.seq}</strong> {a.violations} violations ({a.kinds.join(', ')}) in {a.features.join(', ')}
                    <div className="muted small">{fmtTime(a.at)}{' · '}<button type="button" className="link" onClick={() => setPicked(a.reportKey)}>show its report</button></div>
                  </li>
                ))}
              </ul>
            ))}
          </div>
        </>
      )}
    </section>
  );
}
