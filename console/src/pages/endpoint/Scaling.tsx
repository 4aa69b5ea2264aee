import { useState, type FormEvent } from 'react';
import { api } from '../../lib/api.js';
import { useLoad } from '../../lib/hooks.js';
import type { Endpoint, ScalingPolicy, ScalingPolicyRequest } from '../../../../src/sdk/types.js';
import { ErrorNotice } from '../../components/ErrorNotice.js';
import { fmtAgo, fmtNum } from '../../components/Status.js';

interface Draft { min: string; max: string; target: string; cpu: string; outCd: string; inCd: string; window: string }
const draftOf = (p: ScalingPolicy | undefined, current: number): Draft => ({
  min: String(p?.minInstances ?? current), max: String(p?.maxInstances ?? Math.max(current, 4)),
  target: String(p?.targetInvocationsPerInstancePerMinute ?? 100), cpu: p?.targetCpuPercent !== undefined ? String(p.targetCpuPercent) : '',
  outCd: String(p?.scaleOutCooldownSeconds ?? 300), inCd: String(p?.scaleInCooldownSeconds ?? 300), window: String(p?.metricWindowSeconds ?? 60),
});
const int = (s: string) => (/^\d+$/.test(s.trim()) ? Number(s) : NaN);

/** The form for one variant's target-tracking policy. */
function PolicyForm({ endpoint, variant, policy, current, onDone }: { endpoint: string; variant: string; policy?: ScalingPolicy; current: number; onDone: (changed: boolean) => void }) {
  const [d, setD] = useState(() => draftOf(policy, current));
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const set = (patch: Partial<Draft>) => setD({ ...d, ...patch });
  const min = int(d.min), max = int(d.max), target = Number(d.target), cpu = d.cpu.trim() ? Number(d.cpu) : undefined;
  const problems = [
    !(min >= 1 && min <= 16) && 'minimum 1–16',
    !(max >= 1 && max <= 16) && 'maximum 1–16',
    min > max && 'minimum above maximum',
    !(target > 0) && 'target above 0',
    cpu !== undefined && !(cpu > 0 && cpu <= 100) && 'CPU target 1–100 %',
    !(int(d.outCd) >= 0) && 'scale-out cooldown',
    !(int(d.inCd) >= 0) && 'scale-in cooldown',
    !(int(d.window) >= 1 && int(d.window) <= 3600) && 'metric window 1–3600 s',
  ].filter(Boolean) as string[];
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (problems.length) return;
    setBusy(true);
    setError(undefined);
    const req: ScalingPolicyRequest = {
      minInstances: min, maxInstances: max, targetInvocationsPerInstancePerMinute: target,
      ...(cpu !== undefined ? { targetCpuPercent: cpu } : {}),
      scaleOutCooldownSeconds: int(d.outCd), scaleInCooldownSeconds: int(d.inCd), metricWindowSeconds: int(d.window),
    };
    try {
      await api.putScaling(endpoint, variant, req);
      onDone(true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const f = (id: keyof Draft, text: string, help?: string) => (
    <div className="field narrow">
      <label htmlFor={`sc-${variant}-${id}`}>{text}</label>
      <input id={`sc-${variant}-${id}`} inputMode="decimal" value={d[id]} onChange={(e) => set({ [id]: e.target.value })} aria-describedby={help ? `sc-${variant}-${id}-help` : undefined} />
      {help && <span className="help" id={`sc-${variant}-${id}-help`}>{help}</span>}
    </div>
  );
  return (
    <form onSubmit={submit} className="subform" aria-label={`Autoscaling policy of ${variant}`}>
      <div className="row">
        {f('min', 'Min instances')}
        {f('max', 'Max instances')}
        {f('target', 'Target invocations / instance / min')}
        {f('cpu', 'Target CPU % (optional)')}
        {f('outCd', 'Scale-out cooldown (s)')}
        {f('inCd', 'Scale-in cooldown (s)')}
        {f('window', 'Metric window (s)')}
      </div>
      {problems.length > 0 && <p className="field-error" role="alert">Fix: {problems.join(', ')}.</p>}
      <div className="actions">
        <button type="submit" className="primary" disabled={busy || problems.length > 0}>{busy ? 'Saving…' : 'Save policy'}</button>
        <button type="button" onClick={() => onDone(false)}>Cancel</button>
      </div>
      <ErrorNotice error={error} context="Could not save the policy" />
    </form>
  );
}

/** Autoscaling policies per variant, and the scaling decisions taken. */
export function ScalingPanel({ ep }: { ep: Endpoint }) {
  const policies = useLoad(() => api.scalingPolicies(ep.name), [ep.name]);
  const events = useLoad(() => api.scalingEvents(ep.name, 50), [ep.name], { pollMs: 10_000 });
  const [editing, setEditing] = useState<string | null>(null);
  const [error, setError] = useState<unknown>();
  const byVariant = new Map((policies.data?.items ?? []).map((p) => [p.variant, p]));
  const remove = async (variant: string) => {
    if (!window.confirm(`Remove the autoscaling policy of ${variant}? Its instance count stays where it is.`)) return;
    setError(undefined);
    try {
      await api.deleteScaling(ep.name, variant);
      policies.reload();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <div className="card">
      <h2>Autoscaling</h2>
      <p className="muted small">Target tracking on invocations per instance per minute (and optionally CPU), between a minimum and maximum instance count.</p>
      <ErrorNotice error={policies.error} onRetry={policies.reload} context="Could not load the scaling policies" />
      <ErrorNotice error={error} context="Could not remove the policy" />
      <ul className="plain">
        {ep.variants.map((v) => {
          const p = byVariant.get(v.name);
          return (
            <li key={v.name}>
              <div className="head-row">
                <strong>{v.name}</strong>
                <span className="small" data-testid={`scaling-${v.name}`}>
                  {p ? `${p.minInstances}–${p.maxInstances} instances, target ${fmtNum(p.targetInvocationsPerInstancePerMinute)}/instance/min${p.targetCpuPercent !== undefined ? `, CPU ${p.targetCpuPercent} %` : ''}; cooldowns ${p.scaleOutCooldownSeconds} s out / ${p.scaleInCooldownSeconds} s in`
                    : `No policy: fixed at ${v.currentInstanceCount} instance${v.currentInstanceCount > 1 ? 's' : ''}.`}
                </span>
                {editing !== v.name && <button type="button" onClick={() => setEditing(v.name)} disabled={!policies.data}>{p ? 'Edit' : 'Add policy'}</button>}
                {p && editing !== v.name && <button type="button" className="danger" onClick={() => void remove(v.name)}>Remove</button>}
              </div>
              {editing === v.name && (
                <PolicyForm endpoint={ep.name} variant={v.name} policy={p} current={v.currentInstanceCount}
                  onDone={(changed) => { setEditing(null); if (changed) policies.reload(); }} />
              )}
            </li>
          );
        })}
      </ul>
      <h3>Scaling events</h3>
      <ErrorNotice error={events.error} onRetry={events.reload} context="Could not load the scaling events" />
      {events.data && (events.data.items.length === 0 ? <p className="muted small">No scaling decisions yet.</p> : (
        <div className="table-wrap">
          <table className="compact" aria-label="Scaling events">
            <thead><tr><th scope="col">When</th><th scope="col">Variant</th><th scope="col">Action</th><th scope="col">Instances</th><th scope="col">Load</th><th scope="col">Reason</th></tr></thead>
            <tbody>
              {events.data.items.map((x, i) => (
                <tr key={i}>
                  <td title={x.at}>{fmtAgo(x.at)}</td><td>{x.variant}</td><td>{x.action}</td><td>{x.fromInstances} → {x.toInstances}</td>
                  <td>{x.invocationsPerMinute !== undefined ? `${fmtNum(x.invocationsPerMinute)}/min` : ''}{x.cpuPercent !== undefined ? ` CPU ${fmtNum(x.cpuPercent)} %` : ''}</td>
                  <td className="wrap">{x.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ))}
    </div>
  );
}
