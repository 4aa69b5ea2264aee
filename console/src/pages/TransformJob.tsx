import { useState } from 'react';
import { api, keyOfUri, saveBlob } from '../lib/api.js';
import { useLoad } from '../lib/hooks.js';
import { Link } from '../lib/router.js';
import { ErrorNotice } from '../components/ErrorNotice.js';
import { fmtTime, Status } from '../components/Status.js';
import { Timeline } from '../components/Timeline.js';

const TERMINAL = new Set(['Completed', 'Failed', 'Stopped']);

/** One batch transform job: progress, failed records, the output file. */
export default function TransformJobPage({ params }: { params: Record<string, string> }) {
  const name = params.name;
  const job = useLoad(() => api.transformJob(name), [name], { pollMs: 2000, keepPolling: (j) => !TERMINAL.has(j.status) });
  const [busy, setBusy] = useState('');
  const [actionError, setActionError] = useState<unknown>();
  const j = job.data;
  const p = j?.progress;
  const outKey = j?.outputArtifact ? keyOfUri(j.outputArtifact, `transform-jobs/${name}/`) : undefined;
  const download = async () => {
    if (!outKey) return;
    setBusy('download');
    setActionError(undefined);
    try {
      const { blob, fileName } = await api.artifactBlob(outKey);
      saveBlob(blob, fileName ?? outKey.slice(outKey.lastIndexOf('/') + 1));
    } catch (err) {
      setActionError(err);
    } finally {
      setBusy('');
    }
  };
  const stop = async () => {
    if (!window.confirm(`Stop transform job ${name}? Records not yet processed get no prediction.`)) return;
    setBusy('stop');
    setActionError(undefined);
    try {
      await api.stopTransformJob(name);
      job.reload();
    } catch (err) {
      setActionError(err);
    } finally {
      setBusy('');
    }
  };
  const pct = p?.recordsTotal ? Math.min(100, (p.recordsProcessed / p.recordsTotal) * 100) : undefined;
  return (
    <section>
      <p className="crumbs"><Link to="/transform">Batch transform jobs</Link> /</p>
      <div className="head-row">
        <h1>{name}</h1>
        {j && <Status value={j.status} secondary={j.secondaryStatus} />}
        {j?.status === 'InProgress' && <button type="button" className="danger" onClick={() => void stop()} disabled={!!busy}>{busy === 'stop' ? 'Stopping…' : 'Stop job'}</button>}
      </div>
      <ErrorNotice error={job.error} onRetry={job.reload} context="Could not load the transform job" />
      <ErrorNotice error={actionError} context="That did not work" />
      {j?.failureReason && (
        <div className="notice error" role="alert"><strong>Why it {j.status === 'Failed' ? 'failed' : 'stopped'}</strong><p>{j.failureReason}</p>
          <p className="todo">Check the failed records below and the model's input format; fix the data (or raise maxRecordErrors) and start a new job.</p></div>
      )}
      {j && p && (
        <>
          <div className="card">
            <h2>Progress</h2>
            <div className="progress-wrap">
              <progress max={p.recordsTotal ?? 1} value={p.recordsTotal ? p.recordsProcessed : undefined} aria-label="Records processed" />
              <span className="small" data-testid="transform-progress">
                {p.recordsProcessed.toLocaleString()} {p.recordsTotal !== undefined ? `of ${p.recordsTotal.toLocaleString()} records (${pct!.toFixed(0)} %)` : 'records (total not known yet)'}
              </span>
            </div>
            <dl className="facts">
              <div><dt>Predictions</dt><dd>{p.recordsOut.toLocaleString()}</dd></div>
              <div><dt>Failed records</dt><dd className={p.recordsFailed ? 'bad-text' : undefined}>{p.recordsFailed.toLocaleString()} (allowed {j.maxRecordErrors})</dd></div>
              <div><dt>Requests</dt><dd>{p.requests.toLocaleString()}</dd></div>
              <div><dt>Time</dt><dd>{j.transformTimeSeconds !== undefined ? `${j.transformTimeSeconds.toFixed(1)} s` : '—'}</dd></div>
            </dl>
            {outKey ? (
              <div className="actions">
                <button type="button" className="primary" onClick={() => void download()} disabled={!!busy}>{busy === 'download' ? 'Downloading…' : 'Download output'}</button>
                <code className="small">{outKey}</code>
              </div>
            ) : <p className="muted small">{TERMINAL.has(j.status) ? 'This job wrote no output.' : 'The output file appears when the job completes.'}</p>}
          </div>
          {p.failedRecords.length > 0 && (
            <div className="card">
              <h2>Failed records</h2>
              {p.recordsFailed > p.failedRecords.length && <p className="muted small">The first {p.failedRecords.length} of {p.recordsFailed}.</p>}
              <div className="table-wrap">
                <table className="compact" aria-label="Failed records">
                  <thead><tr><th scope="col">File</th><th scope="col">Line</th><th scope="col">Why</th></tr></thead>
                  <tbody>{p.failedRecords.map((r, i) => <tr key={i}><td>{r.file}</td><td>{r.line}</td><td className="wrap">{r.message}</td></tr>)}</tbody>
                </table>
              </div>
            </div>
          )}
          <div className="grid2">
            <div className="card">
              <h2>Setup</h2>
              <dl className="facts">
                <div><dt>Model</dt><dd><Link to={`/models/${encodeURIComponent(j.model)}`}>{j.model}</Link></dd></div>
                <div><dt>Input</dt><dd>{j.input.dataset ? <><Link to={`/datasets/${encodeURIComponent(j.input.dataset)}`}>{j.input.dataset}</Link>{j.input.version ? ` v${j.input.version}` : ''}</> : <code>{j.input.artifactKey}</code>}</dd></div>
                <div><dt>Content type</dt><dd>{j.input.contentType} → {j.accept}</dd></div>
                <div><dt>Split / assemble</dt><dd>{j.input.splitType} / {j.output.assembleWith}</dd></div>
                <div><dt>Batching</dt><dd>{j.batchStrategy}, {j.maxPayloadInMB} MB{j.maxRecordsPerBatch ? `, ≤ ${j.maxRecordsPerBatch} records` : ''}, {j.maxConcurrentTransforms} in flight</dd></div>
                <div><dt>Instances</dt><dd>{j.instanceCount}</dd></div>
                {(j.dataProcessing.inputFilter !== '$' || j.dataProcessing.outputFilter !== '$' || j.dataProcessing.joinSource !== 'None') && (
                  <div><dt>Data processing</dt><dd><code>in {j.dataProcessing.inputFilter} · out {j.dataProcessing.outputFilter} · join {j.dataProcessing.joinSource}</code></dd></div>
                )}
                <div><dt>Created</dt><dd>{fmtTime(j.createdAt)}</dd></div>
                <div><dt>Ended</dt><dd>{fmtTime(j.endedAt)}</dd></div>
              </dl>
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
