import { useMemo, useState } from 'react';
import type { PipelineExecution, PipelineStepExecution } from '../../../src/contracts/pipeline.js';
import { pipelineGraph } from '../lib/dag.js';
import { useLoad } from '../lib/hooks.js';
import { loopApi } from '../lib/loop-api.js';
import { describeTrigger, fmtParams } from '../lib/loop-format.js';
import { Link } from '../lib/router.js';
import { Dag } from '../components/Dag.js';
import { ErrorNotice } from '../components/ErrorNotice.js';
import { fmtTime, Status } from '../components/Status.js';

const enc = encodeURIComponent;
const RUNNING = new Set(['Executing', 'Stopping']);

/** Where the console shows a resource a step created (`kind#2` is a retry's). */
function resourceLink(kind: string, name: string): string | undefined {
  const k = kind.split('#')[0];
  if (k === 'trainingJob') return `/training/${enc(name)}`;
  if (k === 'evaluationJob') return `/evaluation/${enc(name)}`;
  if (k === 'model') return `/models/${enc(name)}`;
  if (k === 'endpoint') return `/endpoints/${enc(name)}`;
  if (k === 'transformJob') return `/transform/${enc(name)}`;
  if (k === 'dataset') return `/datasets/${enc(name.split(':')[0])}`;
  if (k === 'modelPackage') {
    const [group, version] = name.split('/');
    return `/registry/${enc(group)}?version=${version}`;
  }
  return undefined;
}

const seconds = (s: PipelineStepExecution) =>
  s.startedAt ? `${(((s.endedAt ? Date.parse(s.endedAt) : Date.now()) - Date.parse(s.startedAt)) / 1000).toFixed(1)} s${s.endedAt ? '' : ' so far'}` : '—';

/** The training jobs whose logs a step has: its own, or its evaluation's. */
async function logSources(step: PipelineStepExecution): Promise<string[]> {
  const out: string[] = [];
  for (const [kind, name] of Object.entries(step.resources ?? {})) {
    if (kind.startsWith('trainingJob')) out.push(name);
    if (kind.startsWith('evaluationJob')) {
      const job = await loopApi.evaluationJob(name);
      out.push(...(job.summary?.trainingJobs ?? []));
    }
  }
  return [...new Set(out)];
}

/** A step's log: the text of one of its training jobs (refreshed while the step runs). */
function StepLogs({ step }: { step: PipelineStepExecution }) {
  const sources = useLoad(() => logSources(step), [step.name, JSON.stringify(step.resources), step.status]);
  const [pick, setPick] = useState('');
  const job = pick || sources.data?.[0] || '';
  const text = useLoad(() => (job ? loopApi.trainingLog(job) : Promise.resolve('')), [job, step.status], { pollMs: step.status === 'Executing' ? 3000 : undefined });
  if (sources.error) return <ErrorNotice error={sources.error} onRetry={sources.reload} context="Could not find the step's jobs" />;
  if (!sources.data) return null;
  if (sources.data.length === 0) {
    return <p className="muted small">This step ran in the server (no job of its own, so no log): its outputs, resources and failure reason are above.</p>;
  }
  return (
    <div data-testid="step-logs">
      <div className="head-row">
        <h3>Log</h3>
        {sources.data.length > 1 && (
          <div className="field inline">
            <label htmlFor="log-job">Job</label>
            <select id="log-job" value={job} onChange={(e) => setPick(e.target.value)}>{sources.data.map((n) => <option key={n} value={n}>{n}</option>)}</select>
          </div>
        )}
      </div>
      <p className="muted small">Training job <Link to={`/training/${enc(job)}`}>{job}</Link> (its page follows the log live and charts its metrics).</p>
      <ErrorNotice error={text.error} onRetry={text.reload} context="Could not read the log" />
      <pre className="logs" aria-label={`Log of ${job}`}>{text.data || (text.loading ? 'Loading…' : '(empty)')}</pre>
    </div>
  );
}

function StepCard({ step }: { step: PipelineStepExecution }) {
  const outputs = Object.entries(step.outputs ?? {});
  const resources = Object.entries(step.resources ?? {});
  return (
    <div className="card" data-testid="step-detail" data-step={step.name} aria-labelledby="step-title">
      <div className="head-row">
        <h2 id="step-title">Step {step.name}</h2>
        <Status value={step.status} />
      </div>
      <dl className="facts">
        <div><dt>Type</dt><dd>{step.type}</dd></div>
        <div><dt>Started</dt><dd>{fmtTime(step.startedAt)}</dd></div>
        <div><dt>Ended</dt><dd>{fmtTime(step.endedAt)}</dd></div>
        <div><dt>Took</dt><dd>{seconds(step)}</dd></div>
        <div><dt>Attempts</dt><dd>{step.attempts}</dd></div>
        {step.cachedFrom && <div><dt>Reused from</dt><dd>{step.cachedFrom} (cache)</dd></div>}
      </dl>
      {step.failureReason && <div className={`notice ${step.status === 'Failed' ? 'error' : 'warn'}`} role={step.status === 'Failed' ? 'alert' : undefined}><p>{step.failureReason}</p></div>}
      <div className="grid2">
        <div>
          <h3>Outputs</h3>
          {outputs.length ? (
            <dl className="kv" aria-label="Outputs">
              {outputs.map(([k, v]) => <div key={k} style={{ display: 'contents' }}><dt>{k}</dt><dd><code>{typeof v === 'string' ? v : JSON.stringify(v)}</code></dd></div>)}
            </dl>
          ) : <p className="muted small">None{step.status === 'Succeeded' ? '' : ' yet'}.</p>}
        </div>
        <div>
          <h3>Resources created</h3>
          {resources.length ? (
            <ul className="plain">
              {resources.map(([kind, name]) => {
                const to = resourceLink(kind, name);
                return <li key={kind}>{kind}: {to ? <Link to={to}>{name}</Link> : <code>{name}</code>}</li>;
              })}
            </ul>
          ) : <p className="muted small">None.</p>}
        </div>
      </div>
      <StepLogs step={step} />
    </div>
  );
}

