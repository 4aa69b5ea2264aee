import { useState, type FormEvent } from 'react';
import type { RetrainingPolicy } from '../../../../src/contracts/retraining.js';
import { listAll } from '../../lib/api.js';
import { useLoad } from '../../lib/hooks.js';
import { loopApi } from '../../lib/loop-api.js';
import { fmtParams } from '../../lib/loop-format.js';
import { Link } from '../../lib/router.js';
import { ErrorNotice } from '../../components/ErrorNotice.js';
import { fmtTime } from '../../components/Status.js';

const enc = encodeURIComponent;
const CRON_RE = /^\S+(\s+\S+){4}$/;

/** `k=v` lines as parameters (numbers and booleans as such; the API converts for typed parameters anyway). */
function parseParameterLines(text: string): { values: Record<string, string | number | boolean>; error?: string } {
  const values: Record<string, string | number | boolean> = {};
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (!line) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) return { values, error: `Line ${i + 1}: write name=value.` };
    const v = line.slice(eq + 1).trim();
    values[line.slice(0, eq).trim()] = v === 'true' ? true : v === 'false' ? false : v !== '' && Number.isFinite(Number(v)) ? Number(v) : v;
  }
  return { values };
}

async function policyOrNull(endpoint: string): Promise<RetrainingPolicy | null> {
  return (await loopApi.retrainingPolicies(endpoint)).items[0] ?? null;
}

/** The endpoint's retraining policy: which pipeline runs on which alarm or cron, with a form to set it, run it, or remove it. */
export function RetrainingPanel({ endpoint, onRan }: { endpoint: string; onRan: () => void }) {
  const policy = useLoad(() => policyOrNull(endpoint), [endpoint]);
  const choices = useLoad(async () => {
    const [pipelines, schedules] = await Promise.all([listAll((a) => loopApi.pipelines(a)), listAll((a) => loopApi.schedules(a))]);
    return { pipelines: pipelines.map((p) => p.name), schedules: schedules.filter((s) => s.endpoint === endpoint).map((s) => s.name) };
  }, [endpoint]);
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState({ pipeline: '', onAlarmOf: '', cron: '', parameters: '' });
  const [busy, setBusy] = useState('');
  const [error, setError] = useState<unknown>();
  const [started, setStarted] = useState<{ pipeline: string; name: string } | null>(null);
  const p = policy.data;
  const edit = () => {
    setDraft({
      pipeline: p?.pipeline ?? choices.data?.pipelines[0] ?? '', onAlarmOf: p?.onAlarmOf ?? '', cron: p?.schedule?.cron ?? '',
      parameters: Object.entries(p?.parameters ?? {}).map(([k, v]) => `${k}=${String(v)}`).join('\n'),
    });
    setEditing(true);
  };
  const params = parseParameterLines(draft.parameters);
  const cronBad = draft.cron.trim() !== '' && !CRON_RE.test(draft.cron.trim());
  const act = async (what: string, fn: () => Promise<unknown>) => {
    setBusy(what);
    setError(undefined);
    try {
      await fn();
      policy.reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy('');
    }
  };
  const save = (e: FormEvent) => {
    e.preventDefault();
    if (!draft.pipeline || params.error || cronBad) return;
    void act('save', async () => {
      await loopApi.putRetrainingPolicy(endpoint, {
        pipeline: draft.pipeline,
        ...(draft.onAlarmOf ? { onAlarmOf: draft.onAlarmOf } : {}),
        ...(draft.cron.trim() ? { schedule: { cron: draft.cron.trim() } } : {}),
        ...(Object.keys(params.values).length ? { parameters: params.values } : {}),
      });
      setEditing(false);
    });
  };
  const run = () => act('run', async () => {
    const x = await loopApi.runRetraining(endpoint);
    setStarted({ pipeline: x.pipeline, name: x.name });
    onRan();
  });
  const remove = () => {
    if (!window.confirm(`Remove the retraining policy of ${endpoint}? Alarms will no longer start its pipeline.`)) return;
    void act('remove', () => loopApi.deleteRetrainingPolicy(endpoint));
  };
  return (
    <div className="card" data-testid="retraining-policy" aria-labelledby="retraining-title">
      <div className="head-row">
        <h2 id="retraining-title">Retraining policy</h2>
        {p && !editing && <button type="button" className="primary" disabled={!!busy} onClick={() => void run()}>{busy === 'run' ? 'Starting…' : 'Run now'}</button>}
        {!editing && <button type="button" onClick={edit} disabled={!choices.data}>{p ? 'Change' : 'Set a policy'}</button>}
        {p && !editing && <button type="button" className="danger" disabled={!!busy} onClick={remove}>Remove</button>}
      </div>
      <ErrorNotice error={policy.error ?? choices.error} onRetry={() => { policy.reload(); choices.reload(); }} context="Could not load the retraining policy" />
      <ErrorNotice error={error} context="That did not work" />
      {started && <p className="small ok-text" role="status">Started <Link to={`/pipelines/${enc(started.pipeline)}/executions/${enc(started.name)}`}>{started.name}</Link>.</p>}
      {!editing && policy.data === null && (
        <p className="muted small">No policy. A policy runs a pipeline (retrain, evaluate against production, register, roll out) when a monitoring schedule of this endpoint raises an alarm, on a cron, or on demand; each run gets <code>endpoint</code> and <code>productionModel</code> as parameters.</p>
      )}
      {!editing && p && (
        <dl className="facts">
          <div><dt>Pipeline</dt><dd><Link to={`/pipelines/${enc(p.pipeline)}`}>{p.pipeline}</Link></dd></div>
          <div><dt>On an alarm of</dt><dd>{p.onAlarmOf ? <Link to={`/monitoring/${enc(p.onAlarmOf)}`}>{p.onAlarmOf}</Link> : '—'}</dd></div>
          <div><dt>Cron</dt><dd>{p.schedule ? <code>{p.schedule.cron}</code> : '—'}</dd></div>
          <div><dt>Parameters</dt><dd><code>{fmtParams(p.parameters ?? {}) || '—'}</code></dd></div>
          <div><dt>Updated</dt><dd>{fmtTime(p.updatedAt)}</dd></div>
        </dl>
      )}
      {editing && choices.data && (
        <form onSubmit={save} aria-label="Retraining policy" noValidate>
          <div className="row">
            <div className="field">
              <label htmlFor="rp-pipeline">Pipeline</label>
              <select id="rp-pipeline" value={draft.pipeline} onChange={(e) => setDraft({ ...draft, pipeline: e.target.value })} aria-invalid={!draft.pipeline}>
                {!draft.pipeline && <option value="">Choose a pipeline…</option>}
                {choices.data.pipelines.map((n) => <option key={n} value={n}>{n}</option>)}
              </select>
              {choices.data.pipelines.length === 0 && <span className="field-error">No pipelines yet: create one first.</span>}
            </div>
            <div className="field">
              <label htmlFor="rp-alarm">Run on an alarm of</label>
              <select id="rp-alarm" value={draft.onAlarmOf} onChange={(e) => setDraft({ ...draft, onAlarmOf: e.target.value })}>
                <option value="">No schedule</option>
                {choices.data.schedules.map((n) => <option key={n} value={n}>{n}</option>)}
              </select>
            </div>
            <div className="field">
              <label htmlFor="rp-cron">and/or on a cron</label>
              <input id="rp-cron" value={draft.cron} placeholder="0 3 * * 1" onChange={(e) => setDraft({ ...draft, cron: e.target.value })} aria-invalid={cronBad} aria-describedby="rp-cron-help" />
              <span id="rp-cron-help" className={cronBad ? 'field-error' : 'help'}>{cronBad ? 'Five fields: minute hour day month weekday.' : 'Server local time; empty for none.'}</span>
            </div>
          </div>
          <div className="field">
            <label htmlFor="rp-params">Parameters (one name=value a line)</label>
            <textarea id="rp-params" rows={3} value={draft.parameters} onChange={(e) => setDraft({ ...draft, parameters: e.target.value })} aria-invalid={!!params.error} />
            {params.error && <span className="field-error">{params.error}</span>}
          </div>
          <div className="actions">
            <button type="submit" className="primary" disabled={!!busy || !draft.pipeline || !!params.error || cronBad}>{busy === 'save' ? 'Saving…' : 'Save retraining policy'}</button>
            <button type="button" onClick={() => setEditing(false)}>Cancel</button>
          </div>
        </form>
      )}
    </div>
  );
}

