import { useEffect, useState, type FormEvent } from 'react';
import { api, type InvokeAnswer } from '../lib/api.js';
import { useLoad } from '../lib/hooks.js';
import { Link, useRouter } from '../lib/router.js';
import type { Endpoint } from '../../../src/sdk/types.js';
import { ErrorNotice } from '../components/ErrorNotice.js';
import { fmtTime, Status } from '../components/Status.js';
import { Timeline } from '../components/Timeline.js';
import { EndpointMetricsPanel, ShadowPanel } from './endpoint/Metrics.js';
import { EndpointTimelinePanel, RetrainingPanel } from './endpoint/Loop.js';
import { OnlineEvaluationsPanel } from './endpoint/OnlineEvaluations.js';
import { ScalingPanel } from './endpoint/Scaling.js';
import { PendingDeploymentCard, UpdateEndpointForm } from './endpoint/Update.js';

const BUSY = new Set(['Creating', 'Updating', 'RollingBack', 'Deleting']);

/** Variant weights with sliders; the share each gets is weight ÷ sum. */
function Weights({ ep, onChanged }: { ep: Endpoint; onChanged: () => void }) {
  const [weights, setWeights] = useState<Record<string, number>>({});
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(false);
  useEffect(() => setWeights(Object.fromEntries(ep.variants.map((v) => [v.name, v.desiredWeight]))), [JSON.stringify(ep.variants)]);  // eslint-disable-line react-hooks/exhaustive-deps
  const sum = Object.values(weights).reduce((a, b) => a + b, 0);
  const changed = ep.variants.some((v) => weights[v.name] !== v.desiredWeight);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    setSaved(false);
    try {
      await api.updateWeights(ep.name, { variants: ep.variants.map((v) => ({ name: v.name, weight: weights[v.name] ?? v.desiredWeight })) });
      setSaved(true);
      onChanged();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="card" onSubmit={submit} aria-labelledby="variants-title">
      <h2 id="variants-title">Variants and traffic</h2>
      <div className="table-wrap">
        <table className="weights">
          <thead><tr><th scope="col">Variant</th><th scope="col">Model</th><th scope="col">Replicas</th><th scope="col">Weight</th><th scope="col">Share</th></tr></thead>
          <tbody>
            {ep.variants.map((v) => {
              const w = weights[v.name] ?? v.desiredWeight;
              return (
                <tr key={v.name}>
                  <th scope="row">{v.name}</th>
                  <td><Link to={`/models?deploy=${encodeURIComponent(v.model)}`}>{v.model}</Link></td>
                  <td>{v.currentInstanceCount}{v.desiredInstanceCount !== v.currentInstanceCount ? ` → ${v.desiredInstanceCount}` : ''}</td>
                  <td className="slider-cell">
                    <input type="range" min={0} max={10} step={0.1} value={w} id={`w-${v.name}`} aria-label={`Weight of ${v.name}`}
                      onChange={(e) => { setSaved(false); setWeights({ ...weights, [v.name]: Number(e.target.value) }); }} />
                    <input type="number" min={0} step={0.1} value={w} aria-label={`Weight of ${v.name} (number)`} className="num"
                      onChange={(e) => { setSaved(false); setWeights({ ...weights, [v.name]: Math.max(0, Number(e.target.value) || 0) }); }} />
                  </td>
                  <td data-testid={`share-${v.name}`}>{sum > 0 ? `${((w / sum) * 100).toFixed(0)} %` : '—'}{v.currentWeight !== v.desiredWeight ? ' (applying)' : ''}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {sum === 0 && <p className="field-error" role="alert">At least one variant needs a weight above 0.</p>}
      <div className="actions">
        <button type="submit" className="primary" disabled={busy || !changed || sum === 0 || ep.status !== 'InService'}>{busy ? 'Applying…' : 'Apply weights'}</button>
        {ep.status !== 'InService' && <span className="small muted">Weights can change once the endpoint is InService.</span>}
        {saved && <span className="small ok-text" role="status">Weights sent; the endpoint applies them without downtime.</span>}
      </div>
      <ErrorNotice error={error} context="Could not change the weights" />
    </form>
  );
}

/** A first data row of the model's training data, without the label, as a sample request. */
async function sampleRow(ep: Endpoint): Promise<string> {
  const model = await api.model(ep.variants[0].model);
  if (!model.trainingJob) throw new Error('this model was not trained here, so there is no sample row; type a request');
  const job = await api.trainingJob(model.trainingJob);
  const withData = job.inputs.filter((i) => i.dataset && i.version);
  const input = withData.find((i) => i.channel === 'train') ?? withData[0];
  if (!input?.dataset || !input.version) throw new Error('the model was trained on files that are not a dataset; type a request');
  const v = await api.datasetVersion(input.dataset, input.version);
  if (v.format !== 'csv') throw new Error('the training data is not CSV; type a request');
  const i = v.uri.lastIndexOf(`datasets/${v.dataset}/`);
  const text = await api.artifactHead(v.uri.slice(i), 16 * 1024);
  const lines = text.split(/\r?\n/);
  const header = v.header ? lines[0].split(',') : undefined;
  const row = (v.header ? lines[1] : lines[0]).split(',');
  const labelAt = header ? header.indexOf(input.targetColumn ?? 'target') : 0;
  return row.filter((_, k) => k !== labelAt).join(',');
}

/** Sends a request to the endpoint and shows the answer and the variant that gave it. */
function TryIt({ ep, onAnswer }: { ep: Endpoint; onAnswer: (a: InvokeAnswer) => void }) {
  const [body, setBody] = useState('');
  const [type, setType] = useState('text/csv');
  const [target, setTarget] = useState('');
  const [answer, setAnswer] = useState<InvokeAnswer | null>(null);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const send = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const a = await api.invoke(ep.name, body, type, target || undefined);
      setAnswer(a);
      onAnswer(a);
    } catch (err) {
      setAnswer(null);
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const fill = async () => {
    setError(undefined);
    try {
      setType('text/csv');
      setBody(await sampleRow(ep));
    } catch (err) {
      setError(err);
    }
  };
  let pretty = answer?.body ?? '';
  try {
    if (answer?.contentType?.includes('json')) pretty = JSON.stringify(JSON.parse(answer.body), null, 2);
  } catch { /* shown as sent */ }
  return (
    <form className="card" onSubmit={send} aria-labelledby="try-title">
      <h2 id="try-title">Try it</h2>
      <p className="muted small">One row per line, features only (no label). CSV, or JSON such as <code>{'{"instances":[{"features":[…]}]}'}</code>.</p>
      <div className="row">
        <div className="field">
          <label htmlFor="try-type">Content type</label>
          <select id="try-type" value={type} onChange={(e) => setType(e.target.value)}>
            <option value="text/csv">text/csv</option>
            <option value="application/json">application/json</option>
            <option value="application/jsonlines">application/jsonlines</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="try-variant">Variant</label>
          <select id="try-variant" value={target} onChange={(e) => setTarget(e.target.value)}>
            <option value="">By weight (as clients are routed)</option>
            {ep.variants.map((v) => <option key={v.name} value={v.name}>{v.name} only</option>)}
          </select>
        </div>
      </div>
      <div className="field">
        <label htmlFor="try-body">Request body</label>
        <textarea id="try-body" rows={4} value={body} onChange={(e) => setBody(e.target.value)} spellCheck={false} />
      </div>
      <div className="actions">
        <button type="submit" className="primary" disabled={busy || !body.trim() || ep.status === 'Creating' || ep.status === 'Failed'}>{busy ? 'Sending…' : 'Send'}</button>
        <button type="button" onClick={() => void fill()}>Fill with a training row</button>
      </div>
      <ErrorNotice error={error} context="The endpoint did not answer" />
      {answer && (
        <div className="answer" data-testid="try-answer" role="status">
          <p className="small">Answered by variant <strong data-testid="answer-variant">{answer.variant ?? 'unknown'}</strong> in {answer.ms.toFixed(0)} ms ({answer.contentType})</p>
          <pre>{pretty}</pre>
        </div>
      )}
    </form>
  );
}

/**
 * One endpoint: status, deployment in progress, variants and weights, metrics, shadows, try-it, history,
 * the retraining policy, online evaluations, the timeline of the loop, autoscaling, update.
 */
export default function EndpointDetail({ params }: { params: Record<string, string> }) {
  const name = params.name;
  const { navigate } = useRouter();
  const ep = useLoad(() => api.endpoint(name), [name], { pollMs: 2000, keepPolling: (e) => BUSY.has(e.status) });
  const [answers, setAnswers] = useState(0);
  const [retrainings, setRetrainings] = useState(0);
  const [delError, setDelError] = useState<unknown>();
  const e = ep.data;
  // The config says whether there are shadow variants (the endpoint view lists production variants only).
  const config = useLoad(() => (e ? api.endpointConfig(e.config) : Promise.resolve(undefined)), [e?.config]);
  const shadows = config.data?.shadowVariants ?? [];
  const remove = async () => {
    if (!window.confirm(`Delete endpoint ${name}? Clients calling it will get errors.`)) return;
    try {
      await api.deleteEndpoint(name);
      navigate('/endpoints');
    } catch (err) {
      setDelError(err);
    }
  };
  return (
    <section>
      <p className="crumbs"><Link to="/endpoints">Endpoints</Link> /</p>
      <div className="head-row">
        <h1>{name}</h1>
        {e && <Status value={e.status} />}
        {e && <button type="button" className="danger" onClick={() => void remove()}>Delete</button>}
      </div>
      <ErrorNotice error={ep.error} onRetry={ep.reload} context="Could not load the endpoint" />
      <ErrorNotice error={delError} context="Could not delete" />
      {e?.failureReason && <div className="notice error" role="alert"><strong>Last update failed</strong><p>{e.failureReason}</p><p className="todo">The previous variants keep serving. Check the model, then deploy again.</p></div>}
      {e && (
        <>
          <dl className="facts">
            <div><dt>Invocation URL</dt><dd><code>{location.origin}{e.url}</code></dd></div>
            <div><dt>Config</dt><dd>{e.config}</dd></div>
            <div><dt>Created</dt><dd>{fmtTime(e.createdAt)}</dd></div>
          </dl>
          <PendingDeploymentCard ep={e} />
          <Weights ep={e} onChanged={ep.reload} />
          {shadows.length > 0 && (
            <p className="small muted" data-testid="shadow-variants">
              Shadow variants (get a copy of live traffic; their answers never reach callers): {shadows.map((s) => `${s.name} (${s.model}, ${s.samplingPercentage} % sampled)`).join(', ')}.
            </p>
          )}
          <EndpointMetricsPanel name={name} refreshKey={answers} />
          {shadows.length > 0 && <ShadowPanel name={name} />}
          <div className="grid2">
            <TryIt ep={e} onAnswer={() => setAnswers((n) => n + 1)} />
            <div className="card">
              <h2>Status history</h2>
              <p className="muted small">Updates show each traffic step; a rollback says why.</p>
              <Timeline items={e.statusHistory} />
            </div>
          </div>
          <RetrainingPanel endpoint={name} onRan={() => setRetrainings((n) => n + 1)} />
          <OnlineEvaluationsPanel ep={e} config={config.data} onChanged={ep.reload} />
          <EndpointTimelinePanel endpoint={name} refreshKey={`${e.status}-${e.updatedAt}-${retrainings}`} />
          <ScalingPanel ep={e} />
          <UpdateEndpointForm ep={e} onChanged={ep.reload} />
        </>
      )}
    </section>
  );
}
