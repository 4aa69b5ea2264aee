import { useEffect, useRef, useState } from 'react';
import { api, followLogs, isAbortError, listAll } from '../lib/api.js';
import { useLoad } from '../lib/hooks.js';
import { groupMetrics } from '../lib/metrics.js';
import { Link, useRouter } from '../lib/router.js';
import { ErrorNotice } from '../components/ErrorNotice.js';
import { LineChart } from '../components/LineChart.js';
import { fmtNum, fmtTime, Status } from '../components/Status.js';
import { Timeline } from '../components/Timeline.js';

const TERMINAL = new Set(['Completed', 'Failed', 'Stopped']);
const MAX_LOG_LINES = 5000;

/** Live log: follows the SSE stream (read with fetch, since EventSource cannot send the token). */
function Logs({ name, onEnd }: { name: string; onEnd: () => void }) {
  const [lines, setLines] = useState<string[]>([]);
  const [state, setState] = useState<'following' | 'ended' | 'cut'>('following');
  const [error, setError] = useState<unknown>();
  const [attempt, setAttempt] = useState(0);
  const box = useRef<HTMLPreElement>(null);
  const stick = useRef(true);
  const onEndRef = useRef(onEnd);
  onEndRef.current = onEnd;
  useEffect(() => {
    const ac = new AbortController();
    const pending: string[] = [];
    let frame = 0;
    // Lines arrive fast; render at most once per animation frame.
    const flush = () => {
      frame = 0;
      const add = pending.splice(0);
      setLines((ls) => [...ls, ...add].slice(-MAX_LOG_LINES));
    };
    setLines([]);
    setState('following');
    setError(undefined);
    followLogs(name, (l) => {
      pending.push(l);
      if (!frame) frame = requestAnimationFrame(flush);
    }, ac.signal).then(
      (status) => {
        flush();
        setState(status ? 'ended' : 'cut');
        onEndRef.current();
      },
      (e) => {
        if (isAbortError(e)) return;
        flush();
        setError(e);
        setState('cut');
      },
    );
    return () => {
      ac.abort();
      if (frame) cancelAnimationFrame(frame);
    };
  }, [name, attempt]);
  useEffect(() => {
    if (stick.current && box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [lines]);
  return (
    <div className="card">
      <div className="head-row">
        <h2>Logs</h2>
        <span className="small muted" role="status">{state === 'following' ? '● following live' : state === 'ended' ? 'job ended; full log shown' : 'stream closed'}</span>
        {state === 'cut' && <button type="button" onClick={() => setAttempt((a) => a + 1)}>Reconnect</button>}
      </div>
      <ErrorNotice error={error} context="The log stream failed" />
      <pre className="logs" ref={box} tabIndex={0} aria-label="Job log" data-testid="job-logs"
        onScroll={(e) => { const el = e.currentTarget; stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24; }}>
        {lines.length ? lines.join('\n') : state === 'following' ? 'Waiting for the first log line…' : 'The log is empty.'}
      </pre>
    </div>
  );
}

function CreateModel({ job, onCreated }: { job: string; onCreated: () => void }) {
  const [name, setName] = useState(`${job}-model`.slice(0, 63));
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const { navigate } = useRouter();
  return (
    <form className="inline-form" onSubmit={async (e) => {
      e.preventDefault();
      setBusy(true);
      setError(undefined);
      try {
        const m = await api.createModel(name, job);
        onCreated();
        navigate(`/models?deploy=${encodeURIComponent(m.name)}`);
      } catch (err) {
        setError(err);
      } finally {
        setBusy(false);
      }
    }}>
      <label htmlFor="model-name">Model name</label>
      <input id="model-name" value={name} onChange={(e) => setName(e.target.value)} />
      <button type="submit" className="primary" disabled={busy || !name}>{busy ? 'Creating…' : 'Create model'}</button>
      <ErrorNotice error={error} context="Could not create the model" />
    </form>
  );
}

/** One training job: status, timeline, live logs and metric charts, hyperparameters, lineage, stop. */
export default function TrainingJobPage({ params }: { params: Record<string, string> }) {
  const name = params.name;
  const job = useLoad(() => api.trainingJob(name), [name], { pollMs: 2000, keepPolling: (j) => !TERMINAL.has(j.status) });
  const running = job.data ? !TERMINAL.has(job.data.status) : true;
  const metrics = useLoad(() => api.metrics(name), [name, running], { pollMs: 2000, keepPolling: () => running });
  const models = useLoad(() => listAll((a) => api.models(a)).then((ms) => ms.filter((m) => m.trainingJob === name)), [name, job.data?.status]);
  const [stopError, setStopError] = useState<unknown>();
  const [stopping, setStopping] = useState(false);
  const j = job.data;
  const charts = groupMetrics(metrics.data?.metrics ?? []);
  const stop = async () => {
    if (!window.confirm(`Stop training job ${name}? It ends with status Stopped and keeps no model.`)) return;
    setStopping(true);
    setStopError(undefined);
    try {
      await api.stopTrainingJob(name);
      job.reload();
    } catch (e) {
      setStopError(e);
    } finally {
      setStopping(false);
    }
  };
  return (
    <section>
      <p className="crumbs"><Link to="/training">Training jobs</Link> /</p>
      <div className="head-row">
        <h1>{name}</h1>
        {j && <Status value={j.status} secondary={j.secondaryStatus} />}
        {j && (j.status === 'InProgress') && <button type="button" className="danger" onClick={() => void stop()} disabled={stopping}>{stopping ? 'Stopping…' : 'Stop job'}</button>}
      </div>
      <ErrorNotice error={job.error} onRetry={job.reload} context="Could not load the job" />
      <ErrorNotice error={stopError} context="Could not stop the job" />
      {j?.failureReason && (
        <div className="notice error" role="alert"><strong>Why it {j.status === 'Failed' ? 'failed' : 'stopped'}</strong><p>{j.failureReason}</p>
          <p className="todo">Read the log below for the details; fix the data or hyperparameters and start a new job.</p></div>
      )}
      {j && (
        <>
          <div className="card lineage" aria-label="Lineage">
            <h2>Lineage</h2>
            <ol className="flow">
              <li>{j.inputs.map((i) => (
                <span key={i.channel}>
                  {i.dataset ? <><Link to={`/datasets/${i.dataset}`}>{i.dataset}</Link> v{i.version}</> : <code>{i.artifactPrefix}</code>}
                  {' '}<span className="muted small">({i.channel})</span>{' '}
                </span>
              ))}</li>
              <li><strong>{j.name}</strong> <span className="muted small">{j.algorithm ?? 'script'}</span></li>
              <li>
                {models.data?.length ? models.data.map((m) => <span key={m.name}><Link to={`/models?deploy=${encodeURIComponent(m.name)}`}>{m.name}</Link> </span>)
                  : j.status === 'Completed' ? <CreateModel job={j.name} onCreated={models.reload} /> : <span className="muted">model (when completed)</span>}
              </li>
            </ol>
          </div>
          <div className="card">
            <h2>Metrics</h2>
            <ErrorNotice error={metrics.error} context="Could not load metrics" />
            {charts.length === 0 ? (
              <p className="muted">{running ? 'No metrics yet; charts appear as the job reports them (once per epoch for built-in algorithms).' : 'This job reported no metrics.'}</p>
            ) : (
              <div className="charts">{charts.map((c) => <LineChart key={c.title} title={c.title} series={c.series} xLabel="epoch / step" />)}</div>
            )}
            {j.finalMetrics.length > 0 && (
              <div className="table-wrap">
                <table className="compact" aria-label="Final metrics">
                  <thead><tr><th scope="col">Final metric</th><th scope="col">Value</th></tr></thead>
                  <tbody>{j.finalMetrics.map((m) => <tr key={m.name}><td>{m.name}</td><td>{fmtNum(m.value)}</td></tr>)}</tbody>
                </table>
              </div>
            )}
          </div>
          <div className="grid2">
            <div className="card">
              <h2>Status history</h2>
              <Timeline items={j.statusHistory} />
              <dl className="facts">
                <div><dt>Created</dt><dd>{fmtTime(j.createdAt)}</dd></div>
                <div><dt>Ended</dt><dd>{fmtTime(j.endedAt)}</dd></div>
                <div><dt>Training time</dt><dd>{j.trainingTimeSeconds !== undefined ? `${j.trainingTimeSeconds} s` : '—'}</dd></div>
                <div><dt>Instance</dt><dd>{j.resources.instanceType} × {j.resources.instanceCount}</dd></div>
              </dl>
            </div>
            <div className="card">
              <h2>Hyperparameters</h2>
              {Object.keys(j.hyperparameters).length === 0 ? <p className="muted">All defaults.</p> : (
                <div className="table-wrap">
                  <table className="compact" aria-label="Hyperparameters"><tbody>
                    {Object.entries(j.hyperparameters).sort().map(([k, v]) => <tr key={k}><th scope="row">{k}</th><td>{v}</td></tr>)}
                  </tbody></table>
                </div>
              )}
            </div>
          </div>
          <Logs name={name} onEnd={job.reload} />
        </>
      )}
    </section>
  );
}