const KIND_LABEL: Record<string, string> = {
  'endpoint-status': 'status', 'monitoring-alarm': 'alarm', 'pipeline-execution': 'pipeline', registry: 'registry', 'online-evaluation': 'online evaluation',
};

function timelineLink(kind: string, d: Record<string, unknown>): string | undefined {
  if (kind === 'pipeline-execution' && typeof d.execution === 'string') return `/pipelines/${enc(String(d.pipeline))}/executions/${enc(d.execution)}`;
  if (kind === 'monitoring-alarm' && typeof d.schedule === 'string') return `/monitoring/${enc(d.schedule)}`;
  if (kind === 'registry' && typeof d.group === 'string') return `/registry/${enc(d.group)}${d.version !== undefined ? `?version=${String(d.version)}` : ''}`;
  return undefined;
}

/** One timeline of the endpoint: status changes, monitoring alarms, retraining executions and registry events. */
export function EndpointTimelinePanel({ endpoint, refreshKey }: { endpoint: string; refreshKey: unknown }) {
  const t = useLoad(() => loopApi.timeline(endpoint), [endpoint, refreshKey], { pollMs: 10_000 });
  const [kind, setKind] = useState('');
  const items = [...(t.data?.items ?? [])].reverse().filter((i) => !kind || i.kind === kind);
  return (
    <div className="card" aria-labelledby="ep-timeline-title">
      <div className="head-row">
        <h2 id="ep-timeline-title">Timeline</h2>
        <div className="field inline">
          <label htmlFor="timeline-kind">Show</label>
          <select id="timeline-kind" value={kind} onChange={(e) => setKind(e.target.value)}>
            <option value="">Everything</option>
            {Object.entries(KIND_LABEL).map(([k, l]) => <option key={k} value={k}>{l}</option>)}
          </select>
        </div>
      </div>
      <p className="muted small">Newest first: deployments and rollbacks, monitoring alarms, the retraining pipeline&apos;s runs and the registry&apos;s events for the models served here.</p>
      <ErrorNotice error={t.error} onRetry={t.reload} context="Could not load the timeline" />
      {t.data && items.length === 0 && <p className="muted">Nothing yet.</p>}
      <ol className="event-list" data-testid="endpoint-timeline">
        {items.map((i, n) => {
          const to = timelineLink(i.kind, i.detail);
          return (
            <li key={`${i.at}-${n}`} data-kind={i.kind}>
              <span className={`tag kind-${i.kind}`}>{KIND_LABEL[i.kind] ?? i.kind}</span> {to ? <Link to={to}>{i.summary}</Link> : i.summary}
              <div className="muted small">{fmtTime(i.at)}</div>
            </li>
          );
        })}
      </ol>
    </div>
  );
}