function initialStep(x: PipelineExecution): string {
  return (x.steps.find((s) => s.status === 'Failed') ?? x.steps.find((s) => s.status === 'Executing') ?? x.steps[0])?.name ?? '';
}

/** One execution: per-step status as colours on the DAG, timings, outputs, resources and logs. */
export default function PipelineExecutionPage({ params }: { params: Record<string, string> }) {
  const { name: pipeline, id } = params;
  const ex = useLoad(() => loopApi.execution(id), [id], { pollMs: 1500, keepPolling: (x) => RUNNING.has(x.status) });
  const x = ex.data;
  const def = useLoad(() => (x ? loopApi.pipeline(x.pipeline, x.pipelineVersion) : Promise.resolve(undefined)), [x?.pipeline, x?.pipelineVersion]);
  const graph = useMemo(() => (def.data ? pipelineGraph(def.data.definition) : undefined), [def.data]);
  const [picked, setPicked] = useState('');
  const [stopError, setStopError] = useState<unknown>();
  const statuses = Object.fromEntries((x?.steps ?? []).map((s) => [s.name, s.status]));
  const stepName = picked || (x ? initialStep(x) : '');
  const step = x?.steps.find((s) => s.name === stepName);
  const stop = async () => {
    if (!window.confirm(`Stop execution ${id}? Running steps stop their jobs.`)) return;
    try {
      await loopApi.stopExecution(id);
      ex.reload();
    } catch (err) {
      setStopError(err);
    }
  };
  return (
    <section>
      <p className="crumbs"><Link to="/pipelines">Pipelines</Link> / <Link to={`/pipelines/${enc(pipeline)}`}>{pipeline}</Link> /</p>
      <div className="head-row">
        <h1>{id}</h1>
        {x && <Status value={x.status} />}
        {x?.status === 'Executing' && <button type="button" className="danger" onClick={() => void stop()}>Stop</button>}
      </div>
      <ErrorNotice error={ex.error} onRetry={ex.reload} context="Could not load the execution" />
      <ErrorNotice error={stopError} context="Could not stop the execution" />
      <ErrorNotice error={def.error} onRetry={def.reload} context="Could not load the pipeline definition" />
      {x?.failureReason && <div className="notice error" role="alert"><strong>Why it {x.status === 'Failed' ? 'failed' : 'stopped'}</strong><p>{x.failureReason}</p></div>}
      {x && (
        <>
          <dl className="facts">
            <div><dt>Pipeline</dt><dd><Link to={`/pipelines/${enc(x.pipeline)}?version=${x.pipelineVersion}`}>{x.pipeline} v{x.pipelineVersion}</Link></dd></div>
            <div><dt>Parameters</dt><dd><code data-testid="execution-parameters">{fmtParams(x.parameters) || '—'}</code></dd></div>
            <div><dt>Trigger</dt><dd>{describeTrigger(x.trigger)}</dd></div>
            <div><dt>Started</dt><dd>{fmtTime(x.createdAt)}</dd></div>
            <div><dt>Ended</dt><dd>{fmtTime(x.endedAt)}</dd></div>
          </dl>
          <div className="card">
            <h2>Steps</h2>
            {graph && <Dag graph={graph} statuses={statuses} selected={stepName} onSelect={setPicked} title={`Steps of execution ${id} with their status`} />}
            <div className="table-wrap">
              <table className="compact" aria-label="Step status">
                <thead><tr><th scope="col">Step</th><th scope="col">Type</th><th scope="col">Status</th><th scope="col">Attempts</th><th scope="col">Started</th><th scope="col">Took</th></tr></thead>
                <tbody>
                  {x.steps.map((s) => (
                    <tr key={s.name} className={s.name === stepName ? 'selected' : undefined} data-step={s.name}>
                      <th scope="row"><button type="button" className="link" onClick={() => setPicked(s.name)}>{s.name}</button></th>
                      <td>{s.type}</td>
                      <td><Status value={s.status} />{s.cachedFrom ? <span className="tag">cached</span> : null}</td>
                      <td>{s.attempts}</td>
                      <td>{s.startedAt ? new Date(s.startedAt).toLocaleTimeString() : '—'}</td>
                      <td>{seconds(s)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </div>
          {step && <StepCard key={step.name} step={step} />}
        </>
      )}
    </section>
  );
}
