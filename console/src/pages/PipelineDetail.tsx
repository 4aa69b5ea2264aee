import { useMemo, useState, type FormEvent } from 'react';
import type { ParameterValue, PipelineParameter } from '../../../src/contracts/pipeline.js';
import { pipelineGraph } from '../lib/dag.js';
import { useLoad, usePaged } from '../lib/hooks.js';
import { loopApi, type ExecutionSummary } from '../lib/loop-api.js';
import { describeTrigger, fmtParams } from '../lib/loop-format.js';
import { Link, useRouter } from '../lib/router.js';
import { Dag } from '../components/Dag.js';
import { ErrorNotice } from '../components/ErrorNotice.js';
import { fmtAgo, Status } from '../components/Status.js';

const enc = encodeURIComponent;

/** A raw form value as the parameter's type; a message when it is not one. */
function parseParameter(p: PipelineParameter, raw: string): { value?: ParameterValue; error?: string } {
  const v = raw.trim();
  if (v === '') return p.default === undefined ? { error: 'Required (no default).' } : {};
  if (p.type === 'boolean') return v === 'true' || v === 'false' ? { value: v === 'true' } : { error: 'Enter true or false.' };
  if (p.type === 'number' || p.type === 'integer') {
    const n = Number(v);
    if (!Number.isFinite(n)) return { error: 'Enter a number.' };
    if (p.type === 'integer' && !Number.isInteger(n)) return { error: 'Enter a whole number.' };
    return { value: n };
  }
  return { value: raw };
}


