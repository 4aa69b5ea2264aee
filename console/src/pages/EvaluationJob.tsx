import { useState } from 'react';
import { asReport } from '../lib/evaluation-report.js';
import { useLoad } from '../lib/hooks.js';
import { loopApi } from '../lib/loop-api.js';
import { Link } from '../lib/router.js';
import { ErrorNotice } from '../components/ErrorNotice.js';
import { fmtTime, Status } from '../components/Status.js';
import { Timeline } from '../components/Timeline.js';
import { ReportView } from './evaluation/Report.js';

const TERMINAL = new Set(['Completed', 'Failed', 'Stopped']);

/** One evaluation job: what was scored and how, its status, and (once Completed) the report drawn. */
export default function EvaluationJobPage({ params }: { params: Record<string, string> }) {
  const name = params.name;
  const job = useLoad(() => loopApi.evaluationJob(name), [name], { pollMs: 2000, keepPolling: (j) => !TERMINAL.has(j.status) });
  const j = job.data;
  const report = useLoad(async () => (j?.status === 'Completed' ? asReport(await loopApi.evaluationReport(name)) : undefined), [name, j?.status]);
  const [stopError, setStopError] = useState<unknown>();
  const stop = async () => {
    if (!window.confirm(`Stop evaluation job ${name}? Its training jobs are stopped too.`)) return;
    try {
      await loopApi.stopEvaluationJob(name);
      job.reload();
    } catch (err) {
      setStopError(err);
    }
  };
  const spec = j?.trainingSpec as { algorithm?: string; hyperparameters?: Record<string, unknown> } | undefined;
  return (
    <section>
      <p className="crumbs"><Link to="/evaluation">Evaluation jobs</Link> /</p>
      <div className="head-row">
        <h1>{name}</h1>
        {j && <Status value={j.status} secondary={j.secondaryStatus} />}
        {j?.status === 'InProgress' && <button type="button" className="danger" onClick={() => void stop()}>Stop</button>}
      </div>
      <ErrorNotice error={job.error} onRetry={job.reload} context="Could not load the evaluation job" />
      <ErrorNotice error={stopError} context="Could not stop the job" />
      {j?.failureReason && <div className="notice error" role="alert"><strong>Why it {j.status === 'Failed' ? 'failed' : 'stopped'}</strong><p>{j.failureReason}</p></div>}
      {j && (
        <>
          <dl className="facts">
            <div><dt>Scored</dt><dd>{j.model ? <Link to={`/models/${encodeURIComponent(j.model)}`}>{j.model}</Link> : `a training spec (${spec?.algorithm ?? 'script'}), trained per split`}</dd></div>
            <div><dt>Dataset</dt><dd><Link to={`/datasets/${encodeURIComponent(j.dataset.name)}`}>{j.dataset.name}</Link> v{j.dataset.version}</dd></div>
            <div><dt>Method</dt><dd>{j.method.type === 'kfold' ? `${j.method.k}-fold` : `hold-out ${((j.method.testShare ?? 0.2) * 100).toFixed(0)} %`}{j.method.stratified ? ', stratified' : ''}, seed {j.method.seed}</dd></div>
            {j.task && <div><dt>Task</dt><dd>{j.task}</dd></div>}
            {j.task === 'binary' && <div><dt>Threshold</dt><dd>{j.threshold}</dd></div>}
            <div><dt>Created</dt><dd>{fmtTime(j.createdAt)}</dd></div>
            <div><dt>Ended</dt><dd>{fmtTime(j.endedAt)}</dd></div>
          </dl>
          {report.error ? <ErrorNotice error={report.error} onRetry={report.reload} context="Could not load the report" /> : null}
          {report.data && <ReportView report={report.data} />}
          {!TERMINAL.has(j.status) && <p className="muted" role="status">The report appears when the job completes; this page refreshes itself.</p>}
          <div className="grid2">
            <div className="card">
              <h2>Lineage</h2>
              <h3>Training jobs</h3>
              {j.summary?.trainingJobs?.length ? (
                <ul className="plain">{j.summary.trainingJobs.map((t) => <li key={t}><Link to={`/training/${encodeURIComponent(t)}`}>{t}</Link></li>)}</ul>
              ) : <p className="muted small">{j.model ? 'None: an existing model was scored.' : 'None yet.'}</p>}
              <h3>Registered as</h3>
              {j.registeredVersions.length ? (
                <ul className="plain">{j.registeredVersions.map((v) => <li key={`${v.group}/${v.version}`}><Link to={`/registry/${encodeURIComponent(v.group)}?version=${v.version}`}>{v.group} v{v.version}</Link></li>)}</ul>
              ) : <p className="muted small">No model package version was registered from this evaluation.</p>}
            </div>
            <div className="card">
              <h2>Status history</h2>
              <Timeline items={j.statusHistory} />
            </div>
          </div>
        </>
      )}
    </section>
  );
}