/** Start an execution: one field per declared parameter (empty: the default applies). */
function StartForm({ pipeline, parameters, version }: { pipeline: string; parameters: PipelineParameter[]; version: number }) {
  const { navigate } = useRouter();
  const [values, setValues] = useState<Record<string, string>>({});
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const parsed = parameters.map((p) => ({ p, ...parseParameter(p, values[p.name] ?? '') }));
  const invalid = parsed.some((x) => x.error);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    if (invalid) return;
    setBusy(true);
    setError(undefined);
    try {
      const chosen = Object.fromEntries(parsed.filter((x) => x.value !== undefined).map((x) => [x.p.name, x.value as ParameterValue]));
      const ex = await loopApi.startExecution(pipeline, chosen, version);
      navigate(`/pipelines/${enc(pipeline)}/executions/${enc(ex.name)}`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="card" onSubmit={submit} aria-labelledby="start-title" noValidate>
      <h2 id="start-title">Start an execution</h2>
      {parameters.length === 0 && <p className="muted small">This pipeline takes no parameters.</p>}
      <div className="hp-grid">
        {parsed.map(({ p, error: msg }) => (
          <div className="field" key={p.name}>
            <label htmlFor={`param-${p.name}`}>{p.name} <span className="muted small">({p.type})</span></label>
            {p.type === 'boolean' ? (
              <select id={`param-${p.name}`} value={values[p.name] ?? ''} onChange={(e) => setValues({ ...values, [p.name]: e.target.value })}>
                <option value="">{p.default === undefined ? 'Choose…' : `default (${String(p.default)})`}</option>
                <option value="true">true</option>
                <option value="false">false</option>
              </select>
            ) : (
              <input id={`param-${p.name}`} value={values[p.name] ?? ''} placeholder={p.default === undefined ? 'required' : `default: ${String(p.default)}`}
                inputMode={p.type === 'string' ? undefined : 'decimal'} aria-invalid={touched && !!msg} aria-describedby={`param-${p.name}-help`}
                onChange={(e) => setValues({ ...values, [p.name]: e.target.value })} />
            )}
            <span id={`param-${p.name}-help`} className={touched && msg ? 'field-error' : 'help'}>{touched && msg ? msg : p.description ?? ''}</span>
          </div>
        ))}
      </div>
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>{busy ? 'Starting…' : `Start (version ${version})`}</button>
      </div>
      <ErrorNotice error={error} context="Could not start the execution" />
    </form>
  );
}

function ExecutionsTable({ pipeline, items }: { pipeline: string; items: ExecutionSummary[] }) {
  return (
    <div className="table-wrap">
      <table aria-label="Executions">
        <thead><tr><th scope="col">Execution</th><th scope="col">Status</th><th scope="col">Parameters</th><th scope="col">Trigger</th><th scope="col">Version</th><th scope="col">Started</th><th scope="col">Took</th></tr></thead>
        <tbody>
          {items.map((x) => (
            <tr key={x.name} data-execution={x.name}>
              <td><Link to={`/pipelines/${enc(pipeline)}/executions/${enc(x.name)}`}>{x.name}</Link></td>
              <td><Status value={x.status} /></td>
              <td className="wrap"><code className="small">{fmtParams(x.parameters) || '—'}</code></td>
              <td>{describeTrigger(x.trigger)}</td>
              <td>v{x.pipelineVersion}</td>
              <td title={x.createdAt}>{fmtAgo(x.createdAt)}</td>
              <td>{x.endedAt ? `${((Date.parse(x.endedAt) - Date.parse(x.createdAt)) / 1000).toFixed(1)} s` : '…'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** A pipeline: its definition drawn as a DAG, parameters, schedule and triggers, executions, and a start form. */
export default function PipelineDetail({ params }: { params: Record<string, string> }) {
  const name = params.name;
  const { loc } = useRouter();
  const version = loc.query.get('version') ? Number(loc.query.get('version')) : undefined;
  const p = useLoad(() => loopApi.pipeline(name, version), [name, version]);
  const executions = usePaged((a) => loopApi.executions(name, a), [name]);
  const def = p.data?.definition as { description?: string; parameters?: PipelineParameter[]; schedule?: { cron: string }; trigger?: Record<string, unknown> } | undefined;
  const graph = useMemo(() => (p.data ? pipelineGraph(p.data.definition) : undefined), [p.data]);
  return (
    <section>
      <p className="crumbs"><Link to="/pipelines">Pipelines</Link> /</p>
      <div className="head-row">
        <h1>{name}</h1>
        {p.data && <span className="muted">version {p.data.version} of {p.data.latestVersion}</span>}
      </div>
      <ErrorNotice error={p.error} onRetry={p.reload} context="Could not load the pipeline" />
      {p.data && def && graph && (
        <>
          {def.description && <p>{def.description}</p>}
          <div className="card">
            <h2>Steps</h2>
            <Dag graph={graph} title={`Steps of pipeline ${name}: ${graph.nodes.length} steps, ${graph.edges.length} dependencies`} />
            {(def.schedule || def.trigger) && (
              <dl className="facts">
                {def.schedule && <div><dt>Schedule</dt><dd><code>{def.schedule.cron}</code></dd></div>}
                {typeof def.trigger?.onDatasetVersion === 'string' && <div><dt>On a new version of</dt><dd><Link to={`/datasets/${enc(def.trigger.onDatasetVersion)}`}>{def.trigger.onDatasetVersion}</Link></dd></div>}
                {typeof def.trigger?.onMonitoringAlarm === 'string' && <div><dt>On an alarm of</dt><dd><Link to={`/monitoring/${enc(def.trigger.onMonitoringAlarm)}`}>{def.trigger.onMonitoringAlarm}</Link></dd></div>}
              </dl>
            )}
            {p.data.latestVersion > 1 && (
              <p className="small">Versions: {Array.from({ length: p.data.latestVersion }, (_, i) => i + 1).map((v) => (
                <span key={v} className="pill-gap">{v === p.data!.version ? <strong>v{v}</strong> : <Link to={`/pipelines/${enc(name)}?version=${v}`}>v{v}</Link>}</span>
              ))}</p>
            )}
            <details>
              <summary>Definition (JSON)</summary>
              <pre className="logs" style={{ height: 'auto', maxHeight: '24rem' }}>{JSON.stringify(p.data.definition, null, 2)}</pre>
            </details>
          </div>
          <StartForm key={p.data.version} pipeline={name} parameters={def.parameters ?? []} version={p.data.version} />
        </>
      )}
      <div className="card">
        <div className="head-row">
          <h2>Executions</h2>
          <button type="button" onClick={executions.reload}>Refresh</button>
        </div>
        <ErrorNotice error={executions.error} onRetry={executions.reload} context="Could not list the executions" />
        {!executions.loading && executions.items.length === 0 ? <p className="muted">No executions yet. Start one above.</p> : <ExecutionsTable pipeline={name} items={executions.items} />}
        {executions.hasMore && <button type="button" onClick={() => void executions.loadMore()} disabled={executions.loading}>Load more</button>}
      </div>
    </section>
  );
}
